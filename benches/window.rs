//! The real window under Xvfb: time from launch to the first frame on screen, CPU while
//! idle, and the idle window's resident memory. Each round starts the `sockscope` binary
//! (on its embedded demo server, as a user's first launch: empty home directory), waits
//! for its window to be mapped (eframe keeps the window hidden until its first frame is
//! painted, so the map is the first frame), lets it settle, then reads its CPU time and RSS
//! from /proc while nobody touches it.
//!
//!   .ci/install-gui-packages && cargo bench --bench window

#[path = "support/process.rs"]
mod process;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::Event as XEvent;
use x11rb::protocol::xproto::{AtomEnum, ChangeWindowAttributesAux, ConnectionExt, EventMask};
use x11rb::rust_connection::RustConnection;

const ROUNDS: usize = 5;
/// Settling time after the first frame (the demo server starts, fonts are cached).
const SETTLE: Duration = Duration::from_secs(2);
/// How long the idle window is watched.
const IDLE: Duration = Duration::from_secs(10);
const MAX_STARTUP: Duration = Duration::from_secs(30);

/// Ends the wrapped process when dropped, so a failed round leaves nothing running: SIGTERM
/// first (an X server then removes its lock file and socket), SIGKILL after 5 s.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        // SAFETY: kill() only sends a signal to our own child process.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An Xvfb server on the first free display, and a connection to it.
fn start_xvfb() -> (Running, String, RustConnection) {
    let display = (90..200)
        .find(|d| {
            !Path::new(&format!("/tmp/.X11-unix/X{d}")).exists()
                && !Path::new(&format!("/tmp/.X{d}-lock")).exists()
        })
        .map(|d| format!(":{d}"))
        .expect("a free X display number");
    let xvfb = Command::new("Xvfb")
        .args([&display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| {
            panic!("cannot start Xvfb ({err}); install it with .ci/install-gui-packages")
        });
    let xvfb = Running(xvfb);
    let started = Instant::now();
    loop {
        if let Ok((connection, _)) = x11rb::connect(Some(&display)) {
            return (xvfb, display, connection);
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "Xvfb did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The name of `window` as its client set it, lossily decoded.
fn window_name(connection: &RustConnection, window: u32) -> String {
    connection
        .get_property(false, window, AtomEnum::WM_NAME, AtomEnum::ANY, 0, 1024)
        .ok()
        .and_then(|cookie| cookie.reply().ok())
        .map(|reply| String::from_utf8_lossy(&reply.value).into_owned())
        .unwrap_or_default()
}

/// Waits for a top-level window whose name ends in "Sockscope" to be mapped.
fn wait_for_window(connection: &RustConnection, app: &mut Running) -> Instant {
    let deadline = Instant::now() + MAX_STARTUP;
    loop {
        while let Some(event) = connection.poll_for_event().expect("X connection") {
            if let XEvent::MapNotify(map) = event
                && window_name(connection, map.window).ends_with("Sockscope")
            {
                return Instant::now();
            }
        }
        if let Ok(Some(status)) = app.0.try_wait() {
            panic!("sockscope exited before its window appeared: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "no Sockscope window within {MAX_STARTUP:?}"
        );
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// CPU time (user + system, in clock ticks of 1/100 s) and resident memory of a process.
fn cpu_ticks_and_rss(pid: u32) -> (u64, u64) {
    (process::cpu_ticks(pid), process::rss_kib(pid))
}

struct Round {
    startup: Duration,
    idle_ticks: u64,
    rss_kib: u64,
}

fn round(display: &str, connection: &RustConnection) -> Round {
    let home = std::env::temp_dir().join(format!("sockscope-window-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).expect("temporary home");
    let launched = Instant::now();
    let app = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sockscope");
    let mut app = Running(app);
    let startup = wait_for_window(connection, &mut app).duration_since(launched);
    std::thread::sleep(SETTLE);
    let pid = app.0.id();
    let (before, _) = cpu_ticks_and_rss(pid);
    std::thread::sleep(IDLE);
    let (after, rss_kib) = cpu_ticks_and_rss(pid);
    drop(app);
    let _ = std::fs::remove_dir_all(&home);
    Round {
        startup,
        idle_ticks: after - before,
        rss_kib,
    }
}

fn main() {
    let (_xvfb, display, connection) = start_xvfb();
    let root = connection.setup().roots[0].root;
    connection
        .change_window_attributes(
            root,
            &ChangeWindowAttributesAux::new().event_mask(EventMask::SUBSTRUCTURE_NOTIFY),
        )
        .expect("X request")
        .check()
        .expect("watch the root window");
    println!("| round | launch to first frame | CPU while idle ({IDLE:?}) | idle RSS |");
    println!("| ---: | ---: | ---: | ---: |");
    let mut rounds: Vec<Round> = (1..=ROUNDS)
        .map(|n| {
            let round = round(&display, &connection);
            let idle_cpu = round.idle_ticks as f64 * 0.01 / IDLE.as_secs_f64() * 100.0;
            println!(
                "| {n} | {:.0?} | {idle_cpu:.1}% ({} ticks) | {:.0} MiB |",
                round.startup,
                round.idle_ticks,
                round.rss_kib as f64 / 1024.0
            );
            round
        })
        .collect();
    rounds.sort_by_key(|round| round.startup);
    let median = &rounds[ROUNDS / 2];
    println!(
        "| median | {:.0?} | | {:.0} MiB |",
        median.startup,
        median.rss_kib as f64 / 1024.0
    );
}

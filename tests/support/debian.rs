//! Reference servers from Debian packages: Mosquitto (MQTT 3.1.1 and 5) and RabbitMQ with
//! `rabbitmq_web_stomp` (STOMP over WebSocket). `tests/support/apt-install.sh` installs the
//! packages without starting their services (a fresh machine or CI has none of them); the
//! servers run as plain processes on 127.0.0.1, stopped when the test drops them.
//!
//! When the package registry cannot be reached, [`install`] prints a loud `SKIPPED: …` line
//! on stderr and the test returns; any other failure fails the test.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// Installs `packages` (once per test binary), or returns false after a `SKIPPED:` line
/// naming `test` when the package registry is unreachable.
pub fn install(test: &str, packages: &[&str]) -> bool {
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    let _guard = LOCK
        .get_or_init(|| Mutex::new(()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/apt-install.sh");
    let output = Command::new("sh")
        .arg(&script)
        .args(packages)
        .output()
        .expect("sh runs the install script");
    match output.status.code() {
        Some(0) => true,
        Some(75) => {
            eprintln!(
                "\n**********\nSKIPPED: {test}: the Debian package registry is unreachable, \
                 so {packages:?} could not be installed.\napt said: {}\n**********\n",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or_default()
            );
            false
        }
        _ => panic!(
            "{} {packages:?} failed:\n{}{}",
            script.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// A free loopback port (bound once to find it, then released).
fn free_port() -> u16 {
    super::closed_port()
}

/// Waits (at most `limit`) until something accepts TCP connections on `port`.
fn wait_for_port(port: u16, limit: Duration, what: &str, child: &mut Child) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited ({status}) before listening on {port}");
        }
        assert!(
            started.elapsed() < limit,
            "{what} did not listen on 127.0.0.1:{port} within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops a child started here: SIGTERM first (so a wrapper script stops what it started),
/// SIGKILL if it lingers.
fn stop(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Mosquitto listening with plain MQTT on 127.0.0.1.
pub struct Mosquitto {
    child: Child,
    _dir: tempfile::TempDir,
    /// Its MQTT port.
    pub port: u16,
}

impl Mosquitto {
    /// Starts Mosquitto (installed by [`install`]); without `allow_anonymous` it refuses
    /// every client (it has no password file).
    pub fn start(allow_anonymous: bool) -> Mosquitto {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let port = free_port();
        let config = dir.path().join("mosquitto.conf");
        std::fs::write(
            &config,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous {allow_anonymous}\npersistence false\n\
                 log_dest stderr\nlog_type error\nlog_type warning\n"
            ),
        )
        .expect("write mosquitto.conf");
        let mut child = Command::new("/usr/sbin/mosquitto")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("mosquitto starts");
        wait_for_port(port, Duration::from_secs(10), "mosquitto", &mut child);
        Mosquitto {
            child,
            _dir: dir,
            port,
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// RabbitMQ with STOMP over WebSocket on 127.0.0.1 (user `guest`, password `guest`),
/// with its own `epmd`, ports, node name and folders.
pub struct RabbitMq {
    server: Child,
    epmd: Child,
    _dir: tempfile::TempDir,
    /// The port of `ws://127.0.0.1:PORT/ws` (STOMP over WebSocket).
    pub web_stomp_port: u16,
}

impl RabbitMq {
    /// One broker shared by the tests that run at the same time (it takes seconds to
    /// start); stopped when the last of them drops it.
    pub fn shared() -> Arc<RabbitMq> {
        static SHARED: OnceLock<Mutex<Weak<RabbitMq>>> = OnceLock::new();
        let mut slot = SHARED
            .get_or_init(|| Mutex::new(Weak::new()))
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(running) = slot.upgrade() {
            return running;
        }
        let started = Arc::new(RabbitMq::start());
        *slot = Arc::downgrade(&started);
        started
    }

    /// Starts RabbitMQ in the foreground (installed by [`install`]); waits for its STOMP
    /// WebSocket listener (at most 60 s).
    pub fn start() -> RabbitMq {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let base: PathBuf = dir.path().to_owned();
        let [amqp, dist, epmd_port, web_stomp_port, stomp] = [(); 5].map(|()| free_port());
        std::fs::write(base.join("enabled_plugins"), "[rabbitmq_web_stomp].\n")
            .expect("write enabled_plugins");
        std::fs::write(
            base.join("rabbitmq.conf"),
            format!(
                "listeners.tcp.default = 127.0.0.1:{amqp}\n\
                 web_stomp.tcp.port = {web_stomp_port}\n\
                 web_stomp.tcp.ip = 127.0.0.1\n\
                 stomp.listeners.tcp.1 = 127.0.0.1:{stomp}\n\
                 loopback_users = none\n"
            ),
        )
        .expect("write rabbitmq.conf");
        let mut epmd = Command::new("epmd")
            .args(["-port", &epmd_port.to_string(), "-address", "127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("epmd starts");
        wait_for_port(epmd_port, Duration::from_secs(10), "epmd", &mut epmd);
        let server = Command::new("/usr/lib/rabbitmq/bin/rabbitmq-server")
            .env("HOME", &base)
            .env("RABBITMQ_HOME", &base)
            .env("RABBITMQ_NODENAME", format!("sockscope{amqp}@localhost"))
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", amqp.to_string())
            .env("RABBITMQ_DIST_PORT", dist.to_string())
            .env("ERL_EPMD_PORT", epmd_port.to_string())
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_MNESIA_BASE", base.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", base.join("log"))
            .env("RABBITMQ_CONFIG_FILE", base.join("rabbitmq.conf"))
            .env(
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                base.join("enabled_plugins"),
            )
            .env("RABBITMQ_PID_FILE", base.join("pid"))
            .env("RABBITMQ_LOGS", base.join("rabbit.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rabbitmq-server starts");
        let mut rabbit = RabbitMq {
            server,
            epmd,
            _dir: dir,
            web_stomp_port,
        };
        wait_for_port(
            web_stomp_port,
            Duration::from_secs(60),
            "rabbitmq-server",
            &mut rabbit.server,
        );
        rabbit
    }

    /// The STOMP-over-WebSocket URL.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.web_stomp_port)
    }
}

impl Drop for RabbitMq {
    fn drop(&mut self) {
        stop(&mut self.server);
        stop(&mut self.epmd);
    }
}

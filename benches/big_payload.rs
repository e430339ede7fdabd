//! Big payloads in the whole window: a 16 MiB JSON text message and a 64 MiB binary message,
//! the time from selecting one to the first frame that shows its pretty view or hex view,
//! and the frame cost while scrolling that view (the real app stepped headless by
//! egui_kittest, with mouse-wheel events over the detail pane, and tessellated). A frame's
//! cost is its thread's CPU time, so a VM's preemptions do not count; the wall clock's
//! median is shown beside it.
//!
//!   cargo bench --bench big_payload

mod support;

/// The allocator the `sockscope` binary uses (src/main.rs), so frames cost what they do there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use egui::{Event as InputEvent, Modifiers, MouseWheelUnit, TouchPhase, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sockscope::app::{AppOptions, SockscopeApp};
use sockscope::engine::{ConnectionConfig, Direction, Event, EventKind, Payload};
use sockscope::model::timeline::Timeline;
use tokio_tungstenite::tungstenite::Utf8Bytes;

const JSON_BYTES: usize = 16 << 20;
const BINARY_BYTES: usize = 64 << 20;
/// Frames measured per way of scrolling.
const FRAMES: usize = 60;
/// How long the first view may take before the bench gives up.
const MAX_FIRST_VIEW: Duration = Duration::from_secs(10);

/// `bytes` bytes that are not UTF-8 (so the hex view is the one shown), from a xorshift.
fn big_binary(bytes: usize) -> Bytes {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut data = Vec::with_capacity(bytes);
    data.push(0xff);
    while data.len() < bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        data.extend_from_slice(&state.to_le_bytes());
    }
    data.truncate(bytes);
    Bytes::from(data)
}

fn message(seq: u64, payload: Payload) -> Event {
    Event {
        wire: None,
        seq,
        wall_time: SystemTime::now(),
        offset: Duration::from_millis(seq),
        kind: EventKind::Message {
            dir: Direction::In,
            payload,
        },
    }
}

/// The app at 1280x800 with a tab holding the JSON message (row 0) and the binary one
/// (row 1), and that tab's index.
fn app_with_big_messages(
    config_dir: std::path::PathBuf,
) -> (Harness<'static, SockscopeApp>, usize) {
    let options = AppOptions {
        no_demo_server: true,
        config_dir: Some(config_dir),
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("app"));
    let mut timeline = Timeline::default();
    // What the demo server's /big-json sends.
    let json = sockscope::demo_server::big_json(JSON_BYTES);
    println!(
        "JSON message: {:.1} MiB; binary message: {:.1} MiB\n",
        json.len() as f64 / (1 << 20) as f64,
        BINARY_BYTES as f64 / (1 << 20) as f64
    );
    timeline.push(1, message(0, Payload::Text(Utf8Bytes::from(json))));
    timeline.push(1, message(1, Payload::Binary(big_binary(BINARY_BYTES))));
    let tab = harness
        .state_mut()
        .open_tab_with(ConnectionConfig::new("ws://127.0.0.1:9/"), timeline);
    for _ in 0..5 {
        harness.step();
    }
    (harness, tab)
}

/// Selects `row` of tab `tab` and steps frames (as a window does while something is being
/// made on another thread) until a label `shown` appears: the time that took, in how many
/// frames, and the CPU time of the slowest of them.
fn first_view(
    harness: &mut Harness<'static, SockscopeApp>,
    (tab, row): (usize, usize),
    shown: &str,
) -> (Duration, usize, Duration) {
    if let Some(tab) = harness.state_mut().tab_mut(tab) {
        tab.follow = false;
        tab.selected = Some(row);
    }
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for frames in 1.. {
        let (cpu, _) = support::timed(|| support::frame(harness));
        slowest = slowest.max(cpu);
        if harness.query_by_label_contains(shown).is_some() {
            return (started.elapsed(), frames, slowest);
        }
        assert!(
            started.elapsed() < MAX_FIRST_VIEW,
            "{shown:?} was not shown within {MAX_FIRST_VIEW:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    unreachable!("the loop above returns or panics")
}

/// Steps `FRAMES` frames, each with a mouse-wheel event of `delta` points at `at`: the
/// median, 90th percentile and slowest frame by CPU time, and the median by the wall clock.
fn scrolling(
    harness: &mut Harness<'static, SockscopeApp>,
    at: egui::Pos2,
    delta: f32,
) -> ([Duration; 3], Duration) {
    harness.hover_at(at);
    harness.step();
    let (cpu, wall): (Vec<Duration>, Vec<Duration>) = (0..FRAMES)
        .map(|_| {
            harness.event(InputEvent::MouseWheel {
                unit: MouseWheelUnit::Point,
                delta: Vec2::new(0.0, -delta),
                phase: TouchPhase::Move,
                source: egui::MouseWheelSource::Unknown,
                modifiers: Modifiers::NONE,
            });
            support::timed(|| support::frame(harness))
        })
        .unzip();
    (support::spread(cpu), support::spread(wall)[0])
}

/// Where the view under the button labelled `button` is: well below it, mid-pane.
fn view_point(harness: &Harness<'static, SockscopeApp>, button: &str) -> egui::Pos2 {
    let rect = harness.get_by_label(button).rect();
    egui::pos2(rect.center().x, rect.bottom() + 250.0)
}

fn report(
    harness: &mut Harness<'static, SockscopeApp>,
    view: &str,
    button: &str,
    first_line: &str,
    (took, frames, slowest): (Duration, usize, Duration),
) {
    println!(
        "| {view} | first view: {took:.1?} (wall clock) over {frames} frame{} | | | {slowest:.2?} | |",
        if frames == 1 { "" } else { "s" }
    );
    let at = view_point(harness, button);
    for (way, delta) in [
        ("wheel, 120 pt per frame", 120.0),
        ("flinging, 5000 pt per frame", 5000.0),
    ] {
        let ([median, p90, slowest], wall) = scrolling(harness, at, delta);
        println!(
            "| {view} | scrolling: {way} | {median:.2?} | {p90:.2?} | {slowest:.2?} | {wall:.2?} |"
        );
    }
    assert!(
        harness.query_by_label_contains(first_line).is_none(),
        "the {view} scrolled away from its first line"
    );
}

fn main() {
    let config_dir = std::env::temp_dir().join(format!(
        "sockscope-big-payload-bench-{}",
        std::process::id()
    ));
    let (mut harness, tab) = app_with_big_messages(config_dir.clone());
    println!("| view | what | median frame (CPU) | p90 | slowest | median (wall clock) |");
    println!("| --- | --- | ---: | ---: | ---: | ---: |");

    let json_line = r#"    "id": 0,"#;
    let first = first_view(&mut harness, (tab, 0), json_line);
    report(
        &mut harness,
        "16 MiB JSON, pretty",
        "Copy pretty JSON",
        json_line,
        first,
    );

    let hex_line = "00000000";
    let first = first_view(&mut harness, (tab, 1), hex_line);
    report(
        &mut harness,
        "64 MiB binary, hex",
        "Copy as hex",
        hex_line,
        first,
    );

    let _ = std::fs::remove_dir_all(&config_dir);
}

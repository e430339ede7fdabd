//! Frame cost of the whole window with 1k, 100k and 1M timeline entries, following the tail
//! and scrolled to the middle: the real app stepped headless by egui_kittest and
//! tessellated. A frame's cost is its thread's CPU time (a VM's preemptions do not count);
//! the wall clock's median is shown beside it.
//!
//!   cargo bench --bench frame
//!   cargo bench --bench frame -- 1000000 1000 --frames=600   (these counts, in this order)

mod support;

/// The allocator the `sockscope` binary uses (src/main.rs), so frames cost what they do there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, SystemTime};

use egui::Key;
use egui_kittest::Harness;
use sockscope::app::{AppOptions, SockscopeApp};
use sockscope::engine::{ConnectionConfig, Direction, Event, EventKind, Payload};
use sockscope::model::timeline::Timeline;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// Frames measured per view unless `--frames=N` says otherwise.
const FRAMES: usize = 300;

fn timeline(entries: usize) -> Timeline {
    let mut timeline = Timeline::default();
    let started = SystemTime::now();
    for i in 0..entries {
        let text = format!(
            r#"{{"n":{i},"type":"tick","price":{}.25,"symbol":"BTC-USD"}}"#,
            i % 997
        );
        timeline.push(
            1,
            Event {
                wire: None,
                seq: i as u64,
                wall_time: started + Duration::from_micros(i as u64 * 10),
                offset: Duration::from_micros(i as u64 * 10),
                kind: EventKind::Message {
                    dir: if i % 5 == 0 {
                        Direction::Out
                    } else {
                        Direction::In
                    },
                    payload: Payload::Text(Utf8Bytes::from(text)),
                },
            },
        );
    }
    timeline
}

/// `frames` frames of the whole window: the median and 90th percentile by CPU time, and the
/// median by the wall clock.
fn measure(
    harness: &mut Harness<'static, SockscopeApp>,
    frames: usize,
) -> (Duration, Duration, Duration) {
    let (cpu, wall): (Vec<Duration>, Vec<Duration>) = (0..frames)
        .map(|_| support::timed(|| support::frame(harness)))
        .unzip();
    let [median, p90, _] = support::spread(cpu);
    (median, p90, support::spread(wall)[0])
}

fn main() {
    let config_dir =
        std::env::temp_dir().join(format!("sockscope-frame-bench-{}", std::process::id()));
    println!("| entries | view | median frame (CPU) | p90 | median (wall clock) |");
    println!("| ---: | --- | ---: | ---: | ---: |");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let frames = args
        .iter()
        .find_map(|arg| arg.strip_prefix("--frames=")?.parse().ok())
        .unwrap_or(FRAMES);
    let mut counts: Vec<usize> = args.iter().filter_map(|arg| arg.parse().ok()).collect();
    if counts.is_empty() {
        counts = vec![1_000, 100_000, 1_000_000];
    }
    for entries in counts {
        let options = AppOptions {
            no_demo_server: true,
            config_dir: Some(config_dir.clone()),
            ..AppOptions::default()
        };
        let mut harness = Harness::builder()
            .with_size(egui::vec2(1280.0, 800.0))
            .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("app"));
        let timeline = timeline(entries);
        let index = harness
            .state_mut()
            .open_tab_with(ConnectionConfig::new("ws://127.0.0.1:9/"), timeline);
        for _ in 0..5 {
            harness.step();
        }
        let (median, p90, wall) = measure(&mut harness, frames);
        println!("| {entries} | following the tail | {median:.2?} | {p90:.2?} | {wall:.2?} |");
        if let Some(tab) = harness.state_mut().tab_mut(index) {
            tab.follow = false;
            tab.selected = Some(entries / 2 - 1);
        }
        harness.key_press(Key::ArrowDown);
        for _ in 0..5 {
            harness.step();
        }
        let (median, p90, wall) = measure(&mut harness, frames);
        println!(
            "| {entries} | scrolled to the middle, row selected | {median:.2?} | {p90:.2?} | {wall:.2?} |"
        );
    }
    let _ = std::fs::remove_dir_all(&config_dir);
}

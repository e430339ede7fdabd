//! Memory per stored message: 1,000,000 text messages of 100 bytes pushed into a timeline,
//! with a counting allocator, and the process's RSS after; then the same million as
//! received, read by the engine from the demo server's /flood into a timeline.
//!
//!   cargo bench --bench memory

#[path = "support/process.rs"]
mod process;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use sockscope::demo_server;
use sockscope::engine::{ConnectionConfig, ConnectionHandle, Direction, Event, EventKind, Payload};
use sockscope::model::timeline::Timeline;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// Counts the bytes currently allocated.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MESSAGES: usize = 1_000_000;
const PAYLOAD: usize = 100;

fn main() {
    println!(
        "size_of::<Event>() = {} bytes (as the engine hands it over)",
        size_of::<Event>()
    );
    println!("size_of::<EventKind>() = {} bytes", size_of::<EventKind>());
    println!("size_of::<Payload>() = {} bytes", size_of::<Payload>());
    let rss_before = process::rss_kib("self");
    let before = LIVE.load(Ordering::Relaxed);
    let mut timeline = Timeline::default();
    let started_wall = SystemTime::now();
    let started = std::time::Instant::now();
    for i in 0..MESSAGES {
        // As the engine receives it: one buffer per message, shared by the event.
        let mut text = format!("{i:>12}");
        text.extend(std::iter::repeat_n('x', PAYLOAD - text.len()));
        let payload = Payload::Text(Utf8Bytes::from(text));
        timeline.push(
            1,
            Event {
                wire: None,
                seq: i as u64,
                // As the engine times them: wall time = the attempt's start + offset.
                wall_time: started_wall + Duration::from_micros(i as u64),
                offset: Duration::from_micros(i as u64),
                kind: EventKind::Message {
                    dir: Direction::In,
                    payload,
                },
            },
        );
    }
    let took = started.elapsed();
    let used = LIVE.load(Ordering::Relaxed) - before;
    let per_message = used as f64 / MESSAGES as f64;
    println!(
        "{MESSAGES} x {PAYLOAD} B: {:.1} MiB live, {per_message:.1} B per message, {:.1} B beyond the payload",
        used as f64 / (1 << 20) as f64,
        per_message - PAYLOAD as f64,
    );
    println!(
        "RSS {} MiB -> {} MiB; {:.0} ns per push",
        rss_before / 1024,
        process::rss_kib("self") / 1024,
        took.as_nanos() as f64 / MESSAGES as f64
    );
    std::hint::black_box(&timeline);
    drop(timeline);
    let _ = Bytes::new();
    through_the_engine();
}

/// The million messages as the window gets them: read by the engine from the demo server
/// (in this process) and pushed into a timeline as they are handed over.
fn through_the_engine() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = demo_server::start("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("demo server");
        let url = server.url(&format!("/flood?n={MESSAGES}&size={PAYLOAD}"));
        let rss_before = process::rss_kib("self");
        let before = LIVE.load(Ordering::Relaxed);
        // Uncompressed, as the figures in BENCHMARKS.md were measured (no wire bytes kept).
        let mut config = ConnectionConfig::new(&url);
        config.deflate = sockscope::engine::DeflateSetting::Off;
        let Ok(mut handle) = ConnectionHandle::connect(
            &config,
            &tokio::runtime::Handle::current(),
            Arc::new(|| {}),
        ) else {
            panic!("engine could not connect to {url}");
        };
        let mut timeline = Timeline::default();
        let mut received = 0;
        while let Some(event) = handle.recv().await {
            received += usize::from(matches!(event.kind, EventKind::Message { .. }));
            timeline.push(1, event);
        }
        assert_eq!(received, MESSAGES, "every message kept");
        drop(handle);
        let used = LIVE.load(Ordering::Relaxed) - before;
        let per_message = used as f64 / MESSAGES as f64;
        println!(
            "through the engine, as received: {:.1} MiB live, {per_message:.1} B per message, {:.1} B beyond the payload; RSS {} MiB -> {} MiB",
            used as f64 / (1 << 20) as f64,
            per_message - PAYLOAD as f64,
            rss_before / 1024,
            process::rss_kib("self") / 1024,
        );
        std::hint::black_box(&timeline);
    });
}

//! Ingest throughput: the demo server's /flood read by a bare tokio-tungstenite client and by
//! Sockscope's engine into a timeline, in the same run, on the same machine.
//!
//!   cargo bench --bench ingest            (release build; prints a Markdown table)
//!   cargo bench --bench ingest -- "1 MiB" (only the cases whose name contains the argument)
//!
//! Every message is counted; a run that loses one fails loudly instead of reporting.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sockscope::demo_server;
use sockscope::engine::{ConnectionConfig, ConnectionHandle, Direction, EventKind};
use sockscope::model::timeline::Timeline;
use tokio_tungstenite::tungstenite::Message;

/// The allocator the `sockscope` binary uses (src/main.rs), for every client here alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Case {
    name: &'static str,
    count: u64,
    size: usize,
}

const CASES: &[Case] = &[
    Case {
        name: "100 B",
        count: 300_000,
        size: 100,
    },
    Case {
        name: "1 MiB",
        count: 300,
        size: 1 << 20,
    },
];
const ROUNDS: usize = 5;

/// Messages received by a bare client, and how long it took from connect to close. With
/// `keep`, it keeps every message as Sockscope must (an inspector is lossless).
async fn bare(url: &str, keep: bool) -> (u64, u64, Duration) {
    let started = Instant::now();
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(url).await else {
        panic!("bare client could not connect to {url}");
    };
    let (mut count, mut bytes) = (0u64, 0u64);
    let mut kept = Vec::new();
    while let Some(Ok(message)) = ws.next().await {
        match message {
            Message::Text(text) => {
                count += 1;
                bytes += text.len() as u64;
                if keep {
                    kept.push(text);
                }
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    std::hint::black_box(&kept);
    (count, bytes, started.elapsed())
}

/// Messages that reached a Sockscope timeline through the engine.
async fn engine(url: &str) -> (u64, u64, Duration) {
    let started = Instant::now();
    let mut config = ConnectionConfig::new(url);
    config.max_message_size = 64 << 20;
    let Ok(mut handle) =
        ConnectionHandle::connect(&config, &tokio::runtime::Handle::current(), Arc::new(|| {}))
    else {
        panic!("engine could not connect to {url}");
    };
    let mut timeline = Timeline::default();
    let (mut count, mut bytes) = (0u64, 0u64);
    while let Some(event) = handle.recv().await {
        let done = matches!(event.kind, EventKind::Close(_));
        if let EventKind::Message {
            dir: Direction::In,
            payload,
        } = &event.kind
        {
            count += 1;
            bytes += payload.len() as u64;
        }
        timeline.push(1, event);
        if done {
            break;
        }
    }
    std::hint::black_box(&timeline);
    (count, bytes, started.elapsed())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = demo_server::start("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("demo server");
        println!("| messages | client | msgs/s (median of {ROUNDS}) | MB/s | vs bare |");
        println!("| --- | --- | ---: | ---: | ---: |");
        let only = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
        for case in CASES.iter().filter(|case| {
            only.as_ref()
                .is_none_or(|only| case.name.contains(only.as_str()))
        }) {
            let url = server.url(&format!("/flood?n={}&size={}", case.count, case.size));
            let mut rates: [Vec<f64>; 3] = Default::default();
            for _ in 0..ROUNDS {
                for (client, samples) in rates.iter_mut().enumerate() {
                    let (count, bytes, took) = match client {
                        0 => bare(&url, false).await,
                        1 => bare(&url, true).await,
                        _ => engine(&url).await,
                    };
                    assert_eq!(count, case.count, "every message counted");
                    assert_eq!(bytes, case.count * case.size as u64);
                    samples.push(count as f64 / took.as_secs_f64());
                }
            }
            let [bare_rate, keeping_rate, engine_rate] = rates.map(median);
            let names = [
                "bare tokio-tungstenite",
                "bare, keeping every message",
                "Sockscope engine + timeline",
            ];
            for (name, rate) in names
                .into_iter()
                .zip([bare_rate, keeping_rate, engine_rate])
            {
                println!(
                    "| {} x {} | {name} | {rate:.0} | {:.1} | {:.2} |",
                    case.count,
                    case.name,
                    rate * case.size as f64 / 1e6,
                    rate / bare_rate
                );
            }
        }
    });
}

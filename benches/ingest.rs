//! Ingest throughput: the demo server's /flood read by a bare tokio-tungstenite client and by
//! Sockscope's engine into a timeline, in the same run, on the same machine.
//!
//!   cargo bench --bench ingest            (release build; prints a Markdown table)
//!   cargo bench --bench ingest -- "1 MiB" (only the cases whose name contains the argument)
//!   cargo bench --bench ingest -- --client=engine (only that client, e.g. under a profiler;
//!                                                   the others: bare, keeping, script)
//!
//! The `script` client is the engine's with a tab script whose `onMessage(msg)` is trivial
//! (issue 22): every message is also handed to QuickJS as a message object, the messages
//! that have already arrived in one call (a batch, as `connect --script` hands them over).
//!
//! Every message is counted; a run that loses one fails loudly instead of reporting. Each
//! case runs in a fresh process; within a case the clients take turns in every round.

#[path = "support/process.rs"]
mod process;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sockscope::demo_server;
use sockscope::engine::{ConnectionConfig, ConnectionHandle, Direction, EventKind};
use sockscope::model::timeline::Timeline;
use sockscope::script::batch;
use sockscope::script::{MessageViews, ScriptMessage, ScriptRunner, ScriptSetup};
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
/// Rounds per case, the three clients taking turns within each: this VM's speed drifts by
/// ±30% over seconds, so a median over many interleaved rounds is what compares fairly.
const ROUNDS: usize = 11;
/// Tells a child process (one case) to print its rows without the table's header.
const ROWS_ONLY: &str = "--rows-only";
/// The clients' short names, for `--client=NAME`.
const CLIENTS: [&str; 4] = ["bare", "keeping", "engine", "script"];
/// The `script` client's script: the least a script that looks at messages does.
const TRIVIAL_SCRIPT: &str = "let count = 0; function onMessage(msg) { count++; }";

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

/// Messages that reached a Sockscope timeline through the engine (and, with `script`, a
/// trivial `onMessage`).
async fn engine(url: &str, script: bool) -> (u64, u64, Duration) {
    let started = Instant::now();
    let mut config = ConnectionConfig::new(url);
    config.max_message_size = 64 << 20;
    // The bare client offers no permessage-deflate; the engine does not either, so both
    // read the same uncompressed frames.
    config.deflate = sockscope::engine::DeflateSetting::Off;
    let Ok(mut handle) =
        ConnectionHandle::connect(&config, &tokio::runtime::Handle::current(), Arc::new(|| {}))
    else {
        panic!("engine could not connect to {url}");
    };
    let mut timeline = Timeline::default();
    let mut runner = script.then(|| {
        ScriptRunner::load(TRIVIAL_SCRIPT, "bench.js", ScriptSetup::default())
            .expect("the bench script loads")
    });
    let (mut count, mut bytes) = (0u64, 0u64);
    // The events that have already arrived are taken together, as `connect` and the
    // window's script thread take them: the script gets them in one call (a batch).
    let mut events = Vec::with_capacity(batch::BATCH_MESSAGES);
    let mut done = false;
    while !done {
        let Some(first) = handle.recv().await else {
            break;
        };
        events.push(first);
        let mut batch_bytes = 0;
        while let Some(last) = events.last() {
            if let EventKind::Message { payload, .. } = &last.kind {
                batch_bytes += payload.len();
            }
            if matches!(last.kind, EventKind::Close(_)) {
                done = true;
                break;
            }
            if batch::batch_full(events.len(), batch_bytes) {
                break;
            }
            match handle.try_recv() {
                Some(event) => events.push(event),
                None => break,
            }
        }
        let mut messages = Vec::with_capacity(events.len());
        for event in &events {
            if let EventKind::Message {
                dir: Direction::In,
                payload,
            } = &event.kind
            {
                count += 1;
                bytes += payload.len() as u64;
                messages.push(ScriptMessage {
                    seq: event.seq,
                    dir: Direction::In,
                    payload,
                    offset: Some(event.offset),
                    views: MessageViews::default(),
                });
            }
        }
        if let Some(runner) = &mut runner {
            runner.on_messages(&messages);
        }
        drop(messages);
        for event in events.drain(..) {
            timeline.push(1, event);
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only = args.iter().find(|arg| !arg.starts_with('-'));
    let client_only = args.iter().find_map(|arg| {
        arg.strip_prefix("--client=")
            .and_then(|name| CLIENTS.iter().position(|client| *client == name))
    });
    let cases: Vec<&Case> = CASES
        .iter()
        .filter(|case| only.is_none_or(|only| case.name.contains(only.as_str())))
        .collect();
    if !args.iter().any(|arg| arg == ROWS_ONLY) {
        println!(
            "| messages | client | msgs/s (median of {ROUNDS}) | MB/s | vs bare | CPU per message (whole process) |"
        );
        println!("| --- | --- | ---: | ---: | ---: | ---: |");
    }
    if let [case] = cases[..] {
        run_case(case, client_only);
        return;
    }
    // Each case in a process of its own: what one case leaves behind in the allocator
    // swung the next case's figures (1 MiB: 0.68-0.96x the bare client after the 100 B
    // case in the same process, 0.93-0.99x on its own).
    let exe = std::env::current_exe().expect("this bench's path");
    for case in cases {
        let client_args = args.iter().filter(|arg| arg.starts_with("--client="));
        let status = std::process::Command::new(&exe)
            .arg(case.name)
            .arg(ROWS_ONLY)
            .args(client_args)
            .status()
            .expect("run a case");
        assert!(status.success(), "the {} case failed", case.name);
    }
}

/// Measures one case, every client taking turns in each round, and prints its rows.
fn run_case(case: &Case, client_only: Option<usize>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = demo_server::start("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("demo server");
        let url = server.url(&format!("/flood?n={}&size={}", case.count, case.size));
        let mut rates: [Vec<f64>; 4] = Default::default();
        let mut ticks = [0u64; 4];
        for _ in 0..ROUNDS {
            for (client, samples) in rates.iter_mut().enumerate() {
                if client_only.is_some_and(|only| only != client) {
                    samples.push(f64::NAN);
                    continue;
                }
                let ticks_before = process::cpu_ticks("self");
                let (count, bytes, took) = match client {
                    0 => bare(&url, false).await,
                    1 => bare(&url, true).await,
                    2 => engine(&url, false).await,
                    _ => engine(&url, true).await,
                };
                assert_eq!(count, case.count, "every message counted");
                assert_eq!(bytes, case.count * case.size as u64);
                samples.push(count as f64 / took.as_secs_f64());
                ticks[client] += process::cpu_ticks("self") - ticks_before;
            }
        }
        let [bare_rate, keeping_rate, engine_rate, script_rate] = rates.map(median);
        let names = [
            "bare tokio-tungstenite",
            "bare, keeping every message",
            "Sockscope engine + timeline",
            "engine + timeline + trivial onMessage script",
        ];
        for ((name, rate), ticks) in names
            .into_iter()
            .zip([bare_rate, keeping_rate, engine_rate, script_rate])
            .zip(ticks)
        {
            // Ticks are 10 ms: summed over every round to keep the error small.
            let cpu_per_message = ticks as f64 * 10_000.0 / (ROUNDS as u64 * case.count) as f64;
            println!(
                "| {} x {} | {name} | {rate:.0} | {:.1} | {:.2} | {cpu_per_message:.2} µs |",
                case.count,
                case.name,
                rate * case.size as f64 / 1e6,
                rate / bare_rate
            );
        }
    });
}

//! The command line's ingest, whole process: `sockscope connect URL --summary` (the release
//! binary) reading the demo server's `/flood`, next to a bare tokio-tungstenite client in a
//! process of its own (this bench run again with `--bare`), in the same run, taking turns.
//! Each figure is wall time from spawning the process to its exit, so process start-up,
//! the handshake and the close are in both.
//!
//!   cargo bench --bench cli_ingest            (prints a Markdown table)
//!   cargo bench --bench cli_ingest -- "1 MiB" (only the cases whose name contains it)
//!
//! Every message is counted (the summary line must say them all); a run that loses one
//! fails instead of reporting.

use std::process::{Command, Stdio};
use std::time::Instant;

use futures_util::StreamExt;
use sockscope::demo_server;
use tokio_tungstenite::tungstenite::Message;

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
        count: 1_000_000,
        size: 100,
    },
    Case {
        name: "1 MiB",
        count: 300,
        size: 1 << 20,
    },
];

/// Rounds per case, the two clients taking turns in each.
const ROUNDS: usize = 9;
/// Runs this binary as the bare client: `--bare URL COUNT`.
const BARE: &str = "--bare";

/// The bare client: reads every message until the close, checks the count.
fn bare(url: &str, count: u64) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
        let mut got = 0u64;
        while let Some(Ok(message)) = ws.next().await {
            match message {
                Message::Text(_) | Message::Binary(_) => got += 1,
                Message::Close(_) => break,
                _ => {}
            }
        }
        assert_eq!(got, count, "the bare client counted every message");
    });
}

/// Runs a command to its end; its wall time in seconds and its stdout.
fn timed(command: &mut Command) -> (f64, String) {
    let started = Instant::now();
    let output = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .expect("the command runs");
    let took = started.elapsed().as_secs_f64();
    assert!(output.status.success(), "{command:?} failed");
    (took, String::from_utf8_lossy(&output.stdout).into_owned())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|arg| arg == BARE) {
        let url = &args[at + 1];
        let count = args[at + 2].parse().expect("a count");
        bare(url, count);
        return;
    }
    let only = args.iter().find(|arg| !arg.starts_with('-'));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let server = runtime
        .block_on(demo_server::start("127.0.0.1:0".parse().expect("addr")))
        .expect("demo server");
    let exe = std::env::current_exe().expect("this bench's path");
    println!(
        "| messages | client (a process each) | msgs/s (median of {ROUNDS}) | vs bare (median of per-round ratios) |"
    );
    println!("| --- | --- | ---: | ---: |");
    for case in CASES {
        if only.is_some_and(|only| !case.name.contains(only.as_str())) {
            continue;
        }
        let url = server.url(&format!("/flood?n={}&size={}", case.count, case.size));
        let mut bare_rates = Vec::new();
        let mut cli_rates = Vec::new();
        let mut ratios = Vec::new();
        for _ in 0..ROUNDS {
            let (bare_took, _) =
                timed(Command::new(&exe).args([BARE, &url, &case.count.to_string()]));
            let (cli_took, out) = timed(Command::new(env!("CARGO_BIN_EXE_sockscope")).args([
                "connect",
                &url,
                "--summary",
                "--max-message-size",
                "67108864",
            ]));
            let summary = out
                .lines()
                .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
                .find(|line| line["event"] == "summary")
                .expect("a summary line");
            assert_eq!(summary["messages_in"], case.count, "every message counted");
            bare_rates.push(case.count as f64 / bare_took);
            cli_rates.push(case.count as f64 / cli_took);
            ratios.push(bare_took / cli_took);
        }
        let bare_rate = median(bare_rates);
        println!(
            "| {} x {} | bare tokio-tungstenite | {bare_rate:.0} | 1.00 |",
            case.count, case.name
        );
        println!(
            "| {} x {} | `sockscope connect --summary` | {:.0} | **{:.2}** |",
            case.count,
            case.name,
            median(cli_rates),
            median(ratios)
        );
    }
}

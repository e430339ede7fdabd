//! The command line's ingest, whole process: `sockscope connect URL --summary` (the release
//! binary) reading the demo server's `/flood`, next to a bare tokio-tungstenite client in a
//! process of its own (this bench run again with `--bare`), in the same run, taking turns.
//! Each figure is wall time from spawning the process to its exit, so process start-up,
//! the handshake and the close are in both.
//!
//! Each case runs with permessage-deflate off (`--deflate off`, the bare client offers
//! nothing) or on (`--deflate on`, and the bare client makes the same offer, browsers'
//! `permessage-deflate; client_max_window_bits`, with the same vendored tungstenite, so it
//! inflates too); the demo server accepts the offer and compresses every message. Both
//! clients must report the agreed extension, or the run fails.
//!
//!   cargo bench --bench cli_ingest              (prints a Markdown table)
//!   cargo bench --bench cli_ingest -- "1 MiB"   (only the cases whose name contains it)
//!   cargo bench --bench cli_ingest -- "deflate" (the compressed cases)
//!
//! Every message is counted (the summary line must say them all); a run that loses one
//! fails instead of reporting.

use std::process::{Command, Stdio};
use std::time::Instant;

use futures_util::StreamExt;
use sockscope::demo_server;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::extensions::deflate::DeflateParams;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Case {
    name: &'static str,
    count: u64,
    size: usize,
    /// Whether both clients offer permessage-deflate (the server then compresses).
    deflate: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "100 B",
        count: 1_000_000,
        size: 100,
        deflate: false,
    },
    Case {
        name: "100 B, deflate",
        count: 1_000_000,
        size: 100,
        deflate: true,
    },
    Case {
        name: "1 MiB",
        count: 300,
        size: 1 << 20,
        deflate: false,
    },
];

/// The message size limit of both clients (the 1 MiB case needs more than the default).
const MAX_MESSAGE_SIZE: usize = 64 << 20;

/// Rounds per case, the two clients taking turns in each.
const ROUNDS: usize = 9;
/// Runs this binary as the bare client: `--bare URL COUNT on|off`.
const BARE: &str = "--bare";

/// The bare client: reads every message until the close, checks the count. With `deflate`
/// it offers what browsers offer and checks that the server agreed.
fn bare(url: &str, count: u64, deflate: bool) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let config = WebSocketConfig::default()
            .deflate(deflate.then(DeflateParams::browser_offer))
            .max_message_size(Some(MAX_MESSAGE_SIZE))
            .max_frame_size(Some(MAX_MESSAGE_SIZE));
        let (mut ws, response) =
            tokio_tungstenite::connect_async_with_config(url, Some(config), false)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
        let agreed = response
            .headers()
            .get("sec-websocket-extensions")
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("permessage-deflate"));
        assert_eq!(agreed, deflate, "the bare client's deflate agreement");
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

/// `on` or `off`, as `--deflate` and the bare client take it.
fn on_off(deflate: bool) -> &'static str {
    if deflate { "on" } else { "off" }
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
        bare(url, count, args[at + 3] == "on");
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
            let deflate = on_off(case.deflate);
            let (bare_took, _) =
                timed(Command::new(&exe).args([BARE, &url, &case.count.to_string(), deflate]));
            let (cli_took, out) = timed(Command::new(env!("CARGO_BIN_EXE_sockscope")).args([
                "connect",
                &url,
                "--summary",
                "--deflate",
                deflate,
                "--max-message-size",
                &MAX_MESSAGE_SIZE.to_string(),
            ]));
            let lines: Vec<serde_json::Value> = out
                .lines()
                .filter_map(|line| serde_json::from_str(line).ok())
                .collect();
            let event = |name: &str| {
                lines
                    .iter()
                    .find(|line| line["event"] == name)
                    .unwrap_or_else(|| panic!("a {name} line"))
            };
            let agreed = event("open")["extensions"]
                .as_str()
                .is_some_and(|value| value.starts_with("permessage-deflate"));
            assert_eq!(agreed, case.deflate, "sockscope's deflate agreement");
            assert_eq!(
                event("summary")["messages_in"],
                case.count,
                "every message counted"
            );
            bare_rates.push(case.count as f64 / bare_took);
            cli_rates.push(case.count as f64 / cli_took);
            ratios.push(bare_took / cli_took);
        }
        let bare_rate = median(bare_rates);
        println!(
            "| {} x {} | bare tokio-tungstenite{} | {bare_rate:.0} | 1.00 |",
            case.count,
            case.name,
            if case.deflate { " (inflating)" } else { "" }
        );
        println!(
            "| {} x {} | `sockscope connect --summary --deflate {}` | {:.0} | **{:.2}** |",
            case.count,
            case.name,
            on_off(case.deflate),
            median(cli_rates),
            median(ratios)
        );
    }
}

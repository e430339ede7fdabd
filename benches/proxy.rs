//! Throughput through `sockscope proxy` next to a direct connection, and the proxy's memory
//! per idle proxied connection. A bare tokio-tungstenite flood server and client, all on
//! 127.0.0.1; the proxy is the release `sockscope` binary (its JSON lines read and thrown
//! away by this process, as a script would read them), and, for comparison, the same relay
//! run in this process with its events dropped.
//!
//!   cargo bench --bench proxy              (prints Markdown tables)
//!   cargo bench --bench proxy -- "100 B"   (only the cases whose name contains it)
//!
//! Every message is counted; a run that loses one fails instead of reporting.

#[path = "support/process.rs"]
mod process;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

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
        count: 200_000,
        size: 100,
    },
    Case {
        name: "1 MiB",
        count: 200,
        size: 1 << 20,
    },
];

/// Rounds per case, the three paths taking turns in each (this VM's speed drifts).
const ROUNDS: usize = 7;
/// Idle connections opened through the proxy for the memory figure.
const IDLE: usize = 1000;

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20))
}

/// The flood server: a client asking for `/COUNT/SIZE` gets COUNT text messages of SIZE
/// bytes, then a close 1000; `/idle` is held open, silent, until the client goes.
// tungstenite's handshake callback returns its error response by value.
#[allow(clippy::result_large_err)]
async fn flood_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                let mut path = String::new();
                let callback =
                    |request: &tokio_tungstenite::tungstenite::handshake::server::Request,
                     response| {
                        path = request.uri().path().to_string();
                        Ok(response)
                    };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async_with_config(
                    tcp,
                    callback,
                    Some(ws_config()),
                )
                .await
                else {
                    return;
                };
                let mut parts = path.trim_start_matches('/').split('/');
                let count: u64 = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                let size: usize = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                if count > 0 {
                    let text = "x".repeat(size);
                    let payload = tokio_tungstenite::tungstenite::Utf8Bytes::from(text);
                    for index in 0..count {
                        if ws.feed(Message::Text(payload.clone())).await.is_err() {
                            return;
                        }
                        if index % 256 == 255 && ws.flush().await.is_err() {
                            return;
                        }
                    }
                    let _ = ws.close(None).await;
                }
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    format!("ws://{addr}")
}

/// Reads `count` messages of `size` bytes from `url` until the close; how long it took.
async fn client(url: &str, count: u64, size: usize) -> Duration {
    let started = Instant::now();
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), true)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    let (mut got, mut bytes) = (0u64, 0u64);
    while let Some(Ok(message)) = ws.next().await {
        match message {
            Message::Text(text) => {
                got += 1;
                bytes += text.len() as u64;
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    assert_eq!(got, count, "every message arrived");
    assert_eq!(bytes, count * size as u64);
    started.elapsed()
}

/// `sockscope proxy` in front of `upstream`, its output read and dropped by a thread.
fn proxy_process(upstream: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["proxy", "--listen", "127.0.0.1:0", "--upstream", upstream])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the proxy starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("its first line");
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .expect("listening on …")
        .to_string();
    std::thread::spawn(move || {
        let mut sink = vec![0u8; 1 << 16];
        while matches!(stdout.read(&mut sink), Ok(n) if n > 0) {}
    });
    (child, url)
}

/// The proxy's relay in this process, its events taken and dropped.
async fn proxy_library(upstream: &str) -> (sockscope::proxy::ProxyServer, String) {
    let (sender, mut events) = tokio::sync::mpsc::channel(256);
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    let config = sockscope::proxy::ProxyConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: url::Url::parse(upstream).expect("url"),
        add_headers: Vec::new(),
        strip_headers: Vec::new(),
        tls: None,
    };
    let server = sockscope::proxy::start(config, sender)
        .await
        .expect("the proxy starts");
    let url = server.url();
    (server, url)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let only: Option<String> = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let upstream = flood_server().await;
        let (mut child, via_cli) = proxy_process(&upstream);
        let (_library, via_library) = proxy_library(&upstream).await;
        println!(
            "| messages | path | msgs/s (median of {ROUNDS}) | MB/s | vs direct (median of per-round ratios) |"
        );
        println!("| --- | --- | ---: | ---: | ---: |");
        for case in CASES {
            if only.as_ref().is_some_and(|only| !case.name.contains(only.as_str())) {
                continue;
            }
            let path = format!("/{}/{}", case.count, case.size);
            let mut rates: [Vec<f64>; 3] = Default::default();
            let mut ratios: [Vec<f64>; 3] = Default::default();
            for _ in 0..ROUNDS {
                let mut round = [0.0; 3];
                for (at, base) in [&upstream, &via_cli, &via_library].into_iter().enumerate() {
                    let took = client(&format!("{base}{path}"), case.count, case.size).await;
                    round[at] = case.count as f64 / took.as_secs_f64();
                    rates[at].push(round[at]);
                }
                for at in 0..3 {
                    ratios[at].push(round[at] / round[0]);
                }
            }
            let names = [
                "direct (bare client ← bare server)",
                "through `sockscope proxy` (JSON lines read)",
                "through the proxy's relay in-process (events dropped)",
            ];
            for (at, name) in names.into_iter().enumerate() {
                let rate = median(rates[at].clone());
                println!(
                    "| {} x {} | {name} | {rate:.0} | {:.1} | {:.2} |",
                    case.count,
                    case.name,
                    rate * case.size as f64 / 1e6,
                    median(ratios[at].clone())
                );
            }
        }
        if only.is_none() {
            idle_memory(&mut child, &via_cli).await;
        }
        let _ = child.kill();
        let _ = child.wait();
    });
}

/// Opens [`IDLE`] connections through the proxy process and holds them idle; prints its
/// resident memory before and after, and the difference per connection.
async fn idle_memory(child: &mut Child, via_cli: &str) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = process::rss_kib(child.id());
    let mut held = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        let (ws, _) = tokio_tungstenite::connect_async(format!("{via_cli}/idle"))
            .await
            .expect("an idle connection through the proxy");
        held.push(ws);
    }
    // Let the proxy settle (its printer catches up with the open lines).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = process::rss_kib(child.id());
    println!();
    println!("| idle proxied connections | proxy RSS before | after | per connection |");
    println!("| ---: | ---: | ---: | ---: |");
    println!(
        "| {IDLE} | {before} KiB | {after} KiB | {:.1} KiB |",
        (after.saturating_sub(before)) as f64 / IDLE as f64
    );
    drop(held);
}

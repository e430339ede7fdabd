//! Throughput through `sockscope proxy` next to a direct connection, and the proxy's memory
//! per idle proxied connection. A bare tokio-tungstenite flood server and client, all on
//! 127.0.0.1; the proxy is the release `sockscope` binary (its JSON lines read and thrown
//! away by this process, as a script would read them), and, for comparison, the same relay
//! run in this process with its events dropped, and a bare tokio-tungstenite relay (no
//! events, no printing) run as a process of its own: what any proxy process costs here,
//! the ceiling for `sockscope proxy`.
//!
//!   cargo bench --bench proxy              (prints Markdown tables)
//!   cargo bench --bench proxy -- "100 B"   (only the cases whose name contains it)
//!   PROXY_BENCH_BASELINE=/path/to/an/older/sockscope cargo bench --bench proxy
//!                                          (also through that binary's proxy: before and
//!                                          after in the same rounds)
//!
//! Every message is counted; a run that loses one fails instead of reporting. For the
//! process paths the proxy's own CPU time per message is printed too (from /proc: on a
//! loaded machine it varies less than the rates).
//!
//! Each round runs every path twice: unpinned (every thread on any CPU, as the machine
//! schedules them), then pinned, on a machine with at least 2 CPUs: the two ends (the
//! flood server and the reading client, which are also the whole direct path) on CPU 0,
//! the proxy (the process, or the in-process relay's own runtime) and the thread reading
//! its JSON lines on CPU 1. Pinned, the ratio is the proxy's own overhead when it has a
//! core of its own; unpinned on 2 cores, server, proxy and client share them.

#[path = "support/affinity.rs"]
mod affinity;
#[path = "support/process.rs"]
mod process;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::WebSocketStream;
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

/// The threads of this process that are the two ends (the flood server and the client).
static ENDS: Mutex<Vec<i32>> = Mutex::new(Vec::new());
/// The threads of this process that are proxies' side: the in-process relay's runtime and
/// the threads reading the proxy processes' output.
static PROXY_SIDE: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// Where the threads run during a pass.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pinning {
    /// Anywhere.
    Unpinned,
    /// The ends on CPU 0, the proxy on CPU 1.
    Pinned,
}

impl Pinning {
    fn name(self) -> &'static str {
        match self {
            Pinning::Unpinned => "unpinned",
            Pinning::Pinned => "pinned: ends CPU 0, proxy CPU 1",
        }
    }

    /// Sets every thread of this process and of the proxy processes `pids` as this says.
    fn apply(self, pids: &[u32]) {
        let every: Vec<usize> = (0..affinity::available()).collect();
        let (ends, proxy): (&[usize], &[usize]) = match self {
            Pinning::Unpinned => (&every, &every),
            Pinning::Pinned => (&[0], &[1]),
        };
        let mut all = true;
        for &tid in ENDS.lock().expect("tids").iter() {
            all &= affinity::pin_thread(tid, ends);
        }
        for &tid in PROXY_SIDE.lock().expect("tids").iter() {
            all &= affinity::pin_thread(tid, proxy);
        }
        for &pid in pids {
            all &= affinity::pin_process(pid, proxy);
        }
        assert!(all, "the CPU affinity could not be set");
    }
}
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

/// `sockscope proxy` (the binary `exe`) in front of `upstream`, its output read and dropped
/// by a thread.
fn proxy_process(exe: &str, upstream: &str) -> (Child, String) {
    spawn_listening(Command::new(exe).args([
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        upstream,
    ]))
}

/// This bench run again as a bare relay in front of `upstream` (see [`bare_relay`]).
fn bare_relay_process(upstream: &str) -> (Child, String) {
    let exe = std::env::current_exe().expect("the bench's own path");
    spawn_listening(Command::new(exe).args(["--bare-relay", upstream]))
}

/// Starts `command`, reads its `listening on URL` line and drops the rest of its output.
fn spawn_listening(command: &mut Command) -> (Child, String) {
    let mut child = command
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
        PROXY_SIDE
            .lock()
            .expect("tids")
            .push(affinity::this_thread());
        let mut sink = vec![0u8; 1 << 16];
        while matches!(stdout.read(&mut sink), Ok(n) if n > 0) {}
    });
    (child, url)
}

/// A bare tokio-tungstenite relay, the simplest fast proxy: for each client, dial
/// `upstream` with the client's path, then pass every message on both ways as it came
/// (handed to the writer as it arrives, flushed once nothing more has arrived), no events,
/// no printing. Prints `listening on ws://ADDR`, then serves until killed.
// tungstenite's handshake callback returns its error response by value.
#[allow(clippy::result_large_err)]
fn bare_relay(upstream: String) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        println!("listening on ws://{}", listener.local_addr().expect("addr"));
        while let Ok((tcp, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let _ = tcp.set_nodelay(true);
                let mut path = String::new();
                let callback =
                    |request: &tokio_tungstenite::tungstenite::handshake::server::Request,
                     response| {
                        path = request.uri().to_string();
                        Ok(response)
                    };
                let Ok(client) = tokio_tungstenite::accept_hdr_async_with_config(
                    tcp,
                    callback,
                    Some(ws_config()),
                )
                .await
                else {
                    return;
                };
                let Ok((server, _)) = tokio_tungstenite::connect_async_with_config(
                    format!("{upstream}{path}"),
                    Some(ws_config()),
                    true,
                )
                .await
                else {
                    return;
                };
                let (client_out, client_in) = client.split();
                let (server_out, server_in) = server.split();
                tokio::join!(
                    forward(client_in, server_out),
                    forward(server_in, client_out)
                );
            });
        }
    });
}

/// One direction of [`bare_relay`], until a close frame (passed on) or the end.
async fn forward<R, W>(
    mut from: SplitStream<WebSocketStream<R>>,
    mut to: SplitSink<WebSocketStream<W>, Message>,
) where
    R: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    W: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let next = match from.next().now_or_never() {
            Some(next) => next,
            None => {
                if to.flush().await.is_err() {
                    return;
                }
                from.next().await
            }
        };
        match next {
            Some(Ok(Message::Close(frame))) => {
                let _ = to.send(Message::Close(frame)).await;
                return;
            }
            Some(Ok(message)) => {
                if to.feed(message).await.is_err() {
                    return;
                }
            }
            _ => return,
        }
    }
}

/// The proxy's relay in this process, on a runtime of its own (two threads, on the proxy's
/// side), its event batches taken and dropped.
async fn proxy_library(
    upstream: &str,
) -> (
    tokio::runtime::Runtime,
    sockscope::proxy::ProxyServer,
    String,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(|| {
            PROXY_SIDE
                .lock()
                .expect("tids")
                .push(affinity::this_thread())
        })
        .enable_all()
        .build()
        .expect("runtime");
    let (sender, mut events) = tokio::sync::mpsc::channel(256);
    runtime.spawn(async move { while events.recv().await.is_some() {} });
    let config = sockscope::proxy::ProxyConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: url::Url::parse(upstream).expect("url"),
        add_headers: Vec::new(),
        strip_headers: Vec::new(),
        tls: None,
    };
    let server = runtime
        .spawn(sockscope::proxy::start_batched(config, sender))
        .await
        .expect("the start task")
        .expect("the proxy starts");
    let url = server.url();
    (runtime, server, url)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One way of reaching the flood server.
struct Path {
    name: String,
    base: String,
    /// The proxy process on this path, whose CPU time is counted.
    pid: Option<u32>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, upstream, ..] = args.as_slice()
        && flag == "--bare-relay"
    {
        bare_relay(upstream.clone());
        return;
    }
    let only: Option<String> = args.iter().find(|arg| !arg.starts_with('-')).cloned();
    let baseline = std::env::var("PROXY_BENCH_BASELINE").ok();
    ENDS.lock().expect("tids").push(affinity::this_thread());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(|| ENDS.lock().expect("tids").push(affinity::this_thread()))
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let upstream = flood_server().await;
        let (mut child, via_cli) = proxy_process(env!("CARGO_BIN_EXE_sockscope"), &upstream);
        let (mut bare, via_bare) = bare_relay_process(&upstream);
        let (library_runtime, library, via_library) = proxy_library(&upstream).await;
        let mut paths = vec![
            Path {
                name: "direct (bare client ← bare server)".into(),
                base: upstream.clone(),
                pid: None,
            },
            Path {
                name: "through a bare tokio-tungstenite relay process (the ceiling)".into(),
                base: via_bare,
                pid: Some(bare.id()),
            },
            Path {
                name: "through `sockscope proxy` (JSON lines read)".into(),
                base: via_cli.clone(),
                pid: Some(child.id()),
            },
            Path {
                name: "through the proxy's relay in-process (events dropped)".into(),
                base: via_library,
                pid: None,
            },
        ];
        let mut before = None;
        if let Some(exe) = &baseline {
            let (old, via_old) = proxy_process(exe, &upstream);
            paths.push(Path {
                name: format!("through `{exe} proxy` (the baseline, JSON lines read)"),
                base: via_old.clone(),
                pid: Some(old.id()),
            });
            before = Some((old, via_old));
        }
        let pids: Vec<u32> = paths.iter().filter_map(|way| way.pid).collect();
        let modes: &[Pinning] = if affinity::available() >= 2 {
            &[Pinning::Unpinned, Pinning::Pinned]
        } else {
            eprintln!("one CPU: no pinned rounds");
            &[Pinning::Unpinned]
        };
        println!(
            "| messages | CPUs | path | msgs/s (median of {ROUNDS}) | MB/s | vs direct | vs the bare relay process | proxy CPU per message |"
        );
        println!("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for case in CASES {
            if only.as_ref().is_some_and(|only| !case.name.contains(only.as_str())) {
                continue;
            }
            let path = format!("/{}/{}", case.count, case.size);
            // Per pinning, per path: each round's rate, its ratios, the proxy's CPU ticks.
            let empty = || vec![Vec::new(); paths.len()];
            let mut rates = vec![empty(); modes.len()];
            let mut ratios = vec![empty(); modes.len()];
            let mut to_bare = vec![empty(); modes.len()];
            let mut ticks = vec![vec![0u64; paths.len()]; modes.len()];
            for _ in 0..ROUNDS {
                for (mode_at, mode) in modes.iter().enumerate() {
                    mode.apply(&pids);
                    let mut round = vec![0.0; paths.len()];
                    for (at, way) in paths.iter().enumerate() {
                        let cpu = way.pid.map(process::cpu_ticks);
                        let url = format!("{}{path}", way.base);
                        let took = client(&url, case.count, case.size).await;
                        if let (Some(pid), Some(cpu)) = (way.pid, cpu) {
                            ticks[mode_at][at] += process::cpu_ticks(pid).saturating_sub(cpu);
                        }
                        round[at] = case.count as f64 / took.as_secs_f64();
                        rates[mode_at][at].push(round[at]);
                    }
                    for at in 0..paths.len() {
                        ratios[mode_at][at].push(round[at] / round[0]);
                        to_bare[mode_at][at].push(round[at] / round[1]);
                    }
                }
            }
            Pinning::Unpinned.apply(&pids);
            for (mode_at, mode) in modes.iter().enumerate() {
                for (at, way) in paths.iter().enumerate() {
                    let rate = median(rates[mode_at][at].clone());
                    let cpu = match way.pid {
                        // Clock ticks are 10 ms.
                        Some(_) => format!(
                            "{:.2} µs",
                            ticks[mode_at][at] as f64 * 10_000.0
                                / (case.count as f64 * ROUNDS as f64)
                        ),
                        None => "-".into(),
                    };
                    println!(
                        "| {} x {} | {} | {} | {rate:.0} | {:.1} | {:.2} | {:.2} | {cpu} |",
                        case.count,
                        case.name,
                        mode.name(),
                        way.name,
                        rate * case.size as f64 / 1e6,
                        median(ratios[mode_at][at].clone()),
                        median(to_bare[mode_at][at].clone()),
                    );
                }
            }
        }
        if only.is_none() {
            println!();
            println!("| idle proxied connections | proxy | RSS before | after | per connection |");
            println!("| ---: | --- | ---: | ---: | ---: |");
            idle_memory(&child, &via_cli, "`sockscope proxy`").await;
            if let (Some((old, via_old)), Some(exe)) = (&before, &baseline) {
                idle_memory(old, via_old, &format!("`{exe} proxy` (the baseline)")).await;
            }
        }
        let before = before.as_mut().map(|(old, _)| old);
        for process in [Some(&mut child), Some(&mut bare), before]
            .into_iter()
            .flatten()
        {
            let _ = process.kill();
            let _ = process.wait();
        }
        drop(library);
        library_runtime.shutdown_background();
    });
}

/// Opens [`IDLE`] connections through the proxy process and holds them idle; prints its
/// resident memory before and after, and the difference per connection, as a table row.
async fn idle_memory(child: &Child, via_cli: &str, name: &str) {
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
    println!(
        "| {IDLE} | {name} | {before} KiB | {after} KiB | {:.1} KiB |",
        (after.saturating_sub(before)) as f64 / IDLE as f64
    );
    drop(held);
    // The proxy closes them (and prints their close lines) before the next measurement.
    tokio::time::sleep(Duration::from_secs(1)).await;
}

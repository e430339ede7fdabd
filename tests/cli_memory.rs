//! The command line's memory stays bounded whatever the server and the reader do: a slow
//! reader of stdout, a server that floods, a server that never reads. Shown by the child's
//! resident memory (/proc/PID/status), never by timing.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The most the child may hold resident, in MiB, while the server sends far more.
const BOUND_MIB: u64 = 200;
/// The size of each flooded or fed message.
const MESSAGE: usize = 64 * 1024;

/// A server that sends `MESSAGE`-byte text messages to each connection: `count` of them (or
/// without end), then waits for `stop`, then closes with 1000 and reads until the end.
struct Flood {
    addr: SocketAddr,
    sent: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Flood {
    async fn start(count: Option<u64>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let sent = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (sent_by_server, stop_seen) = (Arc::clone(&sent), Arc::clone(&stop));
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (sent, stop) = (Arc::clone(&sent_by_server), Arc::clone(&stop_seen));
                tokio::spawn(async move {
                    let Ok(mut ws) = tokio_tungstenite::accept_async(socket).await else {
                        return;
                    };
                    let text: String = "x".repeat(MESSAGE);
                    let mut index = 0;
                    while count.is_none_or(|count| index < count) && !stop.load(Ordering::SeqCst) {
                        if ws.send(Message::text(text.clone())).await.is_err() {
                            return;
                        }
                        index += 1;
                        sent.fetch_add(1, Ordering::SeqCst);
                    }
                    while !stop.load(Ordering::SeqCst) {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    let frame = CloseFrame {
                        code: CloseCode::Normal,
                        reason: "enough".into(),
                    };
                    let _ = ws.close(Some(frame)).await;
                    while let Some(Ok(_)) = ws.next().await {}
                });
            }
        });
        Self { addr, sent, stop }
    }

    fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }
}

/// `messages` of `MESSAGE` bytes, in MiB.
fn mib(messages: u64) -> u64 {
    (messages * MESSAGE as u64) >> 20
}

/// A field of /proc/PID/status in KiB (VmRSS, VmHWM), or 0 once the process is gone.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The child's peak resident memory so far, in MiB.
fn peak_mib(child: &Child) -> u64 {
    status_kib(child.id(), "VmHWM") / 1024
}

fn sockscope(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// Waits until `progress` reaches `enough`, or stops moving for two seconds (the other side
/// is held back), checking on the way that the child's memory stays under the bound.
/// Returns the progress and the peak in MiB.
async fn watch(child: &Child, progress: impl Fn() -> u64, enough: u64) -> (u64, u64) {
    let mut last = 0;
    let mut still = 0;
    let mut peak = 0;
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak = peak.max(peak_mib(child));
        assert!(
            peak < BOUND_MIB,
            "the command line holds {peak} MiB after {} MiB went through",
            mib(progress())
        );
        let now = progress();
        if now >= enough {
            break;
        }
        still = if now == last && now > 0 { still + 1 } else { 0 };
        if still >= 20 {
            break;
        }
        last = now;
    }
    (progress(), peak)
}

/// Reads the child's stdout on a thread: every line, parsed, once it ends.
fn read_lines(child: &mut Child) -> std::thread::JoinHandle<Vec<serde_json::Value>> {
    let stdout = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .map(|line| serde_json::from_str(&line).expect("a JSON line"))
            .collect()
    })
}

fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut text);
    }
    text
}

async fn wait(mut child: Child) -> (i32, String) {
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait().expect("the child ends");
        (status, stderr_of(&mut child))
    })
    .await
    .expect("joined");
    (
        status.0.code().expect("exited, not killed by a signal"),
        status.1,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_with_a_stalled_reader_stops_reading_the_socket_and_loses_nothing() {
    let server = Flood::start(None).await;
    let url = server.url();
    let mut child = sockscope(&["connect", &url, "--wait", "inf"]);
    // Nobody reads stdout yet: the pipe fills at once.
    let (sent, peak) = watch(&child, || server.sent(), 16_384).await;
    assert!(
        sent < 16_384,
        "the server could send {} MiB to a reader that does not read",
        mib(sent)
    );
    eprintln!("held back after {} MiB, peak {peak} MiB", mib(sent));
    // Now read: every message the server sent arrives, then the close.
    let lines = read_lines(&mut child);
    server.stop.store(true, Ordering::SeqCst);
    let (status, stderr) = wait(child).await;
    let lines = lines.join().expect("read");
    let received = lines
        .iter()
        .filter(|l| l["event"] == "message" && l["dir"] == "in")
        .count() as u64;
    assert_eq!(received, server.sent(), "no message was dropped");
    let close = lines.last().expect("a close line");
    assert_eq!(
        (close["event"].as_str(), close["code"].as_u64()),
        (Some("close"), Some(1000))
    );
    assert_eq!(status, 0, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_echo_into_a_flood_that_never_reads_stops_reading_instead_of_queueing() {
    // The server sends without end and reads nothing: the echoes wait in the outgoing
    // queue, and once it is full the connection stops reading rather than holding more.
    let server = Flood::start(None).await;
    let url = server.url();
    let mut child = sockscope(&["connect", &url, "--echo", "--summary", "--wait", "inf"]);
    let (sent, peak) = watch(&child, || server.sent(), 16_384).await;
    assert!(
        sent < 16_384,
        "the server could send {} MiB to a client whose echoes nobody reads",
        mib(sent)
    );
    eprintln!("echo held back after {} MiB, peak {peak} MiB", mib(sent));
    child.kill().expect("kill");
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_stdin_into_a_server_that_never_reads_waits_for_room() {
    let addr = support::servers::deaf().await;
    let url = format!("ws://{addr}/");
    let mut child = sockscope(&["connect", &url, "--stdin", "--wait", "0"]);
    let lines = read_lines(&mut child);
    let mut stdin = child.stdin.take().expect("piped stdin");
    let fed = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&fed);
    std::thread::spawn(move || {
        let mut line = vec![b'y'; MESSAGE - 1];
        line.push(b'\n');
        while stdin.write_all(&line).is_ok() {
            counted.fetch_add(1, Ordering::SeqCst);
        }
    });
    let (lines_fed, peak) = watch(&child, || fed.load(Ordering::SeqCst), 16_384).await;
    assert!(
        lines_fed < 16_384,
        "{} MiB of input were taken for a server that reads nothing",
        mib(lines_fed)
    );
    eprintln!(
        "input held back after {} MiB, peak {peak} MiB",
        mib(lines_fed)
    );
    let mut child = child;
    child.kill().expect("kill");
    let _ = child.wait();
    let _ = lines.join();
}

/// Runs the binary against a server that sends `count` messages, waits until they have all
/// gone, and checks the child's peak memory stays under the bound while it keeps them.
async fn budgeted_run(
    server: &Flood,
    args: &[&str],
    count: u64,
) -> (i32, Vec<serde_json::Value>, String) {
    let mut child = sockscope(args);
    let lines = read_lines(&mut child);
    let (sent, peak) = watch(&child, || server.sent(), count).await;
    assert_eq!(sent, count, "the server sent everything");
    eprintln!("{} MiB sent, peak {peak} MiB", mib(sent));
    server.stop.store(true, Ordering::SeqCst);
    let pid = child.id();
    let watcher = tokio::spawn(async move {
        let mut peak = 0;
        loop {
            let now = status_kib(pid, "VmHWM") / 1024;
            if now == 0 {
                return peak;
            }
            peak = peak.max(now);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let (status, stderr) = wait(child).await;
    let peak = watcher.await.expect("watched");
    assert!(
        peak < BOUND_MIB,
        "peak {peak} MiB while saving or summing up"
    );
    (status, lines.join().expect("read"), stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_and_replay_keep_rows_but_not_payloads_past_the_budget() {
    // 4000 messages of 64 KiB: 250 MiB, with a budget of 16 MiB.
    const COUNT: u64 = 4000;
    let dir = tempfile::tempdir().expect("temp dir");
    let session = dir.path().join("run.ron");
    let session = session.to_str().expect("UTF-8 path");
    let server = Flood::start(Some(COUNT)).await;
    let url = server.url();
    let args = [
        "connect",
        &url,
        "--wait",
        "inf",
        "--summary",
        "--record",
        session,
        "--memory-budget",
        "16",
    ];
    let (status, lines, stderr) = budgeted_run(&server, &args, COUNT).await;
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(lines.last().expect("summary")["event"], "summary");
    let saved = std::fs::read_to_string(session).expect("the session was saved");
    let not_kept = saved.matches(&format!("not_kept: Some({MESSAGE})")).count() as u64;
    assert!(
        not_kept > COUNT - 16 * 1024 * 1024 / MESSAGE as u64 - 2,
        "past the budget, rows without payloads: {not_kept}"
    );
    assert!(
        saved.len() < 40 << 20,
        "the saved session holds {} bytes",
        saved.len()
    );

    // Replayed against the same flood: the recording's rows are all expected.
    let server = Flood::start(Some(COUNT)).await;
    let url = server.url();
    let args = [
        "replay",
        session,
        "--url",
        &url,
        "--memory-budget",
        "16",
        "--fast",
    ];
    let (status, lines, stderr) = budgeted_run(&server, &args, COUNT).await;
    let summary = lines.last().expect("a summary line");
    assert_eq!(summary["event"], "replay-summary", "{stderr}");
    assert_eq!(summary["received"].as_u64(), Some(COUNT), "{summary}");
    let not_kept = summary["not_kept"]["messages"].as_u64().unwrap_or(0);
    assert!(not_kept > 3000, "{}", summary["not_kept"]);
    // What was not kept cannot be compared: it never counts as matched.
    assert!(
        summary["different"].as_u64().unwrap_or(0) >= not_kept,
        "{}",
        summary["different"]
    );
    let differences = summary["differences"].as_array().expect("differences");
    assert_eq!(
        differences[differences.len() - 1]["actual"]["not_kept"],
        MESSAGE
    );
    assert_eq!(status, 3, "not everything could be compared");
}

/// A server that completes the handshake, then sends a frame header claiming 2^62 bytes.
async fn giant_header() -> SocketAddr {
    use tokio::io::AsyncWriteExt;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(socket).await else {
                    return;
                };
                let header = [0x82, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0];
                if ws.get_mut().write_all(&header).await.is_err() {
                    return;
                }
                let _ = ws.get_mut().write_all(&[0u8; 4096]).await;
                let mut socket = ws.into_inner();
                let mut sink = Vec::new();
                let _ = tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut sink).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_huge_message_size_limit_is_clamped_and_a_giant_frame_closes_with_1009() {
    let addr = giant_header().await;
    let url = format!("ws://{addr}/");
    let run = support::cli::sockscope(&[
        "connect",
        &url,
        "--max-message-size",
        "4611686018427387904",
        "--wait",
        "inf",
    ])
    .await;
    assert!(
        run.stderr
            .contains("--max-message-size 4611686018427387904 is above the ceiling"),
        "{}",
        run.stderr
    );
    let close = run.lines.last().expect("a close line");
    assert_eq!(close["event"], "close");
    assert_eq!(close["code"], 1009, "{close}");
    assert!(
        close["reason"]
            .as_str()
            .is_some_and(|r| r.contains("exceeds the limit")),
        "{close}"
    );
    assert_eq!(run.status, 1);
}

/// A plain HTTP server that answers with an event stream of `MESSAGE`-byte events, without
/// end; counts the events written.
async fn sse_flood() -> (SocketAddr, Arc<AtomicU64>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let event = format!("data: {}\n\n", "s".repeat(MESSAGE - 8));
                while socket.write_all(event.as_bytes()).await.is_ok() {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    (addr, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sse_with_a_stalled_reader_stops_reading_the_stream() {
    let (addr, sent) = sse_flood().await;
    let url = format!("http://{addr}/");
    let mut child = sockscope(&["sse", &url]);
    let (events, peak) = watch(&child, || sent.load(Ordering::SeqCst), 16_384).await;
    assert!(
        events < 16_384,
        "the server could send {} MiB to a reader that does not read",
        mib(events)
    );
    eprintln!("held back after {} MiB, peak {peak} MiB", mib(events));
    let _ = child.kill();
    let _ = child.wait();
}

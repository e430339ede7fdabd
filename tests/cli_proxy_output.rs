//! `sockscope proxy` whose output nobody reads: the relays wait for the printer (at most
//! 32 MiB of events wait to be printed), so a flood through the proxy stops instead of
//! growing its memory, and goes on once the output is read. The upstream is Node `ws`
//! (pinned in tests/node).

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use support::node;
use tokio_tungstenite::tungstenite::Message;

/// The proxy's resident memory in KiB, from /proc.
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_output_holds_a_flood_back_instead_of_growing_memory_then_lets_it_through() {
    const COUNT: usize = 300;
    let Some(env) = node::env("proxy unread output") else {
        return;
    };
    let upstream = env.server("proxy_upstream.js", &[]);
    let base = format!("ws://127.0.0.1:{}/base", upstream.port);
    let mut proxy = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["proxy", "--listen", "127.0.0.1:0", "--upstream", &base])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the proxy starts");
    let mut output = BufReader::new(proxy.stdout.take().expect("piped"));
    let mut first = String::new();
    output.read_line(&mut first).expect("the listening line");
    let url = first
        .trim()
        .strip_prefix("listening on ")
        .expect("listening on ws://…")
        .to_string();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{url}/flood"))
        .await
        .expect("the proxy accepts");
    // 300 binary messages of 1 MiB from the upstream at once; nothing reads the proxy's
    // JSON lines (each with the message in hex).
    ws.send(Message::text(format!("flood:{COUNT}:1048576")))
        .await
        .unwrap();
    let baseline = resident_kib(proxy.id());
    let mut most = baseline;
    let mut got = 0;
    while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(3), ws.next()).await
    {
        got += usize::from(message.is_binary());
        most = most.max(resident_kib(proxy.id()));
    }
    most = most.max(resident_kib(proxy.id()));
    eprintln!("unread output: {got} of {COUNT} messages through, {baseline} KiB -> {most} KiB");
    assert!(
        got < COUNT / 3,
        "{got} of {COUNT} messages went through a proxy whose output nobody read"
    );
    // The waiting events (32 MiB), a message in flight per direction and the buffers: far
    // below the 300 MiB the upstream sent.
    assert!(
        most < baseline + 100 * 1024,
        "the proxy grew from {baseline} KiB to {most} KiB"
    );
    // Read again: the rest arrives, and each message gets its two lines (the upstream
    // leg's `in`, the client leg's `out`).
    let lines = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&lines);
    std::thread::spawn(move || {
        let mut chunk = vec![0u8; 1 << 16];
        while let Ok(n) = output.read(&mut chunk) {
            if n == 0 {
                break;
            }
            let newlines = chunk[..n].iter().filter(|&&b| b == b'\n').count();
            counted.fetch_add(newlines, Ordering::Relaxed);
        }
    });
    while got < COUNT {
        match tokio::time::timeout(Duration::from_secs(20), ws.next()).await {
            Ok(Some(Ok(message))) => got += usize::from(message.is_binary()),
            other => panic!("after {got} messages: {other:?}"),
        }
    }
    for _ in 0..200 {
        if lines.load(Ordering::Relaxed) >= 2 * COUNT {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = proxy.kill();
    let _ = proxy.wait();
    let lines = lines.load(Ordering::Relaxed);
    assert!(lines >= 2 * COUNT, "{lines} lines for {COUNT} messages");
}

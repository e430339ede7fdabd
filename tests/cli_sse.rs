//! `sockscope sse` as scripts use it: JSON lines on stdout, exit statuses, one-line usage
//! errors on stderr. The demo server runs in the test process on a free port.

mod support;

use serde_json::Value;
use support::cli::{Run, events, sockscope};
use support::demo;

fn sse_lines(run: &Run) -> Vec<&Value> {
    run.lines.iter().filter(|l| l["event"] == "sse").collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_events_across_a_reconnect_prints_ids_1_to_7_and_exits_0() {
    let server = demo().await;
    let url = server.http_url("/sse");
    let run = sockscope(&["sse", &url, "--max-events", "7"]).await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let sse = sse_lines(&run);
    let ids: Vec<_> = sse
        .iter()
        .map(|l| l["id"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6", "7"]);
    for (i, line) in sse.iter().enumerate() {
        assert_eq!(line["type"], "tick");
        let data: Value = serde_json::from_str(line["data"].as_str().unwrap()).unwrap();
        assert_eq!(data["n"], i + 1);
        assert_eq!(line["attempt"], if i < 5 { 1 } else { 2 });
    }
    assert_eq!(run.lines[0]["event"], "connecting");
    assert_eq!(run.lines[0]["url"], url);
    assert_eq!(run.lines[0]["seq"], 0);
    assert_eq!(run.lines[1]["event"], "open");
    assert_eq!(run.lines[1]["status"], 200);
    assert_eq!(run.lines[1]["headers"]["content-type"], "text/event-stream");
    let reconnecting = run
        .lines
        .iter()
        .find(|l| l["event"] == "reconnecting")
        .expect("a reconnecting line");
    assert_eq!(reconnecting["attempt"], 2);
    assert_eq!(reconnecting["last_event_id"], "5");
    let opens: Vec<_> = run.lines.iter().filter(|l| l["event"] == "open").collect();
    assert_eq!(opens[1]["request_headers"]["last-event-id"], "5");
    let closes: Vec<_> = run.lines.iter().filter(|l| l["event"] == "close").collect();
    assert_eq!(closes.len(), 2);
    assert_eq!(closes[1]["initiator"], "client");
    assert_eq!(closes[1]["was_clean"], true);
    // seq runs on over attempts, without gaps, on every numbered line.
    let seqs: Vec<_> = run.lines.iter().filter_map(|l| l["seq"].as_u64()).collect();
    assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
    let summary = run.lines.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["end"], "max-events");
    assert_eq!(summary["events"], 7);
    assert_eq!(summary["comments"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_ended_by_204_exits_0() {
    let server = demo().await;
    let url = server.http_url("/sse?count=3&drop=0&interval=10");
    let run = sockscope(&["sse", &url, "--show-comments"]).await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    assert_eq!(
        events(&run),
        [
            "connecting",
            "open",
            "sse",
            "sse",
            "sse-comment",
            "sse",
            "close",
            "reconnecting",
            "connecting",
            "close",
            "summary"
        ]
    );
    assert_eq!(
        sse_lines(&run)[0]["retry"],
        Value::Null,
        "no retry in that block"
    );
    assert_eq!(run.lines[4]["text"], "keep-alive");
    assert_eq!(run.lines.last().unwrap()["end"], "no-content");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_exits_1_with_the_status_and_body() {
    let server = demo().await;
    let run = sockscope(&["sse", &server.http_url("/nope"), "--retry", "50"]).await;
    assert_eq!(run.status, 1, "stderr: {}", run.stderr);
    assert_eq!(events(&run), ["connecting", "error", "close", "summary"]);
    let error = &run.lines[1];
    assert_eq!(error["category"], "http");
    assert_eq!(error["status"], 404);
    assert!(error["body"].as_str().unwrap().contains("/sse"), "{error}");
    assert_eq!(run.lines[2]["code"], 1006);
    assert_eq!(run.lines[3]["end"], "failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn giving_up_after_max_reconnects_exits_1() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/sse");
    let run = sockscope(&["sse", &url, "--retry", "20", "--max-reconnects", "1"]).await;
    assert_eq!(run.status, 1, "stderr: {}", run.stderr);
    let refused = run
        .lines
        .iter()
        .filter(|l| l["event"] == "error" && l["category"] == "refused")
        .count();
    assert_eq!(refused, 2);
    assert_eq!(run.lines.last().unwrap()["end"], "gave-up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2_with_one_line() {
    for (args, needle) in [
        (vec!["sse", "ws://127.0.0.1:1/sse"], "WebSocket URL"),
        (vec!["sse", "not a url"], "bad URL"),
        (
            vec!["sse", "http://127.0.0.1:1/", "-H", "no colon"],
            "Name: value",
        ),
        (
            vec!["sse", "http://127.0.0.1:1/", "--max-event-size", "0"],
            "the event size limit must be at least 1 byte (it is 0)",
        ),
    ] {
        let run = sockscope(&args).await;
        assert_eq!(run.status, 2, "{args:?}: {}", run.stderr);
        assert!(run.lines.is_empty(), "{args:?}: nothing on stdout");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    let run = sockscope(&["sse", "http://127.0.0.1:1/", "--max-events", "0"]).await;
    assert_eq!(run.status, 2, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_event_size_fails_a_stream_whose_event_is_larger() {
    let server = demo().await;
    let url = server.http_url("/sse?count=2");
    let run = sockscope(&["sse", &url, "--max-event-size", "8"]).await;
    assert_eq!(run.status, 1, "stderr: {}", run.stderr);
    let error = run
        .lines
        .iter()
        .find(|l| l["event"] == "error")
        .expect("an error line");
    assert_eq!(error["category"], "protocol");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("larger than 8 bytes")),
        "{error}"
    );
    assert_eq!(events(&run).iter().filter(|e| **e == "sse").count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_and_auth_reach_the_stream_request_and_the_token_never_prints() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let request = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 1024];
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        // 204: the stream ends for good, as EventSource does.
        let _ = socket
            .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            .await;
        String::from_utf8(seen).unwrap()
    });
    let run = sockscope(&[
        "sse",
        &format!("http://127.0.0.1:{}/events", addr.port()),
        "--query",
        "topic=a b",
        "--auth",
        "bearer:sse-token-123456",
    ])
    .await;
    let request = request.await.unwrap();
    assert!(
        request.starts_with("GET /events?topic=a%20b HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request
            .to_ascii_lowercase()
            .contains("authorization: bearer sse-token-123456\r\n"),
        "{request}"
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let printed: String = run.lines.iter().map(|l| l.to_string()).collect();
    assert!(!printed.contains("sse-token-123456"), "{printed}");
}

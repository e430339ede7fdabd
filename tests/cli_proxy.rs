//! `sockscope proxy` between a real client and a real server that Sockscope did not write
//! (Node `ws` on both sides, pinned in tests/node): what the client and the server see
//! must be what they would see on a direct connection, and the proxy's JSON lines must
//! show both legs.

mod support;

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::json_lines_process::Serving;
use support::node::{self, NodeEnv, NodeServer};

/// `sockscope proxy` on a free port in front of `upstream`, with `extra` flags.
fn start_proxy(upstream: &str, extra: &[&str]) -> Serving {
    let mut args = vec!["proxy", "--listen", "127.0.0.1:0", "--upstream", upstream];
    args.extend_from_slice(extra);
    Serving::start(&args)
}

/// The Node packages, the upstream server and a proxy in front of it; `None` when the npm
/// registry is unreachable (a loud SKIPPED was printed).
fn setup(test: &str, extra: &[&str]) -> Option<(NodeEnv, NodeServer, Serving)> {
    let env = node::env(test)?;
    let upstream = env.server("proxy_upstream.js", &[]);
    let base = format!("ws://127.0.0.1:{}/base", upstream.port);
    let proxy = start_proxy(&base, extra);
    Some((env, upstream, proxy))
}

/// Runs the Node client against `url` with `actions`; its JSON lines.
fn client(env: &NodeEnv, url: &str, actions: Value) -> Vec<Value> {
    env.run("proxy_client.js", &[url, &actions.to_string()])
        .lines()
        .map(|line| serde_json::from_str(line).expect("the client prints JSON"))
        .collect()
}

fn find<'a>(lines: &'a [Value], event: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["event"] == event)
        .unwrap_or_else(|| panic!("no {event} in {lines:#?}"))
}

/// A header's value from a JSON object of headers, the name compared without case.
fn header<'a>(headers: &'a Value, name: &str) -> &'a Value {
    headers
        .as_object()
        .and_then(|map| map.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)))
        .map(|(_, value)| value)
        .unwrap_or_else(|| panic!("no {name} in {headers}"))
}

/// The upstream's lines until it reports a close.
fn upstream_close(server: &mut NodeServer) -> Value {
    while let Some(line) = server.next_line() {
        let value: Value = serde_json::from_str(&line).expect("the server prints JSON");
        if value["event"] == "close" {
            return value;
        }
    }
    panic!("the upstream ended without reporting a close");
}

#[test]
fn the_request_passes_on_and_messages_pings_and_the_close_relay_byte_for_byte() {
    let extra = [
        "--header",
        "X-Added: by-proxy",
        "--strip-header",
        "x-strip-me",
    ];
    let Some((env, mut upstream, mut proxy)) = setup("proxy relay", &extra) else {
        return;
    };
    let url = format!("{}/chat?room=7", proxy.url);
    let text = "héllo ✓ {\"a\":1}";
    let seen = client(
        &env,
        &url,
        json!([
            ["recv"],
            ["text", text],
            ["binary", "00ff10fe80"],
            ["ping", "client-ping"],
            ["say", "ping"],
            ["await", "ping"],
            ["close", 4000, "client bye"]
        ]),
    );
    // The handshake as the client saw it: the upstream's subprotocol and headers.
    assert_eq!(find(&seen, "open")["protocol"], "chat.v2");
    assert_eq!(find(&seen, "upgrade")["headers"]["x-upstream"], "yes");
    // What the upstream was asked: the client's path and query after the base, its
    // subprotocol offer and headers, with --header and --strip-header applied.
    let messages: Vec<&Value> = seen.iter().filter(|l| l["event"] == "message").collect();
    let report: Value = serde_json::from_str(messages[0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(report["url"], "/base/chat?room=7");
    assert_eq!(report["protocol"], "chat.v2");
    let headers = &report["headers"];
    assert_eq!(headers["sec-websocket-protocol"], "chat.v2,chat.v1");
    assert_eq!(headers["origin"], "http://app.example");
    assert_eq!(headers["cookie"], "session=cookie-secret-value");
    assert_eq!(headers["authorization"], "Bearer token-secret-value");
    assert_eq!(headers["x-added"], "by-proxy");
    assert!(headers.get("x-strip-me").is_none(), "{headers}");
    // Echoes came back byte for byte, with their types.
    assert_eq!(messages[1]["type"], "text");
    assert_eq!(messages[1]["text"], text);
    assert_eq!(messages[2]["type"], "binary");
    assert_eq!(messages[2]["hex"], "00ff10fe80");
    // Pings both ways were answered with their payloads.
    assert!(
        seen.iter()
            .any(|l| l["event"] == "pong" && l["text"] == "client-ping")
    );
    assert_eq!(find(&seen, "ping")["text"], "up-ping");
    // The client's close reached the upstream with its code and reason, and came back clean.
    let close = find(&seen, "close");
    assert_eq!(
        (&close["code"], &close["reason"], &close["wasClean"]),
        (&json!(4000), &json!("client bye"), &json!(true))
    );
    let mut upstream_saw = Vec::new();
    while let Some(line) = upstream.next_line() {
        let value: Value = serde_json::from_str(&line).unwrap();
        let end = value["event"] == "close";
        upstream_saw.push(value);
        if end {
            break;
        }
    }
    assert!(upstream_saw.contains(&json!({"event": "ping", "text": "client-ping"})));
    assert!(upstream_saw.contains(&json!({"event": "pong", "text": "up-ping"})));
    assert_eq!(
        upstream_saw.last(),
        Some(&json!({"event": "close", "code": 4000, "reason": "client bye"}))
    );

    // The proxy's lines: both legs, numbered, in order, secrets redacted.
    let lines = proxy.until_closed(1, 2);
    assert!(lines.iter().all(|l| l["conn"] == 1));
    let seqs: Vec<u64> = lines.iter().map(|l| l["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (0..lines.len() as u64).collect::<Vec<_>>());
    let legs = |event: &str| -> Vec<(String, String)> {
        lines
            .iter()
            .filter(|l| l["event"] == event)
            .map(|l| {
                (
                    l["leg"].as_str().unwrap().to_string(),
                    l["dir"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    assert_eq!(lines[0]["event"], "connecting");
    assert_eq!(lines[0]["leg"], "upstream");
    assert!(
        lines[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/base/chat?room=7")
    );
    let sent_text: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "message" && l["text"] == text)
        .collect();
    let order: Vec<(&Value, &Value)> = sent_text.iter().map(|l| (&l["leg"], &l["dir"])).collect();
    assert_eq!(
        order,
        [
            (&json!("client"), &json!("in")),
            (&json!("upstream"), &json!("out")),
            (&json!("upstream"), &json!("in")),
            (&json!("client"), &json!("out")),
        ]
    );
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "message" && l["type"] == "binary" && l["hex"] == "00ff10fe80")
    );
    assert!(legs("ping").contains(&("client".into(), "in".into())));
    assert!(legs("ping").contains(&("upstream".into(), "out".into())));
    let opens: Vec<&Value> = lines.iter().filter(|l| l["event"] == "open").collect();
    assert_eq!(opens.len(), 2);
    for open in &opens {
        assert_eq!(open["subprotocol"], "chat.v2");
        assert_eq!(
            header(&open["request_headers"], "authorization"),
            "[redacted]"
        );
        assert_eq!(header(&open["request_headers"], "cookie"), "[redacted]");
    }
    let all = serde_json::to_string(&lines).unwrap();
    assert!(
        !all.contains("token-secret-value"),
        "a secret leaked: {all}"
    );
    assert!(
        !all.contains("cookie-secret-value"),
        "a secret leaked: {all}"
    );
    for leg in ["client", "upstream"] {
        let close = lines
            .iter()
            .find(|l| l["event"] == "close" && l["leg"] == leg)
            .unwrap();
        assert_eq!(close["code"], 4000, "{close}");
        assert_eq!(close["reason"], "client bye");
        assert_eq!(close["was_clean"], true);
    }
    let client_close = lines
        .iter()
        .find(|l| l["event"] == "close" && l["leg"] == "client")
        .unwrap();
    assert_eq!(client_close["initiator"], "client");
}

#[test]
fn the_upstreams_close_reaches_the_client_with_its_code_and_reason() {
    let Some((env, mut upstream, mut proxy)) = setup("proxy upstream close", &[]) else {
        return;
    };
    let seen = client(
        &env,
        &proxy.url,
        json!([["recv"], ["say", "close:4001:server bye"]]),
    );
    let close = find(&seen, "close");
    assert_eq!(
        (&close["code"], &close["reason"], &close["wasClean"]),
        (&json!(4001), &json!("server bye"), &json!(true))
    );
    assert_eq!(upstream_close(&mut upstream)["code"], 4001);
    let lines = proxy.until_closed(1, 2);
    let upstream_close = lines
        .iter()
        .find(|l| l["event"] == "close" && l["leg"] == "upstream")
        .unwrap();
    assert_eq!(upstream_close["initiator"], "server");
    assert_eq!(upstream_close["was_clean"], true);
}

#[test]
fn an_abrupt_upstream_drop_becomes_an_abrupt_client_drop() {
    let Some((env, _upstream, mut proxy)) = setup("proxy drop", &[]) else {
        return;
    };
    let seen = client(&env, &proxy.url, json!([["recv"], ["say", "drop"]]));
    let close = find(&seen, "close");
    // 1006 with wasClean false: the client got no close frame, just the end of the stream.
    assert_eq!(
        (&close["code"], &close["wasClean"]),
        (&json!(1006), &json!(false))
    );
    let lines = proxy.until_closed(1, 2);
    for leg in ["upstream", "client"] {
        let close = lines
            .iter()
            .find(|l| l["event"] == "close" && l["leg"] == leg)
            .unwrap();
        assert_eq!(close["code"], 1006, "{close}");
        assert_eq!(close["was_clean"], false);
    }
}

#[test]
fn a_refusal_reaches_the_client_with_its_status_headers_and_body() {
    let Some((env, _upstream, mut proxy)) = setup("proxy refusal", &[]) else {
        return;
    };
    let url = format!("{}/refuse", proxy.url);
    let seen = client(&env, &url, json!([]));
    let refusal = find(&seen, "unexpected-response");
    assert_eq!(refusal["status"], 401);
    assert_eq!(refusal["body"], "token expired: log in again\n");
    assert_eq!(
        refusal["headers"]["www-authenticate"],
        "Bearer realm=\"proxy-test\""
    );
    let lines = proxy.until_closed(1, 2);
    let error = find(&lines, "error");
    assert_eq!(error["leg"], "upstream");
    assert_eq!(error["status"], 401);
    assert_eq!(error["body"], "token expired: log in again\n");
}

/// `sockscope replay FILE --tab TAB` with `extra` flags against `url`: its exit status and
/// its `replay-summary` line.
fn replay(file: &str, tab: &str, url: &str, extra: &[&str]) -> (i32, Value) {
    let replayed = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["replay", file, "--tab", tab, "--fast", "--url", url])
        .args(extra)
        .output()
        .expect("replay runs");
    let stdout = String::from_utf8_lossy(&replayed.stdout);
    let summary = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["event"] == "replay-summary")
        .unwrap_or_else(|| json!({"stderr": String::from_utf8_lossy(&replayed.stderr)}));
    (replayed.status.code().unwrap_or(-1), summary)
}

#[test]
fn record_saves_one_tab_per_connection_with_both_legs_and_it_replays_against_the_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("proxied.session.ron");
    let file_arg = file.to_str().unwrap();
    let Some((env, upstream, mut proxy)) = setup("proxy record", &["--record", file_arg]) else {
        return;
    };
    let url = format!("{}/echo", proxy.url);
    let seen = client(
        &env,
        &url,
        json!([
            ["recv"],
            ["text", "hello"],
            ["binary", "0102"],
            ["close", 1000, "done"]
        ]),
    );
    assert_eq!(find(&seen, "close")["code"], 1000);
    proxy.until_closed(1, 2);
    let saved = std::fs::read_to_string(&file).expect("the session was saved");
    assert!(saved.contains("\"conn 1\""), "{saved}");
    assert!(
        !saved.contains("conn 1 upstream"),
        "one tab, not two: {saved}"
    );
    assert!(saved.contains("leg: Some(client)"), "{saved}");
    assert!(saved.contains("leg: Some(upstream)"), "{saved}");
    assert!(
        !saved.contains("token-secret-value"),
        "a secret was saved: {saved}"
    );
    assert!(
        !saved.contains("cookie-secret-value"),
        "a secret was saved: {saved}"
    );
    // The one tab shows both legs in the order they happened: the client's "hello" came
    // in on the client leg before it went out on the upstream leg, and its echo came in
    // on the upstream leg before it went out to the client.
    let session = sockscope::model::session::SessionFile::load(&file).expect("it loads");
    assert_eq!(session.tabs.len(), 1);
    let hello: Vec<String> = session.tabs[0]
        .timeline
        .iter()
        .filter(|e| format!("{:?}", e.kind).contains("\"hello\""))
        .map(|e| {
            format!("{:?} {:?}", e.leg, e.kind)
                .split(" payload")
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        hello,
        [
            "Some(Client) Message { dir: In,",
            "Some(Upstream) Message { dir: Out,",
            "Some(Upstream) Message { dir: In,",
            "Some(Client) Message { dir: Out,",
        ]
    );

    // Replayed against the real server (the client's sends by default, or what went
    // upstream), the echoes come back the same (the first message, the server's report
    // of the request, differs by its random handshake key).
    let real = format!("ws://127.0.0.1:{}/base/echo", upstream.port);
    for extra in [&[][..], &["--leg", "client"], &["--leg", "upstream"]] {
        let (status, summary) = replay(file_arg, "conn 1", &real, extra);
        assert_eq!(summary["expected"], 3, "{extra:?}: {summary}");
        assert_eq!(summary["matched"], 2, "{extra:?}: {summary}");
        assert_eq!(summary["different"], 1, "{extra:?}: {summary}");
        assert_eq!(status, 3, "a difference exits 3: {summary}");
    }
}

#[test]
fn replay_leg_on_a_tab_without_legs_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain.session.ron");
    let file = file.to_str().unwrap();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/saved_sessions/echo.session.ron"
    );
    std::fs::copy(path, file).expect("an example session");
    let (status, summary) = replay(file, "1", "ws://127.0.0.1:9/", &["--leg", "upstream"]);
    assert_eq!(status, 2, "{summary}");
    assert!(
        summary["stderr"]
            .as_str()
            .is_some_and(|e| e.contains("not a proxy recording")),
        "{summary}"
    );
}

#[test]
fn fragmented_and_16_mib_messages_arrive_byte_identical() {
    let Some((env, _upstream, mut proxy)) = setup("proxy big", &[]) else {
        return;
    };
    let seen = client(
        &env,
        &proxy.url,
        json!([
            ["recv"],
            ["fragments", "frag-", "ment ✓"],
            ["big", 16],
            ["close", 1000, ""]
        ]),
    );
    let messages: Vec<&Value> = seen.iter().filter(|l| l["event"] == "message").collect();
    assert_eq!(messages[1]["text"], "frag-ment ✓");
    let sent = find(&seen, "sent");
    assert_eq!(sent["len"], 16 << 20);
    assert_eq!(messages[2]["type"], "binary");
    assert_eq!(messages[2]["len"], sent["len"]);
    assert_eq!(messages[2]["sha256"], sent["sha256"]);
    let lines = proxy.until_closed(1, 2);
    let big: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "message" && l["len"] == 16 << 20)
        .collect();
    assert_eq!(
        big.len(),
        4,
        "client in, upstream out, upstream in, client out"
    );
    assert!(
        big.iter()
            .all(|l| l["hex"].as_str().map(str::len) == Some(32 << 20))
    );
}

#[test]
fn sigterm_closes_both_legs_with_1001_and_exits_0() {
    let Some((_env, mut upstream, mut proxy)) = setup("proxy sigterm", &[]) else {
        return;
    };
    let node_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    let client = Command::new("node")
        .arg(node_dir.join("proxy_client.js"))
        .args([&proxy.url, "[]"])
        .current_dir(&node_dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    proxy.lines_until(|lines| {
        lines
            .iter()
            .any(|l| l["event"] == "open" && l["leg"] == "client")
    });
    let pid = i32::try_from(proxy.child.id()).expect("a pid");
    // SAFETY: kill(2) on the child this test started; no memory is involved.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let output = client.wait_with_output().expect("the client ends");
    let seen: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect();
    let close = find(&seen, "close");
    assert_eq!(
        (&close["code"], &close["wasClean"]),
        (&json!(1001), &json!(true))
    );
    assert_eq!(upstream_close(&mut upstream)["code"], 1001);
    let lines = proxy.until_closed(1, 2);
    for (leg, initiator) in [("client", "server"), ("upstream", "client")] {
        let close = lines
            .iter()
            .find(|l| l["event"] == "close" && l["leg"] == leg)
            .unwrap();
        assert_eq!(close["code"], 1001, "{close}");
        assert_eq!(close["was_clean"], true, "{close}");
        assert_eq!(close["initiator"], initiator, "{close}");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = proxy.child.try_wait().expect("the proxy's status") {
            break status;
        }
        assert!(Instant::now() < deadline, "the proxy did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

/// The proxy's resident memory in KiB, from /proc.
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

#[test]
fn a_client_that_stops_reading_holds_the_upstream_back_instead_of_growing_memory() {
    use std::io::{Read, Write};
    let Some((_env, _upstream, mut proxy)) = setup("proxy backpressure", &[]) else {
        return;
    };
    let addr = proxy.url.trim_start_matches("ws://").to_string();
    let mut tcp = std::net::TcpStream::connect(&addr).expect("the proxy accepts");
    write!(
        tcp,
        "GET /flood HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        tcp.read_exact(&mut byte).expect("the handshake answer");
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    // 300 messages of 1 MiB from the upstream at once, then this client reads nothing.
    let command = b"flood:300:1048576";
    let mut frame = vec![0x81, 0x80 | command.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(command);
    tcp.write_all(&frame).unwrap();
    let baseline = resident_kib(proxy.child.id());
    let mut most = baseline;
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(100));
        most = most.max(resident_kib(proxy.child.id()));
    }
    // One message in flight per direction, the socket buffers and the event queue's 32 MiB
    // at most: far below the 300 MiB the upstream sent.
    assert!(
        most < baseline + 100 * 1024,
        "the proxy grew from {baseline} KiB to {most} KiB"
    );
    let relayed = proxy
        .drain()
        .iter()
        .filter(|l| l["event"] == "message" && l["leg"] == "client")
        .count();
    eprintln!("backpressure: {baseline} KiB -> {most} KiB, {relayed} messages relayed");
    assert!(
        relayed < 100,
        "{relayed} messages went to a client that reads nothing"
    );
    drop(tcp);
}

#[test]
fn a_thousand_concurrent_connections_each_get_their_own_upstream() {
    const COUNT: u64 = 1000;
    let Some((env, _upstream, proxy)) = setup("proxy concurrency", &[]) else {
        return;
    };
    let said = env.run("proxy_many.js", &[&proxy.url, &COUNT.to_string()]);
    let summary: Value = serde_json::from_str(said.trim()).expect("one JSON line");
    assert_eq!(summary["ok"], COUNT, "{summary}");
    let mut by_conn: HashMap<u64, Vec<Value>> = HashMap::new();
    let mut closes = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while closes < 2 * COUNT {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = proxy.next_line(left).expect("every close within 20 s");
        closes += u64::from(line["event"] == "close");
        let conn = line["conn"].as_u64().expect("a conn number");
        by_conn.entry(conn).or_default().push(line);
    }
    assert_eq!(by_conn.len() as u64, COUNT);
    // Each connection's upstream leg went to its own path, and its echo stayed on it.
    for (conn, lines) in &by_conn {
        let url = lines[0]["url"].as_str().expect("connecting comes first");
        let n = url.rsplit('/').next().expect("a path");
        let echoed = lines
            .iter()
            .filter(|l| l["event"] == "message" && l["text"] == format!("client-{n}"))
            .count();
        assert_eq!(echoed, 4, "conn {conn}: {lines:#?}");
        let clean = lines
            .iter()
            .filter(|l| l["event"] == "close" && l["was_clean"] == true && l["code"] == 1000)
            .count();
        assert_eq!(clean, 2, "conn {conn}: {lines:#?}");
    }
}

#[tokio::test]
async fn a_bad_upstream_header_or_record_folder_is_a_usage_error_exit_2() {
    let base = ["proxy", "--listen", "127.0.0.1:0"];
    let cases: [(&[&str], &str); 3] = [
        (&["--upstream", "http://127.0.0.1:1/"], "--upstream"),
        (
            &["--upstream", "ws://127.0.0.1:1/", "--header", "no colon"],
            "--header",
        ),
        (
            &[
                "--upstream",
                "ws://127.0.0.1:1/",
                "--record",
                "/no/such/folder/s.ron",
            ],
            "--record",
        ),
    ];
    for (args, named) in cases {
        let all: Vec<&str> = base.iter().chain(args).copied().collect();
        let run = support::cli::sockscope(&all).await;
        assert_eq!(run.status, 2, "{all:?}: {}", run.stderr);
        assert!(run.stderr.contains(named), "{all:?}: {}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
        assert!(run.lines.is_empty());
    }
}

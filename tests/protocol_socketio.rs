//! `sockscope connect --protocol socketio` against the reference Socket.IO server
//! (`socket.io` 4.8.4, tests/node/socketio_server.js, which prints what it received): the
//! endpoint built from an http:// address, events both ways, acks both ways, namespaces,
//! binary attachments byte for byte, Engine.IO 3, heartbeats, a refused auth and a server
//! that offers only long-polling. Skipped loudly when the npm registry is unreachable.

mod support;

use serde_json::{Value, json};

use support::cli::{Run, messages, sockscope};
use support::node::{self, NodeServer};

/// The reference server with `flags`, or `None` (after a SKIPPED line) when its packages
/// cannot be installed.
fn reference(test: &str, flags: &[&str]) -> Option<NodeServer> {
    Some(node::env(test)?.server("socketio_server.js", flags))
}

/// What the server printed, once it has ended (it does shortly after the client's
/// connection closed).
fn server_saw(server: &mut NodeServer) -> Vec<Value> {
    std::iter::from_fn(|| server.next_line())
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect()
}

fn address(server: &NodeServer) -> String {
    format!("http://127.0.0.1:{}", server.port)
}

/// The message lines going `dir` that carry a `protocol` object of type `kind`.
fn lines_of<'a>(run: &'a Run, dir: &str, kind: &str) -> Vec<&'a Value> {
    messages(run, dir)
        .into_iter()
        .filter(|line| line["protocol"]["type"] == kind)
        .collect()
}

/// The `protocol` objects of type `kind` going `dir`.
fn units<'a>(run: &'a Run, dir: &str, kind: &str) -> Vec<&'a Value> {
    lines_of(run, dir, kind)
        .into_iter()
        .map(|line| &line["protocol"])
        .collect()
}

fn close_line(run: &Run) -> &Value {
    run.lines
        .iter()
        .find(|line| line["event"] == "close")
        .expect("a close line")
}

fn stdout_text(run: &Run) -> String {
    run.lines
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every byte value once, and its base64.
fn all_bytes() -> (Vec<u8>, String) {
    use base64::Engine as _;
    let bytes: Vec<u8> = (0..=255).collect();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    (bytes, encoded)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_address_reaches_the_endpoint_and_an_event_comes_back_decoded() {
    let test = "an_http_address_reaches_the_endpoint_and_an_event_comes_back_decoded";
    let Some(mut server) = reference(test, &[]) else {
        return;
    };
    let run = sockscope(&[
        "connect",
        &address(&server),
        "--protocol",
        "socketio",
        "--protocol-option",
        "query=room=blue",
        "--op",
        r#"{"type":"event","event":"chat","args":["hi",{"n":1}]}"#,
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    assert_eq!(
        run.lines[0]["url"],
        format!(
            "ws://127.0.0.1:{}/socket.io/?EIO=4&transport=websocket&room=blue",
            server.port
        )
    );
    let open = units(&run, "in", "open");
    assert_eq!(open.len(), 1, "{run_lines}", run_lines = stdout_text(&run));
    assert_eq!(open[0]["housekeeping"], true);
    assert_eq!(open[0]["ping_interval"], 300);
    let joined = units(&run, "in", "connect");
    assert_eq!(joined[0]["namespace"], "/");
    assert!(joined[0]["sid"].is_string());
    assert_eq!(joined[0]["housekeeping"], true);
    // The raw frame stays as it was on the wire, beside its unit.
    let sent = lines_of(&run, "out", "event");
    assert_eq!(sent[0]["text"], r#"42["chat","hi",{"n":1}]"#);
    let echoed = lines_of(&run, "in", "event");
    assert_eq!(echoed[0]["text"], r#"42["chat","hi",{"n":1}]"#);
    assert_eq!(
        echoed[0]["protocol"],
        json!({"type": "event", "namespace": "/", "event": "chat", "args": ["hi", {"n": 1}], "ack_id": null})
    );
    let saw = server_saw(&mut server);
    assert!(
        saw.contains(
            &json!({"connected": "/", "eio": "4", "transport": "websocket",
                             "query": {"room": "blue"}, "auth": {}})
        ),
        "{saw:?}"
    );
    assert!(
        saw.contains(&json!({"ns": "/", "event": "chat", "args": ["hi", {"n": 1}], "ack": false})),
        "{saw:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_go_both_ways_and_pair_with_their_events() {
    let test = "acks_go_both_ways_and_pair_with_their_events";
    let Some(mut server) = reference(test, &[]) else {
        return;
    };
    // Joining /quiz makes the server ask `question` with ack id 0; we answer it.
    let run = sockscope(&[
        "connect",
        &address(&server),
        "--protocol",
        "socketio",
        "--protocol-option",
        "namespace=/quiz",
        "--op",
        r#"{"type":"event","event":"chat","args":["a"],"ack":true}"#,
        "--op",
        r#"{"type":"ack","id":0,"args":["yes"]}"#,
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let asked = units(&run, "out", "event");
    assert_eq!(asked[0]["ack_id"], 0);
    assert_eq!(
        lines_of(&run, "out", "event")[0]["text"],
        r#"42/quiz,0["chat","a"]"#
    );
    let answer = units(&run, "in", "ack");
    assert_eq!(answer.len(), 1, "{}", stdout_text(&run));
    assert_eq!(answer[0]["namespace"], "/quiz");
    assert_eq!(answer[0]["args"], json!(["got", "a"]));
    assert_eq!(answer[0]["event"], "chat");
    assert!(answer[0]["rtt_ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    let question = units(&run, "in", "event")
        .into_iter()
        .find(|unit| unit["event"] == "question")
        .expect("the server's question");
    assert_eq!(question["ack_id"], 0);
    assert_eq!(question["args"], json!(["are you there?"]));
    let ours = units(&run, "out", "ack");
    assert_eq!(ours[0]["args"], json!(["yes"]));
    // The server got our answer to its question and says so.
    let answered = units(&run, "in", "event")
        .into_iter()
        .find(|unit| unit["event"] == "answered")
        .expect("the server's `answered`");
    assert_eq!(answered["args"], json!(["yes"]));
    let saw = server_saw(&mut server);
    assert!(
        saw.contains(&json!({"ns": "/quiz", "answered": ["yes"]})),
        "{saw:?}"
    );
    assert!(saw.contains(&json!({"ns": "/quiz", "event": "chat", "args": ["a"], "ack": true})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_namespace_is_joined_used_and_left() {
    let test = "a_second_namespace_is_joined_used_and_left";
    let Some(mut server) = reference(test, &[]) else {
        return;
    };
    let run = sockscope(&[
        "connect",
        &address(&server),
        "--protocol",
        "socketio",
        "--op",
        r#"{"type":"event","event":"chat","namespace":"/admin","args":["x"]}"#,
        "--op",
        r#"{"type":"disconnect","namespace":"/admin"}"#,
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let joins: Vec<&Value> = units(&run, "in", "connect");
    let namespaces: Vec<&Value> = joins.iter().map(|unit| &unit["namespace"]).collect();
    assert_eq!(namespaces, vec!["/", "/admin"]);
    let echoed = lines_of(&run, "in", "event");
    assert_eq!(echoed[0]["text"], r#"42/admin,["chat","x"]"#);
    assert_eq!(echoed[0]["protocol"]["namespace"], "/admin");
    assert_eq!(units(&run, "out", "disconnect")[0]["namespace"], "/admin");
    let saw = server_saw(&mut server);
    assert!(saw.contains(&json!({"ns": "/admin", "event": "chat", "args": ["x"], "ack": false})));
    assert!(
        saw.contains(&json!({"disconnected": "/admin", "reason": "client namespace disconnect"})),
        "{saw:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_attachments_go_and_come_back_byte_for_byte() {
    let test = "binary_attachments_go_and_come_back_byte_for_byte";
    let Some(mut server) = reference(test, &[]) else {
        return;
    };
    let (bytes, encoded) = all_bytes();
    let op = json!({"type": "event", "event": "blob", "args": [{"$binary": encoded}, "tag"], "ack": true});
    let run = sockscope(&[
        "connect",
        &address(&server),
        "--protocol",
        "socketio",
        "--op",
        &op.to_string(),
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let out = messages(&run, "out");
    let head = out
        .iter()
        .position(|line| line["text"] == r#"451-0["blob",{"_placeholder":true,"num":0},"tag"]"#)
        .expect("the BINARY_EVENT with its placeholder");
    assert_eq!(out[head + 1]["type"], "binary");
    assert_eq!(out[head + 1]["hex"], support_hex(&bytes));
    assert_eq!(out[head + 1]["protocol"]["type"], "binary_event");
    let back = units(&run, "in", "binary_event");
    assert_eq!(back.len(), 1, "{}", stdout_text(&run));
    assert_eq!(back[0]["args"], json!([{"$binary": encoded}, "tag"]));
    assert_eq!(back[0]["attachments"], 1);
    let acked = units(&run, "in", "binary_ack");
    assert_eq!(
        acked[0]["args"],
        json!(["got", {"$binary": encoded}, "tag"])
    );
    assert_eq!(acked[0]["event"], "blob");
    let saw = server_saw(&mut server);
    assert!(
        saw.contains(
            &json!({"ns": "/", "event": "blob", "args": [{"$binary": encoded}, "tag"], "ack": true})
        ),
        "{saw:?}"
    );
}

fn support_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_io_3_pings_the_server_and_speaks_socket_io_v2() {
    let test = "engine_io_3_pings_the_server_and_speaks_socket_io_v2";
    let Some(mut server) = reference(test, &["--eio3"]) else {
        return;
    };
    let (_, encoded) = all_bytes();
    let blob = json!({"type": "event", "event": "blob", "args": [{"$binary": encoded}]});
    let run = sockscope(&[
        "connect",
        &address(&server),
        "--protocol",
        "socketio",
        "--protocol-option",
        "eio=3",
        "--op",
        r#"{"type":"event","event":"chat","args":["v2"]}"#,
        "--op",
        &blob.to_string(),
        "--op",
        r#"{"type":"event","event":"chat","namespace":"/admin","args":["ns"]}"#,
        "--wait",
        "1000",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    assert!(
        run.lines[0]["url"]
            .as_str()
            .is_some_and(|url| url.contains("EIO=3"))
    );
    // The server joins `/` by itself in Engine.IO 3; other namespaces are asked for.
    let asked: Vec<&Value> = lines_of(&run, "out", "connect");
    assert_eq!(asked.len(), 1, "{}", stdout_text(&run));
    assert_eq!(asked[0]["text"], "40/admin,");
    let joined: Vec<&Value> = units(&run, "in", "connect")
        .into_iter()
        .map(|unit| &unit["namespace"])
        .collect();
    assert_eq!(joined, vec!["/", "/admin"]);
    let admin = lines_of(&run, "in", "event")
        .into_iter()
        .find(|line| line["protocol"]["namespace"] == "/admin")
        .expect("the /admin echo");
    assert_eq!(admin["text"], r#"42/admin,["chat","ns"]"#);
    let pings = units(&run, "out", "ping").len();
    let pongs = units(&run, "in", "pong").len();
    assert!(pings >= 2 && pongs >= 2, "{pings} pings, {pongs} pongs");
    let echoed = units(&run, "in", "event");
    assert_eq!(echoed[0]["args"], json!(["v2"]));
    let back = units(&run, "in", "binary_event");
    assert_eq!(back[0]["args"], json!([{"$binary": encoded}]));
    let saw = server_saw(&mut server);
    assert!(
        saw.iter()
            .any(|line| line["connected"] == "/" && line["eio"] == "3"),
        "{saw:?}"
    );
    assert!(saw.contains(
        &json!({"ns": "/", "event": "blob", "args": [{"$binary": encoded}], "ack": false})
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_the_connection_open() {
    let test = "heartbeats_keep_the_connection_open";
    let Some(mut server) = reference(test, &[]) else {
        return;
    };
    // pingInterval 300 ms, pingTimeout 200 ms: a missed pong would end it within 0.5 s.
    let run = sockscope(&[
        "connect",
        &address(&server),
        "--protocol",
        "socketio",
        "--wait",
        "2000",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let pings = units(&run, "in", "ping").len();
    let pongs = lines_of(&run, "out", "pong");
    assert!(
        pings >= 4 && pongs.len() == pings,
        "{pings} pings, {} pongs",
        pongs.len()
    );
    assert!(pongs.iter().all(|line| line["text"] == "3"));
    let close = close_line(&run);
    assert_eq!(
        (close["initiator"].as_str(), close["code"].as_u64()),
        (Some("client"), Some(1000))
    );
    assert!(close["t_ms"].as_f64().is_some_and(|ms| ms >= 2000.0));
    let saw = server_saw(&mut server);
    assert!(
        saw.iter().all(|line| line["reason"] != "ping timeout"),
        "{saw:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_refused_by_middleware_is_a_connect_error_and_exit_1() {
    let test = "a_namespace_refused_by_middleware_is_a_connect_error_and_exit_1";
    let Some(_server) = reference(test, &[]) else {
        return;
    };
    let run = sockscope(&[
        "connect",
        &address(&_server),
        "--protocol",
        "socketio",
        "--protocol-option",
        "namespace=/private",
        "--protocol-option",
        r#"auth={"token":"hunter2-bad"}"#,
        "--op",
        r#"{"type":"event","event":"chat","args":["never"]}"#,
        "--wait",
        "3000",
    ])
    .await;
    assert_eq!(run.status, 1, "stderr: {}", run.stderr);
    let refused = units(&run, "in", "connect_error");
    assert_eq!(refused[0]["namespace"], "/private");
    assert_eq!(refused[0]["message"], "not authorized");
    assert_eq!(refused[0]["data"], json!({"hint": "token"}));
    assert_eq!(
        refused[0]["problem"],
        "the server refused namespace /private: not authorized"
    );
    assert!(
        units(&run, "out", "event").is_empty(),
        "nothing is sent to a refused namespace"
    );
    let close = close_line(&run);
    assert!(
        close["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("refused namespace /private: not authorized")),
        "{close}"
    );
    assert!(
        close["t_ms"].as_f64().is_some_and(|ms| ms < 2500.0),
        "closed at once: {close}"
    );
    // The auth's values are secrets: never printed.
    assert!(!stdout_text(&run).contains("hunter2-bad"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_auth_joins_the_guarded_namespace() {
    let test = "the_right_auth_joins_the_guarded_namespace";
    let Some(mut server) = reference(test, &[]) else {
        return;
    };
    let run = sockscope(&[
        "connect",
        &address(&server),
        "--protocol",
        "socketio",
        "--protocol-option",
        "namespace=/private",
        "--protocol-option",
        r#"auth={"token":"letmein"}"#,
        "--op",
        r#"{"type":"event","event":"chat","args":["in"]}"#,
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    assert_eq!(units(&run, "in", "event")[0]["namespace"], "/private");
    assert!(!stdout_text(&run).contains("letmein"));
    let saw = server_saw(&mut server);
    assert!(
        saw.iter()
            .any(|line| line["connected"] == "/private"
                && line["auth"] == json!({"token": "letmein"})),
        "{saw:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polling_only_server_is_explained_and_exits_1() {
    let test = "a_polling_only_server_is_explained_and_exits_1";
    let Some(server) = reference(test, &["--polling-only"]) else {
        return;
    };
    let run = sockscope(&["connect", &address(&server), "--protocol", "socketio"]).await;
    assert_eq!(run.status, 1, "stderr: {}", run.stderr);
    let error = run
        .lines
        .iter()
        .find(|line| line["event"] == "error")
        .expect("an error line");
    assert_eq!(error["status"], 400);
    let unit = &error["protocol"];
    assert_eq!(unit["type"], "refused", "{error}");
    assert_eq!(unit["message"], "Transport unknown");
    let problem = unit["problem"].as_str().unwrap_or_default();
    assert!(
        problem.contains("offers only HTTP long-polling"),
        "{problem}"
    );
    assert!(problem.contains("\"websocket\""), "{problem}");
}

/// A Socket.IO server that opens with 100 ms heartbeats, joins `/`, then says nothing more.
async fn silent_socket_io() -> std::net::SocketAddr {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let Ok((socket, _)) = listener.accept().await else {
            return;
        };
        let Ok(mut ws) = tokio_tungstenite::accept_async(socket).await else {
            return;
        };
        let open = r#"0{"sid":"s","upgrades":[],"pingInterval":100,"pingTimeout":100}"#;
        let _ = ws.send(Message::text(open)).await;
        while let Some(Ok(message)) = ws.next().await {
            if message.to_text().is_ok_and(|text| text == "40") {
                let _ = ws.send(Message::text(r#"40{"sid":"x"}"#)).await;
            }
        }
    });
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_is_given_up_on_with_a_ping_timeout() {
    let address = silent_socket_io().await;
    let run = sockscope(&[
        "connect",
        &format!("http://{address}"),
        "--protocol",
        "socketio",
        "--wait",
        "5000",
    ])
    .await;
    let close = close_line(&run);
    assert_eq!(
        close["reason"],
        "Socket.IO ping timeout",
        "{}",
        stdout_text(&run)
    );
    assert_eq!(close["initiator"], "client");
    assert_eq!(close["protocol"]["type"], "ping_timeout");
    // Silent for pingInterval + pingTimeout after the last packet, not the --wait.
    assert!(
        close["t_ms"].as_f64().is_some_and(|ms| ms < 1500.0),
        "{close}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_operation_is_refused_before_connecting() {
    let run = sockscope(&[
        "connect",
        "http://127.0.0.1:9",
        "--protocol",
        "socketio",
        "--op",
        r#"{"type":"event","args":[1]}"#,
    ])
    .await;
    assert_eq!(run.status, 2);
    assert!(run.lines.is_empty());
    assert!(
        run.stderr.contains("an event needs its name"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_path_serves_the_reference_client() {
    let Some(env) = node::env("the_demo_path_serves_the_reference_client") else {
        return;
    };
    let demo = support::demo().await;
    let url = demo.http_url("");
    let printed = tokio::task::spawn_blocking(move || env.run("socketio_client.js", &[&url]))
        .await
        .expect("the client ran");
    let seen: Vec<Value> = printed
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    assert!(
        seen.iter().any(|line| line["connected"].is_string()),
        "{printed}"
    );
    assert!(
        seen.iter().any(|line| line["event"] == "welcome"),
        "{printed}"
    );
    assert!(
        seen.contains(&json!({"event": "chat", "args": ["hi", {"n": 1}]})),
        "{printed}"
    );
    assert!(
        seen.contains(&json!({"ack": "chat", "args": ["hi", {"n": 1}]})),
        "{printed}"
    );
    assert!(
        seen.contains(&json!({"event": "blob", "args": [{"$binary": "AAH/"}]})),
        "{printed}"
    );
    assert!(
        seen.contains(&json!({"ack": "blob", "args": [{"$binary": "AAH/"}]})),
        "{printed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockscope_speaks_socket_io_with_the_demo_path() {
    let demo = support::demo().await;
    let run = sockscope(&[
        "connect",
        &demo.http_url("/"),
        "--protocol",
        "socketio",
        "--op",
        r#"{"type":"event","event":"chat","args":["hi"],"ack":true}"#,
        "--op",
        r#"{"type":"event","event":"blob","args":[{"$binary":"AAH/"}],"namespace":"/files"}"#,
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let welcomes = units(&run, "in", "event")
        .into_iter()
        .filter(|unit| unit["event"] == "welcome")
        .count();
    assert_eq!(welcomes, 2, "one per namespace: {}", stdout_text(&run));
    let ack = units(&run, "in", "ack");
    assert_eq!(ack[0]["event"], "chat");
    assert_eq!(ack[0]["args"], json!(["hi"]));
    let back = units(&run, "in", "binary_event");
    assert_eq!(back[0]["namespace"], "/files");
    assert_eq!(back[0]["args"], json!([{"$binary": "AAH/"}]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_disconnecting_shows_before_the_close() {
    let test = "the_server_disconnecting_shows_before_the_close";
    let Some(mut server) = reference(test, &[]) else {
        return;
    };
    let run = sockscope(&[
        "connect",
        &address(&server),
        "--protocol",
        "socketio",
        "--op",
        r#"{"type":"event","event":"kick-me"}"#,
        "--wait",
        "3000",
    ])
    .await;
    let left = lines_of(&run, "in", "disconnect");
    assert_eq!(left.len(), 1, "{}", stdout_text(&run));
    assert_eq!(left[0]["text"], "41");
    assert_eq!(left[0]["protocol"]["namespace"], "/");
    assert_eq!(
        left[0]["protocol"]["problem"],
        "the server left namespace /"
    );
    let close = close_line(&run);
    assert_eq!(close["initiator"], "server", "{close}");
    assert!(
        close["t_ms"].as_f64().is_some_and(|ms| ms < 2500.0),
        "{close}"
    );
    let seq = |line: &Value| line["seq"].as_u64();
    assert!(seq(left[0]) < seq(close), "the disconnect comes first");
    let saw = server_saw(&mut server);
    assert!(
        saw.contains(&json!({"disconnected": "/", "reason": "server namespace disconnect"})),
        "{saw:?}"
    );
}

//! `sockscope listen`, the mock server, against a client that Sockscope did not write
//! (Node `ws`, pinned in tests/node): the client's handshake request is printed, rules
//! answer it, the close after N messages arrives with its code and reason, SIGTERM closes
//! it with 1001, and a bad rules file is refused with its line and column.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::json_lines_process::Serving;
use support::node::{self, NodeEnv};

/// `sockscope listen` on a free port with `extra` flags.
fn start_listen(extra: &[&str]) -> Serving {
    let mut args = vec!["listen", "--addr", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Serving::start(&args)
}

/// A rules file with `text`, in a fresh temporary folder kept alive by the returned guard.
fn rules_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("rules.ron");
    std::fs::write(&path, text).expect("the rules file is written");
    (dir, path)
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

fn texts(lines: &[Value]) -> Vec<&str> {
    lines
        .iter()
        .filter(|l| l["event"] == "message")
        .filter_map(|l| l["text"].as_str())
        .collect()
}

#[test]
fn the_handshake_request_is_printed_and_the_rules_reply() {
    let Some(env) = node::env("the_handshake_request_is_printed_and_the_rules_reply") else {
        return;
    };
    let (_dir, rules) = rules_file(
        r#"(
            on_open: ["welcome"],
            replies: [
                (when: Contains("ping"), reply: "pong"),
                (when: Regex("^sub:\\w+$"), reply: "subscribed", delay_ms: 100),
                (when: Json("$.type == \"hello\""), reply: "hi"),
            ],
            subprotocol: Some("chat.v1"),
        )"#,
    );
    let mut listen = start_listen(&["--rules", rules.to_str().expect("a UTF-8 path")]);
    let url = format!("{}/room?x=1", listen.url);
    let seen = client(
        &env,
        &url,
        json!([
            ["recv"],
            ["text", "ping"],
            ["text", "sub:prices"],
            ["text", "{\"type\":\"hello\"}"],
            ["close", 1000, "done"]
        ]),
    );
    assert_eq!(find(&seen, "open")["protocol"], "chat.v1");
    assert_eq!(texts(&seen), ["welcome", "pong", "subscribed", "hi"]);
    let close = find(&seen, "close");
    assert_eq!(
        (&close["code"], &close["wasClean"]),
        (&json!(1000), &json!(true))
    );

    let lines = listen.until_closed(1, 1);
    let request = &lines[0];
    assert_eq!(request["event"], "request", "the first line: {lines:#?}");
    assert_eq!(request["conn"], 1);
    assert_eq!(request["path"], "/room?x=1");
    assert_eq!(request["subprotocols"], json!(["chat.v2", "chat.v1"]));
    let headers = request["headers"].as_object().expect("headers");
    let origin = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("origin"));
    assert_eq!(origin.map(|(_, v)| v), Some(&json!("http://app.example")));
    let printed = serde_json::to_string(&lines).expect("JSON");
    assert!(
        !printed.contains("token-secret-value"),
        "a secret printed: {printed}"
    );
    let open = find(&lines, "open");
    assert_eq!(
        (&open["path"], &open["conn"]),
        (&json!("/room?x=1"), &json!(1))
    );
    let ins: Vec<_> = lines
        .iter()
        .filter(|l| l["event"] == "message" && l["dir"] == "in")
        .map(|l| l["text"].clone())
        .collect();
    assert_eq!(
        ins,
        [
            json!("ping"),
            json!("sub:prices"),
            json!("{\"type\":\"hello\"}")
        ]
    );
    let close = find(&lines, "close");
    assert_eq!(
        (&close["code"], &close["reason"], &close["initiator"]),
        (&json!(1000), &json!("done"), &json!("client"))
    );
}

#[test]
fn after_n_messages_the_client_is_closed_with_the_code_and_reason() {
    let Some(env) = node::env("after_n_messages_the_client_is_closed_with_the_code_and_reason")
    else {
        return;
    };
    let (_dir, rules) = rules_file(
        r#"(close_after: Some((messages: 2, code: 4000, reason: "enough")), subprotocol: Some("chat.v2"))"#,
    );
    let mut listen = start_listen(&["--rules", rules.to_str().expect("a UTF-8 path")]);
    let seen = client(
        &env,
        &listen.url,
        json!([["say", "one"], ["say", "two"], ["await", "close"]]),
    );
    let close = find(&seen, "close");
    assert_eq!(
        (&close["code"], &close["reason"], &close["wasClean"]),
        (&json!(4000), &json!("enough"), &json!(true))
    );
    let lines = listen.until_closed(1, 1);
    let close = find(&lines, "close");
    assert_eq!(
        (
            &close["code"],
            &close["reason"],
            &close["initiator"],
            &close["was_clean"]
        ),
        (
            &json!(4000),
            &json!("enough"),
            &json!("server"),
            &json!(true)
        )
    );
}

#[test]
fn sigterm_closes_every_client_with_1001_and_exits_0() {
    if node::env("sigterm_closes_every_client_with_1001_and_exits_0").is_none() {
        return;
    }
    let mut listen = start_listen(&["--subprotocol", "chat.v1"]);
    let node_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    let client = Command::new("node")
        .arg(node_dir.join("proxy_client.js"))
        .args([&listen.url, "[]"])
        .current_dir(&node_dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    listen.lines_until(|lines| lines.iter().any(|l| l["event"] == "open"));
    let pid = i32::try_from(listen.child.id()).expect("a pid");
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
    let lines = listen.until_closed(1, 1);
    assert_eq!(find(&lines, "close")["initiator"], "server");
    let status = listen.child.wait().expect("listen ends");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_bad_rules_file_exits_2_naming_the_file_line_and_column() {
    let (_dir, rules) = rules_file(
        "(\n    on_open: [\"hi\"],\n    replies: [(when: Sometimes(\"x\"), reply: \"y\")],\n)\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["listen", "--addr", "127.0.0.1:0", "--rules"])
        .arg(&rules)
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let place = format!("{}:3:", rules.display());
    assert!(stderr.contains(&place), "stderr: {stderr}");
    assert!(
        output.stdout.is_empty(),
        "nothing listened: {:?}",
        output.stdout
    );
}

#[test]
fn the_flags_send_on_open_echo_and_close_after_n() {
    let Some(env) = node::env("the_flags_send_on_open_echo_and_close_after_n") else {
        return;
    };
    let mut listen = start_listen(&[
        "--subprotocol",
        "chat.v1",
        "--send-on-open",
        "one",
        "--send-on-open",
        "two",
        "--echo",
        "--close-after",
        "2:4001:bye: now",
    ]);
    let seen = client(
        &env,
        &listen.url,
        json!([
            ["recv"],
            ["recv"],
            ["text", "a"],
            ["binary", "00ff"],
            ["await", "close"]
        ]),
    );
    assert_eq!(texts(&seen), ["one", "two", "a"]);
    assert!(
        seen.iter()
            .any(|l| l["event"] == "message" && l["hex"] == "00ff"),
        "the binary echo: {seen:#?}"
    );
    let close = find(&seen, "close");
    assert_eq!(
        (&close["code"], &close["reason"], &close["wasClean"]),
        (&json!(4001), &json!("bye: now"), &json!(true))
    );
    let lines = listen.until_closed(1, 1);
    let outs = lines
        .iter()
        .filter(|l| l["event"] == "message" && l["dir"] == "out")
        .count();
    assert_eq!(outs, 4, "two on open, two echoes: {lines:#?}");
}

#[test]
fn reject_refuses_every_handshake_with_the_status() {
    let Some(env) = node::env("reject_refuses_every_handshake_with_the_status") else {
        return;
    };
    let mut listen = start_listen(&["--reject", "403"]);
    let seen = client(&env, &listen.url, json!([]));
    assert_eq!(find(&seen, "unexpected-response")["status"], 403);
    assert!(seen.iter().all(|l| l["event"] != "open"), "{seen:#?}");
    let lines = listen.until_closed(1, 1);
    let error = find(&lines, "error");
    assert_eq!(
        (&error["category"], &error["status"]),
        (&json!("http"), &json!(403))
    );
    assert_eq!(find(&lines, "request")["conn"], 1);
}

#[test]
fn a_bad_flag_value_exits_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["listen", "--addr", "127.0.0.1:0", "--close-after", "3:1006"])
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--close-after") && stderr.contains("1006"),
        "stderr: {stderr}"
    );
}

#[test]
fn every_rule_sends_its_text_at_its_interval() {
    let Some(env) = node::env("every_rule_sends_its_text_at_its_interval") else {
        return;
    };
    let (_dir, rules) =
        rules_file(r#"(every: [(ms: 100, text: "tick")], subprotocol: Some("chat.v1"))"#);
    let mut listen = start_listen(&["--rules", rules.to_str().expect("a UTF-8 path")]);
    let started = Instant::now();
    let seen = client(
        &env,
        &listen.url,
        json!([
            ["recv"],
            ["recv"],
            ["recv"],
            ["close", 1000, "enough ticks"]
        ]),
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(texts(&seen), ["tick", "tick", "tick"]);
    let lines = listen.until_closed(1, 1);
    assert_eq!(find(&lines, "close")["reason"], "enough ticks");
}

#[test]
fn sigterm_during_a_reply_delay_closes_at_once() {
    if node::env("sigterm_during_a_reply_delay_closes_at_once").is_none() {
        return;
    }
    let (_dir, rules) = rules_file(
        r#"(replies: [(when: Contains("slow"), reply: "late", delay_ms: 60000)], subprotocol: Some("chat.v1"))"#,
    );
    let mut listen = start_listen(&["--rules", rules.to_str().expect("a UTF-8 path")]);
    let node_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    let client = Command::new("node")
        .arg(node_dir.join("proxy_client.js"))
        .args([&listen.url, r#"[["say","slow"],["await","close"]]"#])
        .current_dir(&node_dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    listen.lines_until(|lines| {
        lines
            .iter()
            .any(|l| l["dir"] == "in" && l["text"] == "slow")
    });
    let pid = i32::try_from(listen.child.id()).expect("a pid");
    let signalled = Instant::now();
    // SAFETY: kill(2) on the child this test started; no memory is involved.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let output = client.wait_with_output().expect("the client ends");
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "{:?}",
        signalled.elapsed()
    );
    let seen: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect();
    assert_eq!(find(&seen, "close")["code"], 1001);
    assert!(
        texts(&seen).is_empty(),
        "the late reply was not sent: {seen:#?}"
    );
    assert_eq!(listen.child.wait().expect("listen ends").code(), Some(0));
}

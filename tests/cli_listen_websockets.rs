//! `sockscope listen` against a Python `websockets` client (pinned in
//! tests/support/python.rs): the closes the mock server starts arrive with their code and
//! reason, every close the client starts is printed as it was sent (1005 for a frame
//! without a status code, 1006 for a drop), echoed fragmented, binary and 16 MiB messages
//! come back byte-identical, and a refusal arrives with its status.

mod support;

use serde_json::{Value, json};
use support::json_lines_process::Serving;
use support::ws_peer;

/// `sockscope listen` on a free port with `extra` flags.
fn start_listen(extra: &[&str]) -> Serving {
    let mut args = vec!["listen", "--addr", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Serving::start(&args)
}

#[test]
fn the_close_the_server_starts_arrives_with_its_code_and_reason() {
    let Some(env) = ws_peer::env("listen: server-started closes") else {
        return;
    };
    for (code, reason) in [
        (1000, ""),
        (1001, ""),
        (1008, "policy"),
        (4000, "with reason ✓"),
    ] {
        let flag = format!("1:{code}:{reason}");
        let listen = start_listen(&["--close-after", &flag]);
        let seen = ws_peer::client(&env, &listen.url, &json!([{"send": "x"}]), None);
        assert_eq!(
            seen["close"],
            json!({"code": code, "reason": reason, "wasClean": true}),
            "--close-after {flag}"
        );
    }
}

#[test]
fn every_close_the_client_starts_is_printed_as_it_was_sent() {
    let Some(env) = ws_peer::env("listen: client-started closes") else {
        return;
    };
    let mut listen = start_listen(&[]);
    let cases = [
        (json!({"close": [1000, ""]}), 1000, "", true),
        (json!({"close": [1001, ""]}), 1001, "", true),
        (json!({"close": [1008, "policy"]}), 1008, "policy", true),
        (json!({"close": [4000, "why ✓"]}), 4000, "why ✓", true),
        (json!({"close_empty": true}), 1005, "", true),
        (json!({"abort": true}), 1006, "", false),
    ];
    for (conn, (action, code, reason, clean)) in (1u64..).zip(cases) {
        let seen = ws_peer::client(&env, &listen.url, &json!([action]), None);
        assert_eq!(
            seen["close"]["code"], code,
            "{action}: the client saw {seen}"
        );
        let lines = listen.until_closed(conn, 1);
        let close: &Value = lines
            .iter()
            .find(|l| l["event"] == "close" && l["conn"] == conn)
            .expect("a close line");
        assert_eq!(
            (&close["code"], &close["reason"], &close["was_clean"]),
            (&json!(code), &json!(reason), &json!(clean)),
            "{action}: {close}"
        );
    }
}

#[test]
fn echoed_fragmented_binary_and_16_mib_messages_come_back_byte_identical() {
    let Some(env) = ws_peer::env("listen: websockets echo") else {
        return;
    };
    let listen = start_listen(&["--echo"]);
    let actions = json!([
        {"send_fragments": ["frag", "ment", "ed ✓"]},
        {"send_binary": {"len": 5, "seed": 1}},
        {"send_binary": {"len": 16 << 20, "seed": 2}},
        {"send": "last"},
        {"recv": 4},
        {"close": [1000, ""]},
    ]);
    let seen = ws_peer::client(&env, &listen.url, &actions, None);
    assert_eq!(seen["got"], seen["sent"]);
    assert_eq!(seen["got"][2]["len"], 16 << 20);
    assert_eq!(seen["close"]["wasClean"], true);
}

#[test]
fn a_refusal_arrives_with_its_status() {
    let Some(env) = ws_peer::env("listen: websockets refusal") else {
        return;
    };
    let listen = start_listen(&["--reject", "403"]);
    let seen = ws_peer::client(&env, &listen.url, &json!([]), None);
    assert_eq!(seen["refused"]["status"], 403, "{seen}");
}

#[test]
fn the_example_rules_answer_with_a_saved_template_and_the_matched_messages_values() {
    let Some(env) = ws_peer::env("listen: template replies") else {
        return;
    };
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/saved_sessions/mock-rules.ron");
    let mut listen = start_listen(&["--rules", rules]);
    let order = r#"{"type":"order","id":"A7","items":[1,2]}"#;
    let actions = json!([
        {"recv": 1},
        {"send": "sub:news"},
        {"recv": 2},
        {"send": order},
        {"recv": 3},
        {"send": "bye"},
    ]);
    let seen = ws_peer::client(&env, &listen.url, &actions, None);
    let texts: Vec<&str> = seen["got"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(texts[..2], ["welcome", "subscribed to news"], "{seen}");
    let ack: Value = serde_json::from_str(texts[2]).expect("the ack is JSON");
    assert_eq!(
        (&ack["type"], &ack["id"], &ack["items"], &ack["n"]),
        (&json!("ack"), &json!("A7"), &json!([1, 2]), &json!(2)),
        "{ack}"
    );
    assert!(
        ack["at"].as_str().is_some_and(|at| at.ends_with('Z')),
        "{ack}"
    );
    // The third message closes the connection, as the rules say.
    assert_eq!(seen["close"]["code"], 4000, "{seen}");
    let lines = listen.until_closed(1, 1);
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "message" && l["dir"] == "out" && l["text"] == texts[2]),
        "the ack is printed as sent: {lines:#?}"
    );
}

//! `sockscope proxy` between a Python `websockets` client and a Python `websockets` server
//! (pinned in tests/support/python.rs): every way a connection can close reaches the far
//! side with the same code, reason and wasClean, whichever side starts; fragmented, binary
//! and 16 MiB messages arrive byte-identical both ways; a refusal passes through with its
//! status and body; a subprotocol offer the server declines opens without one, as the
//! server answered. (Node `ws` versions of the message and refusal cases are in
//! tests/cli_proxy.rs.)

mod support;

use serde_json::{Value, json};
use support::json_lines_process::Serving;
use support::ws_peer::{self, PeerServer, path_doing};

/// The upstream server and the proxy in front of it; `None` when PyPI is unreachable.
fn setup(test: &str) -> Option<(support::python::PythonEnv, PeerServer, Serving)> {
    let env = ws_peer::env(test)?;
    let upstream = PeerServer::start(&env, None);
    let base = format!("ws://127.0.0.1:{}", upstream.port);
    let proxy = Serving::start(&["proxy", "--listen", "127.0.0.1:0", "--upstream", &base]);
    Some((env, upstream, proxy))
}

/// The closing actions and what the far side must see: code, reason, wasClean.
fn close_cases() -> Vec<(Value, Value)> {
    let clean = |code: u16, reason: &str| json!({"code": code, "reason": reason, "wasClean": true});
    vec![
        (json!({"close": [1000, ""]}), clean(1000, "")),
        (json!({"close": [1001, ""]}), clean(1001, "")),
        (json!({"close": [1008, "policy"]}), clean(1008, "policy")),
        (
            json!({"close": [4000, "with reason ✓"]}),
            clean(4000, "with reason ✓"),
        ),
        (json!({"close_empty": true}), clean(1005, "")),
        (
            json!({"abort": true}),
            json!({"code": 1006, "reason": "", "wasClean": false}),
        ),
    ]
}

/// The proxy's close line of `leg` for connection `conn`.
fn proxy_close(proxy: &mut Serving, conn: u64, leg: &str) -> Value {
    let lines = proxy.until_closed(conn, 2);
    lines
        .into_iter()
        .find(|l| l["event"] == "close" && l["conn"] == conn && l["leg"] == leg)
        .unwrap_or_else(|| panic!("no close of the {leg} leg of conn {conn}"))
}

#[test]
fn every_close_the_server_starts_reaches_the_client_as_it_was_sent() {
    let Some((env, _upstream, mut proxy)) = setup("proxy: server-started closes") else {
        return;
    };
    for (conn, (action, expected)) in (1u64..).zip(close_cases()) {
        let path = path_doing("/close", &json!([{"recv": 1}, action]));
        let url = format!("{}{path}", proxy.url);
        let seen = ws_peer::client(&env, &url, &json!([{"send": "x"}]), None);
        assert_eq!(seen["close"], expected, "{action}: the client saw {seen}");
        let line = proxy_close(&mut proxy, conn, "client");
        assert_eq!(line["code"], expected["code"], "{action}: {line}");
        assert_eq!(line["was_clean"], expected["wasClean"], "{action}: {line}");
    }
}

#[test]
fn every_close_the_client_starts_reaches_the_server_as_it_was_sent() {
    let Some((env, upstream, mut proxy)) = setup("proxy: client-started closes") else {
        return;
    };
    for (conn, (action, expected)) in (1u64..).zip(close_cases()) {
        let url = format!("{}/quiet", proxy.url);
        ws_peer::client(&env, &url, &json!([action]), None);
        let seen = upstream.next_connection();
        assert_eq!(seen["close"], expected, "{action}: the server saw {seen}");
        let line = proxy_close(&mut proxy, conn, "upstream");
        assert_eq!(line["code"], expected["code"], "{action}: {line}");
        assert_eq!(line["reason"], expected["reason"], "{action}: {line}");
    }
}

#[test]
fn fragmented_binary_and_16_mib_messages_arrive_byte_identical_both_ways() {
    let Some((env, upstream, _proxy)) = setup("proxy: websockets messages") else {
        return;
    };
    let server_does = json!([
        {"recv": 4},
        {"send_fragments": ["frag", "ment", "ed ✓"]},
        {"send_binary": {"len": 1000, "seed": 1}},
        {"send_binary": {"len": 16 << 20, "seed": 2}},
        {"send": "last"},
        {"recv": 5},
        {"close": [1000, "done"]},
    ]);
    let client_does = json!([
        {"send_fragments": ["a", "b", "c"]},
        {"send_binary": {"len": 3, "seed": 3}},
        {"send_binary": {"len": 16 << 20, "seed": 4}},
        {"send": "text after"},
        {"recv": 4},
        {"send": "thanks"},
    ]);
    let url = format!("{}{}", _proxy.url, path_doing("/big", &server_does));
    let client = ws_peer::client(&env, &url, &client_does, None);
    let server = upstream.next_connection();
    assert_eq!(server["got"], client["sent"], "what the server received");
    assert_eq!(client["got"], server["sent"], "what the client received");
    assert_eq!(client["got"][2]["len"], 16 << 20);
    assert_eq!(
        client["close"],
        json!({"code": 1000, "reason": "done", "wasClean": true})
    );
}

#[test]
fn a_refusal_reaches_the_client_with_its_status_and_body() {
    let Some((env, _upstream, mut proxy)) = setup("proxy: websockets refusal") else {
        return;
    };
    let url = format!("{}/login?reject=401&body=who%20are%20you%3F", proxy.url);
    let seen = ws_peer::client(&env, &url, &json!([]), None);
    assert_eq!(
        seen["refused"],
        json!({"status": 401, "body": "who are you?"})
    );
    let error = proxy
        .lines_until(|lines| lines.iter().any(|l| l["event"] == "error"))
        .iter()
        .find(|l| l["event"] == "error")
        .cloned()
        .expect("an error line");
    assert_eq!(error["leg"], "upstream", "{error}");
}

#[test]
fn a_subprotocol_offer_the_upstream_declines_opens_without_one_not_with_a_502() {
    let Some((env, _upstream, mut proxy)) = setup("proxy: declined subprotocol") else {
        return;
    };
    // The Python server selects no subprotocol (it was given none to select).
    let url = format!("{}/plain", proxy.url);
    let seen = ws_peer::client_offering(
        &env,
        &url,
        &json!([{"send": "hi"}, {"close": [1000, ""]}]),
        "chat.v1,chat.v2",
    );
    assert_eq!(seen["open"], json!({"subprotocol": null}), "{seen}");
    assert_eq!(seen["close"]["code"], 1000, "{seen}");
    let lines = proxy.until_closed(1, 2);
    let opens: Vec<&Value> = lines.iter().filter(|l| l["event"] == "open").collect();
    assert_eq!(opens.len(), 2, "both legs opened: {lines:#?}");
    assert!(opens.iter().all(|open| open["status"] == 101), "{opens:#?}");
    let upstream_in = lines
        .iter()
        .find(|l| l["event"] == "message" && l["leg"] == "upstream" && l["dir"] == "out");
    assert_eq!(upstream_in.map(|l| &l["text"]), Some(&json!("hi")));
}

//! The Server tab in the window (a mock server) with a real client (Node `ws`, pinned in
//! tests/node): the client's handshake request in the client list, what it sent in the
//! timeline, the composer sending to it, a close with a chosen code and reason, and the
//! next handshake refused with a chosen status and body.

mod support;

use egui_kittest::kittest::Queryable;
use serde_json::{Value, json};
use sockscope::app::AppOptions;
use sockscope::engine::{Direction, EventKind, Payload};
use support::node;
use support::window::{Window, has_label_containing, open, wait_for};

/// The window with a server tab accepting `chat.v2`, started on a free port; its URL.
fn server_window(dir: &tempfile::TempDir) -> (Window, String) {
    let mut harness = open(AppOptions {
        config_dir: Some(dir.path().to_path_buf()),
        ..AppOptions::default()
    });
    harness.step();
    harness.get_by_label("New server tab...").click();
    harness.step();
    let active = harness.state().active_tab();
    let tab = harness.state_mut().tab_mut(active).expect("the server tab");
    let setup = tab.setup.server.as_mut().expect("a server tab's settings");
    setup.listen = "127.0.0.1:0".into();
    setup.subprotocol = "chat.v2".into();
    harness.step();
    // Before it runs, the tab says what to do (not "Press Connect": it has none).
    assert!(has_label_containing(
        &harness,
        "Nothing yet. Start the server, then connect a client."
    ));
    assert!(has_label_containing(&harness, "Send is off until it runs"));
    harness.get_by_label("Start server").click();
    wait_for(&mut harness, "listening", |h| {
        has_label_containing(h, "listening on ws://")
    });
    let tab = &harness.state().tabs()[harness.state().active_tab()];
    let addr = tab
        .proxy
        .as_ref()
        .and_then(|p| p.listening)
        .expect("listening");
    (harness, format!("ws://{addr}"))
}

fn client(url: String, actions: Value) -> std::thread::JoinHandle<Vec<Value>> {
    std::thread::spawn(move || {
        let env = node::env("server tab client").expect("installed by the test");
        env.run("proxy_client.js", &[&url, &actions.to_string()])
            .lines()
            .map(|line| serde_json::from_str(line).expect("the client prints JSON"))
            .collect()
    })
}

fn find<'a>(lines: &'a [Value], event: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["event"] == event)
        .unwrap_or_else(|| panic!("no {event} in {lines:#?}"))
}

fn received(harness: &Window) -> Vec<String> {
    let tab = &harness.state().tabs()[harness.state().active_tab()];
    tab.timeline
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Message {
                dir: Direction::In,
                payload: Payload::Text(text),
            } => Some(text.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_client_shows_with_its_request_gets_the_composers_message_and_a_chosen_close() {
    if node::env("server tab").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, url) = server_window(&dir);
    let run = client(
        format!("{url}/chat?room=1"),
        json!([
            ["say", "hi from client"],
            ["await", "message"],
            ["await", "close"]
        ]),
    );
    wait_for(&mut harness, "the client's message", |h| {
        received(h) == ["hi from client"]
    });
    assert!(has_label_containing(&harness, "#1 /chat?room=1"));
    assert!(has_label_containing(&harness, "offers chat.v2,chat.v1"));
    harness.get_by_label("Message").click();
    harness.step();
    harness.get_by_label("Message").type_text("hello client");
    harness.step();
    harness.get_by_label("Send").click();
    harness.step();
    harness.step();
    let active = harness.state().active_tab();
    let tab = harness.state_mut().tab_mut(active).expect("the tab");
    let server = &mut tab.proxy.as_mut().expect("state").server;
    server.close_code = 4002;
    server.close_reason = "done".into();
    harness.step();
    harness.get_by_label("Close client").click();
    wait_for(&mut harness, "the close", |h| {
        has_label_containing(h, "4002 \"done\", clean, by server")
    });
    let lines = run.join().expect("the client ran");
    assert_eq!(find(&lines, "open")["protocol"], "chat.v2");
    assert_eq!(find(&lines, "message")["text"], "hello client");
    let close = find(&lines, "close");
    assert_eq!(
        (&close["code"], &close["reason"], &close["wasClean"]),
        (&json!(4002), &json!("done"), &json!(true))
    );
}

#[test]
fn the_next_handshake_is_refused_with_the_chosen_status_and_body_once() {
    if node::env("server tab refusal").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, url) = server_window(&dir);
    let active = harness.state().active_tab();
    let tab = harness.state_mut().tab_mut(active).expect("the tab");
    let server = &mut tab.proxy.as_mut().expect("state").server;
    server.next_status = 401;
    server.next_body = "log in first".into();
    harness.step();
    harness.get_by_label("Answer the next handshake so").click();
    wait_for(&mut harness, "armed", |h| {
        has_label_containing(h, "refused with 401")
    });
    let lines = client(url.clone(), json!([]))
        .join()
        .expect("the client ran");
    let refusal = find(&lines, "unexpected-response");
    assert_eq!(refusal["status"], 401);
    assert_eq!(refusal["body"], "log in first");
    wait_for(&mut harness, "used up", |h| {
        has_label_containing(h, "answered as the settings say")
    });
    let lines = client(url, json!([["close", 1000, ""]]))
        .join()
        .expect("the client ran");
    assert_eq!(
        find(&lines, "close")["code"],
        1000,
        "the next one is accepted"
    );
}

#[test]
fn edited_auto_responses_are_applied_to_the_running_server_and_its_connected_client() {
    if node::env("server tab rules").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, url) = server_window(&dir);
    // No auto-responses yet: the client's "ping 1" gets no answer; the composer's "go" tells
    // it to send "ping 2", which the applied rules answer.
    let run = client(
        url,
        json!([
            ["say", "ping 1"],
            ["await", "message"],
            ["text", "ping 2"],
            ["close", 1000, ""]
        ]),
    );
    wait_for(&mut harness, "the client's first message", |h| {
        received(h) == ["ping 1"]
    });
    harness
        .get_by_label("Auto-responses (listen --rules format)")
        .click();
    harness.step();
    assert!(has_label_containing(&harness, "In force"));
    harness.get_by_label("Auto-responses").click();
    harness.step();
    harness
        .get_by_label("Auto-responses")
        .type_text(r#"(replies: [(when: Contains("ping"), reply: "pong")])"#);
    harness.step();
    assert!(has_label_containing(&harness, "Edited: not in force yet"));
    harness.get_by_label("Apply to the running server").click();
    wait_for(&mut harness, "the rules in force", |h| {
        has_label_containing(h, "In force")
    });
    harness.get_by_label("Message").click();
    harness.step();
    harness.get_by_label("Message").type_text("go");
    harness.step();
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the answer to ping 2", |h| {
        received(h) == ["ping 1", "ping 2"]
    });
    let lines = run.join().expect("the client ran");
    let texts: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "message")
        .map(|l| &l["text"])
        .collect();
    assert_eq!(texts, [&json!("go"), &json!("pong")], "{lines:#?}");
}

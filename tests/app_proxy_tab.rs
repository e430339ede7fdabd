//! The Proxy tab in the window, between a real client and a real server (Node `ws`, pinned
//! in tests/node; the server first reports the request, then echoes): the connection list with each leg's close, the
//! two-leg timeline, a paused direction whose held message is edited and released, a
//! message injected with the composer, and a rule that runs without pausing.

mod support;

use egui_kittest::kittest::Queryable;
use serde_json::{Value, json};
use sockscope::app::AppOptions;
use sockscope::engine::{Direction, EventKind, Leg, Payload};
use sockscope::proxy::{ProxyRuleSpec, RuleAction, RuleMatch};
use support::node::{self, NodeServer};
use support::window::{Window, has_label, has_label_containing, menu, open, wait_for};

/// The window with a proxy tab in front of `upstream` started on a free port; the address
/// it listens on.
fn proxy_window(dir: &tempfile::TempDir, upstream: &NodeServer) -> (Window, String) {
    let mut harness = open(AppOptions {
        config_dir: Some(dir.path().to_path_buf()),
        ..AppOptions::default()
    });
    harness.step();
    harness.get_by_label("New proxy tab...").click();
    harness.step();
    let active = harness.state().active_tab();
    let tab = harness.state_mut().tab_mut(active).expect("the proxy tab");
    let setup = tab.setup.proxy.as_mut().expect("a proxy tab's settings");
    // A new proxy tab points at the demo server; this one at the Node server.
    assert!(
        setup.upstream.starts_with("ws://127.0.0.1:"),
        "{}",
        setup.upstream
    );
    setup.upstream = format!("ws://127.0.0.1:{}/", upstream.port);
    setup.listen = "127.0.0.1:0".into();
    harness.step();
    harness.get_by_label("Start proxy").click();
    wait_for(&mut harness, "listening", |h| {
        has_label_containing(h, "listening on ws://")
    });
    let addr = proxy_addr(&harness);
    (harness, addr)
}

fn proxy_addr(harness: &Window) -> String {
    let tab = &harness.state().tabs()[harness.state().active_tab()];
    let addr = tab
        .proxy
        .as_ref()
        .and_then(|p| p.listening)
        .expect("listening");
    format!("ws://{addr}")
}

/// The Node client against `url` with `actions`, in a thread; its JSON lines.
fn client(url: String, actions: Value) -> std::thread::JoinHandle<Vec<Value>> {
    std::thread::spawn(move || {
        let env = node::env("proxy tab client").expect("installed by the test");
        env.run("proxy_client.js", &[&url, &actions.to_string()])
            .lines()
            .map(|line| serde_json::from_str(line).expect("the client prints JSON"))
            .collect()
    })
}

/// The texts the client got, less the server's report of the request.
fn texts(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l["event"] == "message")
        .filter_map(|l| l["text"].as_str().map(str::to_string))
        .filter(|text| !text.starts_with('{'))
        .collect()
}

/// The texts of the shown connection's timeline on `leg` going `dir`.
fn timeline_texts(harness: &Window, leg: Leg, dir: Direction) -> Vec<String> {
    let tab = &harness.state().tabs()[harness.state().active_tab()];
    tab.timeline
        .iter()
        .filter(|e| e.leg == Some(leg))
        .filter_map(|e| match e.kind {
            EventKind::Message {
                dir: d,
                payload: Payload::Text(text),
            } if *d == dir && !text.starts_with('{') => Some(text.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_held_message_is_edited_and_released_and_the_composer_injects_into_the_upstream_leg() {
    let Some(env) = node::env("proxy tab") else {
        return;
    };
    let upstream = env.server("proxy_upstream.js", &[]);
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, url) = proxy_window(&dir, &upstream);
    harness.get_by_label("Pause client -> upstream").click();
    harness.step();
    let run = client(
        format!("{url}/echo"),
        json!([
            ["recv"],
            ["say", "hello"],
            ["await", "message"],
            ["await", "message"],
            ["close", 1000, "bye"]
        ]),
    );
    // The client's message waits in the intercept, visibly.
    wait_for(&mut harness, "a held message", |h| {
        has_label_containing(h, "Held client -> upstream: 1")
    });
    assert!(
        has_label_containing(&harness, "#1 /echo"),
        "the connection is listed"
    );
    assert_eq!(
        timeline_texts(&harness, Leg::Client, Direction::In),
        ["hello"]
    );
    // Rows (and the connection's legs) are marked C and U.
    assert!(harness.query_all_by_label("C").count() >= 2);
    assert!(harness.query_all_by_label("U").count() >= 2);
    assert!(timeline_texts(&harness, Leg::Upstream, Direction::Out).is_empty());
    harness.get_by_label("Edit").click();
    harness.step();
    harness.step();
    harness.get_by_label("Edited message").click();
    harness.step();
    harness.get_by_label("Edited message").type_text(" world");
    harness.step();
    harness.get_by_label("Release edited").click();
    wait_for(&mut harness, "the edited echo", |h| {
        timeline_texts(h, Leg::Upstream, Direction::In) == ["hello world"]
    });
    assert!(has_label_containing(&harness, "Held client -> upstream: 0"));
    // The composer injects into the upstream leg (the default): the server echoes it to
    // the client.
    harness.get_by_label("Message").click();
    harness.step();
    harness.get_by_label("Message").type_text("injected");
    harness.step();
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the injected message", |h| {
        timeline_texts(h, Leg::Upstream, Direction::Out).len() == 2
    });
    let lines = run.join().expect("the client ran");
    assert_eq!(texts(&lines), ["hello world", "injected"]);
    // Both legs closed: the list shows each leg's close forensics.
    wait_for(&mut harness, "both legs closed", |h| {
        h.query_all_by_label_contains("1000 \"bye\", clean").count() == 2
    });
    assert_eq!(
        timeline_texts(&harness, Leg::Upstream, Direction::Out),
        ["hello world", "injected"]
    );
    assert_eq!(
        timeline_texts(&harness, Leg::Client, Direction::Out),
        ["hello world", "injected"]
    );
}

#[test]
fn a_rule_saved_with_the_tab_replaces_text_without_pausing() {
    let Some(env) = node::env("proxy tab rules") else {
        return;
    };
    let upstream = env.server("proxy_upstream.js", &[]);
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, url) = proxy_window(&dir, &upstream);
    // The rule as the rule editor writes it; its checkbox switches it on.
    let active = harness.state().active_tab();
    let tab = harness.state_mut().tab_mut(active).expect("the tab");
    let setup = tab.setup.proxy.as_mut().expect("settings");
    setup.rules.push(ProxyRuleSpec {
        from: Some(Leg::Client),
        when: RuleMatch::Contains("secret".into()),
        then: RuleAction::Replace("***".into()),
        enabled: false,
    });
    harness.step();
    harness.get_by_label("Rule on").click();
    harness.step();
    let lines = client(
        format!("{url}/echo"),
        json!([["recv"], ["text", "my secret"], ["close", 1000, ""]]),
    )
    .join()
    .expect("the client ran");
    assert_eq!(texts(&lines), ["my ***"], "{lines:?}");
    wait_for(&mut harness, "the echo", |h| {
        timeline_texts(h, Leg::Client, Direction::Out) == ["my ***"]
    });
    assert_eq!(
        timeline_texts(&harness, Leg::Client, Direction::In),
        ["my secret"],
        "the client leg shows what the client sent"
    );
    // The detail pane says which leg a row is on and who sent it.
    let active = harness.state().active_tab();
    let tab = harness.state_mut().tab_mut(active).expect("the tab");
    let row = tab
        .timeline
        .iter()
        .position(|e| {
            e.leg == Some(Leg::Upstream)
                && matches!(
                    e.kind,
                    EventKind::Message {
                        dir: Direction::Out,
                        ..
                    }
                )
        })
        .expect("the message passed upstream");
    tab.selected = Some(row);
    harness.step();
    harness.step();
    assert!(has_label(
        &harness,
        "Upstream leg · from Sockscope to the server"
    ));
    // The rule is part of the tab's settings: saved with it.
    let tab = &harness.state().tabs()[harness.state().active_tab()];
    let saved = tab.to_session(false);
    assert!(saved.setup.proxy.expect("saved").rules[0].enabled);

    // Replaying the shown connection dials the real server again (the upstream with the
    // client's path) and plays what the proxy passed on: the rule's "my ***", which the
    // server echoes as it did through the proxy. (What the client sent, "my secret", would
    // come back different.)
    wait_for(&mut harness, "both legs closed", |h| {
        h.query_all_by_label_contains("1000, clean").count() == 2
    });
    menu(&mut harness, "Replay", "Replay this tab...");
    wait_for(&mut harness, "the replay dialog", |h| {
        has_label(h, "As fast as possible")
    });
    assert!(has_label(
        &harness,
        "What the client sent (as it reached the proxy)"
    ));
    harness.get_by_label("As fast as possible").click();
    harness
        .get_by_label("What the proxy passed on (edits, drops and injections included)")
        .click();
    harness.step();
    // The server's report of the request holds the handshake's own key: not compared.
    let ignored = "Ignored JSON paths (one per line, e.g. $.timestamp)";
    harness.get_by_label(ignored).click();
    harness.step();
    harness.get_by_label(ignored).type_text("$.headers");
    harness.step();
    harness.get_by_label("Start replay").click();
    wait_for(&mut harness, "the comparison", |h| {
        has_label(h, "Everything matched")
    });
    assert!(has_label(&harness, "2 matched"), "the report and the echo");
    let replay_tab = harness.state().tabs().last().expect("the replay's tab");
    assert!(
        replay_tab
            .setup
            .config
            .url
            .ends_with(&format!(":{}/echo", upstream.port)),
        "{}",
        replay_tab.setup.config.url
    );
}

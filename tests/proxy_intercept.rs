//! The proxy's intercept, driven as the window drives it (through `ProxyServer::intercept`)
//! between a real client and a real server that Sockscope did not write (Node `ws`, pinned
//! in tests/node): held messages edited, dropped and released; messages injected into
//! either leg; rules that replace, drop and delay without pausing; a paused side that
//! stops reading once its queue is full.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sockscope::engine::{Direction, EventKind, Leg, Payload};
use sockscope::proxy::intercept::MAX_HELD_MESSAGES;
use sockscope::proxy::{
    self, ConnControl, ProxyConfig, ProxyEvent, ProxyRuleSpec, ProxyRules, ProxyServer, RuleAction,
    RuleMatch,
};
use support::node::{self, NodeServer};
use tokio::sync::mpsc;

/// What the proxy reported: `(leg, dir, text, offset)` of every text message, in order; a
/// dropped message as `<dropped by ...>` going out on the leg it was not passed to.
type Seen = Arc<Mutex<Vec<(Leg, Direction, String, Duration)>>>;

/// A proxy in front of the Node upstream, and what its events said so far.
async fn start(upstream: &NodeServer) -> (ProxyServer, Seen) {
    let config = ProxyConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: format!("ws://127.0.0.1:{}/", upstream.port)
            .parse()
            .unwrap(),
        add_headers: Vec::new(),
        strip_headers: Vec::new(),
        tls: None,
    };
    let (sender, mut events) = mpsc::channel::<ProxyEvent>(64);
    let server = proxy::start(config, sender)
        .await
        .expect("the proxy starts");
    let seen: Seen = Arc::default();
    let collected = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let EventKind::Message {
                dir,
                payload: Payload::Text(text),
            } = &event.event.kind
            {
                let line = (event.leg, *dir, text.to_string(), event.event.offset);
                collected.lock().unwrap().push(line);
            }
            if let EventKind::Dropped(dropped) = &event.event.kind {
                let text = format!("<{}>", dropped.line());
                let line = (event.leg, Direction::Out, text, event.event.offset);
                collected.lock().unwrap().push(line);
            }
        }
    });
    (server, seen)
}

/// Runs the Node client against the proxy with `actions` in a thread; its JSON lines.
fn client(url: String, actions: Value) -> std::thread::JoinHandle<Vec<Value>> {
    std::thread::spawn(move || {
        let env = node::env("proxy intercept client").expect("installed by the test");
        env.run("proxy_client.js", &[&url, &actions.to_string()])
            .lines()
            .map(|line| serde_json::from_str(line).expect("the client prints JSON"))
            .collect()
    })
}

/// Waits (at most 10 s) until `check` holds.
async fn until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what} did not happen within 10 s");
}

/// Connection 1's control, once it relays.
async fn control(server: &ProxyServer) -> ConnControl {
    let mut found = None;
    until("connection 1", || {
        found = server.intercept().connection(1);
        found.is_some()
    })
    .await;
    found.expect("found")
}

fn texts(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l["event"] == "message")
        .filter_map(|l| l["text"].as_str().map(str::to_string))
        .collect()
}

fn on_leg(seen: &Seen, leg: Leg, dir: Direction) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(l, d, _, _)| *l == leg && *d == dir)
        .map(|(_, _, text, _)| text.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_messages_are_edited_dropped_released_and_injected_into_either_leg() {
    let Some(env) = node::env("proxy intercept hold") else {
        return;
    };
    let upstream = env.server("proxy_upstream.js", &[]);
    let (server, seen) = start(&upstream).await;
    server.intercept().set_paused(Leg::Client, true);
    let url = format!("ws://{}/", server.addr());
    let run = client(
        url,
        json!([
            ["recv"],
            ["say", "one"],
            ["say", "two"],
            ["say", "three"],
            ["await", "message"],
            ["await", "message"],
            ["await", "message"],
            ["await", "message"],
            ["close", 1000, "done"]
        ]),
    );
    let control = control(&server).await;
    until("three held messages", || {
        control.held(Leg::Client).len() == 3
    })
    .await;
    let held = control.held(Leg::Client);
    let held_texts: Vec<_> = held.iter().map(|m| m.payload.as_text().unwrap()).collect();
    assert_eq!(held_texts, ["one", "two", "three"]);
    // Nothing went upstream while paused.
    assert!(on_leg(&seen, Leg::Upstream, Direction::Out).is_empty());

    control
        .release(Leg::Client, held[0].id, Some(Payload::Text("ONE".into())))
        .unwrap();
    control.drop_held(Leg::Client, held[1].id).unwrap();
    control.release(Leg::Client, held[2].id, None).unwrap();
    until("the queue empties", || control.held(Leg::Client).is_empty()).await;
    control
        .inject(Leg::Upstream, Payload::Text("injected".into()))
        .unwrap();
    until("the injected echo", || {
        on_leg(&seen, Leg::Upstream, Direction::In).contains(&"injected".to_string())
    })
    .await;
    control
        .inject(Leg::Client, Payload::Text("to the client".into()))
        .unwrap();
    let lines = tokio::task::spawn_blocking(move || run.join().expect("the client ran"))
        .await
        .unwrap();
    // The client got the echoes of what was released (edited as edited, the dropped one
    // never), of the injected message, and the message injected into its own leg.
    assert_eq!(
        texts(&lines)[1..],
        ["ONE", "three", "injected", "to the client"]
    );
    // The dropped one shows where it would have gone, in order.
    assert_eq!(
        on_leg(&seen, Leg::Upstream, Direction::Out),
        [
            "ONE",
            "<dropped by the user (text, 3 bytes)>",
            "three",
            "injected"
        ]
    );
    assert_eq!(
        on_leg(&seen, Leg::Client, Direction::In),
        ["one", "two", "three"],
        "the client leg shows what the client sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_replace_drop_and_delay_without_pausing() {
    let Some(env) = node::env("proxy intercept rules") else {
        return;
    };
    let upstream = env.server("proxy_upstream.js", &[]);
    let (server, seen) = start(&upstream).await;
    let rule = |from, when, then| ProxyRuleSpec {
        from,
        when,
        then,
        enabled: true,
    };
    let rules = ProxyRules::compile(&[
        rule(
            Some(Leg::Client),
            RuleMatch::Contains("secret".into()),
            RuleAction::Replace("***".into()),
        ),
        rule(
            Some(Leg::Upstream),
            RuleMatch::Json(r#"$.type == "noise""#.into()),
            RuleAction::Drop,
        ),
        rule(
            None,
            RuleMatch::Regex("^slow".into()),
            RuleAction::DelayMs(300),
        ),
    ])
    .unwrap();
    server.intercept().set_rules(rules);
    let url = format!("ws://{}/", server.addr());
    let lines = client(
        url,
        json!([
            ["recv"],
            ["text", "my secret"],
            ["say", "{\"type\":\"noise\"}"],
            ["text", "slow one"],
            ["close", 1000, "done"]
        ]),
    );
    let lines = tokio::task::spawn_blocking(move || lines.join().expect("the client ran"))
        .await
        .unwrap();
    // The server got the replaced text; its echo of the noise never reached the client.
    assert_eq!(texts(&lines)[1..], ["my ***", "slow one"]);
    let up_out = on_leg(&seen, Leg::Upstream, Direction::Out);
    assert_eq!(up_out, ["my ***", "{\"type\":\"noise\"}", "slow one"]);
    // The client leg shows where the noise's echo was dropped, and by which rule.
    let client_out = on_leg(&seen, Leg::Client, Direction::Out);
    assert_eq!(
        client_out[1..],
        ["my ***", "<dropped by rule 2 (text, 16 bytes)>", "slow one"]
    );
    // The delay rule held "slow one" back both ways, at least 300 ms each.
    let at = |leg, dir| {
        let seen = seen.lock().unwrap();
        seen.iter()
            .find(|(l, d, t, _)| *l == leg && *d == dir && t == "slow one")
            .map(|(_, _, _, offset)| *offset)
            .expect("seen")
    };
    let came = at(Leg::Client, Direction::In);
    let went = at(Leg::Upstream, Direction::Out);
    assert!(
        went >= came + Duration::from_millis(300),
        "{came:?} → {went:?}"
    );
    let back = at(Leg::Upstream, Direction::In);
    let delivered = at(Leg::Client, Direction::Out);
    assert!(delivered >= back + Duration::from_millis(300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_side_holds_a_bounded_queue_then_stops_reading_until_resumed() {
    let Some(env) = node::env("proxy intercept backpressure") else {
        return;
    };
    let upstream = env.server("proxy_upstream.js", &[]);
    let (server, seen) = start(&upstream).await;
    server.intercept().set_paused(Leg::Client, true);
    let total = MAX_HELD_MESSAGES + 40;
    let mut actions = vec![json!(["recv"])];
    for n in 0..total {
        actions.push(json!(["say", format!("m{n}")]));
    }
    for _ in 0..total {
        actions.push(json!(["await", "message"]));
    }
    actions.push(json!(["close", 1000, "done"]));
    let url = format!("ws://{}/", server.addr());
    let run = client(url, Value::Array(actions));
    let control = control(&server).await;
    until("a full queue", || {
        control.held(Leg::Client).len() == MAX_HELD_MESSAGES
    })
    .await;
    // The queue stays at its bound: the rest waits in the client's socket, unread.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(control.held(Leg::Client).len(), MAX_HELD_MESSAGES);
    assert_eq!(
        on_leg(&seen, Leg::Client, Direction::In).len(),
        MAX_HELD_MESSAGES
    );
    // Resuming passes everything on, in order.
    server.intercept().set_paused(Leg::Client, false);
    let lines = tokio::task::spawn_blocking(move || run.join().expect("the client ran"))
        .await
        .unwrap();
    let echoes = texts(&lines);
    let expected: Vec<String> = (0..total).map(|n| format!("m{n}")).collect();
    assert_eq!(echoes[1..], expected[..]);
}

//! STOMP over WebSocket, end to end: the `sockscope` binary against RabbitMQ with
//! `rabbitmq_web_stomp` (Debian packages, started on 127.0.0.1 by the test), with
//! @stomp/stompjs as a second client where it proves what arrived.

mod support;

use serde_json::{Value, json};
use support::cli::{Run, messages, sockscope};
use support::{debian, node};

/// The protocol units of the messages going `dir`, with the frames of a `frames` unit
/// listed one by one.
fn units<'a>(run: &'a Run, dir: &str) -> Vec<&'a Value> {
    messages(run, dir)
        .into_iter()
        .filter_map(|line| line.get("protocol"))
        .flat_map(|unit| match unit["frames"].as_array() {
            Some(frames) => frames.iter().collect(),
            None => vec![unit],
        })
        .collect()
}

/// The units of type `kind` going `dir`.
fn of<'a>(run: &'a Run, dir: &str, kind: &str) -> Vec<&'a Value> {
    units(run, dir)
        .into_iter()
        .filter(|unit| unit["type"] == kind)
        .collect()
}

/// Everything printed, for failure messages.
fn printed(run: &Run) -> String {
    let lines: Vec<String> = run.lines.iter().map(Value::to_string).collect();
    format!("{}\nstderr: {}", lines.join("\n"), run.stderr)
}

/// RabbitMQ, installed and started, or `None` after a loud SKIPPED line.
fn rabbitmq(test: &str) -> Option<std::sync::Arc<debian::RabbitMq>> {
    if !debian::install(test, &["rabbitmq-server"]) {
        return None;
    }
    Some(debian::RabbitMq::shared())
}

/// `connect URL --protocol stomp` with `options` (KEY=VALUE), each of `ops`, and `--wait`.
async fn stomp(url: &str, options: &[&str], ops: &[Value], wait_ms: u64) -> Run {
    let ops: Vec<String> = ops.iter().map(Value::to_string).collect();
    let wait = wait_ms.to_string();
    let mut args = vec!["connect", url, "--protocol", "stomp", "--wait", &wait];
    for option in options {
        args.extend(["--protocol-option", option]);
    }
    for op in &ops {
        args.extend(["--op", op]);
    }
    sockscope(&args).await
}

#[tokio::test]
async fn rabbitmq_delivers_what_we_send_to_our_subscription() {
    let Some(rabbit) = rabbitmq("rabbitmq_delivers_what_we_send_to_our_subscription") else {
        return;
    };
    let run = stomp(
        &rabbit.url(),
        &["login=guest", "passcode=guest"],
        &[
            json!({"type": "SUBSCRIBE", "headers": {"destination": "/topic/news"}}),
            json!({"type": "SEND", "headers": {"destination": "/topic/news"}, "body": "héllo"}),
        ],
        1000,
    )
    .await;
    let all = printed(&run);
    assert_eq!(run.status, 0, "{all}");
    assert_eq!(run.lines[1]["subprotocol"], "v12.stomp", "{all}");
    let connect = of(&run, "out", "CONNECT");
    assert_eq!(connect[0]["headers"]["accept-version"], "1.2", "{all}");
    assert_eq!(connect[0]["housekeeping"], true, "{all}");
    let connected = of(&run, "in", "CONNECTED");
    assert_eq!(connected[0]["headers"]["version"], "1.2", "{all}");
    assert_eq!(connected[0]["housekeeping"], true, "{all}");
    // Sockscope filled in the subscription id and the content-length (in bytes).
    assert_eq!(
        of(&run, "out", "SUBSCRIBE")[0]["headers"]["id"],
        "sub-0",
        "{all}"
    );
    assert_eq!(
        of(&run, "out", "SEND")[0]["headers"]["content-length"],
        "6",
        "{all}"
    );
    let message = of(&run, "in", "MESSAGE");
    assert_eq!(message.len(), 1, "{all}");
    assert_eq!(message[0]["body"], "héllo", "{all}");
    assert_eq!(message[0]["headers"]["subscription"], "sub-0", "{all}");
    assert_eq!(message[0]["headers"]["destination"], "/topic/news", "{all}");
    assert!(message[0].get("housekeeping").is_none(), "{all}");
}

#[tokio::test]
async fn heart_beats_are_kept_both_ways() {
    let Some(rabbit) = rabbitmq("heart_beats_are_kept_both_ways") else {
        return;
    };
    let run = stomp(&rabbit.url(), &["heart_beat=1000,1000"], &[], 3000).await;
    let all = printed(&run);
    assert_eq!(run.status, 0, "{all}");
    assert_eq!(
        of(&run, "in", "CONNECTED")[0]["headers"]["heart-beat"],
        "1000,1000",
        "{all}"
    );
    let ours = of(&run, "out", "heartbeat");
    let theirs = of(&run, "in", "heartbeat");
    assert!(ours.len() >= 2, "we beat about every second: {all}");
    assert!(
        theirs.len() >= 2,
        "RabbitMQ beats about every second: {all}"
    );
    assert!(
        ours.iter().all(|beat| beat["housekeeping"] == true),
        "{all}"
    );
    let close = run.lines.last().expect("a close line");
    assert_eq!(
        (&close["code"], &close["was_clean"], &close["initiator"]),
        (&json!(1000), &json!(true), &json!("client")),
        "we closed when --wait ended, not RabbitMQ for silence: {all}"
    );
}

#[tokio::test]
async fn a_bad_passcode_is_refused_with_exit_1_and_disconnect_ends_a_good_one_cleanly() {
    let test = "a_bad_passcode_is_refused_with_exit_1";
    let Some(rabbit) = rabbitmq(test) else {
        return;
    };
    let refused = stomp(
        &rabbit.url(),
        &["login=guest", "passcode=not-it"],
        &[],
        1000,
    )
    .await;
    let all = printed(&refused);
    assert_eq!(refused.status, 1, "{all}");
    let error = of(&refused, "in", "ERROR");
    assert_eq!(error[0]["headers"]["message"], "Bad CONNECT", "{all}");
    assert_eq!(
        error[0]["problem"],
        "STOMP ERROR before CONNECTED: Bad CONNECT: Access refused for user 'guest'",
        "{all}"
    );
    assert!(!all.contains("not-it"), "the passcode is redacted: {all}");
    let good = stomp(
        &rabbit.url(),
        &["login=guest", "passcode=guest"],
        &[json!({"type": "DISCONNECT"})],
        2000,
    )
    .await;
    let all = printed(&good);
    assert_eq!(good.status, 0, "{all}");
    assert_eq!(
        of(&good, "out", "DISCONNECT")[0]["headers"]["receipt"],
        "disconnect",
        "{all}"
    );
    let close = good.lines.last().expect("a close line");
    assert_eq!(
        (&close["code"], &close["was_clean"]),
        (&json!(1000), &json!(true)),
        "{all}"
    );
}

#[tokio::test]
async fn a_body_with_nul_bytes_reaches_stompjs_byte_exact() {
    let test = "a_body_with_nul_bytes_reaches_stompjs_byte_exact";
    let Some(env) = node::env(test) else {
        return;
    };
    let Some(rabbit) = rabbitmq(test) else {
        return;
    };
    let mut watcher = env.server("stomp_watch.js", &[&rabbit.url(), "/topic/exact"]);
    let run = stomp(
        &rabbit.url(),
        &["login=guest", "passcode=guest"],
        &[json!({"type": "SEND", "headers": {"destination": "/topic/exact"}, "body": "a\u{0}b\u{0}ü"})],
        500,
    )
    .await;
    assert_eq!(run.status, 0, "{}", printed(&run));
    // content-length made the NULs part of the body: 6 bytes, as sent.
    assert_eq!(watcher.next_line().as_deref(), Some("message 6 YQBiAMO8"));
}

#[tokio::test]
async fn the_demo_server_is_a_stomp_broker_offline() {
    let demo = support::demo().await;
    let run = stomp(
        &demo.url("/stomp"),
        &[],
        &[
            json!({"type": "SUBSCRIBE", "headers": {"destination": "/topic/tick"}}),
            json!({"type": "SUBSCRIBE", "headers": {"destination": "/queue/a"}}),
            json!({"type": "SEND", "headers": {"destination": "/queue/a"}, "body": "hi"}),
        ],
        1500,
    )
    .await;
    let all = printed(&run);
    assert_eq!(run.status, 0, "{all}");
    assert_eq!(run.lines[1]["subprotocol"], "v12.stomp", "{all}");
    let messages = of(&run, "in", "MESSAGE");
    assert!(
        messages
            .iter()
            .any(|m| m["body"] == "hi" && m["headers"]["subscription"] == "sub-1"),
        "{all}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m["headers"]["destination"] == "/topic/tick"
                && m["headers"]["subscription"] == "sub-0"),
        "{all}"
    );
    let refused = stomp(&demo.url("/stomp"), &["login=denied"], &[], 300).await;
    assert_eq!(refused.status, 1, "{}", printed(&refused));
    assert_eq!(
        of(&refused, "in", "ERROR")[0]["headers"]["message"],
        "Access refused"
    );
}

#[tokio::test]
async fn stomp_1_1_is_spoken_when_the_subprotocol_says_so() {
    let Some(rabbit) = rabbitmq("stomp_1_1_is_spoken_when_the_subprotocol_says_so") else {
        return;
    };
    let url = rabbit.url();
    let sub = json!({"type": "SUBSCRIBE", "headers": {"destination": "/topic/old"}}).to_string();
    let send = json!({"type": "SEND", "headers": {"destination": "/topic/old", "note": "a:b"}, "body": "x"})
        .to_string();
    let run = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "stomp",
        "--subprotocol",
        "v11.stomp",
        "--protocol-option",
        "login=guest",
        "--protocol-option",
        "passcode=guest",
        "--op",
        &sub,
        "--op",
        &send,
        "--wait",
        "1000",
    ])
    .await;
    let all = printed(&run);
    assert_eq!(run.status, 0, "{all}");
    assert_eq!(
        of(&run, "out", "CONNECT")[0]["headers"]["accept-version"],
        "1.1",
        "{all}"
    );
    assert_eq!(
        of(&run, "in", "CONNECTED")[0]["headers"]["version"],
        "1.1",
        "{all}"
    );
    // The header's colon went out escaped (\\c) and came back as a colon.
    let message = of(&run, "in", "MESSAGE");
    assert_eq!(message[0]["headers"]["note"], "a:b", "{all}");
}

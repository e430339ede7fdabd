//! MQTT over WebSocket, end to end: the `sockscope` binary against real brokers started on
//! 127.0.0.1 — aedes (MQTT 3.1.1, npm) and Mosquitto 2 (MQTT 5, Debian) — with mqtt.js as
//! a second client where it proves what arrived.

mod support;

use serde_json::{Value, json};
use support::cli::{Run, messages, sockscope};
use support::{debian, node};

/// The protocol units of the messages going `dir`, with the packets of a `packets` unit
/// listed one by one.
fn units<'a>(run: &'a Run, dir: &str) -> Vec<&'a Value> {
    messages(run, dir)
        .into_iter()
        .filter_map(|line| line.get("protocol"))
        .flat_map(|unit| match unit["packets"].as_array() {
            Some(packets) => packets.iter().collect(),
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

/// `connect URL --protocol mqtt` with `options` (KEY=VALUE), each of `ops`, and `--wait`.
async fn mqtt(url: &str, options: &[&str], ops: &[Value], wait_ms: u64) -> Run {
    let ops: Vec<String> = ops.iter().map(Value::to_string).collect();
    let wait = wait_ms.to_string();
    let mut args = vec!["connect", url, "--protocol", "mqtt", "--wait", &wait];
    for option in options {
        args.extend(["--protocol-option", option]);
    }
    for op in &ops {
        args.extend(["--op", op]);
    }
    sockscope(&args).await
}

#[tokio::test]
async fn aedes_round_trips_publishes_at_qos_0_1_and_2_with_every_ack_shown() {
    let Some(env) = node::env("aedes_round_trips_publishes_at_qos_0_1_and_2") else {
        return;
    };
    let broker = env.server("mqtt_broker.js", &[]);
    let url = format!("ws://127.0.0.1:{}", broker.port);
    let run = mqtt(
        &url,
        &["client_id=inspector"],
        &[
            json!({"type": "subscribe", "topic": "t/#", "qos": 2}),
            json!({"type": "publish", "topic": "t/0", "payload": "zero"}),
            json!({"type": "publish", "topic": "t/1", "payload": "one", "qos": 1}),
            json!({"type": "publish", "topic": "t/2", "payload": "two", "qos": 2}),
        ],
        1500,
    )
    .await;
    let all = printed(&run);
    assert_eq!(run.status, 0, "{all}");
    assert_eq!(run.lines[1]["event"], "open", "{all}");
    assert_eq!(run.lines[1]["subprotocol"], "mqtt", "{all}");
    // Handshake, quiet: CONNECT with the client id, an accepted CONNACK.
    let connect = of(&run, "out", "connect");
    assert_eq!(connect[0]["client_id"], "inspector", "{all}");
    assert_eq!(connect[0]["housekeeping"], true, "{all}");
    assert_eq!(of(&run, "in", "connack")[0]["return_code"], 0, "{all}");
    // SUBACK grants QoS 2 for the filter asked.
    assert_eq!(
        of(&run, "in", "suback")[0]["results"],
        json!([{"topic": "t/#", "code": 2, "granted_qos": 2}]),
        "{all}"
    );
    // Our publishes got packet ids; the broker acknowledged each, paired to its topic.
    let ours = of(&run, "out", "publish");
    assert_eq!(ours.len(), 3, "{all}");
    assert_eq!(ours[0]["packet_id"], Value::Null);
    let (id1, id2) = (&ours[1]["packet_id"], &ours[2]["packet_id"]);
    assert!(id1.is_u64() && id2.is_u64() && id1 != id2, "{all}");
    let puback = of(&run, "in", "puback");
    assert_eq!(
        (&puback[0]["packet_id"], &puback[0]["topic"]),
        (id1, &json!("t/1")),
        "{all}"
    );
    assert_eq!(of(&run, "in", "pubrec")[0]["topic"], "t/2", "{all}");
    assert_eq!(of(&run, "out", "pubrel")[0]["packet_id"], *id2, "{all}");
    assert_eq!(of(&run, "in", "pubcomp")[0]["topic"], "t/2", "{all}");
    // Each came back through the broker at its QoS, and we did our part of each flow.
    let back = of(&run, "in", "publish");
    // The broker forwards them in its own order (aedes may pass QoS 2 before QoS 1).
    let mut back = back;
    back.sort_by_key(|p| p["topic"].as_str().unwrap_or_default().to_owned());
    let seen: Vec<(&Value, &Value, &Value)> = back
        .iter()
        .map(|p| (&p["topic"], &p["payload"], &p["qos"]))
        .collect();
    assert_eq!(
        seen,
        [
            (&json!("t/0"), &json!("zero"), &json!(0)),
            (&json!("t/1"), &json!("one"), &json!(1)),
            (&json!("t/2"), &json!("two"), &json!(2)),
        ],
        "{all}"
    );
    assert_eq!(
        of(&run, "out", "puback")[0]["packet_id"],
        back[1]["packet_id"],
        "{all}"
    );
    assert_eq!(of(&run, "out", "pubrec")[0]["topic"], "t/2", "{all}");
    assert_eq!(
        of(&run, "in", "pubrel")[0]["packet_id"],
        back[2]["packet_id"],
        "{all}"
    );
    assert_eq!(of(&run, "out", "pubcomp")[0]["topic"], "t/2", "{all}");
    let close = run.lines.last().expect("a close line");
    assert_eq!(
        (&close["event"], &close["was_clean"]),
        (&json!("close"), &json!(true)),
        "{all}"
    );
}

#[tokio::test]
async fn a_retained_message_reaches_a_later_subscriber_flagged_retained() {
    let Some(env) = node::env("a_retained_message_reaches_a_later_subscriber") else {
        return;
    };
    let broker = env.server("mqtt_broker.js", &[]);
    let url = format!("ws://127.0.0.1:{}", broker.port);
    let first = mqtt(
        &url,
        &[],
        &[
            json!({"type": "publish", "topic": "r/x", "payload": "kept", "qos": 1, "retain": true}),
            json!({"type": "disconnect"}),
        ],
        1000,
    )
    .await;
    assert_eq!(first.status, 0, "{}", printed(&first));
    assert_eq!(
        of(&first, "out", "disconnect").len(),
        1,
        "{}",
        printed(&first)
    );
    let later = mqtt(
        &url,
        &[],
        &[json!({"type": "subscribe", "topic": "r/#"})],
        1000,
    )
    .await;
    let all = printed(&later);
    let publish = of(&later, "in", "publish");
    assert_eq!(publish.len(), 1, "{all}");
    assert_eq!(
        (
            &publish[0]["topic"],
            &publish[0]["payload"],
            &publish[0]["retain"]
        ),
        (&json!("r/x"), &json!("kept"), &json!(true)),
        "{all}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_exit_1_and_the_right_one_connects() {
    let Some(env) = node::env("a_wrong_password_is_refused_with_exit_1") else {
        return;
    };
    let broker = env.server("mqtt_broker.js", &[]);
    let url = format!("ws://127.0.0.1:{}", broker.port);
    let refused = mqtt(&url, &["username=alice", "password=tea-party"], &[], 500).await;
    let all = printed(&refused);
    assert_eq!(refused.status, 1, "{all}");
    let connack = of(&refused, "in", "connack");
    assert_eq!(connack[0]["return_code"], 4, "{all}");
    assert_eq!(
        connack[0]["reason"], "bad user name or password (4)",
        "{all}"
    );
    assert_eq!(of(&refused, "out", "connect")[0]["password"], true, "{all}");
    let hex: String = b"tea-party".iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        !all.contains("tea-party") && !all.contains(&hex),
        "the password is redacted, in the raw CONNECT's bytes too: {all}"
    );
    let accepted = mqtt(&url, &["username=alice", "password=wonderland"], &[], 300).await;
    assert_eq!(accepted.status, 0, "{}", printed(&accepted));
    assert_eq!(of(&accepted, "in", "connack")[0]["return_code"], 0);
}

#[tokio::test]
async fn keep_alive_pings_keep_the_connection_open() {
    let Some(env) = node::env("keep_alive_pings_keep_the_connection_open") else {
        return;
    };
    let broker = env.server("mqtt_broker.js", &[]);
    let url = format!("ws://127.0.0.1:{}", broker.port);
    // aedes drops a client silent for 1.5 × its keep-alive; we stay 3 s with 1 s.
    let run = mqtt(&url, &["keep_alive=1"], &[], 3000).await;
    let all = printed(&run);
    assert_eq!(run.status, 0, "{all}");
    let pings = of(&run, "out", "pingreq");
    assert!(pings.len() >= 2, "a PINGREQ about every second: {all}");
    assert!(pings.iter().all(|p| p["housekeeping"] == true), "{all}");
    assert!(of(&run, "in", "pingresp").len() >= 2, "{all}");
    let close = run.lines.last().expect("a close line");
    assert_eq!(
        (&close["code"], &close["was_clean"]),
        (&json!(1000), &json!(true)),
        "{all}"
    );
}

#[tokio::test]
async fn a_binary_payload_we_publish_reaches_mqtt_js_byte_exact() {
    let Some(env) = node::env("a_binary_payload_we_publish_reaches_mqtt_js") else {
        return;
    };
    let broker = env.server("mqtt_broker.js", &[]);
    let url = format!("ws://127.0.0.1:{}", broker.port);
    let mut watcher = env.server("mqtt_watch.js", &[&url, "bin/x"]);
    let bytes = "AP8BAgN/gA==";
    let run = mqtt(
        &url,
        &[],
        &[json!({"type": "publish", "topic": "bin/x", "payload_base64": bytes, "qos": 1})],
        500,
    )
    .await;
    let all = printed(&run);
    assert_eq!(run.status, 0, "{all}");
    assert_eq!(
        of(&run, "out", "publish")[0]["payload_hex"],
        "00ff0102037f80",
        "{all}"
    );
    assert_eq!(
        watcher.next_line().as_deref(),
        Some(format!("message bin/x 1 false {bytes}").as_str())
    );
}

#[tokio::test]
async fn mosquitto_speaks_mqtt_5_with_properties_and_reason_codes() {
    let test = "mosquitto_speaks_mqtt_5_with_properties_and_reason_codes";
    let Some(env) = node::env(test) else {
        return;
    };
    if !debian::install(test, &["mosquitto"]) {
        return;
    }
    let mosquitto = debian::Mosquitto::start(true);
    let bridge = env.server("mqtt_ws_bridge.js", &[&mosquitto.port.to_string()]);
    let url = format!("ws://127.0.0.1:{}", bridge.port);
    let run = mqtt(
        &url,
        &["version=5", "session_expiry=60"],
        &[
            json!({"type": "subscribe", "topics": [{"topic": "v5/#", "qos": 2, "no_local": false}]}),
            // QoS 1: Mosquitto forwards it at once, before it reads the UNSUBSCRIBE (a QoS 2
            // publish is forwarded on PUBREL, after it).
            json!({"type": "publish", "topic": "v5/a", "payload": "hello", "qos": 1,
                   "properties": {"content_type": "text/plain", "user_properties": [["k", "v"]]}}),
            json!({"type": "unsubscribe", "topic": "v5/#"}),
            json!({"type": "unsubscribe", "topic": "never/subscribed"}),
            json!({"type": "disconnect"}),
        ],
        1000,
    )
    .await;
    let all = printed(&run);
    assert_eq!(run.status, 0, "{all}");
    let connect = of(&run, "out", "connect");
    assert_eq!(connect[0]["protocol_level"], 5, "{all}");
    assert_eq!(
        connect[0]["properties"],
        json!({"session_expiry_interval": 60}),
        "{all}"
    );
    let connack = of(&run, "in", "connack");
    assert_eq!(
        (&connack[0]["reason_code"], &connack[0]["reason"]),
        (&json!(0), &json!("Success (0x00)")),
        "{all}"
    );
    assert!(
        connack[0]["properties"].is_object(),
        "Mosquitto states its limits: {all}"
    );
    assert_eq!(
        of(&run, "in", "suback")[0]["results"][0]["granted_qos"],
        2,
        "{all}"
    );
    let back = of(&run, "in", "publish");
    assert_eq!(back[0]["payload"], "hello", "{all}");
    assert_eq!(
        back[0]["properties"],
        json!({"content_type": "text/plain", "user_properties": [["k", "v"]]}),
        "{all}"
    );
    assert_eq!(of(&run, "in", "puback")[0]["reason_code"], 0, "{all}");
    assert_eq!(of(&run, "out", "puback")[0]["topic"], "v5/a", "{all}");
    let unsuback = of(&run, "in", "unsuback");
    assert_eq!(
        unsuback[0]["results"][0],
        json!({"topic": "v5/#", "code": 0, "reason": "Success (0x00)"}),
        "{all}"
    );
    assert_eq!(
        unsuback[1]["results"][0]["reason"], "No subscription existed (0x11)",
        "{all}"
    );
    assert_eq!(
        of(&run, "out", "disconnect")[0]["reason"],
        "Normal disconnection (0x00)",
        "{all}"
    );
}

#[tokio::test]
async fn the_demo_server_is_an_mqtt_broker_offline() {
    let demo = support::demo().await;
    let run = mqtt(
        &demo.url("/mqtt"),
        &[],
        &[
            json!({"type": "subscribe", "topic": "demo/#", "qos": 2}),
            json!({"type": "publish", "topic": "demo/x", "payload": "hi", "qos": 2}),
        ],
        1500,
    )
    .await;
    let all = printed(&run);
    assert_eq!(run.status, 0, "{all}");
    assert_eq!(of(&run, "in", "connack")[0]["return_code"], 0, "{all}");
    let back = of(&run, "in", "publish");
    assert!(
        back.iter()
            .any(|p| p["topic"] == "demo/x" && p["payload"] == "hi" && p["qos"] == 2),
        "{all}"
    );
    assert!(back.iter().any(|p| p["topic"] == "demo/tick"), "{all}");
    assert_eq!(of(&run, "in", "pubcomp")[0]["topic"], "demo/x", "{all}");
    let refused = mqtt(&demo.url("/mqtt"), &["username=denied"], &[], 300).await;
    assert_eq!(refused.status, 1, "{}", printed(&refused));
    assert_eq!(of(&refused, "in", "connack")[0]["return_code"], 5);
}

#[tokio::test]
async fn mosquitto_refuses_an_mqtt_5_client_with_a_reason_code_and_exit_1() {
    let test = "mosquitto_refuses_an_mqtt_5_client_with_a_reason_code_and_exit_1";
    let Some(env) = node::env(test) else {
        return;
    };
    if !debian::install(test, &["mosquitto"]) {
        return;
    }
    let mosquitto = debian::Mosquitto::start(false);
    let bridge = env.server("mqtt_ws_bridge.js", &[&mosquitto.port.to_string()]);
    let url = format!("ws://127.0.0.1:{}", bridge.port);
    let run = mqtt(
        &url,
        &["version=5"],
        &[json!({"type": "subscribe", "topic": "a"})],
        500,
    )
    .await;
    let all = printed(&run);
    assert_eq!(run.status, 1, "{all}");
    let connack = of(&run, "in", "connack");
    assert_eq!(connack[0]["reason"], "Not authorized (0x87)", "{all}");
    assert_eq!(
        connack[0]["problem"], "MQTT CONNACK refused: Not authorized (0x87)",
        "{all}"
    );
    assert!(
        of(&run, "out", "subscribe").is_empty(),
        "the held op is not sent: {all}"
    );
}

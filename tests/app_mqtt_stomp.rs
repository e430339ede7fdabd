//! MQTT and STOMP tabs as a user meets them, driven through egui_kittest against the
//! embedded demo server's /mqtt and /stomp brokers: an operation typed in the composer is
//! sent, and the broker's answers show as rows in the protocol's terms.

mod support;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sockscope::app::{AppOptions, SockscopeApp};
use sockscope::model::template::MessageFormat;
use sockscope::protocol::{ProtocolKind, ProtocolSettings};
use support::window::{Window, choose_format, has_label, wait_for};

/// A window whose first tab speaks `kind` to the demo server's `path`, connected.
fn connected(config: &tempfile::TempDir, kind: ProtocolKind, path: &str) -> Window {
    let options = AppOptions {
        config_dir: Some(config.path().to_owned()),
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"));
    let url = harness.state().demo_url(path).expect("demo server");
    let tab = harness.state_mut().tab_mut(0).expect("a tab");
    tab.setup.config.url = url;
    tab.setup.config.protocol = ProtocolSettings::new(kind);
    harness.step();
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "OPEN", |h| has_label(h, "OPEN"));
    harness
}

/// Types `op` as a protocol operation in the composer and sends it.
fn send_op(harness: &mut Window, op: &str) {
    choose_format(harness, MessageFormat::Op);
    harness.get_by_label("Message").focus();
    harness.step();
    harness.get_by_label("Message").type_text(op);
    harness.step();
    harness.step();
    harness.get_by_label("Send").click();
    harness.step();
}

fn shows(harness: &Window, text: &str) -> bool {
    harness.query_by_label_contains(text).is_some()
}

#[test]
fn an_mqtt_tab_subscribes_and_shows_publishes_as_rows() {
    let config = tempfile::tempdir().expect("a temporary config dir");
    let mut harness = connected(&config, ProtocolKind::Mqtt, "/mqtt");
    send_op(
        &mut harness,
        r#"{"type": "subscribe", "topic": "demo/#", "qos": 1}"#,
    );
    wait_for(&mut harness, "the broker's tick", |h| {
        shows(h, "publish demo/tick (QoS 1)")
    });
    assert!(shows(&harness, "subscribe demo/# (QoS 1)"));
    assert!(shows(&harness, "suback demo/# QoS 1"));
    // CONNECT, CONNACK and the acks are housekeeping: hidden unless asked for.
    assert!(!shows(&harness, "connack accepted"));
}

#[test]
fn a_stomp_tab_subscribes_and_shows_messages_as_rows() {
    let config = tempfile::tempdir().expect("a temporary config dir");
    let mut harness = connected(&config, ProtocolKind::Stomp, "/stomp");
    send_op(
        &mut harness,
        r#"{"type": "SUBSCRIBE", "headers": {"destination": "/topic/tick"}}"#,
    );
    wait_for(&mut harness, "the broker's tick", |h| {
        shows(h, "MESSAGE /topic/tick sub-0")
    });
    assert!(shows(&harness, "SUBSCRIBE /topic/tick sub-0"));
    assert!(!shows(&harness, "CONNECTED 1.2"));
}

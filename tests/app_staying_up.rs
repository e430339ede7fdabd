//! Staying up, in the window: a reconnect loop with its countdown that succeeds once the
//! server comes up, keepalive round trips, and the unverified-TLS warning.

mod support;

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sockscope::app::{AppOptions, SockscopeApp};
use sockscope::engine::{Keepalive, ReadyState, ReconnectDelay, ReconnectPolicy};
use support::window::{Window, wait_for};

fn window(url: Option<String>, config_dir: &tempfile::TempDir) -> Window {
    let options = AppOptions {
        url,
        config_dir: Some(config_dir.path().to_path_buf()),
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"))
}

#[test]
fn a_reconnect_loop_counts_down_and_succeeds_once_the_server_is_up() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut harness = window(Some(format!("ws://127.0.0.1:{port}/echo")), &dir);
    harness.step();
    let tab = harness.state_mut().tab_mut(0).expect("a tab");
    tab.config.reconnect = ReconnectPolicy {
        delay: ReconnectDelay::Fixed(Duration::from_millis(300)),
        max_reconnects: 50,
    };
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the countdown", |h| {
        h.query_by_label_contains("Reconnecting in").is_some()
    });
    assert!(
        harness.query_by_label("Stop").is_some(),
        "the loop can be stopped"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _server = runtime
        .block_on(sockscope::demo_server::start(
            format!("127.0.0.1:{port}").parse().unwrap(),
        ))
        .expect("the port is still free");
    wait_for(&mut harness, "OPEN", |h| {
        h.state().tabs()[0].ready_state() == ReadyState::Open
    });
    let attempts = harness.state().tabs()[0].attempts();
    assert!(attempts >= 2, "{attempts} attempts");
    assert!(
        harness
            .query_by_label(&format!("Attempt {attempts}"))
            .is_some()
    );
    harness.get_by_label("Disconnect").click();
    wait_for(&mut harness, "CLOSED", |h| {
        h.state().tabs()[0].ready_state() == ReadyState::Closed
    });
    for _ in 0..30 {
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        harness.state().tabs()[0].reconnect_due().is_none(),
        "Disconnect ends the loop"
    );
    assert_eq!(harness.state().tabs()[0].attempts(), attempts);
}

#[test]
fn keepalive_round_trips_show_on_the_tab() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = window(None, &dir);
    harness.step();
    let tab = harness.state_mut().tab_mut(0).expect("a tab");
    tab.config.keepalive = Some(Keepalive {
        interval: Duration::from_millis(100),
        ..Keepalive::default()
    });
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "an RTT", |h| {
        h.query_by_label_contains("RTT ").is_some()
    });
    assert!(
        harness.state().tabs()[0]
            .timeline
            .last_round_trip()
            .is_some()
    );
}

#[test]
fn accepting_invalid_certificates_shows_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = window(Some("wss://127.0.0.1:9/".into()), &dir);
    harness.step();
    assert!(
        harness
            .query_by_label("TLS certificates are not verified")
            .is_none()
    );
    harness
        .state_mut()
        .tab_mut(0)
        .expect("a tab")
        .config
        .tls
        .accept_invalid_certs = true;
    harness.step();
    harness.step();
    assert!(
        harness
            .query_by_label("TLS certificates are not verified")
            .is_some()
    );
}

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
    let port = support::closed_port();
    let mut harness = window(Some(format!("ws://127.0.0.1:{port}/echo")), &dir);
    harness.step();
    let tab = harness.state_mut().tab_mut(0).expect("a tab");
    tab.setup.config.reconnect = ReconnectPolicy {
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
    tab.setup.config.keepalive = Some(Keepalive {
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
        .setup
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

#[test]
fn a_flood_above_the_memory_budget_says_what_was_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = window(None, &dir);
    harness.step();
    let url = harness
        .state()
        .demo_url("/flood?n=3000&size=1000")
        .expect("demo server");
    let tab = harness.state_mut().tab_mut(0).expect("a tab");
    tab.setup.config.url = url;
    // Uncompressed: a compressed message's wire bytes would count in the budget too.
    tab.setup.config.deflate = sockscope::engine::DeflateSetting::Off;
    tab.timeline.set_memory_budget(1 << 20);
    harness.step();
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the flood and its close", |h| {
        h.state().tabs()[0].ready_state() == ReadyState::Closed
            && h.state().tabs()[0].timeline.len() == 3003
    });
    // About 1048 payloads of 1000 B fit in 1 MiB, less the handshake's strings (which count
    // too); the other ~1952 (1.9 MB) were not kept.
    let not_kept = harness.state().tabs()[0].timeline.not_kept().messages;
    assert!((1952..1960).contains(&not_kept), "{not_kept}");
    assert!(
        harness
            .query_by_label_contains(&format!(
                "Memory budget of 1.0 MiB reached: {not_kept} messages (1.9 MiB) were not kept"
            ))
            .is_some(),
        "the tab says how much was not kept"
    );
    assert!(
        harness
            .query_by_label_contains("In: 3000 msgs, 2.9 MiB")
            .is_some(),
        "statistics count every byte that arrived"
    );
    harness.state_mut().tab_mut(0).expect("a tab").selected = Some(3001);
    harness.step();
    harness.step();
    assert!(
        harness
            .query_by_label_contains(
                "The payload (1000 bytes) was not kept: the tab's memory budget was reached"
            )
            .is_some(),
        "the detail pane explains the missing payload"
    );
    assert!(
        harness.query_by_label("1000 bytes").is_some(),
        "its header shows the size that arrived"
    );
}

#[test]
fn a_pinned_certificate_typed_in_the_request_section_connects_and_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = support::tls::openssl_style_self_signed("localhost");
    let addr = runtime.block_on(support::tls::echo_server(&server, None));
    let pin = support::tls::write(&dir, "server.pem", &server.cert_pem);
    let mut harness = window(Some(format!("wss://localhost:{}/", addr.port())), &dir);
    harness.step();
    harness.get_by_label("Headers & connection").click();
    harness.step();
    harness.get_by_label("Pinned certificate (PEM)").focus();
    harness.step();
    harness
        .get_by_label("Pinned certificate (PEM)")
        .type_text(&pin.display().to_string());
    harness.step();
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "OPEN with the pinned certificate", |h| {
        h.state().tabs()[0].ready_state() == ReadyState::Open
    });
    let tab = &harness.state().tabs()[0];
    let saved =
        sockscope::model::storage::to_ron(&sockscope::model::session::SessionFile::new(vec![
            tab.to_session(true),
        ]))
        .unwrap();
    assert!(
        saved.contains(&format!("pinned_cert: Some(\"{}\")", pin.display())),
        "{saved}"
    );
}

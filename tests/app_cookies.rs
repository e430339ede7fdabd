//! The window's cookie jar: a handshake answer's Set-Cookie is kept and sent with the next
//! handshake to that host; the cookie manager lists the cookies and deletes them.

mod support;

use egui_kittest::kittest::Queryable;
use sockscope::app::AppOptions;
use sockscope::engine::ReadyState;
use support::servers::{on_own_runtime, request_recorder_setting};
use support::window::{open, wait_for};

#[test]
fn a_cookie_set_by_one_handshake_goes_with_the_next_and_can_be_deleted() {
    // The window has its own runtime; the server runs on another.
    let (addr, mut seen) = on_own_runtime(|| {
        request_recorder_setting(&["sid=win-abc123456; HttpOnly", "theme=dark; Max-Age=600"])
    });
    let config = tempfile::tempdir().unwrap();
    let mut harness = open(AppOptions {
        config_dir: Some(config.path().to_owned()),
        no_demo_server: true,
        url: Some(format!("ws://{addr}/socket")),
        ..AppOptions::default()
    });
    for round in 0..2 {
        harness.get_by_label("Connect").click();
        wait_for(&mut harness, "the server's close", |h| {
            let tab = &h.state().tabs()[0];
            tab.ready_state() == ReadyState::Closed && tab.timeline.len() > 2
        });
        let request = seen
            .try_recv()
            .expect("a handshake (reported before the answer)");
        if round == 0 {
            assert!(request.header("cookie").is_empty(), "{request:?}");
        } else {
            assert_eq!(request.header("cookie"), ["sid=win-abc123456; theme=dark"]);
        }
        harness
            .state_mut()
            .tab_mut(0)
            .expect("a tab")
            .timeline
            .clear();
        harness.step();
    }
    harness.get_by_label("Cookies (2)").click();
    for _ in 0..3 {
        harness.step();
    }
    assert!(harness.query_by_label("win-abc123456").is_some());
    assert!(harness.query_by_label("HttpOnly").is_some());
    harness
        .get_all_by_label("×")
        .last()
        .expect("a delete button")
        .click();
    harness.step();
    harness.step();
    assert!(harness.query_by_label_contains("Cookies (1)").is_some());
}

//! An SSE tab in the window, against the embedded demo server's `/sse`: the events of two
//! attempts (the demo drops after 5 and the stream resumes with Last-Event-ID), and a
//! composer that does not send.

mod support;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sockscope::app::{AppOptions, SockscopeApp, TabKind};
use sockscope::engine::{EventKind, ReadyState, SseEvent};
use support::window::{Window, copied, wait_for};

fn window(config_dir: &tempfile::TempDir) -> Window {
    let options = AppOptions {
        config_dir: Some(config_dir.path().to_path_buf()),
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"))
}

/// The window with its first tab made an SSE tab on the demo server's `path`.
fn sse_window(config_dir: &tempfile::TempDir, path: &str) -> Window {
    let mut harness = window(config_dir);
    harness.step();
    let url = harness
        .state()
        .demo_url(path)
        .expect("the demo server runs")
        .replacen("ws://", "http://", 1);
    let tab = harness.state_mut().tab_mut(0).expect("a tab");
    tab.setup.kind = TabKind::Sse;
    tab.setup.config.url = url;
    harness.step();
    harness
}

/// The attempt numbers of the tab's SSE messages, in order.
fn sse_attempts(harness: &Window) -> Vec<u32> {
    harness.state().tabs()[0]
        .timeline
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Sse(SseEvent::Message(_))))
        .map(|e| e.attempt)
        .collect()
}

#[test]
fn an_sse_tab_receives_the_demo_ticker_across_a_reconnect_and_does_not_send() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = sse_window(&dir, "/sse?count=7");
    assert!(
        harness
            .query_by_label_contains("An SSE tab only receives")
            .is_some(),
        "the composer says sending is off"
    );
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "7 events", |h| sse_attempts(h).len() >= 7);
    let attempts = sse_attempts(&harness);
    assert_eq!(
        attempts,
        vec![1, 1, 1, 1, 1, 2, 2],
        "5 before the drop, 2 after"
    );
    assert!(
        harness
            .query_by_label_contains("An SSE tab only receives")
            .is_some()
    );
    assert!(
        harness
            .query_by_label_contains("comments / keep-alives")
            .is_some(),
        "the comment count shows"
    );
    // count=7: the next attempt gets 204 and the stream ends for good.
    wait_for(&mut harness, "CLOSED", |h| {
        h.state().tabs()[0].ready_state() == ReadyState::Closed
    });
    let tab = &harness.state().tabs()[0];
    assert!(tab.attempts() >= 2);
    assert!(tab.sse_stats().is_some_and(|s| s.events == 7));
}

#[test]
fn an_sse_row_copies_its_data_and_offers_nothing_to_send() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = sse_window(&dir, "/sse?count=2");
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "2 events", |h| sse_attempts(h).len() >= 2);
    let data = harness.state().tabs()[0]
        .timeline
        .iter()
        .find_map(|e| match e.kind {
            EventKind::Sse(sse @ SseEvent::Message(_)) => Some(sse.text().to_owned()),
            _ => None,
        })
        .expect("an SSE message");
    let first_line = data.lines().next().expect("data has a line").to_owned();
    harness
        .query_all_by_label_contains(&first_line)
        .last()
        .expect("the row previews its data")
        .click_secondary();
    harness.step();
    harness.step();
    assert!(harness.query_by_label("Edit in composer").is_none());
    assert!(harness.query_by_label("Send again").is_none());
    harness.get_by_label("Copy data").click();
    harness.step();
    assert_eq!(
        copied(&mut harness),
        Some(data),
        "the event's data went to the clipboard"
    );
}

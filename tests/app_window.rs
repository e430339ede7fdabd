//! The window as a user meets it, driven through egui_kittest against the embedded demo
//! server: connect, type, send, select, read the details, close, fail.

mod support;

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sockscope::app::{AppOptions, SockscopeApp};
use support::window::{Window, has_label, has_label_containing, wait_for};

thread_local! {
    /// A config directory per test (each test runs on its own thread, and the directory is
    /// removed when it ends), so the template library never touches the real one.
    static CONFIG_DIR: tempfile::TempDir = tempfile::tempdir().expect("a temporary config dir");
}

fn window(mut options: AppOptions) -> Window {
    if options.config_dir.is_none() {
        options.config_dir = Some(CONFIG_DIR.with(|dir| dir.path().to_owned()));
    }
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"))
}

fn connect(harness: &mut Window) {
    harness.get_by_label("Connect").click();
    wait_for(harness, "OPEN", |h| has_label(h, "OPEN"));
}

fn replace_url(harness: &mut Window, url: &str) {
    harness.get_by_label("URL").focus();
    harness.step();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.step();
    harness.get_by_label("URL").type_text(url);
    harness.step();
}

#[test]
fn first_contact_connect_type_send_see_the_echo_and_its_pretty_json() {
    let mut harness = window(AppOptions::default());
    let echo_url = harness
        .state()
        .demo_url("/echo")
        .expect("the demo server runs");
    harness.step();
    assert_eq!(
        harness.state().tabs()[0].setup.config.url,
        echo_url,
        "the first tab points at /echo"
    );
    assert!(has_label_containing(
        &harness,
        "Send is off: the connection is CLOSED"
    ));
    connect(&mut harness);
    harness.get_by_label("Message").focus();
    harness.step();
    harness
        .get_by_label("Message")
        .type_text(r#"{"type":"hello","items":[1,2,3]}"#);
    harness.step();
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the echo", |h| {
        h.query_all_by_label(r#"{"type":"hello","items":[1,2,3]}"#)
            .count()
            >= 2
    });
    let rows: Vec<_> = harness
        .query_all_by_label(r#"{"type":"hello","items":[1,2,3]}"#)
        .collect();
    rows.last().expect("the echoed row").click();
    wait_for(&mut harness, "the pretty JSON", |h| {
        has_label_containing(h, r#""type": "hello""#)
    });
    let selected = harness.state().tabs()[0].selected.expect("a selected row");
    assert_eq!(selected, 3, "connecting, open, out, in: the echo is row 3");
}

#[test]
fn close_with_a_chosen_code_shows_its_name_and_was_clean() {
    let mut harness = window(AppOptions::default());
    connect(&mut harness);
    harness.get_by_label("Close code").click();
    harness.step();
    harness.step();
    harness.get_by_label("4000 (private use)").click_accesskit();
    harness.step();
    harness.step();
    assert_eq!(harness.state().tabs()[0].composer.close_code, 4000);
    harness.get_by_label("Reason").focus();
    harness.step();
    harness.get_by_label("Reason").type_text("done here");
    harness.step();
    harness.get_by_label("Close").click();
    let preview = "4000 (private use by applications) \"done here\", clean, by client";
    wait_for(&mut harness, "the close row", |h| has_label(h, preview));
    assert!(has_label(&harness, "CLOSED"));
    harness.get_by_label(preview).click();
    wait_for(&mut harness, "the close forensics", |h| {
        has_label(h, "Clean close: yes")
    });
    assert!(has_label(&harness, "4000 (private use by applications)"));
    assert!(has_label(&harness, "Reason: \"done here\""));
    assert!(has_label(&harness, "Closed by: client"));
}

#[test]
fn rejected_handshake_shows_the_error_and_close_1006() {
    let mut harness = window(AppOptions::default());
    let url = harness.state().demo_url("/nope").expect("demo");
    harness.step();
    replace_url(&mut harness, &url);
    assert_eq!(harness.state().tabs()[0].setup.config.url, url);
    harness.key_press(Key::Enter);
    wait_for(&mut harness, "the close", |h| {
        h.state().tabs()[0].timeline.len() >= 3
    });
    assert!(has_label(&harness, "http: server answered 404 Not Found"));
    let close_preview = "1006 Abnormal Closure, not clean, by server";
    harness.get_by_label(close_preview).click();
    wait_for(&mut harness, "the close details", |h| {
        has_label(h, "1006 Abnormal Closure")
    });
    assert!(has_label(&harness, "Clean close: no"));
}

#[test]
fn binary_message_shows_hex_rows() {
    let mut harness = window(AppOptions::default());
    let url = harness.state().demo_url("/binary").expect("demo");
    harness.step();
    replace_url(&mut harness, &url);
    harness.key_press(Key::Enter);
    wait_for(&mut harness, "two binary rows", |h| {
        h.query_all_by_label("binary").count() >= 2
    });
    // "256 B (N B wire)": the demo server compresses, as it was offered permessage-deflate.
    harness
        .query_all_by_label_contains("256 B")
        .next()
        .expect("the 256 B row")
        .click();
    wait_for(&mut harness, "hex rows", |h| {
        has_label(
            h,
            "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  ................",
        )
    });
    assert!(
        has_label_containing(&harness, "00000010  10 11 12 13"),
        "the second row"
    );
}

#[test]
fn tabs_open_close_and_keep_their_own_connections() {
    let mut harness = window(AppOptions::default());
    connect(&mut harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::T);
    harness.step();
    assert_eq!(harness.state().tabs().len(), 2);
    assert_eq!(harness.state().active_tab(), 1);
    assert!(
        has_label(&harness, "CLOSED"),
        "the new tab is not connected"
    );
    harness.get_by_label("+").click();
    harness.step();
    assert_eq!(harness.state().tabs().len(), 3);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::W);
    harness.step();
    assert_eq!(harness.state().tabs().len(), 2);
    assert_eq!(
        harness.state().tabs()[0].ready_state(),
        sockscope::engine::ReadyState::Open,
        "the first tab stays connected"
    );
}

#[test]
fn a_bad_url_is_shown_and_nothing_is_lost() {
    let mut harness = window(AppOptions {
        url: Some("ftp://example.invalid/x".into()),
        no_demo_server: true,
        ..AppOptions::default()
    });
    harness.step();
    harness.get_by_label("Connect").click();
    harness.step();
    harness.step();
    assert!(has_label_containing(
        &harness,
        "the scheme must be ws, wss, http or https"
    ));
    assert_eq!(
        harness.state().tabs()[0].setup.config.url,
        "ftp://example.invalid/x"
    );
    assert!(harness.state().tabs()[0].timeline.is_empty());
}

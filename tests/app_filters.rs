//! Finding things in the window, driven through egui_kittest against the embedded demo
//! server: filters, search, statistics, the time between two rows, pins.

mod support;

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sockscope::app::{AppOptions, SockscopeApp};
use support::window::{Window, wait_for};

thread_local! {
    static CONFIG_DIR: tempfile::TempDir = tempfile::tempdir().expect("a temporary config dir");
}

type App = Window;

/// A window whose first tab points at the demo server's /json?count=6: connecting, open,
/// six ticks `{"counter":N,…,"type":"tick"}` 100 ms apart, close 1000 "done".
fn ticker_window() -> App {
    let options = AppOptions {
        config_dir: Some(CONFIG_DIR.with(|dir| dir.path().to_owned())),
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"));
    let url = harness
        .state()
        .demo_url("/json?count=6")
        .expect("demo server");
    harness
        .state_mut()
        .tab_mut(0)
        .expect("a tab")
        .setup
        .config
        .url = url;
    harness.step();
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the ticks and the close", |h| {
        h.state().tabs()[0].timeline.len() == 9
    });
    harness
}

fn has(harness: &App, text: &str) -> bool {
    harness.query_by_label_contains(text).is_some()
}

fn type_into(harness: &mut App, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.step();
    harness.get_by_label(label).type_text(text);
    harness.step();
    harness.step();
}

fn click_checkbox(harness: &mut App, label: &str) {
    harness.get_by_role_and_label(Role::CheckBox, label).click();
    harness.step();
}

#[test]
fn direction_and_kind_filters_show_n_of_m() {
    let mut harness = ticker_window();
    assert!(has(&harness, "Timeline: 9 events"));
    click_checkbox(&mut harness, "in");
    wait_for(&mut harness, "only lifecycle rows", |h| {
        has(h, "3 of 9 events")
    });
    click_checkbox(&mut harness, "in");
    harness.step();
    click_checkbox(&mut harness, "open/close/error");
    wait_for(&mut harness, "only messages", |h| has(h, "6 of 9 events"));
    assert!(!has(&harness, "Normal Closure"), "the close row is hidden");
}

#[test]
fn text_filter_keeps_the_matching_rows_and_selection_uses_the_real_index() {
    let mut harness = ticker_window();
    type_into(&mut harness, "Filter text", "\"counter\":3,");
    wait_for(&mut harness, "one row", |h| has(h, "1 of 9 events"));
    harness.get_by_label_contains("\"counter\":3,").click();
    harness.step();
    assert_eq!(
        harness.state().tabs()[0].selected,
        Some(4),
        "the detail pane gets the entry's own index"
    );
}

#[test]
fn an_invalid_regex_shows_its_error_and_is_not_applied() {
    let mut harness = ticker_window();
    click_checkbox(&mut harness, "regex");
    harness.step();
    type_into(&mut harness, "Filter text", "(tick");
    wait_for(&mut harness, "the error", |h| has(h, "invalid regex"));
    assert!(has(&harness, "Timeline: 9 events"), "nothing is filtered");
}

#[test]
fn json_path_filter_compares_numbers() {
    let mut harness = ticker_window();
    type_into(&mut harness, "JSON filter", "$.counter > 4");
    wait_for(&mut harness, "two rows", |h| has(h, "2 of 9 events"));
    assert!(has(&harness, "\"counter\":5,"));
    assert!(!has(&harness, "\"counter\":4,"));
}

#[test]
fn json_filter_takes_descendant_and_wildcard_paths() {
    let mut harness = ticker_window();
    type_into(&mut harness, "JSON filter", "$..counter > 4");
    wait_for(&mut harness, "two rows", |h| has(h, "2 of 9 events"));
    assert!(has(&harness, "\"counter\":5,"));
    assert!(!has(&harness, "\"counter\":4,"));
    // Every member's value: the ticks all have one equal to "tick".
    for _ in 0.."$..counter > 4".len() {
        harness.key_press(egui::Key::Backspace);
    }
    harness.step();
    harness
        .get_by_label("JSON filter")
        .type_text(r#"$.* == "tick""#);
    wait_for(&mut harness, "the six ticks", |h| has(h, "6 of 9 events"));
}

#[test]
fn search_counts_matches_and_f3_selects_the_next() {
    let mut harness = ticker_window();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::F);
    harness.step();
    harness.get_by_label("Search timeline").type_text("tick");
    harness.step();
    wait_for(&mut harness, "the count", |h| has(h, "6 matches"));
    harness.key_press(Key::F3);
    harness.step();
    harness.step();
    assert_eq!(harness.state().tabs()[0].selected, Some(2));
    assert!(has(&harness, "1 of 6 matches"));
    harness.key_press(Key::F3);
    harness.step();
    assert_eq!(harness.state().tabs()[0].selected, Some(3));
    harness.key_press_modifiers(Modifiers::SHIFT, Key::F3);
    harness.step();
    assert_eq!(harness.state().tabs()[0].selected, Some(2));
    harness.get_by_label("Previous").click();
    harness.step();
    assert_eq!(harness.state().tabs()[0].selected, Some(7), "wraps around");
}

#[test]
fn stats_strip_counts_messages_and_bytes() {
    let harness = ticker_window();
    let tab = &harness.state().tabs()[0];
    let bytes: usize = tab
        .timeline
        .iter()
        .filter_map(|e| match e.kind {
            sockscope::engine::EventKind::Message { payload, .. } => Some(payload.len()),
            _ => None,
        })
        .sum();
    assert!(has(&harness, &format!("In: 6 msgs, {bytes} B")));
    assert!(has(&harness, "Out: 0 msgs, 0 B"));
    assert!(has(&harness, "msg/s (peak "));
    assert!(has(&harness, "Connected: 0."));
    assert!(has(&harness, "Ping RTT: none yet"));
}

#[test]
fn ctrl_click_a_second_row_shows_the_time_between() {
    let mut harness = ticker_window();
    harness.get_by_label_contains("\"counter\":1,").click();
    harness.step();
    harness
        .get_by_label_contains("\"counter\":3,")
        .click_modifiers(Modifiers::COMMAND);
    harness.step();
    harness.step();
    let tab = &harness.state().tabs()[0];
    assert_eq!((tab.selected, tab.second_selection), (Some(2), Some(4)));
    assert!(has(&harness, "between #2 and #4"));
    assert!(has(&harness, "Δ 0."));
}

#[test]
fn pin_a_row_with_a_note_and_jump_back_to_it() {
    let mut harness = ticker_window();
    harness.get_by_label("Pins (0)").click();
    harness.step();
    harness.get_by_label_contains("\"counter\":2,").click();
    harness.step();
    harness.get_by_label("Pin selected row").click();
    harness.step();
    type_into(&mut harness, "Note for #3", "the odd one");
    assert_eq!(harness.state().tabs()[0].setup.pins.len(), 1);
    assert_eq!(harness.state().tabs()[0].setup.pins[0].index, 3);
    assert_eq!(harness.state().tabs()[0].setup.pins[0].note, "the odd one");
    harness.get_by_label_contains("\"counter\":5,").click();
    harness.step();
    assert_eq!(harness.state().tabs()[0].selected, Some(6));
    harness.get_by_label("Go to #3").click();
    harness.step();
    assert_eq!(harness.state().tabs()[0].selected, Some(3));
}

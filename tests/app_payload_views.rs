//! Hostile payloads in the window: a server echoes JSON nested 100 000 levels deep (the
//! issue's 200 KB `[[[…]]]`, whose pretty view needed gigabytes), a user selects it, and the
//! pane shows it raw with a note saying why while frames keep coming.

mod support;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use sockscope::app::{AppOptions, SockscopeApp};
use support::window::{Window, has_label, has_label_containing, wait_for};

thread_local! {
    /// A config directory per test, so the template library never touches the real one.
    static CONFIG_DIR: tempfile::TempDir = tempfile::tempdir().expect("a temporary config dir");
}

fn window() -> Window {
    let options = AppOptions {
        config_dir: Some(CONFIG_DIR.with(|dir| dir.path().to_owned())),
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"))
}

/// Connects the first tab (on the demo server's /echo), sends `text` and selects its echo.
fn select_echo_of(harness: &mut Window, text: &str) {
    harness.step();
    harness.get_by_label("Connect").click();
    wait_for(harness, "OPEN", |h| has_label(h, "OPEN"));
    let sent = harness
        .state_mut()
        .tab_mut(0)
        .expect("the first tab")
        .send_with(|handle| handle.send_text(text));
    assert!(sent);
    let preview: String = text.chars().take(160).collect();
    wait_for(harness, "the echo", |h| {
        h.query_all_by_label(&preview).count() >= 2
    });
    let rows: Vec<_> = harness.query_all_by_label(&preview).collect();
    rows.last().expect("the echoed row").click();
}

/// How many labels read exactly `text`.
fn rows_of(harness: &Window, text: &str) -> usize {
    harness.query_all_by_label(text).count()
}

#[test]
fn json_nested_100000_deep_is_shown_raw_with_a_note_and_frames_go_on() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut harness = window();
    select_echo_of(&mut harness, &deep);
    wait_for(&mut harness, "the note", |h| {
        has_label(h, "nested 100000 levels deep; showing raw")
    });
    let selected = harness.state().tabs()[0].selected.expect("a selected row");
    assert_eq!(selected, 3, "connecting, open, out, in: the echo is row 3");
    // Raw, cut into rows: the first row holds the first 1000 brackets.
    assert!(rows_of(&harness, &"[".repeat(1000)) >= 10, "the raw view");
    assert!(harness.query_by_label("Copy pretty JSON").is_none());
    harness.get_by_label("Copy text");
    // Pretty and Tree are off; clicking them changes nothing and frames go on.
    for view in ["Pretty", "Tree"] {
        harness.get_by_label(view).click();
        for _ in 0..5 {
            harness.step();
        }
        assert!(has_label(
            &harness,
            "nested 100000 levels deep; showing raw"
        ));
        assert!(rows_of(&harness, &"[".repeat(1000)) >= 10);
    }
    // The window still answers: another tab opens.
    harness.get_by_label("+").click();
    wait_for(&mut harness, "a second tab", |h| {
        h.state().tabs().len() == 2
    });
}

#[test]
fn json_deep_within_the_limit_is_pretty_with_drawn_indentation() {
    // 100 levels with a value at each: pretty, each line indented by its depth.
    let text = format!("{}0{}", r#"{"k":1,"a":"#.repeat(100), "}".repeat(100));
    let mut harness = window();
    select_echo_of(&mut harness, &text);
    let deepest = format!("{}\"k\": 1,", "  ".repeat(100));
    wait_for(&mut harness, "the pretty view", |h| {
        has_label(h, r#"  "k": 1,"#)
    });
    harness.get_by_label("Copy pretty JSON");
    assert!(!has_label_containing(&harness, "showing raw"));
    // Far below: not laid out until scrolled to.
    assert!(!has_label(&harness, &deepest));
}

#[test]
fn json_too_deep_to_indent_is_not_pretty_printed_in_the_composer() {
    // Indented, 10 000 levels would be 200 MB: Edit in composer, then Pretty-print, says so.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let mut harness = window();
    select_echo_of(&mut harness, &deep);
    wait_for(&mut harness, "the note", |h| {
        has_label(h, "nested 10000 levels deep; showing raw")
    });
    harness.get_by_label("Edit in composer").click();
    wait_for(&mut harness, "Pretty-print on", |h| {
        h.query_by_label("Pretty-print")
            .is_some_and(|button| !button.accesskit_node().is_disabled())
    });
    harness.get_by_label("Pretty-print").click();
    wait_for(&mut harness, "the composer's note", |h| {
        has_label(
            h,
            "Not pretty-printed: nested 10000 levels deep, the indented JSON would pass 8.0 MiB",
        )
    });
    assert_eq!(harness.state().tabs()[0].composer.text(), deep);
}

//! The State view in the window (issue 24), driven through egui_kittest against the demo
//! server's `/book`: the user opens State, types the select path and filter, presses Fold,
//! and sees the folded book (equal to the server's own final book); selecting a row shows
//! the state right after it, and a row that did not apply says why.

mod support;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use serde_json::Value;
use sockscope::app::{AppOptions, SockscopeApp};
use support::window::{Window, has_label, has_label_containing, wait_for};

thread_local! {
    static CONFIG_DIR: tempfile::TempDir = tempfile::tempdir().expect("a temporary config dir");
}

/// Rows of /book?count=40: connecting, open, the snapshot, 40 deltas, the final book, close.
const ROWS: usize = 45;

/// A window whose first tab ran the demo's `/book` (`query` added) to its close.
fn book_window(query: &str) -> Window {
    let options = AppOptions {
        config_dir: Some(CONFIG_DIR.with(|dir| dir.path().to_owned())),
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"));
    let url = harness
        .state()
        .demo_url(&format!("/book?count=40&interval=0{query}"))
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
    wait_for(&mut harness, "the book and the close", |h| {
        h.state().tabs()[0].timeline.len() == ROWS
    });
    harness
}

fn open_state(harness: &mut Window) {
    harness.get_by_label("State").click();
    wait_for(harness, "the State view", |h| h.state().tabs()[0].fold.open);
    harness.step();
    harness.step();
}

fn type_into(harness: &mut Window, label: &str, text: &str) {
    harness
        .get_by_role_and_label(Role::TextInput, label)
        .focus();
    harness.step();
    harness
        .get_by_role_and_label(Role::TextInput, label)
        .type_text(text);
    harness.step();
}

/// The server's final book, from the last message's text.
fn final_book(harness: &Window) -> Value {
    let tab = &harness.state().tabs()[0];
    let entry = tab.timeline.get(ROWS - 2).expect("the final message");
    let sockscope::engine::EventKind::Message { payload, .. } = entry.kind else {
        panic!("row {} is not a message", ROWS - 2);
    };
    let text = payload.as_text().expect("text");
    serde_json::from_str::<Value>(text).expect("JSON")["book"].clone()
}

#[test]
fn the_folded_book_equals_the_servers_and_rows_can_be_scrubbed() {
    let mut harness = book_window("");
    open_state(&mut harness);
    assert!(has_label(
        &harness,
        "Choose how messages change the state, then press Fold."
    ));
    type_into(&mut harness, "Select", "$.book");
    type_into(&mut harness, "Filter", r#"$.type != "final""#);
    harness.get_by_label("Fold").click();
    wait_for(&mut harness, "the state of the last row", |h| {
        has_label(
            h,
            &format!("State after row #{} ({ROWS} rows folded)", ROWS - 1),
        )
    });
    let tab = &harness.state().tabs()[0];
    // The settings are the tab's, saved with it, in the command line's words.
    let saved = tab.setup.fold.as_ref().expect("saved with the tab");
    assert_eq!(
        (
            saved.rule.as_str(),
            saved.select.as_str(),
            saved.filter.as_str()
        ),
        ("merge", "$.book", r#"$.type != "final""#)
    );
    let latest = tab.fold.state_after(&tab.timeline, ROWS - 1);
    assert_eq!(latest, Some(final_book(&harness)));
    assert!(
        has_label_containing(&harness, "bids"),
        "the tree shows the book"
    );
    // The snapshot's row (2): the state right after it is the snapshot's book.
    harness.state_mut().tab_mut(0).expect("the tab").selected = Some(2);
    harness.step();
    harness.step();
    assert!(has_label(
        &harness,
        &format!("State after row #2 ({ROWS} rows folded)")
    ));
    let tab = &harness.state().tabs()[0];
    let snapshot = tab.fold.state_after(&tab.timeline, 2).expect("a state");
    assert_ne!(snapshot, final_book(&harness), "the deltas come later");
    assert_eq!(snapshot["bids"].as_object().map(|b| b.len()), Some(5));
}

#[test]
fn a_row_that_does_not_apply_says_why() {
    let mut harness = book_window("&style=patch");
    open_state(&mut harness);
    harness.get_by_label("Rule").click();
    harness.step();
    harness.step();
    harness.get_by_label("patch").click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().tabs()[0].fold.form.rule, "patch");
    type_into(&mut harness, "Select", "$.ops");
    harness.get_by_label("Fold").click();
    // Row 43 is the final book: it has no `ops`.
    harness.state_mut().tab_mut(0).expect("the tab").selected = Some(ROWS - 2);
    wait_for(&mut harness, "the reason", |h| {
        has_label(
            h,
            &format!("Row #{} did not apply: nothing at $.ops", ROWS - 2),
        )
    });
    // Its timeline row carries a badge too (the newest rows are in view).
    assert!(has_label(&harness, "not applied"));
    let tab = &harness.state().tabs()[0];
    let history = tab.fold.history().expect("folding");
    assert_eq!(history.error(ROWS - 3), None, "the last delta applied");
    let before = tab.fold.state_after(&tab.timeline, ROWS - 3);
    assert_eq!(tab.fold.state_after(&tab.timeline, ROWS - 2), before);
    assert_eq!(before, Some(final_book(&harness)));
}

#[test]
fn a_tab_restored_with_fold_settings_folds_by_them() {
    let mut setup = sockscope::app::TabSetup::new("ws://127.0.0.1:9/");
    setup.fold = Some(sockscope::model::fold::FoldSettings {
        rule: "keyed:$.user.id".into(),
        delete: r#"$.op == "leave""#.into(),
        ..Default::default()
    });
    let tab = sockscope::app::Tab::from_setup(1, setup);
    assert!(tab.fold.history().is_some(), "{:?}", tab.fold.error);
    assert_eq!(tab.fold.form.rule, "keyed");
    assert_eq!(tab.fold.form.key, "$.user.id");
    assert!(!tab.fold.open, "the view stays closed until asked for");
    let mut bad = sockscope::app::TabSetup::new("ws://127.0.0.1:9/");
    bad.fold = Some(sockscope::model::fold::FoldSettings {
        rule: "sum".into(),
        ..Default::default()
    });
    let tab = sockscope::app::Tab::from_setup(2, bad);
    assert!(tab.fold.history().is_none());
    assert!(
        tab.fold
            .error
            .as_deref()
            .is_some_and(|e| e.contains("unknown fold rule"))
    );
}

/// The text of message row `row`, as JSON.
fn row_json(harness: &Window, row: usize) -> Value {
    let tab = &harness.state().tabs()[0];
    let entry = tab.timeline.get(row).expect("the row");
    let sockscope::engine::EventKind::Message { payload, .. } = entry.kind else {
        panic!("row {row} is not a message");
    };
    serde_json::from_str(payload.as_text().expect("text")).expect("JSON")
}

/// Folds a merge-style book in the test's own way, row by row: the lines a row's change
/// reads as (`+ /bids/99.75: 12`, `− /asks/100.25 (was 3)`, `~ /bids/99.50: 4 → 9`), and
/// how many rows changed each side.
fn book_changes(harness: &Window, upto: usize) -> (Vec<String>, [usize; 2]) {
    let mut book = serde_json::json!({});
    let mut lines = Vec::new();
    let mut sides_changed = [0, 0];
    for row in 2..=upto {
        let patch = row_json(harness, row)["book"].clone();
        lines.clear();
        for (side_index, side) in ["bids", "asks"].into_iter().enumerate() {
            let Some(levels) = patch[side].as_object() else {
                continue;
            };
            let before = book[side].clone();
            for (price, size) in levels {
                let old = before.get(price.as_str());
                let path = format!("/{side}/{price}");
                match (old.filter(|v| !v.is_null()), size.is_null()) {
                    (None, true) => {}
                    (None, false) => lines.push(format!("+ {path}: {size}")),
                    (Some(old), true) => lines.push(format!("− {path} (was {old})")),
                    (Some(old), false) if old != size => {
                        lines.push(format!("~ {path}: {old} → {size}"))
                    }
                    (Some(_), false) => {}
                }
            }
            json_patch::merge(&mut book[side], &patch[side]);
            if book[side] != before {
                sides_changed[side_index] += 1;
            }
        }
    }
    (lines, sides_changed)
}

#[test]
fn a_row_shows_its_change_and_keys_show_how_many_messages_changed_them() {
    let mut harness = book_window("");
    open_state(&mut harness);
    type_into(&mut harness, "Select", "$.book");
    type_into(&mut harness, "Filter", r#"$.type != "final""#);
    harness.get_by_label("Fold").click();
    wait_for(&mut harness, "the state of the last row", |h| {
        has_label(
            h,
            &format!("State after row #{} ({ROWS} rows folded)", ROWS - 1),
        )
    });
    // The close row changed nothing; each side's key counts the rows that changed it.
    assert!(has_label(
        &harness,
        &format!("Row #{} changed nothing.", ROWS - 1)
    ));
    let (_, [bids, asks]) = book_changes(&harness, ROWS - 3);
    let final_book = final_book(&harness);
    let keys = |side: &str| final_book[side].as_object().map_or(0, |m| m.len());
    assert!(bids > 5 && asks > 5, "the deltas change both sides");
    for (side, count) in [("bids", bids), ("asks", asks)] {
        let label = format!("{side} ×{count}: {{{} keys}}", keys(side));
        assert!(has_label(&harness, &label), "{label}");
    }
    assert!(has_label(&harness, "Highlighted: changed in the last 2 s"));

    // A delta's row: the state after it, and each change it made with old → new.
    for row in [3, 20] {
        harness.state_mut().tab_mut(0).expect("the tab").selected = Some(row);
        harness.step();
        harness.step();
        let (lines, _) = book_changes(&harness, row);
        assert!(!lines.is_empty());
        let plural = if lines.len() == 1 { "" } else { "s" };
        let said = format!("Row #{row} made {} change{plural}:", lines.len());
        assert!(has_label(&harness, &said), "{said}");
        for line in &lines {
            assert!(has_label(&harness, line), "row {row}: {line}");
        }
        assert!(has_label(
            &harness,
            "Highlighted: changed in the last 20 rows"
        ));
        // The places the row set are highlighted fully (a removed one is not in the tree).
        let set = lines
            .iter()
            .find(|line| !line.starts_with('−'))
            .expect("a level set");
        let (_, rest) = set.split_once(' ').expect("a sign, then the path");
        let first_path = rest.split([':', ' ']).next().expect("a path");
        let tab = harness.state_mut().tab_mut(0).expect("the tab");
        let shown = tab.fold.shown(&tab.timeline, row).expect("shown");
        assert_eq!(shown.marks.heat(first_path), 1.0, "{first_path}");
        let side = first_path.rsplit_once('/').expect("a side").0;
        assert_eq!(shown.marks.heat(side), 1.0, "{side}");
        assert_eq!(shown.marks.heat("/nothing"), 0.0);
    }
}

//! Sessions in the window, driven through egui_kittest against the embedded demo server:
//! save (a typed path, as where no file dialog exists), reopen, replay and walk the
//! comparison; a broken file names its path, line and column; the unsaved marker and the
//! "save changes?" prompt.

mod support;

use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sockscope::app::{AppOptions, SockscopeApp};
use support::window::{Window, has_label, has_label_containing, menu, type_path, wait_for};

/// A window whose template library lives in `config_dir` (never the user's) and which
/// starts afresh (no stored workspace).
fn window(config_dir: &Path) -> Window {
    let options = AppOptions {
        config_dir: Some(config_dir.to_owned()),
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1400.0, 860.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"))
}

/// Connects the first tab to /echo, sends `message`, sees the echo, closes cleanly.
fn record_an_echo(harness: &mut Window, message: &str) {
    harness.get_by_label("Connect").click();
    wait_for(harness, "OPEN", |h| has_label(h, "OPEN"));
    harness.get_by_label("Message").focus();
    harness.step();
    harness.get_by_label("Message").type_text(message);
    harness.step();
    harness.get_by_label("Send").click();
    wait_for(harness, "the echo", |h| {
        h.query_all_by_label(message).count() >= 2
    });
    harness.get_by_label("Close").click();
    wait_for(harness, "the clean close", |h| {
        h.state().tabs()[0].last_close_clean() == Some(true)
    });
}

#[test]
fn save_reopen_replay_and_walk_an_all_matched_comparison() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut harness = window(dir.path());
    harness.step();
    assert!(
        !has_label(&harness, "Unsaved changes"),
        "a fresh window is clean"
    );

    let message = r#"{"type":"hello","n":1}"#;
    record_an_echo(&mut harness, message);
    assert!(has_label(&harness, "Unsaved changes"));
    let recorded = harness.state().tabs()[0].timeline.len();

    let path = dir.path().join("echo.session.ron");
    menu(&mut harness, "File", "Save As...");
    type_path(&mut harness, &path);
    wait_for(&mut harness, "the save", |h| {
        h.state().sessions().path().is_some() && !h.state().sessions().is_dirty()
    });
    assert!(!has_label(&harness, "Unsaved changes"));
    let saved = std::fs::read_to_string(&path).expect("the session file");
    assert!(saved.contains("version: 1"));
    assert!(has_label_containing(&harness, "echo.session.ron"));

    menu(&mut harness, "File", "New session");
    wait_for(&mut harness, "no tabs", |h| h.state().tabs().is_empty());

    menu(&mut harness, "File", "Open...");
    type_path(&mut harness, &path);
    wait_for(&mut harness, "the reopened tab", |h| {
        h.state().tabs().len() == 1
    });
    assert_eq!(harness.state().tabs()[0].timeline.len(), recorded);
    assert!(
        harness.query_all_by_label(message).count() >= 2,
        "the recorded rows are back"
    );
    assert!(!harness.state().sessions().is_dirty());

    menu(&mut harness, "Replay", "Replay this tab...");
    wait_for(&mut harness, "the replay dialog", |h| {
        has_label(h, "As fast as possible")
    });
    harness.get_by_label("As fast as possible").click();
    harness.step();
    harness.get_by_label("Start replay").click();
    wait_for(&mut harness, "the comparison", |h| {
        has_label(h, "Everything matched")
    });
    assert_eq!(
        harness.state().tabs().len(),
        2,
        "the replay runs in its own tab"
    );
    assert!(has_label(&harness, "1 matched"));
    assert!(has_label(&harness, "0 different"));
    assert!(has_label(&harness, "0 missing"));
    assert!(has_label(&harness, "0 unexpected"));
    assert!(has_label_containing(&harness, "Close matches: 1000"));

    harness
        .get_by_label_contains("matched    {\"type\"")
        .click();
    wait_for(&mut harness, "the selected item", |h| {
        has_label_containing(h, "Expected (recorded row")
    });
    assert!(has_label_containing(&harness, "Actual (row"));
    let replay_tab = &harness.state().tabs()[1];
    let row = replay_tab.selected.expect("the received row is selected");
    assert!(replay_tab.timeline.get(row).is_some());
    assert!(
        harness.state().tabs()[0].selected.is_some(),
        "the recorded row is selected in the recorded tab"
    );
}

#[test]
fn a_broken_session_file_names_its_path_line_and_column_and_nothing_is_lost() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("broken.session.ron");
    std::fs::write(&path, "(\n    version: 1,\n    tabs: [ oops ],\n)\n").expect("written");
    let mut harness = window(dir.path());
    harness.step();
    let url = harness.state().tabs()[0].setup.config.url.clone();
    menu(&mut harness, "File", "Open...");
    type_path(&mut harness, &path);
    let expected = format!("{}:3:", path.display());
    wait_for(&mut harness, "the parse error", |h| {
        has_label_containing(h, &expected)
    });
    assert!(has_label_containing(&harness, "Could not open the session"));
    assert_eq!(harness.state().tabs().len(), 1, "the open tab is kept");
    assert_eq!(harness.state().tabs()[0].setup.config.url, url);
    assert!(harness.state().sessions().path().is_none());
}

#[test]
fn a_change_shows_the_unsaved_marker_and_new_session_asks_first() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut harness = window(dir.path());
    harness.step();
    assert!(!harness.state().sessions().is_dirty());
    harness.get_by_label("URL").focus();
    harness.step();
    harness.get_by_label("URL").type_text("x");
    harness.step();
    harness.step();
    assert!(harness.state().sessions().is_dirty());
    assert!(has_label(&harness, "Unsaved changes"));
    assert!(
        harness
            .state()
            .sessions()
            .window_title()
            .contains("unsaved")
    );

    menu(&mut harness, "File", "New session");
    wait_for(&mut harness, "the prompt", |h| has_label(h, "Don't save"));
    harness.get_by_label("Cancel").click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().tabs().len(), 1, "cancel keeps the tab");

    menu(&mut harness, "File", "New session");
    wait_for(&mut harness, "the prompt", |h| has_label(h, "Don't save"));
    harness.get_by_label("Don't save").click();
    wait_for(&mut harness, "no tabs", |h| h.state().tabs().is_empty());
    assert!(!harness.state().sessions().is_dirty());
}

#[test]
fn a_header_marked_secret_is_saved_only_as_an_environment_reference() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = window(dir.path());
    harness.get_by_label("Headers & connection").click();
    harness.step();
    harness.get_by_label("+ Add header").click();
    harness.step();
    harness.step();
    harness.get_by_label("Name").focus();
    harness.step();
    harness.get_by_label("Name").type_text("Authorization");
    harness.step();
    harness.get_by_label("Value").focus();
    harness.step();
    harness
        .get_by_label("Value")
        .type_text("Bearer s3cret-value");
    harness.step();
    harness.get_by_label("Secret").click();
    harness.step();
    harness.step();
    let tab = &harness.state().tabs()[0];
    assert_eq!(
        tab.setup.secret_headers.len(),
        1,
        "the header is marked secret"
    );
    assert_eq!(tab.setup.secret_headers[0].env, "AUTHORIZATION");
    let saved =
        sockscope::model::storage::to_ron(&sockscope::model::session::SessionFile::new(vec![
            tab.to_session(true),
        ]))
        .unwrap();
    assert!(
        !saved.contains("s3cret-value"),
        "the value never reaches the file: {saved}"
    );
    assert!(saved.contains("{{env.AUTHORIZATION}}"), "{saved}");
}

#[test]
fn the_tab_kind_and_pins_survive_a_save_and_reopen() {
    use sockscope::app::{Tab, TabKind};
    let dir = tempfile::tempdir().unwrap();
    let mut harness = window(dir.path());
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "open", |h| {
        h.state().tabs()[0].timeline.len() >= 2
    });
    let tab = harness.state_mut().tab_mut(0).unwrap();
    tab.setup.kind = TabKind::Sse;
    tab.setup.pins.push(sockscope::app::Pin {
        index: 1,
        note: "the handshake".into(),
    });
    let saved = harness.state().tabs()[0].to_session(true);
    let reopened = Tab::from_session(99, &saved, "tab 1").unwrap();
    assert_eq!(reopened.setup.kind, TabKind::Sse);
    assert_eq!(reopened.setup.pins.len(), 1);
    assert_eq!(
        (
            reopened.setup.pins[0].index,
            reopened.setup.pins[0].note.as_str()
        ),
        (1, "the handshake")
    );

    // The same through the File menu, which saves in the background from a copy.
    let path = dir.path().join("pins.session.ron");
    menu(&mut harness, "File", "Save As...");
    type_path(&mut harness, &path);
    wait_for(&mut harness, "the save", |h| {
        h.state().sessions().path().is_some() && !h.state().sessions().is_dirty()
    });
    let file = sockscope::model::session::SessionFile::load(&path).expect("the saved session");
    let reopened = Tab::from_session(100, &file.tabs[0], "tab 1").unwrap();
    assert_eq!(
        reopened.setup.kind,
        TabKind::Sse,
        "the menu's save keeps the kind"
    );
    assert_eq!(
        reopened.setup.pins.len(),
        1,
        "the menu's save keeps the pins"
    );
}

#[test]
fn copy_tab_as_command_line_puts_the_sockscope_command_on_the_clipboard() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = window(dir.path());
    harness.step();
    let tab = harness.state_mut().tab_mut(0).expect("a tab");
    tab.setup.config.url = "ws://127.0.0.1:9001/{{room}}".into();
    tab.setup.config.headers = vec![sockscope::engine::HeaderEntry::new("X-Team", "a b")];
    tab.setup.variables = vec![("room".into(), "lobby".into())];
    harness.step();
    harness.get_by_label("File").click();
    wait_for(&mut harness, "the File menu", |h| {
        has_label(h, "Copy tab as command line")
    });
    harness.get_by_label("Copy tab as command line").click();
    harness.step();
    let copied: Vec<String> = harness
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|command| match command {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .collect();
    harness.step();
    assert_eq!(
        copied,
        ["sockscope connect ws://127.0.0.1:9001/lobby -H 'X-Team: a b' --wait inf"]
    );

    // A variable that cannot be expanded is said where a connect would say it.
    harness
        .state_mut()
        .tab_mut(0)
        .expect("a tab")
        .setup
        .config
        .url = "ws://h/{{nope}}".into();
    menu(&mut harness, "File", "Copy tab as command line");
    harness.step();
    assert!(has_label_containing(&harness, "Not copied: the URL"));
}

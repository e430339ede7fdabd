//! The Script panel in the window (issue 22), driven through egui_kittest against the demo
//! server: a tab's script runs with its connection, its sends go out, its tests show pass
//! or fail with why, a test's row button selects the message that decided it, `vars.set`
//! sets the tab's variable, and a script that does not compile shows its line.

mod support;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sockscope::app::{AppOptions, SockscopeApp};
use support::window::{Window, has_label, has_label_containing, wait_for};

thread_local! {
    static CONFIG_DIR: tempfile::TempDir = tempfile::tempdir().expect("a temporary config dir");
}

const SCRIPT: &str = r#"function onOpen() { ws.send({ hello: "window" }); }
function onMessage(msg) {
  if (msg.dir === "in" && msg.json) { vars.set("greeting", msg.json.hello); log("echoed", msg.text); }
}
test("the echo comes back", async () => {
  const m = await waitFor((m) => m.dir === "in", 3000);
  expect(m.json.hello).toBe("window");
});
test("a failing check", () => expect(1).toBe(2));
"#;

/// A window whose first tab has `script` and the demo's `/echo` as its URL, Script open.
fn window_with(script: &str) -> Window {
    let options = AppOptions {
        config_dir: Some(CONFIG_DIR.with(|dir| dir.path().to_owned())),
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1600.0, 900.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"));
    let url = harness.state().demo_url("/echo").expect("demo server");
    let tab = harness.state_mut().tab_mut(0).expect("a tab");
    tab.setup.config.url = url;
    tab.setup.script = script.to_owned();
    harness.step();
    harness.get_by_label("Script").click();
    harness.step();
    wait_for(&mut harness, "the Script panel", |h| {
        h.state().tabs()[0].script.open
    });
    harness
}

#[test]
fn the_script_runs_with_the_connection_and_its_tests_show_pass_and_fail() {
    let mut harness = window_with(SCRIPT);
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "both test results", |h| {
        h.state().tabs()[0].script.results.len() == 2
    });
    assert!(has_label(&harness, "PASS the echo comes back"));
    assert!(has_label(&harness, "FAIL a failing check"));
    assert!(has_label(&harness, "expected 1 to be 2"));
    assert!(has_label_containing(
        &harness,
        "echoed {\"hello\":\"window\"}"
    ));
    // The script's send went out and came back: connecting, open, out, in.
    let tab = &harness.state().tabs()[0];
    assert!(tab.timeline.len() >= 4, "{}", tab.timeline.len());
    assert!(
        tab.setup
            .variables
            .iter()
            .any(|(name, value)| name == "greeting" && value == "window"),
        "{:?}",
        tab.setup.variables
    );
    // The passing test's row button selects the echo that decided it.
    let decided = tab.script.results[1]
        .decided_by
        .expect("the echo decided it");
    harness.get_by_label(&format!("#{decided}")).click();
    harness.step();
    assert_eq!(harness.state().tabs()[0].selected, Some(decided as usize));
    let Some(sockscope::engine::EventKind::Message { dir, .. }) =
        harness.state().tabs()[0].timeline.kind(decided as usize)
    else {
        panic!("row {decided} is not a message");
    };
    assert_eq!(*dir, sockscope::engine::Direction::In);
    harness.get_by_label("Disconnect").click();
    wait_for(&mut harness, "the script to end", |h| {
        !h.state().tabs()[0].script.running()
    });
    // Run again starts from the start: two fresh results.
    harness.get_by_label("Run again").click();
    wait_for(&mut harness, "the second run's results", |h| {
        h.state().tabs()[0].script.results.len() == 2 && h.state().tabs()[0].script.running()
    });
}

#[test]
fn a_script_that_does_not_compile_shows_its_line_and_the_connection_goes_on() {
    let mut harness = window_with("function onOpen() {\n  ws.send(;\n}\n");
    harness.get_by_label("Check").click();
    harness.step();
    assert!(
        has_label_containing(&harness, "Line 2, column 11: SyntaxError"),
        "the error at its line"
    );
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the connection to open", |h| {
        h.state().tabs()[0].ready_state() == sockscope::engine::ReadyState::Open
    });
    assert!(!harness.state().tabs()[0].script.running());
}

#[test]
fn script_logs_and_test_results_are_rows_of_the_timeline_but_not_of_the_saved_session() {
    let mut harness = window_with(
        r#"function onOpen() { log("hello from the script"); ws.send("ping me"); }
test("the echo comes back", async () => { await waitFor((m) => m.dir === "in", 3000); });
test("a failing check", () => expect(1).toBe(2));
"#,
    );
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "both test results", |h| {
        h.state().tabs()[0].script.results.len() == 2
    });
    harness.step();
    // The rows' previews, in the timeline (the Script panel words them otherwise).
    assert!(has_label(
        &harness,
        "test failed: a failing check: expected 1 to be 2"
    ));
    assert!(has_label(&harness, "test passed: the echo comes back"));
    let tab = &harness.state().tabs()[0];
    let rows: Vec<String> = (0..tab.timeline.len())
        .filter_map(|index| match tab.timeline.kind(index) {
            Some(sockscope::engine::EventKind::Script(note)) => Some(note.line()),
            _ => None,
        })
        .collect();
    assert_eq!(
        rows,
        [
            // The top level ran its synchronous test at load, before the open.
            "test failed: a failing check: expected 1 to be 2",
            "hello from the script",
            "test passed: the echo comes back",
        ]
    );
    // The log row's kind shows as `log`, beside the `text` rows of the messages.
    assert!(has_label(&harness, "log"));
    // Only the one message was sent: the rows are not messages.
    let sent = (0..tab.timeline.len())
        .filter(|&index| {
            matches!(
                tab.timeline.kind(index),
                Some(sockscope::engine::EventKind::Message {
                    dir: sockscope::engine::Direction::Out,
                    ..
                })
            )
        })
        .count();
    assert_eq!(sent, 1);
    // A saved session leaves them out, so older builds still load it.
    let entries = tab.timeline.to_entries();
    let saved = sockscope::model::recorded::record_all(&entries);
    assert_eq!(saved.len(), entries.len() - 3);
}

#[test]
fn a_tabs_script_sees_what_the_tabs_decoding_made_of_a_message() {
    let mut harness = window_with(
        r#"function onMessage(msg) {
  if (msg.dir === "in") log("decoded", msg.type, typeof msg.decoded, msg.decoded && msg.decoded.seq);
}
"#,
    );
    let url = harness
        .state()
        .demo_url("/msgpack?count=2")
        .expect("demo server");
    let tab = harness.state_mut().tab_mut(0).expect("a tab");
    tab.setup.config.url = url;
    tab.decode_tab_as("msgpack".parse().expect("a decode spec"));
    harness.step();
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "two logs", |h| {
        h.state().tabs()[0]
            .script
            .lines
            .iter()
            .filter(|line| matches!(line, sockscope::app::tab_script::ScriptLine::Log(_)))
            .count()
            == 2
    });
    let logs: Vec<String> = harness.state().tabs()[0]
        .script
        .lines
        .iter()
        .filter_map(|line| match line {
            sockscope::app::tab_script::ScriptLine::Log(text) => Some(text.clone()),
            sockscope::app::tab_script::ScriptLine::Error(_) => None,
        })
        .collect();
    assert_eq!(logs, ["decoded binary object 1", "decoded binary object 2"]);
}

//! The composer as a user meets it, driven through egui_kittest against the embedded demo
//! server: formats and their errors, variables, the counter, history, templates and the
//! global library (kept in a temporary config directory, never the real one).

mod support;

use std::path::Path;

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use sockscope::app::{AppOptions, SockscopeApp};
use sockscope::engine::{Direction, EventKind};
use sockscope::model::template::{MessageFormat, TemplateFile};
use support::window::{Window, choose_format, has_label, has_label_containing, wait_for};

/// The window with its template library in a fresh temporary directory (returned, so it
/// lives as long as the test).
fn window() -> (Window, tempfile::TempDir) {
    let config = tempfile::tempdir().expect("a temporary config dir");
    let harness = window_in(config.path());
    (harness, config)
}

fn window_in(config_dir: &Path) -> Window {
    let options = AppOptions {
        config_dir: Some(config_dir.to_owned()),
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"))
}

fn connect(harness: &mut Window) {
    harness.get_by_label("Connect").click();
    wait_for(harness, "OPEN", |h| has_label(h, "OPEN"));
}

fn send_is_enabled(harness: &Window) -> bool {
    !harness.get_by_label("Send").accesskit_node().is_disabled()
}

fn composer_format(harness: &Window) -> MessageFormat {
    harness.state().tabs()[0].composer.format()
}

fn composer_text(harness: &Window) -> String {
    harness.state().tabs()[0].composer.text().to_owned()
}

/// Focuses the field labelled `label` and types `text` into it.
fn type_into(harness: &mut Window, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.step();
    harness.get_by_label(label).type_text(text);
    harness.step();
    harness.step();
}

/// Empties the focused text field.
fn clear_focused(harness: &mut Window) {
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.step();
    harness.key_press(Key::Backspace);
    harness.step();
    harness.step();
}

/// The text messages of the first tab's timeline that went `dir`.
fn texts(harness: &Window, dir: Direction) -> Vec<String> {
    harness.state().tabs()[0]
        .timeline
        .iter()
        .filter_map(|entry| match entry.kind {
            EventKind::Message { dir: d, payload } if *d == dir => {
                payload.as_text().map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

fn echoed(harness: &Window, text: &str) -> bool {
    texts(harness, Direction::In).iter().any(|t| t == text)
}

#[test]
fn save_a_template_reload_it_send_it_and_see_the_echo() {
    let (mut harness, config) = window();
    connect(&mut harness);
    choose_format(&mut harness, MessageFormat::Json);
    type_into(&mut harness, "Message", r#"{"op":"saved","n":{{counter}}}"#);
    assert!(has_label(&harness, "Valid JSON, 20 bytes, text message"));
    harness.get_by_label("Save as template…").click();
    harness.step();
    harness.step();
    harness.check_accessibility();
    type_into(&mut harness, "Template name", "my greeting");
    type_into(&mut harness, "Description", "says hello");
    harness.get_by_label("Save template").click();
    let library = config.path().join("templates.ron");
    wait_for(&mut harness, "the library file", |_| {
        TemplateFile::load(&library).is_ok_and(|file| file.find("my greeting").is_some())
    });
    let saved = TemplateFile::load(&library).expect("the library parses");
    let template = saved.find("my greeting").expect("saved");
    assert_eq!(template.format, MessageFormat::Json);
    assert_eq!(template.body, r#"{"op":"saved","n":{{counter}}}"#);
    assert_eq!(template.description, "says hello");
    assert!(
        saved.find("hello").is_some(),
        "a new library starts with the examples"
    );

    // The editor has the focus back: empty it, switch format, then load the template.
    wait_for(&mut harness, "the focus back in the editor", |h| {
        h.get_by_label("Message").is_focused()
    });
    clear_focused(&mut harness);
    choose_format(&mut harness, MessageFormat::Text);
    assert_eq!(composer_text(&harness), "");
    harness
        .get_by_label("Load library template my greeting")
        .click();
    harness.step();
    harness.step();
    assert_eq!(composer_format(&harness), MessageFormat::Json);
    assert_eq!(composer_text(&harness), r#"{"op":"saved","n":{{counter}}}"#);
    assert!(has_label(&harness, "Loaded template \"my greeting\"."));

    harness
        .get_by_label("Send library template my greeting")
        .click();
    wait_for(&mut harness, "the echo", |h| {
        echoed(h, r#"{"op":"saved","n":1}"#)
    });
    assert_eq!(texts(&harness, Direction::Out), [r#"{"op":"saved","n":1}"#]);
}

#[test]
fn a_malformed_hex_body_shows_where_and_send_stays_disabled() {
    let (mut harness, _config) = window();
    connect(&mut harness);
    choose_format(&mut harness, MessageFormat::Hex);
    type_into(&mut harness, "Message", "0a zz");
    assert!(has_label(
        &harness,
        "invalid hex digit 'z' at position 3 (line 1, column 4)"
    ));
    assert!(!send_is_enabled(&harness));
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    harness.get_by_label("Send").click();
    for _ in 0..5 {
        harness.step();
    }
    assert_eq!(
        harness.state().tabs()[0].timeline.len(),
        2,
        "nothing was sent"
    );

    // An odd number of digits, then a good body with its byte count.
    harness.get_by_label("Message").focus();
    harness.step();
    clear_focused(&mut harness);
    harness.get_by_label("Message").type_text("0x0a 0b 0");
    harness.step();
    harness.step();
    assert!(has_label_containing(
        &harness,
        "the digit at position 8 has no partner (line 1, column 9)"
    ));
    assert!(!send_is_enabled(&harness));
    harness.get_by_label("Message").type_text("c");
    harness.step();
    harness.step();
    assert!(has_label(&harness, "3 bytes, binary message"));
    assert!(send_is_enabled(&harness));
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the binary echo", |h| {
        h.state().tabs()[0].timeline.len() >= 4
    });
}

#[test]
fn a_json_error_shows_its_line_and_column() {
    let (mut harness, _config) = window();
    connect(&mut harness);
    choose_format(&mut harness, MessageFormat::Json);
    type_into(&mut harness, "Message", "{");
    harness.key_press(Key::Enter);
    harness.step();
    harness.get_by_label("Message").type_text("  \"a\": }");
    harness.step();
    harness.step();
    assert_eq!(composer_text(&harness), "{\n  \"a\": }");
    assert!(
        has_label_containing(&harness, "Invalid JSON: line 2, column 8: "),
        "the error names line 2, column 8"
    );
    assert!(!send_is_enabled(&harness));
    // Fixing it enables Send; Pretty-print lays it out and what is sent is what is shown.
    harness.key_press(Key::Backspace);
    harness.get_by_label("Message").type_text("[1,{}]}");
    harness.step();
    harness.step();
    assert!(send_is_enabled(&harness));
    harness.get_by_label("Pretty-print").click();
    harness.step();
    harness.step();
    let pretty = "{\n  \"a\": [\n    1,\n    {}\n  ]\n}";
    assert_eq!(composer_text(&harness), pretty);
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the echo", |h| echoed(h, pretty));
    harness.get_by_label("Minify").click();
    harness.step();
    assert_eq!(composer_text(&harness), r#"{"a":[1,{}]}"#);
}

#[test]
fn the_counter_sends_one_then_two() {
    let (mut harness, _config) = window();
    connect(&mut harness);
    type_into(&mut harness, "Message", "n={{counter}}");
    assert!(
        has_label(&harness, "n=1"),
        "the preview shows the next value"
    );
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the first echo", |h| echoed(h, "n=1"));
    assert!(has_label(&harness, "n=2"), "the preview moves on");
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the second echo", |h| echoed(h, "n=2"));
    assert_eq!(texts(&harness, Direction::Out), ["n=1", "n=2"]);
    assert_eq!(harness.state().tabs()[0].counter(), 3);
}

#[test]
fn an_unknown_variable_disables_send_until_it_is_defined() {
    let (mut harness, _config) = window();
    connect(&mut harness);
    type_into(&mut harness, "Message", "hi {{who}}");
    assert!(has_label(
        &harness,
        "unknown variable {{who}} at position 3 (line 1, column 4)"
    ));
    assert!(!send_is_enabled(&harness));

    harness.get_by_label("+ Add variable").click();
    harness.step();
    harness.step();
    harness.check_accessibility();
    type_into(&mut harness, "Variable 1 name", "who");
    type_into(&mut harness, "Variable 1 value", "ada");
    assert!(has_label(&harness, "hi ada"), "the preview");
    assert!(send_is_enabled(&harness));
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the echo", |h| echoed(h, "hi ada"));

    // A reserved name is refused and never expanded.
    harness.get_by_label("Variable 1 name").focus();
    harness.step();
    clear_focused(&mut harness);
    harness.get_by_label("Variable 1 name").type_text("now");
    harness.step();
    harness.step();
    assert!(has_label_containing(
        &harness,
        "Variable 1: variable name \"now\" is reserved"
    ));
    assert!(!send_is_enabled(&harness));

    // A missing environment variable is an error too.
    harness.get_by_label("Message").focus();
    harness.step();
    clear_focused(&mut harness);
    harness
        .get_by_label("Message")
        .type_text("{{env.SOCKSCOPE_TEST_SURELY_UNSET}}");
    harness.step();
    harness.step();
    assert!(has_label_containing(
        &harness,
        "environment variable SOCKSCOPE_TEST_SURELY_UNSET is not set"
    ));
    assert!(!send_is_enabled(&harness));
}

#[test]
fn up_in_an_empty_composer_brings_back_what_was_sent() {
    let (mut harness, _config) = window();
    connect(&mut harness);
    type_into(&mut harness, "Message", "first");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    wait_for(&mut harness, "the first echo", |h| echoed(h, "first"));
    clear_focused(&mut harness);
    harness.get_by_label("Message").type_text("second");
    harness.step();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    wait_for(&mut harness, "the second echo", |h| echoed(h, "second"));
    clear_focused(&mut harness);
    assert_eq!(composer_text(&harness), "");

    let press = |harness: &mut Window, key| {
        harness.key_press(key);
        harness.step();
        harness.step();
    };
    press(&mut harness, Key::ArrowUp);
    assert_eq!(composer_text(&harness), "second");
    press(&mut harness, Key::ArrowUp);
    assert_eq!(composer_text(&harness), "first");
    press(&mut harness, Key::ArrowUp);
    assert_eq!(composer_text(&harness), "first", "the oldest stays");
    press(&mut harness, Key::ArrowDown);
    assert_eq!(composer_text(&harness), "second");
    press(&mut harness, Key::ArrowDown);
    assert_eq!(composer_text(&harness), "", "past the newest: empty again");

    // Editing a recalled message leaves history mode: Up no longer replaces the text.
    press(&mut harness, Key::ArrowUp);
    harness.get_by_label("Message").type_text("!");
    harness.step();
    assert_eq!(composer_text(&harness), "second!");
    press(&mut harness, Key::ArrowUp);
    assert_eq!(composer_text(&harness), "second!");
    assert_eq!(harness.state().tabs()[0].composer.history().len(), 2);
}

#[test]
fn the_url_expands_user_variables_and_keeps_the_placeholder() {
    let (mut harness, _config) = window();
    let echo = harness
        .state()
        .demo_url("/echo")
        .expect("the demo server runs");
    let templated = echo.replace("/echo", "/{{path}}");
    harness.step();
    harness.get_by_label("URL").focus();
    harness.step();
    clear_focused(&mut harness);
    harness.get_by_label("URL").type_text(&templated);
    harness.step();

    // Not defined yet: an error at the URL field, and nothing is sent.
    harness.get_by_label("Connect").click();
    harness.step();
    harness.step();
    assert!(has_label_containing(
        &harness,
        "Not connected: the URL: unknown variable {{path}}"
    ));
    assert!(harness.state().tabs()[0].timeline.is_empty());

    harness.get_by_label("+ Add variable").click();
    harness.step();
    harness.step();
    type_into(&mut harness, "Variable 1 name", "path");
    type_into(&mut harness, "Variable 1 value", "echo");
    connect(&mut harness);
    let tab = &harness.state().tabs()[0];
    assert_eq!(tab.setup.config.url, templated, "the placeholder is kept");
    let first = tab.timeline.kind(0).expect("a first entry");
    assert!(
        matches!(first, EventKind::Connecting { url } if *url == echo),
        "connected to the expanded URL: {first:?}"
    );
}

#[test]
fn a_file_body_shows_name_and_size_then_sends_its_bytes() {
    let (mut harness, config) = window();
    let file = config.path().join("payload.bin");
    std::fs::write(&file, [0xde, 0xad, 0xbe, 0xef, 0x00]).expect("write the payload");
    connect(&mut harness);
    choose_format(&mut harness, MessageFormat::File);
    assert!(has_label(
        &harness,
        "Type the path of the file to send, or press Browse."
    ));
    type_into(&mut harness, "File path", &file.display().to_string());
    wait_for(&mut harness, "the file's size", |h| {
        has_label(h, "payload.bin: 5 B (5 bytes), binary message")
    });
    assert!(send_is_enabled(&harness));
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the binary echo", |h| {
        h.state().tabs()[0]
            .timeline
            .iter()
            .any(|e| matches!(e.kind, EventKind::Message { dir: Direction::In, payload } if payload.as_bytes() == [0xde, 0xad, 0xbe, 0xef, 0x00]))
    });

    // A missing file is an error, and Send is off.
    type_into(&mut harness, "File path", ".missing");
    wait_for(&mut harness, "the lookup error", |h| {
        has_label_containing(h, "payload.bin.missing: ")
    });
    assert!(!send_is_enabled(&harness));
}

#[test]
fn library_templates_are_renamed_duplicated_moved_and_deleted() {
    let (mut harness, config) = window();
    let library = config.path().join("templates.ron");
    let names = |h: &Window| -> Vec<String> {
        h.state()
            .library()
            .templates()
            .iter()
            .map(|t| t.name.clone())
            .collect()
    };
    let on_disk = |path: &Path| -> Vec<String> {
        TemplateFile::load(path)
            .map(|file| file.names().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    harness.step();
    assert_eq!(names(&harness)[0], "hello");

    let menu = |harness: &mut Window, template: &str, item: &str| {
        harness
            .get_by_label(&format!("More for library template {template}"))
            .click();
        harness.step();
        harness.step();
        harness.get_by_label(item).click_accesskit();
        harness.step();
        harness.step();
    };
    menu(&mut harness, "hello", "Duplicate");
    assert_eq!(names(&harness)[..2], ["hello", "hello (copy)"]);
    menu(&mut harness, "hello (copy)", "Rename");
    harness.check_accessibility();
    harness.get_by_label("New name").focus();
    harness.step();
    clear_focused(&mut harness);
    harness.get_by_label("New name").type_text("hello");
    harness.step();
    harness.step();
    assert!(has_label(
        &harness,
        "a template named \"hello\" already exists"
    ));
    harness.get_by_label("New name").type_text(" again");
    harness.step();
    harness.get_by_label("OK").click();
    harness.step();
    harness.step();
    assert_eq!(names(&harness)[..2], ["hello", "hello again"]);
    menu(&mut harness, "hello again", "Move up");
    assert_eq!(names(&harness)[..2], ["hello again", "hello"]);
    menu(&mut harness, "hello", "Delete");
    assert_eq!(names(&harness)[..2], ["hello again", "numbered ping"]);
    let expected = names(&harness);
    wait_for(&mut harness, "the saved library", |_| {
        on_disk(&library) == expected
    });

    // Search filters by name and description.
    type_into(&mut harness, "Search", "uuid");
    assert!(has_label(&harness, "Load library template subscribe"));
    assert!(!has_label(&harness, "Load library template hello again"));

    // Copy to this tab keeps names unique there.
    menu(&mut harness, "subscribe", "Copy to this tab");
    menu(&mut harness, "subscribe", "Copy to this tab");
    let tab_names: Vec<_> = harness.state().tabs()[0]
        .setup
        .templates
        .iter()
        .map(|t| t.name.clone())
        .collect();
    assert_eq!(tab_names, ["subscribe", "subscribe (copy)"]);
    assert!(has_label(&harness, "Load tab template subscribe (copy)"));
}

#[test]
fn a_broken_library_is_reported_and_left_alone() {
    let config = tempfile::tempdir().expect("a temporary config dir");
    let library = config.path().join("templates.ron");
    let broken = "(version: 1, templates: [ (name: \"x\" ";
    std::fs::write(&library, broken).expect("write");
    let mut harness = window_in(config.path());
    for _ in 0..5 {
        harness.step();
    }
    assert!(has_label_containing(
        &harness,
        "The library could not be read: "
    ));
    assert!(harness.state().library().templates().is_empty());
    assert_eq!(
        std::fs::read_to_string(&library).expect("read"),
        broken,
        "not overwritten"
    );
}

/// Connects, types `text`, sets the repeat interval (a DragValue, set directly) and starts.
fn start_repeat(harness: &mut Window, text: &str, every_ms: u64) {
    connect(harness);
    type_into(harness, "Message", text);
    harness
        .state_mut()
        .tab_mut(0)
        .expect("a tab")
        .composer
        .repeat_every = std::time::Duration::from_millis(every_ms);
    harness.step();
    harness.get_by_label("Start").click();
}

#[test]
fn repeat_sends_the_message_at_an_interval_until_stopped() {
    let (mut harness, _config) = window();
    start_repeat(&mut harness, "beat {{counter}}", 50);
    wait_for(&mut harness, "three beats echoed", |h| {
        texts(h, Direction::In).len() >= 3
    });
    assert_eq!(
        texts(&harness, Direction::Out)[..3],
        ["beat 1", "beat 2", "beat 3"],
        "variables are expanded for each send"
    );
    assert!(has_label_containing(&harness, "Sending every 50 ms: "));
    harness.get_by_label("Stop").click();
    // A send made just before Stop may still be on its way to the timeline: let it land
    // (the engine reports it within a few steps), then nothing more may come for many
    // intervals.
    for _ in 0..5 {
        std::thread::sleep(std::time::Duration::from_millis(20));
        harness.step();
    }
    let sent = texts(&harness, Direction::Out).len();
    for _ in 0..10 {
        std::thread::sleep(std::time::Duration::from_millis(30));
        harness.step();
    }
    assert_eq!(
        texts(&harness, Direction::Out).len(),
        sent,
        "nothing after Stop"
    );
    assert!(harness.state().tabs()[0].repeat.is_none());
    assert!(has_label(&harness, "Repeat every"));
}

#[test]
fn a_repeat_stops_when_the_connection_closes_and_says_so() {
    let (mut harness, _config) = window();
    start_repeat(&mut harness, "tick", 40);
    wait_for(&mut harness, "two ticks", |h| {
        texts(h, Direction::Out).len() >= 2
    });
    harness.get_by_label("Disconnect").click();
    wait_for(&mut harness, "CLOSED", |h| has_label(h, "CLOSED"));
    assert!(harness.state().tabs()[0].repeat.is_none());
    assert!(has_label_containing(&harness, "Repeat stopped after "));
    assert!(has_label_containing(&harness, "sends: the connection is C"));
}

//! What a user does to the timeline itself, driven through egui_kittest against the embedded
//! demo server's /echo: a row's context menu (copy a message as text, hex, base64 or the
//! command line's JSON line, edit it in the composer, send it again, and what is off when),
//! and Clear.

mod support;

use std::time::SystemTime;

use egui_kittest::kittest::{NodeT, Queryable};
use serde_json::Value;
use sockscope::app::AppOptions;
use sockscope::engine::{ConnectionConfig, Direction, Event, EventKind, Payload, SseMessage};
use sockscope::model::template::MessageFormat;
use sockscope::model::timeline::Timeline;
use support::window::{Window, choose_format, copied, has_label, open, wait_for};

/// The window (its template library in a fresh temporary directory), connected to /echo.
fn connected() -> (Window, tempfile::TempDir) {
    let config = tempfile::tempdir().expect("a temporary config dir");
    let mut harness = open(AppOptions {
        config_dir: Some(config.path().to_owned()),
        ..AppOptions::default()
    });
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "OPEN", |h| has_label(h, "OPEN"));
    (harness, config)
}

/// Types `body` into the composer in `format`, sends it and waits for its echo.
fn send_and_wait_for_echo(harness: &mut Window, format: MessageFormat, body: &str) {
    if harness.state().tabs()[0].composer.format() != format {
        choose_format(harness, format);
    }
    harness.get_by_label("Message").focus();
    harness.step();
    harness.get_by_label("Message").type_text(body);
    harness.step();
    let before = harness.state().tabs()[0].timeline.len();
    harness.get_by_label("Send").click();
    wait_for(harness, "the echo", |h| {
        h.state().tabs()[0].timeline.len() == before + 2
    });
}

/// Right-clicks the last timeline row whose preview contains `preview` (the timeline is
/// drawn after the composer, whose variables preview may show the same text).
fn open_row_menu(harness: &mut Window, preview: &str) {
    harness
        .query_all_by_label_contains(preview)
        .last()
        .unwrap_or_else(|| panic!("a row previewing {preview:?}"))
        .click_secondary();
    harness.step();
    harness.step();
}

/// Clicks the open menu's entry `label` (the detail pane may have a button of the same name:
/// the menu is drawn after it) and returns the text it put on the clipboard, if any.
fn choose(harness: &mut Window, label: &str) -> Option<String> {
    harness
        .query_all_by_label(label)
        .last()
        .unwrap_or_else(|| panic!("a menu entry {label:?}"))
        .click();
    harness.step();
    copied(harness)
}

/// Chooses "Copy as JSON line" in the open menu and parses what was copied.
fn copy_json_line(harness: &mut Window) -> Value {
    let line = choose(harness, "Copy as JSON line").expect("a JSON line was copied");
    serde_json::from_str(&line).expect("the copied line is JSON")
}

/// The payloads of the first tab's messages that went `dir`, in order.
fn payloads(harness: &Window, dir: Direction) -> Vec<Payload> {
    harness.state().tabs()[0]
        .timeline
        .iter()
        .filter_map(|entry| match entry.kind {
            EventKind::Message { dir: d, payload } if *d == dir => Some(payload.clone()),
            _ => None,
        })
        .collect()
}

fn text(payload: &Payload) -> &str {
    payload.as_text().expect("a text message")
}

#[test]
fn copy_a_text_message_and_its_json_line() {
    let (mut harness, _config) = connected();
    send_and_wait_for_echo(&mut harness, MessageFormat::Text, "hello there");
    // Rows: connecting, open, the message out (#2), its echo (#3).
    open_row_menu(&mut harness, "hello there");
    assert_eq!(
        harness.state().tabs()[0].selected,
        Some(3),
        "a right-click selects the row, so the details show what the menu acts on"
    );
    assert!(
        harness.query_by_label("Copy as hex").is_none(),
        "a text message offers no binary forms"
    );
    assert_eq!(
        choose(&mut harness, "Copy text").as_deref(),
        Some("hello there")
    );

    open_row_menu(&mut harness, "hello there");
    let line = copy_json_line(&mut harness);
    assert_eq!(line["event"], "message");
    assert_eq!(line["dir"], "in");
    assert_eq!(line["type"], "text");
    assert_eq!(line["text"], "hello there");
    assert_eq!(line["len"], 11);
    assert!(line["time"].is_string() && line["seq"].is_u64());
}

#[test]
fn send_again_sends_the_same_bytes_and_says_so() {
    let (mut harness, _config) = connected();
    send_and_wait_for_echo(&mut harness, MessageFormat::Text, "once more");
    open_row_menu(&mut harness, "once more");
    choose(&mut harness, "Send again");
    wait_for(&mut harness, "the second echo", |h| {
        payloads(h, Direction::In).len() == 2
    });
    let out = payloads(&harness, Direction::Out);
    assert_eq!(out.iter().map(text).collect::<Vec<_>>(), ["once more"; 2]);
    assert!(has_label(&harness, "Sent #3 again."));
}

#[test]
fn edit_in_composer_keeps_braces_literal_and_picks_json() {
    let (mut harness, _config) = connected();
    // `\{{` is how the composer writes a literal `{{`: this sends {"tpl":"{{name}}","n":1}.
    send_and_wait_for_echo(
        &mut harness,
        MessageFormat::Text,
        r#"{"tpl":"\{{name}}","n":1}"#,
    );
    let sent = r#"{"tpl":"{{name}}","n":1}"#;
    assert_eq!(text(&payloads(&harness, Direction::In)[0]), sent);

    open_row_menu(&mut harness, "\"tpl\"");
    choose(&mut harness, "Edit in composer");
    harness.step();
    harness.step();
    let composer = &harness.state().tabs()[0].composer;
    assert_eq!(
        composer.format(),
        MessageFormat::Json,
        "a JSON object opens as JSON"
    );
    assert_eq!(composer.text(), r#"{"tpl":"\{{name}}","n":1}"#);
    assert!(has_label(
        &harness,
        "#3 is in the composer: edit it, then Send."
    ));

    // Sent unedited, it is the same message again, not an unknown variable.
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the second echo", |h| {
        payloads(h, Direction::In).len() == 2
    });
    let out = payloads(&harness, Direction::Out);
    assert_eq!(text(&out[1]), sent);
}

#[test]
fn a_binary_message_copies_as_hex_and_base64_and_edits_as_hex() {
    let (mut harness, _config) = connected();
    send_and_wait_for_echo(&mut harness, MessageFormat::Hex, "de ad be ef 00 01");
    let echoed = payloads(&harness, Direction::In);
    assert_eq!(echoed[0].as_bytes(), [0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]);

    // The binary rows preview their bytes in hex.
    open_row_menu(&mut harness, "de ad be ef");
    assert_eq!(
        choose(&mut harness, "Copy as hex").as_deref(),
        Some("deadbeef0001")
    );
    open_row_menu(&mut harness, "de ad be ef");
    assert_eq!(
        choose(&mut harness, "Copy as base64").as_deref(),
        Some("3q2+7wAB")
    );
    open_row_menu(&mut harness, "de ad be ef");
    choose(&mut harness, "Edit in composer");
    harness.step();
    let composer = &harness.state().tabs()[0].composer;
    assert_eq!(composer.format(), MessageFormat::Hex);
    assert_eq!(composer.text(), "de ad be ef 00 01");
}

#[test]
fn send_again_is_off_once_closed_and_other_rows_only_copy_and_pin() {
    let (mut harness, _config) = connected();
    send_and_wait_for_echo(&mut harness, MessageFormat::Text, "before the close");
    harness.get_by_label("Close").click();
    wait_for(&mut harness, "CLOSED", |h| has_label(h, "CLOSED"));

    open_row_menu(&mut harness, "before the close");
    // The menu and the detail pane (the row is selected) both offer them.
    for button in harness.query_all_by_label("Send again") {
        assert!(
            button.accesskit_node().is_disabled(),
            "nothing can be sent on a closed connection"
        );
    }
    assert_eq!(harness.query_all_by_label("Send again").count(), 2);
    assert!(
        harness
            .query_all_by_label("Edit in composer")
            .all(|button| !button.accesskit_node().is_disabled())
    );
    harness.key_press(egui::Key::Escape);
    harness.step();

    open_row_menu(&mut harness, "1000 Normal Closure");
    assert!(harness.query_by_label("Send again").is_none());
    assert!(harness.query_by_label("Edit in composer").is_none());
    let line = copy_json_line(&mut harness);
    assert_eq!(
        (&line["event"], &line["code"]),
        (&Value::from("close"), &Value::from(1000))
    );
    assert_eq!(line["was_clean"], true);

    open_row_menu(&mut harness, "1000 Normal Closure");
    harness.get_by_label("Pin this row").click();
    harness.step();
    let tab = &harness.state().tabs()[0];
    assert_eq!(tab.setup.pins.len(), 1);
    assert_eq!(tab.setup.pins[0].index, tab.timeline.len() - 1);
}

#[test]
fn a_payload_the_budget_did_not_keep_offers_nothing_to_copy_or_send() {
    let mut harness = open(AppOptions {
        no_demo_server: true,
        config_dir: Some(tempfile::tempdir().expect("a temp dir").keep()),
        ..AppOptions::default()
    });
    let mut timeline = Timeline::default();
    timeline.set_memory_budget(16);
    for (seq, body) in [(1, "kept: short"), (2, "dropped: over the sixteen bytes")] {
        timeline.push(
            1,
            Event {
                wire: None,
                seq,
                wall_time: SystemTime::now(),
                offset: std::time::Duration::from_millis(seq),
                kind: EventKind::Message {
                    dir: Direction::In,
                    payload: Payload::Text(body.into()),
                },
            },
        );
    }
    timeline.push(
        1,
        Event {
            wire: None,
            seq: 3,
            wall_time: SystemTime::now(),
            offset: std::time::Duration::from_millis(3),
            kind: EventKind::sse_message(SseMessage {
                event_type: "message".into(),
                data: "an SSE event over the budget".into(),
                id: None,
                last_event_id: "".into(),
                retry: None,
            }),
        },
    );
    harness
        .state_mut()
        .open_tab_with(ConnectionConfig::new("ws://127.0.0.1:9/"), timeline);
    harness.step();
    harness.step();
    let tab = harness.state().tabs().len() - 1;
    assert_eq!(
        harness.state().tabs()[tab].timeline.not_kept_len(1),
        Some(31)
    );

    // The kept row previews its text; the other row has no payload to preview.
    open_row_menu(&mut harness, "kept: short");
    assert!(
        harness.query_all_by_label("Copy text").count() == 2,
        "menu and details"
    );
    harness.key_press(egui::Key::Escape);
    harness.step();
    let dropped_row = harness
        .query_all_by_label("↓")
        .nth(1)
        .expect("the second incoming row");
    dropped_row.click_secondary();
    harness.step();
    harness.step();
    assert!(harness.query_by_label("Payload not kept").is_some());
    assert!(harness.query_by_label("Copy text").is_none());
    assert!(harness.query_by_label("Send again").is_none());
    // Its JSON line says what was lost, as Export JSON lines does.
    let line = copy_json_line(&mut harness);
    assert_eq!(
        (&line["seq"], &line["not_kept"]),
        (&Value::from(2), &Value::from(31))
    );

    // An SSE event whose data was not kept has none to copy either.
    harness.key_press(egui::Key::Escape);
    harness.step();
    harness.get_by_label("sse").click_secondary();
    harness.step();
    harness.step();
    assert!(harness.query_by_label("Payload not kept").is_some());
    assert!(harness.query_by_label("Copy data").is_none());
}

#[test]
fn clear_empties_the_timeline_while_the_connection_goes_on() {
    let (mut harness, _config) = connected();
    send_and_wait_for_echo(&mut harness, MessageFormat::Text, "before");
    open_row_menu(&mut harness, "before");
    choose(&mut harness, "Pin this row");
    assert!(has_label(&harness, "In: 1 msgs, 6 B"));
    assert_eq!(harness.state().tabs()[0].setup.pins.len(), 1);

    harness.get_by_label("Clear").click();
    harness.step();
    harness.step();
    let tab = &harness.state().tabs()[0];
    assert!(tab.timeline.is_empty());
    assert_eq!((tab.selected, tab.setup.pins.len()), (None, 0));
    assert!(has_label(&harness, "Timeline: 0 events"));
    assert!(has_label(&harness, "In: 0 msgs, 0 B"));
    assert!(has_label(
        &harness,
        "No events yet: new ones appear here as they arrive."
    ));
    assert!(has_label(&harness, "OPEN"), "the connection is still open");
    assert!(
        harness.query_by_label_contains("Connected: ").is_some(),
        "the time connected carries on"
    );
    assert!(
        harness.get_by_label("Clear").accesskit_node().is_disabled(),
        "nothing left to clear"
    );

    // The next messages are rows 0 and 1, still timed from the attempt's open.
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the echo after the clear", |h| {
        h.state().tabs()[0].timeline.len() == 2
    });
    let tab = &harness.state().tabs()[0];
    assert!(tab.timeline.since_open(1).is_some());
    assert_eq!(
        payloads(&harness, Direction::In)
            .iter()
            .map(text)
            .collect::<Vec<_>>(),
        ["before"]
    );
    assert!(has_label(&harness, "In: 1 msgs, 6 B"));
}

#[test]
fn the_detail_pane_of_a_selected_message_edits_it_or_sends_it_again() {
    let (mut harness, _config) = connected();
    send_and_wait_for_echo(&mut harness, MessageFormat::Text, "from the details");
    harness
        .query_all_by_label_contains("from the details")
        .last()
        .expect("the echo's row")
        .click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().tabs()[0].selected, Some(3));
    harness.get_by_label("Send again").click();
    wait_for(&mut harness, "the second echo", |h| {
        payloads(h, Direction::In).len() == 2
    });
    assert!(has_label(&harness, "Sent #3 again."));
    // (The composer still holds what was typed, so the note tells the load apart.)
    harness.get_by_label("Edit in composer").click();
    harness.step();
    harness.step();
    assert!(has_label(
        &harness,
        "#3 is in the composer: edit it, then Send."
    ));
    assert_eq!(
        harness.state().tabs()[0].composer.text(),
        "from the details"
    );

    // The open event's details offer neither.
    harness
        .get_by_label_contains("101 Switching Protocols")
        .click();
    harness.step();
    harness.step();
    assert_eq!(harness.state().tabs()[0].selected, Some(1));
    assert!(harness.query_by_label("Send again").is_none());
    assert!(harness.query_by_label("Edit in composer").is_none());
}

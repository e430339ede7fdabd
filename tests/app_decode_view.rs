//! Decoded binary messages in the window, driven through egui_kittest against the embedded
//! demo server's /echo (which echoes binary): a MessagePack message shows its badge, its
//! decoded size and tree, its bytes one click away; a JSON filter matches a field inside
//! it; "Decode as" changes one message or the whole tab; a zlib-stream decodes in order;
//! decoded text past the tab's memory budget is not kept, and the window says so.

mod support;

use bytes::Bytes;
use egui_kittest::kittest::Queryable;
use serde_json::json;
use sockscope::app::AppOptions;
use sockscope::format::decode::{
    Content, DecodeSpec, Limits, ZlibStreamEncoder, encode, encode_msgpack,
};
use support::window::{Window, copied, has_label, has_label_containing, open, wait_for};

/// The window (its template library in a fresh temporary directory), connected to /echo.
fn connected() -> (Window, tempfile::TempDir) {
    let config = tempfile::tempdir().expect("a temporary config dir");
    let mut harness = open(AppOptions {
        config_dir: Some(config.path().to_owned()),
        ..AppOptions::default()
    });
    // Uncompressed, so that a row's size is "payload → decoded" (a compressed message
    // also says its wire size: tests/app_deflate.rs).
    harness
        .state_mut()
        .tab_mut(0)
        .expect("a tab")
        .setup
        .config
        .deflate = sockscope::engine::DeflateSetting::Off;
    harness.step();
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "OPEN", |h| has_label(h, "OPEN"));
    (harness, config)
}

/// Sends `bytes` as a binary message and waits for its echo (two more rows).
fn send_binary(harness: &mut Window, bytes: Vec<u8>) {
    let before = harness.state().tabs()[0].timeline.len();
    let sent = harness
        .state_mut()
        .tab_mut(0)
        .expect("the first tab")
        .send_with(|handle| handle.send_binary(Bytes::from(bytes)));
    assert!(sent);
    wait_for(harness, "the echo", |h| {
        h.state().tabs()[0].timeline.len() == before + 2
    });
}

/// A MessagePack trade with bytes inside.
fn trade(price: u32) -> Vec<u8> {
    let value = json!({"type": "trade", "price": price, "raw": {"$bytes": "01020304"}});
    encode_msgpack(&value, Limits::new(1 << 20)).expect("MessagePack")
}

/// How many labels read exactly `text`.
fn count(harness: &Window, text: &str) -> usize {
    harness.query_all_by_label(text).count()
}

/// Right-clicks the last row whose preview contains `preview`.
fn open_row_menu(harness: &mut Window, preview: &str) {
    harness
        .query_all_by_label_contains(preview)
        .last()
        .unwrap_or_else(|| panic!("a row previewing {preview:?}"))
        .click_secondary();
    harness.step();
    harness.step();
}

/// Clicks the last node labelled `label` (an open menu is drawn after the rest).
fn click_last(harness: &mut Window, label: &str) {
    harness
        .query_all_by_label(label)
        .last()
        .unwrap_or_else(|| panic!("a {label:?}"))
        .click();
    harness.step();
    harness.step();
}

const PREVIEW: &str = r#"{"type":"trade","price":5,"raw":{"$bytes":"01020304"}}"#;

#[test]
fn a_msgpack_message_shows_its_badge_size_tree_and_bytes_one_click_away() {
    let (mut harness, _config) = connected();
    let wire = trade(5);
    send_binary(&mut harness, wire.clone());
    // Sent and echoed: both rows decoded, with badge, decoded JSON and both sizes.
    wait_for(&mut harness, "the badges", |h| count(h, "msgpack") == 2);
    assert_eq!(
        count(&harness, PREVIEW),
        2,
        "the preview is the decoded JSON"
    );
    let sizes = format!("{} B → {} B", wire.len(), PREVIEW.len());
    assert_eq!(
        count(&harness, &sizes),
        2,
        "wire and decoded sizes: {sizes}"
    );
    // The pane: how it was decoded and why, the tree, the bytes as hex with their length.
    harness
        .query_all_by_label(PREVIEW)
        .last()
        .expect("row")
        .click();
    wait_for(&mut harness, "the header", |h| {
        has_label(
            h,
            "Decoded as msgpack — the whole payload parses as a MessagePack map",
        )
    });
    assert!(has_label(
        &harness,
        &format!("wire {} B, decoded {} B", wire.len(), PREVIEW.len())
    ));
    harness.get_by_label("Tree").click();
    wait_for(&mut harness, "the tree", |h| {
        has_label(h, "raw: 01 02 03 04 (4 bytes)") && has_label(h, "type: \"trade\"")
    });
    // The wire bytes, one click away.
    harness.get_by_label("Wire bytes").click();
    let first = format!("{:02x} {:02x}", wire[0], wire[1]);
    wait_for(&mut harness, "the hex view", |h| {
        has_label_containing(h, &first)
    });
    assert!(!has_label(&harness, "raw: 01 02 03 04 (4 bytes)"));
    harness.get_by_label("Decoded").click();
    wait_for(&mut harness, "the tree again", |h| {
        has_label(h, "raw: 01 02 03 04 (4 bytes)")
    });
    // Copied as a JSON line, it carries `decoded` as `connect --decode` prints it.
    open_row_menu(&mut harness, PREVIEW);
    harness
        .query_all_by_label("Copy as JSON line")
        .last()
        .expect("the menu entry")
        .click();
    harness.step();
    let line = copied(&mut harness).expect("a JSON line was copied");
    let line: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(
        line["decoded"],
        json!({"format": "msgpack", "value": {"type": "trade", "price": 5, "raw": {"$bytes": "01020304"}}})
    );
}

#[test]
fn a_json_filter_matches_a_field_inside_a_msgpack_message() {
    let (mut harness, _config) = connected();
    send_binary(&mut harness, trade(5));
    send_binary(&mut harness, trade(500));
    let quote = json!({"type": "quote"});
    send_binary(
        &mut harness,
        encode_msgpack(&quote, Limits::new(1 << 20)).expect("MessagePack"),
    );
    wait_for(&mut harness, "six badges", |h| count(h, "msgpack") == 6);
    harness.get_by_label("JSON filter").focus();
    harness.step();
    harness
        .get_by_label("JSON filter")
        .type_text("$.price > 100");
    wait_for(&mut harness, "the filtered rows", |h| {
        has_label_containing(h, "2 of 8 events")
    });
    let big = r#"{"type":"trade","price":500,"raw":{"$bytes":"01020304"}}"#;
    assert_eq!(count(&harness, big), 2, "sent and echoed");
    assert_eq!(count(&harness, PREVIEW), 0);
}

#[test]
fn decode_as_changes_one_message_then_the_whole_tab() {
    let (mut harness, _config) = connected();
    let wire = trade(5);
    send_binary(&mut harness, wire.clone());
    wait_for(&mut harness, "the badges", |h| count(h, "msgpack") == 2);
    // One message (the echo) as none: its row shows hex, the other stays decoded.
    open_row_menu(&mut harness, PREVIEW);
    click_last(&mut harness, "Decode as");
    click_last(&mut harness, "none");
    wait_for(&mut harness, "one badge", |h| count(h, "msgpack") == 1);
    let hex_start = format!("{:02x} {:02x}", wire[0], wire[1]);
    assert!(has_label_containing(&harness, &hex_start), "the row's hex");
    let tab = &harness.state().tabs()[0];
    assert_eq!(tab.decoding.override_of(3), Some(&DecodeSpec::None));
    assert_eq!(
        tab.setup.decode.spec,
        DecodeSpec::Auto,
        "the tab is unchanged"
    );
    // The whole tab as none: no badge is left, and the setup says so (it is saved).
    open_row_menu(&mut harness, PREVIEW);
    click_last(&mut harness, "Decode as");
    click_last(&mut harness, "Whole tab");
    click_last(&mut harness, "none");
    wait_for(&mut harness, "no badge", |h| count(h, "msgpack") == 0);
    assert_eq!(count(&harness, PREVIEW), 0);
    assert_eq!(
        harness.state().tabs()[0].setup.decode.spec,
        DecodeSpec::None
    );
}

#[test]
fn a_zlib_stream_decodes_in_order() {
    let (mut harness, _config) = connected();
    harness
        .state_mut()
        .tab_mut(0)
        .expect("the first tab")
        .decode_tab_as("zlib-stream+json".parse().expect("a spec"));
    // One context across the messages: each message needs the ones before it.
    let mut stream = ZlibStreamEncoder::new();
    for op in 0..3 {
        let text = json!({"op": op, "d": "same words again and again"}).to_string();
        send_binary(&mut harness, stream.push(text.as_bytes()));
    }
    for op in 0..3 {
        let text = format!(r#"{{"op":{op},"d":"same words again and again"}}"#);
        wait_for(&mut harness, "a decoded message", |h| count(h, &text) == 2);
    }
    assert_eq!(count(&harness, "zlib-stream+json"), 6);
}

#[test]
fn decoded_text_past_the_memory_budget_is_not_kept_and_the_window_says_so() {
    let (mut harness, _config) = connected();
    harness
        .state_mut()
        .tab_mut(0)
        .expect("the first tab")
        .set_memory_budget(1 << 20);
    // 1.5 MiB of JSON text in a gzip of a few KiB: the wire bytes fit, the text does not.
    let big = json!({"pad": "0".repeat(3 << 19)});
    let wire = encode(
        &"gzip+json".parse().expect("a spec"),
        &Content::Value(big),
        None,
        Limits::new(16 << 20),
    )
    .expect("gzip");
    assert!(wire.len() < 64 << 10);
    send_binary(&mut harness, wire);
    wait_for(&mut harness, "the note", |h| {
        has_label_containing(h, "2 decoded messages not kept: decoded text reached")
    });
    // Still badged with their format and sizes; the preview is the bytes.
    assert_eq!(count(&harness, "gzip+json"), 2);
    assert!(has_label_containing(&harness, "1f 8b 08"));
}

/// The Decode settings drive the timeline: with the shipped schema and message type set,
/// the demo server's /protobuf ticks decode as `protobuf` (auto finds them through the
/// schema), and choosing `none` leaves them as bytes.
#[test]
fn the_decode_settings_with_a_schema_decode_the_demo_protobuf_ticks() {
    let config = tempfile::tempdir().expect("a temporary config dir");
    let mut harness = open(AppOptions {
        config_dir: Some(config.path().to_owned()),
        ..AppOptions::default()
    });
    {
        let tab = harness.state_mut().tab_mut(0).expect("a tab");
        tab.setup.config.url = tab.setup.config.url.replace("/echo", "/protobuf?count=3");
        tab.setup.decode.proto_files = vec![
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("saved_sessions/demo.proto"),
        ];
        tab.setup.decode.message = Some("sockscope.demo.Tick".into());
    }
    wait_for(&mut harness, "the schema", |h| {
        h.state().tabs()[0].decoding.has_proto()
    });
    harness.get_by_label("Connect").click();
    let decoded_rows = |h: &Window| {
        let tab = &h.state().tabs()[0];
        (0..tab.timeline.len())
            .filter_map(|i| tab.decoding.row(i))
            .filter(|row| row.format == "protobuf")
            .count()
    };
    wait_for(&mut harness, "three decoded ticks", |h| {
        decoded_rows(h) == 3
    });
    assert!(has_label_containing(&harness, "protobuf"));
    harness
        .state_mut()
        .tab_mut(0)
        .expect("a tab")
        .setup
        .decode
        .spec = DecodeSpec::None;
    wait_for(&mut harness, "no decoded rows", |h| decoded_rows(h) == 0);
}

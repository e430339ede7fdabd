//! Sending JSON as MessagePack, CBOR and Protobuf from the window, as a user does, against
//! the embedded demo server's /echo: the status line says what Send sends, the echoed bytes
//! decode to what was typed (by Sockscope and by Python's `msgpack`), a field that does not
//! fit the Protobuf type is named and nothing is sent, decoder settings survive a session's
//! save and open, and templates keep their encoding.

mod support;

use std::path::{Path, PathBuf};

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use serde_json::{Value, json};
use sockscope::app::{AppOptions, SockscopeApp};
use sockscope::engine::{Direction, EventKind};
use sockscope::format::decode::{self, Compression, DecodeSpec, Limits, ProtoSchema};
use sockscope::model::decode_settings::DecodeSettings;
use sockscope::model::template::MessageFormat;
use support::window::{
    Window, choose_format, has_label, has_label_containing, menu, type_path, wait_for,
};

const ORDER_PROTO: &str = r#"syntax = "proto3";
package demo;
message Order {
  string id = 1;
  double price = 2;
  int64 qty = 3;
  repeated string tags = 4;
}
"#;

const LIMITS: Limits = Limits {
    max_output: 1 << 20,
    max_depth: 64,
};

/// The window with its library in `config_dir` (never the user's).
fn window(config_dir: &Path) -> Window {
    let options = AppOptions {
        config_dir: Some(config_dir.to_owned()),
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1400.0, 950.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"))
}

fn connect(harness: &mut Window) {
    harness.get_by_label("Connect").click();
    wait_for(harness, "OPEN", |h| has_label(h, "OPEN"));
}

/// Focuses the field labelled `label` and types `text` into it.
fn type_into(harness: &mut Window, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.step();
    harness.get_by_label(label).type_text(text);
    harness.step();
    harness.step();
}

/// Empties the composer's editor.
fn clear_message(harness: &mut Window) {
    harness.get_by_label("Message").focus();
    harness.step();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.step();
    harness.key_press(Key::Backspace);
    harness.step();
    harness.step();
}

fn send_is_enabled(harness: &Window) -> bool {
    !harness.get_by_label("Send").accesskit_node().is_disabled()
}

/// The binary messages of the first tab that went `dir`.
fn binaries(harness: &Window, dir: Direction) -> Vec<Vec<u8>> {
    harness.state().tabs()[0]
        .timeline
        .iter()
        .filter_map(|entry| match entry.kind {
            EventKind::Message { dir: d, payload } if *d == dir && payload.as_text().is_none() => {
                Some(payload.as_bytes().to_vec())
            }
            _ => None,
        })
        .collect()
}

/// A temporary directory holding `order.proto`.
fn order_proto() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("order.proto");
    std::fs::write(&path, ORDER_PROTO).expect("write order.proto");
    (dir, path)
}

/// Opens the Decode section, adds `proto` by its typed path and picks `message`, as a user
/// does where no file dialog exists.
fn set_schema_in_the_window(harness: &mut Window, proto: &Path, message: &str) {
    harness.get_by_label("Decode: auto").click();
    harness.step();
    harness.step();
    type_into(harness, ".proto file", &proto.display().to_string());
    harness.get_by_label("Add .proto").click();
    wait_for(harness, "the compiled schema", |h| {
        has_label(h, "1 message type")
    });
    harness.get_by_label("Message type").click();
    harness.step();
    harness.step();
    harness.get_by_label(message).click();
    harness.step();
    harness.step();
}

/// `ours(MAP)` of `tests/fixtures/decode/reference.py`: the map its `msgpack-map` case is
/// made from, in Sockscope's JSON shape (its non-ASCII text as JSON escapes: the test's
/// fonts have no check mark).
const MAP_JSON: &str = r#"{"op": "tick", "price": 1.5, "volume": 1099511627776, "neg": -7, "ok": true, "none": null, "raw": {"$bytes": "00ff"}, "list": [1, "two", 3.25], "nested": {"a": {"b": []}}, "h\u00e9llo": "w\u00f6rld \u2713"}"#;

#[test]
fn json_sent_as_messagepack_echoes_back_as_bytes_that_decode_to_it_here_and_in_python() {
    let config = tempfile::tempdir().expect("a temp dir");
    let mut harness = window(config.path());
    connect(&mut harness);
    choose_format(&mut harness, MessageFormat::Msgpack);
    type_into(&mut harness, "Message", MAP_JSON);
    let typed: Value = serde_json::from_str(MAP_JSON).expect("the JSON");
    let expected = decode::encode(
        &"msgpack".parse::<DecodeSpec>().expect("a spec"),
        &decode::Content::Value(typed.clone()),
        None,
        LIMITS,
    )
    .expect("it encodes");
    let status = format!("{} bytes MessagePack, binary message", expected.len());
    assert!(has_label(&harness, &status), "the composer says {status}");
    // Pretty-print works on the JSON body of an encoded format.
    harness.get_by_label("Pretty-print").click();
    harness.step();
    harness.step();
    assert!(
        harness.state().tabs()[0]
            .composer
            .text()
            .contains("\n  \"op\"")
    );
    assert!(
        has_label(&harness, &status),
        "the same bytes after pretty-printing"
    );

    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the echo", |h| {
        !binaries(h, Direction::In).is_empty()
    });
    let sent = binaries(&harness, Direction::Out);
    let echoed = binaries(&harness, Direction::In);
    assert_eq!(sent, std::slice::from_ref(&expected));
    assert_eq!(echoed, sent);
    let decoded = decode::decode_msgpack(&echoed[0], LIMITS).expect("MessagePack");
    assert_eq!(decoded, typed);

    let Some(python) = support::python::env(
        "json_sent_as_messagepack_echoes_back_as_bytes_that_decode_to_it_here_and_in_python",
        support::python::DECODE_PACKAGES,
    ) else {
        return;
    };
    let ask = json!({"name": "msgpack-map", "hex": sockscope::format::hex::to_hex(&echoed[0])});
    let report = python.run("decode/reference.py", &["check"], &format!("{ask}\n"));
    let report: Value = serde_json::from_str(report.trim()).expect("a JSON line");
    assert_eq!(
        report["ok"],
        json!(true),
        "Python's msgpack reads it: {report}"
    );
}

#[test]
fn protobuf_from_a_proto_file_is_sent_and_a_field_that_does_not_fit_is_named_and_not_sent() {
    let config = tempfile::tempdir().expect("a temp dir");
    let (_protos, proto) = order_proto();
    let mut harness = window(config.path());
    connect(&mut harness);
    set_schema_in_the_window(&mut harness, &proto, "demo.Order");
    assert_eq!(
        harness.state().tabs()[0].setup.decode.message.as_deref(),
        Some("demo.Order")
    );
    assert!(has_label(&harness, "Decode: auto · 1 message type"));
    harness.check_accessibility();

    choose_format(&mut harness, MessageFormat::Protobuf);
    assert_eq!(
        harness.state().tabs()[0].composer.message(),
        None,
        "the composer uses the tab's type"
    );
    let order = r#"{"id": "a1", "price": 101.25, "qty": 3, "tags": ["limit"]}"#;
    type_into(&mut harness, "Message", order);
    let schema = ProtoSchema::from_sources(&[("order.proto", ORDER_PROTO)]).expect("schema");
    let ty = schema.message("demo.Order").expect("the type");
    let typed: Value = serde_json::from_str(order).expect("JSON");
    let expected = decode::encode_protobuf(&typed, &ty, LIMITS).expect("it encodes");
    let status = format!(
        "{} bytes Protobuf demo.Order, binary message",
        expected.len()
    );
    assert!(has_label(&harness, &status), "the composer says {status}");
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the echo", |h| {
        !binaries(h, Direction::In).is_empty()
    });
    let echoed = binaries(&harness, Direction::In);
    assert_eq!(echoed, [expected]);
    let decoded = decode::decode_protobuf(&echoed[0], &ty, LIMITS).expect("Protobuf");
    assert_eq!(decoded, typed);

    // A field that does not fit: named, Send off.
    clear_message(&mut harness);
    type_into(&mut harness, "Message", r#"{"id": "a2", "price": "cheap"}"#);
    assert!(
        has_label_containing(&harness, "Not sendable as Protobuf: field `price`"),
        "the error names the field"
    );
    assert!(!send_is_enabled(&harness));
    // Saved as a template anyway, the template keeps the type; sending it is refused
    // with the same reason and nothing goes out.
    harness.get_by_label("Save as template…").click();
    harness.step();
    harness.step();
    type_into(&mut harness, "Template name", "bad order");
    harness.get_by_label("This tab").click();
    harness.step();
    harness.get_by_label("Save template").click();
    wait_for(&mut harness, "the tab template", |h| {
        !h.state().tabs()[0].setup.templates.is_empty()
    });
    let template = harness.state().tabs()[0].setup.templates[0].clone();
    assert_eq!(template.format, MessageFormat::Protobuf);
    assert_eq!(template.message.as_deref(), Some("demo.Order"));
    assert!(has_label(
        &harness,
        "Protobuf demo.Order (from JSON) message"
    ));
    let rows = harness.state().tabs()[0].timeline.len();
    harness.get_by_label("Send tab template bad order").click();
    for _ in 0..10 {
        harness.step();
    }
    assert!(has_label_containing(&harness, "not sent: field `price`"));
    assert_eq!(
        harness.state().tabs()[0].timeline.len(),
        rows,
        "nothing was sent"
    );
    assert_eq!(binaries(&harness, Direction::Out).len(), 1);

    // Loading the template brings its type back into the composer.
    choose_format(&mut harness, MessageFormat::Text);
    harness.get_by_label("Load tab template bad order").click();
    harness.step();
    harness.step();
    let composer = &harness.state().tabs()[0].composer;
    assert_eq!(composer.format(), MessageFormat::Protobuf);
    assert_eq!(composer.message(), Some("demo.Order"));
    assert_eq!(composer.text(), r#"{"id": "a2", "price": "cheap"}"#);

    // Without its .proto file the tab has no schema, and the composer says so.
    harness
        .get_by_label(&format!("Remove {}", proto.display()))
        .click();
    wait_for(&mut harness, "no schema", |h| has_label(h, "Decode: auto"));
    assert!(has_label_containing(
        &harness,
        "Not sendable as Protobuf: no schema yet (add .proto files under Decode"
    ));
    assert!(!send_is_enabled(&harness));
}

#[test]
fn decoder_settings_survive_saving_and_opening_a_session_and_the_schema_compiles_again() {
    let config = tempfile::tempdir().expect("a temp dir");
    let (protos, proto) = order_proto();
    let mut harness = window(config.path());
    harness.step();
    let settings = DecodeSettings {
        spec: "gzip+json".parse().expect("a spec"),
        proto_files: vec![proto.clone()],
        proto_paths: vec![protos.path().to_owned()],
        message: Some("demo.Order".into()),
    };
    harness.state_mut().tab_mut(0).expect("a tab").setup.decode = settings.clone();
    wait_for(&mut harness, "the compiled schema", |h| {
        has_label(h, "Decode: gzip+json · 1 message type")
    });

    let path = config.path().join("decode.session.ron");
    menu(&mut harness, "File", "Save As...");
    type_path(&mut harness, &path);
    wait_for(&mut harness, "the save", |h| {
        h.state().sessions().path().is_some() && !h.state().sessions().is_dirty()
    });
    let saved = std::fs::read_to_string(&path).expect("the session file");
    assert!(saved.contains("\"gzip+json\""), "{saved}");
    assert!(saved.contains("demo.Order"), "{saved}");

    menu(&mut harness, "File", "New session");
    wait_for(&mut harness, "no tabs", |h| h.state().tabs().is_empty());
    menu(&mut harness, "File", "Open...");
    type_path(&mut harness, &path);
    wait_for(&mut harness, "the reopened tab", |h| {
        h.state().tabs().len() == 1
    });
    assert_eq!(harness.state().tabs()[0].setup.decode, settings);
    // A session is a file someone may have shared: the files it names are read only once
    // the user allows it.
    let waiting = "Decode: gzip+json · .proto files wait for your permission";
    wait_for(&mut harness, "the question", |h| has_label(h, waiting));
    assert!(
        harness.state().tabs()[0].schema.schema().is_none(),
        "nothing read"
    );
    harness.get_by_label(waiting).click();
    harness.step();
    harness.step();
    assert!(has_label_containing(
        &harness,
        "they are not read until you allow it"
    ));
    harness.get_by_label("Read these .proto files").click();
    wait_for(&mut harness, "the schema compiled again", |h| {
        has_label(h, "Decode: gzip+json · 1 message type")
    });
    let ty = harness.state().tabs()[0]
        .proto_type(None)
        .expect("the schema has the type")
        .expect("a type");
    assert_eq!(ty.name(), "demo.Order");

    // A type the files do not define is named.
    harness
        .state_mut()
        .tab_mut(0)
        .expect("a tab")
        .setup
        .decode
        .message = Some("demo.Nope".into());
    harness.step();
    harness.step();
    assert!(has_label(
        &harness,
        "no message demo.Nope in the .proto files"
    ));
    harness
        .state_mut()
        .tab_mut(0)
        .expect("a tab")
        .setup
        .decode
        .message = settings.message.clone();
    harness.step();
    harness.step();
    assert!(!has_label_containing(&harness, "no message"));

    // A broken file is an error in words, naming it; the tab keeps its settings.
    std::fs::write(&proto, "syntax = \"proto3\"; message {").expect("break it");
    harness.get_by_label("Reload").click();
    wait_for(&mut harness, "the compile error", |h| {
        has_label_containing(h, "the .proto files do not compile")
    });
    assert!(has_label_containing(&harness, "order.proto"));
    assert_eq!(harness.state().tabs()[0].setup.decode, settings);
}

#[test]
fn a_typed_decode_chain_is_checked_and_a_template_saved_as_cbor_comes_back_as_cbor() {
    let config = tempfile::tempdir().expect("a temp dir");
    let mut harness = window(config.path());
    connect(&mut harness);

    harness.get_by_label("Decode: auto").click();
    harness.step();
    harness.step();
    harness.get_by_label("or a chain").focus();
    harness.step();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.step();
    harness.get_by_label("or a chain").type_text("gzip+msgpak");
    harness.step();
    harness.step();
    assert!(has_label_containing(&harness, "Not a decode chain: "));
    assert!(has_label_containing(&harness, "msgpak"));
    assert_eq!(
        harness.state().tabs()[0].setup.decode.spec,
        DecodeSpec::Auto,
        "a bad chain changes nothing"
    );
    harness.key_press(Key::Backspace);
    harness.step();
    harness.get_by_label("or a chain").type_text("ck");
    harness.step();
    harness.step();
    assert_eq!(
        harness.state().tabs()[0].setup.decode.spec.to_string(),
        "gzip+msgpack"
    );
    assert!(!has_label_containing(&harness, "Not a decode chain"));

    choose_format(&mut harness, MessageFormat::Cbor);
    let body = r#"{"op": "sub", "n": {{counter}}}"#;
    type_into(&mut harness, "Message", body);
    assert!(has_label_containing(&harness, "bytes CBOR, binary message"));
    harness.get_by_label("Save as template…").click();
    harness.step();
    harness.step();
    type_into(&mut harness, "Template name", "cbor sub");
    harness.get_by_label("Save template").click();
    harness.step();
    harness.step();
    assert!(
        has_label(&harness, "CBOR (from JSON) message"),
        "the list shows the encoding"
    );

    clear_message(&mut harness);
    choose_format(&mut harness, MessageFormat::Text);
    harness
        .get_by_label("Load library template cbor sub")
        .click();
    harness.step();
    harness.step();
    let composer = &harness.state().tabs()[0].composer;
    assert_eq!(composer.format(), MessageFormat::Cbor);
    assert_eq!(composer.text(), body);

    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the echo", |h| {
        !binaries(h, Direction::In).is_empty()
    });
    let echoed = binaries(&harness, Direction::In);
    let decoded = decode::decode_cbor(&echoed[0], LIMITS).expect("CBOR");
    assert_eq!(decoded, json!({"op": "sub", "n": 1}));
}

#[test]
fn text_sent_gzip_zlib_and_deflate_compressed_echoes_back_as_that_text() {
    let config = tempfile::tempdir().expect("a temp dir");
    let mut harness = window(config.path());
    connect(&mut harness);
    let cases = [
        (MessageFormat::Gzip, Compression::Gzip, "gzip"),
        (MessageFormat::Zlib, Compression::Zlib, "zlib"),
        (MessageFormat::Deflate, Compression::Deflate, "deflate"),
    ];
    for (round, (format, compression, name)) in cases.into_iter().enumerate() {
        choose_format(&mut harness, format);
        clear_message(&mut harness);
        let text = format!("{name} #{{{{counter}}}}: the same words, the same words, again");
        type_into(&mut harness, "Message", &text);
        assert!(
            has_label_containing(&harness, &format!("bytes {name}, binary message")),
            "the status names {name}"
        );
        assert!(
            harness.query_by_label("Pretty-print").is_none(),
            "text bodies have no JSON buttons"
        );
        harness.get_by_label("Send").click();
        wait_for(&mut harness, "the echo", |h| {
            binaries(h, Direction::In).len() > round
        });
        let echoed = binaries(&harness, Direction::In);
        let unpacked = decode::decompress(compression, &echoed[round], LIMITS).expect(name);
        let expected = format!(
            "{name} #{}: the same words, the same words, again",
            round + 1
        );
        assert_eq!(String::from_utf8(unpacked).expect("UTF-8"), expected);
    }
}

#[test]
fn a_big_body_is_encoded_when_sent_and_a_field_that_does_not_fit_still_refuses_the_send() {
    let config = tempfile::tempdir().expect("a temp dir");
    let (protos, proto) = order_proto();
    let book = protos.path().join("book.proto");
    std::fs::write(
        &book,
        "syntax = \"proto3\"; package demo; import \"order.proto\"; \
         message Book { repeated Order orders = 1; }",
    )
    .expect("write book.proto");
    let mut harness = window(config.path());
    connect(&mut harness);
    harness.state_mut().tab_mut(0).expect("a tab").setup.decode = DecodeSettings {
        proto_files: vec![proto, book],
        message: Some("demo.Book".into()),
        ..DecodeSettings::default()
    };
    wait_for(&mut harness, "the compiled schema", |h| {
        has_label(h, "Decode: auto · 2 message types")
    });
    // From 1: Protobuf 3 leaves a zero out, so qty 0 would not come back.
    let orders: Vec<String> = (1..=4000)
        .map(|i| format!(r#"{{"id": "o{i}", "price": {i}.5, "qty": {i}}}"#))
        .collect();
    let body = format!(r#"{{"orders": [{}]}}"#, orders.join(", "));
    assert!(
        body.len() > 128 << 10,
        "over the bound ({} bytes)",
        body.len()
    );
    let set = |harness: &mut Window, body: &str| {
        let tab = harness.state_mut().tab_mut(0).expect("a tab");
        tab.composer.set_draft(sockscope::app::action::Draft::new(
            MessageFormat::Protobuf,
            body,
        ));
        harness.step();
        harness.step();
    };
    set(&mut harness, &body);
    assert!(has_label_containing(
        &harness,
        "encoded as Protobuf demo.Book when sent, binary message"
    ));
    harness.get_by_label("Send").click();
    wait_for(&mut harness, "the echo", |h| {
        !binaries(h, Direction::In).is_empty()
    });
    let schema = ProtoSchema::compile(&harness.state().tabs()[0].setup.decode.proto_files, &[])
        .expect("schema");
    let ty = schema.message("demo.Book").expect("the type");
    let echoed = binaries(&harness, Direction::In);
    let decoded = decode::decode_protobuf(&echoed[0], &ty, Limits::new(8 << 20)).expect("Book");
    let typed: Value = serde_json::from_str(&body).expect("JSON");
    assert!(decoded == typed, "the echo decodes to the 4000 orders sent");

    // The 3001st order's price does not fit: the send is refused and says where.
    let bad = body.replace(r#""price": 3001.5"#, r#""price": "n/a""#);
    set(&mut harness, &bad);
    harness.get_by_label("Send").click();
    for _ in 0..10 {
        harness.step();
    }
    assert!(
        has_label_containing(&harness, "not sent: field `orders[3000].price`"),
        "the refusal names the field"
    );
    assert_eq!(
        binaries(&harness, Direction::Out).len(),
        1,
        "nothing more was sent"
    );
}

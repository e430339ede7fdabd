//! The detail pane, drawn with egui_kittest from hand-built events: what a user reads for
//! each kind of event.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use sockscope::app::detail::{DetailPane, Selected};
use sockscope::engine::{
    CloseInfo, Direction, ErrorCategory, ErrorInfo, Event, EventKind, HttpRejection, Initiator,
    OpenInfo, Payload,
};
use sockscope::model::timeline::EntryRef;
use tokio_tungstenite::tungstenite::Utf8Bytes;

type State = (DetailPane, Option<Event>);

fn event(kind: EventKind) -> Event {
    Event {
        wire: None,
        seq: 0,
        wall_time: SystemTime::now(),
        offset: Duration::ZERO,
        kind,
    }
}

/// A harness showing `event` in the pane (the key is the event's `seq`), settled.
fn pane(event: Option<Event>) -> Harness<'static, State> {
    let mut harness = unsettled_pane(event);
    harness.run();
    harness
}

/// Steps `harness` until a label containing `shown` appears (work on other threads may take
/// a while).
fn step_until_shown(harness: &mut Harness<'static, State>, shown: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while harness.query_by_label_contains(shown).is_none() {
        assert!(Instant::now() < deadline, "{shown:?} never appeared");
        std::thread::sleep(Duration::from_millis(5));
        harness.step();
    }
}

/// A harness showing `event` in the pane, not stepped yet.
fn unsettled_pane(event: Option<Event>) -> Harness<'static, State> {
    sized_pane(event, egui::vec2(900.0, 700.0))
}

/// A harness of `size` showing `event` in the pane, not stepped yet.
fn sized_pane(event: Option<Event>, size: egui::Vec2) -> Harness<'static, State> {
    Harness::builder().with_size(size).build_ui_state(
        |ui, (pane, event): &mut State| {
            let selected = event.as_ref().map(|event| Selected {
                key: event.seq,
                event: EntryRef::of(1, event),
                not_kept: None,
                index: 0,
                compose: None,
                decode: None,
                unit: None,
            });
            pane.ui(ui, selected);
        },
        (DetailPane::default(), event),
    )
}

fn text_message(text: &str) -> Event {
    event(EventKind::Message {
        dir: Direction::In,
        payload: Payload::Text(Utf8Bytes::from(text)),
    })
}

fn close(code: u16, reason: &str, was_clean: bool, initiator: Initiator) -> Event {
    event(EventKind::close(CloseInfo {
        code,
        reason: reason.to_owned(),
        was_clean,
        initiator,
        closing_handshake: was_clean.then_some(Duration::from_millis(12)),
    }))
}

#[test]
fn nothing_selected_shows_a_hint() {
    let harness = pane(None);
    harness.get_by_label("Select an event in the timeline to see its details");
}

#[test]
fn json_text_is_pretty_printed_and_coloured_by_line() {
    let json = r#"{"type":"hello","user":{"name":"Ada","tags":["a","b"]},"n":1.5e3}"#;
    let harness = pane(Some(text_message(json)));
    harness.get_by_label("↓ in");
    harness.get_by_label("text");
    harness.get_by_label(&format!("{} bytes", json.len()));
    harness.get_by_label("{");
    harness.get_by_label(r#"  "type": "hello","#);
    harness.get_by_label(r#"    "name": "Ada","#);
    harness.get_by_label(r#"  "n": 1.5e3"#);
    harness.get_by_label("Copy pretty JSON");
    harness.get_by_label("Copy text");
    assert!(harness.query_by_label_contains("not JSON").is_none());
}

#[test]
fn json_tree_shows_counts_and_values() {
    let mut harness = pane(Some(text_message(
        r#"{"type":"hello","items":[1,2,3],"empty":{}}"#,
    )));
    harness.get_by_label("Tree").click();
    harness.run();
    harness.get_by_label("{3 keys}");
    harness.get_by_label(r#"type: "hello""#);
    harness.get_by_label("items: [3 items]").click();
    harness.run();
    harness.get_by_label("0: 1");
    harness.get_by_label("2: 3");
    harness.get_by_label("empty: {0 keys}");
    // The choice of view is kept for the next message.
    harness.get_by_label("Raw").click();
    harness.run();
    harness.get_by_label(r#"{"type":"hello","items":[1,2,3],"empty":{}}"#);
}

#[test]
fn huge_json_array_tree_stops_at_500_children() {
    let items: Vec<String> = (0..1234).map(|i| i.to_string()).collect();
    let mut harness = pane(Some(text_message(&format!("[{}]", items.join(",")))));
    harness.get_by_label("Tree").click();
    harness.run();
    harness.get_by_label("[1234 items]");
    harness.get_by_label("499: 499");
    assert!(harness.query_by_label("500: 500").is_none());
    harness.get_by_label("… 734 more");
}

#[test]
fn text_that_is_not_json_shows_raw_and_where_it_failed() {
    let harness = pane(Some(text_message("hello\nworld {")));
    harness.get_by_label("hello");
    harness.get_by_label("world {");
    harness.get_by_label("not JSON: line 1, column 1: expected value");
    assert!(harness.query_by_label("Copy pretty JSON").is_none());
}

#[test]
fn large_json_shows_only_the_visible_lines() {
    let items: Vec<String> = (0..100_000)
        .map(|i| format!(r#"{{"id":{i},"name":"item {i}"}}"#))
        .collect();
    let text = format!("[{}]", items.join(","));
    let mut harness = unsettled_pane(Some(text_message(&text)));
    step_until_shown(&mut harness, r#"    "id": 0,"#);
    assert!(
        harness.query_by_label(r#"    "id": 99999,"#).is_none(),
        "lines far below are not laid out"
    );
}

#[test]
fn very_large_json_is_formatted_without_holding_up_frames() {
    // 8 MiB: the first frame shows progress, and the pretty view follows once it is made.
    let items: Vec<String> = (0..300_000)
        .map(|i| format!(r#"{{"id":{i},"name":"item {i}","tags":["a","b"]}}"#))
        .collect();
    let text = format!("[{}]", items.join(","));
    assert!(text.len() > 8 << 20);
    let mut harness = unsettled_pane(Some(text_message(&text)));
    harness.step();
    harness.get_by_label_contains("of JSON…");
    assert!(harness.query_by_label("Copy pretty JSON").is_none());
    step_until_shown(&mut harness, r#"    "name": "item 0","#);
    harness.get_by_label("Copy pretty JSON");
    assert!(harness.query_by_label_contains("of JSON…").is_none());

    // Scrolled down, then shown again after a binary message: it starts at the top again.
    let line = harness.get_by_label(r#"    "name": "item 0","#).rect();
    harness.hover_at(line.center());
    for _ in 0..5 {
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -5000.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
    }
    assert!(harness.query_by_label(r#"    "name": "item 0","#).is_none());
    let mut binary = event(EventKind::Message {
        dir: Direction::In,
        payload: Payload::Binary(Bytes::from_static(&[0xff; 40])),
    });
    binary.seq = 1;
    let big = harness.state_mut().1.replace(binary);
    step_until_shown(&mut harness, "00000000");
    harness.state_mut().1 = big;
    step_until_shown(&mut harness, r#"    "name": "item 0","#);
}

#[test]
fn binary_shows_hex_rows_and_ascii() {
    let mut bytes = b"hello, world!\x00\x01\x02".to_vec();
    bytes.extend(0u8..20);
    let mut harness = pane(Some(event(EventKind::Message {
        dir: Direction::Out,
        payload: Payload::Binary(Bytes::from(bytes)),
    })));
    harness.get_by_label("↑ out");
    harness.get_by_label("binary");
    harness.get_by_label("36 bytes");
    // Each row is one line: offset, hex, ASCII (copied together, as xxd prints them).
    harness.get_by_label(
        "00000000  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 00 01 02  hello, world!...",
    );
    harness.get_by_label_contains("00000010  00 01 02 03");
    // The last row is padded, so its ASCII column lines up with the others.
    harness.get_by_label(&format!("00000020  10 11 12 13{}  ....", " ".repeat(37)));
    harness.get_by_label("Copy as hex");
    harness.get_by_label("Copy as base64").click();
    harness.step();
    let copied = harness.output().platform_output.commands.iter().any(|command| {
        matches!(command, egui::OutputCommand::CopyText(text) if text.starts_with("aGVsbG8s"))
    });
    assert!(copied, "base64 went to the clipboard");
}

#[test]
fn binary_that_is_utf8_has_a_text_view() {
    let mut harness = pane(Some(event(EventKind::Message {
        dir: Direction::In,
        payload: Payload::Binary(Bytes::from_static("line one\nline two ü".as_bytes())),
    })));
    harness.get_by_label("UTF-8").click();
    harness.run();
    harness.get_by_label("line one");
    harness.get_by_label("line two ü");
}

#[test]
fn long_binary_is_checked_for_utf8_without_holding_up_frames() {
    // 2.6 MB of text lines sent as binary: the hex dump is there in the first frame; the
    // UTF-8 view once the check (on a thread of its own) is done.
    let text = "line of text\n".repeat(200_000);
    let mut harness = unsettled_pane(Some(event(EventKind::Message {
        dir: Direction::In,
        payload: Payload::Binary(Bytes::from(text)),
    })));
    harness.step();
    harness.get_by_label_contains("00000000  6c 69 6e 65");
    assert!(
        harness.get_by_label("UTF-8").accesskit_node().is_disabled(),
        "the check is still running: the frame did not wait for it"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while harness.query_all_by_label("line of text").next().is_none() {
        assert!(Instant::now() < deadline, "the UTF-8 view never came");
        std::thread::sleep(Duration::from_millis(5));
        harness.get_by_label("UTF-8").click();
        harness.step();
    }
}

#[test]
fn large_binary_formats_only_visible_rows() {
    let bytes: Vec<u8> = (0..(8 << 20)).map(|i| (i % 251) as u8).collect();
    let harness = pane(Some(event(EventKind::Message {
        dir: Direction::In,
        payload: Payload::Binary(Bytes::from(bytes)),
    })));
    harness.get_by_label("8.0 MiB (8388608 bytes)");
    harness.get_by_label_contains("00000000  00 01 02");
    assert!(harness.query_by_label_contains("007ffff0").is_none());
}

#[test]
fn close_shows_code_name_and_clean_verdict() {
    let harness = pane(Some(close(1000, "", true, Initiator::Server)));
    harness.get_by_label("1000 Normal Closure");
    harness.get_by_label("Meaning: the purpose of the connection has been fulfilled");
    harness.get_by_label("Reason: (no reason)");
    harness.get_by_label("Clean close: yes");
    harness.get_by_label("Closed by: server");
    harness.get_by_label("Closing handshake: 12.0 ms");
    harness.get_by_label_contains("The server started the closing handshake");
}

#[test]
fn abnormal_close_is_not_clean_and_explained() {
    let harness = pane(Some(close(1006, "", false, Initiator::None)));
    harness.get_by_label("1006 Abnormal Closure");
    harness.get_by_label("Clean close: no");
    harness.get_by_label("Closed by: nobody (connection dropped)");
    harness.get_by_label("Closing handshake: —");
    harness.get_by_label_contains("The connection ended without a close frame");
}

#[test]
fn client_failure_says_why() {
    let harness = pane(Some(close(
        1009,
        "message too big",
        false,
        Initiator::Client,
    )));
    harness.get_by_label("1009 Message Too Big");
    harness.get_by_label(r#"Reason: "message too big""#);
    harness.get_by_label_contains("Sockscope failed the connection because");
}

#[test]
fn open_shows_handshake_and_headers() {
    let harness = pane(Some(event(EventKind::open(OpenInfo {
        status: 101,
        request_headers: vec![
            ("Host".into(), "127.0.0.1:9000".into()),
            (
                "Sec-WebSocket-Key".into(),
                "dGhlIHNhbXBsZSBub25jZQ==".into(),
            ),
        ],
        response_headers: vec![
            ("upgrade".into(), "websocket".into()),
            (
                "sec-websocket-accept".into(),
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".into(),
            ),
        ],
        subprotocol: Some("chat.v1".into()),
        extensions: None,
        handshake: Duration::from_millis(42),
    }))));
    harness.get_by_label("101 Switching Protocols");
    harness.get_by_label("42.0 ms");
    harness.get_by_label("chat.v1");
    harness.get_by_label("none");
    harness.get_by_label("Request headers (2)");
    harness.get_by_label("Sec-WebSocket-Key");
    harness.get_by_label("dGhlIHNhbXBsZSBub25jZQ==");
    harness.get_by_label("Response headers (2)");
    harness.get_by_label("sec-websocket-accept");
    harness.get_by_label("Copy request headers");
    harness.get_by_label("Copy response headers");
}

#[test]
fn rejected_handshake_shows_status_headers_and_body() {
    let harness = pane(Some(event(EventKind::error(ErrorInfo {
        category: ErrorCategory::Http,
        message: "server answered 401 Unauthorized".into(),
        http: Some(HttpRejection {
            status: 401,
            headers: vec![("www-authenticate".into(), "Bearer".into())],
            body: Bytes::from_static(b"missing token\nsee the docs"),
        }),
    }))));
    harness.get_by_label("http");
    harness.get_by_label("server answered 401 Unauthorized");
    harness.get_by_label("HTTP status: 401 Unauthorized");
    harness.get_by_label("www-authenticate");
    harness.get_by_label("Body (26 bytes)");
    harness.get_by_label("missing token\nsee the docs");
    harness.get_by_label("Copy body");
}

#[test]
fn error_body_that_is_not_utf8_is_shown_in_hex() {
    let harness = pane(Some(event(EventKind::error(ErrorInfo {
        category: ErrorCategory::Http,
        message: "server answered 500".into(),
        http: Some(HttpRejection {
            status: 500,
            headers: vec![],
            body: Bytes::from_static(b"\xff\xfe oops"),
        }),
    }))));
    harness.get_by_label_contains("ff fe 20 6f 6f 70 73");
    harness.get_by_label("Copy body as base64");
}

#[test]
fn long_error_body_gets_numbered_lines() {
    let body: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    let harness = pane(Some(event(EventKind::error(ErrorInfo {
        category: ErrorCategory::Http,
        message: "server answered 502".into(),
        http: Some(HttpRejection {
            status: 502,
            headers: vec![],
            body: Bytes::from(body),
        }),
    }))));
    harness.get_by_label("HTTP status: 502 Bad Gateway");
    harness.get_by_label("line 0");
    assert!(harness.query_by_label("line 1999").is_none());
}

#[test]
fn plain_error_shows_category_and_message() {
    let harness = pane(Some(event(EventKind::Error(Box::new(ErrorInfo::new(
        ErrorCategory::Refused,
        "connection refused by 127.0.0.1:1",
    ))))));
    harness.get_by_label("refused");
    harness.get_by_label("connection refused by 127.0.0.1:1");
}

#[test]
fn pings_and_pongs_show_payload() {
    let harness = pane(Some(event(EventKind::Pong {
        dir: Direction::Out,
        payload: Bytes::from_static(b"keepalive"),
        auto: true,
    })));
    harness.get_by_label("Pong");
    harness.get_by_label("Payload: 9 bytes");
    harness.get_by_label(r#"As text: "keepalive""#);
    harness.get_by_label_contains("00000000  6b 65 65 70 61 6c 69 76  65");
    harness.get_by_label_contains("answered automatically");

    let harness = pane(Some(event(EventKind::Ping {
        dir: Direction::In,
        payload: Bytes::new(),
    })));
    harness.get_by_label("Ping");
    harness.get_by_label("(empty payload)");
}

#[test]
fn connecting_shows_the_url() {
    let harness = pane(Some(event(EventKind::Connecting {
        url: "ws://127.0.0.1:9000/echo".into(),
    })));
    harness.get_by_label("URL: ws://127.0.0.1:9000/echo");
}

#[test]
fn changing_the_selection_rebuilds_the_views() {
    let mut harness = pane(Some(text_message(r#"{"first":true}"#)));
    harness.get_by_label(r#"  "first": true"#);
    let mut second = text_message(r#"{"second":false}"#);
    second.seq = 1;
    harness.state_mut().1 = Some(second);
    harness.run();
    harness.get_by_label(r#"  "second": false"#);
    assert!(harness.query_by_label(r#"  "first": true"#).is_none());
}

#[test]
fn odd_payloads_do_not_panic() {
    for text in [
        "",
        " ",
        "[",
        "\"\\u",
        "{\"a\":[[[[[[[[[[]]]]]]]]]]}",
        "\r\n\r\n",
    ] {
        let _ = pane(Some(text_message(text)));
    }
    // Deeper than the tree and pretty views follow: raw, with a note (Tree stays off).
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let mut harness = pane(Some(text_message(&deep)));
    harness.get_by_label("Tree").click();
    harness.run();
    harness.get_by_label("nested 300 levels deep; showing raw");
    harness.get_by_label(&deep);
    let long_line = "x".repeat(100_000);
    let harness = pane(Some(text_message(&long_line)));
    assert!(harness.query_all_by_label_contains("xxxx").count() >= 1);
    let _ = pane(Some(event(EventKind::Message {
        dir: Direction::In,
        payload: Payload::Binary(Bytes::new()),
    })));
}

#[test]
fn json_too_deep_to_format_is_shown_raw_with_a_note() {
    // The issue's example: 200 KB of brackets, whose pretty view needed 20 GB.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let harness = pane(Some(text_message(&deep)));
    harness.get_by_label("nested 100000 levels deep; showing raw");
    assert!(harness.query_all_by_label(&"[".repeat(1000)).count() >= 10);
    assert!(harness.query_by_label("Copy pretty JSON").is_none());
    // Objects too, and a long one goes through the formatting thread.
    let objects = format!("{}1{}", r#"{"a":"#.repeat(300_000), "}".repeat(300_000));
    assert!(objects.len() >= 1 << 20);
    let mut harness = unsettled_pane(Some(text_message(&objects)));
    step_until_shown(&mut harness, "nested 300000 levels deep; showing raw");
}

#[test]
fn json_at_the_depth_limit_is_pretty_and_has_a_tree() {
    let deep = format!("{}{}", "[".repeat(127), "]".repeat(127));
    let mut harness = pane(Some(text_message(&deep)));
    harness.get_by_label("[");
    // Each line indented by its depth (drawn, not stored); the innermost lie far below.
    harness.get_by_label(&format!("{}[", "  ".repeat(5)));
    assert!(harness.query_by_label_contains("showing raw").is_none());
    harness.get_by_label("Tree").click();
    harness.run();
    harness.get_by_label("[1 item]");
    assert!(harness.query_by_label_contains("cannot be shown").is_none());
}

#[test]
fn the_tree_opens_to_its_deepest_level() {
    // 127 levels, each opened by a click: the tree's drawing recurses that deep (on a test
    // thread's 2 MiB stack here; the window's main thread has 8 MiB).
    let deep = format!("{}{}", "[".repeat(127), "]".repeat(127));
    let mut harness = sized_pane(Some(text_message(&deep)), egui::vec2(4000.0, 4000.0));
    harness.run();
    harness.get_by_label("Tree").click();
    harness.run();
    for opened in 1..126 {
        let headers: Vec<_> = harness.query_all_by_label("0: [1 item]").collect();
        assert_eq!(headers.len(), opened, "one more level each time");
        headers.last().expect("the deepest closed level").click();
        harness.run();
    }
    harness.get_by_label("0: [0 items]");
}

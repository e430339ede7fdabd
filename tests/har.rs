//! HAR export and import: a round trip keeps the messages and their times; Chrome's and
//! Firefox's files import; broken files give positions; an import replays.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use sockscope::engine::{ConnectionConfig, Direction, EventKind, Payload};
use sockscope::model::har;
use sockscope::model::session::{SessionFile, SessionTab, TabRecording};
use sockscope::model::timeline::TimelineEntry;
use sockscope::replay::{Replay, ReplayOptions, Speed};
use support::{connect_with, demo, to_close, until, until_messages};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn messages(tab: &SessionTab) -> Vec<(Direction, Payload, Duration)> {
    tab.entries("t")
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.event.kind {
            EventKind::Message { dir, payload } => Some((dir, payload, e.event.offset)),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_import_keeps_the_messages_and_their_times() {
    let server = demo().await;
    let config = ConnectionConfig::new(server.url("/echo"));
    let mut handle = connect_with(&config);
    let mut events = until(&mut handle, "open").await;
    handle.send_text("hello").unwrap();
    handle.send_binary(vec![0u8, 1, 2, 254, 255]).unwrap();
    handle.send_text(r#"{"a": [1, 2]}"#).unwrap();
    until_messages(&mut handle, &mut events, 6).await;
    handle.close(1000, "").unwrap();
    events.extend(to_close(&mut handle).await);
    let entries: Vec<TimelineEntry> = events
        .into_iter()
        .map(|event| TimelineEntry::new(1, event))
        .collect();
    let tab = TabRecording::new("echo", config.clone(), entries.clone()).to_session();

    let document = har::export_tabs(&[(&tab, "tab 1".to_owned())]).unwrap();
    assert_eq!(document["log"]["version"], "1.2");
    let entry = &document["log"]["entries"][0];
    assert_eq!(entry["request"]["method"], "GET");
    assert_eq!(entry["request"]["url"], server.url("/echo"));
    assert_eq!(entry["response"]["status"], 101);
    let request_headers: Vec<&str> = entry["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert!(
        request_headers.contains(&"sec-websocket-key"),
        "{request_headers:?}"
    );
    let sent = &entry["_webSocketMessages"];
    assert_eq!(sent.as_array().unwrap().len(), 6);
    assert_eq!(sent[0]["type"], "send");
    assert_eq!(sent[0]["opcode"], 1);
    assert_eq!(sent[0]["data"], "hello");
    assert_eq!(sent[1]["opcode"], 2);
    assert_eq!(sent[1]["data"], "AAEC/v8=");
    assert!(sent[0]["time"].as_f64().unwrap() > 1.6e9, "Unix seconds");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.har");
    har::save(&path, &document).unwrap();
    let imported = har::load(&path).unwrap();
    assert_eq!(imported.len(), 1);
    let back = &imported[0];
    assert_eq!(back.setup.config.url, config.url);
    assert!(
        back.setup.config.headers.is_empty(),
        "only handshake headers were sent: {:?}",
        back.setup.config.headers
    );
    let before = messages(&tab);
    let after = messages(back);
    assert_eq!(before.len(), after.len());
    // Times come back relative to the start of the connection (the entry's
    // startedDateTime), to a few microseconds (Unix seconds as a float, wall clock).
    let started = entries[0].event.offset;
    for ((dir, payload, offset), (dir2, payload2, offset2)) in before.iter().zip(&after) {
        assert_eq!((dir, payload), (dir2, payload2));
        let expected = offset.saturating_sub(started).as_micros() as i128;
        let got = offset2.as_micros() as i128;
        assert!((expected - got).abs() <= 50, "{expected} µs vs {got} µs");
    }
    // No close in a HAR: none is recorded.
    let restored = back.entries("t").unwrap();
    assert!(
        !restored
            .iter()
            .any(|e| matches!(e.event.kind, EventKind::Close(_)))
    );

    // And the import replays against the same server: everything matches, no close compared.
    let replay = Replay::from_tab(back, "tab 1", None, None).unwrap();
    let options = ReplayOptions {
        speed: Speed::Fast,
        ..ReplayOptions::default()
    };
    let report = replay
        .run(&options, |_| std::future::ready(()))
        .await
        .unwrap();
    assert!(report.all_match(), "{:#?}", report.comparison);
    assert_eq!(report.comparison.matched(), 3);
    assert_eq!(report.comparison.close_matches(), None);
}

#[test]
fn a_chrome_har_imports() {
    let tabs = har::load(&fixture("chrome.har")).unwrap();
    assert_eq!(
        tabs.len(),
        1,
        "the page's document entry is not a WebSocket"
    );
    let tab = &tabs[0];
    assert_eq!(tab.setup.config.url, "wss://example.test/socket?room=1");
    let headers: Vec<(&str, &str)> = tab
        .setup
        .config
        .headers
        .iter()
        .map(|h| (h.name.as_str(), h.value.as_str()))
        .collect();
    assert_eq!(
        headers.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        ["Accept-Language", "Cookie", "Origin", "User-Agent"]
    );
    assert!(headers.contains(&("Cookie", "session=abc123")));
    assert_eq!(tab.setup.config.subprotocols, ["chat.v2", "chat.v1"]);
    let entries = tab.entries("chrome").unwrap();
    let Some(EventKind::Open(open)) = entries.get(1).map(|e| &e.event.kind) else {
        panic!("an open event follows connecting")
    };
    assert_eq!(open.status, 101);
    assert_eq!(open.subprotocol.as_deref(), Some("chat.v2"));
    assert!(
        open.request_headers
            .iter()
            .any(|(n, _)| n == "Sec-WebSocket-Key")
    );
    let got = messages(tab);
    let expected = [
        (
            Direction::Out,
            Payload::Text(r#"{"op":"subscribe","channel":"ticker"}"#.into()),
            50_123,
        ),
        (
            Direction::In,
            Payload::Text(r#"{"op":"subscribed","channel":"ticker","at":1714644001100}"#.into()),
            100_000,
        ),
        (
            Direction::In,
            Payload::Binary(vec![0u8, 1, 2, 3, 4].into()),
            500_000,
        ),
        (Direction::Out, Payload::Text("bye".into()), 1_000_000),
    ];
    assert_eq!(got.len(), expected.len());
    for ((dir, payload, offset), (dir2, payload2, micros)) in got.iter().zip(&expected) {
        assert_eq!((dir, payload), (dir2, payload2));
        assert!(
            (offset.as_micros() as i64 - micros).abs() <= 1,
            "{offset:?} vs {micros} µs"
        );
    }
    // It saves as a session and loads back unchanged.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chrome.session.ron");
    let file = SessionFile::new(tabs.clone());
    file.save(&path).unwrap();
    assert_eq!(SessionFile::load(&path).unwrap(), file);
}

#[test]
fn a_firefox_har_imports() {
    // Firefox writes the same _webSocketMessages list; some tools write times in
    // milliseconds, and close frames (opcode 8) may be listed.
    let text = r#"{
      "log": {
        "version": "1.2",
        "creator": {"name": "Firefox", "version": "126.0"},
        "browser": {"name": "Firefox", "version": "126.0"},
        "pages": [],
        "entries": [{
          "startedDateTime": "2024-05-02T12:00:00.000+02:00",
          "request": {
            "bodySize": 0, "method": "GET", "url": "http://localhost:8080/live",
            "httpVersion": "HTTP/1.1",
            "headers": [
              {"name": "Host", "value": "localhost:8080"},
              {"name": "Sec-WebSocket-Version", "value": "13"},
              {"name": "Origin", "value": "http://localhost:8080"},
              {"name": "Sec-WebSocket-Extensions", "value": "permessage-deflate"},
              {"name": "Sec-WebSocket-Key", "value": "abc=="},
              {"name": "Connection", "value": "keep-alive, Upgrade"},
              {"name": "Upgrade", "value": "websocket"},
              {"name": "X-Client", "value": "dashboard"}
            ],
            "cookies": [], "queryString": [], "headersSize": 400
          },
          "response": {
            "status": 101, "statusText": "Switching Protocols", "httpVersion": "HTTP/1.1",
            "headers": [{"name": "upgrade", "value": "websocket"}],
            "cookies": [], "content": {"mimeType": "", "size": 0}, "redirectURL": "",
            "headersSize": 120, "bodySize": 0
          },
          "cache": {}, "timings": {"blocked": 0, "dns": 0, "connect": 0, "ssl": 0, "send": 0, "wait": 3, "receive": 0},
          "time": 3,
          "_webSocketMessages": [
            {"type": "receive", "time": 1714644000250.0, "opcode": 1, "data": "welcome"},
            {"type": "send", "time": 1714644000300.5, "opcode": 1, "data": "hi"},
            {"type": "receive", "time": 1714644000400.0, "opcode": 8, "data": ""}
          ]
        }]
      }
    }"#;
    let tabs = har::import(Path::new("firefox.har"), text).unwrap();
    let tab = &tabs[0];
    assert_eq!(tab.setup.config.url, "ws://localhost:8080/live");
    let names: Vec<&str> = tab
        .setup
        .config
        .headers
        .iter()
        .map(|h| h.name.as_str())
        .collect();
    assert_eq!(names, ["Origin", "X-Client"]);
    let got = messages(tab);
    assert_eq!(got.len(), 2, "the close frame is not a message");
    assert_eq!(got[0].0, Direction::In);
    assert_eq!(got[0].2, Duration::from_millis(250));
    assert_eq!(got[1].2, Duration::from_micros(300_500));
}

#[test]
fn broken_hars_give_positions_or_name_the_entry() {
    let text = std::fs::read_to_string(fixture("chrome.har")).unwrap();
    // A comma missing between two headers, on a known line.
    let broken = text.replacen(
        r#"{ "name": "Cookie", "value": "session=abc123" },"#,
        r#"{ "name": "Cookie", "value": "session=abc123" }"#,
        1,
    );
    let line = broken
        .lines()
        .position(|l| l.contains(r#""name": "Host", "value": "example.test""#))
        .unwrap()
        + 1;
    let error = har::import(Path::new("chrome.har"), &broken).unwrap_err();
    let (l, c) = error.line_column().expect("a position");
    assert_eq!(l, line, "{error}");
    assert!(c > 1, "{error}");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("chrome.har:{l}:{c}: ")),
        "{message}"
    );
    assert!(!message.contains(" at line "), "said once: {message}");
    // Wrong types are positioned too.
    let wrong = r#"{"log": {"entries": [{"request": {"url": 5}}]}}"#;
    let error = har::import(Path::new("x.har"), wrong).unwrap_err();
    let (l, c) = error.line_column().expect("a position");
    let at = wrong.find('5').unwrap() + 1;
    assert!(l == 1 && (at..=at + 1).contains(&c), "{error}");
    // Bad base64 and unknown message types name the entry and message.
    let bad = text.replacen(r#""data": "AAECAwQ=""#, r#""data": "AA*ECAwQ=""#, 1);
    let error = har::import(Path::new("b.har"), &bad)
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("b.har: entry 2: message 3: "), "{error}");
    assert!(error.contains("base64"), "{error}");
    let odd = text.replacen(r#""type": "send""#, r#""type": "sent""#, 1);
    let error = har::import(Path::new("o.har"), &odd)
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown type \"sent\""), "{error}");
    // Truncated at any point: an error, never a panic.
    for cut in (0..text.len()).step_by(53) {
        assert!(har::import(Path::new("cut.har"), &text[..cut]).is_err());
    }
    let missing = har::load(Path::new("/no/such.har")).unwrap_err();
    assert!(missing.to_string().starts_with("/no/such.har: "));
}

#[test]
fn exported_har_is_plain_json_a_browser_tool_can_read() {
    let file = SessionFile::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("saved_sessions/echo.session.ron"),
    )
    .unwrap();
    let tabs: Vec<(&SessionTab, String)> = file.tabs.iter().map(|t| (t, t.name.clone())).collect();
    let document = har::export_tabs(&tabs).unwrap();
    let text = serde_json::to_string(&document).unwrap();
    let parsed: Value = serde_json::from_str(&text).unwrap();
    let entry = &parsed["log"]["entries"][0];
    assert_eq!(entry["_resourceType"], "websocket");
    assert!(entry["startedDateTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(entry["response"]["statusText"], "Switching Protocols");
    let types: Vec<&str> = entry["_webSocketMessages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "send", "send", "send", "send", "receive", "receive", "receive", "receive"
        ]
    );
}

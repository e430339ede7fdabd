//! Replays against real servers: the shipped examples against the demo server match; a
//! server that answers differently is reported difference by difference; ignored JSON paths,
//! speed, progress updates and cancelling work.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use sockscope::engine::{
    CloseInfo, ConnectionConfig, Direction, Event, EventKind, HeaderEntry, Initiator, OpenInfo,
    Payload,
};
use sockscope::format::json_path::JsonPath;
use sockscope::model::session::{SessionFile, SessionTab};
use sockscope::model::timeline::TimelineEntry;
use sockscope::replay::{
    CompareOptions, ComparisonItem, Diff, Replay, ReplayError, ReplayHandle, ReplayOptions,
    ReplayReport, ReplayUpdate, Speed, UPDATE_QUEUE_BYTES,
};
use support::demo;

fn example(name: &str) -> SessionTab {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("saved_sessions")
        .join(name);
    let mut file = SessionFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
    file.tabs.remove(0)
}

fn fast() -> ReplayOptions {
    ReplayOptions {
        speed: Speed::Fast,
        ..ReplayOptions::default()
    }
}

fn ignoring(paths: &[&str]) -> ReplayOptions {
    ReplayOptions {
        compare: CompareOptions {
            ignore: paths.iter().map(|p| JsonPath::parse(p).unwrap()).collect(),
        },
        ..fast()
    }
}

async fn replay(tab: &SessionTab, url: &str, options: &ReplayOptions) -> ReplayReport {
    let replay = Replay::from_tab(tab, "tab", None, Some(url)).unwrap();
    tokio::time::timeout(
        Duration::from_secs(30),
        replay.run(options, |_| std::future::ready(())),
    )
    .await
    .expect("a replay ends within 30 s")
    .unwrap()
}

fn counts(report: &ReplayReport) -> [usize; 5] {
    let c = &report.comparison;
    [
        c.expected(),
        c.matched(),
        c.different(),
        c.missing(),
        c.unexpected(),
    ]
}

fn diffs(report: &ReplayReport) -> Vec<Vec<String>> {
    report
        .comparison
        .items
        .iter()
        .filter_map(|item| match item {
            ComparisonItem::Different { diff, .. } => Some(diff.lines()),
            _ => None,
        })
        .collect()
}

/// Upper-cases every string value of a JSON document (keys are kept).
fn shout(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(text.to_uppercase()),
        Value::Array(items) => Value::Array(items.into_iter().map(shout).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, shout(v))).collect()),
        other => other,
    }
}

/// A WebSocket server that echoes text upper-cased (JSON: its string values), binary
/// reversed, and answers the client's close normally.
async fn shouting_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                while let Some(Ok(message)) = ws.next().await {
                    let answer = match message {
                        Message::Text(text) => {
                            match serde_json::from_str::<serde_json::Value>(&text) {
                                Ok(json) => Message::text(shout(json).to_string()),
                                Err(_) => Message::text(text.to_uppercase()),
                            }
                        }
                        Message::Binary(bytes) => {
                            Message::binary(bytes.iter().rev().copied().collect::<Vec<u8>>())
                        }
                        _ => continue,
                    };
                    if ws.send(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_echo_example_matches_the_demo_server() {
    let server = demo().await;
    let tab = example("echo.session.ron");
    let report = replay(&tab, &server.url("/echo"), &fast()).await;
    assert!(report.opened);
    assert_eq!(counts(&report), [4, 4, 0, 0, 0], "{:#?}", report.comparison);
    assert_eq!(report.sent, 5, "four messages and a ping");
    assert_eq!(report.comparison.close_matches(), Some(true));
    assert!(report.all_match());
    // The replay closed as the recording did: the client, 1000 "bye".
    let Some(EventKind::Close(close)) = report.events.last().map(|e| &e.kind) else {
        panic!("the run ends with a close")
    };
    assert_eq!(
        (close.code, close.reason.as_str(), close.initiator),
        (1000, "bye", Initiator::Client)
    );
    // Each received message is found at its index in the run's events.
    for item in &report.comparison.items {
        let actual = item.actual().unwrap();
        assert!(matches!(
            report.events[actual.index].kind,
            EventKind::Message {
                dir: Direction::In,
                ..
            }
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ticker_and_close_code_examples_match_with_ignored_timestamps() {
    let server = demo().await;
    let ticker = example("ticker.session.ron");
    let strict = replay(&ticker, &server.url("/json?count=3"), &fast()).await;
    assert_eq!(counts(&strict), [3, 0, 3, 0, 0]);
    for lines in diffs(&strict) {
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("$.timestamp: expected \""),
            "{lines:?}"
        );
    }
    assert!(!strict.all_match());
    let relaxed = replay(
        &ticker,
        &server.url("/json?count=3"),
        &ignoring(&["$.timestamp"]),
    )
    .await;
    assert_eq!(counts(&relaxed), [3, 3, 0, 0, 0]);
    assert_eq!(relaxed.comparison.close_matches(), Some(true));
    assert!(relaxed.all_match());

    let closing = example("close-codes.session.ron");
    let report = replay(&closing, &server.url("/close/4001?reason=bye"), &fast()).await;
    assert!(report.all_match(), "{:#?}", report.comparison);
    let other = replay(&closing, &server.url("/close/4002?reason=bye"), &fast()).await;
    let close = other.comparison.close.clone().unwrap();
    assert!(!close.matches);
    assert_eq!(close.expected.code, 4001);
    assert_eq!(close.actual.map(|c| c.code), Some(4002));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_answers_differently_is_reported_difference_by_difference() {
    let addr = shouting_server().await;
    let tab = example("echo.session.ron");
    let report = replay(&tab, &format!("ws://{addr}/echo"), &fast()).await;
    assert_eq!(counts(&report), [4, 0, 4, 0, 0], "{:#?}", report.comparison);
    let lines = diffs(&report);
    assert_eq!(
        lines[0],
        [r#"texts differ at character 0 (lengths 5 and 5): expected "hello", got "HELLO""#]
    );
    // The JSON message: its upper-cased string values, listed path by path.
    assert_eq!(
        lines[1],
        [
            r#"$.type: expected "greeting", got "GREETING""#,
            r#"$.tags[0]: expected "a", got "A""#,
            r#"$.tags[1]: expected "b", got "B""#,
        ]
    );
    assert_eq!(
        lines[2],
        ["binary differs at byte 0 (expected 5 bytes, got 5 bytes)"]
    );
    assert!(
        lines[3][0].contains(r#"expected "bye", got "BYE""#),
        "{lines:?}"
    );
    // The close was the replay's own, as recorded.
    assert_eq!(report.comparison.close_matches(), Some(true));
    assert!(!report.all_match());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_and_unexpected_messages_and_the_close_are_reported() {
    let server = demo().await;
    let ticker = example("ticker.session.ron");
    let options = ignoring(&["$.timestamp"]);
    let fewer = replay(&ticker, &server.url("/json?count=2"), &options).await;
    assert_eq!(counts(&fewer), [3, 2, 0, 1, 0]);
    assert_eq!(fewer.comparison.close_matches(), Some(true));
    let more = replay(&ticker, &server.url("/json?count=4"), &options).await;
    assert_eq!(counts(&more), [3, 3, 0, 0, 1]);
    // A JSON path that ignores the counter as well makes the extra tick no less unexpected.
    let echo = replay(&ticker, &server.url("/echo"), &options).await;
    assert_eq!(counts(&echo), [3, 0, 0, 3, 0]);
    let close = echo.comparison.close.unwrap();
    assert!(!close.matches);
    assert_eq!(close.expected.initiator, Initiator::Server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignored_paths_reach_into_arrays_and_any_depth() {
    let server = demo().await;
    let addr = shouting_server().await;
    // Recorded against /echo; replayed against the shouting server, whose JSON has the
    // same numbers but upper-cased strings.
    let tab = timeline_tab(
        &server.url("/echo"),
        &[r#"{"items":[{"id":1,"n":2}],"meta":{"id":"x"}}"#],
        Some((1000, "")),
    );
    let url = format!("ws://{addr}/echo");
    let report = replay(&tab, &url, &fast()).await;
    assert_eq!(diffs(&report), [["$.meta.id: expected \"x\", got \"X\""]]);
    let report = replay(&tab, &url, &ignoring(&["$..id"])).await;
    assert_eq!(counts(&report), [1, 1, 0, 0, 0]);
    let report = replay(&tab, &url, &ignoring(&["$.meta"])).await;
    assert!(report.all_match());
    let report = replay(&tab, &url, &ignoring(&["$.items[*].id"])).await;
    assert_eq!(report.comparison.different(), 1);
    // Any RFC 9535 JSONPath: a union of names, a filter selector.
    let report = replay(&tab, &url, &ignoring(&["$['items','meta'].id"])).await;
    assert!(report.all_match());
    let report = replay(&tab, &url, &ignoring(&["$.*[?@ == 'x' || @ == 'X']"])).await;
    assert!(report.all_match());
}

/// A recorded tab: open, each text sent and echoed, then (optionally) a client close.
fn timeline_tab(url: &str, texts: &[&str], close: Option<(u16, &str)>) -> SessionTab {
    let mut entries = Vec::new();
    let mut push = |offset_ms: u64, kind: EventKind| {
        let seq = entries.len() as u64;
        entries.push(TimelineEntry::new(
            1,
            Event {
                wire: None,
                seq,
                wall_time: SystemTime::now(),
                offset: Duration::from_millis(offset_ms),
                kind,
            },
        ));
    };
    push(0, EventKind::Connecting { url: url.into() });
    push(
        1,
        EventKind::Open(Box::new(OpenInfo {
            status: 101,
            ..OpenInfo::default()
        })),
    );
    for (i, text) in texts.iter().enumerate() {
        let at = 1 + 400 * i as u64;
        for dir in [Direction::Out, Direction::In] {
            push(
                at,
                EventKind::Message {
                    dir,
                    payload: Payload::Text((*text).to_owned().into()),
                },
            );
        }
    }
    if let Some((code, reason)) = close {
        push(
            2 + 400 * texts.len() as u64,
            EventKind::Close(Box::new(CloseInfo {
                code,
                reason: reason.into(),
                was_clean: true,
                initiator: Initiator::Client,
                closing_handshake: Some(Duration::from_millis(1)),
            })),
        );
    }
    sockscope::model::session::TabRecording::new("made", ConnectionConfig::new(url), entries)
        .to_session()
}

fn out_offsets(report: &ReplayReport) -> Vec<Duration> {
    report
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Message {
                    dir: Direction::Out,
                    ..
                }
            )
        })
        .map(|e| e.offset)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_keep_their_recorded_spacing_scaled_by_the_speed() {
    let server = demo().await;
    let tab = timeline_tab(&server.url("/echo"), &["a", "b", "c"], Some((1000, "")));
    let url = server.url("/echo");
    let real_time = replay(&tab, &url, &ReplayOptions::default()).await;
    assert!(real_time.all_match(), "{:#?}", real_time.comparison);
    let offsets = out_offsets(&real_time);
    for pair in offsets.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(380) && gap < Duration::from_millis(700),
            "×1 keeps the 400 ms spacing: {gap:?}"
        );
    }
    let tenfold = ReplayOptions {
        speed: Speed::Factor(10.0),
        ..ReplayOptions::default()
    };
    let quick = replay(&tab, &url, &tenfold).await;
    assert!(quick.all_match());
    let offsets = out_offsets(&quick);
    for pair in offsets.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(35) && gap < Duration::from_millis(250),
            "×10 sends 40 ms apart: {gap:?}"
        );
    }
    let rushed = replay(&tab, &url, &fast()).await;
    let offsets = out_offsets(&rushed);
    assert!(offsets[2] - offsets[0] < Duration::from_millis(100));
    let bad = ReplayOptions {
        speed: Speed::Factor(0.0),
        ..ReplayOptions::default()
    };
    let replay = Replay::from_tab(&tab, "t", None, Some(&url)).unwrap();
    assert!(matches!(
        replay.run(&bad, |_| std::future::ready(())).await,
        Err(ReplayError::Speed(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_replay_reports_progress_and_can_be_cancelled() {
    let server = demo().await;
    let tab = example("echo.session.ron");
    let replay = Replay::from_tab(&tab, "tab 1", None, Some(&server.url("/echo"))).unwrap();
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&wakes);
    let mut handle = ReplayHandle::spawn(
        replay,
        fast(),
        &tokio::runtime::Handle::current(),
        Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }),
    );
    let mut seen = Vec::new();
    let report = loop {
        match tokio::time::timeout(Duration::from_secs(20), handle.recv())
            .await
            .unwrap()
        {
            Some(ReplayUpdate::Event(event)) => seen.push(event),
            Some(ReplayUpdate::Finished(report)) => break report,
            other => panic!("unexpected update {other:?}"),
        }
    };
    assert!(report.all_match());
    assert_eq!(seen.len(), report.events.len());
    assert!(
        wakes.load(Ordering::Relaxed) >= seen.len(),
        "woken per update"
    );
    assert!(handle.try_recv().is_none());

    // A ticker that never ends: cancelling closes the connection, and the run still reports.
    let ticker = example("ticker.session.ron");
    let replay = Replay::from_tab(&ticker, "t", None, Some(&server.url("/json"))).unwrap();
    let options = ReplayOptions {
        grace: Some(Duration::from_secs(60)),
        ..ignoring(&["$.timestamp"])
    };
    let mut handle = ReplayHandle::spawn(
        replay,
        options,
        &tokio::runtime::Handle::current(),
        Arc::new(|| {}),
    );
    tokio::time::sleep(Duration::from_millis(450)).await;
    handle.cancel();
    let report = loop {
        match tokio::time::timeout(Duration::from_secs(10), handle.recv())
            .await
            .unwrap()
        {
            Some(ReplayUpdate::Event(_)) => {}
            Some(ReplayUpdate::Finished(report)) => break report,
            other => panic!("unexpected update {other:?}"),
        }
    };
    assert!(report.cancelled);
    assert!(report.comparison.matched() >= 3, "{:#?}", report.comparison);
    let close = report.comparison.close.unwrap();
    assert_eq!(
        close.actual.map(|c| (c.code, c.reason, c.initiator)),
        Some((1000, "replay cancelled".into(), Initiator::Client))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_background_replay_whose_consumer_is_behind_stops_at_its_queue_bound() {
    let server = demo().await;
    // The recording's one send goes to a flood of 600 x 64 KiB (37.5 MiB), then 1000.
    let tab = example("close-codes.session.ron");
    let url = server.url("/flood?n=600&size=65536");
    let replay = Replay::from_tab(&tab, "t", None, Some(&url)).unwrap();
    let mut handle = ReplayHandle::spawn(
        replay,
        fast(),
        &tokio::runtime::Handle::current(),
        Arc::new(|| {}),
    );
    // Nobody takes updates: they fill the queue's bytes, and then stop.
    let bound = UPDATE_QUEUE_BYTES / 65536 + 4;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while handle.waiting_updates() < bound - 8 {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} updates came",
            handle.waiting_updates()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = handle.waiting_updates();
    assert!(waiting <= bound, "{waiting} updates wait (bound {bound})");
    // Then every message arrives: the run waited, it dropped nothing.
    let mut messages = 0;
    let report = loop {
        match tokio::time::timeout(Duration::from_secs(20), handle.recv())
            .await
            .unwrap()
        {
            Some(ReplayUpdate::Event(event)) => {
                messages += usize::from(matches!(
                    event.kind,
                    EventKind::Message {
                        dir: Direction::In,
                        ..
                    }
                ));
            }
            Some(ReplayUpdate::Finished(report)) => break report,
            other => panic!("unexpected update {other:?}"),
        }
    };
    assert_eq!(messages, 600);
    assert_eq!(report.comparison.close.unwrap().actual.unwrap().code, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_and_environment_references_are_expanded_when_connecting() {
    let server = demo().await;
    let mut tab = timeline_tab(&server.url("/headers"), &[], None);
    tab.setup
        .config
        .headers
        .push(HeaderEntry::new("X-Room", "room {{room}}"));
    tab.setup.variables = vec![("room".into(), "lobby".into())];
    let report = replay(&tab, &server.url("/headers"), &fast()).await;
    let described = report
        .comparison
        .items
        .iter()
        .find_map(|i| i.actual())
        .expect("/headers describes the request");
    let text = described.payload.as_text().unwrap();
    assert!(text.contains(r#""x-room":"room lobby""#), "{text}");
    // No close was recorded: none is compared, and the unexpected description says so.
    assert_eq!(report.comparison.close_matches(), None);
    assert_eq!(counts(&report), [0, 0, 0, 0, 1]);

    tab.setup.config.headers.push(HeaderEntry::new(
        "X-Secret",
        "{{env.SOCKSCOPE_SURELY_UNSET_VAR}}",
    ));
    let error = Replay::from_tab(&tab, "tab 1", None, None).unwrap_err();
    assert!(
        error.to_string().contains("SOCKSCOPE_SURELY_UNSET_VAR"),
        "{error}"
    );
    let empty = SessionTab::default();
    assert!(matches!(
        Replay::from_tab(&empty, "e", None, Some("ws://127.0.0.1:9/")),
        Err(ReplayError::NothingRecorded)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_is_reported_not_an_error() {
    let tab = example("echo.session.ron");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let report = replay(&tab, &format!("ws://{addr}/echo"), &fast()).await;
    assert!(!report.opened);
    assert_eq!(counts(&report), [4, 0, 0, 4, 0]);
    assert!(!report.all_match());
    let diff = Diff::Type {
        expected: "text",
        actual: "binary",
    };
    assert_eq!(
        diff.lines(),
        ["expected a text message, got a binary message"]
    );
}

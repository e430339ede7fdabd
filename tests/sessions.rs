//! Session files: lossless round trips of real timelines, secrets kept off disk, saves that
//! a kill cannot damage, and errors that name the file, line and column.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sockscope::engine::{ConnectionConfig, Event, EventKind, HeaderEntry};
use sockscope::format::variables::EnvPolicy;
use sockscope::model::recorded::{RecordedEvent, RecordedKind, RecordedPayload};
use sockscope::model::session::{
    SecretHeader, SessionFile, SessionTab, TabRecording, resolve_config,
};
use sockscope::model::storage::FileError;
use sockscope::model::tab_setup::TabSetup;
use sockscope::model::template::{MessageFormat, Template};
use sockscope::model::timeline::TimelineEntry;
use support::{connect, connect_with, demo, to_close, until, until_messages};

fn saved_sessions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("saved_sessions")
}

fn wall_us(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_micros()
}

/// Compares two events field by field, times to the microsecond (what a session keeps).
fn assert_same_event(a: &Event, b: &Event, at: usize) {
    assert_eq!(a.seq, b.seq, "event {at}: seq");
    assert_eq!(
        a.offset.as_micros(),
        b.offset.as_micros(),
        "event {at}: offset"
    );
    assert_eq!(
        wall_us(a.wall_time),
        wall_us(b.wall_time),
        "event {at}: wall time"
    );
    match (&a.kind, &b.kind) {
        (EventKind::Connecting { url: x }, EventKind::Connecting { url: y }) => assert_eq!(x, y),
        (EventKind::Open(x), EventKind::Open(y)) => {
            assert_eq!(x.status, y.status);
            assert_eq!(x.request_headers, y.request_headers);
            assert_eq!(x.response_headers, y.response_headers);
            assert_eq!(x.subprotocol, y.subprotocol);
            assert_eq!(x.extensions, y.extensions);
            assert_eq!(x.handshake.as_micros(), y.handshake.as_micros());
        }
        (
            EventKind::Message { dir, payload },
            EventKind::Message {
                dir: dir2,
                payload: payload2,
            },
        ) => {
            assert_eq!(dir, dir2);
            assert_eq!(payload, payload2, "event {at}: payload");
        }
        (
            EventKind::Ping { dir, payload },
            EventKind::Ping {
                dir: dir2,
                payload: payload2,
            },
        ) => assert_eq!((dir, payload), (dir2, payload2)),
        (
            EventKind::Pong { dir, payload, auto },
            EventKind::Pong {
                dir: dir2,
                payload: payload2,
                auto: auto2,
            },
        ) => assert_eq!((dir, payload, auto), (dir2, payload2, auto2)),
        (EventKind::Error(x), EventKind::Error(y)) => {
            assert_eq!(x.category, y.category);
            assert_eq!(x.message, y.message);
            match (&x.http, &y.http) {
                (Some(h), Some(h2)) => {
                    assert_eq!(h.status, h2.status);
                    assert_eq!(h.headers, h2.headers);
                    assert_eq!(h.body, h2.body);
                }
                (None, None) => {}
                other => panic!("event {at}: http differs: {other:?}"),
            }
        }
        (EventKind::Close(x), EventKind::Close(y)) => {
            assert_eq!(x.code, y.code);
            assert_eq!(x.reason, y.reason);
            assert_eq!(x.was_clean, y.was_clean);
            assert_eq!(x.initiator, y.initiator);
            assert_eq!(
                x.closing_handshake.map(|d| d.as_micros()),
                y.closing_handshake.map(|d| d.as_micros())
            );
        }
        (x, y) => panic!("event {at}: {} became {}", x.name(), y.name()),
    }
}

/// A real two-attempt timeline: /echo with text, binary, a ping and a client close; then a
/// handshake rejected with 404 (error with the HTTP answer, close 1006).
async fn real_timeline() -> (ConnectionConfig, Vec<TimelineEntry>) {
    let server = demo().await;
    let config = ConnectionConfig::new(server.url("/echo"));
    let mut handle = connect_with(&config);
    let mut events = until(&mut handle, "open").await;
    handle.send_text("hello ✓ \"quoted\" r#\"raw\"#").unwrap();
    handle.send_text(r#"{"b": 1, "a": [true, null]}"#).unwrap();
    handle.send_binary(vec![0u8, 1, 2, 0xfe, 0xff]).unwrap();
    handle.ping(&b"p1"[..]).unwrap();
    events.extend(until(&mut handle, "pong").await);
    until_messages(&mut handle, &mut events, 6).await;
    handle.close(4000, "done here").unwrap();
    events.extend(to_close(&mut handle).await);
    let mut entries: Vec<TimelineEntry> = events
        .into_iter()
        .map(|event| TimelineEntry::new(1, event))
        .collect();
    let mut rejected = connect(&server.url("/no-such-path"));
    for event in to_close(&mut rejected).await {
        entries.push(TimelineEntry::new(2, event));
    }
    (config, entries)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_timeline_round_trips_through_a_session_file() {
    let (config, entries) = real_timeline().await;
    let kinds: Vec<&str> = entries.iter().map(|e| e.event.kind.name()).collect();
    for kind in ["open", "message", "ping", "pong", "error", "close"] {
        assert!(
            kinds.contains(&kind),
            "the timeline has a {kind}: {kinds:?}"
        );
    }
    let templates = vec![Template::new("hi", MessageFormat::Json, r#"{"a": 1}"#)];
    let variables = vec![("room".to_owned(), "lobby".to_owned())];
    let mut recording = TabRecording::new("echo", config.clone(), entries.clone());
    recording.setup.templates = templates.clone();
    recording.setup.variables = variables.clone();
    let tab = recording.to_session();
    let file = SessionFile::new(vec![tab]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("round.session.ron");
    file.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("version: 1"), "{text}");
    assert!(text.contains("dir: out"), "readable: {text}");
    let loaded = SessionFile::load(&path).unwrap();
    assert_eq!(loaded, file, "the saved structure comes back as it was");
    let tab = &loaded.tabs[0];
    assert_eq!(tab.setup.config, config);
    assert_eq!(tab.setup.templates, templates);
    assert_eq!(tab.setup.variables, variables);
    let back = tab.entries(&tab.label(0)).unwrap();
    assert_eq!(back.len(), entries.len());
    for (index, (a, b)) in entries.iter().zip(&back).enumerate() {
        assert_eq!(a.attempt, b.attempt, "event {index}: attempt");
        assert_same_event(&a.event, &b.event, index);
    }
    // The window's Timeline: times since each attempt's open come back too.
    let timeline = tab.to_timeline("echo").unwrap();
    assert_eq!(timeline.len(), entries.len());
    assert!(timeline.since_open(3).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_header_values_never_reach_the_file() {
    let server = demo().await;
    let mut config = ConnectionConfig::new(server.url("/headers"));
    config
        .headers
        .push(HeaderEntry::new("Authorization", "Bearer s3cret-t0ken"));
    config
        .headers
        .push(HeaderEntry::new("X-Api-Key", "k3y-v4lue"));
    config.headers.push(HeaderEntry::new("X-Plain", "visible"));
    let mut handle = connect_with(&config);
    // /headers answers with a JSON description of the request headers: the secrets are in
    // a received message too.
    let mut events = until(&mut handle, "message").await;
    handle.close(1000, "").unwrap();
    events.extend(to_close(&mut handle).await);
    let entries: Vec<TimelineEntry> = events
        .into_iter()
        .map(|event| TimelineEntry::new(1, event))
        .collect();
    let secrets = [
        SecretHeader::new("authorization", "API_TOKEN"),
        SecretHeader::new("X-API-KEY", "API_KEY"),
    ];
    let mut recording = TabRecording::new("secrets", config.clone(), entries.clone());
    recording.setup.secret_headers = secrets.to_vec();
    let tab = recording.to_session();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.session.ron");
    SessionFile::new(vec![tab]).save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("visible"), "{text}");
    for secret in ["s3cret-t0ken", "k3y-v4lue"] {
        assert!(!text.contains(secret), "{secret} is in the file:\n{text}");
    }
    assert!(text.contains("{{env.API_TOKEN}}"), "{text}");
    assert!(text.contains("{{env.API_KEY}}"), "{text}");
    // At connect time the references are expanded from the environment, for the names
    // the user allowed for the file.
    let loaded = SessionFile::load(&path).unwrap();
    let allowed = ["API_TOKEN".to_owned(), "API_KEY".to_owned()];
    let policy = EnvPolicy::Only(&allowed);
    let env = |name: &str| match name {
        "API_TOKEN" => Some("Bearer s3cret-t0ken".to_owned()),
        "API_KEY" => Some("k3y-v4lue".to_owned()),
        _ => None,
    };
    let resolved = resolve_config(&loaded.tabs[0].setup.config, &[], &env, policy).unwrap();
    assert_eq!(resolved.headers, config.headers);
    let unset = resolve_config(&loaded.tabs[0].setup.config, &[], &|_| None, policy).unwrap_err();
    assert!(unset.to_string().contains("API_TOKEN"), "{unset}");
}

fn small_session() -> SessionFile {
    let entry = RecordedEvent {
        attempt: 1,
        seq: 0,
        offset_us: 0,
        wall_time_us: 1_700_000_000_000_000,
        kind: RecordedKind::Message {
            dir: sockscope::engine::Direction::In,
            payload: RecordedPayload::Text("old".into()),
        },
        not_kept: None,
        leg: None,
    };
    SessionFile::new(vec![SessionTab {
        name: "old".into(),
        setup: TabSetup::new("ws://127.0.0.1:9001/echo"),
        timeline: vec![entry],
    }])
}

/// A HAR of `count` messages of `size` bytes, so that importing it writes a large session.
fn big_har(count: usize, size: usize) -> String {
    let data = "x".repeat(size);
    let messages: Vec<String> = (0..count)
        .map(|i| {
            format!(
                r#"{{"type":"{}","time":{}.5,"opcode":1,"data":"{i} {data}"}}"#,
                if i % 2 == 0 { "send" } else { "receive" },
                1_700_000_000 + i
            )
        })
        .collect();
    format!(
        r#"{{"log":{{"version":"1.2","entries":[{{"startedDateTime":"2023-11-14T22:13:20Z",
        "request":{{"method":"GET","url":"ws://127.0.0.1:9001/echo","headers":[]}},
        "response":{{"status":101,"headers":[]}},"_webSocketMessages":[{}]}}]}}}}"#,
        messages.join(",")
    )
}

#[test]
fn a_save_killed_at_any_moment_leaves_the_old_file_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("big.har");
    std::fs::write(&har, big_har(3000, 4000)).unwrap();
    let target = dir.path().join("target.session.ron");
    let old = small_session();
    let import = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sockscope"))
            .args(["import-har"])
            .arg(&har)
            .arg("--out")
            .arg(&target)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // How long a whole import takes, and what it writes.
    old.save(&target).unwrap();
    let started = std::time::Instant::now();
    assert!(import().wait().unwrap().success());
    let full = started.elapsed();
    let new = SessionFile::load(&target).unwrap();
    assert_eq!(new.tabs[0].timeline.len(), 3002);
    let mut saw_old = 0;
    for step in 0..12u32 {
        old.save(&target).unwrap();
        let mut child = import();
        std::thread::sleep(full * step / 10);
        let _ = child.kill();
        let _ = child.wait();
        let on_disk = SessionFile::load(&target)
            .unwrap_or_else(|e| panic!("after a kill at step {step}: the file is damaged: {e}"));
        if on_disk == old {
            saw_old += 1;
        } else {
            assert_eq!(
                on_disk, new,
                "step {step}: neither the old file nor the new one"
            );
        }
    }
    assert!(saw_old > 0, "some kills came before the rename");
}

#[test]
fn a_failed_save_leaves_the_old_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keep.session.ron");
    let old = small_session();
    old.save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    // A directory where the file should go: the temporary file is written, the rename fails,
    // the temporary file is removed.
    let blocked = dir.path().join("blocked.session.ron");
    std::fs::create_dir(&blocked).unwrap();
    std::fs::write(blocked.join("inside"), b"x").unwrap();
    let error = SessionFile::new(Vec::new()).save(&blocked).unwrap_err();
    assert!(matches!(error, FileError::Io { .. }), "{error}");
    assert!(error.to_string().contains("blocked.session.ron"), "{error}");
    // The parent is a file: nothing can be created.
    let error = SessionFile::new(Vec::new())
        .save(&path.join("child.session.ron"))
        .unwrap_err();
    assert!(error.to_string().contains("child.session.ron"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(SessionFile::load(&path).unwrap(), old);
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["blocked.session.ron", "keep.session.ron"]);
}

#[test]
fn a_broken_file_gives_its_path_line_and_column() {
    let path = saved_sessions().join("echo.session.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let (line_index, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim() == "seq: 3,")
        .expect("the echo example has a seq: 3");
    let broken = text.replacen("seq: 3,", "seq: 3 4,", 1);
    let error = SessionFile::parse(Path::new("broken.session.ron"), &broken).unwrap_err();
    let (l, c) = error.line_column().expect("a parse error has a position");
    assert_eq!(l, line_index + 1, "{error}");
    let value_column = line.find('3').unwrap() + 1;
    assert!(
        (value_column..=value_column + 3).contains(&c),
        "column {c} near {value_column}: {error}"
    );
    assert!(
        error
            .to_string()
            .starts_with(&format!("broken.session.ron:{l}:{c}: ")),
        "{error}"
    );
    // A missing file, an unknown version, a bad payload: each names the file.
    let missing = SessionFile::load(Path::new("/no/such/x.session.ron")).unwrap_err();
    assert!(missing.to_string().starts_with("/no/such/x.session.ron: "));
    let future = text.replacen("version: 1", "version: 2", 1);
    let error = SessionFile::parse(Path::new("v2.ron"), &future).unwrap_err();
    assert_eq!(
        error.to_string(),
        "v2.ron: session file version 2 is not supported (expected 1)"
    );
    let bad_b64 = text.replacen("Binary(\"", "Binary(\"*", 1);
    let error = SessionFile::parse(Path::new("b.ron"), &bad_b64).unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("b.ron: tab 1 \"echo\", event "),
        "{message}"
    );
    assert!(message.contains("base64"), "{message}");
    let bad_category = text.replacen("initiator: \"client\"", "initiator: \"aliens\"", 1);
    let error = SessionFile::parse(Path::new("c.ron"), &bad_category).unwrap_err();
    assert!(error.to_string().contains("\"aliens\""), "{error}");
    // Garbage of every sort is an error, never a panic.
    for cut in (0..text.len()).step_by(97) {
        if text.is_char_boundary(cut) {
            let _ = SessionFile::parse(Path::new("cut.ron"), &text[..cut]);
        }
    }
}

#[test]
fn every_example_session_loads_and_targets_the_demo_server() {
    let mut checked = 0;
    for entry in std::fs::read_dir(saved_sessions()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".session.ron") {
            continue;
        }
        let file = SessionFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!file.tabs.is_empty(), "{name} has tabs");
        for (index, tab) in file.tabs.iter().enumerate() {
            assert!(
                tab.setup.config.url.starts_with("ws://127.0.0.1:9001/"),
                "{name}: {}",
                tab.setup.config.url
            );
            if tab.timeline.is_empty() && !tab.setup.script.is_empty() {
                // A session that tests itself (issue 22) records nothing: its script runs.
                continue;
            }
            let entries = tab.entries(&tab.label(index)).unwrap();
            assert!(
                matches!(
                    entries.last().map(|e| &e.event.kind),
                    Some(EventKind::Close(_))
                ),
                "{name} ends with a close"
            );
        }
        checked += 1;
    }
    assert!(checked >= 3, "echo, ticker and close-codes examples");
}

#[test]
fn old_style_timelines_need_only_the_required_fields() {
    let text = r#"(
        version: 1,
        tabs: [(
            name: "minimal",
            timeline: [
                (attempt: 1, seq: 0, offset_us: 0, wall_time_us: 0,
                 kind: Open(status: 101)),
                (attempt: 1, seq: 1, offset_us: 5, wall_time_us: 5,
                 kind: Close(code: 1005, was_clean: true, initiator: "server")),
            ],
        )],
    )"#;
    let file = SessionFile::parse(Path::new("m.ron"), text).unwrap();
    let entries = file.tabs[0].entries("m").unwrap();
    assert_eq!(entries[1].event.offset, Duration::from_micros(5));
    assert_eq!(file.tabs[0].setup.config, ConnectionConfig::default());
}

/// Replaces, inserts or deletes a few characters at random positions.
fn mutate(text: &str, rng: &mut fastrand::Rng) -> String {
    const PIECES: &[&str] = &[
        "\"",
        "(",
        ")",
        "[",
        "]",
        ",",
        ":",
        "9",
        "-1",
        "99999999999999999999",
        "x",
        "\\",
        "r#",
        "",
        "Some(",
        "None",
        "é",
        "\u{0}",
    ];
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..rng.usize(1..4) {
        let at = rng.usize(0..=chars.len());
        let end = (at + rng.usize(0..3)).min(chars.len());
        let piece = PIECES[rng.usize(0..PIECES.len())];
        chars.splice(at..end, piece.chars());
    }
    chars.into_iter().collect()
}

#[test]
fn mutated_session_files_give_errors_never_panics() {
    let mut rng = fastrand::Rng::with_seed(7);
    for name in [
        "echo.session.ron",
        "ticker.session.ron",
        "close-codes.session.ron",
    ] {
        let text = std::fs::read_to_string(saved_sessions().join(name)).unwrap();
        for _ in 0..300 {
            let mutated = mutate(&text, &mut rng);
            if let Err(error) = SessionFile::parse(Path::new(name), &mutated) {
                assert!(error.to_string().starts_with(name), "{error}");
            }
        }
    }
    let har = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chrome.har"),
    )
    .unwrap();
    for _ in 0..500 {
        let mutated = mutate(&har, &mut rng);
        if let Err(error) = sockscope::model::har::import(Path::new("c.har"), &mutated) {
            assert!(error.to_string().starts_with("c.har"), "{error}");
        }
    }
}

#[tokio::test]
async fn payloads_not_kept_stay_marked_with_their_size_through_a_save() {
    let server = demo().await;
    // Uncompressed: a compressed message's wire bytes would count in the budget too.
    let mut config = ConnectionConfig::new(server.url("/flood?n=40&size=1000"));
    config.deflate = sockscope::engine::DeflateSetting::Off;
    let mut handle = support::connect_with(&config);
    let events = to_close(&mut handle).await;
    // Strings count in the budget too: leave room for the URL and the handshake's headers.
    let strings: usize = events
        .iter()
        .take_while(|e| !matches!(e.kind, EventKind::Message { .. }))
        .map(|e| e.kind.heap_bytes())
        .sum();
    let mut timeline = sockscope::model::timeline::Timeline::default();
    timeline.set_memory_budget(10_000 + strings);
    for event in events {
        timeline.push(1, event);
    }
    assert_eq!(timeline.not_kept().messages, 30, "10 of 40 fit in 10,000 B");
    let config = ConnectionConfig::new("ws://127.0.0.1:1/flood");
    let entries = timeline.to_entries();
    let mut recording = TabRecording::new("flood", config.clone(), entries.clone());
    recording.not_kept = timeline.not_kept_rows().to_vec();
    let mut tab = recording.to_session();
    tab.setup.memory_budget_mib = Some(3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flood.ron");
    SessionFile::new(vec![tab]).save(&path).expect("saved");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("not_kept: Some(1000)").count(), 30, "{text}");
    let loaded = SessionFile::load(&path).expect("loads");
    let restored = loaded.tabs[0].to_timeline("tab 1").expect("restores");
    assert_eq!(
        restored.memory_budget(),
        3 << 20,
        "the budget is saved with the tab"
    );
    assert_eq!(restored.not_kept(), timeline.not_kept());
    assert_eq!(
        restored.not_kept_len(2 + 10),
        Some(1000),
        "the first one not kept"
    );
    assert_eq!(restored.not_kept_len(2 + 9), None, "the last one kept");
}

#[test]
fn a_proxy_recordings_legs_come_back_in_the_timeline_and_a_file_without_legs_has_none() {
    let event = |seq: u64, leg, dir| RecordedEvent {
        attempt: 1,
        seq,
        offset_us: seq * 10,
        wall_time_us: 1_700_000_000_000_000 + seq as i64 * 10,
        kind: RecordedKind::Message {
            dir,
            payload: RecordedPayload::Text("hi".into()),
        },
        not_kept: None,
        leg,
    };
    use sockscope::engine::{Direction, Leg};
    let tab = SessionTab {
        name: "conn 1".into(),
        setup: TabSetup::new("ws://127.0.0.1:9001/echo"),
        timeline: vec![
            event(0, Some(Leg::Client), Direction::In),
            event(1, Some(Leg::Upstream), Direction::Out),
        ],
    };
    let text = SessionFile::new(vec![tab]).to_ron().unwrap();
    let back = SessionFile::parse(std::path::Path::new("p.ron"), &text).unwrap();
    let timeline = back.tabs[0].to_timeline("tab 1").unwrap();
    let legs: Vec<_> = timeline.iter().map(|e| e.leg).collect();
    assert_eq!(legs, [Some(Leg::Client), Some(Leg::Upstream)]);
    let old = small_session().tabs[0].to_timeline("tab 1").unwrap();
    assert!(!old.has_legs());
}

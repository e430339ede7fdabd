//! The binary's `replay`, `connect --record`, `import-har` and `export-har`, run as a script
//! would: JSON lines on stdout, exit statuses, one-line errors on stderr.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::cli::{Run, sockscope, sockscope_with_env};
use support::demo;

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("saved_sessions")
        .join(name)
        .display()
        .to_string()
}

fn summary_of(run: &Run) -> &Value {
    let last = run.lines.last().expect("output");
    assert_eq!(last["event"], "replay-summary", "{last}");
    last
}

fn counts(summary: &Value) -> [u64; 5] {
    ["expected", "matched", "different", "missing", "unexpected"]
        .map(|key| summary[key].as_u64().unwrap_or(u64::MAX))
}

fn path_str(path: &Path) -> String {
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaying_the_echo_example_prints_events_then_a_summary_and_exits_0() {
    let server = demo().await;
    let url = server.url("/echo");
    let run = sockscope(&[
        "replay",
        &example("echo.session.ron"),
        "--url",
        &url,
        "--fast",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    // The events, exactly as `connect` prints them.
    assert_eq!(run.lines[0]["event"], "connecting");
    assert_eq!(run.lines[0]["url"], url);
    assert_eq!(run.lines[1]["event"], "open");
    let sent: Vec<&Value> = run
        .lines
        .iter()
        .filter(|l| l["event"] == "message" && l["dir"] == "out")
        .collect();
    assert_eq!(sent.len(), 4);
    assert_eq!(sent[0]["text"], "hello");
    assert_eq!(sent[2]["hex"], "000102feff");
    let close = &run.lines[run.lines.len() - 2];
    assert_eq!(close["event"], "close");
    assert_eq!(
        (close["code"].as_u64(), close["reason"].as_str()),
        (Some(1000), Some("bye"))
    );
    let summary = summary_of(&run);
    assert_eq!(counts(summary), [4, 4, 0, 0, 0]);
    assert_eq!(summary["close_matches"], true);
    assert_eq!(summary["differences"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differences_exit_3_and_are_listed() {
    let server = demo().await;
    let ticker = example("ticker.session.ron");
    let url = server.url("/json?count=2");
    let run = sockscope(&["replay", &ticker, "--url", &url, "--fast"]).await;
    assert_eq!(run.status, 3, "stderr: {}", run.stderr);
    let summary = summary_of(&run);
    assert_eq!(counts(summary), [3, 0, 2, 1, 0]);
    assert_eq!(summary["close_matches"], true);
    let differences = summary["differences"].as_array().unwrap();
    assert_eq!(differences[0]["status"], "different");
    let diff = differences[0]["diff"][0].as_str().unwrap();
    assert!(diff.starts_with("$.timestamp: expected \""), "{diff}");
    assert_eq!(differences[2]["status"], "missing");
    assert!(
        differences[2]["expected"]["text"]
            .as_str()
            .unwrap()
            .contains("\"counter\":3")
    );
    // Ignoring the timestamps, only the missing third tick remains.
    let run = sockscope(&[
        "replay",
        &ticker,
        "--url",
        &url,
        "--fast",
        "--ignore",
        "$.timestamp",
    ])
    .await;
    assert_eq!(run.status, 3);
    assert_eq!(counts(summary_of(&run)), [3, 2, 0, 1, 0]);
    // And against the right server, everything matches.
    let url = server.url("/json?count=3");
    let run = sockscope(&[
        "replay",
        &ticker,
        "--url",
        &url,
        "--speed",
        "10",
        "--ignore",
        "$.timestamp",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    // A different close is a difference too.
    let closing = example("close-codes.session.ron");
    let url = server.url("/close/4003?reason=bye");
    let run = sockscope(&["replay", &closing, "--url", &url]).await;
    assert_eq!(run.status, 3);
    let summary = summary_of(&run);
    assert_eq!(summary["close_matches"], false);
    assert_eq!(summary["close"]["expected"]["code"], 4001);
    assert_eq!(summary["close"]["actual"]["code"], 4003);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_files_exit_2_with_their_position_and_failed_connections_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(example("echo.session.ron")).unwrap();
    let broken = dir.path().join("broken.session.ron");
    let line = text.lines().position(|l| l.trim() == "seq: 3,").unwrap() + 1;
    std::fs::write(&broken, text.replacen("seq: 3,", "seq: 3 4,", 1)).unwrap();
    let run = sockscope(&["replay", &path_str(&broken)]).await;
    assert_eq!(run.status, 2);
    assert!(run.lines.is_empty());
    let prefix = format!("sockscope: {}:{line}:", broken.display());
    assert!(run.stderr.starts_with(&prefix), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);

    let run = sockscope(&["replay", "/no/such/file.session.ron"]).await;
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("/no/such/file.session.ron"),
        "{}",
        run.stderr
    );
    for bad in [
        vec!["--tab", "7"],
        vec!["--ignore", "$.a["],
        vec!["--speed", "-1"],
        vec!["--url", "ftp://x"],
    ] {
        let mut args = vec!["replay".to_owned(), example("echo.session.ron")];
        args.extend(bad.iter().map(|s| (*s).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = sockscope(&args).await;
        assert_eq!(run.status, 2, "{bad:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{bad:?}: {}", run.stderr);
    }

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = format!("ws://{}/echo", listener.local_addr().unwrap());
    drop(listener);
    let run = sockscope(&["replay", &example("echo.session.ron"), "--url", &refused]).await;
    assert_eq!(run.status, 1, "{}", run.stderr);
    let summary = summary_of(&run);
    assert_eq!(summary["opened"], false);
    assert_eq!(counts(summary), [4, 0, 0, 4, 0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_run_replays_as_a_regression_test() {
    let server = demo().await;
    let dir = tempfile::tempdir().unwrap();
    let record = path_str(&dir.path().join("run.session.ron"));
    let url = server.url("/echo");
    let run = sockscope(&[
        "connect",
        &url,
        "--send",
        r#"{"n": 1, "at": "{{now}}"}"#,
        "--send-hex",
        "cafe",
        "-H",
        "Authorization: Bearer hunter2",
        "--secret",
        "authorization=SOCKSCOPE_TEST_TOKEN",
        "--wait",
        "200",
        "--record",
        &record,
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let saved = std::fs::read_to_string(&record).unwrap();
    assert!(!saved.contains("hunter2"), "{saved}");
    assert!(saved.contains("{{env.SOCKSCOPE_TEST_TOKEN}}"), "{saved}");

    // A session file reads no environment variable the user did not allow for it.
    let token = [("SOCKSCOPE_TEST_TOKEN", "Bearer hunter2")];
    let run = sockscope_with_env(&["replay", &record, "--fast"], &token).await;
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("pass --allow-env SOCKSCOPE_TEST_TOKEN"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);

    // Allowed, the secret comes from the environment at replay time.
    let allowed = [
        "replay",
        &record,
        "--fast",
        "--allow-env",
        "SOCKSCOPE_TEST_TOKEN",
    ];
    let run = sockscope_with_env(&allowed, &token).await;
    let stdout: Vec<String> = run.lines.iter().map(Value::to_string).collect();
    assert_eq!(run.status, 0, "{stdout:?}");
    assert_eq!(counts(run.lines.last().unwrap()), [2, 2, 0, 0, 0]);
    // Sent, but never printed.
    assert_eq!(
        run.lines[1]["request_headers"]["authorization"],
        "[redacted]"
    );
    assert!(!stdout.concat().contains("hunter2"), "{stdout:?}");
    // Without it, the replay cannot start: a usage error naming the variable.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(allowed)
        .env_remove("SOCKSCOPE_TEST_TOKEN")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("SOCKSCOPE_TEST_TOKEN"));

    let run = sockscope(&["connect", &url, "--record", "/no/such/dir/x.ron"]).await;
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--record"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn har_export_and_import_commands() {
    let server = demo().await;
    let dir = tempfile::tempdir().unwrap();
    let har_path: PathBuf = dir.path().join("echo.har");
    let run = sockscope(&[
        "export-har",
        &example("echo.session.ron"),
        "--out",
        &path_str(&har_path),
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.lines[0]["event"], "export-har");
    assert_eq!(run.lines[0]["entries"], 1);
    assert_eq!(run.lines[0]["messages"], 8);
    let har: Value = serde_json::from_str(&std::fs::read_to_string(&har_path).unwrap()).unwrap();
    assert_eq!(
        har["log"]["entries"][0]["_webSocketMessages"][0]["data"],
        "hello"
    );

    let session = dir.path().join("imported.session.ron");
    let run = sockscope(&[
        "import-har",
        &path_str(&har_path),
        "--out",
        &path_str(&session),
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.lines[0]["tabs"][0]["messages"], 8);
    let url = server.url("/echo");
    let run = sockscope(&["replay", &path_str(&session), "--url", &url, "--fast"]).await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let summary = summary_of(&run);
    assert_eq!(counts(summary), [4, 4, 0, 0, 0]);
    assert_eq!(summary["close_matches"], Value::Null, "a HAR has no close");

    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/chrome.har");
    let chrome = dir.path().join("chrome.session.ron");
    let run = sockscope(&[
        "import-har",
        &path_str(&fixture),
        "--out",
        &path_str(&chrome),
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = sockscope(&[
        "export-har",
        &path_str(&chrome),
        "--tab",
        "1",
        "--out",
        &path_str(&dir.path().join("again.har")),
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);

    let broken = dir.path().join("broken.har");
    std::fs::write(&broken, "{\"log\": {\n  \"entries\": [,]\n}}").unwrap();
    let run = sockscope(&[
        "import-har",
        &path_str(&broken),
        "--out",
        &path_str(&chrome),
    ])
    .await;
    assert_eq!(run.status, 2);
    assert!(
        run.stderr
            .starts_with(&format!("sockscope: {}:2:", broken.display())),
        "{}",
        run.stderr
    );
    let run = sockscope(&[
        "export-har",
        "/no/such.session.ron",
        "--out",
        &path_str(&har_path),
    ])
    .await;
    assert_eq!(run.status, 2);
}

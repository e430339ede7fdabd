//! The `sockscope` binary as scripts use it: JSON lines on stdout, exit statuses, one-line
//! usage errors on stderr. The demo server runs in the test process on a free port.

mod support;

use serde_json::Value;
use std::time::Duration;

use support::cli::{Run, events, messages, sockscope, sockscope_fed};
use support::demo;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_echo_prints_every_event_in_order_and_exits_0() {
    let server = demo().await;
    let url = server.url("/echo");
    let run = sockscope(&[
        "connect",
        &url,
        "--send",
        "hello",
        "--send-hex",
        "0a 0B 0x0c",
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let first = &run.lines[0];
    assert_eq!(
        (first["seq"].as_u64(), first["event"].as_str()),
        (Some(0), Some("connecting"))
    );
    assert_eq!(first["url"], url);
    assert_eq!(run.lines[1]["event"], "open");
    assert_eq!(run.lines[1]["status"], 101);
    assert_eq!(
        run.lines[1]["headers"]["upgrade"]
            .as_str()
            .map(str::to_lowercase),
        Some("websocket".into())
    );
    let out = messages(&run, "out");
    assert_eq!(
        (
            out[0]["type"].as_str(),
            out[0]["text"].as_str(),
            out[0]["len"].as_u64()
        ),
        (Some("text"), Some("hello"), Some(5))
    );
    assert_eq!(
        (
            out[1]["type"].as_str(),
            out[1]["hex"].as_str(),
            out[1]["len"].as_u64()
        ),
        (Some("binary"), Some("0a0b0c"), Some(3))
    );
    let incoming = messages(&run, "in");
    assert_eq!(incoming[0]["text"], "hello");
    assert_eq!(incoming[1]["hex"], "0a0b0c");
    let close = run.lines.last().unwrap();
    assert_eq!(close["event"], "close");
    assert_eq!(
        (
            close["code"].as_u64(),
            close["was_clean"].as_bool(),
            close["initiator"].as_str()
        ),
        (Some(1000), Some(true), Some("client"))
    );
    for (i, line) in run.lines.iter().enumerate() {
        assert_eq!(line["seq"].as_u64(), Some(i as u64));
        assert!(line["t_ms"].as_f64().is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_keep_command_line_order_across_kinds() {
    let server = demo().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("payload.bin");
    std::fs::write(&file, [1u8, 2, 3]).unwrap();
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--send-base64",
        "aGk=",
        "--send",
        "two",
        "--send-file",
        file.to_str().unwrap(),
        "--ping",
        "--ping",
        "ab",
        "--send-hex",
        "ff",
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let out: Vec<String> = run
        .lines
        .iter()
        .filter(|l| l["dir"] == "out" && l["event"] != "pong")
        .map(|l| {
            format!(
                "{}:{}",
                l["event"].as_str().unwrap(),
                l["text"].as_str().or(l["hex"].as_str()).unwrap()
            )
        })
        .collect();
    assert_eq!(
        out,
        [
            "message:6869",
            "message:two",
            "message:010203",
            "ping:",
            "ping:ab",
            "message:ff"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_and_subprotocols_reach_the_server() {
    let server = demo().await;
    let run = sockscope(&[
        "connect",
        &server.url("/headers"),
        "-H",
        "X-Trace: t-1",
        "-p",
        "chat.v2",
        "--wait",
        "300",
    ])
    .await;
    let seen: Value =
        serde_json::from_str(messages(&run, "in")[0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(seen["headers"]["x-trace"], "t-1");
    assert_eq!(seen["subprotocols"], serde_json::json!(["chat.v2"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_close_is_reported_and_clean_exits_0() {
    let server = demo().await;
    let run = sockscope(&[
        "connect",
        &server.url("/close/4001?reason=bye"),
        "--wait",
        "inf",
    ])
    .await;
    assert_eq!(run.status, 0);
    let close = run.lines.last().unwrap();
    assert_eq!(
        (
            close["code"].as_u64(),
            close["reason"].as_str(),
            close["initiator"].as_str()
        ),
        (Some(4001), Some("bye"), Some("server"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_drop_exits_1_with_1006() {
    let server = demo().await;
    let run = sockscope(&["connect", &server.url("/drop"), "--wait", "inf"]).await;
    assert_eq!(run.status, 1);
    let close = run.lines.last().unwrap();
    assert_eq!(
        (
            close["code"].as_u64(),
            close["was_clean"].as_bool(),
            close["initiator"].as_str()
        ),
        (Some(1006), Some(false), Some("none"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_handshake_prints_status_and_body_and_exits_1() {
    let server = demo().await;
    let run = sockscope(&["connect", &server.url("/nope")]).await;
    assert_eq!(run.status, 1);
    assert_eq!(events(&run), ["connecting", "error", "close"]);
    let error = &run.lines[1];
    assert_eq!(
        (error["category"].as_str(), error["status"].as_u64()),
        (Some("http"), Some(404))
    );
    assert!(error["message"].as_str().unwrap().contains("404"));
    assert!(error["body"].as_str().unwrap().contains("/nope"));
    assert_eq!(run.lines[2]["code"], 1006);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_port_exits_1_with_category_refused() {
    let port = support::closed_port();
    let run = sockscope(&["connect", &format!("ws://127.0.0.1:{port}/")]).await;
    assert_eq!(run.status, 1);
    assert_eq!(run.lines[1]["category"], "refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2_with_one_line_naming_the_argument() {
    let server = demo().await;
    let url = server.url("/echo");
    let cases: &[(&[&str], &str)] = &[
        (&["connect", "ftp://x"], "scheme"),
        (&["connect", "not a url"], "bad URL"),
        (
            &["connect", &url, "--send-hex", "0a zz"],
            "--send-hex \"0a zz\": invalid hex digit 'z' at position 3",
        ),
        (
            &["connect", &url, "--send-hex", "abc"],
            "odd number of hex digits",
        ),
        (&["connect", &url, "--send-base64", "a*"], "--send-base64"),
        (
            &["connect", &url, "--close", "1005"],
            "close code 1005 must not be sent",
        ),
        (&["connect", &url, "--close", "x"], "--close"),
        (
            &["connect", &url, "--send-file", "/no/such/file"],
            "/no/such/file",
        ),
        (&["connect", &url, "-H", "NoColon"], "--header"),
        (&["connect", &url, "--wait", "later"], "--wait"),
        (
            &["connect", &url, "--max-message-size", "0"],
            "the message size limit must be at least 1 byte (it is 0)",
        ),
        (&["connect", &url, "--bogus"], "--bogus"),
    ];
    for (args, expected) in cases {
        let run = sockscope(args).await;
        assert_eq!(run.status, 2, "{args:?}: {}", run.stderr);
        assert!(run.lines.is_empty(), "{args:?}: nothing on stdout");
        assert!(
            run.stderr.contains(expected),
            "{args:?}: {:?} should mention {expected:?}",
            run.stderr
        );
        if args[2..].first() != Some(&"--bogus") {
            assert_eq!(
                run.stderr.trim_end().lines().count(),
                1,
                "{args:?}: one line: {:?}",
                run.stderr
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_replaces_message_lines() {
    let server = demo().await;
    let run = sockscope(&[
        "connect",
        &server.url("/flood?n=5000&size=100"),
        "--wait",
        "inf",
        "--summary",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(events(&run), ["connecting", "open", "close", "summary"]);
    let summary = &run.lines[3];
    assert_eq!(
        (
            summary["messages_in"].as_u64(),
            summary["bytes_in"].as_u64()
        ),
        (Some(5000), Some(500_000))
    );
    assert_eq!(summary["messages_out"], 0);
    assert!(summary["duration_ms"].as_f64().unwrap() > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_sends_back_what_arrives() {
    let server = demo().await;
    let run = sockscope(&[
        "connect",
        &server.url("/json?count=3"),
        "--echo",
        "--wait",
        "inf",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let incoming: Vec<&str> = messages(&run, "in")
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    let outgoing: Vec<&str> = messages(&run, "out")
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(incoming.len(), 3);
    // The server closes right behind its third message, so that echo may be refused.
    assert!(outgoing.len() >= 2, "{outgoing:?}");
    assert_eq!(incoming[..outgoing.len()], outgoing[..]);
    let close = run.lines.last().unwrap();
    assert_eq!(
        (close["code"].as_u64(), close["reason"].as_str()),
        (Some(1000), Some("done"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_code_and_reason_are_sent() {
    let server = demo().await;
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--close",
        "4321:see you",
        "--wait",
        "0",
    ])
    .await;
    let close = run.lines.last().unwrap();
    assert_eq!(
        (
            close["code"].as_u64(),
            close["reason"].as_str(),
            close["was_clean"].as_bool()
        ),
        (Some(4321), Some("see you"), Some(true))
    );
    assert_eq!(close["code_name"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_documents_the_options() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["connect", "--help"])
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for option in [
        "--header",
        "--subprotocol",
        "--send-hex",
        "--send-base64",
        "--send-file",
        "--ping",
        "--close",
        "--wait",
        "--timeout",
        "--close-timeout",
        "--insecure",
        "--ca",
        "--max-message-size",
        "--echo",
        "--summary",
        "Exit status",
    ] {
        assert!(help.contains(option), "connect --help mentions {option}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_loop_succeeds_once_the_server_comes_up() {
    let port = support::closed_port();
    let url = format!("ws://127.0.0.1:{port}/echo");
    let starter = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        sockscope::demo_server::start(format!("127.0.0.1:{port}").parse().unwrap())
            .await
            .expect("the port is still free")
    });
    let run = sockscope(&[
        "connect",
        &url,
        "--reconnect",
        "20",
        "--reconnect-delay",
        "100",
        "--send",
        "hi",
        "--wait",
        "200",
    ])
    .await;
    let _server = starter.await.unwrap();
    assert_eq!(
        run.status, 0,
        "the last attempt ends cleanly: {}",
        run.stderr
    );
    let reconnecting: Vec<&Value> = run
        .lines
        .iter()
        .filter(|l| l["event"] == "reconnecting")
        .collect();
    assert!(!reconnecting.is_empty(), "at least one reconnect");
    assert_eq!(reconnecting[0]["attempt"], 2);
    assert_eq!(reconnecting[0]["delay_ms"], 100);
    let first_close = run.lines.iter().find(|l| l["event"] == "close").unwrap();
    assert_eq!(
        (
            first_close["code"].as_u64(),
            first_close["attempt"].as_u64()
        ),
        (Some(1006), Some(1))
    );
    let last = run.lines.last().unwrap();
    assert_eq!(
        (last["event"].as_str(), last["code"].as_u64()),
        (Some("close"), Some(1000))
    );
    let last_attempt = last["attempt"].as_u64().unwrap();
    assert_eq!(
        last_attempt,
        reconnecting.len() as u64 + 1,
        "every attempt is numbered"
    );
    let echoed = messages(&run, "in");
    assert_eq!(echoed.len(), 1);
    assert_eq!(echoed[0]["attempt"].as_u64(), Some(last_attempt));
    for (i, line) in run
        .lines
        .iter()
        .filter(|l| l["event"] != "reconnecting")
        .enumerate()
    {
        assert_eq!(
            line["seq"].as_u64(),
            Some(i as u64),
            "seq runs across attempts"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_gives_up_after_n_attempts() {
    let port = support::closed_port();
    let run = sockscope(&[
        "connect",
        &format!("ws://127.0.0.1:{port}/"),
        "--reconnect",
        "2",
        "--reconnect-delay",
        "10",
        "--backoff",
    ])
    .await;
    assert_eq!(run.status, 1);
    let closes = run.lines.iter().filter(|l| l["event"] == "close").count();
    assert_eq!(closes, 3, "the first attempt and two reconnects");
    assert_eq!(run.lines.last().unwrap()["attempt"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_pongs_carry_their_round_trip_time() {
    let server = demo().await;
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--keepalive",
        "50",
        "--wait",
        "300",
        "--ping",
        "0102",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let pongs: Vec<&Value> = run
        .lines
        .iter()
        .filter(|l| l["event"] == "pong" && l["dir"] == "in")
        .collect();
    assert!(
        pongs.len() >= 2,
        "the manual ping and keepalive pings are answered: {pongs:?}"
    );
    assert!(
        pongs
            .iter()
            .all(|p| p["rtt_ms"].as_f64().is_some_and(|ms| ms >= 0.0))
    );
    assert!(pongs.iter().any(|p| p["hex"] == "0102"));
}

/// The texts of the `message` lines going `dir`.
fn texts<'a>(run: &'a Run, dir: &str) -> Vec<&'a str> {
    messages(run, dir)
        .iter()
        .map(|m| m["text"].as_str().expect("a text message"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_lines_are_sent_as_text_messages_after_the_other_sends() {
    let server = demo().await;
    let input: &[u8] = b"one\ntwo {{counter}}\r\n\nlast, no newline";
    let run = sockscope_fed(
        &[
            "connect",
            &server.url("/echo"),
            "--send",
            "first",
            "--stdin",
            "--wait",
            "300",
        ],
        &[(Duration::ZERO, input)],
    )
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let sent = ["first", "one", "two {{counter}}", "", "last, no newline"];
    assert_eq!(
        texts(&run, "out"),
        sent,
        "in order, line ends off, nothing expanded"
    );
    assert_eq!(texts(&run, "in"), sent, "every line echoed");
    let close = run.lines.last().expect("a close line");
    assert_eq!(
        (close["event"].as_str(), close["code"].as_u64()),
        (Some("close"), Some(1000))
    );
    assert_eq!(close["was_clean"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdin_keeps_the_connection_open_until_its_end_then_waits() {
    let server = demo().await;
    // --wait 100 would have closed long before the second line: input holds it open.
    let run = sockscope_fed(
        &["connect", &server.url("/echo"), "--stdin", "--wait", "100"],
        &[
            (Duration::ZERO, b"early\n"),
            (Duration::from_millis(800), b"late\n"),
        ],
    )
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(texts(&run, "in"), ["early", "late"]);
    assert_eq!(events(&run).iter().filter(|e| **e == "open").count(), 1);
    assert_eq!(
        run.lines.last().expect("a close line")["initiator"],
        "client"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stdin_line_that_is_not_utf8_is_not_sent_and_exits_1() {
    let server = demo().await;
    let run = sockscope_fed(
        &["connect", &server.url("/echo"), "--stdin", "--wait", "200"],
        &[(Duration::ZERO, b"fine\n\xff\xfe binary\nalso fine\n")],
    )
    .await;
    assert_eq!(run.status, 1, "a line was not sent");
    assert_eq!(texts(&run, "out"), ["fine", "also fine"]);
    assert!(
        run.stderr.contains("--stdin line 2 is not UTF-8: not sent"),
        "{}",
        run.stderr
    );
    assert_eq!(run.lines.last().expect("a close line")["was_clean"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stdin_line_over_the_message_size_limit_is_skipped_not_held_and_exits_1() {
    let server = demo().await;
    let run = sockscope_fed(
        &[
            "connect",
            &server.url("/echo"),
            "--stdin",
            "--max-message-size",
            "8",
            "--wait",
            "200",
        ],
        &[(Duration::ZERO, b"fine\nmuch too long a line\r\nok too\n")],
    )
    .await;
    assert_eq!(run.status, 1, "a line was not sent");
    assert_eq!(texts(&run, "out"), ["fine", "ok too"]);
    assert!(
        run.stderr
            .contains("--stdin line 2 is 20 bytes, over the message size limit of 8: not sent"),
        "{}",
        run.stderr
    );
    assert_eq!(run.lines.last().expect("a close line")["was_clean"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_connection_ended_exits_while_stdin_is_still_open() {
    let server = demo().await;
    // The server closes at once; nobody ever closes our stdin (a terminal left alone).
    let mut child = support::cli::spawn_piped(&["connect", &server.url("/close/4000"), "--stdin"]);
    let _stdin_held_open = child.stdin.take();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("the binary exits with its connection, not with its input")
        .expect("the binary runs");
    assert_eq!(status.code(), Some(0), "a clean close by the server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_copied_as_a_command_line_runs_in_a_shell_and_connects_as_the_tab_would() {
    use sockscope::cli::command_line::{CommandKind, command_line};
    use sockscope::engine::{ConnectionConfig, HeaderEntry};
    use sockscope::model::session::SecretHeader;

    let server = demo().await;
    let mut config = ConnectionConfig::new(format!("{}?room={{{{room}}}}", server.url("/headers")));
    let awkward = r#"it's "quoted" $HOME `date` \ ! {x}"#;
    config.headers = vec![
        HeaderEntry::new("X-Awkward", awkward),
        HeaderEntry::new("X-Room", "{{room}}"),
        HeaderEntry::new("Authorization", "Bearer never-copied"),
    ];
    config.subprotocols = vec!["chat.v2".into()];
    let user = [("room".to_owned(), "lobby-1".to_owned())];
    let secrets = [SecretHeader::new("Authorization", "SOCKSCOPE_TEST_TOKEN")];
    let line = command_line(CommandKind::Connect, &config, &user, &secrets).expect("a command");
    assert!(!line.contains("never-copied"));
    // The tab's --wait inf would listen for ever: this run stops 300 ms after open.
    let line = format!(
        "{} --wait 300",
        line.strip_suffix(" --wait inf").expect("--wait inf")
    );
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_sockscope"));
    let path = format!(
        "{}:{}",
        binary.parent().expect("a folder").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = tokio::process::Command::new("sh")
        .args(["-c", &line])
        .env("PATH", path)
        .env("SOCKSCOPE_TEST_TOKEN", "Bearer from-the-environment")
        .output()
        .await
        .expect("sh runs");
    let run = support::cli::parse(output);
    assert_eq!(run.status, 0, "{line}\n{}", run.stderr);
    let seen: Value = serde_json::from_str(messages(&run, "in")[0]["text"].as_str().unwrap())
        .expect("the server describes the request");
    assert_eq!(seen["headers"]["x-awkward"], awkward, "{line}");
    assert_eq!(seen["headers"]["x-room"], "lobby-1");
    // The value came from the environment, and the output never shows it: the echo holds
    // the marker where it was, and its `len` (the size on the wire) counts the real value.
    assert_eq!(seen["headers"]["authorization"], "[redacted]");
    let echo = &messages(&run, "in")[0];
    let shown = echo["text"].as_str().unwrap_or_default();
    assert_eq!(
        echo["len"],
        shown.len() - "[redacted]".len() + "Bearer from-the-environment".len()
    );
    assert_eq!(seen["subprotocols"], serde_json::json!(["chat.v2"]));
    assert_eq!(seen["query"], "room=lobby-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backoff_max_caps_the_growing_delay() {
    let port = support::closed_port();
    let run = sockscope(&[
        "connect",
        &format!("ws://127.0.0.1:{port}/"),
        "--reconnect",
        "5",
        "--reconnect-delay",
        "40",
        "--backoff",
        "--backoff-max",
        "60",
    ])
    .await;
    let delays: Vec<u64> = run
        .lines
        .iter()
        .filter(|l| l["event"] == "reconnecting")
        .map(|l| l["delay_ms"].as_u64().expect("a delay"))
        .collect();
    assert_eq!(delays.len(), 5, "{}", run.stderr);
    // Equal jitter: each delay is drawn from the upper half of 40, 60, 60, ... ms.
    assert!(delays[0] >= 20 && delays[0] <= 40, "{delays:?}");
    assert!(
        delays[1..].iter().all(|d| (30..=60).contains(d)),
        "{delays:?}"
    );
}

//! Secrets never leave through the command line's output, `--record` files, HAR exports or
//! error text, whatever a hostile server reflects: the binary is run against a server on
//! 127.0.0.1 that sends the client's token back in a refused handshake's headers and body,
//! text and binary messages, its close reason and Server-Sent Events.

#[path = "support/reflector.rs"]
mod reflector;
mod support;

use reflector::{AUTHORIZATION, TOKEN, binary_with, reflector};
use sockscope::format::base64::to_base64;
use sockscope::format::hex::to_hex;
use support::cli::{Run, sockscope, sockscope_with_env};

const MARKER: &str = "[redacted]";

/// Everything the run printed, on stdout and stderr.
fn printed(run: &Run) -> String {
    let mut text: String = run.lines.iter().map(|line| format!("{line}\n")).collect();
    text.push_str(&run.stderr);
    text
}

/// Fails when `secret` is in `text` as it is, as hex or as base64 of the bytes the server
/// sent.
fn assert_absent(text: &str, secret: &str, what: &str) {
    assert!(
        !text.contains(secret),
        "{secret:?} leaks in {what}:\n{text}"
    );
    let hex = to_hex(secret.as_bytes());
    assert!(
        !text.contains(&hex),
        "{secret:?} leaks as hex in {what}:\n{text}"
    );
    let base64 = to_base64(&binary_with(AUTHORIZATION));
    assert!(
        !text.contains(&base64),
        "the binary message leaks in {what}:\n{text}"
    );
}

fn line<'a>(run: &'a Run, event: &str) -> &'a serde_json::Value {
    run.lines
        .iter()
        .find(|line| line["event"] == event)
        .unwrap_or_else(|| panic!("a {event} line in {:?}", run.lines))
}

#[tokio::test]
async fn connect_prints_no_token_reflected_in_messages_binary_or_the_close_reason() {
    let addr = reflector().await;
    let url = format!("ws://{addr}/reflect");
    let env_value = "env-value-9f8e7d6c";
    let header = format!("Authorization: {AUTHORIZATION}");
    let run = sockscope_with_env(
        &[
            "connect",
            &url,
            "-H",
            &header,
            "--send",
            "env says {{env.SOCKSCOPE_REDACT_TEST_VALUE}}",
            "--wait",
            "inf",
        ],
        &[("SOCKSCOPE_REDACT_TEST_VALUE", env_value)],
    )
    .await;
    let text = printed(&run);
    assert_absent(&text, TOKEN, "connect's output");
    assert_absent(&text, env_value, "connect's output");
    let sent = line(&run, "open")["request_headers"]
        .as_object()
        .expect("request headers");
    let authorization = sent
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value);
    assert_eq!(authorization, Some(&MARKER.into()), "{text}");
    let messages: Vec<&serde_json::Value> = run
        .lines
        .iter()
        .filter(|l| l["event"] == "message")
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m["text"] == format!("you sent {MARKER}")),
        "{text}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m["text"] == format!("env says {MARKER}") && m["dir"] == "in"),
        "the echo of an environment value is redacted: {text}"
    );
    let binary = messages
        .iter()
        .find(|m| m["type"] == "binary")
        .expect("the binary message");
    assert_eq!(binary["hex"], to_hex(&binary_with(MARKER)), "{text}");
    assert_eq!(binary["redacted"], true);
    assert_eq!(
        binary["len"],
        binary_with(AUTHORIZATION).len(),
        "len stays the size on the wire"
    );
    assert_eq!(line(&run, "close")["reason"], format!("bye {MARKER}"));
}

#[tokio::test]
async fn a_refused_handshake_reflecting_the_token_prints_none_of_it() {
    let addr = reflector().await;
    let url = format!("ws://{addr}/refuse");
    let header = format!("Authorization: {AUTHORIZATION}");
    let run = sockscope(&["connect", &url, "-H", &header]).await;
    let text = printed(&run);
    assert_absent(&text, TOKEN, "the error line");
    let error = line(&run, "error");
    assert_eq!(error["status"], 401, "{text}");
    assert_eq!(error["body"], format!("you sent {MARKER}"));
    assert_eq!(error["headers"]["x-seen"], MARKER);
    assert_eq!(error["headers"]["set-cookie"], MARKER);
}

#[tokio::test]
async fn sse_prints_no_token_reflected_in_an_event() {
    let addr = reflector().await;
    let url = format!("http://{addr}/sse");
    let header = format!("Authorization: {AUTHORIZATION}");
    let run = sockscope(&["sse", &url, "-H", &header, "--max-events", "1"]).await;
    let text = printed(&run);
    assert_absent(&text, TOKEN, "sse's output");
    let event = line(&run, "sse");
    assert_eq!(event["data"], format!("you sent {MARKER}"), "{text}");
    assert_eq!(event["id"], MARKER);
}

#[tokio::test]
async fn a_recorded_run_through_a_proxy_keeps_no_token_and_no_proxy_password() {
    let (proxy, _targets) = support::servers::connect_proxy(Some("user:pr0xy-pa55w0rd")).await;
    let addr = reflector().await;
    let url = format!("ws://{addr}/reflect");
    let proxy_url = format!("http://user:pr0xy-pa55w0rd@{proxy}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.session.ron");
    let header = format!("Authorization: {AUTHORIZATION}");
    let run = sockscope(&[
        "connect",
        &url,
        "-H",
        &header,
        "--proxy",
        &proxy_url,
        "--wait",
        "inf",
        "--record",
        &path.display().to_string(),
    ])
    .await;
    let text = printed(&run);
    assert_eq!(line(&run, "close")["code"], 4000, "{text}");
    assert_absent(&text, TOKEN, "connect's output");
    let saved = std::fs::read_to_string(&path).expect("the recorded session");
    assert_absent(&saved, TOKEN, "the session file");
    assert_absent(&saved, "pr0xy-pa55w0rd", "the session file");
    assert!(saved.contains(MARKER), "{saved}");
    assert!(
        saved.contains(&format!("http://user:{MARKER}@{proxy}")),
        "the proxy keeps its user, not its password: {saved}"
    );
    assert!(
        saved.contains(&to_base64(&binary_with(MARKER))),
        "the binary payload is saved with the token's bytes replaced: {saved}"
    );

    // Its HAR export carries none of it either.
    let har = dir.path().join("run.har");
    let run = sockscope(&[
        "export-har",
        &path.display().to_string(),
        "--out",
        &har.display().to_string(),
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let har = std::fs::read_to_string(&har).expect("the HAR");
    assert_absent(&har, TOKEN, "the HAR");
    assert!(har.contains(MARKER));
}

#[tokio::test]
async fn an_environment_proxy_that_does_not_parse_is_reported_without_its_password() {
    let bad = "http://user:pr0xy-pa55w0rd@[bad";
    let run = sockscope_with_env(
        &["connect", "ws://sockscope-redaction.invalid/"],
        &[
            ("HTTP_PROXY", bad),
            ("HTTPS_PROXY", bad),
            ("ALL_PROXY", bad),
            ("NO_PROXY", ""),
        ],
    )
    .await;
    let text = printed(&run);
    assert_absent(&text, "pr0xy-pa55w0rd", "the error event");
    let error = line(&run, "error");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("user:{MARKER}@"))),
        "{text}"
    );
}

#[test]
fn a_har_export_of_a_hand_written_session_scrubs_its_credentials() {
    use sockscope::model::har;
    use sockscope::model::session::SessionFile;
    // An older version (or a person) wrote the Authorization value into the file.
    let text = format!(
        r#"(version: 1, tabs: [(name: "old", config: (url: "ws://user:pa55word-1@h/"),
        timeline: [
            (attempt: 1, seq: 0, offset_us: 0, wall_time_us: 0,
             kind: Connecting(url: "ws://user:pa55word-1@h/")),
            (attempt: 1, seq: 1, offset_us: 5, wall_time_us: 5,
             kind: Open(status: 101, request_headers: [("Authorization", "{AUTHORIZATION}")],
                        response_headers: [], handshake_us: 5)),
            (attempt: 1, seq: 2, offset_us: 9, wall_time_us: 9,
             kind: Message(dir: in, payload: Text("echo {TOKEN}"))),
        ])])"#
    );
    let file = SessionFile::parse(std::path::Path::new("old.ron"), &text).expect("parses");
    let document = har::export_tabs(&[(&file.tabs[0], "tab 1".to_owned())]).expect("exports");
    let har = document.to_string();
    assert_absent(&har, TOKEN, "the HAR");
    assert_absent(&har, "pa55word-1", "the HAR");
    assert!(har.contains(&format!("echo {MARKER}")), "{har}");
    assert!(har.contains(&format!("ws://user:{MARKER}@h/")), "{har}");
}

#[tokio::test]
async fn a_devtools_har_imports_without_its_cookies_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let har = dir.path().join("devtools.har");
    let document = serde_json::json!({"log": {"entries": [{
        "startedDateTime": "2026-01-01T00:00:00.000Z",
        "request": {"url": "wss://api.example/ws", "headers": [
            {"name": "Authorization", "value": AUTHORIZATION},
            {"name": "Cookie", "value": format!("sid={TOKEN}; theme=dark")},
            {"name": "X-Team", "value": "blue"},
        ]},
        "response": {"status": 101, "headers": []},
        "_webSocketMessages": [
            {"type": "receive", "time": 1767225600.5, "opcode": 1, "data": format!("hello {TOKEN}")},
        ],
    }]}});
    std::fs::write(&har, document.to_string()).unwrap();
    let out = dir.path().join("imported.session.ron");
    let run = sockscope(&[
        "import-har",
        &har.display().to_string(),
        "--out",
        &out.display().to_string(),
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let saved = std::fs::read_to_string(&out).expect("the imported session");
    assert_absent(&saved, TOKEN, "the imported session");
    assert!(saved.contains("blue"), "other headers are kept: {saved}");
    assert!(saved.contains(&format!("hello {MARKER}")), "{saved}");
}

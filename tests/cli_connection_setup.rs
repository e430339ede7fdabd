//! Setting a connection up from the command line as Postman users do: `--query` parameters,
//! `--auth` (Basic, Bearer, API key in a header or the query) and `--env-file` variables.
//! A recording server checks what arrives; the lines printed must not show the secrets.

mod support;

use serde_json::Value;

use support::cli::{messages, sockscope};
use support::servers::request_recorder;

fn all_output(run: &support::cli::Run) -> String {
    let mut text: String = run.lines.iter().map(Value::to_string).collect();
    text.push_str(&run.stderr);
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_parameters_arrive_encoded_after_the_typed_query() {
    let (addr, mut seen) = request_recorder().await;
    let url = format!("ws://{addr}/feed?typed=1");
    let run = sockscope(&[
        "connect",
        &url,
        "--query",
        "q=a b&c=d#e",
        "--query",
        "city=Zürich",
        "--query",
        "flag=",
        "--wait",
        "inf",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let request = seen.recv().await.expect("a handshake");
    assert_eq!(
        request.target,
        "/feed?typed=1&q=a%20b%26c%3Dd%23e&city=Z%C3%BCrich&flag="
    );
    assert_eq!(
        run.lines[0]["url"],
        format!("ws://{addr}/feed?typed=1&q=a%20b%26c%3Dd%23e&city=Z%C3%BCrich&flag=")
    );
    let bad = sockscope(&["connect", &url, "--query", "novalue"]).await;
    assert_eq!(bad.status, 2);
    assert!(
        bad.stderr
            .contains("--query \"novalue\": expected NAME=VALUE"),
        "{}",
        bad.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_auth_kind_arrives_as_its_rfc_says_and_never_prints() {
    let cases = [
        (
            "basic:ada:open sesame-9",
            "authorization",
            "Basic YWRhOm9wZW4gc2VzYW1lLTk=",
        ),
        (
            "bearer:tok-123456789",
            "authorization",
            "Bearer tok-123456789",
        ),
        (
            "header:X-API-Key:key-123456789",
            "x-api-key",
            "key-123456789",
        ),
    ];
    for (spec, header, value) in cases {
        let (addr, mut seen) = request_recorder().await;
        let run = sockscope(&[
            "connect",
            &format!("ws://{addr}/"),
            "--auth",
            spec,
            "-H",
            "Authorization: Bearer typed-header-value",
            "--wait",
            "inf",
        ])
        .await;
        assert_eq!(run.status, 0, "{spec}: {}", run.stderr);
        let request = seen.recv().await.expect("a handshake");
        assert!(
            request.header(header).contains(&value),
            "{spec}: {request:?}"
        );
        if header == "authorization" {
            assert_eq!(
                request.header("authorization"),
                [value],
                "{spec}: auth replaces"
            );
        }
        let secret = spec.rsplit(':').next().unwrap();
        let printed = all_output(&run);
        assert!(!printed.contains(secret), "{spec}: {printed}");
        assert!(!printed.contains(value), "{spec}: {printed}");
        assert_eq!(run.lines[1]["event"], "open");
        assert_eq!(run.lines[1]["redacted"], true, "{spec}");
    }
    let (addr, mut seen) = request_recorder().await;
    let run = sockscope(&[
        "connect",
        &format!("ws://{addr}/p?x=1"),
        "--auth",
        "query:api_key:k&ey-123456789",
        "--wait",
        "inf",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let request = seen.recv().await.expect("a handshake");
    assert_eq!(request.target, "/p?x=1&api_key=k%26ey-123456789");
    let printed = all_output(&run);
    assert!(!printed.contains("ey-123456789"), "{printed}");
    for bad in ["digest:x", "bearer:", "basic:nopass"] {
        let run = sockscope(&["connect", "ws://127.0.0.1:9/", "--auth", bad]).await;
        assert_eq!(run.status, 2, "{bad}");
        assert!(run.stderr.contains("--auth: "), "{bad}: {}", run.stderr);
        assert!(run.lines.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_file_variables_fill_sends_and_secret_looking_ones_are_redacted() {
    let server = support::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    std::fs::write(
        &env,
        "# staging\nROOM=lobby\nexport API_TOKEN=\"tk-abcdef123\"\nWHO=ada\n",
    )
    .unwrap();
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--env-file",
        &env.display().to_string(),
        "--var",
        "WHO=grace",
        "--send",
        "{{ROOM}} {{WHO}} {{API_TOKEN}}",
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let out = messages(&run, "out");
    assert_eq!(
        out[0]["text"], "lobby grace [redacted]",
        "--var wins; the token is redacted"
    );
    assert_eq!(
        out[0]["len"],
        "lobby grace tk-abcdef123".len(),
        "the real text was sent"
    );
    std::fs::write(&env, "A=1\nthis line is wrong\n").unwrap();
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--env-file",
        &env.display().to_string(),
    ])
    .await;
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("line 2: expected NAME=value"),
        "{}",
        run.stderr
    );
}

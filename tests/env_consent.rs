//! A file is data, never a key to the user's environment: a shared session file (or a
//! template file) reads only the environment variables the user allowed for it, and
//! nothing is sent when it references another. The binary run as a user would, against a
//! server on 127.0.0.1 that records every request it gets.

mod support;

use support::cli::{sockscope, sockscope_with_env};
use support::recording::{RecordingServer, crafted_session};

/// The value the tests put in the child's environment, to see whether it leaves.
const SECRET: &str = "s3cret-from-the-environment";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_session_file_reads_no_environment_variable_unless_allowed() {
    let server = RecordingServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let session = crafted_session(
        dir.path(),
        &server.url("/collect"),
        "{{env.SOCKSCOPE_TEST_SECRET}}",
    );
    let session = session.to_str().expect("a UTF-8 path");
    let env = [("SOCKSCOPE_TEST_SECRET", SECRET)];

    // Without --allow-env: an error naming the variable, and no connection at all.
    let run = sockscope_with_env(&["replay", session, "--fast"], &env).await;
    assert_eq!(run.status, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr
            .contains("environment variable SOCKSCOPE_TEST_SECRET is not allowed for this file"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("pass --allow-env SOCKSCOPE_TEST_SECRET"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(SECRET), "{}", run.stderr);
    assert!(run.lines.is_empty(), "nothing ran: {:?}", run.lines);
    assert!(
        server.requests().is_empty(),
        "the server saw a connection: {:?}",
        server.requests()
    );

    // Allowing another name does not allow this one.
    let run = sockscope_with_env(&["replay", session, "--fast", "--allow-env", "HOME"], &env).await;
    assert_eq!(run.status, 2, "stderr: {}", run.stderr);
    assert!(server.requests().is_empty());

    // With --allow-env NAME the user said yes: the value goes to the server.
    let run = sockscope_with_env(
        &[
            "replay",
            session,
            "--fast",
            "--allow-env",
            "SOCKSCOPE_TEST_SECRET",
        ],
        &env,
    )
    .await;
    assert_eq!(
        run.status, 1,
        "the 403 fails the connection: {}",
        run.stderr
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(
        requests[0].contains(&format!("x-leak: {SECRET}")),
        "{}",
        requests[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_that_are_not_identifiers_are_refused_where_written() {
    let server = RecordingServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let session = crafted_session(dir.path(), &server.url("/x"), "{{env.A-B}}");
    let session = session.to_str().expect("a UTF-8 path");
    let run = sockscope(&["replay", session, "--fast", "--allow-env", "A_B"]).await;
    assert_eq!(run.status, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr
            .contains("\"A-B\" is not a valid environment variable name"),
        "{}",
        run.stderr
    );
    let run = sockscope(&["replay", session, "--allow-env", "$(id)"]).await;
    assert_eq!(run.status, 2);
    assert!(
        run.stderr
            .contains("--allow-env: \"$(id)\" is not a valid environment variable name"),
        "{}",
        run.stderr
    );
    let record = dir.path().join("r.session.ron");
    let run = sockscope(&[
        "connect",
        &server.url("/x"),
        "--record",
        record.to_str().expect("UTF-8"),
        "--secret",
        "Authorization=$(touch /tmp/x)",
    ])
    .await;
    assert_eq!(run.status, 2, "stderr: {}", run.stderr);
    assert!(run.stderr.contains("--secret"), "{}", run.stderr);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_file_reads_only_allowed_names_while_typed_sends_read_any() {
    let server = support::demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let templates = dir.path().join("t.ron");
    std::fs::write(
        &templates,
        r#"(version: 1, templates: [(name: "leak", format: Text, body: "{{env.SOCKSCOPE_TEST_SECRET}}")])"#,
    )
    .expect("write templates");
    let template = format!("{}:leak", templates.display());
    let url = server.url("/echo");
    let env = [("SOCKSCOPE_TEST_SECRET", SECRET)];

    let run = sockscope_with_env(&["connect", &url, "--template", &template], &env).await;
    assert_eq!(run.status, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr
            .contains("environment variable SOCKSCOPE_TEST_SECRET is not allowed for this file"),
        "{}",
        run.stderr
    );
    assert!(run.lines.is_empty(), "nothing was sent: {:?}", run.lines);

    let run = sockscope_with_env(
        &[
            "connect",
            &url,
            "--template",
            &template,
            "--allow-env",
            "SOCKSCOPE_TEST_SECRET",
            "--send",
            "typed {{env.SOCKSCOPE_TEST_SECRET}}",
            "--wait",
            "300",
        ],
        &env,
    )
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    // The echoes are printed redacted (the value came from the environment); their sizes
    // show the value itself went on the wire.
    let received: Vec<(&str, u64)> = run
        .lines
        .iter()
        .filter(|line| line["event"] == "message" && line["dir"] == "in")
        .filter_map(|line| Some((line["text"].as_str()?, line["len"].as_u64()?)))
        .collect();
    let len = SECRET.len() as u64;
    assert_eq!(
        received,
        [
            ("[redacted]", len),
            ("typed [redacted]", "typed ".len() as u64 + len)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cr_lf_and_nul_in_urls_and_headers_are_refused_before_dialing() {
    let server = RecordingServer::start();
    // (No NUL here: no program argument can hold one; a file's NUL is refused by the same
    // check, see the engine's config tests.)
    for (url, header) in [
        (server.url("/x\r\nX-Injected: 1"), None),
        (server.url("/x\n"), None),
        (server.url("/x"), Some("X-A: a\r\nX-Injected: 1")),
    ] {
        let mut args = vec!["connect", url.as_str()];
        if let Some(header) = header {
            args.extend(["-H", header]);
        }
        let run = sockscope(&args).await;
        assert_eq!(run.status, 2, "{url:?} {header:?}: {}", run.stderr);
    }
    // A session file's header value that expands to CR/LF is refused as well.
    let dir = tempfile::tempdir().expect("tempdir");
    let session = crafted_session(dir.path(), &server.url("/x"), "a\r\nX-Injected: 1");
    let run = sockscope(&["replay", session.to_str().expect("UTF-8"), "--fast"]).await;
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("X-Leak"), "{}", run.stderr);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

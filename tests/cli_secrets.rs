//! `{{secret.NAME}}` and `sockscope secret set|list|delete`: values in a real Secret Service
//! (gnome-keyring on a private D-Bus, see `support::keyring`), redacted on every line, read
//! by a file only with `--allow-secret`; and on a machine without a keychain, a clear
//! message and the `SOCKSCOPE_SECRET_<NAME>` fallback only with `--secrets-from-env`.

mod support;

use support::cli::{Run, messages};
use support::demo;
use support::keyring::{SecretService, run};

const VALUE: &str = "kc-s3cret-value-42";

fn template_file(dir: &std::path::Path) -> String {
    let path = dir.join("templates.ron");
    let text = r#"(version: 1, templates: [(name: "auth", format: Text, body: "token={{secret.API_TOKEN}}")])"#;
    std::fs::write(&path, text).expect("write the template file");
    format!("{}:auth", path.display())
}

/// The run's echo of one sent message: what was printed and its wire length.
fn echoed(run: &Run) -> (String, u64) {
    let incoming = messages(run, "in");
    assert_eq!(
        incoming.len(),
        1,
        "stdout: {:?} stderr: {}",
        run.lines,
        run.stderr
    );
    (
        incoming[0]["text"].as_str().unwrap_or_default().to_owned(),
        incoming[0]["len"].as_u64().unwrap_or_default(),
    )
}

fn everything(run: &Run) -> String {
    format!("{:?}{}", run.lines, run.stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_live_in_the_keychain_and_never_on_a_line() {
    let Some(service) = SecretService::start("secrets_live_in_the_keychain_and_never_on_a_line")
    else {
        return;
    };
    let env = service.env();
    let set = run(
        &["secret", "set", "API_TOKEN"],
        &env,
        format!("{VALUE}\n").as_bytes(),
    )
    .await;
    assert_eq!(set.status, 0, "{}", set.stderr);
    assert_eq!(
        set.lines,
        [serde_json::json!({"event": "secret-set", "name": "API_TOKEN"})]
    );
    let list = run(&["secret", "list"], &env, b"").await;
    assert_eq!(list.status, 0, "{}", list.stderr);
    assert_eq!(
        list.lines,
        [serde_json::json!({"event": "secret", "name": "API_TOKEN"})]
    );
    // The index keeps the name, never the value.
    let index = std::fs::read_to_string(service.dir.path().join("sockscope/secret-names.ron"))
        .expect("the names index");
    assert!(
        index.contains("API_TOKEN") && !index.contains(VALUE),
        "{index}"
    );

    // Typed on the command line: read from the keychain, sent, and redacted on every line.
    let server = demo().await;
    let url = server.url("/echo");
    let typed = run(
        &[
            "connect",
            &url,
            "--send",
            "{{secret.API_TOKEN}}",
            "--wait",
            "300",
        ],
        &env,
        b"",
    )
    .await;
    assert_eq!(typed.status, 0, "{}", typed.stderr);
    assert_eq!(
        echoed(&typed),
        ("[redacted]".to_owned(), VALUE.len() as u64)
    );
    assert!(!everything(&typed).contains(VALUE));

    // From a file: only with --allow-secret.
    let template = template_file(service.dir.path());
    let refused = run(&["connect", &url, "--template", &template], &env, b"").await;
    assert_eq!(refused.status, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("secret API_TOKEN is not allowed for this file")
            && refused.stderr.contains("pass --allow-secret API_TOKEN"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.lines.is_empty(),
        "nothing was sent: {:?}",
        refused.lines
    );
    let allowed = run(
        &[
            "connect",
            &url,
            "--template",
            &template,
            "--allow-secret",
            "API_TOKEN",
            "--wait",
            "300",
        ],
        &env,
        b"",
    )
    .await;
    assert_eq!(allowed.status, 0, "{}", allowed.stderr);
    assert_eq!(
        echoed(&allowed),
        (
            "token=[redacted]".to_owned(),
            ("token=".len() + VALUE.len()) as u64
        )
    );

    // In a header (and the auth) on the command line: the server gets the value, the
    // lines do not.
    let headers = server.url("/headers");
    let header = run(
        &[
            "connect",
            &headers,
            "-H",
            "X-Room: room-{{secret.API_TOKEN}}",
            "--wait",
            "300",
        ],
        &env,
        b"",
    )
    .await;
    assert_eq!(header.status, 0, "{}", header.stderr);
    let seen: serde_json::Value = serde_json::from_str(
        messages(&header, "in")[0]["text"]
            .as_str()
            .expect("a text message"),
    )
    .expect("the server's JSON");
    assert_eq!(seen["headers"]["x-room"], "room-[redacted]");
    assert!(!everything(&header).contains(VALUE));

    // Deleted: gone from the keychain and the list; a second delete says so.
    let delete = run(&["secret", "delete", "API_TOKEN"], &env, b"").await;
    assert_eq!(delete.status, 0, "{}", delete.stderr);
    assert_eq!(delete.lines[0]["event"], "secret-deleted");
    assert!(run(&["secret", "list"], &env, b"").await.lines.is_empty());
    let again = run(&["secret", "delete", "API_TOKEN"], &env, b"").await;
    assert_eq!(again.status, 1);
    assert!(
        again
            .stderr
            .contains("the keychain has no secret API_TOKEN"),
        "{}",
        again.stderr
    );
    let gone = run(
        &["connect", &url, "--send", "{{secret.API_TOKEN}}"],
        &env,
        b"",
    )
    .await;
    assert_eq!(gone.status, 2);
    assert!(
        gone.stderr
            .contains("secret API_TOKEN is not in the keychain")
            && gone.stderr.contains("sockscope secret set API_TOKEN"),
        "{}",
        gone.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keychain_the_environment_is_read_only_with_consent() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = dir.path().display().to_string();
    // No D-Bus session bus: no Secret Service.
    let env = vec![
        ("SOCKSCOPE_CONFIG_DIR".to_owned(), config),
        ("SOCKSCOPE_SECRET_API_TOKEN".to_owned(), VALUE.to_owned()),
    ];
    let set = run(&["secret", "set", "API_TOKEN"], &env, b"value\n").await;
    assert_eq!(set.status, 1);
    assert!(
        set.stderr.contains("no keychain is available")
            && set.stderr.contains("DBUS_SESSION_BUS_ADDRESS is not set"),
        "{}",
        set.stderr
    );
    let server = demo().await;
    let url = server.url("/echo");
    let refused = run(
        &["connect", &url, "--send", "{{secret.API_TOKEN}}"],
        &env,
        b"",
    )
    .await;
    assert_eq!(refused.status, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("no keychain is available")
            && refused.stderr.contains("SOCKSCOPE_SECRET_API_TOKEN")
            && refused.stderr.contains("--secrets-from-env"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.lines.is_empty(),
        "nothing was sent: {:?}",
        refused.lines
    );
    let agreed = run(
        &[
            "connect",
            &url,
            "--send",
            "{{secret.API_TOKEN}}",
            "--secrets-from-env",
            "--wait",
            "300",
        ],
        &env,
        b"",
    )
    .await;
    assert_eq!(agreed.status, 0, "{}", agreed.stderr);
    assert_eq!(
        echoed(&agreed),
        ("[redacted]".to_owned(), VALUE.len() as u64)
    );
    assert!(!everything(&agreed).contains(VALUE));
    // Usage errors: a bad name, no value; a value is never taken from the command line.
    let bad = run(&["secret", "set", "$(id)"], &env, b"v").await;
    assert_eq!(bad.status, 2);
    assert!(
        bad.stderr.contains("is not a valid secret name"),
        "{}",
        bad.stderr
    );
    let empty = run(&["secret", "set", "API_TOKEN"], &env, b"").await;
    assert_eq!(empty.status, 2);
    let argv = run(&["secret", "set", "API_TOKEN", VALUE], &env, b"").await;
    assert_eq!(argv.status, 2, "{}", argv.stderr);
    assert_eq!(run(&["secret", "list"], &env, b"").await.status, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_session_reads_a_secret_only_when_allowed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = demo().await;
    let url = server.url("/echo");
    let session = support::recording::crafted_session(dir.path(), &url, "{{secret.API_TOKEN}}");
    let session = session.display().to_string();
    let env = vec![
        (
            "SOCKSCOPE_CONFIG_DIR".to_owned(),
            dir.path().display().to_string(),
        ),
        ("SOCKSCOPE_SECRET_API_TOKEN".to_owned(), VALUE.to_owned()),
    ];
    let refused = run(&["replay", &session, "--fast"], &env, b"").await;
    assert_eq!(refused.status, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("secret API_TOKEN is not allowed for this file")
            && refused.stderr.contains("pass --allow-secret API_TOKEN"),
        "{}",
        refused.stderr
    );
    let allowed = run(
        &[
            "replay",
            &session,
            "--fast",
            "--allow-secret",
            "API_TOKEN",
            "--secrets-from-env",
        ],
        &env,
        b"",
    )
    .await;
    assert!(
        allowed.status == 0 || allowed.status == 3,
        "{}",
        allowed.stderr
    );
    let open = allowed
        .lines
        .iter()
        .find(|line| line["event"] == "open")
        .expect("the replay connected");
    assert_eq!(open["request_headers"]["x-leak"], "[redacted]", "{open}");
    assert!(!everything(&allowed).contains(VALUE));
}

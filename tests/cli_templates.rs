//! `sockscope connect --template FILE.ron:NAME --var NAME=VALUE`: templates and variables
//! reach the demo server expanded, in command-line order; bad ones are usage errors.

mod support;

use support::cli::{messages, sockscope_with_env as sockscope};
use support::demo;

const TEMPLATES: &str = r##"(
    version: 1,
    templates: [
        (
            name: "greet",
            format: Json,
            body: r#"{"n": {{counter}}, "user": "{{user}}", "token": "{{ env.SOCKSCOPE_TEST_TOKEN }}"}"#,
        ),
        (name: "bytes", format: Hex, body: "0a 0{{counter}}"),
        (name: "needs env", format: Text, body: "{{env.SOCKSCOPE_TEST_UNSET}}"),
    ],
)
"##;

fn template_file() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("templates.ron");
    std::fs::write(&path, TEMPLATES).expect("write the template file");
    (dir, path.display().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_and_variables_reach_the_server_expanded_in_order() {
    let server = demo().await;
    let url = server.url("/echo");
    let (_dir, file) = template_file();
    let greet = format!("{file}:greet");
    let bytes = format!("{file}:bytes");
    let run = sockscope(
        &[
            "connect",
            &url,
            "--send",
            "first {{counter}} from {{user}}",
            "--template",
            &greet,
            "--send-hex",
            "ff",
            "--var",
            "user=ada",
            "--template",
            &bytes,
            "--allow-env",
            "SOCKSCOPE_TEST_TOKEN",
            "--wait",
            "300",
        ],
        &[("SOCKSCOPE_TEST_TOKEN", "s3cret")],
    )
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let echoed: Vec<String> = messages(&run, "in")
        .iter()
        .map(|m| match m["type"].as_str() {
            Some("text") => m["text"].as_str().unwrap_or("?").to_owned(),
            _ => format!("hex:{}", m["hex"].as_str().unwrap_or("?")),
        })
        .collect();
    assert_eq!(
        echoed,
        [
            "first 1 from ada",
            // A value read from the environment is sent, but never printed.
            r#"{"n": 2, "user": "ada", "token": "[redacted]"}"#,
            "hex:ff",
            "hex:0a03",
        ]
    );
    assert_eq!(
        messages(&run, "in")[1]["len"],
        r#"{"n": 2, "user": "ada", "token": "s3cret"}"#.len(),
        "the size on the wire counts the value"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_template_name_is_a_usage_error_listing_the_names() {
    let server = demo().await;
    let (_dir, file) = template_file();
    let arg = format!("{file}:nope");
    let run = sockscope(&["connect", &server.url("/echo"), "--template", &arg], &[]).await;
    assert_eq!(run.status, 2, "stderr: {}", run.stderr);
    assert!(run.lines.is_empty(), "nothing printed: {:?}", run.lines);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("--template"), "{}", run.stderr);
    assert!(run.stderr.contains("\"nope\""), "{}", run.stderr);
    assert!(
        run.stderr.contains("\"greet\", \"bytes\""),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_environment_variable_is_a_usage_error() {
    let server = demo().await;
    let url = server.url("/echo");
    let (_dir, file) = template_file();
    let arg = format!("{file}:needs env");
    let run = sockscope(
        &[
            "connect",
            &url,
            "--template",
            &arg,
            "--allow-env",
            "SOCKSCOPE_TEST_UNSET",
        ],
        &[],
    )
    .await;
    assert_eq!(run.status, 2, "stderr: {}", run.stderr);
    assert!(run.lines.is_empty(), "nothing printed: {:?}", run.lines);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("environment variable SOCKSCOPE_TEST_UNSET is not set"),
        "{}",
        run.stderr
    );

    let run = sockscope(
        &["connect", &url, "--send", "{{env.SOCKSCOPE_TEST_UNSET}}"],
        &[],
    )
    .await;
    assert_eq!(run.status, 2, "stderr: {}", run.stderr);
    assert!(run.stderr.contains("--send"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_and_variables_are_usage_errors() {
    let server = demo().await;
    let url = server.url("/echo");
    let run = sockscope(
        &["connect", &url, "--template", "/no/such/templates.ron:x"],
        &[],
    )
    .await;
    assert_eq!(run.status, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains("/no/such/templates.ron"),
        "{}",
        run.stderr
    );
    let run = sockscope(&["connect", &url, "--var", "novalue"], &[]).await;
    assert_eq!(run.status, 2, "stderr: {}", run.stderr);
    assert!(run.stderr.contains("--var \"novalue\""), "{}", run.stderr);
    let run = sockscope(&["connect", &url, "--send", "hi {{who}}"], &[]).await;
    assert_eq!(run.status, 2, "stderr: {}", run.stderr);
    assert!(
        run.stderr
            .contains("unknown variable {{who}} at position 3"),
        "{}",
        run.stderr
    );
}

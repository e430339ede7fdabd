//! "Copy tab as command line" quotes every argument as data: the line, run by a real POSIX
//! shell with `printf` standing in for `sockscope`, gives back exactly the intended
//! arguments and runs nothing; a name that is not a valid identifier never reaches it.

use std::path::PathBuf;
use std::process::Command;

use sockscope::cli::command_line::{CommandKind, CommandLineError, command_line};
use sockscope::engine::proxy::ProxyMode;
use sockscope::engine::{ConnectionConfig, HeaderEntry};
use sockscope::model::session::SecretHeader;

/// Runs `line` with `sh -c`, `sockscope` replaced by a command that prints each argument
/// followed by NUL; returns the arguments.
fn shell_words(line: &str, env: &[(&str, &str)]) -> Vec<String> {
    let rest = line
        .strip_prefix("sockscope ")
        .expect("the line starts with sockscope");
    let script = format!("printf '%s\\0' {rest}");
    let mut command = Command::new("sh");
    command.arg("-c").arg(&script).env_clear();
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("sh runs");
    assert!(output.status.success(), "{script}: {output:?}");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let mut words: Vec<String> = text.split('\0').map(str::to_owned).collect();
    assert_eq!(words.pop().as_deref(), Some(""), "NUL-terminated");
    words
}

/// Text that runs `touch MARKER` in every way a shell could be tricked into it.
fn crafted(marker: &str) -> Vec<String> {
    vec![
        format!("$(touch {marker})"),
        format!("`touch {marker}`"),
        format!("'; touch {marker}; '"),
        format!("\"; touch {marker}; \""),
        format!("\n touch {marker}\n"),
        format!("${{IFS}}$(touch {marker})\\'"),
        format!("'\"'\"$(touch {marker})\"'\"'"),
        "!! * ? ~ # & | < > ; \\ \t".to_owned(),
    ]
}

#[test]
fn every_argument_is_data_to_the_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("pwned");
    let marker_text = marker.display().to_string();
    for (i, evil) in crafted(&marker_text).into_iter().enumerate() {
        let mut config =
            ConnectionConfig::new(format!("ws://127.0.0.1:9001/{{{{room}}}}?q={evil}"));
        config.headers = vec![
            HeaderEntry::new("X-Evil", evil.clone()),
            HeaderEntry::new("X-Room", "{{room}}"),
            HeaderEntry::new("X-Token", "Bearer {{env.API_TOKEN}}"),
            HeaderEntry::new("Authorization", "never copied"),
        ];
        config.subprotocols = vec![evil.clone()];
        config.tls.ca_file = Some(PathBuf::from(format!("/tmp/{evil}.pem")));
        config.proxy = ProxyMode::Url(format!("http://{evil}@127.0.0.1:1"));
        let user = [("room".to_owned(), evil.clone())];
        let secrets = [SecretHeader::new("authorization", "SECRET_TOKEN")];
        let line = command_line(CommandKind::Connect, &config, &user, &secrets)
            .unwrap_or_else(|e| panic!("case {i}: {e}"));
        let words = shell_words(
            &line,
            &[("API_TOKEN", "t0k"), ("SECRET_TOKEN", "Bearer s3")],
        );
        let expected: Vec<String> = vec![
            "connect".into(),
            // The URL is trimmed, as a connect trims it.
            format!("ws://127.0.0.1:9001/{evil}?q={evil}")
                .trim()
                .to_owned(),
            "-H".into(),
            format!("X-Evil: {evil}"),
            "-H".into(),
            format!("X-Room: {evil}"),
            "-H".into(),
            "X-Token: Bearer t0k".into(),
            "-H".into(),
            "Authorization: Bearer s3".into(),
            "-p".into(),
            evil.clone(),
            "--ca".into(),
            format!("/tmp/{evil}.pem"),
            "--proxy".into(),
            format!("http://{evil}@127.0.0.1:1"),
            "--wait".into(),
            "inf".into(),
        ];
        assert_eq!(words, expected, "case {i}: {line}");
        assert!(!marker.exists(), "case {i} ran a command: {line}");
    }
}

#[test]
fn a_name_that_is_not_an_identifier_never_reaches_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("pwned").display().to_string();
    for name in crafted(&marker).into_iter().chain([
        // What the line used to carry as "${X:-$(touch …)}": a command run on paste.
        format!("X:-$(touch {marker})"),
        "A-B".to_owned(),
        "9X".to_owned(),
        String::new(),
    ]) {
        let mut config = ConnectionConfig::new("ws://127.0.0.1:9001/echo");
        config.headers = vec![HeaderEntry::new("X-Token", format!("{{{{env.{name}}}}}"))];
        match command_line(CommandKind::Connect, &config, &[], &[]) {
            Err(CommandLineError::Resolve(error)) => {
                let text = error.to_string();
                assert!(
                    text.contains("not a valid environment variable name")
                        || text.contains("unclosed"),
                    "{name:?}: {text}"
                );
            }
            other => panic!("{name:?} in {{{{env.…}}}} gave {other:?}"),
        }

        let mut config = ConnectionConfig::new("ws://127.0.0.1:9001/echo");
        config.headers = vec![HeaderEntry::new("Authorization", "x")];
        let secrets = [SecretHeader::new("Authorization", name.clone())];
        let error = command_line(CommandKind::Connect, &config, &[], &secrets).unwrap_err();
        assert!(
            matches!(error, CommandLineError::SecretEnvName { .. }),
            "{name:?}: {error}"
        );
        assert!(
            error
                .to_string()
                .contains("not a valid environment variable name"),
            "{error}"
        );
    }
    // NUL cannot be an argument, and would be taken for a reference's mark: refused.
    let config = ConnectionConfig::new("ws://127.0.0.1:9001/{{room}}");
    let user = [("room".to_owned(), "\0$(id)\0".to_owned())];
    let error = command_line(CommandKind::Connect, &config, &user, &[]).unwrap_err();
    assert!(matches!(error, CommandLineError::Nul(_)), "{error}");
}

//! TLS on the listening side (`--cert FILE --key FILE`) of `sockscope listen` and `sockscope
//! proxy`: the first line says `wss://`, a Python `websockets` client that checks the
//! certificate against the test CA talks to them, and a certificate or key that cannot be
//! used is refused with exit status 2 and a sentence naming the file.

mod support;

use std::path::PathBuf;

use serde_json::json;
use support::json_lines_process::Serving;
use support::tls::{Pki, write};
use support::ws_peer::{self, PeerServer, path_doing};

/// A CA and a certificate for 127.0.0.1 it issued, as files: (folder, ca, cert, key).
fn identity_files() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let pki = Pki::new();
    let identity = pki.issue(&["127.0.0.1"], false);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let ca = write(&dir, "ca.pem", &pki.ca_pem());
    let cert = write(&dir, "cert.pem", &identity.cert_pem);
    let key = write(&dir, "key.pem", &identity.key_pem);
    (dir, ca, cert, key)
}

#[test]
fn listen_with_a_certificate_serves_wss_to_a_client_that_checks_it() {
    let Some(env) = ws_peer::env("listen over TLS") else {
        return;
    };
    let (_dir, ca, cert, key) = identity_files();
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let mut listen = Serving::start(&[
        "listen",
        "--addr",
        "127.0.0.1:0",
        "--cert",
        &cert,
        "--key",
        &key,
        "--echo",
    ]);
    assert!(listen.url.starts_with("wss://127.0.0.1:"), "{}", listen.url);
    let actions = json!([{"send": "over tls"}, {"recv": 1}, {"close": [1000, "bye"]}]);
    let seen = ws_peer::client(&env, &listen.url, &actions, Some(&ca));
    assert_eq!(seen["got"][0]["text"], "over tls", "{seen}");
    assert_eq!(
        seen["close"],
        json!({"code": 1000, "reason": "bye", "wasClean": true})
    );
    let lines = listen.until_closed(1, 1);
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "message" && l["dir"] == "in" && l["text"] == "over tls"),
        "{lines:#?}"
    );
}

#[test]
fn proxy_with_a_certificate_serves_wss_and_relays_to_a_plain_upstream() {
    let Some(env) = ws_peer::env("proxy over TLS") else {
        return;
    };
    let (_dir, ca, cert, key) = identity_files();
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let upstream = PeerServer::start(&env, None);
    let base = format!("ws://127.0.0.1:{}", upstream.port);
    let proxy = Serving::start(&[
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &base,
        "--cert",
        &cert,
        "--key",
        &key,
    ]);
    assert!(proxy.url.starts_with("wss://127.0.0.1:"), "{}", proxy.url);
    let server_does = json!([{"recv": 1}, {"send": "hello back"}, {"close": [4000, "done"]}]);
    let url = format!("{}{}", proxy.url, path_doing("/tls", &server_does));
    let seen = ws_peer::client(&env, &url, &json!([{"send": "hello"}]), Some(&ca));
    assert_eq!(seen["got"][0]["text"], "hello back", "{seen}");
    assert_eq!(
        seen["close"],
        json!({"code": 4000, "reason": "done", "wasClean": true})
    );
    let server = upstream.next_connection();
    assert_eq!(server["got"][0]["text"], "hello", "{server}");
}

#[test]
fn a_certificate_or_key_that_cannot_be_used_exits_2_naming_the_file() {
    let (dir, _ca, cert, key) = identity_files();
    let other_key = write(&dir, "other.pem", &Pki::new().issue(&["x"], false).key_pem);
    let not_pem = write(&dir, "notes.txt", "hello");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sockscope"))
            .args(args)
            .output()
            .expect("the binary runs")
    };
    let path = |p: &PathBuf| p.display().to_string();
    let cases: [(Vec<String>, &str); 4] = [
        // The key given as the certificate: no certificate in it.
        (vec![path(&key), path(&key)], "key.pem"),
        // A text file as the key.
        (vec![path(&cert), path(&not_pem)], "notes.txt"),
        // A key of another certificate.
        (
            vec![path(&cert), path(&other_key)],
            "cannot be used together",
        ),
        // A file that is not there.
        (
            vec![path(&dir.path().join("gone.pem")), path(&key)],
            "gone.pem",
        ),
    ];
    for (files, said) in &cases {
        for command in ["listen", "proxy"] {
            let mut args = vec![command.to_string()];
            if command == "listen" {
                args.extend(["--addr".into(), "127.0.0.1:0".into()]);
            } else {
                args.extend(["--listen".into(), "127.0.0.1:0".into()]);
                args.extend(["--upstream".into(), "ws://127.0.0.1:9/".into()]);
            }
            args.extend([
                "--cert".into(),
                files[0].clone(),
                "--key".into(),
                files[1].clone(),
            ]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = run(&args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(stderr.contains(said), "{args:?}: {stderr}");
            assert!(output.stdout.is_empty(), "nothing listened: {args:?}");
        }
    }
    // One without the other is a usage error too.
    let output = run(&["listen", "--addr", "127.0.0.1:0", "--cert", &path(&cert)]);
    assert_eq!(output.status.code(), Some(2));
}

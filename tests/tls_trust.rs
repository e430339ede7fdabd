//! Trusting servers exactly as the user asked (issue 16, point 6): the client certificate
//! without verification, self-signed CA:TRUE certificates pinned by `--ca` or
//! `--pin-cert`, plain words when a certificate is refused, and extensions the client did
//! not ask for.

mod support;

use sockscope::engine::{ConnectionConfig, ErrorCategory, EventKind};
use support::cli::{events, sockscope};
use support::tls::{Pki, echo_server, openssl_style_self_signed, write};
use support::{close_of, connect_with, error_of, servers, to_close, until};

async fn run(config: ConnectionConfig) -> Vec<sockscope::engine::Event> {
    let mut handle = connect_with(&config);
    to_close(&mut handle).await
}

/// Connects with `config`, sends a text and expects it back, then closes cleanly.
async fn echoes(config: &ConnectionConfig) {
    let mut handle = connect_with(config);
    let opened = until(&mut handle, "open").await;
    assert!(
        matches!(opened.last().map(|e| &e.kind), Some(EventKind::Open(_))),
        "{opened:?}"
    );
    handle.send_text("pinned").unwrap();
    until(&mut handle, "message").await;
    let echo = until(&mut handle, "message").await;
    assert!(
        matches!(&echo.last().unwrap().kind, EventKind::Message { payload, .. } if payload.as_text() == Some("pinned"))
    );
    handle.close(1000, "").unwrap();
    assert!(close_of(&to_close(&mut handle).await).was_clean);
}

#[tokio::test]
async fn without_verification_the_client_certificate_is_still_presented() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let addr = echo_server(&pki.issue(&["localhost"], false), Some(&pki)).await;
    let client = pki.issue(&["sockscope-client"], false);
    let mut config = ConnectionConfig::new(format!("wss://localhost:{}/", addr.port()));
    config.tls.accept_invalid_certs = true;
    config.tls.client_cert = Some(write(&dir, "client.pem", &client.cert_pem));
    config.tls.client_key = Some(write(&dir, "client.key", &client.key_pem));
    echoes(&config).await;
}

#[tokio::test]
async fn a_self_signed_ca_certificate_given_as_ca_file_is_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let server = openssl_style_self_signed("localhost");
    let addr = echo_server(&server, None).await;
    let mut config = ConnectionConfig::new(format!("wss://localhost:{}/", addr.port()));
    config.tls.ca_file = Some(write(&dir, "server.pem", &server.cert_pem));
    echoes(&config).await;
}

#[tokio::test]
async fn a_pinned_certificate_is_accepted_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let server = openssl_style_self_signed("test.internal");
    let addr = echo_server(&server, None).await;
    // Exact pinning is what the user asked for: the certificate names test.internal, and
    // the connection goes to 127.0.0.1.
    let mut config = ConnectionConfig::new(format!("wss://127.0.0.1:{}/", addr.port()));
    config.tls.pinned_cert = Some(write(&dir, "server.pem", &server.cert_pem));
    echoes(&config).await;
}

#[tokio::test]
async fn another_certificate_than_the_pinned_one_is_refused_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let pinned = openssl_style_self_signed("localhost");
    let impostor = openssl_style_self_signed("localhost");
    let addr = echo_server(&impostor, None).await;
    let pin = write(&dir, "pinned.pem", &pinned.cert_pem);
    let mut config = ConnectionConfig::new(format!("wss://localhost:{}/", addr.port()));
    config.tls.pinned_cert = Some(pin.clone());
    let events = run(config).await;
    let error = error_of(&events);
    assert_eq!(error.category, ErrorCategory::Tls);
    assert!(
        error.message.contains(&format!(
            "the server's certificate is not the one pinned in {}",
            pin.display()
        )),
        "{}",
        error.message
    );
    let fingerprint = sha256_colons(impostor.cert_der.as_ref());
    assert!(error.message.contains(&fingerprint), "{}", error.message);
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::Open(_))));
    let close = close_of(&events);
    assert_eq!((close.code, close.was_clean), (1006, false));
}

#[tokio::test]
async fn an_unpinned_ca_certificate_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let server = openssl_style_self_signed("localhost");
    let other = openssl_style_self_signed("localhost");
    let addr = echo_server(&server, None).await;
    let mut config = ConnectionConfig::new(format!("wss://localhost:{}/", addr.port()));
    config.tls.ca_file = Some(write(&dir, "other.pem", &other.cert_pem));
    let error = error_of(&run(config).await);
    assert_eq!(error.category, ErrorCategory::Tls);
    assert!(
        !error.message.contains("CaUsedAsEndEntity") && error.message.contains("--pin-cert"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn an_extension_the_client_did_not_ask_for_fails_the_handshake() {
    let addr = servers::unrequested_deflate().await;
    let mut config = ConnectionConfig::new(format!("ws://{addr}/"));
    // Offered by default; off, the server's acceptance is one nobody asked for.
    config.deflate = sockscope::engine::DeflateSetting::Off;
    let events = run(config).await;
    let error = error_of(&events);
    assert_eq!(error.category, ErrorCategory::Protocol);
    assert!(
        error.message.contains("\"permessage-deflate\"") && error.message.contains("not requested"),
        "{}",
        error.message
    );
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::Open(_))));
    let close = close_of(&events);
    assert_eq!((close.code, close.was_clean), (1006, false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_pins_and_keeps_the_client_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let server = openssl_style_self_signed("localhost");
    let addr = echo_server(&server, None).await;
    let url = format!("wss://localhost:{}/", addr.port());
    let pin = write(&dir, "server.pem", &server.cert_pem);
    let pin = pin.to_str().unwrap();
    for flag in ["--pin-cert", "--ca"] {
        let run = sockscope(&["connect", &url, flag, pin, "--send", "hi", "--wait", "300"]).await;
        assert_eq!(run.status, 0, "{flag}: {:?} {}", run.lines, run.stderr);
        assert_eq!(events(&run)[1], "open", "{flag}");
    }

    let pki = Pki::new();
    let addr = echo_server(&pki.issue(&["localhost"], false), Some(&pki)).await;
    let client = pki.issue(&["sockscope-client"], false);
    let cert = write(&dir, "client.pem", &client.cert_pem);
    let key = write(&dir, "client.key", &client.key_pem);
    let url = format!("wss://localhost:{}/", addr.port());
    let args = [
        "connect",
        &url,
        "--insecure",
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--send",
        "hi",
        "--wait",
        "300",
    ];
    let run = sockscope(&args).await;
    assert_eq!(run.status, 0, "{:?} {}", run.lines, run.stderr);
}

/// SHA-256 as `openssl x509 -fingerprint -sha256` prints it, computed here independently.
fn sha256_colons(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let hex: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    hex.join(":")
}

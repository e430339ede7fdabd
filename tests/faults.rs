//! Misbehaving servers on 127.0.0.1: each fault ends with a clear error and exactly one
//! close event; nothing hangs, nothing panics.

mod support;

use sockscope::engine::{ConnectionConfig, ErrorCategory, Event, EventKind, Initiator};
use support::tls::{Pki, echo_server, write};
use support::{close_of, connect_with, demo, error_of, servers, to_close, until};

async fn run(config: ConnectionConfig) -> Vec<sockscope::engine::Event> {
    let mut handle = connect_with(&config);
    to_close(&mut handle).await
}

#[tokio::test]
async fn self_signed_certificate_is_rejected_by_default() {
    let pki = Pki::new();
    let addr = echo_server(&pki.issue(&["localhost"], false), None).await;
    let events = run(ConnectionConfig::new(format!(
        "wss://localhost:{}/",
        addr.port()
    )))
    .await;
    let error = error_of(&events);
    assert_eq!(error.category, ErrorCategory::Tls);
    assert!(
        error.message.contains("unknown authority"),
        "{}",
        error.message
    );
    let close = close_of(&events);
    assert_eq!((close.code, close.was_clean), (1006, false));
}

#[tokio::test]
async fn the_ca_file_makes_the_certificate_trusted() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let addr = echo_server(&pki.issue(&["localhost"], false), None).await;
    let mut config = ConnectionConfig::new(format!("wss://localhost:{}/", addr.port()));
    config.tls.ca_file = Some(write(&dir, "ca.pem", &pki.ca_pem()));
    let mut handle = connect_with(&config);
    until(&mut handle, "open").await;
    handle.send_text("over TLS").unwrap();
    let events = until(&mut handle, "message").await;
    assert!(
        matches!(&events.last().unwrap().kind, EventKind::Message { payload, .. } if payload.as_text() == Some("over TLS"))
    );
    let echo = until(&mut handle, "message").await;
    assert!(
        matches!(&echo.last().unwrap().kind, EventKind::Message { payload, .. } if payload.as_text() == Some("over TLS"))
    );
    handle.close(1000, "").unwrap();
    assert!(close_of(&to_close(&mut handle).await).was_clean);
}

#[tokio::test]
async fn accept_invalid_certificates_connects_to_a_self_signed_server() {
    let pki = Pki::new();
    let addr = echo_server(&pki.issue(&["localhost"], false), None).await;
    let mut config = ConnectionConfig::new(format!("wss://localhost:{}/", addr.port()));
    config.tls.accept_invalid_certs = true;
    let mut handle = connect_with(&config);
    until(&mut handle, "open").await;
}

#[tokio::test]
async fn wrong_name_and_expired_certificates_are_said_plainly() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let ca = write(&dir, "ca.pem", &pki.ca_pem());
    let cases = [
        (
            pki.issue(&["other.test"], false),
            "not valid for this host name",
        ),
        (pki.issue(&["localhost"], true), "expired"),
    ];
    for (identity, expected) in cases {
        let addr = echo_server(&identity, None).await;
        let mut config = ConnectionConfig::new(format!("wss://localhost:{}/", addr.port()));
        config.tls.ca_file = Some(ca.clone());
        let error = error_of(&run(config).await);
        assert_eq!(error.category, ErrorCategory::Tls);
        assert!(
            error.message.contains(expected),
            "{expected}: {}",
            error.message
        );
    }
}

#[tokio::test]
async fn client_certificates_are_presented_when_the_server_asks() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().unwrap();
    let addr = echo_server(&pki.issue(&["localhost"], false), Some(&pki)).await;
    let url = format!("wss://localhost:{}/", addr.port());
    let mut config = ConnectionConfig::new(&url);
    config.tls.ca_file = Some(write(&dir, "ca.pem", &pki.ca_pem()));
    let without = run(config.clone()).await;
    let error = error_of(&without);
    assert_eq!(error.category, ErrorCategory::Tls, "{error:?}");
    assert!(
        error.message.contains("requires a client certificate"),
        "{}",
        error.message
    );
    assert_eq!(close_of(&without).code, 1006);
    let client = pki.issue(&["sockscope-client"], false);
    config.tls.client_cert = Some(write(&dir, "client.pem", &client.cert_pem));
    config.tls.client_key = Some(write(&dir, "client.key", &client.key_pem));
    let mut handle = connect_with(&config);
    until(&mut handle, "open").await;
}

#[tokio::test]
async fn a_client_certificate_without_its_key_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ConnectionConfig::new("wss://localhost:1/");
    config.tls.client_cert = Some(write(&dir, "client.pem", "x"));
    let error = config.prepare().unwrap_err().to_string();
    assert!(
        error.contains("both the certificate and its private key"),
        "{error}"
    );
}

#[tokio::test]
async fn server_vanishing_mid_message_is_1006_and_nothing_half_arrives() {
    let addr = servers::vanishes_mid_message().await;
    let events = run(ConnectionConfig::new(format!("ws://{addr}/"))).await;
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Message { .. }))
    );
    let close = close_of(&events);
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1006, false, Initiator::None)
    );
}

#[tokio::test]
async fn unauthorized_with_a_body_is_reported_whole() {
    let addr = servers::http_answer(
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nWWW-Authenticate: Bearer\r\n\
         Content-Length: 27\r\nConnection: close\r\n\r\n{\"error\":\"token expired\"}\r\n",
    )
    .await;
    let events = run(ConnectionConfig::new(format!("ws://{addr}/"))).await;
    let error = error_of(&events);
    assert_eq!(error.category, ErrorCategory::Http);
    assert_eq!(error.message, "server answered 401 Unauthorized");
    let http = error.http.expect("the answer");
    assert_eq!(http.status, 401);
    assert!(
        http.headers
            .contains(&("www-authenticate".into(), "Bearer".into()))
    );
    assert!(String::from_utf8_lossy(&http.body).contains("token expired"));
    assert_eq!(close_of(&events).code, 1006);
}

#[tokio::test]
async fn unresolvable_host_is_a_dns_error() {
    let events = run(ConnectionConfig::new("ws://no-such-host.invalid/")).await;
    let error = error_of(&events);
    assert_eq!(error.category, ErrorCategory::Dns, "{error:?}");
    assert!(error.message.contains("no-such-host.invalid"));
    assert_eq!(close_of(&events).code, 1006);
}

#[tokio::test]
async fn connections_tunnel_through_an_http_connect_proxy() {
    use sockscope::engine::proxy::ProxyMode;
    let server = support::demo().await;
    let (proxy, mut targets) = servers::connect_proxy(Some("ada:s3cret")).await;
    let mut config = ConnectionConfig::new(server.url("/echo"));
    config.proxy = ProxyMode::Url(format!("http://ada:s3cret@{proxy}"));
    let mut handle = connect_with(&config);
    until(&mut handle, "open").await;
    handle.send_text("through the tunnel").unwrap();
    until(&mut handle, "message").await;
    let echo = until(&mut handle, "message").await;
    assert!(
        matches!(&echo.last().unwrap().kind, EventKind::Message { payload, .. } if payload.as_text() == Some("through the tunnel"))
    );
    assert_eq!(targets.recv().await, Some(server.addr().to_string()));

    config.proxy = ProxyMode::Url(format!("http://{proxy}"));
    let events = run(config).await;
    let error = error_of(&events);
    assert_eq!(error.category, ErrorCategory::Http);
    assert!(
        error.message.contains("requires authentication (407)"),
        "{}",
        error.message
    );
    assert_eq!(close_of(&events).code, 1006);
}

#[tokio::test]
async fn connections_tunnel_through_a_socks5_proxy() {
    use sockscope::engine::proxy::ProxyMode;
    let server = support::demo().await;
    let port = server.addr().port();
    let (proxy, mut targets) = servers::socks5_proxy(Some(("ada", "s3cret"))).await;
    // socks5h: the proxy resolves the name; socks5: it is resolved here and sent as an address.
    for (scheme, target) in [
        ("socks5h", format!("localhost:{port}")),
        ("socks5", format!("127.0.0.1:{port}")),
    ] {
        let mut config = ConnectionConfig::new(format!("ws://localhost:{port}/echo"));
        config.proxy = ProxyMode::Url(format!("{scheme}://ada:s3cret@{proxy}"));
        let mut handle = connect_with(&config);
        until(&mut handle, "open").await;
        handle.send_text("through SOCKS").unwrap();
        until(&mut handle, "message").await;
        let echo = until(&mut handle, "message").await;
        assert!(
            matches!(&echo.last().unwrap().kind, EventKind::Message { payload, .. } if payload.as_text() == Some("through SOCKS")),
            "{scheme}"
        );
        assert_eq!(targets.recv().await, Some(target), "{scheme}");
    }

    let mut config = ConnectionConfig::new(server.url("/echo"));
    config.proxy = ProxyMode::Url(format!("socks5://ada:wrong@{proxy}"));
    let events = run(config.clone()).await;
    let error = error_of(&events);
    assert_eq!(error.category, ErrorCategory::Http);
    assert!(
        error
            .message
            .contains("refused us: it refused the username and password"),
        "{}",
        error.message
    );
    assert_eq!(close_of(&events).code, 1006);

    config.proxy = ProxyMode::Url(format!("socks5://{proxy}"));
    let error = error_of(&run(config).await);
    assert!(
        error.message.contains("requires a username and password"),
        "{}",
        error.message
    );
}

/// A flood far above a tab's memory budget: every message gets its row, payloads stop being
/// kept at the budget, and what was not kept is counted to the byte.
#[tokio::test]
async fn a_flood_above_the_memory_budget_is_counted_not_kept() {
    use sockscope::model::stats::Stats;
    use sockscope::model::timeline::Timeline;

    const COUNT: u64 = 3000;
    const SIZE: usize = 1000;
    const BUDGET: usize = 1 << 20;
    let server = demo().await;
    // Uncompressed: a compressed message's wire bytes would count in the budget too.
    let mut config = ConnectionConfig::new(server.url(&format!("/flood?n={COUNT}&size={SIZE}")));
    config.deflate = sockscope::engine::DeflateSetting::Off;
    let mut handle = connect_with(&config);
    let events = to_close(&mut handle).await;
    // Strings count in the budget too: the URL, the handshake's headers, the close reason.
    let is_message = |e: &&Event| matches!(e.kind, EventKind::Message { .. });
    let strings: usize = events
        .iter()
        .filter(|e| !is_message(e))
        .map(|e| e.kind.heap_bytes())
        .sum();
    let strings_first: usize = events
        .iter()
        .take_while(|e| !is_message(e))
        .map(|e| e.kind.heap_bytes())
        .sum();
    let mut timeline = Timeline::default();
    timeline.set_memory_budget(BUDGET);
    for event in events {
        timeline.push(1, event);
    }
    let messages = timeline
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Message { .. }))
        .count();
    assert_eq!(messages as u64, COUNT, "every message has its row");
    let kept = COUNT - timeline.not_kept().messages;
    assert_eq!(
        kept,
        ((BUDGET - strings_first) / SIZE) as u64,
        "payloads are kept up to the budget"
    );
    assert_eq!(timeline.kept_bytes(), kept as usize * SIZE + strings);
    assert_eq!(timeline.not_kept().bytes, (COUNT - kept) * SIZE as u64);
    let last = timeline.len() - 2;
    assert_eq!(
        timeline.not_kept_len(last),
        Some(SIZE),
        "the last message's size is known"
    );
    let mut stats = Stats::default();
    stats.update(&timeline);
    assert_eq!(stats.total.msgs_in, COUNT);
    assert_eq!(
        stats.total.bytes_in,
        COUNT * SIZE as u64,
        "statistics count what arrived"
    );
    let close = close_of(
        &timeline
            .to_entries()
            .into_iter()
            .map(|e| e.event)
            .collect::<Vec<_>>(),
    );
    assert_eq!((close.code, close.reason.as_str()), (1000, "flood done"));
}

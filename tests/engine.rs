//! The engine against real servers on 127.0.0.1: each way a connection opens, carries
//! messages and ends, with the browser's close semantics.

mod support;

use std::time::Duration;

use bytes::Bytes;
use sockscope::engine::{
    ConnectionConfig, Direction, ErrorCategory, EventKind, HeaderEntry, Initiator, Payload,
    ReadyState, SendError,
};
use support::{
    close_of, connect, connect_with, demo, error_of, kinds, next, servers, to_close, until,
};

fn messages(events: &[sockscope::engine::Event], dir: Direction) -> Vec<Payload> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Message { dir: d, payload } if *d == dir => Some(payload.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn echoes_text_and_binary_then_closes_cleanly_from_the_client() {
    let server = demo().await;
    let mut handle = connect(&server.url("/echo"));
    let opened = until(&mut handle, "open").await;
    assert_eq!(kinds(&opened), ["connecting", "open"]);
    assert_eq!(handle.ready_state(), ReadyState::Open);
    handle.send_text("hello").unwrap();
    handle
        .send_binary(Bytes::from_static(&[10, 11, 12]))
        .unwrap();
    let mut events = until(&mut handle, "message").await;
    while messages(&events, Direction::In).len() < 2 {
        events.push(next(&mut handle).await);
    }
    assert_eq!(
        messages(&events, Direction::Out),
        [
            Payload::Text("hello".into()),
            Payload::Binary(Bytes::from_static(&[10, 11, 12]))
        ]
    );
    assert_eq!(
        messages(&events, Direction::In),
        [
            Payload::Text("hello".into()),
            Payload::Binary(Bytes::from_static(&[10, 11, 12]))
        ]
    );
    handle.close(1000, "bye").unwrap();
    assert_eq!(
        handle.ready_state(),
        ReadyState::Open,
        "CLOSING is set by the task"
    );
    let events = to_close(&mut handle).await;
    let close = close_of(&events);
    assert_eq!((close.code, close.reason.as_str()), (1000, "bye"));
    assert!(close.was_clean);
    assert_eq!(close.initiator, Initiator::Client);
    assert!(close.closing_handshake.is_some());
    assert_eq!(handle.ready_state(), ReadyState::Closed);
}

#[tokio::test]
async fn open_reports_request_and_response_headers_and_subprotocol() {
    let server = demo().await;
    let mut config = ConnectionConfig::new(server.url("/headers"));
    config.headers.push(HeaderEntry::new("X-Api-Key", "k-123"));
    config.subprotocols = vec!["chat.v1".into(), "chat.v2".into()];
    let mut handle = connect_with(&config);
    let events = until(&mut handle, "message").await;
    let EventKind::Open(open) = &events[1].kind else {
        panic!("second event is open: {events:#?}")
    };
    assert_eq!(open.status, 101);
    assert!(
        open.request_headers
            .contains(&("x-api-key".into(), "k-123".into()))
    );
    assert!(
        open.response_headers
            .iter()
            .any(|(n, v)| n == "upgrade" && v.eq_ignore_ascii_case("websocket"))
    );
    let Some(EventKind::Message { payload, .. }) = events.last().map(|e| &e.kind) else {
        panic!("a message")
    };
    let seen: serde_json::Value = serde_json::from_str(payload.as_text().unwrap()).unwrap();
    assert_eq!(seen["headers"]["x-api-key"], "k-123");
    assert_eq!(
        seen["subprotocols"],
        serde_json::json!(["chat.v1", "chat.v2"])
    );
}

#[tokio::test]
async fn selected_subprotocol_is_reported() {
    let server = demo().await;
    let mut config = ConnectionConfig::new(server.url("/subproto"));
    config.subprotocols = vec!["chat.v1".into(), "chat.v2".into()];
    let mut handle = connect_with(&config);
    let events = until(&mut handle, "open").await;
    let EventKind::Open(open) = &events[1].kind else {
        panic!()
    };
    assert_eq!(open.subprotocol.as_deref(), Some("chat.v2"));
}

#[tokio::test]
async fn server_close_with_code_and_reason_is_clean_and_server_initiated() {
    let server = demo().await;
    let mut handle = connect(&server.url("/close/4001?reason=going%20now"));
    let events = to_close(&mut handle).await;
    let close = close_of(&events);
    assert_eq!((close.code, close.reason.as_str()), (4001, "going now"));
    assert!(close.was_clean);
    assert_eq!(close.initiator, Initiator::Server);
}

#[tokio::test]
async fn close_frame_without_code_is_1005() {
    let server = demo().await;
    let mut handle = connect(&server.url("/close/none"));
    let close = close_of(&to_close(&mut handle).await);
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1005, true, Initiator::Server)
    );
}

#[tokio::test]
async fn tcp_drop_without_close_frame_is_1006_with_no_initiator() {
    let server = demo().await;
    let mut handle = connect(&server.url("/drop"));
    let events = to_close(&mut handle).await;
    assert_eq!(messages(&events, Direction::In).len(), 1);
    let close = close_of(&events);
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1006, false, Initiator::None)
    );
}

#[tokio::test]
async fn peer_that_never_answers_the_close_ends_1006_after_the_close_timeout() {
    let server = demo().await;
    let mut config = ConnectionConfig::new(server.url("/evil/ignore-close"));
    config.close_timeout = Duration::from_millis(300);
    let mut handle = connect_with(&config);
    until(&mut handle, "open").await;
    handle.close(1000, "").unwrap();
    let events = to_close(&mut handle).await;
    let close = close_of(&events);
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1006, false, Initiator::Client)
    );
    assert_eq!(error_of(&events).category, ErrorCategory::Timeout);
    assert!(close.closing_handshake.unwrap() >= Duration::from_millis(300));
}

#[tokio::test]
async fn invalid_utf8_fails_the_connection_with_1007() {
    let server = demo().await;
    let mut handle = connect(&server.url("/evil/invalid-utf8"));
    let events = to_close(&mut handle).await;
    let close = close_of(&events);
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1007, false, Initiator::Client)
    );
    assert!(close.reason.contains("UTF-8"), "{}", close.reason);
    assert_eq!(error_of(&events).category, ErrorCategory::Protocol);
}

#[tokio::test]
async fn oversized_message_fails_the_connection_with_1009() {
    let server = demo().await;
    let mut config = ConnectionConfig::new(server.url("/flood?n=1&size=5000"));
    config.max_message_size = 1000;
    // Uncompressed, the size is in the frame header (compressed: tests/deflate_servers.rs).
    config.deflate = sockscope::engine::DeflateSetting::Off;
    let mut handle = connect_with(&config);
    let events = to_close(&mut handle).await;
    let close = close_of(&events);
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1009, false, Initiator::Client)
    );
    assert!(
        close.reason.contains("5000") && close.reason.contains("1000"),
        "{}",
        close.reason
    );
    assert!(messages(&events, Direction::In).is_empty());
}

#[tokio::test]
async fn forbidden_close_code_from_the_server_is_a_protocol_violation() {
    let server = demo().await;
    for code in [1005, 1006, 999] {
        let mut handle = connect(&server.url(&format!("/close/{code}")));
        let events = to_close(&mut handle).await;
        let close = close_of(&events);
        assert_eq!(
            (close.code, close.was_clean, close.initiator),
            (1002, false, Initiator::Client),
            "server sent {code}"
        );
        assert_eq!(error_of(&events).category, ErrorCategory::Protocol);
    }
}

#[tokio::test]
async fn rejected_handshake_is_an_http_error_then_1006() {
    let server = demo().await;
    let mut handle = connect(&server.url("/no-such-path"));
    let events = to_close(&mut handle).await;
    assert_eq!(kinds(&events), ["connecting", "error", "close"]);
    let error = error_of(&events);
    assert_eq!(error.category, ErrorCategory::Http);
    assert!(error.message.contains("404"), "{}", error.message);
    let http = error.http.expect("the server's answer");
    assert_eq!(http.status, 404);
    assert!(String::from_utf8_lossy(&http.body).contains("/no-such-path"));
    let close = close_of(&events);
    assert_eq!((close.code, close.was_clean), (1006, false));
}

#[tokio::test]
async fn refused_port_is_a_refused_error_then_1006() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut handle = connect(&format!("ws://127.0.0.1:{port}/"));
    let events = to_close(&mut handle).await;
    assert_eq!(error_of(&events).category, ErrorCategory::Refused);
    let close = close_of(&events);
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1006, false, Initiator::None)
    );
}

#[tokio::test]
async fn handshake_timeout_is_a_timeout_error_then_1006() {
    let addr = servers::silent().await;
    let mut config = ConnectionConfig::new(format!("ws://{addr}/"));
    config.handshake_timeout = Duration::from_millis(200);
    let mut handle = connect_with(&config);
    let events = to_close(&mut handle).await;
    let error = error_of(&events);
    assert_eq!(error.category, ErrorCategory::Timeout);
    assert!(error.message.contains("200 ms"), "{}", error.message);
    assert_eq!(close_of(&events).code, 1006);
}

#[tokio::test]
async fn unoffered_subprotocol_fails_the_handshake() {
    let addr = servers::unoffered_subprotocol().await;
    let mut config = ConnectionConfig::new(format!("ws://{addr}/"));
    config.subprotocols = vec!["chat.v1".into()];
    let mut handle = connect_with(&config);
    let events = to_close(&mut handle).await;
    assert_eq!(error_of(&events).category, ErrorCategory::Protocol);
    assert_eq!(close_of(&events).code, 1006);
    assert_eq!(kinds(&events), ["connecting", "error", "close"]);
}

#[tokio::test]
async fn bad_accept_key_fails_the_handshake() {
    let addr = servers::raw_http(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: bm90IHRoZSByaWdodCBrZXk=\r\n\r\n",
    )
    .await;
    let mut handle = connect(&format!("ws://{addr}/"));
    let events = to_close(&mut handle).await;
    let error = error_of(&events);
    assert_eq!(error.category, ErrorCategory::Protocol);
    assert!(
        error.message.to_lowercase().contains("accept"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn sending_when_not_open_is_refused_with_the_state() {
    let addr = servers::silent().await;
    let mut handle = connect(&format!("ws://{addr}/"));
    until(&mut handle, "connecting").await;
    assert_eq!(
        handle.send_text("too early"),
        Err(SendError::NotOpen(ReadyState::Connecting))
    );
    assert_eq!(
        handle.send_text("too early").unwrap_err().to_string(),
        "not sent: the connection is CONNECTING"
    );
    // close() while CONNECTING abandons the attempt, as a browser does.
    handle.close(1000, "").unwrap();
    let close = close_of(&to_close(&mut handle).await);
    assert_eq!((close.code, close.initiator), (1006, Initiator::Client));
    assert_eq!(
        handle.send_text("too late"),
        Err(SendError::NotOpen(ReadyState::Closed))
    );
}

#[tokio::test]
async fn forbidden_close_codes_and_long_payloads_are_refused_locally() {
    let server = demo().await;
    let mut handle = connect(&server.url("/echo"));
    until(&mut handle, "open").await;
    for code in [999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
        let error = handle.close(code, "").unwrap_err();
        assert!(
            matches!(error, SendError::ForbiddenCloseCode(_)),
            "{code}: {error}"
        );
    }
    assert_eq!(
        handle.close(1000, &"r".repeat(124)),
        Err(SendError::ReasonTooLong(124))
    );
    assert_eq!(
        handle.ping(vec![0u8; 126]),
        Err(SendError::ControlPayloadTooLong(126))
    );
    assert_eq!(
        handle.ready_state(),
        ReadyState::Open,
        "refusals change nothing"
    );
    handle.close(4000, "private").unwrap();
    let close = close_of(&to_close(&mut handle).await);
    assert_eq!(
        (close.code, close.reason.as_str(), close.was_clean),
        (4000, "private", true)
    );
}

#[tokio::test]
async fn pings_are_answered_and_reported_both_ways() {
    let server = demo().await;
    let mut handle = connect(&server.url("/ping"));
    let events = until(&mut handle, "ping").await;
    let EventKind::Ping { dir, payload } = &events.last().unwrap().kind else {
        panic!()
    };
    assert_eq!((*dir, payload.as_ref()), (Direction::In, b"1".as_ref()));
    let EventKind::Pong { dir, payload, auto } = &next(&mut handle).await.kind else {
        panic!("an automatic pong follows the ping")
    };
    assert_eq!(
        (*dir, payload.as_ref(), *auto),
        (Direction::Out, b"1".as_ref(), true)
    );
    handle.ping(Bytes::from_static(b"abc")).unwrap();
    let events = until(&mut handle, "pong").await;
    let pong_in = events.iter().any(|e| {
        matches!(&e.kind, EventKind::Pong { dir: Direction::In, payload, .. } if payload.as_ref() == b"abc")
    });
    let pong_in = pong_in || {
        let more = until(&mut handle, "pong").await;
        more.iter().any(|e| {
            matches!(
                &e.kind,
                EventKind::Pong {
                    dir: Direction::In,
                    ..
                }
            )
        })
    };
    assert!(pong_in, "the server answers our ping");
}

#[tokio::test]
async fn abort_drops_without_a_close_frame() {
    let server = demo().await;
    let mut handle = connect(&server.url("/echo"));
    until(&mut handle, "open").await;
    handle.abort();
    let close = close_of(&to_close(&mut handle).await);
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1006, false, Initiator::Client)
    );
}

#[tokio::test]
async fn messages_leave_in_order_and_a_flood_arrives_whole() {
    let server = demo().await;
    let mut handle = connect(&server.url("/echo"));
    until(&mut handle, "open").await;
    for i in 0..500 {
        handle.send_text(format!("m{i}")).unwrap();
    }
    handle.close(1000, "").unwrap();
    let events = to_close(&mut handle).await;
    let expected: Vec<Payload> = (0..500)
        .map(|i| Payload::Text(format!("m{i}").into()))
        .collect();
    assert_eq!(messages(&events, Direction::Out), expected);
    assert_eq!(messages(&events, Direction::In), expected);

    let mut handle = connect(&server.url("/flood?n=20000&size=100"));
    let events = to_close(&mut handle).await;
    let received = messages(&events, Direction::In);
    assert_eq!(received.len(), 20000);
    assert!(received.iter().all(|p| p.len() == 100));
    assert_eq!(close_of(&events).code, 1000);
}

#[tokio::test]
async fn dropping_the_handle_closes_cleanly_with_going_away() {
    let (addr, seen) = servers::close_recorder().await;
    let mut handle = connect(&format!("ws://{addr}/"));
    until(&mut handle, "open").await;
    drop(handle);
    let frame = tokio::time::timeout(Duration::from_secs(10), seen)
        .await
        .expect("the server sees the end within 10 s")
        .expect("recorded");
    assert_eq!(frame, Some(1001), "a close frame with 1001 Going Away");
}

#[tokio::test]
async fn keepalive_pings_are_answered_by_a_live_server() {
    use sockscope::engine::Keepalive;
    let server = demo().await;
    let mut config = ConnectionConfig::new(server.url("/echo"));
    config.keepalive = Some(Keepalive {
        interval: Duration::from_millis(50),
        pong_timeout: Duration::from_secs(2),
        ..Keepalive::default()
    });
    let mut handle = connect_with(&config);
    let events = until(&mut handle, "pong").await;
    let ping = events.iter().find_map(|e| match &e.kind {
        EventKind::Ping {
            dir: Direction::Out,
            payload,
        } => Some(payload.clone()),
        _ => None,
    });
    assert_eq!(ping.as_deref(), Some(b"keepalive-1".as_ref()));
    let EventKind::Pong { dir, payload, .. } = &events.last().unwrap().kind else {
        panic!()
    };
    assert_eq!(
        (*dir, payload.as_ref()),
        (Direction::In, b"keepalive-1".as_ref())
    );
    handle.close(1000, "").unwrap();
    let events = to_close(&mut handle).await;
    assert!(close_of(&events).was_clean);
    assert!(
        !events.iter().any(|e| matches!(e.kind, EventKind::Error(_))),
        "no missed pong"
    );
}

#[tokio::test]
async fn a_missing_keepalive_pong_warns_or_closes() {
    use sockscope::engine::{Keepalive, MissingPong};
    let addr = servers::deaf().await;
    let mut config = ConnectionConfig::new(format!("ws://{addr}/"));
    config.close_timeout = Duration::from_millis(200);
    config.keepalive = Some(Keepalive {
        interval: Duration::from_millis(50),
        pong_timeout: Duration::from_millis(100),
        on_missing_pong: MissingPong::Warn,
    });
    let mut handle = connect_with(&config);
    let events = until(&mut handle, "error").await;
    let error = error_of(&events);
    assert_eq!(error.category, ErrorCategory::Timeout);
    assert!(
        error.message.contains("no pong within 100 ms"),
        "{}",
        error.message
    );
    assert_eq!(
        handle.ready_state(),
        ReadyState::Open,
        "a warning keeps the connection"
    );
    handle.abort();
    to_close(&mut handle).await;

    config.keepalive = Some(Keepalive {
        on_missing_pong: MissingPong::Close,
        ..config.keepalive.clone().unwrap()
    });
    let mut handle = connect_with(&config);
    let events = to_close(&mut handle).await;
    assert_eq!(error_of(&events).category, ErrorCategory::Timeout);
    let close = close_of(&events);
    // The deaf server never answers our close either: the close timeout drops TCP.
    assert_eq!(
        (close.code, close.was_clean, close.initiator),
        (1006, false, Initiator::Client)
    );
}

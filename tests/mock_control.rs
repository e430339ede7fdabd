//! The mock server driven by hand (the Server tab's engine side), against tokio-tungstenite
//! clients: send to one client or all, close with any code and reason, drop abruptly, stop
//! reading, and answer the next handshake with a chosen status, headers and body or a
//! chosen subprotocol.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sockscope::engine::Payload;
use sockscope::mock::control::{ClientCommand, HandshakeAnswer};
use sockscope::mock::rules::Rules;
use sockscope::mock::{self, MockConfig, MockServer};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn server() -> MockServer {
    let (events, mut taken) = mpsc::channel(256);
    // The events are taken and forgotten (a slow taker would hold the server back).
    tokio::spawn(async move { while taken.recv().await.is_some() {} });
    let config = MockConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        rules: Rules::default(),
        tls: None,
    };
    mock::start(config, events)
        .await
        .expect("the server starts")
}

/// Waits until `count` clients are registered; their numbers.
async fn clients(server: &MockServer, count: usize) -> Vec<u64> {
    for _ in 0..500 {
        let clients = server.control().clients();
        if clients.len() == count {
            return clients;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{count} clients did not connect");
}

async fn next_text<S>(ws: &mut S) -> String
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return text.to_string(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no text: {other:?}"),
        }
    }
}

#[tokio::test]
async fn one_client_or_all_get_messages_and_a_close_with_any_code_or_a_drop() {
    let server = server().await;
    let url = format!("ws://{}/room", server.addr());
    let (mut a, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let (mut b, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let ids = clients(&server, 2).await;
    let control = server.control();
    control
        .command(ids[0], ClientCommand::Send(Payload::Text("to a".into())))
        .unwrap();
    assert_eq!(next_text(&mut a).await, "to a");
    assert_eq!(control.send_all(&Payload::Text("to all".into())), 2);
    assert_eq!(next_text(&mut a).await, "to all");
    assert_eq!(next_text(&mut b).await, "to all");
    control
        .command(ids[0], ClientCommand::Close(4001, "bye now".into()))
        .unwrap();
    let close = loop {
        match a.next().await {
            Some(Ok(Message::Close(frame))) => break frame.expect("a close frame"),
            Some(Ok(_)) => continue,
            other => panic!("no close: {other:?}"),
        }
    };
    assert_eq!(
        (u16::from(close.code), close.reason.as_str()),
        (4001, "bye now")
    );
    control.command(ids[1], ClientCommand::Drop).unwrap();
    // Dropped: the stream ends with no close frame.
    let end = loop {
        match b.next().await {
            Some(Ok(Message::Close(_))) => panic!("a close frame came"),
            Some(Ok(_)) => continue,
            other => break other,
        }
    };
    assert!(!matches!(end, Some(Ok(_))), "{end:?}");
}

#[tokio::test]
async fn a_client_that_is_not_read_fills_its_socket_and_is_read_again_later() {
    let server = server().await;
    let url = format!("ws://{}/", server.addr());
    let (ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let id = clients(&server, 1).await[0];
    server
        .control()
        .command(id, ClientCommand::StopReading(true))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (mut sink, mut stream) = ws.split();
    // 64 MiB in 1 MiB messages cannot all go while nobody reads: the sends block.
    let chunk = vec![7u8; 1 << 20];
    let mut sent = 0;
    let blocked = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            sink.send(Message::Binary(chunk.clone().into()))
                .await
                .unwrap();
            sent += 1;
            if sent == 64 {
                break;
            }
        }
    })
    .await
    .is_err();
    assert!(blocked, "all {sent} MiB went while the server did not read");
    server
        .control()
        .command(id, ClientCommand::StopReading(false))
        .unwrap();
    server
        .control()
        .command(id, ClientCommand::Send(Payload::Text("read again".into())))
        .unwrap();
    assert_eq!(next_text(&mut stream).await, "read again");
}

#[tokio::test]
async fn the_next_handshake_is_refused_with_a_status_headers_and_body_or_gets_a_subprotocol() {
    let server = server().await;
    let url = format!("ws://{}/", server.addr());
    server.control().answer_next(Some(HandshakeAnswer {
        status: Some(401),
        headers: vec![("WWW-Authenticate".into(), "Bearer".into())],
        body: "log in first".into(),
        subprotocol: None,
    }));
    let refused = tokio_tungstenite::connect_async(&url).await.unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(response) = refused else {
        panic!("not an HTTP refusal: {refused}");
    };
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(response.body().as_deref(), Some(&b"log in first"[..]));
    // Once: the handshake after it is accepted as the rules say.
    assert!(tokio_tungstenite::connect_async(&url).await.is_ok());
    server.control().answer_next(Some(HandshakeAnswer {
        subprotocol: Some("chat.v9".into()),
        ..HandshakeAnswer::default()
    }));
    let mut request = url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "chat.v9".parse().unwrap());
    let (_, answer) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(answer.headers()["sec-websocket-protocol"], "chat.v9");
}

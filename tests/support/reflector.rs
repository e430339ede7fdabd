//! A hostile server on 127.0.0.1 that reflects the client's credentials everywhere it can:
//! the tests of redaction connect to it with a token and check that the token appears in
//! nothing Sockscope writes out. (Included with `#[path]` by the tests that use it.)

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The credential the tests send.
pub const TOKEN: &str = "s3cr3t-T0KEN-4242";

/// The Authorization header value the tests send.
pub const AUTHORIZATION: &str = "Bearer s3cr3t-T0KEN-4242";

/// What the server sends in its binary message: the Authorization value it saw, between
/// a few bytes that are not text.
pub fn binary_with(seen: &str) -> Vec<u8> {
    let mut bytes = vec![0x00, 0x01];
    bytes.extend_from_slice(seen.as_bytes());
    bytes.push(0xff);
    bytes
}

/// Serves, on every path, what reflects the request's Authorization header (or the value
/// of `X-Echo` when there is none):
/// - `/refuse`: refuses the upgrade with 401, the value in a header and in the body;
/// - `/sse`: (plain HTTP) one Server-Sent Event with the value as its id and in its data;
/// - anything else: a WebSocket that sends `you sent VALUE` as text and [`binary_with`] as
///   binary, echoes what it receives, and 300 ms after the last message closes with 4000
///   and the reason `bye VALUE` (cut to fit).
pub async fn reflector() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve(socket));
        }
    });
    addr
}

async fn serve(mut socket: TcpStream) {
    let mut buf = vec![0u8; 8192];
    let head = loop {
        let Ok(n) = socket.peek(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        if let Some(end) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
            break String::from_utf8_lossy(&buf[..end + 4]).into_owned();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let header = |wanted: &str| {
        head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case(wanted)
                .then(|| value.trim().to_owned())
        })
    };
    let seen = header("authorization")
        .or_else(|| header("x-echo"))
        .unwrap_or_else(|| "nothing".into());
    if path.starts_with("/refuse") || path.starts_with("/sse") {
        let mut consumed = vec![0u8; head.len()];
        if socket.read_exact(&mut consumed).await.is_err() {
            return;
        }
        let answer = if path.starts_with("/refuse") {
            let body = format!("you sent {seen}");
            format!(
                "HTTP/1.1 401 Unauthorized\r\nx-seen: {seen}\r\nset-cookie: sid={TOKEN}\r\n\
                 content-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
        } else {
            let credential = seen.rsplit(' ').next().unwrap_or_default();
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n\
                 id: {credential}\ndata: you sent {seen}\n\n"
            )
        };
        let _ = socket.write_all(answer.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        return;
    }
    let Ok(mut ws) = tokio_tungstenite::accept_async(socket).await else {
        return;
    };
    let _ = ws.send(Message::text(format!("you sent {seen}"))).await;
    let _ = ws.send(Message::binary(binary_with(&seen))).await;
    loop {
        match tokio::time::timeout(Duration::from_millis(300), ws.next()).await {
            Ok(Some(Ok(message))) if message.is_text() || message.is_binary() => {
                let _ = ws.send(message).await;
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return,
            Ok(Some(Ok(_))) => {}
            Err(_) => break,
        }
    }
    let mut reason = format!("bye {seen}");
    reason.truncate(120);
    let _ = ws
        .close(Some(CloseFrame {
            code: CloseCode::from(4000),
            reason: reason.into(),
        }))
        .await;
    while let Some(Ok(_)) = ws.next().await {}
}

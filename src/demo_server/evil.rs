//! Misbehaving scenarios under `/evil/`, for checking how a client copes.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Bytes, Message};

use super::closing::{CLOSE_REPLY_TIMEOUT, wait_for_close};
use super::{Ws, WsResult};

/// "Hi" followed by two bytes that never occur in UTF-8.
const INVALID_UTF8: &[u8] = &[0x48, 0x69, 0xff, 0xfe];

/// How long `/evil/ignore-close` holds the connection after the client's close frame.
const HOLD_AFTER_CLOSE: Duration = Duration::from_secs(60);

/// `/evil/invalid-utf8`: one final TEXT frame whose payload is not UTF-8, then keep reading
/// (so the client's close, normally 1007, is received and answered) for up to 5 s.
pub async fn invalid_utf8(ws: &mut Ws) -> WsResult {
    let frame = Frame::message(
        Bytes::from_static(INVALID_UTF8),
        OpCode::Data(Data::Text),
        true,
    );
    ws.send(Message::Frame(frame)).await?;
    wait_for_close(ws, CLOSE_REPLY_TIMEOUT).await;
    // If the client's close arrived, send tungstenite's queued reply.
    let _ = ws.flush().await;
    Ok(())
}

/// `/evil/ignore-close`: echo, but once a close frame arrives stop reading and writing
/// entirely and hold the TCP connection open for 60 s, so the close is never answered.
pub async fn ignore_close(ws: &mut Ws) -> WsResult {
    while let Some(incoming) = ws.next().await {
        match incoming? {
            message @ (Message::Text(_) | Message::Binary(_)) => {
                super::fragments::send(ws, message).await?;
            }
            Message::Close(_) => {
                // tungstenite has queued a close reply; it goes out only when the socket is
                // read, written or flushed again, so leave the socket alone.
                tokio::time::sleep(HOLD_AFTER_CLOSE).await;
                return Ok(());
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
    Ok(())
}

//! Ways a connection ends: the server's closing handshake (`/close/...`, and the end of
//! `/json?count=N` and `/flood`), answering the client's close, and `/drop`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::{Ws, WsResult};

/// How long `/close/...` waits for a client message before closing anyway.
const CLOSE_DELAY: Duration = Duration::from_millis(200);

/// How long the server waits for the client's reply to its close frame.
pub const CLOSE_REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// A close frame with `code` sent exactly as given (no validity check) and `reason`.
pub fn frame(code: u16, reason: impl Into<String>) -> CloseFrame {
    CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into().into(),
    }
}

/// `/close/CODE?reason=R` and `/close/none`: close after the client's first message or
/// after 200 ms, whichever comes first.
pub async fn close(ws: &mut Ws, code: Option<u16>, reason: String) -> WsResult {
    let delay = tokio::time::sleep(CLOSE_DELAY);
    tokio::pin!(delay);
    loop {
        tokio::select! {
            () = &mut delay => break,
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(_) | Message::Binary(_))) => break,
                Some(Ok(Message::Close(_))) => return answer_close(ws).await,
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err),
                None => return Ok(()),
            },
        }
    }
    close_and_wait(ws, code.map(|code| frame(code, reason))).await
}

/// Sends a close frame (`None`: an empty payload), then reads until the client's close
/// reply arrives, the stream ends, or [`CLOSE_REPLY_TIMEOUT`] passes.
pub async fn close_and_wait(ws: &mut Ws, frame: Option<CloseFrame>) -> WsResult {
    ws.send(Message::Close(frame)).await?;
    wait_for_close(ws, CLOSE_REPLY_TIMEOUT).await;
    Ok(())
}

/// Reads (and discards) messages until a close frame arrives, the stream ends, an error
/// occurs, or `limit` passes. Reading also sends tungstenite's automatic replies.
pub async fn wait_for_close(ws: &mut Ws, limit: Duration) {
    let _ = tokio::time::timeout(limit, async {
        while let Some(incoming) = ws.next().await {
            match incoming {
                Ok(Message::Close(_)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
}

/// After the client's close frame was read: send the queued close reply. On the server
/// side tungstenite ends the connection once the reply is written, so the flush reports
/// completion rather than an error.
pub async fn answer_close(ws: &mut Ws) -> WsResult {
    ws.flush().await
}

/// `/drop`: one text message, then the TCP connection ends without a close frame.
pub async fn drop_connection(mut ws: Ws) -> WsResult {
    ws.send(Message::text("about to drop")).await?;
    // Send FIN rather than waiting for the drop, and never a close frame.
    let _ = ws.get_mut().shutdown().await;
    drop(ws);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_unchanged() {
        for code in [
            0, 999, 1000, 1004, 1005, 1006, 1014, 1015, 2999, 4001, 5000, 65535,
        ] {
            assert_eq!(u16::from(frame(code, "").code), code);
        }
    }
}

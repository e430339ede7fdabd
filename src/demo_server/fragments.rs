//! Sending big messages in fragments: tungstenite copies a whole frame into its write
//! buffer, so a 63 MiB message to a client that does not read would sit in memory twice
//! (the message and the buffer) for as long as the client lingers. A message sent as
//! fragments of [`FRAGMENT`] bytes, each written out before the next is made, costs about
//! one fragment however big it is and however slowly it is read.

use bytes::Bytes;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use super::payload::FRAGMENT;
use super::{Ws, WsResult};

/// Sends one text or binary message (`kind`) made of `pieces` in order, each piece one
/// frame written out (flushed) before the next piece is asked for. No pieces sends an empty
/// message.
pub async fn send_pieces(ws: &mut Ws, kind: Data, pieces: impl Iterator<Item = Bytes>) -> WsResult {
    let mut pieces = pieces.peekable();
    let mut opcode = OpCode::Data(kind);
    loop {
        let piece = pieces.next().unwrap_or_default();
        let last = pieces.peek().is_none();
        ws.send(Message::Frame(Frame::message(piece, opcode, last)))
            .await?;
        if last {
            return Ok(());
        }
        opcode = OpCode::Data(Data::Continue);
    }
}

/// Queues `message` like `feed` when it is small; a text or binary message bigger than
/// [`FRAGMENT`] is sent at once in fragments that are slices of its own bytes (no copy).
pub async fn feed(ws: &mut Ws, message: Message) -> WsResult {
    let (kind, bytes) = match message {
        Message::Text(text) if text.len() > FRAGMENT => (Data::Text, Bytes::from(text)),
        Message::Binary(bytes) if bytes.len() > FRAGMENT => (Data::Binary, bytes),
        small => return ws.feed(small).await,
    };
    send_pieces(ws, kind, slices(bytes)).await
}

/// Sends `message` at once (see [`feed`]).
pub async fn send(ws: &mut Ws, message: Message) -> WsResult {
    feed(ws, message).await?;
    ws.flush().await
}

/// `bytes` in slices of [`FRAGMENT`] bytes, sharing its buffer.
fn slices(bytes: Bytes) -> impl Iterator<Item = Bytes> {
    (0..bytes.len())
        .step_by(FRAGMENT)
        .map(move |start| bytes.slice(start..(start + FRAGMENT).min(bytes.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_the_bytes_in_order() {
        let bytes = Bytes::from(vec![7u8; FRAGMENT * 2 + 5]);
        let lens: Vec<usize> = slices(bytes).map(|s| s.len()).collect();
        assert_eq!(lens, [FRAGMENT, FRAGMENT, 5]);
    }
}

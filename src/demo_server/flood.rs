//! `/flood`: many text messages as fast as the connection takes them.

use bytes::Bytes;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::Data;

use super::closing::{close_and_wait, frame};
use super::{Ws, WsResult, fragments, payload};

/// Messages queued between explicit flushes. tungstenite also writes out on its own when
/// its write buffer fills, so this only bounds how long a message can sit in the buffer.
const FLUSH_EVERY: u64 = 256;

/// Sends `count` text messages of exactly `size` bytes (see [`payload::flood_message`]),
/// feeding them without a flush per message, then closes 1000 "flood done". Messages
/// bigger than a fragment are made and sent a fragment at a time.
pub async fn flood(ws: &mut Ws, count: u64, size: usize) -> WsResult {
    for index in 0..count {
        if size > payload::FRAGMENT {
            let pieces = payload::flood_pieces(index, size).map(Bytes::from);
            fragments::send_pieces(ws, Data::Text, pieces).await?;
            continue;
        }
        ws.feed(Message::text(payload::flood_message(index, size)))
            .await?;
        if index % FLUSH_EVERY == FLUSH_EVERY - 1 {
            ws.flush().await?;
        }
    }
    ws.flush().await?;
    close_and_wait(ws, Some(frame(1000, "flood done"))).await
}

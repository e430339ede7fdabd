//! What a handle asks its connection's task to do.

use bytes::Bytes;

/// A request from a [`super::ConnectionHandle`] to its task. Sends are queued in order.
#[derive(Clone, Debug)]
pub(crate) enum Command {
    /// Send a text message.
    SendText(String),
    /// Send a binary message.
    SendBinary(Bytes),
    /// Turn a protocol operation into frames (by the attempt's protocol session) and send
    /// them.
    SendOp(serde_json::Value),
    /// Send a ping with this payload.
    Ping(Bytes),
    /// Send an unsolicited pong with this payload.
    Pong(Bytes),
    /// Start the closing handshake with this code and reason.
    Close { code: u16, reason: String },
    /// Drop the TCP connection without a close frame.
    Abort,
}

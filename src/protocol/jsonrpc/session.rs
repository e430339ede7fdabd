//! The connection's half of JSON-RPC 2.0: no handshake, just ops written as messages with
//! request ids assigned.

use std::time::Duration;

use serde_json::{Value, json};

use super::Options;
use super::ops::{self, Ids};
use crate::engine::Payload;
use crate::protocol::{OpError, Reaction};

/// One attempt's JSON-RPC state: the next request id.
#[derive(Debug)]
pub struct Session {
    next_id: u64,
}

impl Ids for Session {
    fn assign(&mut self) -> Value {
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        json!(id)
    }

    fn chosen(&mut self, id: &Value) {
        if let Some(n) = id.as_u64()
            && n >= self.next_id
        {
            self.next_id = n.saturating_add(1);
        }
    }
}

impl Session {
    /// A fresh session; request ids start at 1.
    pub fn new(_options: &Options) -> Self {
        Self { next_id: 1 }
    }

    /// The WebSocket opened: JSON-RPC has no handshake.
    pub fn on_open(&mut self, _subprotocol: Option<&str>, _now: Duration) -> Reaction {
        Reaction::none()
    }

    /// A message arrived: nothing is answered for the user (a server's request is answered
    /// with a `response` op).
    pub fn on_frame(&mut self, _payload: &Payload, _now: Duration) -> Reaction {
        Reaction::none()
    }

    /// The user's op, sent now as one text message.
    pub fn on_op(&mut self, op: &Value, _now: Duration) -> Result<Reaction, OpError> {
        let message = ops::message(op, self)?;
        Ok(Reaction::text(message.to_string()))
    }

    /// JSON-RPC has no timers.
    pub fn next_timer(&self) -> Option<Duration> {
        None
    }

    /// JSON-RPC has no timers.
    pub fn on_timer(&mut self, _now: Duration) -> Reaction {
        Reaction::none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Frame;

    #[test]
    fn assigned_ids_count_up_past_the_ones_the_user_chose() {
        let mut session = Session::new(&Options::default());
        let t = Duration::ZERO;
        let sent = |reaction: Reaction| match &reaction.send[..] {
            [Frame::Text(text)] => serde_json::from_str::<Value>(text).unwrap(),
            other => panic!("{other:?}"),
        };
        let first = sent(
            session
                .on_op(&json!({"type": "request", "method": "a"}), t)
                .unwrap(),
        );
        assert_eq!(first["id"], 1);
        session
            .on_op(&json!({"type": "request", "method": "a", "id": 5}), t)
            .unwrap();
        let next = sent(
            session
                .on_op(&json!({"type": "request", "method": "a"}), t)
                .unwrap(),
        );
        assert_eq!(next["id"], 6);
    }
}

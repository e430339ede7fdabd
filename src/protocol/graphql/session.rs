//! The connection's half of GraphQL over WebSocket: `connection_init` on open, ops held
//! until `connection_ack`, pings answered, ids assigned.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Value, json};

use super::ops::ClientOp;
use super::options::{Flavor, Options};
use crate::engine::Payload;
use crate::protocol::{OpError, Reaction};

/// The close code this client uses when `connection_ack` never came (as the graphql-ws
/// client does).
pub const ACK_TIMEOUT_CODE: u16 = 4504;

/// One attempt's GraphQL state.
#[derive(Debug)]
pub struct Session {
    options: Options,
    /// The flavor spoken, once the WebSocket opened.
    flavor: Option<Flavor>,
    opened_at: Option<Duration>,
    acked: bool,
    /// Ops not sent yet, in order.
    held: Vec<ClientOp>,
    /// The ids given to subscribe ops so far (an assigned id skips them).
    used_ids: HashSet<String>,
    next_id: u64,
}

impl Session {
    /// A fresh session.
    pub fn new(options: &Options) -> Self {
        Self {
            options: options.clone(),
            flavor: None,
            opened_at: None,
            acked: false,
            held: Vec::new(),
            used_ids: HashSet::new(),
            next_id: 1,
        }
    }

    /// The WebSocket opened with the server's choice of subprotocol: `connection_init`
    /// goes out.
    pub fn on_open(&mut self, subprotocol: Option<&str>, now: Duration) -> Reaction {
        let flavor =
            Flavor::of_subprotocol(subprotocol).unwrap_or_else(|| self.options.fallback_flavor());
        self.flavor = Some(flavor);
        self.opened_at = Some(now);
        let mut init = json!({"type": "connection_init"});
        if self.options.payload.is_object()
            && let Value::Object(map) = &mut init
        {
            map.insert("payload".into(), self.options.payload.clone());
        }
        let mut reaction = Reaction::text(init.to_string());
        reaction.send.extend(self.release().send);
        reaction
    }

    /// A message from the server: `connection_ack` releases held ops, `ping` is answered.
    pub fn on_frame(&mut self, payload: &Payload, _now: Duration) -> Reaction {
        let Some(message) = payload
            .as_text()
            .and_then(|text| serde_json::from_str::<Value>(text).ok())
        else {
            return Reaction::none();
        };
        match message.get("type").and_then(Value::as_str) {
            Some("connection_ack") if !self.acked => {
                self.acked = true;
                self.release()
            }
            Some("ping") if self.flavor == Some(Flavor::Transport) => {
                Reaction::text(json!({"type": "pong"}).to_string())
            }
            _ => Reaction::none(),
        }
    }

    /// The user's op: sent now, or held (in order) until the socket is open and, for
    /// operations, until `connection_ack`.
    pub fn on_op(&mut self, op: &serde_json::Value, _now: Duration) -> Result<Reaction, OpError> {
        let op = ClientOp::parse(op)?;
        if let ClientOp::Subscribe { id: Some(id), .. } = &op {
            self.used_ids.insert(id.clone());
        }
        self.held.push(op);
        Ok(self.release())
    }

    /// When the `connection_ack` wait runs out, while it is awaited.
    pub fn next_timer(&self) -> Option<Duration> {
        let opened = self.opened_at?;
        let limit = self.init_timeout()?;
        (!self.acked).then(|| opened + limit)
    }

    /// No `connection_ack` in time: close.
    pub fn on_timer(&mut self, now: Duration) -> Reaction {
        match self.next_timer() {
            Some(due) if now >= due => Reaction {
                send: Vec::new(),
                close: Some((
                    ACK_TIMEOUT_CODE,
                    "Connection acknowledgement timeout".into(),
                )),
            },
            _ => Reaction::none(),
        }
    }

    fn init_timeout(&self) -> Option<Duration> {
        let secs = self.options.init_timeout_secs;
        (secs.is_finite() && secs > 0.0).then(|| Duration::from_secs_f64(secs.min(1e9)))
    }

    /// Sends the held ops that may go now, in order, stopping at the first that may not.
    fn release(&mut self) -> Reaction {
        let Some(flavor) = self.flavor else {
            return Reaction::none();
        };
        let ready = self
            .held
            .iter()
            .take_while(|op| self.acked || !op.needs_ack())
            .count();
        let ops: Vec<ClientOp> = self.held.drain(..ready).collect();
        let mut texts = Vec::with_capacity(ops.len());
        for op in ops {
            let id = match &op {
                ClientOp::Subscribe { id: Some(id), .. } => id.clone(),
                ClientOp::Subscribe { id: None, .. } => self.assign_id(),
                _ => String::new(),
            };
            texts.push(op.message(flavor, &id).to_string());
        }
        Reaction::send(
            texts
                .into_iter()
                .map(crate::protocol::Frame::Text)
                .collect(),
        )
    }

    fn assign_id(&mut self) -> String {
        loop {
            let id = self.next_id.to_string();
            self.next_id += 1;
            if self.used_ids.insert(id.clone()) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Frame;

    fn texts(reaction: &Reaction) -> Vec<Value> {
        reaction
            .send
            .iter()
            .map(|frame| match frame {
                Frame::Text(text) => serde_json::from_str(text).unwrap(),
                Frame::Binary(_) => panic!("binary"),
            })
            .collect()
    }

    fn text(value: Value) -> Payload {
        Payload::Text(value.to_string().into())
    }

    #[test]
    fn ops_wait_for_the_ack_then_go_in_order_with_assigned_ids() {
        let options = Options {
            payload: json!({"token": "t"}),
            ..Options::default()
        };
        let mut session = Session::new(&options);
        let t = Duration::ZERO;
        let held = session
            .on_op(&json!({"type": "subscribe", "query": "{ a }"}), t)
            .unwrap();
        assert!(held.send.is_empty());
        let open = session.on_open(Some("graphql-transport-ws"), t);
        assert_eq!(
            texts(&open),
            vec![json!({"type": "connection_init", "payload": {"token": "t"}})]
        );
        session
            .on_op(
                &json!({"type": "subscribe", "id": "2", "query": "{ b }"}),
                t,
            )
            .unwrap();
        let ack = session.on_frame(&text(json!({"type": "connection_ack"})), t);
        let sent = texts(&ack);
        assert_eq!(sent[0]["id"], "1");
        assert_eq!(sent[1]["id"], "2");
        let third = session
            .on_op(&json!({"type": "subscribe", "query": "{ c }"}), t)
            .unwrap();
        assert_eq!(texts(&third)[0]["id"], "3", "2 was taken by the user");
    }

    #[test]
    fn pings_are_answered_and_legacy_ops_are_start_and_stop() {
        let mut session = Session::new(&Options::default());
        session.on_open(Some("graphql-transport-ws"), Duration::ZERO);
        let pong = session.on_frame(&text(json!({"type": "ping"})), Duration::ZERO);
        assert_eq!(texts(&pong), vec![json!({"type": "pong"})]);

        let mut legacy = Session::new(&Options::default());
        legacy.on_open(Some("graphql-ws"), Duration::ZERO);
        legacy.on_frame(&text(json!({"type": "connection_ack"})), Duration::ZERO);
        let ka = legacy.on_frame(&text(json!({"type": "ka"})), Duration::ZERO);
        assert!(ka.send.is_empty());
        let start = legacy
            .on_op(
                &json!({"type": "subscribe", "query": "subscription { t }"}),
                Duration::ZERO,
            )
            .unwrap();
        assert_eq!(texts(&start)[0]["type"], "start");
        let stop = legacy
            .on_op(&json!({"type": "complete", "id": "1"}), Duration::ZERO)
            .unwrap();
        assert_eq!(texts(&stop), vec![json!({"id": "1", "type": "stop"})]);
    }

    #[test]
    fn a_missing_ack_closes_after_the_timeout() {
        let options = Options {
            init_timeout_secs: 2.0,
            ..Options::default()
        };
        let mut session = Session::new(&options);
        assert_eq!(session.next_timer(), None);
        session.on_open(None, Duration::from_secs(1));
        assert_eq!(session.next_timer(), Some(Duration::from_secs(3)));
        assert_eq!(session.on_timer(Duration::from_secs(2)), Reaction::none());
        let close = session.on_timer(Duration::from_secs(3)).close.unwrap();
        assert_eq!(close.0, ACK_TIMEOUT_CODE);
        session.on_frame(&text(json!({"type": "connection_ack"})), Duration::ZERO);
        assert_eq!(session.next_timer(), None);
    }
}

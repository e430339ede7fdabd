//! GraphQL over WebSocket: graphql-transport-ws and the legacy graphql-ws. (A stub until it is written: it decodes and answers nothing.)

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{OpError, Reaction, Unit};
use crate::engine::{Direction, Payload};

/// The options a tab sets for this protocol.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {}

impl Options {
    /// True when nothing differs from the defaults (files leave it out).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Sets one option from `KEY=VALUE` text.
    pub fn set(&mut self, key: &str, _value: &str) -> Result<(), String> {
        Err(format!("unknown option `{key}`"))
    }

    /// Secrets among the options, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        Vec::new()
    }
}

/// One attempt's protocol state.
#[derive(Debug, Default)]
pub struct Session {}

impl Session {
    /// A fresh session.
    pub fn new(_options: &Options) -> Self {
        Self {}
    }

    /// The WebSocket opened.
    pub fn on_open(&mut self, _subprotocol: Option<&str>, _now: Duration) -> Reaction {
        Reaction::none()
    }

    /// A data message arrived.
    pub fn on_frame(&mut self, _payload: &Payload, _now: Duration) -> Reaction {
        Reaction::none()
    }

    /// The user's operation.
    pub fn on_op(&mut self, _op: &Value, _now: Duration) -> Result<Reaction, OpError> {
        Err(OpError::new("not written yet"))
    }

    /// When the timer is next due.
    pub fn next_timer(&self) -> Option<Duration> {
        None
    }

    /// The timer is due.
    pub fn on_timer(&mut self, _now: Duration) -> Reaction {
        Reaction::none()
    }
}

/// One attempt's decoding state.
#[derive(Debug, Default)]
pub struct Decoder {}

impl Decoder {
    /// A fresh decoder.
    pub fn new(_options: &Options) -> Self {
        Self {}
    }

    /// What the WebSocket's close means in this protocol, if anything.
    pub fn on_close(&mut self, _code: u16, _reason: &str) -> Option<Unit> {
        None
    }

    /// What a refused upgrade means in this protocol, if anything.
    pub fn on_refusal(&mut self, _status: u16, _body: &[u8]) -> Option<Unit> {
        None
    }

    /// The unit a frame carries.
    pub fn decode(
        &mut self,
        _dir: Direction,
        _payload: &Payload,
        _offset: Duration,
    ) -> Option<Unit> {
        None
    }
}

/// The subprotocols offered when the user set none.
pub fn subprotocols(_options: &Options) -> Vec<String> {
    Vec::new()
}

impl Decoder {
    /// The attempt opened with this subprotocol.
    pub fn on_open(&mut self, _subprotocol: Option<&str>) {}
}

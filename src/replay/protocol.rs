//! Replaying a tab that speaks a protocol (Socket.IO, GraphQL, STOMP, MQTT, JSON-RPC): the
//! protocol's handshake and heartbeats are done afresh by the new connection's own protocol
//! session, so the recorded ones are neither re-sent nor compared (session ids, heartbeat
//! counts and timings differ from run to run by design). What the user sent is sent again
//! as the operation its unit reads as, through the new session (which gives it fresh ids,
//! joins what it needs and does the acks), or byte for byte when it is not one; either way
//! once the new handshake has got as far as the recorded one had before the first send.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::ReplayScript;
use super::script::SendAction;
use crate::engine::{Direction, EventKind};
use crate::model::timeline::TimelineEntry;
use crate::protocol::{Decoder, ProtocolSettings, Unit, check_op};

/// Reads a run's messages as a protocol's units to tell its housekeeping apart.
#[derive(Debug)]
pub struct Housekeeping {
    settings: ProtocolSettings,
    decoder: Option<Decoder>,
}

impl Housekeeping {
    /// A reader for `settings`; it reads nothing as housekeeping for plain WebSocket.
    pub fn new(settings: &ProtocolSettings) -> Self {
        Housekeeping {
            settings: settings.clone(),
            decoder: None,
        }
    }

    /// Follows one event of a run in order; true when it is a message the protocol counts
    /// as its own handshake or heartbeat traffic.
    pub fn is_housekeeping(&mut self, kind: &EventKind, offset: Duration) -> bool {
        self.unit(kind, offset)
            .is_some_and(|unit| unit.housekeeping)
    }

    /// Follows one event of a run in order: the unit a message carries, if any.
    fn unit(&mut self, kind: &EventKind, offset: Duration) -> Option<Unit> {
        if self.settings.is_raw() {
            return None;
        }
        match kind {
            EventKind::Connecting { .. } => {
                self.decoder = Some(Decoder::new(&self.settings));
                None
            }
            EventKind::Open(open) => {
                self.decoder
                    .get_or_insert_with(|| Decoder::new(&self.settings))
                    .on_open(open.subprotocol.as_deref());
                None
            }
            EventKind::Message { dir, payload } => self
                .decoder
                .get_or_insert_with(|| Decoder::new(&self.settings))
                .decode(*dir, payload, offset),
            _ => None,
        }
    }
}

impl ReplayScript {
    /// This script as the protocol of `settings` replays it (unchanged for plain
    /// WebSocket): the recorded housekeeping is neither sent nor expected, and sends wait
    /// for the new handshake (see [`ReplayScript::ready_after`]). `entries` are the ones
    /// the script was made from.
    pub fn speaking(mut self, entries: &[TimelineEntry], settings: &ProtocolSettings) -> Self {
        if settings.is_raw() {
            return self;
        }
        let mut reader = Housekeeping::new(settings);
        let mut housekeeping = HashSet::new();
        // Outgoing units that are operations, by the index of the frame that completed
        // them; the frames before it that only began them (binary attachments) go with it.
        let mut ops: HashMap<usize, serde_json::Value> = HashMap::new();
        let mut begun: Vec<usize> = Vec::new();
        let mut opened_at = None;
        for (index, entry) in entries.iter().enumerate() {
            if entry.attempt != self.attempt {
                continue;
            }
            let event = &entry.event;
            if matches!(event.kind, EventKind::Open(_)) {
                opened_at.get_or_insert(event.offset);
            }
            let outgoing = matches!(
                event.kind,
                EventKind::Message {
                    dir: Direction::Out,
                    ..
                }
            );
            match reader.unit(&event.kind, event.offset) {
                Some(unit) if unit.housekeeping => {
                    housekeeping.insert(index);
                }
                Some(unit) if outgoing && check_op(settings, &unit.fields).is_ok() => {
                    housekeeping.extend(begun.drain(..));
                    ops.insert(index, unit.fields);
                }
                Some(_) if outgoing => begun.clear(),
                None if outgoing => begun.push(index),
                _ => {}
            }
        }
        self.sends
            .retain(|send| !housekeeping.contains(&send.index));
        for send in &mut self.sends {
            if let Some(op) = ops.remove(&send.index) {
                send.action = SendAction::Op(op);
            }
        }
        let first_send = self.sends.first().map_or(usize::MAX, |send| send.index);
        let handshake: Vec<Duration> = entries
            .iter()
            .enumerate()
            .take(first_send)
            .filter(|(index, entry)| {
                housekeeping.contains(index)
                    && matches!(
                        entry.event.kind,
                        EventKind::Message {
                            dir: Direction::In,
                            ..
                        }
                    )
            })
            .map(|(_, entry)| entry.event.offset)
            .collect();
        self.ready_after = handshake.len();
        let anchor = handshake
            .last()
            .map(|at| at.saturating_sub(opened_at.unwrap_or_default()))
            .unwrap_or_default();
        for send in &mut self.sends {
            send.at = send.at.saturating_sub(anchor);
        }
        self.end_at = self.end_at.saturating_sub(anchor);
        self.expected
            .retain(|message| !housekeeping.contains(&message.index));
        self
    }
}

//! Replaying a tab that speaks a protocol (Socket.IO, GraphQL, STOMP, MQTT, JSON-RPC): the
//! protocol's handshake and heartbeats are done afresh by the new connection's own protocol
//! session, so the recorded ones are neither re-sent nor compared (session ids, heartbeat
//! counts and timings differ from run to run by design). What the user sent is re-sent once
//! the new handshake has got as far as the recorded one had before the first send.

use std::collections::HashSet;
use std::time::Duration;

use super::ReplayScript;
use crate::engine::{Direction, EventKind};
use crate::model::timeline::TimelineEntry;
use crate::protocol::{Decoder, ProtocolSettings};

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
        if self.settings.is_raw() {
            return false;
        }
        match kind {
            EventKind::Connecting { .. } => {
                self.decoder = Some(Decoder::new(&self.settings));
                false
            }
            EventKind::Open(open) => {
                self.decoder
                    .get_or_insert_with(|| Decoder::new(&self.settings))
                    .on_open(open.subprotocol.as_deref());
                false
            }
            EventKind::Message { dir, payload } => self
                .decoder
                .get_or_insert_with(|| Decoder::new(&self.settings))
                .decode(*dir, payload, offset)
                .is_some_and(|unit| unit.housekeeping),
            _ => false,
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
        let mut opened_at = None;
        for (index, entry) in entries.iter().enumerate() {
            if entry.attempt != self.attempt {
                continue;
            }
            let event = &entry.event;
            if matches!(event.kind, EventKind::Open(_)) {
                opened_at.get_or_insert(event.offset);
            }
            if reader.is_housekeeping(&event.kind, event.offset) {
                housekeeping.insert(index);
            }
        }
        self.sends
            .retain(|send| !housekeeping.contains(&send.index));
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

//! A tab's protocol view: each message of the timeline read as a unit of the tab's
//! protocol (a Socket.IO event, a GraphQL `next`, an MQTT `publish`, …), decoded in order as
//! messages arrive, one decoder per attempt (a reconnect starts the protocol over).
//!
//! Like the tab's decoding, this is a view: the timeline keeps the frames byte for byte.
//! What is kept is bounded by the tab's memory budget (counted apart from the payloads):
//! past it a row keeps its unit's type and summary, not its fields.

use crate::format::preview::ellipsize;
use std::time::Instant;

use serde_json::Value;

use crate::engine::EventKind;
use crate::model::filter::DecodedLookup;
use crate::model::timeline::Timeline;
use crate::protocol::{Decoder, ProtocolKind, ProtocolSettings, Unit};

/// Entries looked at between two looks at the clock.
const CHECK_ENTRIES: usize = 1024;
/// The longest summary a row keeps (a row shows one line).
const SUMMARY_CHARS: usize = 200;

/// What the protocol made of one message.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtocolRow {
    /// The unit's `type` (`event`, `next`, `MESSAGE`, `publish`, `response`, …).
    pub kind: String,
    /// One line for the row.
    pub summary: String,
    /// The unit's fields as compact JSON text (what the detail pane shows and the filters
    /// read); `None` when over the tab's bound.
    pub json: Option<String>,
    /// Handshake or heartbeat traffic, hidden unless the filter shows it.
    pub housekeeping: bool,
    /// What it belongs to (namespace, operation id, subscription, topic, method).
    pub group: Option<String>,
    /// The protocol's own error or disconnect reason.
    pub problem: Option<String>,
}

impl ProtocolRow {
    fn of(unit: Unit) -> Self {
        let summary = ellipsize(&unit.summary, SUMMARY_CHARS).into_owned();
        ProtocolRow {
            kind: unit.fields["type"].as_str().unwrap_or_default().to_owned(),
            summary,
            json: Some(unit.fields.to_string()),
            housekeeping: unit.housekeeping,
            group: unit.group,
            problem: unit.problem,
        }
    }

    fn kept_bytes(&self) -> usize {
        self.json.as_ref().map_or(0, String::len) + self.summary.len()
    }

    /// The unit's fields, parsed again (for the detail pane).
    pub fn fields(&self) -> Option<Value> {
        serde_json::from_str(self.json.as_deref()?).ok()
    }
}

/// One group's counts (a GraphQL operation, an MQTT topic, a Socket.IO namespace, …).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GroupCount {
    /// The group's name.
    pub name: String,
    /// Units received.
    pub incoming: u64,
    /// Units sent.
    pub outgoing: u64,
    /// The first and last unit's offsets in seconds since their attempt started.
    pub first_s: f64,
    /// See `first_s`.
    pub last_s: f64,
    /// Units with a problem (errors).
    pub problems: u64,
}

impl GroupCount {
    /// Units per second between the first and the last one (0 for a single unit).
    pub fn rate(&self) -> f64 {
        let span = self.last_s - self.first_s;
        let count = (self.incoming + self.outgoing) as f64;
        if span > 0.0 {
            (count - 1.0) / span
        } else {
            0.0
        }
    }
}

/// A tab's protocol units by entry index, and where decoding has got to.
#[derive(Debug, Default)]
pub struct TabProtocol {
    settings: ProtocolSettings,
    /// The attempt being decoded and its decoder.
    decoder: Option<(u32, Decoder)>,
    rows: Vec<(usize, ProtocolRow)>,
    /// Entries before this one are decoded.
    cursor: usize,
    /// Changes whenever rows already decoded may read differently.
    generation: u64,
    kept: usize,
    not_kept: usize,
    groups: Vec<GroupCount>,
}

impl TabProtocol {
    /// The protocol view of a tab set up with `settings`.
    pub fn new(settings: &ProtocolSettings) -> Self {
        TabProtocol {
            settings: settings.clone(),
            ..TabProtocol::default()
        }
    }

    /// The protocol the rows are read as.
    pub fn kind(&self) -> ProtocolKind {
        self.settings.kind
    }

    /// True when the tab speaks a protocol (not plain WebSocket).
    pub fn is_active(&self) -> bool {
        self.settings.kind != ProtocolKind::Raw
    }

    /// Follows the tab's settings: a change reads every message again, from the first.
    pub fn set_settings(&mut self, settings: &ProtocolSettings) {
        if *settings != self.settings {
            self.settings = settings.clone();
            self.clear();
        }
    }

    /// Forgets every row (the timeline was cleared, or the protocol changed).
    pub fn clear(&mut self) {
        self.decoder = None;
        self.rows.clear();
        self.groups.clear();
        self.cursor = 0;
        self.kept = 0;
        self.not_kept = 0;
        self.generation += 1;
    }

    /// Entries before this index have been read as units.
    pub fn read_up_to(&self) -> usize {
        self.cursor
    }

    /// What the protocol made of the message at `index`, if anything.
    pub fn row(&self, index: usize) -> Option<&ProtocolRow> {
        let at = self.rows.binary_search_by_key(&index, |(i, _)| *i).ok()?;
        self.rows.get(at).map(|(_, row)| row)
    }

    /// Every group seen, in order of first appearance, with its counts.
    pub fn groups(&self) -> &[GroupCount] {
        &self.groups
    }

    /// How many units have been decoded (for the status line and tests).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no unit has been decoded.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Units whose fields were not kept (over the tab's bound).
    pub fn not_kept(&self) -> usize {
        self.not_kept
    }

    /// Decodes the messages `timeline` holds that are not decoded yet, in order, until
    /// `deadline` (after at least one); true when some are left.
    pub fn catch_up(&mut self, timeline: &Timeline, deadline: Instant) -> bool {
        let len = timeline.len();
        if len < self.cursor {
            self.clear();
        }
        if !self.is_active() {
            self.cursor = len;
            return false;
        }
        let bound = timeline.memory_budget();
        let mut looked = 0usize;
        while self.cursor < len {
            let index = self.cursor;
            self.cursor += 1;
            looked += 1;
            let Some(entry) = timeline.get(index) else {
                continue;
            };
            if self
                .decoder
                .as_ref()
                .is_none_or(|(a, _)| *a != entry.attempt)
            {
                self.decoder = Some((entry.attempt, Decoder::new(&self.settings)));
            }
            let Some((_, decoder)) = &mut self.decoder else {
                continue;
            };
            match entry.kind {
                EventKind::Open(open) => decoder.on_open(open.subprotocol.as_deref()),
                EventKind::Message { dir, payload } if timeline.not_kept_len(index).is_none() => {
                    if let Some(unit) = decoder.decode(*dir, payload, entry.offset) {
                        let mut row = ProtocolRow::of(unit);
                        self.count(&row, *dir, entry.offset.as_secs_f64());
                        if self.kept.saturating_add(row.kept_bytes()) > bound {
                            row.json = None;
                            self.not_kept += 1;
                        }
                        self.kept += row.kept_bytes();
                        self.rows.push((index, row));
                    }
                }
                EventKind::Close(close) => {
                    let unit = decoder.on_close(close.code, &close.reason);
                    self.push_ending(index, unit);
                }
                EventKind::Error(error) => {
                    let unit = error
                        .http
                        .as_ref()
                        .and_then(|http| decoder.on_refusal(http.status, &http.body));
                    self.push_ending(index, unit);
                }
                _ => {}
            }
            if looked.is_multiple_of(CHECK_ENTRIES) && Instant::now() >= deadline {
                break;
            }
        }
        self.cursor < len
    }

    /// Keeps what the protocol made of a close or a refused upgrade (few and small: not
    /// counted against the bound, nor in any group).
    fn push_ending(&mut self, index: usize, unit: Option<Unit>) {
        if let Some(unit) = unit {
            let row = ProtocolRow::of(unit);
            self.kept += row.kept_bytes();
            self.rows.push((index, row));
        }
    }

    fn count(&mut self, row: &ProtocolRow, dir: crate::engine::Direction, at: f64) {
        let Some(name) = &row.group else {
            return;
        };
        let at_group = match self.groups.iter().position(|g| &g.name == name) {
            Some(at) => at,
            None => {
                self.groups.push(GroupCount {
                    name: name.clone(),
                    first_s: at,
                    ..GroupCount::default()
                });
                self.groups.len() - 1
            }
        };
        let Some(group) = self.groups.get_mut(at_group) else {
            return;
        };
        match dir {
            crate::engine::Direction::In => group.incoming += 1,
            crate::engine::Direction::Out => group.outgoing += 1,
        }
        group.problems += u64::from(row.problem.is_some());
        group.last_s = at;
    }
}

/// What the filters read of a tab: a protocol unit's fields when the tab speaks a protocol,
/// else a binary message's decoded value; and which rows are housekeeping.
pub struct TabLookup<'a> {
    /// The tab's decoding of binary payloads.
    pub decoded: &'a dyn DecodedLookup,
    /// The tab's protocol view.
    pub protocol: &'a TabProtocol,
}

impl DecodedLookup for TabLookup<'_> {
    fn decoded_text(&self, index: usize) -> Option<&str> {
        match self.protocol.row(index).and_then(|row| row.json.as_deref()) {
            Some(json) => Some(json),
            None => self.decoded.decoded_text(index),
        }
    }

    fn settled(&self) -> usize {
        let protocol = if self.protocol.is_active() {
            self.protocol.cursor
        } else {
            usize::MAX
        };
        self.decoded.settled().min(protocol)
    }

    fn generation(&self) -> u64 {
        self.decoded
            .generation()
            .wrapping_mul(0x9E37_79B9)
            .wrapping_add(self.protocol.generation)
    }

    fn housekeeping(&self, index: usize) -> bool {
        self.protocol.row(index).is_some_and(|row| row.housekeeping)
    }

    fn group(&self, index: usize) -> Option<&str> {
        self.protocol.row(index)?.group.as_deref()
    }
}

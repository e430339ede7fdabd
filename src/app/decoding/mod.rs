//! A tab's decoding: its binary messages read as JSON by the tab's choice (`none`, `auto`
//! or a chain, plus the Protobuf type the settings compiled), or by a choice made for one
//! message. Decoding is a view: the timeline keeps the wire bytes and nothing here changes
//! them.
//!
//! Messages are decoded in order as they arrive (one decoder per attempt and direction:
//! `zlib-stream` keeps one context per connection, and a new attempt starts over). A new
//! choice decodes every message again, from the first, a slice per frame within a deadline
//! (in order, as `zlib-stream` needs); until a message is reached it reads as before.
//!
//! Text messages are not decoded: their JSON already has every view, and a text message
//! decoded as `json` would only hold the same value twice.
//!
//! The decoded text kept is bounded by the tab's memory budget (counted apart from the
//! payloads): past it a message still shows its format and size, not its value.

pub mod menu;
mod rows;

use std::collections::BTreeMap;
use std::time::Instant;

use crate::engine::{Direction, EventKind, Payload};
use crate::format::decode::{Content, DecodeSpec, Decoded, Decoder, Limits, ProtoType, Step};
use crate::model::decode_settings::DecodeSettings;
use crate::model::timeline::Timeline;

pub use crate::app::detail::DecodeView as DetailView;
pub use rows::{DecodedRows, Outcome, RowDecode};

/// Entries looked at between two looks at the clock when none of them is decoded.
const CHECK_ENTRIES: usize = 4096;

/// A tab's decoding state: its choice, the per-message choices and what came out.
#[derive(Debug)]
pub struct TabDecoding {
    spec: DecodeSpec,
    proto: Option<ProtoType>,
    /// Choices for one message, by entry index.
    overrides: BTreeMap<usize, DecodeSpec>,
    /// One decoder per attempt and direction of the attempt being decoded.
    decoders: Vec<(u32, Direction, Result<Decoder, String>)>,
    rows: DecodedRows,
    /// A new choice is being applied to the messages already there.
    redecoding: bool,
}

impl TabDecoding {
    /// The decoding of a tab set up with `settings` (no Protobuf type until one is given).
    pub fn new(settings: &DecodeSettings) -> Self {
        TabDecoding {
            spec: settings.spec.clone(),
            proto: None,
            overrides: BTreeMap::new(),
            decoders: Vec::new(),
            rows: DecodedRows::default(),
            redecoding: false,
        }
    }

    /// The tab's choice.
    pub fn spec(&self) -> &DecodeSpec {
        &self.spec
    }

    /// The choice made for the message at `index`, if one was.
    pub fn override_of(&self, index: usize) -> Option<&DecodeSpec> {
        self.overrides.get(&index)
    }

    /// True when a Protobuf message type is set.
    pub fn has_proto(&self) -> bool {
        self.proto.is_some()
    }

    /// What decoding made of each binary message (and what the filters read).
    pub fn rows(&self) -> &DecodedRows {
        &self.rows
    }

    /// Entries before this index are decoded with the current choice.
    pub fn decoded_up_to(&self) -> usize {
        self.rows.cursor()
    }

    /// True when the tab decodes something (its choice, or a message's own).
    pub fn is_active(&self) -> bool {
        self.spec != DecodeSpec::None || !self.overrides.is_empty()
    }

    /// What decoding made of the message at `index`, if anything.
    pub fn row(&self, index: usize) -> Option<&RowDecode> {
        self.rows.get(index)
    }

    /// What the detail pane shows of the message at `index` (`kind`): `None` unless it is
    /// a binary message.
    pub fn detail_view(&self, index: usize, kind: &EventKind) -> Option<DetailView<'_>> {
        let binary = matches!(
            kind,
            EventKind::Message {
                payload: Payload::Binary(_),
                ..
            }
        );
        binary.then(|| {
            let row = self.rows.get(index);
            DetailView {
                row,
                menu: menu::MenuContext {
                    tab_spec: &self.spec,
                    message_spec: self.overrides.get(&index),
                    row,
                    has_proto: self.proto.is_some(),
                },
                generation: self.rows.generation(),
            }
        })
    }

    /// True while a new choice is being applied to the messages already there.
    pub fn is_redecoding(&self, timeline: &Timeline) -> bool {
        self.redecoding && self.rows.cursor() < timeline.len()
    }

    /// Sets the tab's choice and decodes every message again (over the next frames). The
    /// caller keeps it in the tab's setup, which is saved.
    pub fn set_spec(&mut self, spec: DecodeSpec) {
        if spec != self.spec {
            self.spec = spec;
            self.start_over();
        }
    }

    /// Sets the Protobuf message type (from the tab's compiled schema) and decodes every
    /// message again.
    pub fn set_proto(&mut self, proto: Option<ProtoType>) {
        self.proto = proto;
        self.start_over();
    }

    /// Decodes the message at `index` by `spec` from now on (`None`: by the tab's choice
    /// again), right away.
    pub fn set_override(
        &mut self,
        timeline: &Timeline,
        index: usize,
        spec: Option<DecodeSpec>,
        max_message_size: usize,
    ) {
        match spec {
            Some(spec) => self.overrides.insert(index, spec),
            None => self.overrides.remove(&index),
        };
        if index >= self.rows.cursor() {
            return; // Decoded with the choice when decoding reaches it.
        }
        let limits = Limits::new(max_message_size);
        let Some(bytes) = timeline
            .kind(index)
            .and_then(|kind| binary_payload(timeline, index, kind))
        else {
            return;
        };
        let row = match self.overrides.get(&index) {
            Some(spec) => decode_once(spec, self.proto.clone(), bytes, limits, true),
            // A stream's message needs every message before it: decode them all again.
            None if is_stream(&self.spec) => {
                self.start_over();
                return;
            }
            None => decode_once(&self.spec, self.proto.clone(), bytes, limits, false),
        };
        self.rows.replace(index, row, timeline.memory_budget());
    }

    /// Forgets every message's decoding and choice (the timeline was cleared).
    pub fn clear(&mut self) {
        self.redecoding = false;
        self.overrides.clear();
        self.decoders.clear();
        self.rows.clear();
    }

    fn start_over(&mut self) {
        self.decoders.clear();
        self.rows.restart();
        self.redecoding = true;
    }

    /// Decodes the messages `timeline` holds that are not decoded yet, in order, until
    /// `deadline` (after at least one); true when some are left. Decoders are bounded by
    /// `max_message_size`; the kept text by the timeline's memory budget.
    pub fn catch_up(
        &mut self,
        timeline: &Timeline,
        max_message_size: usize,
        deadline: Instant,
    ) -> bool {
        let len = timeline.len();
        if len < self.rows.cursor() {
            // The timeline was cleared behind our back: start from its first entry.
            self.clear();
        }
        let limits = Limits::new(max_message_size);
        let bound = timeline.memory_budget();
        let mut cursor = self.rows.cursor();
        let mut looked = 0usize;
        let nothing_to_do = self.spec == DecodeSpec::None && self.overrides.is_empty();
        if nothing_to_do {
            cursor = len;
        }
        // The quickest walk (kinds only): most rows of most tabs are text, skipped here.
        for (index, kind) in timeline.kinds(cursor..len) {
            cursor = index + 1;
            looked += 1;
            let Some((bytes, dir)) = binary_payload(timeline, index, kind).zip(message_dir(kind))
            else {
                if looked.is_multiple_of(CHECK_ENTRIES) && Instant::now() >= deadline {
                    break;
                }
                continue;
            };
            let attempt = timeline.get(index).map_or(0, |entry| entry.attempt);
            // The tab's decoder sees every message, in order (a stream needs them all)...
            let mut row = self.decode_in_order(attempt, dir, bytes, limits);
            // ...and a message's own choice, if it has one, is what it shows.
            if let Some(spec) = self.overrides.get(&index) {
                row = decode_once(spec, self.proto.clone(), bytes, limits, true);
            }
            if let Some(row) = row {
                self.rows.push(index, row, bound);
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        self.rows.advance(cursor, len);
        self.redecoding &= cursor < len;
        cursor < len
    }

    /// Decodes the next message of `attempt` going `dir` with the tab's decoder for them.
    fn decode_in_order(
        &mut self,
        attempt: u32,
        dir: Direction,
        bytes: &[u8],
        limits: Limits,
    ) -> Option<RowDecode> {
        if self.decoders.iter().any(|(a, _, _)| *a != attempt) {
            // A new attempt: its connection starts over (and the old one's are done).
            self.decoders.clear();
        }
        let at = match self
            .decoders
            .iter()
            .position(|(a, d, _)| *a == attempt && *d == dir)
        {
            Some(at) => at,
            None => {
                let decoder = Decoder::new(self.spec.clone(), self.proto.clone(), limits)
                    .map_err(|err| err.to_string());
                self.decoders.push((attempt, dir, decoder));
                self.decoders.len() - 1
            }
        };
        let (_, _, decoder) = self.decoders.get_mut(at)?;
        let result = match decoder {
            Ok(decoder) => decoder.decode(bytes).map_err(|err| err.to_string()),
            Err(err) => Err(err.clone()),
        };
        row_of(&self.spec, result, false)
    }
}

/// The bytes of the binary message at `index`, when it is one and its payload was kept.
fn binary_payload<'a>(timeline: &Timeline, index: usize, kind: &'a EventKind) -> Option<&'a [u8]> {
    match kind {
        EventKind::Message {
            payload: Payload::Binary(bytes),
            ..
        } if timeline.not_kept_len(index).is_none() => Some(bytes),
        _ => None,
    }
}

/// True when `spec` decodes a message with the context of those before it.
fn is_stream(spec: &DecodeSpec) -> bool {
    matches!(spec, DecodeSpec::Chain(steps) if steps.contains(&Step::ZlibStream))
}

fn message_dir(kind: &EventKind) -> Option<Direction> {
    match kind {
        EventKind::Message { dir, .. } => Some(*dir),
        _ => None,
    }
}

/// Decodes one message on its own by `spec` (a choice for one message: no stream context).
fn decode_once(
    spec: &DecodeSpec,
    proto: Option<ProtoType>,
    bytes: &[u8],
    limits: Limits,
    overridden: bool,
) -> Option<RowDecode> {
    let result = Decoder::new(spec.clone(), proto, limits)
        .and_then(|mut decoder| decoder.decode(bytes))
        .map_err(|err| err.to_string());
    row_of(spec, result, overridden)
}

/// The row for a decoder's answer: nothing when it has none (`none`, or `auto` that found
/// nothing).
fn row_of(
    spec: &DecodeSpec,
    result: Result<Option<Decoded>, String>,
    overridden: bool,
) -> Option<RowDecode> {
    match result {
        Ok(None) => None,
        Ok(Some(decoded)) => {
            let format = decoded.format();
            let (text, json) = match decoded.content {
                Content::Value(value) => (value.to_string(), true),
                Content::Text(text) => (text, false),
                Content::Bytes(bytes) => {
                    (crate::format::decode::bytes_value(&bytes).to_string(), true)
                }
            };
            Some(RowDecode {
                format,
                reason: decoded.reason,
                overridden,
                outcome: Outcome::Decoded {
                    unpacked_size: decoded.unpacked_size,
                    text: text.into(),
                    json,
                },
            })
        }
        Err(error) => Some(RowDecode {
            format: spec.to_string(),
            reason: None,
            overridden,
            outcome: Outcome::Error(error),
        }),
    }
}

#[cfg(test)]
mod tests;

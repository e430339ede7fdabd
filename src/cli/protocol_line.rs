//! The `protocol` object of a JSON line: what the connection's protocol (`--protocol`, or a
//! replayed tab's) made of a message, a close or a refused upgrade, through the one
//! redaction step. Additive: the line's other fields are unchanged.

use serde_json::Value;

use crate::engine::{Event, EventKind};
use crate::model::redact::Redactor;
use crate::protocol::{Decoder, ProtocolSettings, Unit};

/// Reads a run's events in order as its protocol's units (a new decoder per attempt).
#[derive(Debug)]
pub struct ProtocolLines {
    settings: ProtocolSettings,
    decoder: Option<Decoder>,
    /// The protocol's own handshake was refused (the run fails even if the WebSocket
    /// closed cleanly).
    pub refused: bool,
    /// Keep each unit's fields before redaction in `last_unit` (a script reads them).
    pub keep_units: bool,
    /// The last annotated event's unit as JSON text, unredacted, with `keep_units`.
    pub last_unit: Option<String>,
}

impl ProtocolLines {
    /// Lines for a connection speaking `settings`'s protocol; `None` for plain WebSocket.
    pub fn new(settings: &ProtocolSettings) -> Option<Self> {
        (!settings.is_raw()).then(|| ProtocolLines {
            settings: settings.clone(),
            decoder: None,
            refused: false,
            keep_units: false,
            last_unit: None,
        })
    }

    /// Adds to `line` (the JSON line of `event`) the `protocol` object of what the event
    /// is in the protocol's terms, if anything.
    pub fn annotate(&mut self, line: &mut Value, event: &Event, redactor: &Redactor) {
        self.last_unit = None;
        if matches!(event.kind, EventKind::Connecting { .. }) {
            self.decoder = None;
        }
        let decoder = self
            .decoder
            .get_or_insert_with(|| Decoder::new(&self.settings));
        let unit = match &event.kind {
            EventKind::Open(open) => {
                decoder.on_open(open.subprotocol.as_deref());
                None
            }
            EventKind::Message { dir, payload } => decoder.decode(*dir, payload, event.offset),
            EventKind::Close(close) => decoder.on_close(close.code, &close.reason),
            EventKind::Error(error) => error
                .http
                .as_ref()
                .and_then(|http| decoder.on_refusal(http.status, &http.body)),
            _ => None,
        };
        if let Some(unit) = unit {
            self.add(line, unit, redactor);
        }
    }

    /// Puts `unit` on `line` as its `protocol` object, redacted; a refusal fails the run.
    fn add(&mut self, line: &mut Value, unit: Unit, redactor: &Redactor) {
        self.refused |= unit.refused;
        let mut fields = unit.fields;
        if let Value::Object(map) = &mut fields {
            if unit.housekeeping {
                map.insert("housekeeping".into(), Value::Bool(true));
            }
            if let Some(problem) = unit.problem {
                map.entry("problem").or_insert(Value::String(problem));
            }
        }
        if self.keep_units {
            self.last_unit = Some(fields.to_string());
        }
        redactor.json_strings(&mut fields);
        if let Value::Object(map) = line {
            map.insert("protocol".into(), fields);
        }
    }
}

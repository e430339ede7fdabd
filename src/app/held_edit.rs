//! A held message of a proxy tab's intercept being edited: as text (optionally checked
//! as JSON) or as hex (released as binary).

use crate::engine::{Leg, Payload};
use crate::format::hex::parse_hex;
use crate::proxy::HeldMessage;

/// A held message being edited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldEdit {
    /// The leg it arrived on.
    pub from: Leg,
    /// Its number.
    pub id: u64,
    /// The text being edited (hex digits when `as_hex`).
    pub text: String,
    /// Edited as hex (sent as binary).
    pub as_hex: bool,
    /// Why the last try did not go.
    pub error: Option<String>,
}

impl HeldEdit {
    /// An edit of `message`: its text, or its bytes as hex.
    pub fn of(from: Leg, message: &HeldMessage) -> Self {
        let (text, as_hex) = match &message.payload {
            Payload::Text(text) => (text.to_string(), false),
            Payload::Binary(bytes) => (crate::format::hex::to_hex(bytes), true),
        };
        Self {
            from,
            id: message.id,
            text,
            as_hex,
            error: None,
        }
    }

    /// The payload to release: the text, the text checked as JSON, or the hex's bytes.
    pub fn payload(&self, as_json: bool) -> Result<Payload, String> {
        if self.as_hex {
            return parse_hex(&self.text)
                .map(|bytes| Payload::Binary(bytes.into()))
                .map_err(|e| format!("not hex: {e}"));
        }
        if as_json {
            crate::format::json::validate(&self.text).map_err(|e| format!("not JSON: {e}"))?;
        }
        Ok(Payload::Text(self.text.clone().into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_held_edit_gives_text_checked_json_or_hex_bytes() {
        let held = HeldMessage {
            id: 3,
            payload: Payload::Binary(vec![0, 255].into()),
            offset: Duration::ZERO,
        };
        let mut edit = HeldEdit::of(Leg::Client, &held);
        assert!(edit.as_hex);
        assert_eq!(
            edit.payload(false),
            Ok(Payload::Binary(vec![0, 255].into()))
        );
        edit.as_hex = false;
        edit.text = "{\"a\":".into();
        assert!(edit.payload(true).unwrap_err().starts_with("not JSON"));
        assert!(edit.payload(false).is_ok());
    }
}

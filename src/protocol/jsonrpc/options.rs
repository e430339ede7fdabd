//! JSON-RPC 2.0's options: none yet (there is no handshake to configure).

use serde::{Deserialize, Serialize};

/// The options a tab sets for JSON-RPC (none yet; kept so files and the options editor
/// treat every protocol alike).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {}

impl Options {
    /// True when nothing differs from the defaults (files leave it out).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Sets one option from `KEY=VALUE` text: JSON-RPC has none.
    pub fn set(&mut self, key: &str, _value: &str) -> Result<(), String> {
        Err(format!("unknown option `{key}`: JSON-RPC has no options"))
    }

    /// Secrets among the options, for redaction: none.
    pub fn secrets(&self) -> Vec<String> {
        Vec::new()
    }
}

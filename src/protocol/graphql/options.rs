//! GraphQL over WebSocket's options: which subprotocol to offer, the `connection_init`
//! payload and how long to wait for the server's `connection_ack`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The two GraphQL over WebSocket protocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `graphql-transport-ws`, spoken by the graphql-ws library.
    Transport,
    /// The legacy `subscriptions-transport-ws` protocol, subprotocol `graphql-ws`.
    Legacy,
}

impl Flavor {
    /// The flavor a subprotocol the server chose names, if any.
    pub fn of_subprotocol(subprotocol: Option<&str>) -> Option<Flavor> {
        match subprotocol?.trim() {
            TRANSPORT_WS => Some(Flavor::Transport),
            LEGACY_WS => Some(Flavor::Legacy),
            _ => None,
        }
    }
}

/// The subprotocol of the graphql-ws library's protocol.
pub const TRANSPORT_WS: &str = "graphql-transport-ws";
/// The subprotocol of the legacy subscriptions-transport-ws protocol.
pub const LEGACY_WS: &str = "graphql-ws";

/// Which subprotocol to offer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubprotocolChoice {
    /// Offer both and speak what the server picks.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// Offer only `graphql-transport-ws`.
    #[serde(rename = "graphql-transport-ws")]
    TransportWs,
    /// Offer only the legacy `graphql-ws`.
    #[serde(rename = "graphql-ws")]
    LegacyWs,
}

/// The options a tab sets for GraphQL over WebSocket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    /// `auto`, `graphql-transport-ws` or `graphql-ws`.
    pub subprotocol: SubprotocolChoice,
    /// The `connection_init` payload (an object such as `{"token": "…"}`), or null for none.
    /// Its string values are secrets.
    pub payload: Value,
    /// Seconds to wait for `connection_ack` before closing (0: wait forever).
    pub init_timeout_secs: f64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            subprotocol: SubprotocolChoice::Auto,
            payload: Value::Null,
            init_timeout_secs: DEFAULT_INIT_TIMEOUT_SECS,
        }
    }
}

/// How long `connection_ack` may take by default.
const DEFAULT_INIT_TIMEOUT_SECS: f64 = 10.0;

impl Options {
    /// True when nothing differs from the defaults (files leave it out).
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Sets one option from `KEY=VALUE` text (`subprotocol`, `payload`, `init_timeout`).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        match key {
            "subprotocol" => {
                self.subprotocol = match value {
                    "auto" => SubprotocolChoice::Auto,
                    TRANSPORT_WS => SubprotocolChoice::TransportWs,
                    LEGACY_WS => SubprotocolChoice::LegacyWs,
                    _ => {
                        return Err(format!(
                            "`subprotocol`: expected auto, {TRANSPORT_WS} or {LEGACY_WS}, not `{value}`"
                        ));
                    }
                }
            }
            "payload" => {
                let payload: Value = serde_json::from_str(value)
                    .map_err(|e| format!("`payload`: not JSON ({e})"))?;
                if !(payload.is_object() || payload.is_null()) {
                    return Err("`payload`: expected a JSON object (or null)".into());
                }
                self.payload = payload;
            }
            "init_timeout" | "init_timeout_secs" => {
                let secs: f64 = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                    .ok_or_else(|| format!("`{key}`: expected seconds (0 or more)"))?;
                self.init_timeout_secs = secs;
            }
            _ => {
                return Err(format!(
                    "unknown option `{key}`: expected subprotocol, payload or init_timeout"
                ));
            }
        }
        Ok(())
    }

    /// The string values of the `connection_init` payload, at any depth, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        let mut found = Vec::new();
        collect_strings(&self.payload, &mut found);
        found
    }

    /// The flavor spoken when the server chose no subprotocol.
    pub fn fallback_flavor(&self) -> Flavor {
        match self.subprotocol {
            SubprotocolChoice::LegacyWs => Flavor::Legacy,
            SubprotocolChoice::Auto | SubprotocolChoice::TransportWs => Flavor::Transport,
        }
    }
}

fn collect_strings(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) if !text.is_empty() => found.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| collect_strings(item, found)),
        Value::Object(map) => map.values().for_each(|item| collect_strings(item, found)),
        _ => {}
    }
}

/// The subprotocols offered when the user set none. `auto` offers the legacy `graphql-ws`
/// first: a subscriptions-transport-ws server takes the first one offered (and closes 1002
/// on `graphql-transport-ws`), while a graphql-ws server picks `graphql-transport-ws`
/// wherever it is in the offer.
pub fn subprotocols(options: &Options) -> Vec<String> {
    match options.subprotocol {
        SubprotocolChoice::Auto => vec![LEGACY_WS.into(), TRANSPORT_WS.into()],
        SubprotocolChoice::TransportWs => vec![TRANSPORT_WS.into()],
        SubprotocolChoice::LegacyWs => vec![LEGACY_WS.into()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_set_from_text_and_bad_values_say_what_is_expected() {
        let mut options = Options::default();
        options.set("subprotocol", "graphql-ws").unwrap();
        assert_eq!(subprotocols(&options), vec!["graphql-ws"]);
        options
            .set("payload", r#"{"token": "s3cret", "n": {"k": "deep"}}"#)
            .unwrap();
        assert_eq!(options.secrets(), vec!["s3cret", "deep"]);
        options.set("init_timeout", "2.5").unwrap();
        assert_eq!(options.init_timeout_secs, 2.5);
        assert!(
            options
                .set("payload", "[1]")
                .unwrap_err()
                .contains("object")
        );
        assert!(
            options
                .set("subprotocol", "x")
                .unwrap_err()
                .contains("auto")
        );
        assert!(options.set("init_timeout", "-1").is_err());
        assert!(options.set("nope", "1").unwrap_err().contains("unknown"));
    }

    #[test]
    fn auto_offers_the_legacy_name_first_and_the_default_is_left_out_of_files() {
        let options = Options::default();
        assert!(options.is_default());
        assert_eq!(
            subprotocols(&options),
            vec!["graphql-ws", "graphql-transport-ws"]
        );
        let json = serde_json::to_value(&options).unwrap();
        assert_eq!(json["subprotocol"], "auto");
    }
}

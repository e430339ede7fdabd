//! The tab's protocol: a picker beside the URL (plain WebSocket, Socket.IO, GraphQL,
//! STOMP, MQTT, JSON-RPC) and a set-up section with the chosen protocol's options.
//!
//! The options are edited through their saved form (each protocol's options are plain
//! serde data), so every option a protocol has shows here without a panel of its own:
//! a yes/no as a checkbox, a number or text as a field, a JSON value as JSON. Values the
//! protocol counts as secrets (passwords, tokens) are masked.

use egui::RichText;
use serde_json::Value;

use crate::protocol::{ProtocolKind, ProtocolSettings};

/// The picker, for a WebSocket tab; locked while connected.
pub fn picker(ui: &mut egui::Ui, settings: &mut ProtocolSettings, tab_id: u64, locked: bool) {
    ui.add_enabled_ui(!locked, |ui| {
        let label = ui.label("Protocol");
        egui::ComboBox::from_id_salt(("protocol", tab_id))
            .selected_text(settings.kind.label())
            .width(120.0)
            .show_ui(ui, |ui| {
                for kind in ProtocolKind::ALL {
                    ui.selectable_value(&mut settings.kind, kind, kind.label())
                        .on_hover_text(about(kind));
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("What the tab speaks over the WebSocket")
            .on_disabled_hover_text("Locked while connected");
    });
}

/// The set-up strip's entry for the section.
pub fn title(settings: &ProtocolSettings) -> String {
    format!("{} options", settings.kind.label())
}

/// What Sockscope does for `kind`, in a sentence.
pub fn about(kind: ProtocolKind) -> &'static str {
    match kind {
        ProtocolKind::Raw => "Plain WebSocket messages: nothing is decoded or answered for you",
        ProtocolKind::SocketIo => {
            "Socket.IO v4 (or v3 with eio 3) over the websocket transport: an http(s)://host \
             address is enough; Sockscope connects the namespace and answers the heartbeats"
        }
        ProtocolKind::Graphql => {
            "GraphQL over WebSocket: graphql-transport-ws or the legacy graphql-ws, chosen by \
             the server; Sockscope sends connection_init and answers pings"
        }
        ProtocolKind::Stomp => {
            "STOMP 1.2/1.1 frames: Sockscope sends CONNECT, keeps the heart-beats and numbers \
             subscriptions"
        }
        ProtocolKind::Mqtt => {
            "MQTT 3.1.1 or 5 packets: Sockscope sends CONNECT, pings within the keep-alive and \
             does the QoS 1 and 2 acknowledgements"
        }
        ProtocolKind::JsonRpc => {
            "JSON-RPC 2.0: requests get ids, and each response is paired with its request and \
             its round trip"
        }
    }
}

/// The section: what the protocol does for the user, and its options.
pub fn ui(ui: &mut egui::Ui, settings: &mut ProtocolSettings, tab_id: u64) {
    ui.label(RichText::new(about(settings.kind)).weak());
    let Some(options) = options_value(settings) else {
        return;
    };
    let Value::Object(fields) = options else {
        return;
    };
    let secrets = settings.secrets();
    let mut changed: Option<(String, Value)> = None;
    egui::Grid::new(("protocol-options", tab_id))
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for (key, value) in &fields {
                let label = ui.label(key.replace('_', " "));
                let secret = looks_secret(key) || secrets.iter().any(|s| value.as_str() == Some(s));
                if let Some(new) = field_ui(ui, (tab_id, key), value, secret, label.id) {
                    changed = Some((key.clone(), new));
                }
                ui.end_row();
            }
        });
    let memory = egui::Id::unique(("protocol-option-error", tab_id));
    if let Some((key, value)) = changed {
        let mut fields = fields;
        fields.insert(key.clone(), value);
        match set_options(settings, Value::Object(fields)) {
            Ok(()) => ui.data_mut(|d| d.remove::<String>(memory)),
            Err(error) => ui.data_mut(|d| {
                d.insert_temp(memory, format!("{key}: {error}"));
            }),
        }
    }
    if let Some(error) = ui.data(|d| d.get_temp::<String>(memory)) {
        ui.colored_label(ui.visuals().error_fg_color, &error);
    }
}

/// One option's editor; `Some(new value)` when the user changed it.
fn field_ui(
    ui: &mut egui::Ui,
    id: (u64, &String),
    value: &Value,
    secret: bool,
    label: egui::Id,
) -> Option<Value> {
    match value {
        Value::Bool(on) => {
            let mut on = *on;
            ui.checkbox(&mut on, "")
                .labelled_by(label)
                .changed()
                .then_some(Value::Bool(on))
        }
        Value::String(text) => {
            let mut text = text.clone();
            ui.add(
                egui::TextEdit::singleline(&mut text)
                    .password(secret)
                    .desired_width(260.0),
            )
            .labelled_by(label)
            .changed()
            .then_some(Value::String(text))
        }
        // Numbers, absent values and JSON are typed as text and read back when they parse.
        other => {
            let memory = egui::Id::unique(("protocol-option-text", id.0, id.1.as_str()));
            let shown = match other {
                Value::Null => String::new(),
                value => value.to_string(),
            };
            let mut text = ui
                .data(|d| d.get_temp::<String>(memory))
                .unwrap_or_else(|| shown.clone());
            let response = ui
                .add(
                    egui::TextEdit::singleline(&mut text)
                        .password(secret)
                        .hint_text(hint(other))
                        .desired_width(260.0)
                        .font(egui::TextStyle::Monospace),
                )
                .labelled_by(label);
            let parsed = read_typed(&text);
            let valid = parsed.is_some();
            if response.changed() {
                ui.data_mut(|d| d.insert_temp(memory, text.clone()));
            }
            if !valid {
                response.on_hover_text("Not a value this option takes yet");
                return None;
            }
            if text == shown {
                // Accepted (or untouched): the saved value is what shows from now on.
                ui.data_mut(|d| d.remove::<String>(memory));
                return None;
            }
            parsed
        }
    }
}

fn hint(value: &Value) -> &'static str {
    match value {
        Value::Number(_) => "a number",
        Value::Null => "not set",
        _ => "JSON",
    }
}

/// Typed text read as JSON when it is JSON (a number, an object), else as a string; empty
/// text means "not set".
fn read_typed(text: &str) -> Option<Value> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Some(Value::Null);
    }
    Some(serde_json::from_str(trimmed).unwrap_or_else(|_| Value::String(text.to_owned())))
}

/// Option names that hold secrets whatever their value.
fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "passcode", "secret", "token"]
        .iter()
        .any(|word| key.contains(word))
}

/// The chosen protocol's options in their saved form (every field, defaults included).
fn options_value(settings: &ProtocolSettings) -> Option<Value> {
    let value = match settings.kind {
        ProtocolKind::Raw => return None,
        ProtocolKind::SocketIo => serde_json::to_value(&settings.socketio),
        ProtocolKind::Graphql => serde_json::to_value(&settings.graphql),
        ProtocolKind::Stomp => serde_json::to_value(&settings.stomp),
        ProtocolKind::Mqtt => serde_json::to_value(&settings.mqtt),
        ProtocolKind::JsonRpc => serde_json::to_value(&settings.jsonrpc),
    };
    value.ok()
}

/// Puts edited options back; an error says what did not fit.
fn set_options(settings: &mut ProtocolSettings, value: Value) -> Result<(), String> {
    let text = |e: serde_json::Error| e.to_string();
    match settings.kind {
        ProtocolKind::Raw => {}
        ProtocolKind::SocketIo => {
            settings.socketio = serde_json::from_value(value).map_err(text)?
        }
        ProtocolKind::Graphql => settings.graphql = serde_json::from_value(value).map_err(text)?,
        ProtocolKind::Stomp => settings.stomp = serde_json::from_value(value).map_err(text)?,
        ProtocolKind::Mqtt => settings.mqtt = serde_json::from_value(value).map_err(text)?,
        ProtocolKind::JsonRpc => settings.jsonrpc = serde_json::from_value(value).map_err(text)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_reads_as_json_when_it_is_json() {
        assert_eq!(read_typed(" 30 "), Some(serde_json::json!(30)));
        assert_eq!(read_typed(""), Some(Value::Null));
        assert_eq!(read_typed("/chat"), Some(Value::String("/chat".into())));
        assert_eq!(
            read_typed(r#"{"token": "x"}"#),
            Some(serde_json::json!({"token": "x"}))
        );
    }

    #[test]
    fn password_like_names_are_masked() {
        assert!(looks_secret("password"));
        assert!(looks_secret("passcode"));
        assert!(!looks_secret("namespace"));
    }
}

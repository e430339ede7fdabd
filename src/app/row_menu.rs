//! The context menu of a timeline row (right-click): copy the event in the forms people
//! paste elsewhere, edit a message in the composer, send it again, pin the row.

use egui::Ui;

use super::commands::CommandId;
use super::decoding::menu::{self, DecodeChoice, MenuContext};
use super::decoding::{Outcome, RowDecode};
use crate::engine::{EventKind, Payload};
use crate::format::base64::to_base64;
use crate::format::decode::DecodeSpec;
use crate::format::hex::to_hex;
use crate::model::redact::Redactor;
use crate::model::timeline::EntryRef;
use serde_json::Value;

/// The largest message "Edit in composer" loads: the composer is a text editor, and
/// editing megabytes there helps nobody (Copy and Send again take any size).
pub const EDIT_MAX_BYTES: usize = 1 << 20;

/// What a row's menu asks the app to do; copying is done in the menu itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowCommand {
    /// Decode the message at this entry index by a spec from now on (`None`: by the tab's
    /// choice again).
    DecodeAs(usize, Option<DecodeSpec>),
    /// Decode every message of the tab by this spec (kept in the tab's setup).
    DecodeTabAs(DecodeSpec),
    /// Pin the row at this entry index.
    Pin(usize),
    /// Put the message at this entry index into the composer.
    EditInComposer(usize),
    /// Send the message at this entry index again, byte for byte.
    SendAgain(usize),
}

/// What Edit and Send again need to know about a tab that sends (a WebSocket tab; an SSE
/// tab only receives and passes none).
#[derive(Clone, Copy, Debug)]
pub struct RowMenuContext<'a> {
    /// Why Send again is off right now (the connection is not OPEN), if it is.
    pub send_off: Option<&'a str>,
}

/// Draws the menu of the row for `entry` (entry index `index`; `not_kept`: the size of a
/// payload the memory budget did not keep; `compose`: `None` where nothing is sent;
/// `decode`: what "Decode as" needs, for a binary message) and returns what was chosen.
/// Every copy goes through `redactor` (the tab's secrets): the clipboard leaves the program.
pub fn ui(
    ui: &mut Ui,
    entry: EntryRef<'_>,
    index: usize,
    not_kept: Option<usize>,
    compose: Option<RowMenuContext<'_>>,
    decode: Option<MenuContext<'_>>,
    redactor: &Redactor,
) -> Option<RowCommand> {
    match entry.kind {
        EventKind::Message { .. } | EventKind::Sse(_) if not_kept.is_some() => {
            ui.add_enabled(false, egui::Button::new("Payload not kept"))
                .on_disabled_hover_text(
                    "The tab's memory budget was full: only the row was kept, not the bytes",
                );
        }
        EventKind::Message { payload, .. } => {
            copy_payload_buttons(ui, payload, redactor);
            if let Some(text) = decode.and_then(|cx| cx.row).and_then(RowDecode::text) {
                copy_button(ui, "Copy decoded JSON", || {
                    redactor.text(text.as_str()).into_owned()
                });
            }
        }
        EventKind::Sse(sse) => {
            copy_button(ui, "Copy data", || redactor.text(sse.text()).into_owned())
        }
        _ => {}
    }
    copy_button(ui, "Copy as JSON line", || {
        let decoded = decode.and_then(|cx| cx.row);
        json_line(entry, not_kept, decoded, redactor)
    });
    let mut command = None;
    if let (Some(cx), None) = (decode, not_kept) {
        ui.separator();
        command = menu::decode_as_menu(ui, cx).map(|choice| decode_command(index, choice));
    }
    if let (EventKind::Message { payload, .. }, None, Some(cx)) = (entry.kind, not_kept, compose) {
        ui.separator();
        command = command.or(compose_buttons(ui, payload, index, cx));
    }
    ui.separator();
    if ui.button(CommandId::PinRow.label()).clicked() {
        command = Some(RowCommand::Pin(index));
    }
    if command.is_some() {
        ui.close();
    }
    command
}

/// The command for a "Decode as" choice on the message at `index`.
pub fn decode_command(index: usize, choice: DecodeChoice) -> RowCommand {
    match choice {
        DecodeChoice::Message(spec) => RowCommand::DecodeAs(index, spec),
        DecodeChoice::Tab(spec) => RowCommand::DecodeTabAs(spec),
    }
}

/// The event as the command line prints it (and Export JSON lines writes it), redacted;
/// a decoded message with `decoded` (or `decode_error`) as `connect --decode` adds it.
fn json_line(
    entry: EntryRef<'_>,
    not_kept: Option<usize>,
    decoded: Option<&RowDecode>,
    redactor: &Redactor,
) -> String {
    let mut line = redactor.json_line(&entry.to_entry().event);
    if let Some(fields) = line.as_object_mut() {
        if let Some(len) = not_kept {
            fields.insert("not_kept".into(), len.into());
        }
        match decoded.map(|row| (row, &row.outcome)) {
            Some((row, Outcome::Decoded { text, json, .. })) => {
                let text = redactor.text(text.as_str());
                let (key, value) = match json {
                    // A redaction that broke the JSON leaves the value out, never a secret in.
                    true => ("value", serde_json::from_str(&text).ok()),
                    false => ("text", Some(Value::String(text.into_owned()))),
                };
                if let Some(value) = value {
                    let mut object = serde_json::Map::new();
                    object.insert("format".into(), row.format.clone().into());
                    object.insert(key.into(), value);
                    fields.insert("decoded".into(), Value::Object(object));
                }
            }
            Some((_, Outcome::Error(error))) => {
                fields.insert(
                    "decode_error".into(),
                    redactor.text(error).into_owned().into(),
                );
            }
            _ => {}
        }
    }
    line.to_string()
}

/// Edit in composer and Send again, each off (saying why) when it cannot be done; the
/// detail pane shows them too.
pub fn compose_buttons(
    ui: &mut Ui,
    payload: &Payload,
    index: usize,
    cx: RowMenuContext<'_>,
) -> Option<RowCommand> {
    let editable = payload.len() <= EDIT_MAX_BYTES;
    let edit = ui
        .add_enabled(
            editable,
            egui::Button::new(CommandId::EditInComposer.label()),
        )
        .on_disabled_hover_text(format!(
            "Too large to edit: at most {} KiB; copy it or send it again",
            EDIT_MAX_BYTES >> 10
        ));
    let again = ui
        .add_enabled(
            cx.send_off.is_none(),
            egui::Button::new(CommandId::SendAgain.label()),
        )
        .on_disabled_hover_text(cx.send_off.unwrap_or_default());
    if edit.clicked() {
        Some(RowCommand::EditInComposer(index))
    } else if again.clicked() {
        Some(RowCommand::SendAgain(index))
    } else {
        None
    }
}

fn copy_payload_buttons(ui: &mut Ui, payload: &Payload, redactor: &Redactor) {
    match payload {
        Payload::Text(text) => copy_button(ui, CommandId::CopyText.label(), || {
            redactor.text(text.as_str()).into_owned()
        }),
        Payload::Binary(bytes) => {
            let redacted = || redactor.bytes(bytes).unwrap_or_else(|| bytes.to_vec());
            copy_button(ui, CommandId::CopyHex.label(), || to_hex(&redacted()));
            copy_button(ui, CommandId::CopyBase64.label(), || to_base64(&redacted()));
        }
    }
}

/// A menu button that puts `text()` on the clipboard (made only when clicked).
fn copy_button(ui: &mut Ui, label: &str, text: impl FnOnce() -> String) {
    if ui.button(label).clicked() {
        ui.ctx().copy_text(text());
    }
}

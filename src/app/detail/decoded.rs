//! A binary message as its tab decoded it: a line saying how ("Decoded as gzip+json — gzip
//! magic 1f 8b…", wire and decoded sizes) or why not, a Decoded/Wire bytes switch, "Decode as…",
//! then the decoded value in the text views (pretty, tree, raw: the same bounded views a
//! JSON text message has) or the bytes in the hex view.

use egui::{RichText, Ui};

use super::text::{Shown, TextState};
use super::widgets;
use super::{DecodeView, binary::BinaryState};
use crate::app::decoding::menu::{self, DecodeChoice};
use crate::app::decoding::{Outcome, RowDecode};
use crate::format::decode::DecodeSpec;

/// Which view of a decoded binary message is shown (kept across selections).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BinaryView {
    /// The decoded value.
    #[default]
    Decoded,
    /// The bytes as received.
    Hex,
}

/// Draws a binary message: how it was decoded, the switch, and the chosen view. Returns a
/// "Decode as" choice when one was made.
pub fn ui(
    ui: &mut Ui,
    view: &mut BinaryView,
    text: &mut TextState,
    binary: &mut BinaryState,
    bytes: &bytes::Bytes,
    decode: &DecodeView<'_>,
    fresh: bool,
) -> Option<DecodeChoice> {
    let row = decode.row;
    let decoded_text = row.and_then(RowDecode::text);
    let mut choice = None;
    ui.horizontal_wrapped(|ui| {
        header(ui, row, bytes.len(), decode);
    });
    ui.horizontal_wrapped(|ui| {
        let mut shown = if decoded_text.is_some() {
            *view
        } else {
            BinaryView::Hex
        };
        widgets::view_switch(
            ui,
            &mut shown,
            &[
                (BinaryView::Decoded, "Decoded", decoded_text.is_some()),
                (BinaryView::Hex, "Wire bytes", true),
            ],
        );
        if decoded_text.is_some() {
            *view = shown;
        }
        ui.separator();
        ui.menu_button("Decode as…", |ui| {
            choice = menu::choices_ui(ui, decode.menu);
        });
    });
    ui.separator();
    match (decoded_text, *view) {
        (Some(decoded), BinaryView::Decoded) => text.ui(ui, Shown::Message(decoded), fresh),
        _ => binary.ui(ui, bytes, fresh),
    }
    choice
}

/// "Decoded as msgpack — the whole payload parses as a MessagePack map  12 B → 40 B", or
/// why the message was not decoded.
fn header(ui: &mut Ui, row: Option<&RowDecode>, wire: usize, decode: &DecodeView<'_>) {
    let Some(row) = row else {
        let spec = decode.menu.message_spec.unwrap_or(decode.menu.tab_spec);
        let why = match (spec, decode.menu.message_spec.is_some()) {
            (DecodeSpec::None, true) => "Not decoded: set to none for this message",
            (DecodeSpec::None, false) => {
                "Not decoded: the tab decodes nothing (Decode as… to choose)"
            }
            (DecodeSpec::Auto, _) => "Not decoded: auto-detect found no format it knows",
            (DecodeSpec::Chain(_), _) => "Not decoded yet",
        };
        ui.label(RichText::new(why).weak());
        return;
    };
    let chosen = if row.overridden {
        " (chosen for this message)"
    } else {
        ""
    };
    match &row.outcome {
        Outcome::Decoded { unpacked_size, .. } => {
            let reason = row
                .reason
                .as_deref()
                .map_or_else(String::new, |reason| format!(" — {reason}"));
            ui.label(RichText::new(format!("Decoded as {}{reason}{chosen}", row.format)).strong());
            sizes(ui, wire, *unpacked_size, row.decoded_size());
        }
        Outcome::NotKept {
            unpacked_size,
            text_len,
        } => {
            ui.label(
                RichText::new(format!(
                    "Decoded as {}{chosen}, but its value ({}) was not kept: decoded text \
                     reached the tab's memory budget",
                    row.format,
                    widgets::size_text(*text_len)
                ))
                .color(ui.visuals().warn_fg_color),
            );
            sizes(ui, wire, *unpacked_size, row.decoded_size());
        }
        Outcome::Error(error) => {
            ui.label(
                RichText::new(format!("Not decoded as {}{chosen}: {error}", row.format))
                    .color(ui.visuals().error_fg_color),
            );
        }
    }
}

/// `wire 12 B, decoded 40 B`, with `unpacked 300 B` between them when a decompression
/// made more bytes than came on the wire.
fn sizes(ui: &mut Ui, wire: usize, unpacked: usize, decoded: Option<usize>) {
    let size = crate::app::style::format_size;
    let mut text = format!("wire {}", size(wire));
    if unpacked != wire {
        text.push_str(&format!(", unpacked {}", size(unpacked)));
    }
    if let Some(decoded) = decoded {
        text.push_str(&format!(", decoded {}", size(decoded)));
    }
    ui.label(RichText::new(text).weak());
}

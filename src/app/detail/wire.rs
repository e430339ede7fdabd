//! A compressed message's wire form (permessage-deflate): its size on the wire and, when
//! kept, the compressed bytes as hex, folded away under the message.

use egui::{RichText, Ui};

use super::{binary, style};
use crate::engine::WireForm;
use crate::engine::limits::WIRE_BYTES_KEPT;

/// The most height the compressed bytes take; longer ones scroll.
const MAX_HEIGHT: f32 = 160.0;

/// Draws the wire form of the selected message: a header that opens to its bytes.
pub fn ui(ui: &mut Ui, wire: &WireForm, len: usize, fresh: bool) {
    let title = format!(
        "Compressed on the wire (permessage-deflate): {} for {}",
        style::format_size(wire.size),
        style::format_size(len)
    );
    egui::CollapsingHeader::new(title)
        .id_salt("wire-form")
        .default_open(false)
        .show(ui, |ui| match &wire.bytes {
            Some(bytes) => {
                ui.label(
                    RichText::new(
                        "The DEFLATE data of all its frames, without the 00 00 ff ff tail \
                         (RFC 7692)",
                    )
                    .weak(),
                );
                // A short strip, so that the message's own view stays in sight below.
                let rows = bytes.len().div_ceil(16).max(1) as f32;
                let line = ui.text_style_height(&egui::TextStyle::Monospace) + 1.0;
                let height = (rows * line + 8.0).min(MAX_HEIGHT);
                let size = egui::vec2(ui.available_width(), height);
                ui.allocate_ui(size, |ui| {
                    ui.set_max_height(height);
                    binary::hex_view(ui, "wire-hex", bytes, fresh);
                });
            }
            None => {
                ui.label(
                    RichText::new(format!(
                        "Its bytes were not kept: only those of messages up to {} \
                         compressed are, within the tab's memory budget",
                        style::format_size(WIRE_BYTES_KEPT)
                    ))
                    .weak(),
                );
            }
        });
}

//! A compressed message's wire form (permessage-deflate): its size on the wire and, when
//! kept, the compressed bytes as hex, folded away under the message.

use egui::{RichText, Ui};

use super::{binary, style};
use crate::engine::WireForm;
use crate::engine::limits::WIRE_BYTES_KEPT;

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
                binary::hex_view(ui, "wire-hex", bytes, fresh);
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

//! Ping and pong control frames: direction, payload size, the payload in hex and, when it
//! is printable, as text.

use egui::{RichText, Ui};

use super::binary::{hex_rows, printable_text};
use super::widgets;
use crate::app::commands::CommandId;
use crate::engine::Direction;
use crate::format::hex::to_hex;
use crate::model::timeline::EntryRef;

/// Which control frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// A ping.
    Ping,
    /// A pong; `auto` when the engine sent it by itself in answer to a ping.
    Pong {
        /// Sent automatically.
        auto: bool,
    },
}

/// Shows a ping or pong.
pub fn ui(ui: &mut Ui, event: &EntryRef<'_>, control: Control, dir: Direction, payload: &[u8]) {
    let name = match control {
        Control::Ping => "Ping",
        Control::Pong { .. } => "Pong",
    };
    ui.horizontal_wrapped(|ui| {
        widgets::title(ui, name, ui.visuals().strong_text_color());
        ui.label(
            RichText::new(widgets::direction_text(dir))
                .monospace()
                .strong(),
        );
        widgets::time_labels(ui, event.wall_time, event.offset, event.seq);
    });
    ui.separator();
    let direction = match dir {
        Direction::In => "in (from the server)",
        Direction::Out => "out (from Sockscope)",
    };
    widgets::fact(ui, "Direction", direction, None);
    widgets::fact(ui, "Payload", &widgets::size_text(payload.len()), None);
    if control == (Control::Pong { auto: true }) {
        ui.label("Sockscope answered automatically: this pong replies to the peer's ping.");
    }
    ui.add_space(6.0);
    if payload.is_empty() {
        ui.label(RichText::new("(empty payload)").weak());
        return;
    }
    if let Some(text) = printable_text(payload) {
        widgets::fact(ui, "As text", &format!("{text:?}"), None);
    }
    ui.horizontal(|ui| {
        ui.label(RichText::new("Hex").strong());
        widgets::copy_bytes_button(ui, CommandId::CopyHex.label(), payload, to_hex);
    });
    hex_rows(ui, payload);
}

//! A message as its protocol reads it: the unit's type, summary, group and problem, and
//! its fields as indented JSON, above the raw frame.

use egui::{RichText, Ui};

use super::widgets;
use crate::app::protocol_rows::ProtocolRow;

/// The most of a unit's indented JSON shown (the raw frame below has every byte).
const SHOWN_BYTES: usize = 256 * 1024;

/// The selected message's unit, with its indented fields made once per selection.
#[derive(Default)]
pub struct UnitView {
    /// The indented JSON of the unit shown, made on first need.
    pretty: Option<String>,
}

impl UnitView {
    /// Forgets the shown unit's indented JSON (the selection changed).
    pub fn reset(&mut self) {
        self.pretty = None;
    }

    /// Draws `unit` of `protocol` (its label, such as "Socket.IO").
    pub fn ui(&mut self, ui: &mut Ui, protocol: &str, unit: &ProtocolRow) {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(protocol).strong());
            let color = if unit.problem.is_some() {
                ui.visuals().error_fg_color
            } else {
                ui.visuals().hyperlink_color
            };
            widgets::badge(ui, &unit.kind, color);
            if unit.housekeeping {
                ui.label(RichText::new("housekeeping").small().weak())
                    .on_hover_text("Handshake or heartbeat traffic that Sockscope does itself");
            }
        });
        ui.label(RichText::new(&unit.summary).monospace());
        if let Some(group) = &unit.group {
            widgets::fact(ui, "Group", group, None);
        }
        if let Some(problem) = &unit.problem {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
        let Some(json) = &unit.json else {
            ui.label(
                RichText::new(
                    "Its fields were not kept: the tab's memory budget for decoded units was \
                     reached. The raw frame below has every byte.",
                )
                .color(ui.visuals().warn_fg_color),
            );
            return;
        };
        let pretty = self.pretty.get_or_insert_with(|| pretty(json));
        egui::CollapsingHeader::new("Fields")
            .id_salt("unit-fields")
            .default_open(true)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("unit-fields-scroll")
                    .max_height(260.0)
                    .auto_shrink([false, true])
                    .show(ui, |ui| {
                        ui.label(RichText::new(pretty.as_str()).monospace());
                    });
                widgets::copy_button(ui, "Copy fields", || json.clone());
            });
    }
}

/// `json` indented, cut at [`SHOWN_BYTES`] on a character boundary.
fn pretty(json: &str) -> String {
    let mut text = serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| json.to_owned());
    if text.len() > SHOWN_BYTES {
        let cut = text.floor_char_boundary(SHOWN_BYTES);
        text.truncate(cut);
        text.push_str("\n… (cut: Copy fields has all of it)");
    }
    text
}

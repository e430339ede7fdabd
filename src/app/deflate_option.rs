//! The request section's compression option: permessage-deflate off, on as browsers offer
//! it, or on with the parameters typed. Plain fields over the tab; nothing here does I/O.

use egui::RichText;

use super::tab::Tab;
use crate::engine::DeflateSetting;

/// What the parameters field suggests.
const PARAMS_HINT: &str = "server_no_context_takeover; client_max_window_bits=10";

/// Draws the permessage-deflate setting of `tab`'s config.
pub fn ui(ui: &mut egui::Ui, tab: &mut Tab) {
    let setting = &mut tab.setup.config.deflate;
    ui.horizontal(|ui| {
        let label = ui.label("Compression");
        let kind = match setting {
            DeflateSetting::Off => "Off",
            DeflateSetting::On => "permessage-deflate (as browsers)",
            DeflateSetting::Params(_) => "permessage-deflate with parameters",
        };
        egui::ComboBox::from_id_salt(("deflate", tab.id))
            .selected_text(kind)
            .show_ui(ui, |ui| {
                if ui.selectable_label(kind == "Off", "Off").clicked() {
                    *setting = DeflateSetting::Off;
                }
                let on = "permessage-deflate (as browsers)";
                if ui.selectable_label(kind == on, on).clicked() {
                    *setting = DeflateSetting::On;
                }
                let params = "permessage-deflate with parameters";
                if ui.selectable_label(kind == params, params).clicked()
                    && !matches!(setting, DeflateSetting::Params(_))
                {
                    *setting = DeflateSetting::Params(PARAMS_HINT.to_owned());
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(
                "Browsers offer permessage-deflate; client_max_window_bits. The parameters \
                 are server_no_context_takeover, client_no_context_takeover, \
                 server_max_window_bits=8..15 and client_max_window_bits[=8..15]. A server \
                 answer that does not fit the offer fails the handshake (RFC 7692).",
            );
        if let DeflateSetting::Params(text) = setting {
            let params = ui.label("Parameters");
            ui.add(
                egui::TextEdit::singleline(text)
                    .hint_text(PARAMS_HINT)
                    .desired_width(320.0),
            )
            .labelled_by(params.id);
        }
    });
    if let Err(why) = setting.offer() {
        ui.label(
            RichText::new(format!("permessage-deflate: {why}")).color(ui.visuals().warn_fg_color),
        );
    }
}

//! The Close and Ping controls under the composer.

use super::ComposerState;
use crate::app::action::TabAction;
use crate::app::commands::CommandId;
use crate::engine::close_code::{self, MAX_REASON_BYTES};

/// The close codes offered in the picker: every registered code a client may send.
const PICKABLE: &[u16] = &[
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
];

/// Draws the close code picker, reason and Close button, and the ping payload and Ping.
pub fn close_and_ping(
    ui: &mut egui::Ui,
    composer: &mut ComposerState,
    open: bool,
    actions: &mut Vec<TabAction>,
) {
    let code_problem = close_code::check_sendable(composer.close_code).err();
    let reason_problem = (composer.close_reason.len() > MAX_REASON_BYTES).then(|| {
        format!(
            "the reason is {} bytes; at most {MAX_REASON_BYTES} fit",
            composer.close_reason.len()
        )
    });
    ui.horizontal_wrapped(|ui| {
        let code_label = ui.label("Close code");
        egui::ComboBox::from_id_salt("close-code-picker")
            .selected_text(close_code::describe(composer.close_code).to_string())
            .width(220.0)
            .show_ui(ui, |ui| {
                for &code in PICKABLE {
                    let text = close_code::describe(code).to_string();
                    ui.selectable_value(&mut composer.close_code, code, text);
                }
                ui.selectable_value(&mut composer.close_code, 3000, "3000 (registered range)");
                ui.selectable_value(&mut composer.close_code, 4000, "4000 (private use)");
            })
            .response
            .labelled_by(code_label.id);
        ui.add(egui::DragValue::new(&mut composer.close_code).range(0..=u16::MAX))
            .on_hover_text("Any code a client may send: 1000-1003, 1007-1014, 3000-4999");
        let reason_label = ui.label("Reason");
        ui.add(
            egui::TextEdit::singleline(&mut composer.close_reason)
                .hint_text("optional")
                .desired_width(160.0),
        )
        .labelled_by(reason_label.id);
        let can_close = open && code_problem.is_none() && reason_problem.is_none();
        if ui
            .add_enabled(can_close, egui::Button::new("Close"))
            .clicked()
        {
            actions.push(TabAction::Close {
                code: composer.close_code,
                reason: composer.close_reason.clone(),
            });
        }
    });
    if let Some(problem) = code_problem.map(|e| e.to_string()).or(reason_problem) {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
    ui.horizontal(|ui| {
        let ping_label = ui.label("Ping payload");
        ui.add(
            egui::TextEdit::singleline(&mut composer.ping_payload)
                .hint_text("optional text, at most 125 bytes")
                .desired_width(220.0),
        )
        .labelled_by(ping_label.id);
        let fits = composer.ping_payload.len() <= 125;
        if CommandId::Ping.enabled_button(ui, open && fits).clicked() {
            actions.push(TabAction::Ping(composer.ping_payload.as_bytes().to_vec()));
        }
        if !fits {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!(
                    "{} bytes: at most 125 fit in a ping",
                    composer.ping_payload.len()
                ),
            );
        }
    });
}

//! The filter bar's Groups menu for a tab that speaks a protocol: every group the protocol
//! put its units in (a GraphQL operation, an STOMP subscription, an MQTT topic, a Socket.IO
//! namespace, a JSON-RPC method) with its counts and rate, and a choice to show only one.

use crate::format::preview::ellipsize;
use egui::RichText;

use super::protocol_rows::GroupCount;

/// The menu button, labelled with the chosen group when one is shown alone.
pub fn menu(ui: &mut egui::Ui, chosen: &mut Option<String>, groups: &[GroupCount]) {
    let title = match chosen {
        Some(name) => format!("Group: {}", short(name)),
        None => format!("Groups ({})", groups.len()),
    };
    ui.menu_button(title, |ui| {
        if groups.is_empty() {
            ui.label(RichText::new("No units in a group yet").weak());
            return;
        }
        if ui
            .selectable_label(chosen.is_none(), "All groups")
            .clicked()
        {
            *chosen = None;
            ui.close();
        }
        ui.separator();
        egui::ScrollArea::vertical()
            .max_height(320.0)
            .show(ui, |ui| table(ui, chosen, groups));
    })
    .response
    .on_hover_text("Each group's counts and rate; pick one to show only its messages");
}

fn table(ui: &mut egui::Ui, chosen: &mut Option<String>, groups: &[GroupCount]) {
    egui::Grid::new("protocol-groups")
        .num_columns(5)
        .striped(true)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for heading in ["Group", "in", "out", "per s", "errors"] {
                ui.label(RichText::new(heading).strong());
            }
            ui.end_row();
            for group in groups {
                let selected = chosen.as_deref() == Some(group.name.as_str());
                let response = ui
                    .selectable_label(selected, short(&group.name))
                    .on_hover_text(&group.name);
                if response.clicked() {
                    *chosen = (!selected).then(|| group.name.clone());
                    ui.close();
                }
                ui.label(RichText::new(group.incoming.to_string()).monospace());
                ui.label(RichText::new(group.outgoing.to_string()).monospace());
                ui.label(RichText::new(format!("{:.1}", group.rate())).monospace());
                let errors = RichText::new(group.problems.to_string()).monospace();
                if group.problems > 0 {
                    ui.label(errors.color(ui.visuals().error_fg_color));
                } else {
                    ui.label(errors.weak());
                }
                ui.end_row();
            }
        });
}

/// A group name cut to fit a menu line.
fn short(name: &str) -> std::borrow::Cow<'_, str> {
    ellipsize(name, 40)
}

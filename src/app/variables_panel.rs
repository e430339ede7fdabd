//! The tab's variables: a name/value table for `{{name}}` in messages, the URL and header
//! values, and the built-in variables with what they give.

use egui::RichText;

use super::tab::Tab;
use crate::format::variables::{self, BUILTINS};

/// Draws the variables table of `tab` (edited in place) and the built-ins.
pub fn ui(ui: &mut egui::Ui, tab: &mut Tab) {
    ui.label(RichText::new("Variables (this tab)").strong());
    ui.label(
        RichText::new("{{name}} in a message, the URL or a header value.")
            .weak()
            .small(),
    );
    let mut remove = None;
    let mut problems = Vec::new();
    let count = tab.setup.variables.len();
    for index in 0..count {
        let number = index + 1;
        let duplicate = tab.setup.variables[index + 1..]
            .iter()
            .any(|(other, _)| *other == tab.setup.variables[index].0);
        let (name, value) = &mut tab.setup.variables[index];
        let name_problem = variables::check_user_name(name).err();
        ui.horizontal(|ui| {
            // Text fields in a Grid keep their first (narrow) width, so rows share the
            // panel's width by hand.
            let remove_width = 64.0;
            let spacing = ui.spacing().item_spacing.x;
            let fields = (ui.available_width() - remove_width - 2.0 * spacing).max(80.0);
            let mut name_edit = egui::TextEdit::singleline(name)
                .hint_text("name")
                .desired_width(fields * 0.4)
                .font(egui::TextStyle::Monospace);
            if name_problem.is_some() {
                name_edit = name_edit.text_color(ui.visuals().error_fg_color);
            }
            ui.add(name_edit)
                .accessible_name(format!("Variable {number} name"));
            ui.add(
                egui::TextEdit::singleline(value)
                    .hint_text("value")
                    .desired_width(fields * 0.6)
                    .font(egui::TextStyle::Monospace),
            )
            .accessible_name(format!("Variable {number} value"));
            if ui
                .small_button("Remove")
                .accessible_name(format!("Remove variable {number}"))
                .clicked()
            {
                remove = Some(index);
            }
        });
        let just_added = name.is_empty() && value.is_empty();
        if let Some(problem) = name_problem.filter(|_| !just_added) {
            problems.push(format!("Variable {number}: {problem}"));
        } else if duplicate {
            problems.push(format!(
                "Variable {number} ({name}) is defined again below: the last one wins"
            ));
        }
    }
    if let Some(index) = remove {
        tab.setup.variables.remove(index);
    }
    for problem in problems {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
    if ui.button("+ Add variable").clicked() {
        tab.setup.variables.push((String::new(), String::new()));
    }
    ui.add_space(4.0);
    egui::CollapsingHeader::new("Built-in variables")
        .id_salt("builtin-variables")
        .default_open(false)
        .show(ui, |ui| {
            for builtin in BUILTINS {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(format!("{{{{{}}}}}", builtin.name)).monospace());
                    ui.label(RichText::new(builtin.meaning).weak());
                });
            }
            ui.horizontal(|ui| {
                ui.label(format!("Next {{{{counter}}}}: {}", tab.counter()));
                if ui
                    .small_button("Reset")
                    .on_hover_text("Start the counter again at 1")
                    .clicked()
                {
                    tab.reset_counter();
                }
            });
        });
}

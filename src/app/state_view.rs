//! The State view beside the timeline (issue 24): the fold rule and its paths, a slider
//! through the rows, and the document folded from the tab's incoming messages right after
//! the selected row (the latest without a selection), as a JSON tree. A row that did not
//! apply says why.

use std::time::{Duration, Instant};

use egui::{Id, RichText, ScrollArea, Slider};

use super::detail::text::{Palette, node};
use super::tab::Tab;
use super::tab_fold::RULES;

/// How long a frame may spend folding rows that arrived.
const FOLD_BUDGET: Duration = Duration::from_millis(8);

/// Draws the State view of `tab`.
pub fn ui(ui: &mut egui::Ui, tab: &mut Tab) {
    if tab
        .fold
        .catch_up(&tab.timeline, Instant::now() + FOLD_BUDGET)
    {
        ui.ctx().request_repaint();
    }
    ui.heading("State");
    form(ui, tab);
    if let Some(error) = &tab.fold.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    let Some(history) = tab.fold.history() else {
        ui.weak("Choose how messages change the state, then press Fold.");
        return;
    };
    let rows = history.rows();
    let Some(last) = rows.checked_sub(1) else {
        ui.weak("No rows yet.");
        return;
    };
    let row = tab.selected.unwrap_or(last).min(last);
    let mut chosen = row;
    let slider = ui.add(Slider::new(&mut chosen, 0..=last).text("row"));
    if slider.changed() && chosen != row {
        tab.selected = Some(chosen);
        tab.follow = false;
    }
    ui.label(format!("State after row #{row} ({rows} rows folded)"));
    if let Some(reason) = history.error(row) {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!("Row #{row} did not apply: {reason}"),
        );
    }
    let id = tab.id;
    let Some(tree) = tab.fold.tree_after(&tab.timeline, row) else {
        return;
    };
    let palette = Palette::of(ui);
    ScrollArea::both()
        .id_salt(("state-tree", id))
        .auto_shrink([false, false])
        .show(ui, |ui| match tree {
            Ok(tree) => node(
                ui,
                None,
                tree,
                Id::unique(("state-root", id)),
                true,
                &palette,
            ),
            Err(error) => {
                ui.label(RichText::new(format!("The state cannot be shown: {error}")).weak());
            }
        });
}

/// The rule, its paths and the Fold button.
fn form(ui: &mut egui::Ui, tab: &mut Tab) {
    let form = &mut tab.fold.form;
    egui::Grid::new(("fold-form", tab.id))
        .num_columns(2)
        .show(ui, |ui| {
            let rule_label = ui.label("Rule");
            egui::ComboBox::from_id_salt(("fold-rule", tab.id))
                .selected_text(form.rule.as_str())
                .show_ui(ui, |ui| {
                    for rule in RULES {
                        ui.selectable_value(&mut form.rule, rule.to_owned(), rule);
                    }
                })
                .response
                .labelled_by(rule_label.id);
            ui.end_row();
            if form.rule == "keyed" {
                field(ui, "Key", &mut form.key, "$.id");
                field(ui, "Delete when", &mut form.delete, "$.op == \"delete\"");
            }
            field(ui, "Select", &mut form.select, "$ (the whole message)");
            field(ui, "Filter", &mut form.filter, "every JSON message");
        });
    let fold = ui
        .button("Fold")
        .on_hover_text("Fold the incoming messages from the first row by these settings");
    if fold.clicked()
        && let Some(settings) = tab.fold.apply()
    {
        tab.setup.fold = Some(settings);
    }
}

fn field(ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str) {
    let name = ui.label(label);
    ui.add(egui::TextEdit::singleline(text).hint_text(hint))
        .labelled_by(name.id);
    ui.end_row();
}

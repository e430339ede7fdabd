//! The State view beside the timeline (issue 24): the fold rule and its paths, a slider
//! through the rows, and the document folded from the tab's incoming messages right after
//! the selected row (the latest without a selection), as a JSON tree whose keys show how
//! many messages changed them and whose places changed lately are highlighted; the change
//! the row made is listed above it (added, removed, changed paths with old → new). A row
//! that did not apply says why.

use std::time::{Duration, Instant};

use egui::{Id, RichText, ScrollArea, Slider};

use super::detail::text::Palette;
use super::state_tree::{self, Look};
use super::tab::Tab;
use super::tab_fold::{FADE, LIVE_REFRESH, Marks, RECENT_ROWS, RULES};
use crate::model::fold::{Change, ChangeKind, RowChange};

/// The height of the box with the selected row's change.
const CHANGE_HEIGHT: f32 = 96.0;

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
    let error = history.error(row).map(str::to_owned);
    let id = tab.id;
    let Some(shown) = tab.fold.shown(&tab.timeline, row) else {
        return;
    };
    let shown_row = shown.row;
    ui.label(format!("State after row #{shown_row} ({rows} rows folded)"));
    // The row's change (or why it did not apply) in a box of a fixed height, so the
    // tree below does not move as rows arrive.
    ScrollArea::vertical()
        .id_salt(("state-change", id))
        .min_scrolled_height(CHANGE_HEIGHT)
        .max_height(CHANGE_HEIGHT)
        .auto_shrink([false, false])
        .show(ui, |ui| match &error {
            Some(reason) if shown_row == row => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("Row #{row} did not apply: {reason}"),
                );
            }
            _ => change_list(ui, shown_row, shown.change),
        });
    let legend = match shown.marks {
        Marks::Live(..) => format!("Highlighted: changed in the last {} s", FADE.as_secs()),
        Marks::Rows(..) => format!("Highlighted: changed in the last {RECENT_ROWS} rows"),
    };
    ui.horizontal(|ui| {
        ui.label(
            RichText::new("  ")
                .background_color(state_tree::highlight(ui, 1.0))
                .small(),
        );
        ui.label(RichText::new(legend).small().weak());
        ui.label(RichText::new("×N: messages that changed it").small().weak());
    });
    if shown.marks.fading() {
        ui.ctx().request_repaint_after(Duration::from_millis(50));
    }
    if matches!(shown.marks, Marks::Live(..)) && shown_row != row {
        ui.ctx().request_repaint_after(LIVE_REFRESH);
    }
    let palette = Palette::of(ui);
    let look = Look {
        counts: shown.counts,
        marks: &shown.marks,
        palette: &palette,
    };
    ScrollArea::both()
        .id_salt(("state-tree", id))
        .auto_shrink([false, false])
        .show(ui, |ui| match shown.tree {
            Ok(tree) => state_tree::tree(ui, tree, Id::unique(("state-root", id)), &look),
            Err(error) => {
                ui.label(RichText::new(format!("The state cannot be shown: {error}")).weak());
            }
        });
}

/// What row `row` changed: its first changes, one a line (`+ /a: 1`, `− /b (was 2)`,
/// `~ /c: 1 → 2`), and how many more.
fn change_list(ui: &mut egui::Ui, row: usize, change: &RowChange) {
    if change.total == 0 {
        ui.weak(format!("Row #{row} changed nothing."));
        return;
    }
    let plural = if change.total == 1 { "" } else { "s" };
    ui.label(format!("Row #{row} made {} change{plural}:", change.total));
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    for item in &change.listed {
        let line = change_line(item);
        ui.add(egui::Label::new(RichText::new(line).font(font.clone())).extend());
    }
    let more = change.total - change.listed.len();
    if more > 0 {
        ui.weak(format!("… {more} more"));
    }
}

/// One change as a line: `+ /a: 1`, `− /b (was 2)`, `~ /c: 1 → 2`.
pub fn change_line(change: &Change) -> String {
    let path = if change.path.is_empty() {
        "$ (the whole state)"
    } else {
        change.path.as_str()
    };
    let old = change.old.as_deref().unwrap_or("");
    let new = change.new.as_deref().unwrap_or("");
    match change.kind {
        ChangeKind::Added => format!("+ {path}: {new}"),
        ChangeKind::Removed => format!("− {path} (was {old})"),
        ChangeKind::Changed => format!("~ {path}: {old} → {new}"),
    }
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

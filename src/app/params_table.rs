//! The query parameters of a tab's URL as a table (send, name, value, remove), kept in sync
//! with the URL both ways: typing in the URL changes the table, editing the table rewrites
//! the URL's query (encoded; rows the edit did not touch stay as typed).

use egui::RichText;

use crate::format::query::QueryParam;
use crate::model::tab_setup::TabSetup;

/// Draws the table for `setup`; `id` keeps its widgets apart from other tabs'.
pub fn ui(ui: &mut egui::Ui, setup: &mut TabSetup, id: u64) {
    let mut table = setup.params_table();
    let before = table.clone();
    let mut remove = None;
    if table.is_empty() {
        ui.label(
            RichText::new("No query parameters. Add one, or type ?name=value in the URL.")
                .weak()
                .italics(),
        );
    } else {
        egui::Grid::new(("params", id))
            .num_columns(4)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                let send = ui.label(RichText::new("Send").weak()).id;
                let name = ui.label(RichText::new("Name").weak()).id;
                let value = ui
                    .label(RichText::new("Value").weak())
                    .on_hover_text(
                        "Shown decoded; sent percent-encoded (space, &, =, #, + and non-ASCII). \
                         {{variables}} are encoded when the tab connects.",
                    )
                    .id;
                ui.end_row();
                for (row, param) in table.iter_mut().enumerate() {
                    ui.checkbox(&mut param.enabled, "")
                        .labelled_by(send)
                        .on_hover_text("Send this parameter");
                    let height = ui.spacing().interact_size.y;
                    ui.add_sized(
                        [180.0, height],
                        egui::TextEdit::singleline(&mut param.name).hint_text("name"),
                    )
                    .labelled_by(name);
                    let edited = ui
                        .add_sized(
                            [320.0, height],
                            egui::TextEdit::singleline(&mut param.value).hint_text("value"),
                        )
                        .labelled_by(value);
                    if edited.changed() {
                        // A value typed into a `?flag` row makes it `flag=value`.
                        param.bare = false;
                    }
                    if ui
                        .small_button("×")
                        .on_hover_text("Remove this parameter")
                        .clicked()
                    {
                        remove = Some(row);
                    }
                    ui.end_row();
                }
            });
    }
    if let Some(row) = remove {
        table.remove(row);
    }
    if ui.button("+ Add parameter").clicked() {
        table.push(QueryParam::new("", ""));
    }
    if table != before {
        setup.set_params_table(&table);
    }
}

/// The section's title: how many parameters are sent, and how many are off.
pub fn title(setup: &TabSetup) -> String {
    let table = setup.params_table();
    let on = table.iter().filter(|p| p.enabled).count();
    match table.len() - on {
        0 => format!("Params ({on})"),
        off => format!("Params ({on}, {off} off)"),
    }
}

//! The environment switcher (in the tab strip's row) and the window that edits
//! environments: globals and named sets of variables, one set active. A `{{name}}` resolves
//! from the tab's variables, then the active environment, then the globals.

use egui::RichText;

use crate::model::environments::{EnvVar, Environment, Environments};

/// What the manager window shows: which set is selected, and whether it is open.
#[derive(Debug, Default)]
pub struct EnvironmentsPanel {
    /// The window is open.
    pub open: bool,
    /// 0: the globals; `n`: `sets[n - 1]`.
    selected: usize,
}

/// The label of the "no environment" choice.
pub const NO_ENVIRONMENT: &str = "No environment";

/// The switcher: "Environment", the active one chosen from a box, and a button that opens
/// the manager. Drawn into a right-to-left layout (the end of the tab strip's row), so the
/// widgets are added last to first.
pub fn switcher(ui: &mut egui::Ui, envs: &mut Environments, panel: &mut EnvironmentsPanel) {
    if ui
        .button("Environments…")
        .on_hover_text("Edit the globals and the environments")
        .clicked()
    {
        panel.open = true;
    }
    let shown = envs
        .active
        .clone()
        .unwrap_or_else(|| NO_ENVIRONMENT.to_owned());
    let combo = egui::ComboBox::from_id_salt("environment-switcher")
        .selected_text(shown)
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(envs.active.is_none(), NO_ENVIRONMENT)
                .clicked()
            {
                envs.active = None;
                ui.close();
            }
            for set in &envs.sets {
                let active = envs.active.as_deref() == Some(set.name.as_str());
                if ui.selectable_label(active, &set.name).clicked() {
                    envs.active = Some(set.name.clone());
                    ui.close();
                }
            }
        })
        .response;
    let label = ui.label("Environment");
    combo
        .labelled_by(label.id)
        .on_hover_text("Variables of the active environment fill {{name}} under a tab's own");
}

impl EnvironmentsPanel {
    /// The manager window, when open.
    pub fn window(&mut self, ctx: &egui::Context, envs: &mut Environments) {
        let mut open = self.open;
        egui::Window::new("Environments")
            .open(&mut open)
            .default_width(640.0)
            .show(ctx, |ui| self.contents(ui, envs));
        self.open = open;
    }

    fn contents(&mut self, ui: &mut egui::Ui, envs: &mut Environments) {
        self.selected = self.selected.min(envs.sets.len());
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(160.0);
                if ui.selectable_label(self.selected == 0, "Globals").clicked() {
                    self.selected = 0;
                }
                for (index, set) in envs.sets.iter().enumerate() {
                    let name = if envs.active.as_deref() == Some(set.name.as_str()) {
                        format!("{} (active)", set.name)
                    } else {
                        set.name.clone()
                    };
                    if ui
                        .selectable_label(self.selected == index + 1, name)
                        .clicked()
                    {
                        self.selected = index + 1;
                    }
                }
                if ui.button("+ New environment").clicked() {
                    let name = unused_name(envs);
                    envs.sets.push(Environment {
                        name,
                        variables: Vec::new(),
                    });
                    self.selected = envs.sets.len();
                }
            });
            ui.separator();
            ui.vertical(|ui| self.selected_set(ui, envs));
        });
    }

    fn selected_set(&mut self, ui: &mut egui::Ui, envs: &mut Environments) {
        if self.selected == 0 {
            ui.label(
                RichText::new("Globals: seen by every tab, under the active environment").weak(),
            );
            variables_grid(ui, 0, &mut envs.globals);
            return;
        }
        let index = self.selected - 1;
        let Some(set) = envs.sets.get(index) else {
            return;
        };
        let was_active = envs.active.as_deref() == Some(set.name.as_str());
        let mut name = set.name.clone();
        let mut delete = false;
        ui.horizontal(|ui| {
            let label = ui.label("Name");
            ui.text_edit_singleline(&mut name).labelled_by(label.id);
            if !was_active && ui.button("Make active").clicked() {
                envs.active = Some(name.clone());
            }
            delete = ui.button("Delete").clicked();
        });
        if delete {
            envs.sets.remove(index);
            if was_active {
                envs.active = None;
            }
            self.selected = 0;
            return;
        }
        let taken = envs
            .sets
            .iter()
            .enumerate()
            .any(|(other, set)| other != index && set.name == name);
        if taken || name.trim().is_empty() {
            ui.colored_label(
                ui.visuals().error_fg_color,
                "Each environment needs a name of its own.",
            );
        } else if envs.sets[index].name != name {
            if was_active {
                envs.active = Some(name.clone());
            }
            envs.sets[index].name = name;
        }
        variables_grid(ui, index + 1, &mut envs.sets[index].variables);
    }
}

/// A name like `environment 2` that no set has.
fn unused_name(envs: &Environments) -> String {
    (1..)
        .map(|n| format!("environment {n}"))
        .find(|name| envs.sets.iter().all(|set| &set.name != name))
        .unwrap_or_default()
}

/// The name / value / secret / remove table of one set (`id`: 0 for the globals, n for
/// the nth set).
fn variables_grid(ui: &mut egui::Ui, id: usize, variables: &mut Vec<EnvVar>) {
    let mut remove = None;
    egui::Grid::new(("environment-variables", id))
        .num_columns(4)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            if variables.is_empty() {
                return;
            }
            let name = ui.label(RichText::new("Name").weak()).id;
            let value = ui.label(RichText::new("Value").weak()).id;
            let secret = ui
                .label(RichText::new("Secret").weak())
                .on_hover_text(
                    "Redacted everywhere and never saved: type it again after a restart, or \
                     write {{env.NAME}} to read it from the environment",
                )
                .id;
            ui.end_row();
            let height = ui.spacing().interact_size.y;
            for (row, var) in variables.iter_mut().enumerate() {
                ui.add_sized(
                    [160.0, height],
                    egui::TextEdit::singleline(&mut var.name).hint_text("name"),
                )
                .labelled_by(name);
                let masked = var.secret && !var.value.contains("{{");
                ui.add_sized(
                    [260.0, height],
                    egui::TextEdit::singleline(&mut var.value)
                        .hint_text("value")
                        .password(masked),
                )
                .labelled_by(value);
                ui.checkbox(&mut var.secret, "").labelled_by(secret);
                if ui.small_button("×").on_hover_text("Remove").clicked() {
                    remove = Some(row);
                }
                ui.end_row();
            }
        });
    if let Some(row) = remove {
        variables.remove(row);
    }
    if ui.button("+ Add to this set").clicked() {
        variables.push(EnvVar::default());
    }
}

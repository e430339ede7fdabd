//! The environment switcher (in the tab strip's row) and the window that edits
//! environments: globals and named sets of variables, one set active. A `{{name}}` resolves
//! from the tab's variables, then the active environment, then the globals.

use egui::RichText;

use super::secret_cache::Stored;
use crate::format::variables::SECRET_PREFIX;
use crate::model::environments::{EnvVar, Environment, Environments};

/// What the manager window shows: which set is selected, and whether it is open.
#[derive(Debug, Default)]
pub struct EnvironmentsPanel {
    /// The window is open.
    pub open: bool,
    /// 0: the globals; `n`: `sets[n - 1]`.
    selected: usize,
    /// Values the user asked to store in the keychain, for the app to start.
    requests: Vec<StoreRequest>,
    /// Stores under way: the secret's name, the set (0: globals) and the variable's name.
    storing: Vec<(String, usize, String)>,
    /// What the last store came to.
    note: Option<Result<String, String>>,
}

/// A value to store in the keychain as secret `secret` (the app runs it off the UI thread).
#[derive(Clone, PartialEq, Eq)]
pub struct StoreRequest {
    /// The secret's name.
    pub secret: String,
    /// The value.
    pub value: String,
}

impl std::fmt::Debug for StoreRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the value.
        f.debug_struct("StoreRequest")
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

/// The keychain name for a variable: its name with every character that a secret name
/// cannot have as `_` (and `_` first when it starts with a digit).
pub fn secret_name_for(variable: &str) -> String {
    let mut name: String = variable
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
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
    /// The manager window, when open. `env_fallback`: the user's consent to read
    /// `SOCKSCOPE_SECRET_<NAME>` where there is no keychain (a checkbox here).
    pub fn window(
        &mut self,
        ctx: &egui::Context,
        envs: &mut Environments,
        env_fallback: &mut bool,
    ) {
        let mut open = self.open;
        egui::Window::new("Environments")
            .open(&mut open)
            .default_width(640.0)
            .show(ctx, |ui| {
                self.contents(ui, envs);
                ui.separator();
                self.keychain_section(ui, env_fallback);
            });
        self.open = open;
    }

    /// The values to store in the keychain that the user asked for since the last call.
    pub fn take_requests(&mut self) -> Vec<StoreRequest> {
        std::mem::take(&mut self.requests)
    }

    /// A store finished: the variable now holds `{{secret.NAME}}` (its value lives in the
    /// keychain), or the note says why not.
    pub fn stored(&mut self, envs: &mut Environments, stored: Stored) {
        let Some(at) = self
            .storing
            .iter()
            .position(|(name, ..)| *name == stored.name)
        else {
            return;
        };
        let (secret, set, variable) = self.storing.remove(at);
        match stored.result {
            Ok(()) => {
                let vars = match set {
                    0 => Some(&mut envs.globals),
                    n => envs.sets.get_mut(n - 1).map(|set| &mut set.variables),
                };
                if let Some(var) = vars.into_iter().flatten().find(|var| var.name == variable) {
                    var.value = format!("{{{{{SECRET_PREFIX}{secret}}}}}");
                    var.secret = true;
                }
                self.note = Some(Ok(format!(
                    "{variable} is in the keychain as {{{{secret.{secret}}}}}"
                )));
            }
            Err(why) => self.note = Some(Err(format!("{variable} was not stored: {why}"))),
        }
    }

    fn keychain_section(&mut self, ui: &mut egui::Ui, env_fallback: &mut bool) {
        ui.checkbox(
            env_fallback,
            "Where no keychain is available, read {{secret.NAME}} from SOCKSCOPE_SECRET_NAME",
        )
        .on_hover_text(
            "A headless machine has no keychain: with this on, the environment variable \
             SOCKSCOPE_SECRET_NAME is read instead",
        );
        if !self.storing.is_empty() {
            ui.label(RichText::new("Storing in the keychain…").weak());
        }
        match &self.note {
            Some(Ok(text)) => {
                ui.label(text);
            }
            Some(Err(text)) => {
                ui.colored_label(ui.visuals().error_fg_color, text);
            }
            None => {}
        }
    }

    /// Asks to store row `row` of set `set` (0: globals) in the keychain.
    fn request_store(&mut self, set: usize, var: &EnvVar) {
        let secret = secret_name_for(&var.name);
        if self.storing.iter().any(|(name, ..)| *name == secret) {
            return;
        }
        self.storing.push((secret.clone(), set, var.name.clone()));
        self.requests.push(StoreRequest {
            secret,
            value: var.value.clone(),
        });
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
            if let Some(row) = variables_grid(ui, 0, &mut envs.globals)
                && let Some(var) = envs.globals.get(row)
            {
                self.request_store(0, &var.clone());
            }
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
        if let Some(row) = variables_grid(ui, index + 1, &mut envs.sets[index].variables)
            && let Some(var) = envs.sets[index].variables.get(row)
        {
            self.request_store(index + 1, &var.clone());
        }
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
/// the nth set). Returns the row whose "To keychain" button was clicked.
fn variables_grid(ui: &mut egui::Ui, id: usize, variables: &mut Vec<EnvVar>) -> Option<usize> {
    let mut remove = None;
    let mut to_keychain = None;
    egui::Grid::new(("environment-variables", id))
        .num_columns(5)
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
                if masked
                    && !var.value.is_empty()
                    && ui
                        .small_button("To keychain")
                        .on_hover_text(
                            "Store the value in the OS keychain; the environment keeps \
                             {{secret.NAME}}, so it survives a restart without being saved",
                        )
                        .clicked()
                {
                    to_keychain = Some(row);
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
    to_keychain
}

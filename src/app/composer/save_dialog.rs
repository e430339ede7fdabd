//! "Save as template": a small modal asking for a name, an optional description and where
//! to keep the template (this tab or the global library).

use egui::RichText;

use crate::app::action::{Draft, TemplateScope};
use crate::model::template::Template;

/// The templates a new one is saved beside, to warn before replacing one.
#[derive(Clone, Copy, Debug)]
pub struct TemplateLists<'a> {
    /// The active tab's templates.
    pub tab: &'a [Template],
    /// The global library's templates; `None` when there is no library.
    pub library: Option<&'a [Template]>,
}

impl TemplateLists<'_> {
    fn list(&self, scope: TemplateScope) -> Option<&[Template]> {
        match scope {
            TemplateScope::Tab => Some(self.tab),
            TemplateScope::Library => self.library,
        }
    }
}

/// The dialog's fields while it is open.
#[derive(Clone, Debug)]
pub struct SaveDialog {
    /// The template's name.
    pub name: String,
    /// An optional note.
    pub description: String,
    /// Where it goes.
    pub scope: TemplateScope,
    /// The name field got the keyboard focus once.
    focused: bool,
}

impl SaveDialog {
    /// A dialog proposing `name` and `scope`.
    pub fn new(name: impl Into<String>, scope: TemplateScope) -> Self {
        Self {
            name: name.into(),
            description: String::new(),
            scope,
            focused: false,
        }
    }
}

/// How a frame of the dialog ended.
pub enum DialogEnd {
    /// Still open.
    Open,
    /// Closed without saving.
    Cancelled,
    /// Save this template into this list.
    Save(TemplateScope, Template),
}

/// Draws the dialog for saving `draft`.
pub fn show(
    ctx: &egui::Context,
    dialog: &mut SaveDialog,
    draft: &Draft,
    lists: TemplateLists<'_>,
) -> DialogEnd {
    if lists.library.is_none() {
        dialog.scope = TemplateScope::Tab;
    }
    let mut end = DialogEnd::Open;
    let modal = egui::Modal::new(egui::Id::unique("save-template-dialog")).show(ctx, |ui| {
        ui.set_width(420.0);
        ui.heading("Save as template");
        ui.label(
            RichText::new(format!(
                "{}, {} bytes as typed; variables are kept and expanded when sent.",
                crate::app::templates_panel::encoding(draft.format, draft.message.as_deref()),
                draft.body.len()
            ))
            .weak(),
        );
        ui.add_space(6.0);
        egui::Grid::new("save-template-fields")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let name_label = ui.label("Template name");
                let name = ui
                    .add(
                        egui::TextEdit::singleline(&mut dialog.name)
                            .hint_text("e.g. subscribe")
                            .desired_width(280.0),
                    )
                    .labelled_by(name_label.id);
                if !dialog.focused {
                    name.request_focus();
                    dialog.focused = true;
                }
                ui.end_row();
                let description_label = ui.label("Description");
                ui.add(
                    egui::TextEdit::singleline(&mut dialog.description)
                        .hint_text("optional")
                        .desired_width(280.0),
                )
                .labelled_by(description_label.id);
                ui.end_row();
                ui.label("Save to");
                ui.horizontal(|ui| {
                    ui.radio_value(&mut dialog.scope, TemplateScope::Tab, "This tab");
                    ui.add_enabled_ui(lists.library.is_some(), |ui| {
                        ui.radio_value(&mut dialog.scope, TemplateScope::Library, "Library")
                            .on_hover_text("The global library in your config directory")
                            .on_disabled_hover_text("No config directory: the library is off");
                    });
                });
                ui.end_row();
            });
        let name = dialog.name.trim();
        let replaces = lists
            .list(dialog.scope)
            .is_some_and(|list| list.iter().any(|t| t.name == name));
        if name.is_empty() {
            ui.label(RichText::new("Give the template a name.").weak().italics());
        } else if replaces {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "{} already has a template named {name:?}: saving replaces it.",
                    capitalised(dialog.scope.label())
                ),
            );
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let save_text = if replaces {
                "Replace template"
            } else {
                "Save template"
            };
            let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
            let save = ui.add_enabled(!name.is_empty(), egui::Button::new(save_text));
            if !name.is_empty() && (save.clicked() || enter) {
                let mut template = Template::new(name, draft.format, draft.body.clone());
                template.description = dialog.description.trim().to_owned();
                // A Protobuf template keeps its own type (none: the tab's when sent).
                template.message = draft.message.clone();
                end = DialogEnd::Save(dialog.scope, template);
            }
            if ui.button("Cancel").clicked() {
                end = DialogEnd::Cancelled;
            }
        });
    });
    if matches!(end, DialogEnd::Open) && modal.should_close() {
        end = DialogEnd::Cancelled;
    }
    end
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

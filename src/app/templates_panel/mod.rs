//! The templates panel: the active tab's templates and the global library, with search,
//! click to load, send at once, rename, duplicate, delete, reorder and copy between the
//! two lists. The tab's variables are edited below it (`variables_panel`).

pub mod library;
pub mod list;

use egui::{Align, Layout, RichText};

pub use library::{EXAMPLES, Library, library_path};

use self::list::EditError;
use super::action::{Draft, TabAction, TemplateAction, TemplateScope};
use super::background::{Background, JobDone};
use super::tab::Tab;
use super::variables_panel;
use crate::engine::ReadyState;
use crate::model::template::{MessageFormat, Template};

/// How much of a body a tooltip shows.
const TOOLTIP_BYTES: usize = 400;

/// A rename in progress.
#[derive(Clone, Debug)]
struct Renaming {
    /// The tab whose list it is (for [`TemplateScope::Tab`]).
    tab_id: u64,
    scope: TemplateScope,
    index: usize,
    name: String,
    /// The name field got the keyboard focus once.
    focused: bool,
}

/// The panel's own state: the search text and a rename in progress.
#[derive(Debug, Default)]
pub struct TemplatesPanel {
    search: String,
    renaming: Option<Renaming>,
}

impl TemplatesPanel {
    /// Draws the panel for `tab` and the `library`.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        tab: &mut Tab,
        library: &Library,
        actions: &mut Vec<TabAction>,
    ) {
        let open = tab.ready_state() == ReadyState::Open;
        ui.add_space(4.0);
        ui.label(RichText::new("Templates").strong());
        ui.horizontal(|ui| {
            let label = ui.label("Search");
            ui.add(
                egui::TextEdit::singleline(&mut self.search)
                    .hint_text("name or description")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        });
        egui::ScrollArea::vertical()
            .id_salt("templates-panel")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                egui::CollapsingHeader::new(format!("This tab ({})", tab.setup.templates.len()))
                    .id_salt("templates-tab")
                    .default_open(true)
                    .show(ui, |ui| {
                        if tab.setup.templates.is_empty() {
                            ui.label(
                                RichText::new(
                                    "None yet: use \"Save as template…\" under the message.",
                                )
                                .weak()
                                .italics(),
                            );
                        }
                        self.list_ui(
                            ui,
                            TemplateScope::Tab,
                            &tab.setup.templates,
                            tab.id,
                            open,
                            actions,
                        );
                    });
                let library_header =
                    egui::CollapsingHeader::new(format!("Library ({})", library.templates().len()))
                        .id_salt("templates-library")
                        .default_open(true)
                        .show(ui, |ui| {
                            if let Some(problem) = library.problem() {
                                ui.colored_label(ui.visuals().error_fg_color, problem);
                            }
                            if let Some(note) = library.note() {
                                ui.label(RichText::new(note).weak().italics());
                            }
                            if library.is_available() && library.templates().is_empty() {
                                ui.label(RichText::new("The library is empty.").weak().italics());
                            }
                            self.list_ui(
                                ui,
                                TemplateScope::Library,
                                library.templates(),
                                tab.id,
                                open,
                                actions,
                            );
                        });
                if let Some(path) = library.path() {
                    library_header
                        .header_response
                        .on_hover_text(format!("Kept in {}", path.display()));
                }
                ui.separator();
                variables_panel::ui(ui, tab);
            });
    }

    fn list_ui(
        &mut self,
        ui: &mut egui::Ui,
        scope: TemplateScope,
        templates: &[Template],
        tab_id: u64,
        open: bool,
        actions: &mut Vec<TabAction>,
    ) {
        let mut shown = 0;
        for (index, template) in templates.iter().enumerate() {
            if !list::matches(template, &self.search) {
                continue;
            }
            shown += 1;
            let renaming_this = self.renaming.as_ref().is_some_and(|r| {
                r.scope == scope
                    && r.index == index
                    && (scope == TemplateScope::Library || r.tab_id == tab_id)
            });
            if renaming_this {
                self.rename_ui(ui, templates, actions);
            } else {
                self.row_ui(ui, scope, index, templates, tab_id, open, actions);
            }
        }
        if shown == 0 && !templates.is_empty() {
            ui.label(
                RichText::new("No template matches the search.")
                    .weak()
                    .italics(),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn row_ui(
        &mut self,
        ui: &mut egui::Ui,
        scope: TemplateScope,
        index: usize,
        templates: &[Template],
        tab_id: u64,
        open: bool,
        actions: &mut Vec<TabAction>,
    ) {
        let Some(template) = templates.get(index) else {
            return;
        };
        let name = &template.name;
        // Names are unique within a list, not across the two: the list is in the names.
        let which = match scope {
            TemplateScope::Tab => "tab",
            TemplateScope::Library => "library",
        };
        let push = |actions: &mut Vec<TabAction>, action| actions.push(TabAction::Template(action));
        ui.horizontal(|ui| {
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                let more = ui.menu_button("...", |ui| {
                    if ui.button("Rename").clicked() {
                        self.renaming = Some(Renaming {
                            tab_id,
                            scope,
                            index,
                            name: name.clone(),
                            focused: false,
                        });
                        ui.close();
                    }
                    if ui.button("Duplicate").clicked() {
                        push(actions, TemplateAction::Duplicate(scope, index));
                        ui.close();
                    }
                    let can_move_down = index + 1 < templates.len();
                    for (label, up, enabled) in [
                        ("Move up", true, index > 0),
                        ("Move down", false, can_move_down),
                    ] {
                        if ui.add_enabled(enabled, egui::Button::new(label)).clicked() {
                            push(actions, TemplateAction::Move { scope, index, up });
                            ui.close();
                        }
                    }
                    let copy_to = match scope {
                        TemplateScope::Tab => "Copy to the library",
                        TemplateScope::Library => "Copy to this tab",
                    };
                    if ui.button(copy_to).clicked() {
                        push(actions, TemplateAction::CopyToOther(scope, index));
                        ui.close();
                    }
                    ui.separator();
                    if ui.button("Delete").clicked() {
                        push(actions, TemplateAction::Delete(scope, index));
                        ui.close();
                    }
                });
                more.response
                    .accessible_name(format!("More for {which} template {name}"))
                    .on_hover_text("Rename, duplicate, move, copy or delete");
                let send = ui
                    .add_enabled(open, egui::Button::new("Send").small())
                    .accessible_name(format!("Send {which} template {name}"))
                    .on_hover_text("Send this template now (variables expanded)")
                    .on_disabled_hover_text("Connect first");
                if send.clicked() {
                    push(actions, TemplateAction::Send(scope, index));
                }
                ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                    let load = ui
                        .add(
                            egui::Button::selectable(false, RichText::new(name.as_str()))
                                .truncate(),
                        )
                        .accessible_name(format!("Load {which} template {name}"))
                        .on_hover_ui(|ui| tooltip(ui, template));
                    if load.clicked() {
                        push(actions, TemplateAction::Load(scope, index));
                    }
                });
            });
        });
        let encoding = encoding(template.format, template.message.as_deref());
        let detail = if template.description.is_empty() {
            format!("{encoding} message")
        } else {
            format!("{encoding} · {}", template.description)
        };
        ui.add(egui::Label::new(RichText::new(detail).weak().small()).truncate());
        ui.add_space(2.0);
    }

    fn rename_ui(
        &mut self,
        ui: &mut egui::Ui,
        templates: &[Template],
        actions: &mut Vec<TabAction>,
    ) {
        let Some(renaming) = &mut self.renaming else {
            return;
        };
        let problem = list::check_name(templates, &renaming.name, Some(renaming.index)).err();
        let mut done = false;
        ui.horizontal(|ui| {
            let label = ui.label("New name");
            // Leave room for OK and Cancel so the panel does not have to grow.
            let width = (ui.available_width() - 110.0).max(60.0);
            let field = ui
                .add(egui::TextEdit::singleline(&mut renaming.name).desired_width(width))
                .labelled_by(label.id);
            if !renaming.focused {
                field.request_focus();
                renaming.focused = true;
            }
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let ok = ui.add_enabled(problem.is_none(), egui::Button::new("OK"));
            if problem.is_none() && (ok.clicked() || enter) {
                actions.push(TabAction::Template(TemplateAction::Rename {
                    scope: renaming.scope,
                    index: renaming.index,
                    name: renaming.name.trim().to_owned(),
                }));
                done = true;
            }
            if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                done = true;
            }
        });
        if let Some(problem) = problem {
            ui.colored_label(ui.visuals().error_fg_color, problem.to_string());
        }
        if done {
            self.renaming = None;
        }
    }
}

/// How a template's body is sent, as its list entry says: the format, and for Protobuf the
/// message type ("Protobuf demo.Order (from JSON)"; without one, the tab's is used).
pub fn encoding(format: MessageFormat, message: Option<&str>) -> String {
    match (format, message) {
        (MessageFormat::Protobuf, Some(name)) => format!("Protobuf {name} (from JSON)"),
        (MessageFormat::Protobuf, None) => "Protobuf, the tab's type (from JSON)".to_owned(),
        _ => format.label().to_owned(),
    }
}

fn tooltip(ui: &mut egui::Ui, template: &Template) {
    ui.label(RichText::new(&template.name).strong());
    if !template.description.is_empty() {
        ui.label(&template.description);
    }
    ui.label(RichText::new(encoding(template.format, template.message.as_deref())).weak());
    let end = template.body.floor_char_boundary(TOOLTIP_BYTES);
    let mut body = template.body[..end].to_owned();
    if end < template.body.len() {
        body.push_str(" …");
    }
    ui.label(RichText::new(body).monospace());
    ui.label(
        RichText::new("Click to load it into the composer.")
            .weak()
            .italics(),
    );
}

/// The draft a template holds; one from the library (a file) is marked so, and reads only
/// the environment variables allowed for the tab.
fn library_draft(scope: TemplateScope, template: &Template) -> Draft {
    let draft = Draft::of_template(template);
    match scope {
        TemplateScope::Library => draft.came_from_file(),
        TemplateScope::Tab => draft,
    }
}

/// Carries out a template action on the active `tab` and the `library`.
pub fn run(
    action: TemplateAction,
    tab: &mut Tab,
    library: &mut Library,
    jobs: &Background<JobDone>,
) {
    let result = match action {
        TemplateAction::Load(scope, index) => {
            match template_at(tab, library, scope, index).cloned() {
                Some(template) => {
                    let draft = library_draft(scope, &template);
                    tab.composer.load_template(&template.name, draft);
                    Ok(())
                }
                None => Err(EditError::Gone),
            }
        }
        TemplateAction::Send(scope, index) => match template_at(tab, library, scope, index) {
            Some(template) => {
                let draft = library_draft(scope, template);
                tab.send_draft(draft, jobs);
                Ok(())
            }
            None => Err(EditError::Gone),
        },
        TemplateAction::Save(scope, template) => edit(tab, library, jobs, scope, |list| {
            list::save(list, template);
            Ok(())
        }),
        TemplateAction::Rename { scope, index, name } => edit(tab, library, jobs, scope, |list| {
            list::rename(list, index, &name)
        }),
        TemplateAction::Duplicate(scope, index) => edit(tab, library, jobs, scope, |list| {
            list::duplicate(list, index).map(drop)
        }),
        TemplateAction::Delete(scope, index) => edit(tab, library, jobs, scope, |list| {
            list::delete(list, index).map(drop)
        }),
        TemplateAction::Move { scope, index, up } => edit(tab, library, jobs, scope, |list| {
            list::move_one(list, index, up)
        }),
        TemplateAction::CopyToOther(scope, index) => {
            match template_at(tab, library, scope, index).cloned() {
                Some(mut template) => edit(tab, library, jobs, scope.other(), |list| {
                    template.name = list::unique_name(list, &template.name);
                    list.push(template);
                    Ok(())
                }),
                None => Err(EditError::Gone),
            }
        }
    };
    if let Err(error) = result {
        tab.composer.send_error = Some(error.to_string());
    }
}

fn template_at<'a>(
    tab: &'a Tab,
    library: &'a Library,
    scope: TemplateScope,
    index: usize,
) -> Option<&'a Template> {
    match scope {
        TemplateScope::Tab => tab.setup.templates.get(index),
        TemplateScope::Library => library.templates().get(index),
    }
}

fn edit(
    tab: &mut Tab,
    library: &mut Library,
    jobs: &Background<JobDone>,
    scope: TemplateScope,
    change: impl FnOnce(&mut Vec<Template>) -> Result<(), EditError>,
) -> Result<(), EditError> {
    match scope {
        TemplateScope::Tab => change(&mut tab.setup.templates),
        TemplateScope::Library => library.change(jobs, change),
    }
}

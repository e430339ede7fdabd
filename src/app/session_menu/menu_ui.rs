//! What the File menu draws: the menu bar (File and Replay menus, the session name and
//! unsaved marker), the notice line, the typed-path prompt and the "save changes?" prompt.
//! Drawing only: every choice becomes an [`Action`] that [`Sessions::run`] carries out.

use egui::{Key, RichText};

use std::path::PathBuf;

use super::{FileAction, Pending, Sessions, terminating_id};
use crate::app::action::{Action, TabAction};
use crate::app::commands::CommandId;
use crate::app::replay_view;
use crate::app::tab::Tab;

impl Sessions {
    /// The menu bar (File and Replay menus, the session name and unsaved marker), the
    /// notice line, and the prompts. Also keeps the window title and the close request in
    /// step with the session.
    pub fn ui(&mut self, ui: &mut egui::Ui, active: Option<&Tab>, actions: &mut Vec<Action>) {
        let ctx = ui.ctx().clone();
        egui::Panel::top("menu-bar").show(ui, |ui| {
            egui::MenuBar::new().ui(ui, |ui| {
                self.file_menu(ui, active, actions);
                replay_view::menu(ui, active, actions);
                ui.separator();
                let name = self.window_title();
                let name = name.trim_end_matches(" - Sockscope");
                let name = name.trim_end_matches(" \u{2022} unsaved");
                ui.label(RichText::new(name).weak());
                if self.dirty {
                    ui.label(RichText::new("Unsaved changes").color(ui.visuals().warn_fg_color));
                }
                if let Some(busy) = &self.busy {
                    ui.spinner();
                    ui.label(RichText::new(busy).weak());
                }
            });
        });
        if let Some(notice) = &self.notice {
            let mut dismiss = false;
            egui::Panel::top("session-notice").show(ui, |ui| {
                ui.horizontal(|ui| {
                    let color = if notice.error {
                        ui.visuals().error_fg_color
                    } else {
                        ui.visuals().text_color()
                    };
                    ui.label(RichText::new(&notice.text).color(color));
                    dismiss = ui.small_button("Dismiss").clicked();
                });
            });
            if dismiss {
                self.notice = None;
            }
        }
        self.prompt_ui(&ctx, actions);
        self.confirm_ui(&ctx, actions);
        let title = self.window_title();
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        let terminating = ctx.data(|data| data.get_temp::<bool>(terminating_id()).is_some());
        if ctx.input(|i| i.viewport().close_requested())
            && self.dirty
            && !self.close_allowed
            && !terminating
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.confirm = Some(Pending::Quit);
        }
        if self.close_now {
            self.close_now = false;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn file_menu(&self, ui: &mut egui::Ui, active: Option<&Tab>, actions: &mut Vec<Action>) {
        ui.menu_button("File", |ui| {
            let item = |ui: &mut egui::Ui, command: CommandId, action| {
                command.menu_item(ui, true).clicked().then_some(action)
            };
            let mut chosen = [
                item(ui, CommandId::NewSession, FileAction::New),
                item(ui, CommandId::OpenSession, FileAction::Open),
                item(ui, CommandId::SaveSession, FileAction::Save),
                item(ui, CommandId::SaveSessionAs, FileAction::SaveAs),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
            ui.menu_button("Recent sessions", |ui| {
                if self.recent.is_empty() {
                    ui.label(RichText::new("None yet").weak());
                }
                for path in &self.recent {
                    if ui.button(path.display().to_string()).clicked() {
                        chosen.push(FileAction::OpenPath(path.clone()));
                    }
                }
            });
            ui.separator();
            chosen.extend(
                [
                    item(ui, CommandId::ImportHar, FileAction::ImportHar),
                    item(ui, CommandId::ExportHar, FileAction::ExportHar),
                    item(ui, CommandId::ExportJsonLines, FileAction::ExportJsonLines),
                ]
                .into_iter()
                .flatten(),
            );
            actions.extend(chosen.into_iter().map(Action::File));
            if CommandId::CopyCommandLine.menu_item(ui, true).clicked()
                && let Some(tab) = active
            {
                actions.push(Action::Tab(tab.id, TabAction::CopyCommandLine));
            }
        });
    }

    fn prompt_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let Some((purpose, text)) = &mut self.prompt else {
            return;
        };
        let purpose = *purpose;
        let mut outcome: Option<bool> = None;
        let modal = egui::Modal::new(egui::Id::unique("session-path-prompt")).show(ctx, |ui| {
            ui.set_width(520.0);
            ui.heading(purpose.title());
            ui.label("No file dialog is available: type the file's path.");
            ui.horizontal(|ui| {
                let label = ui.label("Path");
                let edit = ui.add(
                    egui::TextEdit::singleline(text)
                        .desired_width(440.0)
                        .id_salt("session-path"),
                );
                let edit = edit.labelled_by(label.id);
                if std::mem::take(&mut self.focus_prompt) {
                    edit.request_focus();
                }
                if edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                    outcome = Some(true);
                }
            });
            ui.horizontal(|ui| {
                if ui.button(purpose.button()).clicked() {
                    outcome = Some(true);
                }
                if ui.button("Cancel").clicked() {
                    outcome = Some(false);
                }
            });
        });
        if modal.should_close() && outcome.is_none() {
            outcome = Some(false);
        }
        match outcome {
            Some(true) if !text.trim().is_empty() => {
                let path = PathBuf::from(text.trim());
                self.prompt = None;
                actions.push(Action::File(FileAction::Chosen(purpose, path)));
            }
            Some(false) => {
                self.prompt = None;
                self.after_save = None;
            }
            _ => {}
        }
    }

    fn confirm_ui(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let Some(pending) = &self.confirm else {
            return;
        };
        let doing = match pending {
            Pending::New => "starting a new session",
            Pending::Open(_) => "opening another session",
            Pending::Quit => "closing the window",
        };
        let mut answer = None;
        let modal = egui::Modal::new(egui::Id::unique("session-confirm")).show(ctx, |ui| {
            ui.heading("Unsaved changes");
            ui.label(format!("Save the changes to this session before {doing}?"));
            ui.horizontal(|ui| {
                if ui.button("Save").clicked() {
                    answer = Some(Some(true));
                }
                if ui.button("Don't save").clicked() {
                    answer = Some(Some(false));
                }
                if ui.button("Cancel").clicked() {
                    answer = Some(None);
                }
            });
        });
        if modal.should_close() && answer.is_none() {
            answer = Some(None);
        }
        if let Some(answer) = answer {
            actions.push(Action::File(FileAction::Confirm(answer)));
        }
    }
}

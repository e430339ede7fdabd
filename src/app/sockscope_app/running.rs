//! Carrying out what the panels asked for (actions), what background jobs finished, and
//! what falls due on its own (reconnects, repeats), after each frame's layout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::SockscopeApp;
use crate::app::action::Action;
use crate::app::background::JobDone;
use crate::app::env_consent::PendingUse;
use crate::app::pins;
use crate::app::repeat::Repeat;
use crate::app::replay_view::{ReplayAction, ReplayState};
use crate::app::row_menu::RowCommand;
use crate::app::session_menu::Tabs;
use crate::app::tab::Tab;
use crate::app::templates_panel;
use crate::format::json_path::JsonPath;
use crate::model::session;
use crate::model::tab_setup::TabSetup;
use crate::replay::Replay;

impl SockscopeApp {
    /// Sends the repeats that are due and asks for a frame when the next one is.
    pub(super) fn run_due_repeats(&mut self, ctx: &egui::Context) {
        let now = Instant::now();
        let next = self
            .tabs
            .iter_mut()
            .filter_map(|tab| tab.run_repeat(now, &self.jobs))
            .min();
        if let Some(next) = next {
            ctx.request_repaint_after(next.saturating_duration_since(now));
        }
    }

    pub(super) fn run_due_reconnects(&mut self, ctx: &egui::Context) {
        let now = Instant::now();
        let runtime = self.runtime_handle.clone();
        let mut next: Option<Instant> = None;
        for tab in &mut self.tabs {
            let Some((due, _)) = tab.reconnect_due() else {
                continue;
            };
            if due <= now {
                tab.connect(&runtime, Arc::clone(&self.wake));
            } else {
                next = Some(next.map_or(due, |n| n.min(due)));
            }
        }
        if let Some(next) = next {
            let soon = next
                .saturating_duration_since(now)
                .min(Duration::from_millis(100));
            ctx.request_repaint_after(soon);
        }
    }

    pub(super) fn run(&mut self, action: Action, ctx: &egui::Context) {
        let runtime = self.runtime_handle.clone();
        match action {
            Action::NewTab => self.open_tab(self.default_url()),
            Action::CloseTab(index) if index < self.tabs.len() => {
                // Dropping the tab drops its handle: the engine closes cleanly (1001).
                self.tabs.remove(index);
                if self.active >= self.tabs.len() {
                    self.active = self.tabs.len().saturating_sub(1);
                }
            }
            Action::SelectTab(index) if index < self.tabs.len() => self.active = index,
            Action::CloseTab(_) | Action::SelectTab(_) => {}
            Action::Connect => {
                let wake = Arc::clone(&self.wake);
                if let Some(tab) = self.tabs.get_mut(self.active) {
                    tab.connect(&runtime, wake);
                }
            }
            Action::Disconnect => {
                if let Some(tab) = self.tabs.get_mut(self.active) {
                    tab.disconnect();
                }
            }
            Action::Send(draft) => {
                if let Some(tab) = self.tabs.get_mut(self.active) {
                    tab.send_draft(draft, &self.jobs);
                }
            }
            Action::Ping(payload) => {
                if let Some(tab) = self.tabs.get_mut(self.active) {
                    tab.send_with(|handle| handle.ping(payload));
                }
            }
            Action::Close { code, reason } => {
                if let Some(tab) = self.tabs.get_mut(self.active) {
                    tab.send_with(|handle| handle.close(code, &reason));
                }
            }
            Action::CheckFile(path) => {
                if let Some(tab) = self.tabs.get(self.active) {
                    self.jobs.check_file(tab.id, path);
                }
            }
            Action::BrowseFile => {
                if let Some(tab) = self.tabs.get(self.active) {
                    self.jobs.pick_file(tab.id);
                }
            }
            Action::Template(action) => {
                if let Some(tab) = self.tabs.get_mut(self.active) {
                    templates_panel::run(action, tab, &mut self.library, &self.jobs);
                }
            }
            Action::File(action) => {
                let demo_base = self.demo_url("");
                self.sessions.run(
                    action,
                    Tabs {
                        tabs: &mut self.tabs,
                        active: &mut self.active,
                        next_tab_id: &mut self.next_tab_id,
                        demo_base: demo_base.as_deref(),
                    },
                );
            }
            Action::Replay(action) => self.run_replay(action),
            Action::StartRepeat(draft) => {
                if let Some(tab) = self.tabs.get_mut(self.active) {
                    let every = tab.composer.repeat_every;
                    tab.repeat = Some(Repeat::start(draft, every, Instant::now()));
                    tab.run_repeat(Instant::now(), &self.jobs);
                    ctx.request_repaint();
                }
            }
            Action::StopRepeat => {
                if let Some(tab) = self.tabs.get_mut(self.active) {
                    tab.repeat = None;
                }
            }
            Action::CopyCommandLine => {
                if let Some(tab) = self.tabs.get_mut(self.active) {
                    match tab.command_line() {
                        Ok(line) => ctx.copy_text(line),
                        Err(error) => tab.input_error = Some(format!("Not copied: {error}")),
                    }
                }
            }
            Action::ClearTimeline => {
                if let Some(tab) = self.tabs.get_mut(self.active) {
                    tab.clear_timeline();
                }
            }
            Action::AnswerEnvPrompt(allow) => {
                let wake = Arc::clone(&self.wake);
                let replay = self
                    .tabs
                    .get_mut(self.active)
                    .and_then(|tab| tab.answer_env_prompt(allow, &runtime, wake, &self.jobs));
                if let Some(replay) = replay {
                    self.run_replay(replay);
                }
            }
            Action::Row(command) => {
                if let Some(tab) = self.tabs.get_mut(self.active) {
                    match command {
                        RowCommand::Pin(index) => {
                            pins::pin(&mut tab.setup.pins, index);
                        }
                        RowCommand::EditInComposer(index) => tab.edit_message(index),
                        RowCommand::SendAgain(index) => tab.send_again(index),
                    }
                }
            }
        }
    }

    fn run_replay(&mut self, action: ReplayAction) {
        match action {
            ReplayAction::OpenDialog => self.replay_dialog.open(),
            ReplayAction::Start { speed, ignore } => {
                let Some(source) = self.tabs.get_mut(self.active) else {
                    return;
                };
                // A tab from a file asks before its recording's config reads the
                // environment; the replay starts once the user allows it.
                let names = session::config_env_names(&source.setup.config);
                let pending = PendingUse::Replay(ReplayAction::Start {
                    speed,
                    ignore: ignore.clone(),
                });
                if source.ask_env(names, false, pending) {
                    return;
                }
                let source = &*source;
                let ignore: Vec<JsonPath> = ignore
                    .iter()
                    .filter_map(|path| JsonPath::parse(path).ok())
                    .collect();
                let allowed = source.allowed_env();
                let replay = Replay::new(
                    &source.setup.config,
                    &source.valid_variables(),
                    &source.timeline.to_entries(),
                    None,
                    None,
                    source.env_access.policy(&allowed),
                );
                let mut redactor = (*source.redactor).clone();
                let (state, run) = match replay {
                    Ok(replay) => {
                        redactor.merge(&replay.redactor);
                        let runtime = self.runtime_handle.clone();
                        let wake = Arc::clone(&self.wake);
                        ReplayState::start(replay, speed, ignore, source, &runtime, wake)
                    }
                    Err(error) => {
                        self.notice = Some(format!("Cannot replay {}: {error}", source.title()));
                        return;
                    }
                };
                // The replay's tab connects as the recorded one did, with its templates
                // and variables; its timeline is the new run.
                let setup = TabSetup {
                    config: source.setup.config.clone(),
                    templates: source.setup.templates.clone(),
                    variables: source.setup.variables.clone(),
                    secret_headers: source.setup.secret_headers.clone(),
                    ..TabSetup::default()
                };
                let mut tab = Tab::from_setup(self.next_tab_id, setup);
                tab.env_access = source.env_access.clone();
                tab.redactor = Arc::new(redactor);
                tab.replay = Some(state);
                tab.start_replay(run);
                self.next_tab_id += 1;
                self.tabs.push(tab);
                self.active = self.tabs.len() - 1;
            }
            ReplayAction::Cancel => {
                if let Some(tab) = self.tabs.get_mut(self.active) {
                    tab.cancel_replay();
                }
            }
            ReplayAction::ShowRecorded { tab, row } => {
                if let Some(tab) = tab_with(&mut self.tabs, tab)
                    && row < tab.timeline.len()
                {
                    tab.selected = Some(row);
                    tab.follow = false;
                }
            }
        }
    }

    /// Hands a finished background job to the tab (by id) or the library it belongs to.
    pub(super) fn finish_job(&mut self, done: JobDone) {
        match done {
            JobDone::FileChecked { tab, path, result } => {
                if let Some(tab) = tab_with(&mut self.tabs, tab) {
                    tab.composer.file_checked(&path, result);
                }
            }
            JobDone::FileRead { tab, draft, result } => {
                if let Some(tab) = tab_with(&mut self.tabs, tab) {
                    tab.finish_file_send(draft, result);
                }
            }
            JobDone::FilePicked {
                tab,
                path,
                open_for,
            } => {
                if let Some(tab) = tab_with(&mut self.tabs, tab) {
                    tab.composer.file_picked(path, open_for);
                }
            }
            JobDone::LibrarySaved { seq, result } => self.library.saved(seq, result),
        }
    }
}

fn tab_with(tabs: &mut [Tab], id: u64) -> Option<&mut Tab> {
    tabs.iter_mut().find(|tab| tab.id == id)
}

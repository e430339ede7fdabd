//! Carrying out what the panels asked for (actions), what background jobs finished, and
//! what falls due on its own (reconnects, repeats), after each frame's layout.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::SockscopeApp;
use crate::app::action::{Action, TabAction};
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

    /// Carries out one action. An action for a tab that is gone does nothing.
    pub(super) fn run(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::NewTab => self.open_tab(self.default_url()),
            Action::NewServerTab => {
                self.tabs.push(Tab::new_server(self.next_tab_id));
                self.next_tab_id += 1;
                self.active = self.tabs.len() - 1;
            }
            Action::NewProxyTab => {
                let upstream = self.demo_url("").unwrap_or_default();
                self.open_proxy_tab(upstream);
            }
            Action::Tab(id, action) => {
                if let Some(index) = self.tabs.iter().position(|tab| tab.id == id) {
                    self.run_for_tab(index, action, ctx);
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
            Action::OpenReplayDialog => self.replay_dialog.open(),
        }
    }

    /// Carries out `action` for the tab at `index`.
    fn run_for_tab(&mut self, index: usize, action: TabAction, ctx: &egui::Context) {
        let runtime = self.runtime_handle.clone();
        let Some(tab) = self.tabs.get_mut(index) else {
            return;
        };
        match action {
            TabAction::Select => self.active = index,
            TabAction::CloseTab => {
                // Dropping the tab drops its handle: the engine closes cleanly (1001).
                self.tabs.remove(index);
                if self.active >= self.tabs.len() {
                    self.active = self.tabs.len().saturating_sub(1);
                }
            }
            TabAction::Connect => tab.connect(&runtime, Arc::clone(&self.wake)),
            TabAction::Disconnect => tab.disconnect(),
            TabAction::Send(draft) => tab.send_draft(draft, &self.jobs),
            TabAction::Ping(payload) => {
                tab.send_with(|handle| handle.ping(payload));
            }
            TabAction::Close { code, reason } => {
                tab.send_with(|handle| handle.close(code, &reason));
            }
            TabAction::CheckFile(path) => self.jobs.check_file(tab.id, path),
            TabAction::BrowseFile => self.jobs.pick_file(tab.id),
            TabAction::BrowseProto => self.jobs.pick_proto(tab.id),
            TabAction::Template(action) => {
                templates_panel::run(action, tab, &mut self.library, &self.jobs);
            }
            TabAction::Replay(action) => self.run_replay(index, action),
            TabAction::ShowRow(row) => {
                if row < tab.timeline.len() {
                    tab.selected = Some(row);
                    tab.follow = false;
                }
            }
            TabAction::StartRepeat(draft) => {
                let every = tab.composer.repeat_every;
                tab.repeat = Some(Repeat::start(draft, every, Instant::now()));
                tab.run_repeat(Instant::now(), &self.jobs);
                ctx.request_repaint();
            }
            TabAction::StopRepeat => tab.repeat = None,
            TabAction::CopyCommandLine => match tab.command_line() {
                Ok(line) => ctx.copy_text(line),
                Err(error) => tab.input_error = Some(format!("Not copied: {error}")),
            },
            TabAction::ClearTimeline => tab.clear_timeline(),
            TabAction::Proxy(action) => tab.run_proxy(action, &runtime, Arc::clone(&self.wake)),
            TabAction::AnswerEnvPrompt(allow) => {
                let wake = Arc::clone(&self.wake);
                if let Some(replay) = tab.answer_env_prompt(allow, &runtime, wake, &self.jobs) {
                    self.run_replay(index, replay);
                }
            }
            TabAction::Row(command) => match command {
                RowCommand::Pin(row) => {
                    pins::pin(&mut tab.setup.pins, row);
                }
                RowCommand::EditInComposer(row) => tab.edit_message(row),
                RowCommand::SendAgain(row) => tab.send_again(row),
                RowCommand::DecodeAs(row, spec) => tab.decode_message_as(row, spec),
                RowCommand::DecodeTabAs(spec) => tab.decode_tab_as(spec),
            },
        }
    }

    /// Starts or cancels a replay of the tab at `index`.
    fn run_replay(&mut self, index: usize, action: ReplayAction) {
        match action {
            ReplayAction::Start { speed, ignore, leg } => {
                let Some(source) = self.tabs.get_mut(index) else {
                    return;
                };
                let config = match source.replay_config() {
                    Ok(config) => config,
                    Err(why) => {
                        self.notice = Some(format!("Cannot replay {}: {why}", source.title()));
                        return;
                    }
                };
                // A tab from a file asks before its recording's config reads the
                // environment; the replay starts once the user allows it.
                let names = session::config_env_names(&config);
                let pending = PendingUse::Replay(ReplayAction::Start {
                    speed,
                    ignore: ignore.clone(),
                    leg,
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
                // Keychain secrets as read for the tab's own connects (never read here).
                let secrets = source.secrets.clone();
                let lookup = secrets.lookup(&crate::format::variables::process_env);
                let replay = Replay::reading_leg(
                    &config,
                    &source.valid_variables(),
                    &source.timeline.to_entries(),
                    None,
                    leg,
                    None,
                    source.env_access.policy(&allowed),
                    &lookup,
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
                    config,
                    templates: source.setup.templates.clone(),
                    variables: source.setup.variables.clone(),
                    secret_headers: source.setup.secret_headers.clone(),
                    decode: source.setup.decode.clone(),
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
                if let Some(tab) = self.tabs.get_mut(index) {
                    tab.cancel_replay();
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
            JobDone::ProtoPicked {
                tab,
                path,
                open_for,
            } => {
                if let Some(tab) = tab_with(&mut self.tabs, tab) {
                    crate::app::decode_panel::proto_picked(tab, path, open_for);
                }
            }
            JobDone::SchemaCompiled { tab, seq, result } => {
                if let Some(tab) = tab_with(&mut self.tabs, tab) {
                    tab.schema_compiled(seq, result);
                }
            }
            JobDone::LibrarySaved { seq, result } => self.library.saved(seq, result),
        }
    }
}

fn tab_with(tabs: &mut [Tab], id: u64) -> Option<&mut Tab> {
    tabs.iter_mut().find(|tab| tab.id == id)
}

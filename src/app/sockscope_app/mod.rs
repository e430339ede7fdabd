//! The window: owns the async runtime, the embedded demo server, the tabs and the global
//! template library. `logic` drains engine events within a time budget and collects the
//! results of background jobs; `ui` lays out the panels, then runs the actions they pushed.

mod running;
mod workspace_file;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::RichText;

use super::action::{Action, TabAction};
use super::background::{Background, JobDone};
use super::commands::{self, CommandId, Scope};
use super::composer::repeat_controls::Repeating;
use super::composer::{self, ComposerContext, EncodingContext, TemplateLists};
use super::cookies_panel::CookiesPanel;
use super::detail::{DetailPane, Selected, set_clipboard_redactor};
use super::env_consent::{self, EnvAccess, PendingUse};
use super::environments_panel::{self, EnvironmentsPanel};
use super::replay_view::{self, ReplayDialog};
use super::row_menu::RowMenuContext;
use super::secret_cache::SecretCache;
use super::session_menu::{FileAction, Sessions, Tabs, Workspace};
use super::tab::Tab;
use super::templates_panel::{self, Library, TemplatesPanel};
use super::{connection_bar, tab_strip, timeline_view};
use crate::demo_server::{self, DemoServer};
use crate::engine::{ConnectionConfig, WakeFn};
use crate::model::cookie_jar::SharedJar;
use crate::model::environments::Environments;
use crate::model::tab_setup::TabKind;
use crate::model::tab_setup::TabSetup;
use crate::model::timeline::Timeline;
pub use workspace_file::{APP_ID, default_workspace_file, restore_workspace};

/// How long one frame may spend moving events into timelines.
const DRAIN_BUDGET: Duration = Duration::from_millis(8);

/// How the window starts.
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// Open the first tab on this URL instead of the demo server's /echo.
    pub url: Option<String>,
    /// Do not start the embedded demo server.
    pub no_demo_server: bool,
    /// Where the global template library (`templates.ron`) lives; `None` means the user's
    /// config directory (`~/.config/sockscope` on Linux). Tests point it at a temporary one.
    pub config_dir: Option<PathBuf>,
    /// The workspace of the last run (tabs and configs, recent sessions); the window reads
    /// it from `workspace_file`. `None` (the default, and what tests use) starts afresh.
    pub restore: Option<Workspace>,
    /// Where the workspace is saved for the next run (`workspace.ron` in the app's data
    /// directory); `None` (the default, and what tests use) keeps it nowhere.
    pub workspace_file: Option<PathBuf>,
}

/// The Sockscope window's state.
pub struct SockscopeApp {
    /// The engine's runtime; taken at exit to shut it down within a bound.
    runtime: Option<tokio::runtime::Runtime>,
    /// A handle to spawn on the runtime.
    runtime_handle: tokio::runtime::Handle,
    demo: Option<DemoServer>,
    notice: Option<String>,
    tabs: Vec<Tab>,
    active: usize,
    next_tab_id: u64,
    detail: DetailPane,
    wake: WakeFn,
    jobs: Background<JobDone>,
    library: Library,
    templates_panel: TemplatesPanel,
    show_templates: bool,
    sessions: Sessions,
    replay_dialog: ReplayDialog,
    /// Where the workspace is saved, and the text last written there.
    workspace_file: Option<PathBuf>,
    workspace_written: Option<String>,
    /// The globals and named environments; one may be active.
    environments: Environments,
    environments_panel: EnvironmentsPanel,
    /// What `environments` came to when last worked out.
    environment_applied: Option<AppliedEnvironment>,
    /// The cookie jar every tab's handshakes use, kept in `cookies.txt` beside the
    /// workspace, and the text last written there.
    cookies: SharedJar,
    cookies_written: Option<String>,
    cookies_panel: CookiesPanel,
    /// Keychain secrets read so far (shared with every tab), and the generation of it that
    /// the tabs waiting for reads last saw.
    secrets: SecretCache,
    secrets_seen: u64,
}

/// The variables and secrets the tabs get from the environments, with the environments
/// they were worked out from.
struct AppliedEnvironment {
    from: Environments,
    /// The secret cache's generation the values were resolved with.
    generation: u64,
    variables: Vec<(String, String)>,
    secrets: Vec<String>,
}

impl AppliedEnvironment {
    /// Resolves `{{env.NAME}}` and `{{secret.NAME}}` (those read already) references in
    /// the values and collects every secret.
    fn of(environments: &Environments, cache: &SecretCache) -> Self {
        let generation = cache.generation();
        let lookup = cache.lookup(&crate::format::variables::process_env);
        let (variables, mut secrets) = environments.resolved_variables(&lookup);
        secrets.extend(environments.secret_values().into_iter().map(str::to_owned));
        AppliedEnvironment {
            from: environments.clone(),
            generation,
            variables,
            secrets,
        }
    }
}

impl SockscopeApp {
    /// Once keychain reads landed, runs again what waited for them (a connect, a send),
    /// and puts the values the environments manager stored into their environments.
    fn run_after_secrets(&mut self) {
        let generation = self.secrets.generation();
        if generation == self.secrets_seen {
            return;
        }
        self.secrets_seen = generation;
        for stored in self.secrets.take_stored() {
            self.environments_panel
                .stored(&mut self.environments, stored);
        }
        for tab in &mut self.tabs {
            match tab.take_secrets_pending() {
                Some(PendingUse::Connect) => {
                    tab.connect(&self.runtime_handle, Arc::clone(&self.wake));
                }
                Some(PendingUse::Send(draft)) => tab.send_draft(draft, &self.jobs),
                Some(PendingUse::Replay(_)) | None => {}
            }
        }
    }

    /// Starts the runtime (and the demo server unless told not to) and opens the first tab.
    /// `ctx` is woken by the engine after it delivers events.
    pub fn new(ctx: &egui::Context, options: AppOptions) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("sockscope-engine")
            .enable_all()
            .build()?;
        let mut notice = None;
        let demo = if options.no_demo_server {
            None
        } else {
            let any_port = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            match runtime.block_on(demo_server::start(any_port)) {
                Ok(server) => Some(server),
                Err(error) => {
                    notice = Some(format!("The demo server could not start: {error}"));
                    None
                }
            }
        };
        runtime.spawn(close_window_on_sigterm(ctx.clone()));
        let ctx = ctx.clone();
        let wake: WakeFn = Arc::new(move || ctx.request_repaint());
        let jobs = Background::new(runtime.handle().clone(), Arc::clone(&wake));
        let sessions = Sessions::new(runtime.handle().clone(), Arc::clone(&wake));
        let library = Library::open(templates_panel::library_path(options.config_dir.as_deref()));
        let mut app = Self {
            runtime_handle: runtime.handle().clone(),
            runtime: Some(runtime),
            demo,
            notice,
            tabs: Vec::new(),
            active: 0,
            next_tab_id: 1,
            detail: DetailPane::default(),
            wake,
            jobs,
            library,
            templates_panel: TemplatesPanel::default(),
            show_templates: true,
            sessions,
            replay_dialog: ReplayDialog::default(),
            workspace_file: options.workspace_file.clone(),
            workspace_written: None,
            environments: Environments::default(),
            environments_panel: EnvironmentsPanel::default(),
            environment_applied: None,
            cookies: SharedJar::default(),
            cookies_written: None,
            cookies_panel: CookiesPanel::default(),
            secrets: SecretCache::new(
                options
                    .config_dir
                    .clone()
                    .or_else(crate::secrets::config_dir),
            ),
            secrets_seen: 0,
        };
        app.load_cookies();
        if let Some(workspace) = options.restore {
            app.restore(workspace);
        }
        if app.tabs.is_empty() || options.url.is_some() {
            let first_url = options.url.unwrap_or_else(|| app.default_url());
            app.open_tab(first_url);
        }
        app.sessions.mark_saved(&app.tabs);
        Ok(app)
    }

    /// Reopens the tabs of the last run (configs, templates, variables; no timelines), their
    /// demo-server URLs moved to this run's demo server.
    fn restore(&mut self, workspace: Workspace) {
        self.sessions.restore(&workspace);
        self.environments = workspace.environments.clone();
        let base_now = self.demo_url("");
        for (index, saved) in workspace.tabs.into_iter().enumerate() {
            let mut setup = saved;
            // Workspaces written before tabs kept their demo path hold the base instead.
            if setup.demo_path.is_none() {
                setup.mark_demo(workspace.demo_base.as_deref());
            }
            setup.resolve_demo(base_now.as_deref());
            // No timeline comes back, so nothing to pin.
            setup.pins.clear();
            let mut tab = Tab::from_setup(self.next_tab_id, setup);
            tab.env_access = workspace
                .env_access
                .get(index)
                .cloned()
                .unwrap_or_else(EnvAccess::from_file);
            self.tabs.push(tab);
            self.next_tab_id += 1;
        }
        self.active = workspace.active.min(self.tabs.len().saturating_sub(1));
    }

    /// What the window keeps for the next run.
    pub fn workspace(&self) -> Workspace {
        let base = self.demo_url("");
        let setup = |tab: &Tab| {
            let mut setup = tab.to_session(false).setup;
            setup.mark_demo(base.as_deref());
            setup
        };
        Workspace {
            tabs: self.tabs.iter().map(setup).collect(),
            active: self.active,
            session: self.sessions.path().map(Path::to_owned),
            recent: self.sessions.recent().to_vec(),
            demo_base: None,
            env_access: self.tabs.iter().map(|tab| tab.env_access.clone()).collect(),
            environments: self.environments.for_saving(),
        }
    }

    /// The environments: globals, the named sets and the active one.
    pub fn environments_mut(&mut self) -> &mut Environments {
        &mut self.environments
    }

    /// The session the window holds: its file, the unsaved marker, recent sessions.
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// The demo server's URL for `path`, when it runs.
    pub fn demo_url(&self, path: &str) -> Option<String> {
        self.demo.as_ref().map(|server| server.url(path))
    }

    /// The open tabs, in strip order.
    pub fn tabs(&self) -> &[Tab] {
        &self.tabs
    }

    /// The index of the active tab.
    pub fn active_tab(&self) -> usize {
        self.active
    }

    /// The global template library.
    pub fn library(&self) -> &Library {
        &self.library
    }

    fn default_url(&self) -> String {
        self.demo_url("/echo").unwrap_or_default()
    }

    fn open_tab(&mut self, url: String) {
        self.tabs.push(Tab::new(self.next_tab_id, url));
        self.next_tab_id += 1;
        self.active = self.tabs.len() - 1;
    }

    /// Opens a proxy tab forwarding to `upstream` and makes it active; returns its index.
    pub fn open_proxy_tab(&mut self, upstream: String) -> usize {
        self.tabs.push(Tab::new_proxy(self.next_tab_id, upstream));
        self.next_tab_id += 1;
        self.active = self.tabs.len() - 1;
        self.active
    }

    /// Starts the reconnects that are due, and asks for a frame when the next one is, so
    /// the countdown stays current (about ten frames a second while a tab waits).
    /// Opens a tab with `config` and an existing `timeline` (a reopened session, a replay,
    /// a benchmark) and makes it active; returns its index.
    pub fn open_tab_with(&mut self, config: ConnectionConfig, timeline: Timeline) -> usize {
        let mut setup = TabSetup::with_config(config);
        setup.set_memory_budget(timeline.memory_budget());
        let mut tab = Tab::from_setup(self.next_tab_id, setup);
        tab.timeline = timeline;
        self.tabs.push(tab);
        self.next_tab_id += 1;
        self.active = self.tabs.len() - 1;
        self.active
    }

    /// The tab at `index`, to change it from outside the window (tests, benchmarks).
    pub fn tab_mut(&mut self, index: usize) -> Option<&mut Tab> {
        self.tabs.get_mut(index)
    }
}

/// SIGTERM closes the window the normal way, so connections get their closing handshakes.
async fn close_window_on_sigterm(ctx: egui::Context) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate())
            && term.recv().await.is_some()
        {
            // No "save changes?" prompt: the close goes through.
            ctx.data_mut(|data| data.insert_temp(super::session_menu::terminating_id(), true));
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            ctx.request_repaint();
        }
    }
    #[cfg(not(unix))]
    let _ = ctx;
}

/// The window's shortcuts (the table's [`Scope::Window`]), as the actions their menu
/// entries and buttons push; `active` is the active tab's id.
fn shortcuts(ctx: &egui::Context, actions: &mut Vec<Action>, active: Option<u64>) {
    for command in commands::pressed(ctx, Scope::Window) {
        let action = match command {
            CommandId::NewTab => Some(Action::NewTab),
            CommandId::CloseTab => active.map(|id| Action::Tab(id, TabAction::CloseTab)),
            CommandId::OpenSession => Some(Action::File(FileAction::Open)),
            CommandId::SaveSession => Some(Action::File(FileAction::Save)),
            _ => None,
        };
        actions.extend(action);
    }
}

impl eframe::App for SockscopeApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // Every tab sees the active environment under its own variables (worked out again
        // only when the environments change: the process's environment does not).
        if self.environment_applied.as_ref().is_none_or(|applied| {
            applied.from != self.environments || applied.generation != self.secrets.generation()
        }) {
            self.environment_applied =
                Some(AppliedEnvironment::of(&self.environments, &self.secrets));
        }
        let applied = self.environment_applied.as_ref();
        let (environment, secrets) = applied
            .map(|a| (a.variables.as_slice(), a.secrets.as_slice()))
            .unwrap_or_default();
        for tab in &mut self.tabs {
            tab.set_environment(environment, secrets);
            if !Arc::ptr_eq(&tab.cookies, &self.cookies) {
                tab.cookies = Arc::clone(&self.cookies);
            }
            if !tab.secrets.same(&self.secrets) {
                tab.secrets = self.secrets.clone();
            }
        }
        self.run_after_secrets();
        let deadline = Instant::now() + DRAIN_BUDGET;
        let mut more_waiting = false;
        for tab in &mut self.tabs {
            more_waiting |= tab.drain(deadline);
            tab.pump_script();
        }
        // A tab whose OAuth 2.0 token came connects now.
        for tab in &mut self.tabs {
            if tab.token_arrived() {
                tab.connect(&self.runtime_handle, Arc::clone(&self.wake));
            }
        }
        // A paused proxy's held messages are looked at again now and then.
        for tab in &mut self.tabs {
            if tab.setup.kind == TabKind::Proxy && tab.refresh_held() {
                ctx.request_repaint_after(crate::app::proxy_tab::HELD_REFRESH);
            }
            if tab.setup.kind == TabKind::Server {
                tab.refresh_armed();
            }
        }
        self.run_due_reconnects(ctx);
        self.run_due_repeats(ctx);
        // Filters, searches and statistics catch up with new entries in a budget of their own.
        let find_deadline = Instant::now() + DRAIN_BUDGET;
        for tab in &mut self.tabs {
            let lookup = crate::app::protocol_rows::TabLookup {
                decoded: tab.decoding.rows(),
                protocol: &tab.protocol,
            };
            more_waiting |= tab
                .finding
                .refresh_decoded(&tab.timeline, &lookup, find_deadline);
        }
        while let Some(done) = self.jobs.try_recv() {
            self.finish_job(done);
        }
        // Schemas of changed or restored tabs compile in the background.
        for tab in &mut self.tabs {
            tab.poll_schema(&self.jobs);
        }
        let demo_base = self.demo_url("");
        self.sessions.poll(Tabs {
            tabs: &mut self.tabs,
            active: &mut self.active,
            next_tab_id: &mut self.next_tab_id,
            demo_base: demo_base.as_deref(),
        });
        self.sessions.track(&self.tabs);
        if more_waiting {
            ctx.request_repaint();
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let mut actions = Vec::new();
        let active_id = self.tabs.get(self.active).map(|tab| tab.id);
        shortcuts(ui.ctx(), &mut actions, active_id);
        self.sessions
            .ui(ui, self.tabs.get(self.active), &mut actions);
        self.replay_dialog
            .ui(ui.ctx(), self.tabs.get(self.active), &mut actions);
        if let Some(tab) = self.tabs.get(self.active)
            && let Some(prompt) = &tab.env_prompt
        {
            env_consent::ui(ui.ctx(), tab.id, prompt, &mut actions);
        }
        let mut env_fallback = self.secrets.env_fallback();
        self.environments_panel
            .window(ui.ctx(), &mut self.environments, &mut env_fallback);
        self.secrets.set_env_fallback(env_fallback);
        for request in self.environments_panel.take_requests() {
            self.secrets.store(
                request.secret,
                request.value,
                &self.runtime_handle,
                &self.wake,
            );
        }
        self.cookies_panel.window(ui.ctx(), &self.cookies);
        egui::Panel::top("tab-strip").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    self.cookies_panel.button(ui, &self.cookies);
                    environments_panel::switcher(
                        ui,
                        &mut self.environments,
                        &mut self.environments_panel,
                    );
                    ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                        tab_strip::ui(ui, &self.tabs, self.active, &mut actions);
                    });
                });
            });
        });
        if let Some(notice) = &self.notice {
            egui::Panel::top("notice").show(ui, |ui| {
                ui.colored_label(ui.visuals().warn_fg_color, notice);
            });
        }
        let detail = &mut self.detail;
        let library = &self.library;
        let templates_panel = &mut self.templates_panel;
        let show_templates = &mut self.show_templates;
        match self.tabs.get_mut(self.active) {
            Some(tab) => {
                // What the panels of this tab ask for is for this tab.
                let mut for_tab = Vec::new();
                if tab.setup.kind == TabKind::Proxy {
                    super::proxy_panel::panels(ui, tab, &mut for_tab);
                } else if tab.setup.kind == TabKind::Server {
                    super::server_panel::panels(ui, tab, &mut for_tab);
                } else {
                    egui::Panel::top("connection").show(ui, |ui| {
                        ui.add_space(4.0);
                        connection_bar::ui(ui, tab, &mut for_tab);
                        ui.add_space(2.0);
                    });
                }
                // A proxy tab's left side is its connections and intercept.
                if *show_templates && !matches!(tab.setup.kind, TabKind::Proxy | TabKind::Server) {
                    egui::Panel::left("templates")
                        .resizable(true)
                        .default_size(270.0)
                        .min_size(200.0)
                        .show(ui, |ui| templates_panel.ui(ui, tab, library, &mut for_tab));
                }
                // The composer previews with the environment's variables under the tab's.
                let variables = tab.valid_variables();
                egui::Panel::bottom("composer")
                    .resizable(true)
                    .default_size(230.0)
                    .show(ui, |ui| {
                        ui.add_space(4.0);
                        let cx = ComposerContext {
                            tab_id: tab.id,
                            state: tab.ready_state(),
                            receive_only: tab.setup.kind == TabKind::Sse,
                            messages_only: matches!(
                                tab.setup.kind,
                                TabKind::Proxy | TabKind::Server
                            ),
                            variables: &variables,
                            counter: tab.counter(),
                            templates: TemplateLists {
                                tab: &tab.setup.templates,
                                library: library.is_available().then(|| library.templates()),
                            },
                            show_templates,
                            repeating: tab.repeat.as_ref().map(|r| Repeating {
                                every: r.every,
                                sent: r.sent,
                            }),
                            encoding: EncodingContext {
                                schema: &tab.schema,
                                tab_message: tab.setup.decode.message.as_deref(),
                                limits: tab.limits(),
                                protocol: &tab.setup.config.protocol,
                            },
                        };
                        egui::ScrollArea::vertical()
                            .id_salt("composer-scroll")
                            .auto_shrink([false, false])
                            .show(ui, |ui| {
                                composer::ui(ui, &mut tab.composer, cx, &mut for_tab);
                            });
                    });
                if tab.replay.is_some() {
                    egui::Panel::right("replay")
                        .resizable(true)
                        .default_size(320.0)
                        .min_size(240.0)
                        .show(ui, |ui| replay_view::ui(ui, tab, &mut actions));
                }
                egui::Panel::right("detail")
                    .resizable(true)
                    .default_size(460.0)
                    .min_size(320.0)
                    .show(ui, |ui| {
                        // The pane's copy buttons put text on the clipboard: redacted.
                        set_clipboard_redactor(ui.ctx(), Arc::clone(&tab.redactor));
                        let send_off = tab.send_off_reason();
                        let compose =
                            (tab.setup.kind == TabKind::WebSocket).then_some(RowMenuContext {
                                send_off: send_off.as_deref(),
                            });
                        let selected = tab.selected.and_then(|index| {
                            let event = tab.timeline.get(index)?;
                            let key = (tab.id << 40) ^ index as u64;
                            let not_kept = tab.timeline.not_kept_len(index);
                            let decode = tab.decoding.detail_view(index, event.kind);
                            let unit = tab
                                .protocol
                                .row(index)
                                .map(|row| (tab.protocol.kind().label(), row));
                            Some(Selected {
                                key,
                                event,
                                not_kept,
                                index,
                                compose,
                                decode,
                                unit,
                            })
                        });
                        if let Some(command) = detail.ui(ui, selected) {
                            for_tab.push(TabAction::Row(command));
                        }
                    });
                if tab.script.open {
                    egui::Panel::right("script")
                        .resizable(true)
                        .default_size(360.0)
                        .min_size(260.0)
                        .show(ui, |ui| super::script_panel::ui(ui, tab, &mut for_tab));
                }
                if tab.fold.open {
                    egui::Panel::right("state")
                        .resizable(true)
                        .default_size(340.0)
                        .min_size(240.0)
                        .show(ui, |ui| super::state_view::ui(ui, tab));
                }
                egui::CentralPanel::default()
                    .show(ui, |ui| timeline_view::ui(ui, tab, &mut for_tab));
                let id = tab.id;
                actions.extend(for_tab.into_iter().map(|action| Action::Tab(id, action)));
            }
            None => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.centered_and_justified(|ui| {
                        let text = format!(
                            "No tabs open. Press {} or {} for a new one.",
                            CommandId::NewTab.label(),
                            CommandId::NewTab.shortcut_text(ui.ctx())
                        );
                        ui.label(RichText::new(text).weak());
                    });
                });
            }
        }
        for action in actions {
            self.run(action, ui.ctx());
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.workspace_file.is_some() {
            // Older versions kept the workspace here, in a file eframe writes in place.
            storage.remove_string(super::session_menu::STORAGE_KEY);
            self.save_workspace();
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        // Close every connection cleanly and give the closing handshakes a moment.
        for tab in &mut self.tabs {
            tab.disconnect();
        }
        let deadline = Instant::now() + Duration::from_millis(500);
        while Instant::now() < deadline
            && self
                .tabs
                .iter()
                .any(|tab| tab.ready_state() != crate::engine::ReadyState::Closed)
        {
            for tab in &mut self.tabs {
                tab.drain(deadline);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // A blocking job that never ends (a file dialog, a stuck disk) must not keep the
        // process alive after the window closed.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_millis(500));
        }
    }
}

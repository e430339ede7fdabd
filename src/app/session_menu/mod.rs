//! The menu bar's File menu and what it does: new, open, save, save as, recent sessions,
//! HAR import and export, JSON lines export; the unsaved-changes marker and the
//! "save changes?" prompt; the workspace kept between runs (`workspace.ron`).
//!
//! Every read and write runs in the background; file dialogs are rfd's async ones, and where
//! none is available (no portal: Xvfb, CI) a typed path is asked for instead.

mod menu_ui;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::background::Background;
use super::tab::Tab;
use crate::engine::WakeFn;
use crate::model::har;
use crate::model::recorded::RecordError;
use crate::model::session::{SessionFile, SessionTab, TabRecording};
use crate::model::storage::{FileError, write_atomic};
use crate::model::tab_setup::TabSetup;

/// The key under which versions before `workspace.ron` kept the workspace in eframe's
/// storage: read once when there is no workspace file yet, then removed.
pub const STORAGE_KEY: &str = "sockscope-workspace";
/// How many recent sessions the menu lists.
const MAX_RECENT: usize = 8;
use crate::app::background::NO_DIALOG_WITHIN;

pub use crate::model::workspace::Workspace;

/// What a path is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A session to open.
    Open,
    /// Where to save the session.
    SaveAs,
    /// A HAR file to import.
    ImportHar,
    /// Where to export the active tab as HAR.
    ExportHar,
    /// Where to export the active tab as JSON lines.
    ExportJsonLines,
}

impl Purpose {
    fn title(self) -> &'static str {
        match self {
            Purpose::Open => "Open session",
            Purpose::SaveAs => "Save session as",
            Purpose::ImportHar => "Import HAR",
            Purpose::ExportHar => "Export tab as HAR",
            Purpose::ExportJsonLines => "Export tab as JSON lines",
        }
    }

    fn button(self) -> &'static str {
        match self {
            Purpose::Open => "Open",
            Purpose::SaveAs => "Save",
            Purpose::ImportHar => "Import",
            Purpose::ExportHar | Purpose::ExportJsonLines => "Export",
        }
    }

    fn default_name(self) -> &'static str {
        match self {
            Purpose::Open | Purpose::ImportHar => "",
            Purpose::SaveAs => "session.session.ron",
            Purpose::ExportHar => "tab.har",
            Purpose::ExportJsonLines => "tab.jsonl",
        }
    }

    fn reads(self) -> bool {
        matches!(self, Purpose::Open | Purpose::ImportHar)
    }
}

/// What waits for the answer to "save changes?".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    /// Start an empty session.
    New,
    /// Open a session (`None`: ask which).
    Open(Option<PathBuf>),
    /// Close the window.
    Quit,
}

/// A File-menu command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileAction {
    /// Close every tab and start an empty, unnamed session.
    New,
    /// Ask for a session file and open it.
    Open,
    /// Open this session file.
    OpenPath(PathBuf),
    /// Save to the session's file (ask where when it has none).
    Save,
    /// Ask where, then save.
    SaveAs,
    /// Ask for a HAR file and add its WebSocket entries as tabs.
    ImportHar,
    /// Ask where, then write the active tab as HAR.
    ExportHar,
    /// Ask where, then write the active tab's events as JSON lines.
    ExportJsonLines,
    /// A path was chosen (dialog or typed) for `Purpose`.
    Chosen(Purpose, PathBuf),
    /// The answer to "save changes?": `Some(true)` save first, `Some(false)` discard,
    /// `None` cancel.
    Confirm(Option<bool>),
}

/// A finished session job.
#[derive(Debug)]
pub enum SessionJob {
    /// A file dialog closed.
    Picked {
        /// What the path is for.
        purpose: Purpose,
        /// The chosen path; `None` when cancelled or when no dialog exists.
        path: Option<PathBuf>,
        /// How long the dialog was open.
        open_for: Duration,
    },
    /// A session file was read.
    Loaded {
        /// The file.
        path: PathBuf,
        /// The session, or why it cannot be used.
        result: Result<SessionFile, FileError>,
    },
    /// The session was written.
    Saved {
        /// The file.
        path: PathBuf,
        /// The tabs as they were saved.
        saved: SavedState,
        /// Whether it worked.
        result: Result<(), FileError>,
    },
    /// A HAR file was read.
    Imported {
        /// The file.
        path: PathBuf,
        /// Its WebSocket entries as tabs.
        result: Result<Vec<SessionTab>, FileError>,
    },
    /// A tab was exported.
    Exported {
        /// The file.
        path: PathBuf,
        /// Whether it worked.
        result: Result<(), ExportError>,
    },
}

/// A message about a session file, shown under the menu bar until dismissed.
#[derive(Clone, Debug)]
struct Notice {
    text: String,
    error: bool,
}

/// The tabs the app holds, lent to a session command.
pub struct Tabs<'a> {
    /// The open tabs.
    pub tabs: &'a mut Vec<Tab>,
    /// The active tab's index.
    pub active: &'a mut usize,
    /// The id the next tab gets.
    pub next_tab_id: &'a mut u64,
    /// The embedded demo server's base URL in this run (`ws://127.0.0.1:PORT`), if it
    /// runs: tabs on it are saved by path and reopened on this port.
    pub demo_base: Option<&'a str>,
}

impl Tabs<'_> {
    /// Adds saved tabs (timelines restored); returns the errors of those that failed.
    fn add(&mut self, saved: &[SessionTab]) -> Vec<String> {
        let mut errors = Vec::new();
        for (index, session_tab) in saved.iter().enumerate() {
            match Tab::from_session(*self.next_tab_id, session_tab, &session_tab.label(index)) {
                Ok(mut tab) => {
                    tab.setup.resolve_demo(self.demo_base);
                    self.tabs.push(tab);
                    *self.next_tab_id += 1;
                }
                Err(error) => errors.push(error.to_string()),
            }
        }
        errors
    }
}

/// The session the window holds: its file, whether it changed, the recent files, and the
/// prompts in progress.
pub struct Sessions {
    jobs: Background<SessionJob>,
    path: Option<PathBuf>,
    saved: SavedState,
    dirty: bool,
    recent: Vec<PathBuf>,
    prompt: Option<(Purpose, String)>,
    focus_prompt: bool,
    confirm: Option<Pending>,
    after_save: Option<Pending>,
    notice: Option<Notice>,
    busy: Option<String>,
    close_allowed: bool,
    close_now: bool,
    title: String,
}

impl Sessions {
    /// Session jobs on `runtime`; `wake` asks for a frame when one finishes.
    pub fn new(runtime: tokio::runtime::Handle, wake: WakeFn) -> Self {
        Self {
            jobs: Background::new(runtime, Arc::clone(&wake)),
            path: None,
            saved: SavedState::default(),
            dirty: false,
            recent: Vec::new(),
            prompt: None,
            focus_prompt: false,
            confirm: None,
            after_save: None,
            notice: None,
            busy: None,
            close_allowed: false,
            close_now: false,
            title: String::new(),
        }
    }

    /// The session file, once opened or saved.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// True when the tabs changed since they were opened or saved.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Recently opened or saved sessions, newest first.
    pub fn recent(&self) -> &[PathBuf] {
        &self.recent
    }

    /// Takes the recent sessions and session path of a restored workspace.
    pub fn restore(&mut self, workspace: &Workspace) {
        self.recent = workspace.recent.clone();
        self.path = workspace.session.clone();
    }

    /// Starts counting changes from the tabs as they are now.
    pub fn mark_saved(&mut self, tabs: &[Tab]) {
        self.saved = SavedState::of(tabs);
        self.dirty = false;
    }

    /// Notes whether the tabs changed (called once per frame, before drawing).
    pub fn track(&mut self, tabs: &[Tab]) {
        self.dirty = !self.saved.matches(tabs);
    }

    /// The window title: the session's name and the unsaved marker.
    pub fn window_title(&self) -> String {
        let name = self.path.as_deref().and_then(Path::file_name).map_or_else(
            || "untitled".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
        if self.path.is_none() && !self.dirty {
            return "Sockscope".to_owned();
        }
        let marker = if self.dirty { " \u{2022} unsaved" } else { "" };
        format!("{name}{marker} - Sockscope")
    }

    /// Carries out a File-menu command.
    pub fn run(&mut self, action: FileAction, mut tabs: Tabs<'_>) {
        match action {
            FileAction::New => self.guarded(Pending::New, tabs),
            FileAction::Open => self.guarded(Pending::Open(None), tabs),
            FileAction::OpenPath(path) => self.guarded(Pending::Open(Some(path)), tabs),
            FileAction::Save => match self.path.clone() {
                Some(path) => self.save(path, &tabs),
                None => self.pick(Purpose::SaveAs),
            },
            FileAction::SaveAs => self.pick(Purpose::SaveAs),
            FileAction::ImportHar => self.pick(Purpose::ImportHar),
            FileAction::ExportHar => self.pick(Purpose::ExportHar),
            FileAction::ExportJsonLines => self.pick(Purpose::ExportJsonLines),
            FileAction::Chosen(purpose, path) => self.chosen(purpose, path, &mut tabs),
            FileAction::Confirm(answer) => {
                let Some(pending) = self.confirm.take() else {
                    return;
                };
                match answer {
                    Some(true) => {
                        self.after_save = Some(pending);
                        match self.path.clone() {
                            Some(path) => self.save(path, &tabs),
                            None => self.pick(Purpose::SaveAs),
                        }
                    }
                    Some(false) => self.proceed(pending, tabs),
                    None => {}
                }
            }
        }
    }

    /// Runs `pending` now, or asks first when there are unsaved changes.
    fn guarded(&mut self, pending: Pending, tabs: Tabs<'_>) {
        if self.dirty {
            self.confirm = Some(pending);
        } else {
            self.proceed(pending, tabs);
        }
    }

    fn proceed(&mut self, pending: Pending, tabs: Tabs<'_>) {
        match pending {
            Pending::New => {
                tabs.tabs.clear();
                *tabs.active = 0;
                self.path = None;
                self.notice = None;
                self.mark_saved(tabs.tabs);
            }
            Pending::Open(Some(path)) => self.load(path),
            Pending::Open(None) => self.pick(Purpose::Open),
            Pending::Quit => {
                self.close_allowed = true;
                self.close_now = true;
            }
        }
    }

    fn chosen(&mut self, purpose: Purpose, path: PathBuf, tabs: &mut Tabs<'_>) {
        match purpose {
            Purpose::Open => self.load(path),
            Purpose::SaveAs => self.save(path, tabs),
            Purpose::ImportHar => {
                self.busy = Some(format!("Importing {}", path.display()));
                self.jobs.spawn_blocking(move || {
                    let result = har::load(&path);
                    SessionJob::Imported { path, result }
                });
            }
            Purpose::ExportHar | Purpose::ExportJsonLines => {
                let Some(tab) = tabs.tabs.get(*tabs.active) else {
                    self.notice = Some(Notice {
                        text: "There is no tab to export.".into(),
                        error: true,
                    });
                    return;
                };
                let recording = tab.recording(true);
                self.busy = Some(format!("Exporting to {}", path.display()));
                self.jobs.spawn_blocking(move || {
                    let result = export(purpose, &path, &recording);
                    SessionJob::Exported { path, result }
                });
            }
        }
    }

    fn load(&mut self, path: PathBuf) {
        self.busy = Some(format!("Opening {}", path.display()));
        self.jobs.spawn_blocking(move || {
            let result = SessionFile::load(&path);
            SessionJob::Loaded { path, result }
        });
    }

    fn save(&mut self, path: PathBuf, tabs: &Tabs<'_>) {
        let recordings: Vec<TabRecording> = tabs
            .tabs
            .iter()
            .map(|tab| {
                let mut recording = tab.recording(true);
                recording.setup.mark_demo(tabs.demo_base);
                recording
            })
            .collect();
        let saved = SavedState::of(tabs.tabs);
        self.busy = Some(format!("Saving {}", path.display()));
        self.jobs.spawn_blocking(move || {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                // A missing folder (the data directory on first use) is made; a failure
                // shows up as the save's own error.
                let _ = std::fs::create_dir_all(parent);
            }
            let file = SessionFile::new(recordings.iter().map(TabRecording::to_session).collect());
            let result = file.save(&path);
            SessionJob::Saved {
                path,
                saved,
                result,
            }
        });
    }

    fn pick(&mut self, purpose: Purpose) {
        let folder = default_folder();
        self.jobs.spawn(async move {
            let started = Instant::now();
            let mut dialog = rfd::AsyncFileDialog::new()
                .set_title(purpose.title())
                .set_directory(&folder);
            let picked = if purpose.reads() {
                if purpose == Purpose::ImportHar {
                    dialog = dialog.add_filter("HAR", &["har"]);
                } else {
                    dialog = dialog.add_filter("Session", &["ron"]);
                }
                dialog.pick_file().await
            } else {
                dialog
                    .set_file_name(purpose.default_name())
                    .save_file()
                    .await
            };
            SessionJob::Picked {
                purpose,
                path: picked.map(|handle| handle.path().to_owned()),
                open_for: started.elapsed(),
            }
        });
    }

    /// Collects finished jobs: opened sessions replace the tabs, imports add tabs, saves
    /// clear the unsaved marker. Called from `App::logic`.
    pub fn poll(&mut self, mut tabs: Tabs<'_>) {
        while let Some(done) = self.jobs.try_recv() {
            self.finish(done, &mut tabs);
        }
    }

    fn finish(&mut self, done: SessionJob, tabs: &mut Tabs<'_>) {
        match done {
            SessionJob::Picked {
                purpose,
                path,
                open_for,
            } => match path {
                Some(path) => self.chosen(purpose, path, tabs),
                None if open_for < NO_DIALOG_WITHIN => {
                    let folder = default_folder();
                    let text = folder.join(purpose.default_name()).display().to_string();
                    self.prompt = Some((purpose, text));
                    self.focus_prompt = true;
                }
                None => self.after_save = None,
            },
            SessionJob::Loaded { path, result } => {
                self.busy = None;
                match result {
                    Ok(file) => {
                        tabs.tabs.clear();
                        *tabs.active = 0;
                        let errors = tabs.add(&file.tabs);
                        self.path = Some(path.clone());
                        self.remember(path.clone());
                        self.mark_saved(tabs.tabs);
                        self.notice = (!errors.is_empty()).then(|| Notice {
                            text: errors.join("; "),
                            error: true,
                        });
                    }
                    Err(error) => self.failed("Could not open the session", &error),
                }
            }
            SessionJob::Saved {
                path,
                saved,
                result,
            } => {
                self.busy = None;
                match result {
                    Ok(()) => {
                        self.path = Some(path.clone());
                        self.remember(path.clone());
                        self.saved = saved;
                        self.track(tabs.tabs);
                        self.notice = Some(Notice {
                            text: format!("Saved {}", path.display()),
                            error: false,
                        });
                        if let Some(pending) = self.after_save.take() {
                            self.proceed(
                                pending,
                                Tabs {
                                    tabs: tabs.tabs,
                                    active: tabs.active,
                                    next_tab_id: tabs.next_tab_id,
                                    demo_base: tabs.demo_base,
                                },
                            );
                        }
                    }
                    Err(error) => {
                        self.after_save = None;
                        self.failed("Could not save the session", &error);
                    }
                }
            }
            SessionJob::Imported { path, result } => {
                self.busy = None;
                match result {
                    Ok(imported) => {
                        let errors = tabs.add(&imported);
                        *tabs.active = tabs.tabs.len().saturating_sub(1);
                        self.notice = Some(if errors.is_empty() {
                            Notice {
                                text: format!(
                                    "Imported {} tab(s) from {}",
                                    imported.len(),
                                    path.display()
                                ),
                                error: false,
                            }
                        } else {
                            Notice {
                                text: errors.join("; "),
                                error: true,
                            }
                        });
                    }
                    Err(error) => self.failed("Could not import the HAR file", &error),
                }
            }
            SessionJob::Exported { path, result } => {
                self.busy = None;
                self.notice = Some(match result {
                    Ok(()) => Notice {
                        text: format!("Exported {}", path.display()),
                        error: false,
                    },
                    Err(error) => Notice {
                        text: format!("Could not export: {error}"),
                        error: true,
                    },
                });
            }
        }
    }

    fn failed(&mut self, what: &str, error: &FileError) {
        self.notice = Some(Notice {
            text: format!("{what}: {error}"),
            error: true,
        });
    }

    fn remember(&mut self, path: PathBuf) {
        self.recent.retain(|p| p != &path);
        self.recent.insert(0, path);
        self.recent.truncate(MAX_RECENT);
    }
}

/// Where the SIGTERM handler notes that the window must close without asking.
pub fn terminating_id() -> egui::Id {
    egui::Id::unique("sockscope-terminating")
}

/// Why an export wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The timeline holds an event that cannot be written (an older file's bad event).
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The file could not be written.
    #[error(transparent)]
    File(#[from] FileError),
}

/// Writes the tab as HAR or JSON lines.
fn export(purpose: Purpose, path: &Path, tab: &TabRecording) -> Result<(), ExportError> {
    if purpose == Purpose::ExportHar {
        let saved = tab.to_session();
        let document = har::export_tabs(&[(&saved, saved.label(0))])?;
        Ok(har::save(path, &document)?)
    } else {
        let text = tab.json_lines();
        write_atomic(path, text.as_bytes()).map_err(|source| FileError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(())
    }
}

/// `saved_sessions/` when it exists in the current directory, else the user's data
/// directory for Sockscope (or the current directory).
pub fn default_folder() -> PathBuf {
    let local = PathBuf::from("saved_sessions");
    if local.is_dir() {
        return std::env::current_dir().map_or(local.clone(), |dir| dir.join(local));
    }
    dirs::data_dir().map_or_else(|| PathBuf::from("."), |dir| dir.join("sockscope"))
}

/// What the tabs were when last opened or saved, for the unsaved marker: each tab's
/// setup and how many rows its timeline had. Compared with the tabs every frame by
/// equality (no hashing, no formatting): a change to any setting or a new row shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SavedState {
    tabs: Vec<(TabSetup, usize)>,
}

impl SavedState {
    fn of(tabs: &[Tab]) -> Self {
        Self {
            tabs: tabs
                .iter()
                .map(|tab| (tab.setup.clone(), tab.timeline.len()))
                .collect(),
        }
    }

    fn matches(&self, tabs: &[Tab]) -> bool {
        self.tabs.len() == tabs.len()
            && self
                .tabs
                .iter()
                .zip(tabs)
                .all(|((setup, rows), tab)| *rows == tab.timeline.len() && *setup == tab.setup)
    }
}

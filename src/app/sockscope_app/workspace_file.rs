//! The workspace kept between runs, in its own file (`workspace.ron`, see
//! [`crate::model::workspace`]), written through the one write path every file uses.

use std::path::{Path, PathBuf};

use super::SockscopeApp;
use crate::app::session_menu::{self, Workspace};
use std::sync::{Arc, Mutex};

use crate::model::cookie_jar::CookieJar;
use crate::model::storage::{FileError, keep_broken_copy, write_atomic};
use crate::model::workspace::WORKSPACE_FILE;

/// The app id the window and its data directory are named by.
pub const APP_ID: &str = "sockscope";

/// `workspace.ron` in the app's data directory (`~/.local/share/sockscope` on Linux).
pub fn default_workspace_file() -> Option<PathBuf> {
    eframe::storage_dir(APP_ID).map(|dir| dir.join(WORKSPACE_FILE))
}

/// The workspace of the last run: from `path`, or when there is no such file yet, from
/// where older versions kept it in eframe's `storage`. A file that cannot be parsed is
/// copied beside itself (`workspace.ron.broken-…`) and the window starts afresh.
pub fn restore_workspace(
    path: Option<&Path>,
    storage: Option<&dyn eframe::Storage>,
) -> Option<Workspace> {
    let older =
        || storage.and_then(|storage| eframe::get_value(storage, session_menu::STORAGE_KEY));
    let Some(path) = path else {
        return older();
    };
    match Workspace::load(path) {
        Ok(workspace) => Some(workspace),
        Err(FileError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            older()
        }
        Err(error) => {
            let kept = std::fs::read(path)
                .and_then(|bytes| keep_broken_copy(path, &bytes))
                .map_or_else(
                    |e| format!("no copy could be kept: {e}"),
                    |copy| format!("it was kept as {}", copy.display()),
                );
            eprintln!("sockscope: the workspace could not be read ({error}); {kept}");
            None
        }
    }
}

/// The cookie jar's file, beside the workspace.
const COOKIES_FILE: &str = "cookies.txt";

impl SockscopeApp {
    /// The cookie jar's file: `cookies.txt` beside the workspace file (none in tests).
    fn cookies_file(&self) -> Option<PathBuf> {
        let workspace = self.workspace_file.as_ref()?;
        Some(workspace.parent()?.join(COOKIES_FILE))
    }

    /// Reads the cookie jar kept by the last run; one that cannot be read is said in the
    /// notice bar, and the window starts with an empty jar (the file stays as it was until
    /// a cookie is set).
    pub(super) fn load_cookies(&mut self) {
        let Some(path) = self.cookies_file() else {
            return;
        };
        match CookieJar::load(&path) {
            Ok(jar) => {
                self.cookies_written = Some(jar.to_text());
                self.cookies = Arc::new(Mutex::new(jar));
            }
            Err(error) => {
                self.notice = Some(format!("The cookie jar could not be read: {error}"));
                // Not written over until something changes.
                self.cookies_written = Some(CookieJar::new().to_text());
            }
        }
    }

    /// Writes the cookie jar when it changed since the last write.
    fn save_cookies(&mut self) {
        let Some(path) = self.cookies_file() else {
            return;
        };
        let Ok(text) = self.cookies.lock().map(|jar| jar.to_text()) else {
            return;
        };
        if self.cookies_written.as_deref() == Some(text.as_str()) {
            return;
        }
        match write_atomic(&path, text.as_bytes()) {
            Ok(()) => self.cookies_written = Some(text),
            Err(error) => {
                self.notice = Some(format!("The cookie jar could not be saved: {error}"));
            }
        }
    }

    /// Saves the workspace to its file when it changed since the last save. A failure is
    /// shown in the notice bar.
    pub fn save_workspace(&mut self) {
        self.save_cookies();
        let Some(path) = self.workspace_file.clone() else {
            return;
        };
        let text = match self.workspace().to_text() {
            Ok(text) => text,
            Err(error) => {
                self.notice = Some(format!("The workspace could not be saved: {error}"));
                return;
            }
        };
        if self.workspace_written.as_deref() == Some(text.as_str()) {
            return;
        }
        match Workspace::save_text(&path, &text) {
            Ok(()) => self.workspace_written = Some(text),
            Err(error) => {
                self.notice = Some(format!("The workspace could not be saved: {error}"));
            }
        }
    }
}

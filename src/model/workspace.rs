//! What the window keeps between runs: the open tabs' settings (never their timelines), the
//! session file and the recent sessions. It is RON in `workspace.ron` in the app's data
//! directory, written like every file Sockscope writes ([`storage::write_atomic`]: atomic,
//! the file's mode kept, new files private, through symbolic links).

use super::environments::Environments;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::env_access::EnvAccess;
use super::storage::{self, FileError};
use super::tab_setup::TabSetup;

/// The workspace's file name in the app's data directory.
pub const WORKSPACE_FILE: &str = "workspace.ron";

/// What the window keeps between runs: the tabs' configs (never their timelines), the
/// session file and the recent sessions.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Workspace {
    /// The open tabs' setups (no timelines, so no pins); a tab on the embedded demo
    /// server keeps its path ([`TabSetup::demo_path`]), not the port of that run.
    pub tabs: Vec<TabSetup>,
    /// The active tab.
    pub active: usize,
    /// The session file the tabs came from or were saved to.
    pub session: Option<PathBuf>,
    /// Recently opened or saved sessions, newest first.
    pub recent: Vec<PathBuf>,
    /// The demo server's base URL (`ws://127.0.0.1:PORT`) in the run that wrote the
    /// workspace, as versions before [`TabSetup::demo_path`] wrote it: tabs pointing at it
    /// are moved to this run's demo server. No longer written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo_base: Option<String>,
    /// Per tab (in the order of `tabs`), which environment variables it may read: whether
    /// it came from a file and what the user allowed. Kept here, in the user's own
    /// workspace, never in a session file. A tab without an entry counts as from a file.
    pub env_access: Vec<EnvAccess>,
    /// The environments, the active one and the globals, without secret values.
    #[serde(skip_serializing_if = "Environments::is_empty")]
    pub environments: Environments,
}

impl Workspace {
    /// Parses a workspace's `text`; `path` names it in errors (with line and column).
    pub fn parse(path: &Path, text: &str) -> Result<Self, FileError> {
        storage::from_ron(path, text)
    }

    /// Reads and parses a workspace file.
    pub fn load(path: &Path) -> Result<Self, FileError> {
        storage::load_ron(path)
    }

    /// The workspace as the RON text [`Workspace::save_text`] writes.
    pub fn to_text(&self) -> Result<String, FileError> {
        storage::to_ron(self)
    }

    /// Writes `text` (from [`Workspace::to_text`]) to `path`, creating its directory.
    pub fn save_text(path: &Path, text: &str) -> Result<(), FileError> {
        let io_error = |source| FileError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io_error)?;
        }
        storage::write_atomic(path, text.as_bytes()).map_err(io_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workspace_round_trips_and_errors_name_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join(WORKSPACE_FILE);
        let workspace = Workspace {
            active: 2,
            recent: vec![PathBuf::from("/tmp/a.ron")],
            demo_base: Some("ws://127.0.0.1:9".into()),
            ..Workspace::default()
        };
        Workspace::save_text(&path, &workspace.to_text().unwrap()).unwrap();
        let back = Workspace::load(&path).unwrap();
        assert_eq!(back.active, 2);
        assert_eq!(back.recent, workspace.recent);
        assert_eq!(back.demo_base, workspace.demo_base);
        let error = Workspace::parse(Path::new("w.ron"), "(\n  active: \"x\",\n)").unwrap_err();
        assert_eq!(error.line_column().map(|(line, _)| line), Some(2));
    }

    #[test]
    fn a_workspace_written_before_tab_setups_still_opens() {
        // Tabs were whole session tabs (name, empty timeline), the demo port in `demo_base`.
        let text = r#"(
            tabs: [(
                name: "127.0.0.1:4100/echo",
                config: (url: "ws://127.0.0.1:4100/echo", headers: [], subprotocols: [],
                    handshake_timeout: 10000, close_timeout: 5000,
                    max_message_size: 67108864, tls: (ca_file: None, accept_invalid_certs: false)),
                variables: [("room", "lobby")],
                timeline: [],
                kind: Sse,
            )],
            active: 0,
            demo_base: Some("ws://127.0.0.1:4100"),
        )"#;
        let workspace = Workspace::parse(Path::new("w.ron"), text).unwrap();
        let setup = &workspace.tabs[0];
        assert_eq!(setup.config.url, "ws://127.0.0.1:4100/echo");
        assert_eq!(setup.variables, [("room".to_owned(), "lobby".to_owned())]);
        assert_eq!(setup.kind, crate::model::tab_setup::TabKind::Sse);
        assert_eq!(workspace.demo_base.as_deref(), Some("ws://127.0.0.1:4100"));
    }
}

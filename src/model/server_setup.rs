//! What a user sets for a server tab (the mock server in the window): where it listens,
//! the subprotocol it accepts and its auto-responses, written in the rules file format of
//! `sockscope listen --rules` (RON). Plain data, saved with the tab.

use serde::{Deserialize, Serialize};

/// A server tab's settings, as typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerSetup {
    /// Where clients connect, `IP:PORT` (port 0: any free port).
    pub listen: String,
    /// The subprotocol accepted when a client offers it (empty: none, or the rules').
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subprotocol: String,
    /// The auto-responses, as a `listen --rules` file's RON (empty: none).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rules: String,
}

impl Default for ServerSetup {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9003".into(),
            subprotocol: String::new(),
            rules: String::new(),
        }
    }
}

impl ServerSetup {
    /// The tab's title: `server :PORT`.
    pub fn title(&self) -> String {
        let port = self.listen.rsplit(':').next().unwrap_or_default();
        format!("server :{port}")
    }
}

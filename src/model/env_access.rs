//! Which environment variables a tab may read: plain data kept with the user's own
//! workspace, never in a session file (see `app::env_consent` for the prompt that asks).

use serde::{Deserialize, Serialize};

use crate::format::variables::EnvPolicy;

/// What a tab may read from the environment. Kept with the workspace (the user's own
/// file), never in a session file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EnvAccess {
    /// The tab came from a file: it reads only the allowed names.
    pub from_file: bool,
    /// Names the user allowed in the prompt.
    pub allowed: Vec<String>,
    /// Headers the user marked Secret in this tab: their environment variables are allowed.
    pub marked_secrets: Vec<String>,
}

impl EnvAccess {
    /// The access of a tab loaded from a file: nothing allowed yet.
    pub fn from_file() -> Self {
        Self {
            from_file: true,
            ..Self::default()
        }
    }

    /// The expansion policy, given the allowed names (see `Tab::allowed_env`).
    pub fn policy<'a>(&self, allowed: &'a [String]) -> EnvPolicy<'a> {
        if self.from_file {
            EnvPolicy::Only(allowed)
        } else {
            EnvPolicy::Any
        }
    }

    /// Allows `names` for this tab from now on.
    pub fn allow(&mut self, names: &[String]) {
        for name in names {
            if !self.allowed.contains(name) {
                self.allowed.push(name.clone());
            }
        }
    }

    /// Marks the header `name` as one the user made secret in this tab.
    pub fn mark_secret(&mut self, name: &str) {
        if !self
            .marked_secrets
            .iter()
            .any(|marked| marked.eq_ignore_ascii_case(name))
        {
            self.marked_secrets.push(name.to_owned());
        }
    }
}

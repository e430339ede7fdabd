//! Which environment variables a tab may read, and the one-time prompt that asks.
//!
//! A tab the user created and typed into may read any `{{env.NAME}}`. A tab that came from
//! a file (a session, a HAR import) reads only the names the user allowed for it: a secret
//! header they marked in this tab, or a name they allowed in the prompt, which names each
//! variable and the host it would go to before anything is sent.

use super::action::{Action, Draft, TabAction};
use super::replay_view::ReplayAction;
use crate::format::variables;

pub use crate::model::env_access::EnvAccess;

/// What waits for the user's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PendingUse {
    /// Connecting the tab.
    Connect,
    /// Sending this message.
    Send(Draft),
    /// Replaying the tab's recording in a new tab (started by the app, which owns the
    /// tabs: [`crate::app::Tab::answer_env_prompt`] hands it back).
    Replay(ReplayAction),
}

/// The question shown before a tab from a file reads environment variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvPrompt {
    /// The variables not allowed yet, in order.
    pub names: Vec<String>,
    /// Where their values would go: the URL's host (or the URL when it has none).
    pub host: String,
    /// What runs when the user allows them.
    pub pending: PendingUse,
    /// Where the text came from, as a sentence ("This tab came from a file.").
    pub origin: &'static str,
}

/// [`EnvPrompt::origin`] for a tab opened from a session or HAR file.
pub const FROM_TAB_FILE: &str = "This tab came from a file.";
/// [`EnvPrompt::origin`] for a template of the library.
pub const FROM_LIBRARY: &str = "This message came from the template library, a file.";

/// The host a config's URL points at, for the prompt.
pub fn host_of(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(parsed) => match (parsed.host_str(), parsed.port()) {
            (Some(host), _) if host.contains('{') => url.trim().to_owned(),
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => url.trim().to_owned(),
        },
        Err(_) => url.trim().to_owned(),
    }
}

/// Draws the prompt of the tab with id `tab` as a modal; pushes the answer.
pub fn ui(ctx: &egui::Context, tab: u64, prompt: &EnvPrompt, actions: &mut Vec<Action>) {
    let mut answer = None;
    let doing = match prompt.pending {
        PendingUse::Connect => "Connecting",
        PendingUse::Send(_) => "Sending this message",
        PendingUse::Replay(_) => "Replaying this tab",
    };
    let modal = egui::Modal::new(egui::Id::unique("env-consent-prompt")).show(ctx, |ui| {
        let secrets = prompt
            .names
            .iter()
            .any(|name| name.starts_with(variables::SECRET_PREFIX));
        let (heading, what) = if secrets {
            (
                "Allow environment variables and secrets?",
                "environment variables and keychain secrets",
            )
        } else {
            ("Allow environment variables?", "environment variables")
        };
        ui.heading(heading);
        ui.label(format!(
            "{} {doing} would read these {what} and send their values to {}:",
            prompt.origin, prompt.host
        ));
        for name in &prompt.names {
            let shown = match name.strip_prefix(variables::SECRET_PREFIX) {
                Some(secret) => format!("secret {secret} (keychain)"),
                None => name.clone(),
            };
            ui.label(egui::RichText::new(format!("{shown} → {}", prompt.host)).monospace());
        }
        ui.label("Allow only if you trust the file and that host.");
        ui.horizontal(|ui| {
            if ui.button("Allow").clicked() {
                answer = Some(true);
            }
            if ui.button("Cancel").clicked() {
                answer = Some(false);
            }
        });
    });
    if modal.should_close() && answer.is_none() {
        answer = Some(false);
    }
    if let Some(allow) = answer {
        actions.push(Action::Tab(tab, TabAction::AnswerEnvPrompt(allow)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_for_the_prompt() {
        assert_eq!(host_of("wss://evil.example/x"), "evil.example");
        assert_eq!(host_of("ws://127.0.0.1:9001/echo"), "127.0.0.1:9001");
        assert_eq!(host_of("ws://{{env.HOST}}/x"), "ws://{{env.HOST}}/x");
    }

    #[test]
    fn a_file_tab_reads_only_what_was_allowed() {
        let mut access = EnvAccess::from_file();
        let allowed = vec!["A".to_owned()];
        assert!(access.policy(&allowed).allows("A"));
        assert!(!access.policy(&allowed).allows("B"));
        access.allow(&["B".to_owned(), "B".to_owned()]);
        assert_eq!(access.allowed, ["B"]);
        assert!(EnvAccess::default().policy(&[]).allows("ANY"));
    }
}

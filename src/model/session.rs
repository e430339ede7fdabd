//! A saved workspace: every tab's connection config, templates, variables and recorded
//! timeline, as one versioned RON file (`*.session.ron`), written atomically.
//!
//! Secrets never go to disk: a header named in a tab's [`SecretHeader`] list is saved as a
//! `{{env.NAME}}` reference ([`TabRecording::to_session`]), and [`resolve_config`] expands such
//! references (and the tab's variables) only when connecting.

use std::path::Path;

use serde::{Deserialize, Serialize};

mod flat;

use super::recorded::{self, RecordError, RecordedEvent, RecordedKind};
use super::redact::Redactor;
use super::storage::{self, FileError};
use super::tab_setup::TabSetup;
use super::timeline::{Timeline, TimelineEntry};
use crate::engine::ConnectionConfig;
use crate::format::variables::{self, ENV_PREFIX, EnvPolicy, VarContext, VarError};

/// The version [`SessionFile`] writes and accepts.
pub const SESSION_FILE_VERSION: u32 = 1;

/// A session file, as stored on disk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionFile {
    /// The file format's version; only [`SESSION_FILE_VERSION`] is accepted.
    pub version: u32,
    /// The tabs, in the order shown.
    #[serde(default)]
    pub tabs: Vec<SessionTab>,
}

/// One tab of a session: its name, what the user set ([`TabSetup`]) and what it saw.
///
/// On disk the setup's fields sit beside `name` and `timeline` in one flat record (the
/// format of version 1 files), through `flat.rs`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionTab {
    /// The tab's title.
    pub name: String,
    /// What the user set: kind, connection settings (secret header values replaced by
    /// `{{env.NAME}}`), templates, variables, secret headers, pins, memory budget.
    pub setup: TabSetup,
    /// The recorded timeline: every event of every attempt, in order.
    pub timeline: Vec<RecordedEvent>,
}

/// A header whose value is never written to disk: it is saved as `{{env.<env>}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretHeader {
    /// The header's name (compared without regard to case).
    pub name: String,
    /// The environment variable that holds the value at connect time.
    pub env: String,
}

impl SecretHeader {
    /// A secret header `name` whose value comes from the environment variable `env`.
    pub fn new(name: impl Into<String>, env: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            env: env.into(),
        }
    }

    /// The reference saved instead of the value: `{{env.NAME}}`.
    pub fn reference(&self) -> String {
        format!("{{{{{ENV_PREFIX}{}}}}}", self.env)
    }

    /// Whether this is header `header` (names compared without regard to case).
    pub fn matches(&self, header: &str) -> bool {
        self.name.trim().eq_ignore_ascii_case(header.trim())
    }
}

/// A tab to save or export: its setup, a copy of its timeline (payloads shared, not
/// copied) and the secrets it learnt. Cheap to take on the UI thread; turning it into a
/// [`SessionTab`] (base64, redaction) may run on a background thread.
#[derive(Clone, Debug, Default)]
pub struct TabRecording {
    /// The tab's title.
    pub name: String,
    /// What the user set, with real header values.
    pub setup: TabSetup,
    /// The timeline to record.
    pub entries: Vec<TimelineEntry>,
    /// Entries whose payload was not kept (memory budget), with the payload's size.
    pub not_kept: Vec<(usize, usize)>,
    /// The secrets the tab learnt while connecting (environment values and the like).
    pub redactor: Redactor,
}

impl TabRecording {
    /// A recording of `entries` made with `config`, named `name`.
    pub fn new(
        name: impl Into<String>,
        config: ConnectionConfig,
        entries: Vec<TimelineEntry>,
    ) -> Self {
        Self {
            name: name.into(),
            setup: TabSetup::with_config(config),
            entries,
            ..Self::default()
        }
    }

    /// The saved form, through the tab's [`Redactor`]: every header named in the setup's
    /// secret headers is written in the config as its `{{env.NAME}}` reference, never with
    /// its value; other Authorization-like headers typed in the config, and passwords in
    /// the URL and the proxy URL, as [`crate::model::redact::MARKER`]. The recorded timeline goes through
    /// [`Redactor::entries`]: secret header values, known secret values (in text, bytes,
    /// close reasons, errors, a refused handshake's answer, SSE data) and URL passwords are
    /// replaced by the marker. Everything else is kept exactly as it was.
    pub fn to_session(&self) -> SessionTab {
        let secrets = &self.setup.secret_headers;
        let mut redactor = self.redactor.clone();
        redactor.add_config(&self.setup.config, secrets);
        let mut timeline = recorded::record_all(&redactor.entries(&self.entries));
        for (index, len) in &self.not_kept {
            if let Some(event) = timeline.get_mut(*index) {
                event.not_kept = Some(*len as u64);
            }
        }
        SessionTab {
            // `connect --record` names the tab after its URL.
            name: redactor.url(&self.name).into_owned(),
            setup: TabSetup {
                config: redactor.config(&self.setup.config, secrets),
                ..self.setup.clone()
            },
            timeline,
        }
    }

    /// The timeline as JSON lines, as `connect` prints events, through the tab's
    /// [`Redactor`]. A message whose payload was not kept says so with
    /// `"not_kept": <its size in bytes>` (its payload is empty).
    pub fn json_lines(&self) -> String {
        let mut out = String::new();
        let mut not_kept = self.not_kept.iter().peekable();
        let mut redactor = self.redactor.learned_from(&self.entries);
        redactor.add_config(&self.setup.config, &self.setup.secret_headers);
        for (index, entry) in self.entries.iter().enumerate() {
            let mut line = redactor.json_line(&entry.event);
            if let Some((_, len)) = not_kept.next_if(|(at, _)| *at == index)
                && let Some(fields) = line.as_object_mut()
            {
                fields.insert("not_kept".into(), (*len).into());
            }
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
    }
}

impl SessionTab {
    /// This tab as it may be written to a file, through the [`Redactor`] of
    /// [`TabRecording::to_session`] (for tabs that did not come from a live tab, such as a
    /// HAR import); `label` names it in errors.
    pub fn redacted(&self, label: &str) -> Result<Self, RecordError> {
        let entries = self.entries(label)?;
        let not_kept: Vec<(usize, usize)> = self
            .timeline
            .iter()
            .enumerate()
            .filter_map(|(index, event)| {
                let len = usize::try_from(event.not_kept?).unwrap_or(usize::MAX);
                Some((index, len))
            })
            .collect();
        let recording = TabRecording {
            name: self.name.clone(),
            setup: self.setup.clone(),
            entries,
            not_kept,
            redactor: Redactor::new(),
        };
        Ok(recording.to_session())
    }

    /// The recorded timeline as engine entries; `label` names the tab in the error (see
    /// [`SessionTab::label`]).
    pub fn entries(&self, label: &str) -> Result<Vec<TimelineEntry>, RecordError> {
        recorded::restore_all(&self.timeline, label)
    }

    /// The recorded timeline as a [`Timeline`] the window can show.
    pub fn to_timeline(&self, label: &str) -> Result<Timeline, RecordError> {
        let mut timeline = Timeline::default();
        if self.setup.memory_budget_mib.is_some() {
            timeline.set_memory_budget(self.setup.memory_budget());
        }
        for (entry, recorded) in self.entries(label)?.into_iter().zip(&self.timeline) {
            timeline.push_on(entry.attempt, entry.leg, entry.event);
            if let Some(len) = recorded.not_kept {
                timeline.mark_last_not_kept(usize::try_from(len).unwrap_or(usize::MAX));
            }
        }
        Ok(timeline)
    }

    /// How errors name the tab at 0-based `index`: `tab 1 "echo"`.
    pub fn label(&self, index: usize) -> String {
        format!("tab {} {:?}", index + 1, self.name)
    }

    /// How many data messages the timeline holds.
    pub fn message_count(&self) -> usize {
        self.timeline
            .iter()
            .filter(|e| matches!(e.kind, RecordedKind::Message { .. }))
            .count()
    }
}

impl Default for SessionFile {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl SessionFile {
    /// A current-version file holding `tabs`.
    pub fn new(tabs: Vec<SessionTab>) -> Self {
        Self {
            version: SESSION_FILE_VERSION,
            tabs,
        }
    }

    /// Parses a session file's `text`; `path` names it in errors. A version other than
    /// [`SESSION_FILE_VERSION`], or a recorded event that cannot be restored (bad base64,
    /// unknown category), is an error naming the file (and the tab and event).
    pub fn parse(path: &Path, text: &str) -> Result<Self, FileError> {
        let file: Self = storage::from_ron(path, text)?;
        file.check(path)?;
        Ok(file)
    }

    /// Reads and parses a session file (see [`SessionFile::parse`]).
    pub fn load(path: &Path) -> Result<Self, FileError> {
        let file: Self = storage::load_ron(path)?;
        file.check(path)?;
        Ok(file)
    }

    /// Writes the file atomically as readable RON: on failure the old file is untouched.
    pub fn save(&self, path: &Path) -> Result<(), FileError> {
        storage::save_ron(path, self)
    }

    /// The file as RON text (what [`SessionFile::save`] writes).
    pub fn to_ron(&self) -> Result<String, FileError> {
        storage::to_ron(self)
    }

    fn check(&self, path: &Path) -> Result<(), FileError> {
        let invalid = |message: String| FileError::Invalid {
            path: path.to_owned(),
            message,
        };
        if self.version != SESSION_FILE_VERSION {
            return Err(invalid(format!(
                "session file version {} is not supported (expected {SESSION_FILE_VERSION})",
                self.version
            )));
        }
        for (index, tab) in self.tabs.iter().enumerate() {
            tab.entries(&tab.label(index))
                .map_err(|e| invalid(e.to_string()))?;
        }
        Ok(())
    }

    /// Finds a tab by its 1-based number or, failing that, by its name. The error lists
    /// the tabs there are.
    pub fn find_tab(
        &self,
        selector: &str,
    ) -> Result<(usize, &SessionTab), super::tab_lookup::FindTabError> {
        let selector = selector.trim();
        if let Ok(number) = selector.parse::<usize>()
            && let Some(tab) = number.checked_sub(1).and_then(|i| self.tabs.get(i))
        {
            return Ok((number - 1, tab));
        }
        if let Some(found) = self
            .tabs
            .iter()
            .enumerate()
            .find(|(_, t)| t.name == selector)
        {
            return Ok(found);
        }
        let tabs: Vec<String> = self
            .tabs
            .iter()
            .enumerate()
            .map(|(i, t)| t.label(i))
            .collect();
        Err(if tabs.is_empty() {
            super::tab_lookup::FindTabError::NoTabs
        } else {
            super::tab_lookup::FindTabError::TabNotFound {
                selector: selector.to_owned(),
                tabs,
            }
        })
    }
}

/// Why a saved config cannot be used as it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {error}")]
pub struct ResolveError {
    /// What held the variable: `the URL` or `header "Authorization"`.
    pub what: String,
    /// What went wrong (unknown variable, unset environment variable, …).
    pub error: VarError,
}

impl ResolveError {
    /// For an environment variable the policy refused, its name.
    pub fn env_not_allowed(&self) -> Option<&str> {
        self.error.env_not_allowed()
    }

    /// For a secret the policy refused, its name.
    pub fn secret_not_allowed(&self) -> Option<&str> {
        self.error.secret_not_allowed()
    }
}

/// The environment variable names (and `secret.NAME` for keychain secrets) the URL, the
/// auth settings and the enabled header values of `config` reference, in order, each once:
/// what connecting with it would read.
pub fn config_env_names(config: &ConnectionConfig) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let auth = config.auth.texts();
    let texts = std::iter::once(config.url.as_str())
        .chain(
            config
                .headers
                .iter()
                .filter(|h| h.enabled)
                .map(|h| h.value.as_str()),
        )
        .chain(auth.iter().map(String::as_str));
    for name in texts.flat_map(variables::outside_names) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The config to connect with: `{{env.NAME}}` references and the tab's variables in the
/// URL and in enabled header values are expanded (`env` looks environment variables up;
/// pass [`variables::process_env`] for the real environment). `policy` says which
/// environment variables may be read: a config that came from a file reads only the
/// names the user allowed for it.
pub fn resolve_config(
    config: &ConnectionConfig,
    user: &[(String, String)],
    env: &dyn Fn(&str) -> Option<String>,
    policy: EnvPolicy<'_>,
) -> Result<ConnectionConfig, ResolveError> {
    let ctx = VarContext {
        counter: 1,
        user,
        env,
        env_policy: policy,
    };
    let mut resolved = config.clone();
    if variables::has_variables(&resolved.url) {
        resolved.url = crate::format::query::expand_url(&resolved.url, &ctx).map_err(|error| {
            ResolveError {
                what: "the URL".into(),
                error,
            }
        })?;
    }
    resolved.auth = config.auth.map_texts(|text, _| {
        variables::expand(text, &ctx).map_err(|error| ResolveError {
            what: "the auth settings".into(),
            error,
        })
    })?;
    for header in resolved.headers.iter_mut().filter(|h| h.enabled) {
        if variables::has_variables(&header.value) {
            header.value =
                variables::expand(&header.value, &ctx).map_err(|error| ResolveError {
                    what: format!("header {:?}", header.name),
                    error,
                })?;
        }
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {

    #[test]
    fn resolving_expands_auth_and_encodes_query_variables() {
        let mut config = ConnectionConfig::new("ws://h/p?room={{room}}");
        config.auth = crate::engine::Auth::Bearer {
            token: "{{env.API_TOKEN}}".into(),
        };
        let user = vec![("room".to_owned(), "a b&c".to_owned())];
        let env = |name: &str| (name == "API_TOKEN").then(|| "s3cret".to_owned());
        let resolved = resolve_config(&config, &user, &env, EnvPolicy::Any).unwrap();
        assert_eq!(resolved.url, "ws://h/p?room=a%20b%26c");
        assert_eq!(
            resolved.auth,
            crate::engine::Auth::Bearer {
                token: "s3cret".into()
            }
        );
        assert_eq!(config_env_names(&config), ["API_TOKEN"]);
        let refused = resolve_config(&config, &user, &env, EnvPolicy::Only(&[])).unwrap_err();
        assert_eq!(refused.env_not_allowed(), Some("API_TOKEN"));
    }

    use super::*;
    use crate::engine::HeaderEntry;

    #[test]
    fn secret_reference_and_resolution() {
        let secret = SecretHeader::new("Authorization", "API_TOKEN");
        assert_eq!(secret.reference(), "{{env.API_TOKEN}}");
        let mut config = ConnectionConfig::new("ws://h/{{room}}");
        config
            .headers
            .push(HeaderEntry::new("authorization", "Bearer s3cret"));
        let mut recording = TabRecording::new("t", config, Vec::new());
        recording.setup.secret_headers.push(secret);
        let tab = recording.to_session();
        assert_eq!(tab.setup.config.headers[0].value, "{{env.API_TOKEN}}");
        let env = |name: &str| (name == "API_TOKEN").then(|| "Bearer s3cret".to_owned());
        let vars = vec![("room".to_owned(), "lobby".to_owned())];
        let resolved = resolve_config(&tab.setup.config, &vars, &env, EnvPolicy::Any).unwrap();
        assert_eq!(resolved.headers[0].value, "Bearer s3cret");
        assert_eq!(resolved.url, "ws://h/lobby");
        let missing =
            resolve_config(&tab.setup.config, &vars, &|_| None, EnvPolicy::Any).unwrap_err();
        assert!(missing.to_string().contains("API_TOKEN"), "{missing}");
        assert!(missing.to_string().contains("authorization"), "{missing}");
    }

    #[test]
    fn a_config_from_a_file_reads_only_allowed_env_names() {
        let mut config = ConnectionConfig::new("ws://h/{{env.ROOM}}");
        config
            .headers
            .push(HeaderEntry::new("X-Leak", "{{env.AWS_SECRET_ACCESS_KEY}}"));
        assert_eq!(config_env_names(&config), ["ROOM", "AWS_SECRET_ACCESS_KEY"]);
        let env = |name: &str| Some(format!("<{name}>"));
        let allowed = vec!["ROOM".to_owned()];
        let error = resolve_config(&config, &[], &env, EnvPolicy::Only(&allowed)).unwrap_err();
        assert_eq!(error.env_not_allowed(), Some("AWS_SECRET_ACCESS_KEY"));
        assert!(error.to_string().contains("X-Leak"), "{error}");
        let allowed = vec!["ROOM".to_owned(), "AWS_SECRET_ACCESS_KEY".to_owned()];
        let resolved = resolve_config(&config, &[], &env, EnvPolicy::Only(&allowed)).unwrap();
        assert_eq!(resolved.url, "ws://h/<ROOM>");
        assert_eq!(resolved.headers[0].value, "<AWS_SECRET_ACCESS_KEY>");
    }

    #[test]
    fn a_url_password_is_saved_in_neither_the_name_nor_the_config() {
        let url = "ws://me:pw-123456@h/";
        let config = ConnectionConfig::new(url);
        let tab = TabRecording::new(url, config, Vec::new()).to_session();
        let text = SessionFile::new(vec![tab]).to_ron().unwrap();
        assert!(!text.contains("pw-123456"), "{text}");
        assert!(text.contains("ws://me:[redacted]@h/"), "{text}");
    }

    #[test]
    fn tabs_are_found_by_number_or_name() {
        let file = SessionFile::new(vec![
            SessionTab {
                name: "a".into(),
                ..SessionTab::default()
            },
            SessionTab {
                name: "b".into(),
                ..SessionTab::default()
            },
        ]);
        assert_eq!(file.find_tab("2").unwrap().0, 1);
        assert_eq!(file.find_tab("a").unwrap().0, 0);
        let error = file.find_tab("3").unwrap_err().to_string();
        assert!(error.contains("tab 1 \"a\", tab 2 \"b\""), "{error}");
        assert!(SessionFile::default().find_tab("1").is_err());
    }
}

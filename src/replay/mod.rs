//! Replaying a recorded attempt: connect with the recorded config, re-send the recorded
//! outgoing messages (and pings, and unsolicited pongs) at their recorded times after open,
//! scaled by a speed factor or as fast as possible, collect what arrives, then compare it
//! with what was recorded ([`compare`]).
//!
//! Engine-level, no window code. Two ways to run one:
//! - [`Replay::run`], a plain async fn (the command line), which calls back for each event
//!   of the new run as it happens;
//! - [`ReplayHandle::spawn`], which runs it on a tokio runtime and reports
//!   [`ReplayUpdate`]s through a channel plus a wake-up callback (the window).
//!
//! When the run ends: after the last send, the replay waits for the server to close, or
//! for a grace period (by default twice the recording's tail after its last send plus half
//! a second, between 1 s and 30 s). When the recording was ended by the client (or has no
//! close, as a HAR import), the replay closes as soon as every expected message arrived
//! (after a short settle time, or at the recorded time when that is later), with the
//! recorded close code and reason.

pub mod compare;
mod diff;
mod protocol;
mod run;
mod script;

pub use compare::{
    CloseComparison, CloseSummary, CompareOptions, Comparison, ComparisonItem, Diff,
    JsonDifference, MessageRef,
};
pub use protocol::Housekeeping;
pub use run::{ReplayHandle, ReplayReport, ReplayUpdate, UPDATE_QUEUE_BYTES};
pub use script::{ReplayScript, ScriptedSend, SendAction};

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use crate::engine::{ConfigError, ConnectionConfig, Event, Leg};
use crate::format::variables::{EnvPolicy, process_env};
use crate::model::recorded::RecordError;
use crate::model::redact::{self, Redactor};
use crate::model::session::{ResolveError, SessionTab, resolve_config};
use crate::model::timeline::TimelineEntry;

/// How fast the recorded sends are replayed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// Recorded offsets divided by this factor: 1.0 is real time, 10.0 ten times faster.
    Factor(f64),
    /// Everything is sent at once, in order.
    Fast,
}

impl Default for Speed {
    fn default() -> Self {
        Speed::Factor(1.0)
    }
}

/// How a replay runs and compares.
#[derive(Clone, Debug, Default)]
pub struct ReplayOptions {
    /// How fast to send.
    pub speed: Speed,
    /// How messages are compared (ignored JSON paths).
    pub compare: CompareOptions,
    /// How long to wait for the server after the last send; `None` for the default (see
    /// [`ReplayScript::default_grace`]).
    pub grace: Option<Duration>,
}

impl ReplayOptions {
    fn check(&self) -> Result<(), ReplayError> {
        match self.speed {
            Speed::Factor(factor) if !(factor.is_finite() && factor > 0.0) => {
                Err(ReplayError::Speed(factor))
            }
            _ => Ok(()),
        }
    }
}

/// Why a replay cannot run. A connection that fails is not an error: the report says it
/// never opened.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A recorded event cannot be restored.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The timeline is empty.
    #[error("nothing to replay: the timeline is empty")]
    NothingRecorded,
    /// The requested attempt is not in the timeline.
    #[error("nothing to replay: the timeline has no attempt {0}")]
    NoSuchAttempt(u32),
    /// A variable in the URL or a header cannot be expanded.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// The configuration cannot be used (bad URL, header, TLS file).
    #[error(transparent)]
    Config(ConfigError),
    /// The speed factor is not a positive number.
    #[error("speed {0} is not a positive number")]
    Speed(f64),
}

/// A replay ready to run: the config to connect with (variables expanded) and the script.
#[derive(Clone, Debug)]
pub struct Replay {
    /// What to connect with.
    pub config: ConnectionConfig,
    /// What to send and expect.
    pub script: ReplayScript,
    /// The secrets of the connection (environment values, secret headers, URL
    /// passwords): what the replay's events are redacted with on their way out.
    pub redactor: Redactor,
}

impl Replay {
    /// A replay of a live tab's timeline: the last attempt that opened (or `attempt`),
    /// connecting with `config` (its `{{env.NAME}}` and `variables` expanded from the
    /// process environment, reading only the names `env_policy` allows), to `url` instead
    /// of the config's URL when given.
    pub fn new(
        config: &ConnectionConfig,
        variables: &[(String, String)],
        entries: &[TimelineEntry],
        attempt: Option<u32>,
        url: Option<&str>,
        env_policy: EnvPolicy<'_>,
    ) -> Result<Self, ReplayError> {
        let lookup = &process_env;
        Self::reading(config, variables, entries, attempt, url, env_policy, lookup)
    }

    /// [`Replay::new`], with the environment variables and secrets (`secret.NAME`) looked
    /// up by `lookup` (`secrets::SecretResolver::lookup` adds the keychain).
    pub fn reading(
        config: &ConnectionConfig,
        variables: &[(String, String)],
        entries: &[TimelineEntry],
        attempt: Option<u32>,
        url: Option<&str>,
        env_policy: EnvPolicy<'_>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ReplayError> {
        let play = Leg::Client;
        Self::reading_leg(
            config, variables, entries, attempt, play, url, env_policy, lookup,
        )
    }

    /// [`Replay::reading`] of a proxy recording, playing `play`'s sends (see
    /// [`ReplayScript::playing`]); a recording without legs reads as always.
    #[allow(clippy::too_many_arguments)]
    pub fn reading_leg(
        config: &ConnectionConfig,
        variables: &[(String, String)],
        entries: &[TimelineEntry],
        attempt: Option<u32>,
        play: Leg,
        url: Option<&str>,
        env_policy: EnvPolicy<'_>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ReplayError> {
        let script =
            ReplayScript::playing(entries, attempt, play)?.speaking(entries, &config.protocol);
        let mut config = config.clone();
        if let Some(url) = url {
            config.url = url.to_owned();
        }
        let found = RefCell::new(Redactor::new());
        let env = redact::recording_env(&found, lookup);
        let config = resolve_config(&config, variables, &env, env_policy)?;
        config.prepare().map_err(ReplayError::Config)?;
        let mut redactor = found.take().learned_from(entries);
        redactor.add_config(&config, &[]);
        Ok(Self {
            config,
            script,
            redactor,
        })
    }

    /// A replay of a saved tab (`label` names it in errors, see [`SessionTab::label`]). The
    /// tab came from a file, so it reads no environment variable: a `{{env.NAME}}` in its
    /// URL or headers is an error ([`Replay::from_tab_allowing`] allows names).
    pub fn from_tab(
        tab: &SessionTab,
        label: &str,
        attempt: Option<u32>,
        url: Option<&str>,
    ) -> Result<Self, ReplayError> {
        Self::from_tab_allowing(tab, label, attempt, url, &[])
    }

    /// [`Replay::from_tab`], reading the environment variables named in `allowed_env` (and
    /// no others) for the tab's `{{env.NAME}}` references.
    pub fn from_tab_allowing(
        tab: &SessionTab,
        label: &str,
        attempt: Option<u32>,
        url: Option<&str>,
        allowed_env: &[String],
    ) -> Result<Self, ReplayError> {
        Self::from_tab_reading(tab, label, attempt, url, allowed_env, &process_env)
    }

    /// [`Replay::from_tab_allowing`], looking the allowed names up with `lookup` (`NAME`
    /// for `{{env.NAME}}`, `secret.NAME` for `{{secret.NAME}}`).
    pub fn from_tab_reading(
        tab: &SessionTab,
        label: &str,
        attempt: Option<u32>,
        url: Option<&str>,
        allowed_env: &[String],
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ReplayError> {
        Self::from_tab_leg(tab, label, attempt, Leg::Client, url, allowed_env, lookup)
    }

    /// [`Replay::from_tab_reading`] of a proxy recording, playing `play`'s sends (see
    /// [`ReplayScript::playing`]).
    pub fn from_tab_leg(
        tab: &SessionTab,
        label: &str,
        attempt: Option<u32>,
        play: Leg,
        url: Option<&str>,
        allowed_env: &[String],
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ReplayError> {
        let entries = tab.entries(label)?;
        let policy = EnvPolicy::Only(allowed_env);
        Self::reading_leg(
            &tab.setup.config,
            &tab.setup.variables,
            &entries,
            attempt,
            play,
            url,
            policy,
            lookup,
        )
    }

    /// Runs the replay on the current tokio runtime; `on_event` sees each event of the new
    /// run as it happens, and the run waits for the future it returns (a consumer that is
    /// behind holds the run, which then stops reading its connection).
    pub async fn run<Fut: Future<Output = ()>>(
        &self,
        options: &ReplayOptions,
        on_event: impl FnMut(&Event) -> Fut,
    ) -> Result<ReplayReport, ReplayError> {
        let budget = crate::model::memory_budget::DEFAULT_LIMIT;
        run::run(self, options, budget, on_event, std::future::pending()).await
    }

    /// [`Replay::run`], closing the connection early (1000 "replay cancelled") when
    /// `cancel` resolves (e.g. Ctrl-C).
    pub async fn run_until<Fut: Future<Output = ()>>(
        &self,
        options: &ReplayOptions,
        on_event: impl FnMut(&Event) -> Fut,
        cancel: impl Future<Output = ()>,
    ) -> Result<ReplayReport, ReplayError> {
        let budget = crate::model::memory_budget::DEFAULT_LIMIT;
        run::run(self, options, budget, on_event, cancel).await
    }
}

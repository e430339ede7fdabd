//! One tab: what the user set ([`TabSetup`]), what runs ([`LiveSource`]), its timeline
//! and the user's unsent input. Plain state and the calls that act on it; no drawing.

use super::oauth_state::{Fetched, OAuthState};
use super::secret_cache::{self, Readiness, SecretCache};
use crate::model::cookie_jar::SharedJar;
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use crate::cli::command_line::{self, CommandKind, CommandLineError};
use crate::engine::{
    Auth, CloseInfo, ConnectionConfig, ConnectionHandle, EventKind, ReadyState, SendError, WakeFn,
};
use crate::format::decode::{DecodeSpec, Limits, ProtoType};
use crate::format::variables::{self, EnvPolicy, VarContext, check_outside_name};
use crate::model::recorded::RecordError;
use crate::model::redact::{self, Redactor};
use crate::model::session::{self, SessionTab, TabRecording};
use crate::model::tab_setup::{TabKind, TabSetup};
use crate::model::template::{self, MessageFormat, Outgoing};
use crate::model::timeline::Timeline;
use crate::protocol::ProtocolKind;
use crate::sse::{SseConfig, SseHandle, SseStats};

use super::action::Draft;
use super::background::{Background, FileSendError, JobDone};
use super::composer::ComposerState;
use super::decode_panel::DecodeUi;
use super::decoding::TabDecoding;
use super::env_consent::{self, EnvAccess, EnvPrompt, PendingUse};
use super::filter_bar::TimelineState;
use super::live_source::{Arrival, LiveSource};
use super::proto_schema::{ProtoTypeError, SchemaState};
use super::protocol_rows::TabProtocol;
use super::repeat::Repeat;
use super::replay_view::{ReplayAction, ReplayState};

/// A tab's setup, what runs in it, its timeline and input.
pub struct Tab {
    /// Stable identity, for egui ids and caches.
    pub id: u64,
    /// Everything the user set for the tab: what a session saves and the workspace restores.
    pub setup: TabSetup,
    /// Every event of every attempt.
    pub timeline: Timeline,
    /// The selected timeline row.
    pub selected: Option<usize>,
    /// The live state: the State view's settings and the fold of the incoming messages.
    pub fold: super::tab_fold::TabFold,
    /// Keep the newest row in view.
    pub follow: bool,
    /// The composer and close/ping controls.
    pub composer: ComposerState,
    /// A problem with what the user typed (bad URL, refused send), shown where it happened.
    pub input_error: Option<String>,
    /// The replay this tab runs or ran: where the user is in its comparison.
    pub replay: Option<ReplayState>,
    /// The filter, search and statistics of the timeline.
    pub finding: TimelineState,
    /// The timeline's binary messages decoded as JSON, by the tab's choice.
    pub decoding: TabDecoding,
    /// The timeline's messages read as units of the tab's protocol (Socket.IO, …).
    pub protocol: TabProtocol,
    /// A second row chosen with Ctrl+click: the timeline shows the time between the two.
    pub second_selection: Option<usize>,
    /// The composer's message being sent at an interval, if it is.
    pub repeat: Option<Repeat>,
    /// Which environment variables the tab may read (all, unless it came from a file).
    pub env_access: EnvAccess,
    /// The question asked before a tab from a file reads environment variables not yet
    /// allowed; nothing is sent until it is answered.
    pub env_prompt: Option<EnvPrompt>,
    /// The secrets this tab's connections were made with (environment values, secret
    /// headers, URL passwords), learnt at each connect and send: every export of the tab
    /// goes through it. Never saved.
    pub redactor: Arc<Redactor>,
    /// The globals and the active environment's variables, `(name, value)`, under the
    /// tab's own (set by the window each frame).
    pub environment: Vec<(String, String)>,
    /// The window's cookie jar: its cookies go with each handshake, and Set-Cookie from
    /// the answers comes back to it.
    pub cookies: SharedJar,
    /// The OAuth 2.0 token, and a fetch under way.
    pub oauth: OAuthState,
    /// The window's keychain secrets (read off the UI thread; shared by every tab).
    pub secrets: SecretCache,
    /// What waits for keychain secrets being read: it runs again when they land.
    pub secrets_pending: Option<PendingUse>,
    /// The URL the current WebSocket attempt connected to (variables expanded), whose
    /// answer's cookies are kept for it.
    connected_url: Option<String>,
    /// The Protobuf schema compiled from the decoder settings' `.proto` files (in the
    /// background: see [`Tab::poll_schema`]).
    pub schema: SchemaState,
    /// What the Decode section is in the middle of (typed paths, a spec being typed).
    pub decode_ui: DecodeUi,
    /// A proxy tab's connections, intercept and rules state (`None` for other tabs).
    pub proxy: Option<Box<super::proxy_tab::ProxyTabState>>,
    /// What feeds the timeline now: a connection, a stream, a replay, a proxy, or nothing.
    pub(super) source: LiveSource,
    /// The next value of `{{counter}}`: 1 at first, +1 per message sent.
    counter: u64,
    attempts: u32,
    last_close_clean: Option<bool>,
    /// Reconnect loop: when the next attempt is due, and how many reconnects in a row.
    reconnect: ReconnectState,
    /// The tab's script as it runs, and what it reported (issue 22).
    pub script: super::tab_script::TabScript,
}

impl Tab {
    /// A new tab that will connect to `url`.
    pub fn new(id: u64, url: impl Into<String>) -> Self {
        Self::from_setup(id, TabSetup::new(url))
    }

    /// A tab set up as `setup`, with an empty timeline (its memory budget from the setup).
    pub fn from_setup(id: u64, setup: TabSetup) -> Self {
        let mut timeline = Timeline::default();
        timeline.set_memory_budget(setup.memory_budget());
        let decoding = TabDecoding::new(&setup.decode);
        let protocol = TabProtocol::new(&setup.config.protocol);
        let fold = super::tab_fold::TabFold::from_settings(setup.fold.as_ref());
        let mut finding = TimelineState::default();
        // A protocol's handshake and heartbeats are hidden until the filter shows them.
        finding.spec.housekeeping = !protocol.is_active();
        Self {
            id,
            setup,
            timeline,
            selected: None,
            fold,
            follow: true,
            composer: ComposerState::default(),
            input_error: None,
            replay: None,
            finding,
            decoding,
            protocol,
            second_selection: None,
            repeat: None,
            env_access: EnvAccess::default(),
            env_prompt: None,
            redactor: Arc::default(),
            environment: Vec::new(),
            cookies: SharedJar::default(),
            connected_url: None,
            oauth: OAuthState::default(),
            secrets: SecretCache::default(),
            secrets_pending: None,
            schema: SchemaState::default(),
            decode_ui: DecodeUi::default(),
            proxy: None,
            source: LiveSource::Idle,
            counter: 1,
            attempts: 0,
            last_close_clean: None,
            reconnect: ReconnectState::default(),
            script: super::tab_script::TabScript::default(),
        }
    }

    /// A tab holding a saved tab: its setup and recorded timeline (`label` names it in
    /// errors). New attempts are numbered after the recorded ones; pins past the end of
    /// the timeline are dropped.
    pub fn from_session(id: u64, saved: &SessionTab, label: &str) -> Result<Self, RecordError> {
        let mut tab = Self::from_setup(id, saved.setup.clone());
        // A file's `{{env.NAME}}` (its secret headers' too) reads nothing until allowed.
        tab.env_access = EnvAccess::from_file();
        tab.timeline = saved.to_timeline(label)?;
        // A file may hold credentials of its own (written by hand or by an older version):
        // they are secrets of this tab too, so that its exports do not repeat them.
        let redactor = Arc::make_mut(&mut tab.redactor);
        redactor.add_config(&saved.setup.config, &saved.setup.secret_headers);
        for entry in tab.timeline.iter() {
            redactor.learn(entry.kind);
        }
        let rows = tab.timeline.len();
        tab.setup.pins.retain(|pin| pin.index < rows);
        tab.attempts = tab.timeline.iter().map(|e| e.attempt).max().unwrap_or(0);
        Ok(tab)
    }

    /// A copy of what the tab saves, taken cheaply (payloads shared); `with_timeline`
    /// false leaves the timeline and its pins out (what the window keeps between runs).
    pub fn recording(&self, with_timeline: bool) -> TabRecording {
        let mut setup = self.setup.clone();
        let (entries, not_kept) = if with_timeline {
            (
                self.timeline.to_entries(),
                self.timeline.not_kept_rows().to_vec(),
            )
        } else {
            setup.pins.clear();
            (Vec::new(), Vec::new())
        };
        TabRecording {
            name: self.title(),
            setup,
            entries,
            not_kept,
            redactor: (*self.redactor).clone(),
        }
    }

    /// The tab in its saved form (see [`Tab::recording`]).
    pub fn to_session(&self, with_timeline: bool) -> SessionTab {
        self.recording(with_timeline).to_session()
    }

    /// Sets the timeline's memory budget (what arrives from now on), kept in the setup.
    pub fn set_memory_budget(&mut self, bytes: usize) {
        self.setup.set_memory_budget(bytes);
        self.timeline.set_memory_budget(self.setup.memory_budget());
    }

    /// Starts compiling the `.proto` files when the decoder settings name others than the
    /// schema was compiled from (a change in the Decode section, a tab restored from a
    /// session or the workspace). The compile runs on `jobs`; [`Tab::schema_compiled`]
    /// takes its result.
    pub fn poll_schema(&mut self, jobs: &Background<JobDone>) {
        let before = self.schema.generation();
        let from_file = self.env_access.from_file;
        if let Some((seq, inputs)) = self.schema.wanted(&self.setup.decode, from_file) {
            jobs.compile_schema(self.id, seq, inputs);
        }
        if self.schema.generation() != before {
            self.decoding_changed();
        }
    }

    /// A compile of the tab's `.proto` files finished (see [`Tab::poll_schema`]).
    pub fn schema_compiled(
        &mut self,
        seq: u64,
        result: Result<
            Option<crate::format::decode::ProtoSchema>,
            crate::format::decode::SchemaError,
        >,
    ) {
        self.schema.compiled(seq, result);
        self.decoding_changed();
    }

    /// The Protobuf message type called `name` (a template's own), else the tab's; `Ok(None)`
    /// when neither names one.
    pub fn proto_type(&self, name: Option<&str>) -> Result<Option<ProtoType>, ProtoTypeError> {
        self.schema
            .proto_type(self.setup.decode.message.as_deref(), name)
    }

    /// How big an encoded or decoded message may grow: the tab's max message size.
    pub fn limits(&self) -> Limits {
        Limits::new(self.setup.config.max_message_size)
    }

    /// The decoder settings or the schema changed: the timeline's decoding follows.
    pub fn decoding_changed(&mut self) {
        self.decoding.set_spec(self.frame_decode_spec());
        self.decoding
            .set_proto(self.proto_type(None).ok().flatten());
    }

    /// True for an SSE tab (it only receives).
    pub fn is_sse(&self) -> bool {
        self.setup.kind == TabKind::Sse
    }

    /// The readyState of the current attempt (CLOSED when there is none).
    pub fn ready_state(&self) -> ReadyState {
        self.source.ready_state()
    }

    /// The counters of the SSE stream (events, comments and keep-alives, last event id), if
    /// this tab has run one.
    pub fn sse_stats(&self) -> Option<SseStats> {
        self.source.sse_stats()
    }

    /// Whether the last attempt ended with a clean close (`None` before any ended).
    pub fn last_close_clean(&self) -> Option<bool> {
        self.last_close_clean
    }

    /// The tab's title: host and path of its URL.
    pub fn title(&self) -> String {
        self.setup.title()
    }

    /// The value `{{counter}}` has in the next message sent.
    pub fn counter(&self) -> u64 {
        self.counter
    }

    /// Starts `{{counter}}` again at 1.
    pub fn reset_counter(&mut self) {
        self.counter = 1;
    }

    /// The user variables whose names are allowed (the others are shown as errors in the
    /// variables table and never expanded).
    /// The environment's come first, so the tab's own win.
    pub fn valid_variables(&self) -> Vec<(String, String)> {
        self.environment
            .iter()
            .chain(&self.setup.variables)
            .filter(|(name, _)| variables::check_user_name(name).is_ok())
            .cloned()
            .collect()
    }

    /// Takes a finished token fetch: true when a token came and the connect should run
    /// again; a refusal is shown under the URL.
    pub fn token_arrived(&mut self) -> bool {
        let fetched = self.oauth.poll();
        // The request and its answer go on the timeline, before the attempt it is for.
        if let Some(exchange) = self.oauth.take_exchange() {
            let event = crate::engine::Event {
                seq: 0,
                wall_time: std::time::SystemTime::now(),
                offset: std::time::Duration::ZERO,
                kind: EventKind::Token(Box::new(exchange)),
                wire: None,
            };
            self.timeline.push(self.attempts + 1, event);
        }
        match fetched {
            Fetched::Waiting => false,
            Fetched::Token => true,
            Fetched::Failed(error) => {
                let mut text = format!("Not connected: no OAuth 2.0 token: {error}");
                if let std::borrow::Cow::Owned(redacted) = self.redactor.text(&text) {
                    text = redacted;
                }
                self.input_error = Some(text);
                false
            }
        }
    }

    /// Keeps the Set-Cookie headers of a WebSocket handshake answer in the jar.
    fn keep_cookies(&self, headers: &[(String, String)]) {
        if self.is_sse() {
            return;
        }
        if let (Some(url), Ok(mut jar)) = (&self.connected_url, self.cookies.lock()) {
            jar.store_response(url, headers);
        }
    }

    /// Lays the window's environment under the tab's variables, and learns its secret
    /// values (they are redacted from then on).
    pub fn set_environment(&mut self, variables: &[(String, String)], secrets: &[String]) {
        if self.environment != variables {
            self.environment = variables.to_vec();
        }
        if secrets.iter().any(|secret| !self.redactor.knows(secret)) {
            let redactor = Arc::make_mut(&mut self.redactor);
            for secret in secrets {
                redactor.add_value(secret);
            }
        }
    }

    /// The environment variables this tab may read if it came from a file: those allowed
    /// in the prompt and those of the secret headers the user marked in this tab.
    pub fn allowed_env(&self) -> Vec<String> {
        let mut names = self.env_access.allowed.clone();
        for secret in &self.setup.secret_headers {
            let marked = self
                .env_access
                .marked_secrets
                .iter()
                .any(|header| header.eq_ignore_ascii_case(secret.name.trim()));
            if marked && !names.contains(&secret.env) {
                names.push(secret.env.clone());
            }
        }
        names
    }

    /// Asks before reading environment variables `names` that this tab may not read yet
    /// (a tab from a file); true when it asked, and `pending` then waits for the answer.
    /// Invalid names are left to the expansion, which reports them.
    pub(crate) fn ask_env(
        &mut self,
        names: Vec<String>,
        from_file: bool,
        pending: PendingUse,
    ) -> bool {
        let allowed = self.allowed_env();
        let policy = if from_file {
            EnvPolicy::Only(&allowed)
        } else {
            self.env_access.policy(&allowed)
        };
        let missing: Vec<String> = names
            .into_iter()
            .filter(|name| check_outside_name(name).is_ok() && !policy.allows(name))
            .collect();
        if missing.is_empty() {
            return false;
        }
        self.env_prompt = Some(EnvPrompt {
            names: missing,
            host: env_consent::host_of(&self.setup.config.url),
            pending,
            origin: if from_file && !self.env_access.from_file {
                env_consent::FROM_LIBRARY
            } else {
                env_consent::FROM_TAB_FILE
            },
        });
        true
    }

    /// The user answered the environment prompt: allow its variables for this tab and do
    /// what waited, or cancel it with a note saying nothing was sent. A replay that waited
    /// is handed back for the app to start (it opens a new tab).
    pub fn answer_env_prompt(
        &mut self,
        allow: bool,
        runtime: &tokio::runtime::Handle,
        wake: WakeFn,
        jobs: &Background<JobDone>,
    ) -> Option<ReplayAction> {
        let prompt = self.env_prompt.take()?;
        if !allow {
            let names = prompt.names.join(", ");
            let (variable, is) = match prompt.names.len() {
                1 => ("environment variable", "is"),
                _ => ("environment variables", "are"),
            };
            let why = format!(
                "{variable} {names} {is} not allowed for this tab; nothing was sent. {}",
                prompt.origin
            );
            match prompt.pending {
                PendingUse::Connect => self.input_error = Some(format!("Not connected: {why}")),
                PendingUse::Send(_) => self.composer.send_error = Some(format!("not sent: {why}")),
                PendingUse::Replay(_) => self.input_error = Some(format!("Not replayed: {why}")),
            }
            return None;
        }
        self.env_access.allow(&prompt.names);
        match prompt.pending {
            PendingUse::Connect => self.connect(runtime, wake),
            PendingUse::Send(draft) => self.send_draft(draft, jobs),
            PendingUse::Replay(replay) => return Some(replay),
        }
        None
    }

    /// The keychain secrets that expanding `texts` would read: their own
    /// `{{secret.NAME}}`s and those in the values of the tab's and the environment's
    /// variables they use.
    fn needed_secrets(&self, texts: &[&str]) -> Vec<String> {
        let mut values: Vec<&str> = texts.to_vec();
        for text in texts {
            for var in variables::referenced(text) {
                let value = self
                    .setup
                    .variables
                    .iter()
                    .rev()
                    .chain(self.environment.iter().rev())
                    .find(|(name, _)| *name == var.name);
                if let Some((_, value)) = value {
                    values.push(value);
                }
            }
        }
        secret_cache::secret_names(values)
    }

    /// True when the secrets `needed` are read; otherwise reads them (and `pending` runs
    /// again when they land) or says why they cannot be, and nothing is sent.
    fn secrets_ready(
        &mut self,
        needed: &[String],
        pending: PendingUse,
        runtime: &tokio::runtime::Handle,
        wake: &WakeFn,
    ) -> bool {
        if needed.is_empty() {
            return true;
        }
        match self.secrets.ready(needed, runtime, wake) {
            Readiness::Ready => true,
            Readiness::Reading => {
                self.secrets_pending = Some(pending);
                false
            }
            Readiness::Failed(error) => {
                let hint = if error.needs_fallback_consent() {
                    " (Environments… has the switch)"
                } else {
                    ""
                };
                match pending {
                    PendingUse::Send(_) => {
                        self.composer.send_error = Some(format!("not sent: {error}{hint}"));
                    }
                    PendingUse::Connect | PendingUse::Replay(_) => {
                        self.input_error = Some(format!("Not connected: {error}{hint}"));
                    }
                }
                false
            }
        }
    }

    /// Takes what waited for keychain secrets (the app runs it again when reads land).
    pub fn take_secrets_pending(&mut self) -> Option<PendingUse> {
        self.secrets_pending.take()
    }

    /// What a draft may read: what the tab may, and only the allowed names when the draft
    /// itself came from a file (a library template).
    fn draft_policy<'a>(&self, draft: &Draft, allowed: &'a [String]) -> EnvPolicy<'a> {
        if draft.from_file {
            EnvPolicy::Only(allowed)
        } else {
            self.env_access.policy(allowed)
        }
    }

    /// Starts a new attempt with the tab's config, `{{variables}}` in the URL and in header
    /// values expanded in a copy (the config keeps what the user typed). A bad config or a
    /// variable that cannot be expanded is shown at the URL field and nothing is sent. A tab
    /// from a file that would read environment variables not allowed yet asks first
    /// ([`Tab::env_prompt`]) and connects only once they are allowed.
    pub fn connect(&mut self, runtime: &tokio::runtime::Handle, wake: WakeFn) {
        if self.ready_state() != ReadyState::Closed {
            return;
        }
        let reconnecting = self.reconnect.due.is_some();
        if self.source.is_replaying() {
            self.input_error = Some("A replay runs in this tab: cancel it first.".into());
            return;
        }
        let names = session::config_env_names(&self.setup.config);
        let mut texts: Vec<&str> = vec![self.setup.config.url.as_str()];
        texts.extend(
            self.setup
                .config
                .headers
                .iter()
                .filter(|h| h.enabled)
                .map(|h| h.value.as_str()),
        );
        let auth = self.setup.config.auth.texts();
        texts.extend(auth.iter().map(String::as_str));
        let needed = self.needed_secrets(&texts);
        if self.ask_env(names, false, PendingUse::Connect) {
            self.reconnect.due = None;
            return;
        }
        if !self.secrets_ready(&needed, PendingUse::Connect, runtime, &wake) {
            self.reconnect.due = None;
            return;
        }
        let allowed = self.allowed_env();
        // Every value the environment or the keychain gives is a secret of this tab from now on.
        let found = RefCell::new(Redactor::new());
        let secrets = self.secrets.clone();
        let outside = secrets.lookup(&variables::process_env);
        let env = redact::recording_env(&found, &outside);
        let mut resolved = match session::resolve_config(
            &self.setup.config,
            &self.valid_variables(),
            &env,
            self.env_access.policy(&allowed),
        ) {
            Ok(resolved) => resolved,
            Err(error) => {
                self.input_error = Some(format!("Not connected: {error}"));
                return;
            }
        };
        // OAuth 2.0: the kept token as Bearer, or fetch one first (the connect runs again
        // when it comes).
        if let Auth::OAuth2(credentials) = &resolved.auth {
            Arc::make_mut(&mut self.redactor).add_value(&credentials.client_secret);
            match self.oauth.usable(credentials) {
                Some(token) => {
                    let token = token.access_token.clone();
                    Arc::make_mut(&mut self.redactor).add_value(&token);
                    resolved.auth = Auth::Bearer { token };
                }
                None => {
                    self.oauth.start(
                        credentials.clone(),
                        resolved.tls.clone(),
                        resolved.proxy.clone(),
                        resolved.handshake_timeout,
                        runtime,
                        wake,
                    );
                    self.input_error = None;
                    return;
                }
            }
        }
        // The jar's cookies for this URL (a WebSocket's; an SSE stream keeps its own).
        let resolved = match self.cookies.lock() {
            Ok(jar) if !self.is_sse() => jar.apply(&resolved).unwrap_or(resolved),
            _ => resolved,
        };
        self.connected_url = Some(resolved.url.clone());
        let redactor = Arc::make_mut(&mut self.redactor);
        redactor.merge(&found.take());
        redactor.add_config(&resolved, &self.setup.secret_headers);
        // Whatever a previous SSE stream left unread goes to the timeline first.
        self.drain_until(None);
        self.source = LiveSource::Idle;
        if self.is_sse() {
            self.connect_sse(&resolved, runtime, wake);
            return;
        }
        let script_wake = Arc::clone(&wake);
        match ConnectionHandle::connect(&resolved, runtime, wake) {
            Ok(handle) => {
                if !reconnecting {
                    // A connect the user asked for runs the script anew.
                    self.stop_script();
                }
                self.start_script(&script_wake);
                self.source = LiveSource::WebSocket(handle);
                self.attempts += 1;
                self.input_error = None;
                self.follow = true;
                self.reconnect.due = None;
                self.reconnect.stopped_by_user = false;
            }
            Err(error) => {
                self.input_error = Some(error.to_string());
                self.reconnect = ReconnectState::default();
            }
        }
    }

    /// Opens the SSE stream of an SSE tab with `resolved` (variables already expanded). The
    /// stream reconnects by itself, as EventSource does; the tab's own reconnect loop stays
    /// off.
    fn connect_sse(
        &mut self,
        resolved: &ConnectionConfig,
        runtime: &tokio::runtime::Handle,
        wake: WakeFn,
    ) {
        let config = SseConfig {
            url: resolved.url.trim().to_owned(),
            headers: resolved.headers.clone(),
            tls: resolved.tls.clone(),
            proxy: resolved.proxy.clone(),
            handshake_timeout: resolved.handshake_timeout,
            max_event_size: resolved.max_message_size,
            ..SseConfig::default()
        };
        match SseHandle::connect(&config, runtime, wake) {
            Ok(handle) => {
                let base = self.attempts;
                self.source = LiveSource::Sse { handle, base };
                self.input_error = None;
                self.follow = true;
                self.reconnect = ReconnectState::default();
            }
            Err(error) => {
                self.input_error = Some(error.to_string());
                self.reconnect = ReconnectState::default();
            }
        }
    }

    /// When the next automatic reconnect is due, and its attempt number.
    pub fn reconnect_due(&self) -> Option<(Instant, u32)> {
        self.reconnect.due.map(|due| (due, self.attempts + 1))
    }

    /// The attempt number of the latest (or current) connection, from 1.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Decides, after an attempt ended with `close`, whether and when to try again.
    fn schedule_reconnect(&mut self, close: &CloseInfo) {
        let policy = self.setup.config.reconnect;
        if self.reconnect.stopped_by_user || !policy.wants_another(close) {
            self.reconnect = ReconnectState::default();
            return;
        }
        self.reconnect.in_a_row += 1;
        self.reconnect.due = policy
            .delay_before(self.reconnect.in_a_row, fastrand::f64())
            .map(|delay| Instant::now() + delay);
    }

    /// Asks the connection to end: closes cleanly when OPEN, abandons the handshake when
    /// CONNECTING, drops TCP when already CLOSING.
    pub fn disconnect(&mut self) {
        // Disconnect also ends a reconnect loop, waiting or not.
        self.reconnect = ReconnectState {
            stopped_by_user: true,
            ..ReconnectState::default()
        };
        if let LiveSource::Sse { handle, .. } = &self.source {
            handle.close();
            return;
        }
        let Some(handle) = self.source.connection() else {
            return;
        };
        match handle.ready_state() {
            ReadyState::Connecting | ReadyState::Open => {
                let _ = handle.close(1000, "");
            }
            ReadyState::Closing => handle.abort(),
            ReadyState::Closed => {}
        }
    }

    /// Runs `send` against the live connection; a refusal is shown to the user.
    pub fn send_with(
        &mut self,
        send: impl FnOnce(&ConnectionHandle) -> Result<(), SendError>,
    ) -> bool {
        let result = match self.source.connection() {
            Some(handle) => send(handle),
            None => Err(SendError::NotOpen(ReadyState::Closed)),
        };
        match result {
            Ok(()) => {
                self.input_error = None;
                true
            }
            Err(error) => {
                self.input_error = Some(error.to_string());
                false
            }
        }
    }

    /// Sends a message as the user wrote it: variables expanded with the tab's counter and
    /// variables, the body encoded in its format. A File body's file is read by `jobs` and
    /// sent when it arrives ([`Tab::finish_file_send`]). A refusal is shown in the composer.
    pub fn send_draft(&mut self, draft: Draft, jobs: &Background<JobDone>) {
        let state = self.ready_state();
        if state != ReadyState::Open {
            self.composer.send_error = Some(SendError::NotOpen(state).to_string());
            return;
        }
        let names = variables::outside_names(&draft.body);
        if self.ask_env(names, draft.from_file, PendingUse::Send(draft.clone())) {
            return;
        }
        let needed = self.needed_secrets(&[draft.body.as_str()]);
        let (runtime, wake) = jobs.runtime_and_wake();
        if !self.secrets_ready(&needed, PendingUse::Send(draft.clone()), runtime, wake) {
            return;
        }
        let user = self.valid_variables();
        let allowed = self.allowed_env();
        let found = RefCell::new(Redactor::new());
        let secrets = self.secrets.clone();
        let outside = secrets.lookup(&variables::process_env);
        let env = redact::recording_env(&found, &outside);
        let ctx = VarContext {
            counter: self.counter,
            user: &user,
            env: &env,
            env_policy: self.draft_policy(&draft, &allowed),
        };
        if draft.format == MessageFormat::File {
            let path = variables::expand(&draft.body, &ctx);
            Arc::make_mut(&mut self.redactor).merge(&found.take());
            match path {
                Ok(path) if !path.trim().is_empty() => {
                    let path = PathBuf::from(path.trim());
                    self.composer.note = Some(format!("Reading {}…", path.display()));
                    jobs.read_file(self.id, path, draft);
                }
                Ok(_) => self.composer.send_error = Some("not sent: no file path".into()),
                Err(error) => self.composer.send_error = Some(format!("not sent: {error}")),
            }
            return;
        }
        // A Protobuf body needs its type (the draft's own, else the tab's): without one,
        // nothing is sent and the composer says why.
        let proto = match draft.format {
            MessageFormat::Protobuf => {
                let tab_message = self.setup.decode.message.as_deref();
                match self
                    .schema
                    .required_type(tab_message, draft.message.as_deref())
                {
                    Ok(ty) => Some(ty),
                    Err(error) => {
                        self.composer.send_error = Some(format!("not sent: {error}"));
                        return;
                    }
                }
            }
            _ => None,
        };
        let with = template::EncodeWith {
            proto: proto.as_ref(),
            limits: self.limits(),
        };
        let prepared = template::prepare(draft.format, &draft.body, &ctx, &with);
        Arc::make_mut(&mut self.redactor).merge(&found.take());
        match prepared {
            Ok(outgoing) => self.deliver(draft, outgoing),
            Err(error) => self.composer.send_error = Some(format!("not sent: {error}")),
        }
    }

    /// The file of a File send was read (or not): sends its bytes.
    pub fn finish_file_send(&mut self, draft: Draft, result: Result<Bytes, FileSendError>) {
        self.composer.note = None;
        match result {
            Ok(bytes) => self.deliver(draft, Outgoing::Binary(bytes)),
            Err(error) => self.composer.send_error = Some(format!("not sent: {error}")),
        }
    }

    /// Hands a prepared message to the connection; on success the counter goes up and the
    /// draft joins the history.
    fn deliver(&mut self, draft: Draft, outgoing: Outgoing) {
        if matches!(self.setup.kind, TabKind::Proxy | TabKind::Server) {
            let payload = match outgoing {
                Outgoing::Text(text) => Ok(crate::engine::Payload::Text(text.into())),
                Outgoing::Binary(bytes) => Ok(crate::engine::Payload::Binary(bytes)),
                Outgoing::Op(_) => Err("this tab sends plain messages".to_string()),
            };
            let server = self.setup.kind == TabKind::Server;
            let delivered = payload.and_then(|payload| {
                if server {
                    self.send_to_clients(payload)
                } else {
                    self.inject(payload)
                }
            });
            match delivered {
                Ok(()) => {
                    self.counter += 1;
                    self.composer.record_sent(draft);
                }
                Err(error) => self.composer.send_error = Some(format!("not sent: {error}")),
            }
            return;
        }
        // With a script's beforeSend, the send is the script's to make.
        let Some(outgoing) = self.divert_send(outgoing) else {
            self.counter += 1;
            self.composer.record_sent(draft);
            return;
        };
        let result = match (self.source.connection(), outgoing) {
            (Some(handle), Outgoing::Text(text)) => handle.send_text(text),
            (Some(handle), Outgoing::Binary(bytes)) => handle.send_binary(bytes),
            (Some(handle), Outgoing::Op(op)) => {
                // What the protocol cannot make frames of is said here, not sent.
                if let Err(error) = crate::protocol::check_op(&self.setup.config.protocol, &op) {
                    self.composer.send_error = Some(format!("not sent: {error}"));
                    return;
                }
                handle.send_op(op)
            }
            (None, _) => Err(SendError::NotOpen(ReadyState::Closed)),
        };
        match result {
            Ok(()) => {
                self.counter += 1;
                self.composer.record_sent(draft);
            }
            Err(error) => self.composer.send_error = Some(error.to_string()),
        }
    }

    /// The `sockscope connect` (or `sse`) command that connects as this tab does, its
    /// variables expanded as a connect would, secrets left as environment references.
    pub fn command_line(&self) -> Result<String, CommandLineError> {
        let kind = match self.setup.kind {
            TabKind::WebSocket => CommandKind::Connect,
            TabKind::Sse => CommandKind::Sse,
            TabKind::Proxy => {
                let proxy = self.setup.proxy.clone().unwrap_or_default();
                return Ok(super::proxy_tab::command_line(&proxy));
            }
            TabKind::Server => {
                let server = self.setup.server.clone().unwrap_or_default();
                return Ok(super::server_tab::command_line(&server));
            }
        };
        command_line::command_line(
            kind,
            &self.setup.config,
            &self.valid_variables(),
            &self.setup.secret_headers,
        )
    }

    /// The live WebSocket connection, if any.
    pub(super) fn connection(&self) -> Option<&ConnectionHandle> {
        self.source.connection()
    }

    /// True while a replay runs in this tab.
    pub fn is_replaying(&self) -> bool {
        self.source.is_replaying()
    }

    /// Starts `run`, a replay whose events this tab's timeline shows.
    pub(super) fn start_replay(&mut self, run: crate::replay::ReplayHandle) {
        self.source = LiveSource::Replay(run);
    }

    /// Stops the replay's sending and closes its connection; the comparison of what
    /// arrived still comes.
    pub fn cancel_replay(&mut self) {
        if let LiveSource::Replay(run) = &mut self.source {
            run.cancel();
        }
    }

    /// Why nothing can be sent now ("Send is off: …"), or `None` while OPEN.
    pub fn send_off_reason(&self) -> Option<String> {
        let state = self.ready_state();
        (state != ReadyState::Open)
            .then(|| format!("Send is off: the connection is {state}. Connect first."))
    }

    /// Empties the timeline, as Clear in a browser's message list does: the rows, their
    /// selection and pins, the statistics; the connection, filter and search go on. Does
    /// nothing in a replay's tab, whose comparison points into its rows.
    pub fn clear_timeline(&mut self) {
        if self.replay.is_some() {
            return;
        }
        self.timeline.clear_rows();
        self.decoding.clear();
        self.protocol.clear();
        self.fold.restart();
        self.finding.restart();
        self.selected = None;
        self.second_selection = None;
        self.setup.pins.clear();
        self.follow = true;
    }

    /// Moves what the live source delivered into the timeline until `deadline`; returns
    /// true when more is waiting (the caller asks for another frame).
    pub fn drain(&mut self, deadline: Instant) -> bool {
        self.drain_until(Some(deadline))
    }

    /// Decodes the message at `index` by `spec` from now on (`None`: by the tab's choice).
    pub fn decode_message_as(&mut self, index: usize, spec: Option<DecodeSpec>) {
        let max = self.setup.config.max_message_size;
        self.decoding.set_override(&self.timeline, index, spec, max);
    }

    /// Decodes every message of the tab by `spec`, kept in the setup (saved with the tab).
    pub fn decode_tab_as(&mut self, spec: DecodeSpec) {
        self.setup.decode.spec = spec;
        self.decoding.set_spec(self.frame_decode_spec());
    }

    /// How the timeline's frames are decoded: by the tab's choice, except on a protocol tab,
    /// whose rows and detail pane show protocol units instead (decoding its frames too would
    /// only be wasted work on every MQTT packet).
    fn frame_decode_spec(&self) -> DecodeSpec {
        if self.setup.config.protocol.kind == ProtocolKind::Raw {
            self.setup.decode.spec.clone()
        } else {
            DecodeSpec::None
        }
    }

    /// The one drain loop, then the decoding of what arrived (for a few milliseconds; the
    /// next frames do the rest): every source's events go to [`Timeline::push`] here,
    /// checking the clock every 256 of them against `deadline` (none: take every event).
    fn drain_until(&mut self, deadline: Option<Instant>) -> bool {
        let more = self.drain_events(deadline);
        let wanted = self.frame_decode_spec();
        if wanted != *self.decoding.spec() {
            // The setup's choice changed (the tab's settings, a restored workspace, a
            // protocol chosen or dropped).
            self.decoding.set_spec(wanted);
        }
        // Decoding has a budget of its own: a flood that took the drain's whole budget
        // must not leave its messages undecoded for long.
        let decode_by = Instant::now() + DECODE_BUDGET;
        let max = self.setup.config.max_message_size;
        let more_to_decode = self.decoding.catch_up(&self.timeline, max, decode_by);
        let more_units = self.protocol_catch_up(decode_by);
        more || more_to_decode || more_units
    }

    /// The protocol view follows the tab's protocol setting and reads what arrived.
    fn protocol_catch_up(&mut self, deadline: Instant) -> bool {
        let was_active = self.protocol.is_active();
        self.protocol.set_settings(&self.setup.config.protocol);
        let active = self.protocol.is_active();
        if active != was_active {
            // Switching to a protocol hides its housekeeping; plain WebSocket has none.
            self.finding.spec.housekeeping = !active;
        }
        self.protocol.catch_up(&self.timeline, deadline)
    }

    /// Moves the live source's events into the timeline (see [`Tab::drain_until`]).
    fn drain_events(&mut self, deadline: Option<Instant>) -> bool {
        let mut taken = 0usize;
        while let Some(arrival) = self.source.try_next(self.attempts) {
            match arrival {
                Arrival::Event { attempt, event } => {
                    let ended = match &event.kind {
                        EventKind::Open(open) => {
                            self.reconnect.in_a_row = 0;
                            self.keep_cookies(&open.response_headers);
                            None
                        }
                        EventKind::Error(error) => {
                            // A rejected handshake (a login wall) may set cookies too.
                            if let Some(http) = &error.http {
                                self.keep_cookies(&http.headers);
                            }
                            None
                        }
                        EventKind::Close(close) => {
                            self.last_close_clean = Some(close.was_clean);
                            Some(close.clone())
                        }
                        _ => None,
                    };
                    let sse = matches!(self.source, LiveSource::Sse { .. });
                    if sse {
                        self.attempts = self.attempts.max(attempt);
                    }
                    self.timeline.push(attempt, event);
                    // A WebSocket attempt that ended may be followed by another; an SSE
                    // stream reconnects by itself.
                    if let Some(close) = ended
                        && !sse
                    {
                        self.schedule_reconnect(&close);
                    }
                }
                Arrival::ReplayFinished(report) => {
                    // The comparison's actual indices are into the run's events: keep the
                    // timeline exactly that list.
                    if self.timeline.len() != report.events.len() {
                        self.timeline.clear();
                        self.decoding.clear();
                        self.protocol.clear();
                        for event in &report.events {
                            self.timeline.push(1, event.clone());
                        }
                    }
                    if let Some(state) = &mut self.replay {
                        state.report = Some(report);
                    }
                }
                Arrival::ReplayFailed(error) => {
                    if let Some(state) = &mut self.replay {
                        state.error = Some(error);
                    }
                }
                Arrival::ProxyStarted(started) => self.proxy_started(started),
                Arrival::Proxy(event) => self.proxy_event(*event),
            }
            taken += 1;
            if let Some(deadline) = deadline
                && taken.is_multiple_of(256)
                && Instant::now() >= deadline
            {
                return true;
            }
        }
        false
    }
}

/// How long a drain decodes what arrived (the next frames do the rest).
const DECODE_BUDGET: std::time::Duration = std::time::Duration::from_millis(4);

/// A tab's reconnect loop.
#[derive(Clone, Copy, Debug, Default)]
struct ReconnectState {
    /// When the next attempt starts, while waiting.
    due: Option<Instant>,
    /// Reconnects since the last attempt that opened.
    in_a_row: u32,
    /// The user disconnected: no reconnect until they connect again.
    stopped_by_user: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::HeaderEntry;
    use crate::model::session::SecretHeader;

    #[test]
    fn a_file_tab_reads_the_variables_of_secrets_marked_in_it_and_no_others() {
        let mut config = ConnectionConfig::new("ws://h/");
        config
            .headers
            .push(HeaderEntry::new("Authorization", "{{env.API_TOKEN}}"));
        let saved = SessionTab {
            setup: TabSetup {
                config,
                // The file says these are secret; that alone allows nothing.
                secret_headers: vec![
                    SecretHeader::new("Authorization", "API_TOKEN"),
                    SecretHeader::new("X-Other", "AWS_SECRET_ACCESS_KEY"),
                ],
                ..TabSetup::default()
            },
            ..SessionTab::default()
        };
        let mut tab = Tab::from_session(1, &saved, "tab 1").expect("a tab");
        assert!(tab.env_access.from_file);
        assert!(tab.allowed_env().is_empty());
        tab.env_access.mark_secret("authorization");
        assert_eq!(tab.allowed_env(), ["API_TOKEN"]);
        let allowed = tab.allowed_env();
        let policy = tab.env_access.policy(&allowed);
        assert!(policy.allows("API_TOKEN") && !policy.allows("AWS_SECRET_ACCESS_KEY"));
        assert!(Tab::new(2, "ws://h/").env_access.policy(&[]).allows("ANY"));
    }

    #[test]
    fn a_protocol_tab_decodes_units_not_frames_and_a_raw_tab_keeps_its_choice() {
        let auto: DecodeSpec = "auto".parse().expect("a spec");
        let mut tab = Tab::new(1, "ws://h/mqtt");
        tab.decode_tab_as(auto.clone());
        assert_eq!(*tab.decoding.spec(), auto);
        tab.setup.config.protocol.kind = ProtocolKind::Mqtt;
        tab.drain_until(None);
        assert_eq!(*tab.decoding.spec(), DecodeSpec::None);
        // The tab's own choice is kept, and comes back with plain WebSocket.
        assert_eq!(tab.setup.decode.spec, auto);
        tab.setup.config.protocol.kind = ProtocolKind::Raw;
        tab.drain_until(None);
        assert_eq!(*tab.decoding.spec(), auto);
    }
}

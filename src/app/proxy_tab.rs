//! A proxy tab's state and the calls that act on it: its connections (one per client, each
//! with both legs' state and close, and its own timeline), which one the tab shows (its
//! timeline is the tab's own then, so the timeline, filter, search and detail pane work as
//! in any tab), the held messages of the shown connection, and what the intercept panel
//! is in the middle of. No drawing here.

use std::sync::Arc;
use std::time::Duration;

pub use super::held_edit::HeldEdit;
use super::live_source::LiveSource;
use super::proxy_run::ProxyRun;
use super::tab::Tab;
use crate::cli::command_line::quote;
use crate::engine::{CloseInfo, EventKind, Leg, Payload, ReadyState};
use crate::model::proxy_setup::ProxySetup;
use crate::model::timeline::Timeline;
use crate::proxy::replay_config::upstream_config;
use crate::proxy::{ConnControl, HeldMessage, ProxyConfig, ProxyEvent, ProxyRules};

/// The most connections a proxy tab lists; past it (or past the tab's memory budget for
/// the payloads of all its connections) the oldest finished ones go.
pub const MAX_CONNECTIONS: usize = 500;

/// How often the held messages are looked at again while a direction is paused.
pub const HELD_REFRESH: Duration = Duration::from_millis(200);

/// What a panel of a proxy tab asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyAction {
    /// Start the proxy with the tab's settings.
    Start,
    /// Stop it: every connection's legs close with 1001.
    Stop,
    /// Show this connection's timeline.
    Show(u64),
    /// Pause (or resume, releasing what was held) the messages arriving on this leg.
    Pause(Leg, bool),
    /// Pass a held message of the shown connection on, as it came or edited.
    Release {
        /// The leg it arrived on.
        from: Leg,
        /// Its number.
        id: u64,
        /// The edited payload, if edited.
        edited: Option<Payload>,
    },
    /// Forget a held message of the shown connection.
    DropHeld(Leg, u64),
    /// Pass every held message of the shown connection from this leg on.
    ReleaseAll(Leg),
    /// The rules changed: compile and apply them.
    ApplyRules,
    /// A server tab's hand control.
    Server(super::server_tab::ServerCommand),
}

/// One leg of one connection, as far as the tab knows.
#[derive(Clone, Debug, Default)]
pub struct LegView {
    /// The handshake on this leg completed.
    pub opened: bool,
    /// Its close, once closed.
    pub close: Option<CloseInfo>,
    /// Its last error.
    pub error: Option<String>,
}

impl LegView {
    /// Its state as a readyState.
    pub fn state(&self) -> ReadyState {
        match (&self.close, self.opened) {
            (Some(_), _) => ReadyState::Closed,
            (None, true) => ReadyState::Open,
            (None, false) => ReadyState::Connecting,
        }
    }
}

/// One client connection through the proxy.
#[derive(Debug)]
pub struct ConnView {
    /// Its number (1, 2, ... as accepted).
    pub conn: u64,
    /// The client's request target (path and query).
    pub target: String,
    /// The subprotocols the client offered, as it wrote them.
    pub offers: String,
    /// How the proxy dialled this connection's upstream leg (what a replay of it dials).
    pub upstream: Option<crate::engine::ConnectionConfig>,
    /// `[client leg, upstream leg]`.
    pub legs: [LegView; 2],
    /// Its events, both legs; empty while the tab shows it (the tab holds them then).
    timeline: Timeline,
    /// Events seen.
    pub events: usize,
}

impl ConnView {
    /// True when both legs have closed.
    pub fn finished(&self) -> bool {
        self.legs.iter().all(|leg| leg.close.is_some())
    }
}

/// A proxy tab's live state.
#[derive(Debug, Default)]
pub struct ProxyTabState {
    /// The connections, oldest first.
    pub conns: Vec<ConnView>,
    /// The connection whose timeline the tab holds.
    pub shown: Option<u64>,
    /// Where the proxy listens, once it does.
    pub listening: Option<std::net::SocketAddr>,
    /// Why the proxy is not running (a bad setting, a bind failure).
    pub error: Option<String>,
    /// Which leg the composer injects into.
    pub inject_into: Option<Leg>,
    /// The shown connection's held messages: `[from client, from upstream]`.
    pub held: [Vec<HeldMessage>; 2],
    /// The held message being edited.
    pub editing: Option<HeldEdit>,
    /// Why the rules were not applied.
    pub rules_error: Option<String>,
    /// A server tab's hand controls.
    pub server: super::server_tab::ServerUi,
    /// The settings the running proxy started with (a connection's upstream leg is dialled
    /// from them, whatever the tab's fields say since).
    pub running: Option<ProxyConfig>,
}

impl ProxyTabState {
    /// The connection `conn`.
    pub fn view(&self, conn: u64) -> Option<&ConnView> {
        self.conns.iter().rev().find(|view| view.conn == conn)
    }

    fn view_mut(&mut self, conn: u64) -> Option<&mut ConnView> {
        self.conns.iter_mut().rev().find(|view| view.conn == conn)
    }

    /// The leg the composer sends into (the upstream's by default: as if the client sent
    /// it).
    pub fn inject_leg(&self) -> Leg {
        self.inject_into.unwrap_or(Leg::Upstream)
    }
}

/// The `sockscope proxy` command that runs as this tab's proxy does.
pub fn command_line(setup: &ProxySetup) -> String {
    let mut words = vec![
        "sockscope".to_string(),
        "proxy".into(),
        "--listen".into(),
        quote(setup.listen.trim()),
        "--upstream".into(),
        quote(setup.upstream.trim()),
    ];
    for line in setup.add_headers.lines().filter(|l| !l.trim().is_empty()) {
        words.push("--header".into());
        words.push(quote(line.trim()));
    }
    for name in setup.strip_headers.lines().filter(|l| !l.trim().is_empty()) {
        words.push("--strip-header".into());
        words.push(quote(name.trim()));
    }
    words.join(" ")
}

impl Tab {
    /// A new proxy tab forwarding to `upstream`.
    pub fn new_proxy(id: u64, upstream: impl Into<String>) -> Self {
        let mut setup = crate::model::tab_setup::TabSetup {
            kind: crate::model::tab_setup::TabKind::Proxy,
            proxy: Some(ProxySetup::new(upstream)),
            ..Default::default()
        };
        setup.config.url = String::new();
        Self::from_setup(id, setup)
    }

    /// The connection settings a replay of this tab dials: its own; for a proxy tab, its
    /// shown connection's upstream leg as the proxy dialled it (the real server, with the
    /// client's path, offer and headers). A server tab's connections are not replayed.
    pub fn replay_config(&self) -> Result<crate::engine::ConnectionConfig, String> {
        use crate::model::tab_setup::TabKind;
        match self.setup.kind {
            TabKind::Proxy => self
                .proxy
                .as_ref()
                .and_then(|state| state.view(state.shown?)?.upstream.clone())
                .ok_or_else(|| "select a connection of the proxy to replay it".to_string()),
            TabKind::Server => {
                Err("a server tab's connections are replayed from their client".to_string())
            }
            _ => Ok(self.setup.config.clone()),
        }
    }

    /// The proxy's live state (made on first use).
    pub fn proxy_state(&mut self) -> &mut ProxyTabState {
        self.proxy.get_or_insert_with(Box::default)
    }

    /// The running proxy's connection `conn`, for intercept commands.
    fn control(&self, conn: u64) -> Option<ConnControl> {
        self.source.proxy()?.intercept()?.connection(conn)
    }

    /// Carries out a proxy panel's action.
    pub fn run_proxy(
        &mut self,
        action: ProxyAction,
        runtime: &tokio::runtime::Handle,
        wake: crate::engine::WakeFn,
    ) {
        match action {
            ProxyAction::Start if self.setup.kind == crate::model::tab_setup::TabKind::Server => {
                self.start_server(runtime, wake);
            }
            ProxyAction::Start => self.start_proxy(runtime, wake),
            ProxyAction::Server(command) => self.server_command(command),
            ProxyAction::Stop => {
                if let Some(run) = self.source.proxy_mut() {
                    run.stop();
                }
                self.proxy_state().listening = None;
            }
            ProxyAction::Show(conn) => self.show_connection(conn),
            ProxyAction::Pause(from, paused) => {
                if let Some(intercept) = self.source.proxy().and_then(ProxyRun::intercept) {
                    intercept.set_paused(from, paused);
                }
                self.refresh_held();
            }
            ProxyAction::Release { from, id, edited } => {
                let result = self.shown_control().map(|c| c.release(from, id, edited));
                self.after_control(result);
            }
            ProxyAction::DropHeld(from, id) => {
                let result = self.shown_control().map(|c| c.drop_held(from, id));
                self.after_control(result);
            }
            ProxyAction::ReleaseAll(from) => {
                let result = self.shown_control().map(|c| c.release_all(from));
                self.after_control(result);
            }
            ProxyAction::ApplyRules => self.apply_rules(),
        }
    }

    fn shown_control(&self) -> Option<ConnControl> {
        self.control(self.proxy.as_ref()?.shown?)
    }

    /// Shows what an intercept command came to; the held list is looked at again.
    fn after_control(&mut self, result: Option<Result<(), crate::proxy::ControlError>>) {
        let error = match result {
            None => Some("the connection has ended".to_string()),
            Some(Err(error)) => Some(error.to_string()),
            Some(Ok(())) => None,
        };
        let state = self.proxy_state();
        state.editing = None;
        if let Some(error) = error {
            state.error = Some(format!("Not done: {error}"));
        }
        self.refresh_held();
    }

    fn apply_rules(&mut self) {
        let specs = self
            .setup
            .proxy
            .as_ref()
            .map(|p| p.rules.clone())
            .unwrap_or_default();
        let compiled = ProxyRules::compile(&specs);
        let intercept = self.source.proxy().and_then(ProxyRun::intercept).cloned();
        let state = self.proxy_state();
        match compiled {
            Ok(rules) => {
                state.rules_error = None;
                if let Some(intercept) = intercept {
                    intercept.set_rules(rules);
                }
            }
            Err(error) => state.rules_error = Some(error.to_string()),
        }
    }

    fn start_proxy(&mut self, runtime: &tokio::runtime::Handle, wake: crate::engine::WakeFn) {
        if self.ready_state() != ReadyState::Closed {
            return;
        }
        let setup = self.setup.proxy.get_or_insert_with(ProxySetup::default);
        let checked = match setup.check() {
            Ok(checked) => checked,
            Err(error) => {
                self.proxy_state().error = Some(format!("Not started: {error}"));
                return;
            }
        };
        let redactor = Arc::make_mut(&mut self.redactor);
        redactor.add_url(checked.upstream.as_str());
        for (name, value) in &checked.add_headers {
            redactor.add_header(name, value);
        }
        let config = ProxyConfig {
            listen: checked.listen,
            upstream: checked.upstream,
            add_headers: checked.add_headers,
            strip_headers: checked.strip_headers,
            // The window's proxy listens plainly (TLS on the listening side is the command
            // line's `--cert`/`--key`).
            tls: None,
        };
        self.proxy_state().running = Some(config.clone());
        self.source = LiveSource::Proxy(ProxyRun::start(config, runtime, wake));
        self.started_fresh();
        self.apply_rules();
    }

    /// A new run numbers its connections from 1 again: the old ones go.
    pub(super) fn started_fresh(&mut self) {
        let state = self.proxy_state();
        state.error = None;
        state.conns.clear();
        state.shown = None;
        state.held = Default::default();
        state.editing = None;
        state.server.not_reading.clear();
        state.server.armed = None;
        self.timeline.clear();
        self.reset_views();
    }

    /// The proxy bound its address, or could not.
    pub(super) fn proxy_started(&mut self, started: Result<std::net::SocketAddr, String>) {
        let state = self.proxy_state();
        match started {
            Ok(addr) => state.listening = Some(addr),
            Err(error) => state.error = Some(format!("Not started: {error}")),
        }
    }

    /// One event of one connection: its leg's state, then its timeline (the tab's own
    /// when it is the shown one). The first connection is shown by itself.
    pub(super) fn proxy_event(&mut self, event: ProxyEvent) {
        let ProxyEvent {
            conn,
            leg,
            event,
            request,
            ..
        } = event;
        let budget = self.setup.memory_budget();
        // A server tab's connections have one side only: no leg to mark.
        let mark = (self.setup.kind == crate::model::tab_setup::TabKind::Proxy).then_some(leg);
        let state = self.proxy.get_or_insert_with(Box::default);
        let ends = matches!(event.kind, EventKind::Close(_));
        if state.view(conn).is_none() {
            let upstream = mark
                .is_some()
                .then_some(state.running.as_ref())
                .flatten()
                .map(|running| upstream_config(running, &request));
            let mut timeline = Timeline::default();
            timeline.set_memory_budget(budget);
            state.conns.push(ConnView {
                conn,
                target: request.target.clone(),
                offers: request
                    .headers
                    .iter()
                    .filter(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-protocol"))
                    .map(|(_, value)| value.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                upstream,
                legs: Default::default(),
                timeline,
                events: 0,
            });
            let redactor = Arc::make_mut(&mut self.redactor);
            for (name, value) in &request.headers {
                redactor.add_header(name, value);
            }
            self.trim_connections();
        }
        let Some(state) = self.proxy.as_mut() else {
            return;
        };
        let shown = state.shown == Some(conn);
        // A connection no longer listed (forgotten to stay in budget) takes nothing more.
        let Some(view) = state.view_mut(conn) else {
            return;
        };
        let leg_view = &mut view.legs[leg.index()];
        match &event.kind {
            EventKind::Open(_) => leg_view.opened = true,
            EventKind::Close(close) => leg_view.close = Some((**close).clone()),
            EventKind::Error(error) => leg_view.error = Some(error.message.clone()),
            _ => {}
        }
        view.events += 1;
        if !shown {
            view.timeline.push_on(1, mark, event);
            if self.proxy.as_ref().is_some_and(|s| s.shown.is_none()) {
                self.show_connection(conn);
            }
            if ends {
                self.trim_connections();
            }
            return;
        }
        Arc::make_mut(&mut self.redactor).learn(&event.kind);
        self.timeline.push_on(1, mark, event);
    }

    /// Forgets the oldest finished connections (never the shown one) while there are more
    /// than [`MAX_CONNECTIONS`] or their payloads together pass the tab's memory budget.
    fn trim_connections(&mut self) {
        let limit = self.setup.memory_budget();
        let shown_bytes = self.timeline.kept_bytes();
        let Some(state) = self.proxy.as_mut() else {
            return;
        };
        let mut total = shown_bytes
            + state
                .conns
                .iter()
                .map(|v| v.timeline.kept_bytes())
                .sum::<usize>();
        while total > limit || state.conns.len() > MAX_CONNECTIONS {
            let shown = state.shown;
            let Some(at) = state
                .conns
                .iter()
                .position(|v| v.finished() && Some(v.conn) != shown)
            else {
                break;
            };
            total = total.saturating_sub(state.conns[at].timeline.kept_bytes());
            state.conns.remove(at);
        }
    }

    /// Puts connection `conn`'s timeline in the tab (the one shown before goes back to
    /// its connection); the views of the timeline start over on it.
    pub fn show_connection(&mut self, conn: u64) {
        let Some(state) = self.proxy.as_mut() else {
            return;
        };
        if state.shown == Some(conn) || state.view(conn).is_none() {
            return;
        }
        if let Some(old) = state.shown
            && let Some(view) = state.view_mut(old)
        {
            std::mem::swap(&mut view.timeline, &mut self.timeline);
        }
        if let Some(view) = state.view_mut(conn) {
            std::mem::swap(&mut view.timeline, &mut self.timeline);
        }
        state.shown = Some(conn);
        state.editing = None;
        self.reset_views();
        self.refresh_held();
    }

    /// The timeline's views start over (another connection's timeline is in the tab).
    fn reset_views(&mut self) {
        self.decoding.clear();
        self.protocol.clear();
        self.fold.restart();
        self.finding.restart();
        self.selected = None;
        self.second_selection = None;
        self.setup.pins.clear();
        self.follow = true;
    }

    /// Looks at the shown connection's held messages again; true while a direction is
    /// paused (the window looks again in [`HELD_REFRESH`]).
    pub fn refresh_held(&mut self) -> bool {
        let intercept = self.source.proxy().and_then(ProxyRun::intercept).cloned();
        let control = self.shown_control();
        let Some(state) = self.proxy.as_mut() else {
            return false;
        };
        for leg in [Leg::Client, Leg::Upstream] {
            let held = control.as_ref().map(|c| c.held(leg)).unwrap_or_default();
            if state.held[leg.index()] != held {
                state.held[leg.index()] = held;
            }
        }
        intercept.is_some_and(|i| i.is_paused(Leg::Client) || i.is_paused(Leg::Upstream))
    }

    /// Whether the messages arriving on `from` are paused now.
    pub fn proxy_paused(&self, from: Leg) -> bool {
        self.source
            .proxy()
            .and_then(ProxyRun::intercept)
            .is_some_and(|i| i.is_paused(from))
    }

    /// Injects a prepared message into the shown connection's chosen leg.
    pub(super) fn inject(&self, payload: Payload) -> Result<(), String> {
        let state = self
            .proxy
            .as_ref()
            .ok_or("no connection is shown".to_string())?;
        let conn = state.shown.ok_or("no connection is shown".to_string())?;
        let control = self
            .control(conn)
            .ok_or(format!("connection {conn} has ended"))?;
        control
            .inject(state.inject_leg(), payload)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_runs_the_tabs_proxy() {
        let mut setup = ProxySetup::new("ws://up:9/base");
        setup.add_headers = "X-A: one two".into();
        setup.strip_headers = "Cookie".into();
        assert_eq!(
            command_line(&setup),
            "sockscope proxy --listen 127.0.0.1:9002 --upstream ws://up:9/base \
             --header 'X-A: one two' --strip-header Cookie"
        );
    }
}

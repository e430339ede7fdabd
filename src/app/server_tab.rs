//! A server tab (the mock server in the window): starting it with the tab's settings and
//! auto-responses, and the hand controls of the shown client (send, close with any code,
//! drop, stop reading), of every client (send to all), and of the next handshake. Its
//! connections are kept as a proxy tab's are (see [`super::proxy_tab`]). No drawing here.

use std::collections::HashSet;
use std::path::Path;

use super::live_source::LiveSource;
use super::proxy_run::ProxyRun;
use super::tab::Tab;
use crate::cli::command_line::quote;
use crate::engine::{Payload, ReadyState};
use crate::mock::MockConfig;
use crate::mock::control::{ClientCommand, HandshakeAnswer, MockControl};
use crate::mock::rules::{Rules, RulesFile};
use crate::model::server_setup::ServerSetup;
use crate::model::storage::from_ron;
use crate::model::tab_setup::{TabKind, TabSetup};

/// What the Server tab's hand controls are in the middle of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerUi {
    /// The composer sends to every client instead of the shown one.
    pub send_to_all: bool,
    /// The close code to send.
    pub close_code: u16,
    /// The close reason to send.
    pub close_reason: String,
    /// The clients not being read.
    pub not_reading: HashSet<u64>,
    /// The next handshake's answer being written: status (0 or 101: accept).
    pub next_status: u16,
    /// Its headers, `Name: value` a line.
    pub next_headers: String,
    /// Its body.
    pub next_body: String,
    /// The subprotocol to accept it with (empty: as the rules say).
    pub next_subprotocol: String,
    /// The answer set for the next handshake, as the server has it.
    pub armed: Option<HandshakeAnswer>,
    /// The auto-responses text the running server follows (what Apply last put in force).
    pub applied_rules: Option<String>,
}

impl Default for ServerUi {
    fn default() -> Self {
        Self {
            send_to_all: false,
            close_code: 1000,
            close_reason: String::new(),
            not_reading: HashSet::new(),
            next_status: 0,
            next_headers: String::new(),
            next_body: String::new(),
            next_subprotocol: String::new(),
            armed: None,
            applied_rules: None,
        }
    }
}

impl ServerUi {
    /// The next handshake's answer as written.
    pub fn next_answer(&self) -> HandshakeAnswer {
        let headers = self
            .next_headers
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_string(), value.trim().to_string()))
            .filter(|(name, _)| !name.is_empty())
            .collect();
        HandshakeAnswer {
            status: (300..=599)
                .contains(&self.next_status)
                .then_some(self.next_status),
            headers,
            body: self.next_body.clone(),
            subprotocol: Some(self.next_subprotocol.trim().to_string()).filter(|p| !p.is_empty()),
        }
    }
}

/// The `sockscope listen` command that serves as this tab does (its rules need a file).
pub fn command_line(setup: &ServerSetup) -> String {
    let mut words = vec![
        "sockscope".to_string(),
        "listen".into(),
        "--addr".into(),
        quote(setup.listen.trim()),
    ];
    if !setup.subprotocol.trim().is_empty() {
        words.push("--subprotocol".into());
        words.push(quote(setup.subprotocol.trim()));
    }
    if !setup.rules.trim().is_empty() {
        words.push("--rules".into());
        words.push("RULES.ron".into());
    }
    words.join(" ")
}

/// The tab's auto-responses, checked: its rules text, and its subprotocol over the rules'.
pub fn rules_of(setup: &ServerSetup) -> Result<Rules, String> {
    let file: RulesFile = if setup.rules.trim().is_empty() {
        RulesFile::default()
    } else {
        from_ron(Path::new("auto-responses"), &setup.rules).map_err(|e| e.to_string())?
    };
    let mut rules = Rules::compile(file).map_err(|e| format!("auto-responses: {e}"))?;
    if !setup.subprotocol.trim().is_empty() {
        rules.subprotocol = Some(setup.subprotocol.trim().to_string());
    }
    Ok(rules)
}

impl Tab {
    /// A new server tab.
    pub fn new_server(id: u64) -> Self {
        let setup = TabSetup {
            kind: TabKind::Server,
            server: Some(ServerSetup::default()),
            ..Default::default()
        };
        Self::from_setup(id, setup)
    }

    /// The running mock server's hand controls.
    fn mock(&self) -> Option<&std::sync::Arc<MockControl>> {
        self.source.proxy().and_then(ProxyRun::mock_control)
    }

    /// Starts the mock server with the tab's settings.
    pub(super) fn start_server(
        &mut self,
        runtime: &tokio::runtime::Handle,
        wake: crate::engine::WakeFn,
    ) {
        if self.ready_state() != ReadyState::Closed {
            return;
        }
        let setup = self.setup.server.get_or_insert_with(ServerSetup::default);
        let listen = setup.listen.trim().parse();
        let rules = rules_of(setup);
        let (listen, rules) = match (listen, rules) {
            (Ok(listen), Ok(rules)) => (listen, rules),
            (Err(_), _) => {
                let error = format!("Not started: the address {:?} is not IP:PORT", setup.listen);
                self.proxy_state().error = Some(error);
                return;
            }
            (_, Err(error)) => {
                self.proxy_state().error = Some(format!("Not started: {error}"));
                return;
            }
        };
        let applied = setup.rules.clone();
        let config = MockConfig {
            listen,
            rules,
            tls: None,
        };
        self.source = LiveSource::Proxy(ProxyRun::start_mock(config, runtime, wake));
        self.started_fresh();
        let state = self.proxy_state();
        state.server.applied_rules = Some(applied);
        state.rules_error = None;
    }

    /// Puts the edited auto-responses in force on the running server (see
    /// [`MockControl::set_rules`]); a text that does not compile is shown and changes
    /// nothing.
    pub(super) fn apply_server_rules(&mut self) {
        let setup = self.setup.server.get_or_insert_with(ServerSetup::default);
        let text = setup.rules.clone();
        let compiled = rules_of(setup);
        let control = self.mock().cloned();
        let state = self.proxy_state();
        match (compiled, control) {
            (Ok(rules), Some(control)) => {
                control.set_rules(rules);
                state.server.applied_rules = Some(text);
                state.rules_error = None;
            }
            (Ok(_), None) => {
                state.rules_error = Some("Not applied: the server is not running".into());
            }
            (Err(error), _) => state.rules_error = Some(format!("Not applied: {error}")),
        }
    }

    /// Carries out a hand control on the shown client (or the whole server).
    pub(super) fn server_command(&mut self, command: ServerCommand) {
        let shown = self.proxy.as_ref().and_then(|p| p.shown);
        let Some(control) = self.mock().cloned() else {
            self.proxy_state().error = Some("Not done: the server is not running".into());
            return;
        };
        let result = match command {
            ServerCommand::Client(command) => match shown {
                Some(conn) => {
                    if let ClientCommand::StopReading(stop) = command {
                        let not_reading = &mut self.proxy_state().server.not_reading;
                        if stop {
                            not_reading.insert(conn);
                        } else {
                            not_reading.remove(&conn);
                        }
                    }
                    control.command(conn, command).map_err(|e| e.to_string())
                }
                None => Err("no client is shown".into()),
            },
            ServerCommand::ApplyRules => {
                self.apply_server_rules();
                return;
            }
            ServerCommand::AnswerNext(answer) => {
                control.answer_next(answer);
                self.proxy_state().server.armed = control.next_answer();
                Ok(())
            }
        };
        self.proxy_state().error = result.err().map(|e| format!("Not done: {e}"));
    }

    /// Sends a composed message to the shown client, or to every client.
    pub(super) fn send_to_clients(&mut self, payload: Payload) -> Result<(), String> {
        let control = self.mock().cloned().ok_or("the server is not running")?;
        let state = self.proxy_state();
        if state.server.send_to_all {
            return match control.send_all(&payload) {
                0 => Err("no client is connected".into()),
                _ => Ok(()),
            };
        }
        let conn = state.shown.ok_or("no client is shown")?;
        control
            .command(conn, ClientCommand::Send(payload))
            .map_err(|e| e.to_string())
    }

    /// The armed answer is used up once a handshake took it.
    pub fn refresh_armed(&mut self) {
        let armed = self.mock().and_then(|control| control.next_answer());
        if let Some(state) = self.proxy.as_mut()
            && state.server.armed != armed
        {
            state.server.armed = armed;
        }
    }
}

/// A hand control of a server tab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerCommand {
    /// For the shown client.
    Client(ClientCommand),
    /// Answer the next handshake so (or as the rules say: `None`).
    AnswerNext(Option<HandshakeAnswer>),
    /// Put the edited auto-responses in force.
    ApplyRules,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tabs_rules_are_the_listen_rules_format_and_the_subprotocol_wins() {
        let setup = ServerSetup {
            listen: "127.0.0.1:0".into(),
            subprotocol: "chat.v2".into(),
            rules: r#"(on_open: ["hi"], subprotocol: Some("x"))"#.into(),
        };
        let rules = rules_of(&setup).unwrap();
        assert_eq!(rules.on_open, ["hi"]);
        assert_eq!(rules.subprotocol.as_deref(), Some("chat.v2"));
        let bad = ServerSetup {
            rules: "(on_open: [".into(),
            ..setup.clone()
        };
        assert!(rules_of(&bad).is_err());
        assert_eq!(
            command_line(&setup),
            "sockscope listen --addr 127.0.0.1:0 --subprotocol chat.v2 --rules RULES.ron"
        );
    }

    #[test]
    fn the_next_answer_refuses_only_with_an_error_status() {
        let mut ui = ServerUi {
            next_status: 401,
            next_headers: "WWW-Authenticate: Bearer\nbad line".into(),
            next_body: "no".into(),
            ..ServerUi::default()
        };
        let answer = ui.next_answer();
        assert_eq!(answer.status, Some(401));
        assert_eq!(
            answer.headers,
            [("WWW-Authenticate".into(), "Bearer".into())]
        );
        ui.next_status = 0;
        ui.next_subprotocol = "v9".into();
        let answer = ui.next_answer();
        assert_eq!(
            (answer.status, answer.subprotocol.as_deref()),
            (None, Some("v9"))
        );
    }
}

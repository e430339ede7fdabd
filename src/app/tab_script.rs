//! A tab's script while the window runs (issue 22): started with the connection on a
//! thread of its own, fed the timeline's events, its sends and closes carried out through
//! the tab's connection, its logs, errors and test results kept for the Script panel.
//! Nothing here is saved: the script's text is in the tab's setup.

use std::sync::Arc;

use std::time::{Duration, SystemTime};

use crate::engine::{Event, EventKind, Payload, ReadyState, ScriptNote, WakeFn};
use crate::model::template::Outgoing;
use crate::script::{
    EnvGrant, LoadError, ScriptInput, ScriptOutput, ScriptSetup, ScriptThread, TestResult,
};

use super::decoding::{Outcome, RowDecode};
use super::tab::Tab;

/// One line of the script's log in the panel.
#[derive(Clone, Debug, PartialEq)]
pub enum ScriptLine {
    /// `log(...)`.
    Log(String),
    /// An error out of the script (or a limit that stopped it).
    Error(String),
}

/// The script of one tab, as it runs.
#[derive(Default)]
pub struct TabScript {
    /// The Script panel is shown.
    pub open: bool,
    /// The script's thread, while it runs.
    thread: Option<ScriptThread>,
    /// Timeline rows given to the script so far.
    fed: usize,
    /// The user's sends go through `beforeSend` (the script defines it).
    pub diverts_sends: bool,
    /// The last load's error (it does not compile, or its top level threw).
    pub load_error: Option<LoadError>,
    /// Test results of this run, in the order they ended.
    pub results: Vec<TestResult>,
    /// Logs and errors of this run.
    pub lines: Vec<ScriptLine>,
    /// True once a run started (results are of it).
    pub ran: bool,
}

impl TabScript {
    /// True while the script runs.
    pub fn running(&self) -> bool {
        self.thread.is_some()
    }

    /// How many tests passed and failed in this run.
    pub fn counts(&self) -> (usize, usize) {
        let passed = self.results.iter().filter(|r| r.passed).count();
        (passed, self.results.len() - passed)
    }
}

impl Tab {
    /// Starts the tab's script for a new connection (a reconnect keeps the running one).
    /// A script that does not load keeps its error for the panel and the connection goes
    /// on without it.
    pub(super) fn start_script(&mut self, wake: &WakeFn) {
        if self.script.running() || self.setup.script.trim().is_empty() {
            return;
        }
        let allowed = self.allowed_env();
        let setup = ScriptSetup {
            vars: self.valid_variables().into_iter().collect(),
            env: EnvGrant {
                allowed,
                lookup: Box::new(crate::format::variables::process_env),
            },
            ..ScriptSetup::default()
        };
        let source = self.setup.script.clone();
        let wake = Arc::clone(wake);
        let script = &mut self.script;
        script.results.clear();
        script.lines.clear();
        script.ran = true;
        script.fed = self.timeline.len();
        match ScriptThread::start(source, "script".into(), setup, wake) {
            Ok(thread) => {
                script.load_error = None;
                script.diverts_sends = self.setup.script.contains("beforeSend");
                script.thread = Some(thread);
            }
            Err(error) => {
                script.lines.push(ScriptLine::Error(error.to_string()));
                script.load_error = Some(error);
            }
        }
    }

    /// Ends the running script (its waiting tests fail) and keeps what it reported.
    pub(super) fn stop_script(&mut self) {
        if let Some(mut thread) = self.script.thread.take() {
            thread.end();
            let outputs = thread.take_outputs();
            self.apply_script_outputs(outputs);
        }
    }

    /// Checks that the script compiles, without running it against anything.
    pub fn check_script(&mut self) {
        let setup = ScriptSetup::default();
        let wake: WakeFn = Arc::new(|| {});
        self.script.load_error =
            match ScriptThread::start(self.setup.script.clone(), "script".into(), setup, wake) {
                Ok(mut thread) => {
                    thread.end();
                    None
                }
                Err(error) => Some(error),
            };
    }

    /// A send the user made goes through the script's `beforeSend` (and comes back as the
    /// script's send); `Some` when the tab sends it itself.
    pub(super) fn divert_send(&mut self, outgoing: Outgoing) -> Option<Outgoing> {
        let Some(thread) = self
            .script
            .thread
            .as_ref()
            .filter(|_| self.script.diverts_sends)
        else {
            return Some(outgoing);
        };
        let payload = match &outgoing {
            Outgoing::Text(text) => Payload::Text(text.clone().into()),
            Outgoing::Binary(bytes) => Payload::Binary(bytes.clone()),
            Outgoing::Op(_) => return Some(outgoing),
        };
        if thread.offer(ScriptInput::UserSend(payload)) {
            None
        } else {
            Some(outgoing)
        }
    }

    /// Gives the script the timeline's new rows (as many as its queue takes), and carries
    /// out what it did. Ends the script once the connection is closed for good and it has
    /// seen everything.
    pub fn pump_script(&mut self) {
        let Some(thread) = &self.script.thread else {
            return;
        };
        if self.script.fed > self.timeline.len() {
            self.script.fed = self.timeline.len();
        }
        // With decoding or a protocol on, a message waits until they have read it, so
        // that the script's `msg.decoded` and `msg.protocol` are there.
        let mut ready = self.timeline.len();
        if self.decoding.is_active() {
            ready = ready.min(self.decoding.decoded_up_to());
        }
        if self.protocol.is_active() {
            ready = ready.min(self.protocol.read_up_to());
        }
        while self.script.fed < ready {
            let index = self.script.fed;
            let Some(entry) = self.timeline.get(index) else {
                break;
            };
            if matches!(entry.kind, EventKind::Script(_)) {
                // The script's own rows.
                self.script.fed += 1;
                continue;
            }
            let input = ScriptInput::Event {
                row: index as u64,
                event: entry.to_entry().event,
                decoded: self.decoding.row(index).and_then(decoded_json),
                protocol: self.protocol.row(index).and_then(|row| row.json.clone()),
            };
            if !thread.offer(input) {
                break;
            }
            self.script.fed += 1;
        }
        let closed_for_good = self.ready_state() == ReadyState::Closed
            && self.reconnect_due().is_none()
            && self.script.fed == self.timeline.len();
        if closed_for_good {
            self.stop_script();
            return;
        }
        let outputs = self
            .script
            .thread
            .as_ref()
            .map(ScriptThread::take_outputs)
            .unwrap_or_default();
        self.apply_script_outputs(outputs);
    }

    fn apply_script_outputs(&mut self, outputs: Vec<ScriptOutput>) {
        for output in outputs {
            match output {
                ScriptOutput::Log(text) => {
                    self.push_script_row(ScriptNote::Log(text.clone()));
                    self.script.lines.push(ScriptLine::Log(text));
                }
                ScriptOutput::Error(text) => {
                    self.push_script_row(ScriptNote::Error(text.clone()));
                    self.script.lines.push(ScriptLine::Error(text));
                }
                ScriptOutput::Test(result) => {
                    self.push_script_row(ScriptNote::Test {
                        name: result.name.clone(),
                        passed: result.passed,
                        message: result.message.clone(),
                    });
                    self.script.results.push(result);
                }
                ScriptOutput::SetVar { name, value } => self.set_variable(name, value),
                ScriptOutput::SendText(text) => {
                    if let Some(Err(error)) = self.connection().map(|h| h.send_text(text)) {
                        let line = format!("ws.send: {error}");
                        self.script.lines.push(ScriptLine::Error(line));
                    }
                }
                ScriptOutput::SendBinary(bytes) => {
                    if let Some(Err(error)) = self.connection().map(|h| h.send_binary(bytes)) {
                        let line = format!("ws.send: {error}");
                        self.script.lines.push(ScriptLine::Error(line));
                    }
                }
                ScriptOutput::Close { code, reason } => {
                    if let Some(handle) = self.connection() {
                        let _already_closing = handle.close(code, &reason);
                    }
                }
            }
        }
    }

    /// A row of the script's on the timeline, at the time of the tab's last event (it is
    /// neither sent nor replayed, and a saved session leaves it out).
    fn push_script_row(&mut self, note: ScriptNote) {
        let last = self
            .timeline
            .len()
            .checked_sub(1)
            .and_then(|index| self.timeline.get(index));
        let (attempt, seq, offset) =
            last.map_or((1, 0, Duration::ZERO), |e| (e.attempt, e.seq, e.offset));
        let event = Event {
            seq,
            wall_time: SystemTime::now(),
            offset,
            kind: EventKind::Script(Box::new(note)),
            wire: None,
        };
        self.timeline.push(attempt, event);
    }

    /// `vars.set`: the tab's variable `name` (for `{{name}}` in the next message).
    fn set_variable(&mut self, name: String, value: String) {
        match self.setup.variables.iter_mut().find(|(n, _)| *n == name) {
            Some((_, old)) => *old = value,
            None => self.setup.variables.push((name, value)),
        }
    }
}

/// A decoded row as JSON text: its value, or its text (a decompression's) as a JSON string.
fn decoded_json(row: &RowDecode) -> Option<String> {
    match &row.outcome {
        Outcome::Decoded {
            text, json: true, ..
        } => Some(text.as_str().to_owned()),
        Outcome::Decoded { text, .. } => serde_json::to_string(text.as_str()).ok(),
        Outcome::NotKept { .. } | Outcome::Error(_) => None,
    }
}

//! A script in a headless run (`connect --script`, `sockscope test`): feeds it the
//! connection's events, prints its `log`, `test` and script `error` lines, carries out its
//! sends and closes through the handle, and keeps its results for the JUnit report and the
//! exit status.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::error::CliError;
use super::output::JsonLines;
use super::plan::Action;
use crate::engine::{ConnectionHandle, Event, EventKind, Payload};
use crate::model::redact::Redactor;
use crate::script::batch::batch_full;
use crate::script::junit::{self, Suite};
use crate::script::{
    EnvGrant, MessageViews, ScriptLimits, ScriptMessage, ScriptOutput, ScriptRunner, ScriptSetup,
    SendVerdict,
};

/// A checked `--script` (or a session tab's script): what to load, with what.
#[derive(Clone, Debug)]
pub struct ScriptPlan {
    /// The name errors and the JUnit suite give it (the file, or the tab's label).
    pub name: String,
    /// The JavaScript source.
    pub source: String,
    /// Time, memory and stack limits.
    pub limits: ScriptLimits,
    /// The variables it starts with (`--var`, or the tab's variables).
    pub vars: BTreeMap<String, String>,
    /// The environment variables `env.get` may read (`--allow-env`).
    pub allowed_env: Vec<String>,
    /// With `sockscope test`: the tab's label, added to the script's lines.
    pub tab: Option<String>,
    /// `connect --junit`: where the report goes after the run.
    pub junit: Option<PathBuf>,
}

impl ScriptPlan {
    /// Reads `--script FILE` with the run's limits, variables and allowed names.
    pub fn read(
        file: &PathBuf,
        limits: ScriptLimits,
        vars: BTreeMap<String, String>,
        allowed_env: Vec<String>,
    ) -> Result<Self, String> {
        let source = std::fs::read_to_string(file)
            .map_err(|error| format!("--script {}: {error}", file.display()))?;
        Ok(Self {
            name: file.display().to_string(),
            source,
            limits,
            vars,
            allowed_env,
            tab: None,
            junit: None,
        })
    }

    /// Loads the script: a usage error (status 2, file:line:column) when it does not
    /// compile or its top level throws.
    pub fn load(&self) -> Result<ScriptRun, CliError> {
        let setup = ScriptSetup {
            limits: self.limits,
            vars: self.vars.clone(),
            env: EnvGrant {
                allowed: self.allowed_env.clone(),
                lookup: Box::new(crate::format::variables::process_env),
            },
        };
        let runner = ScriptRunner::load(&self.source, &self.name, setup)
            .map_err(|error| CliError::usage("", error))?;
        let suite = Suite::new(self.tab.clone().unwrap_or_else(|| self.name.clone()));
        Ok(ScriptRun {
            runner,
            suite,
            tab: self.tab.clone(),
            taken: VecDeque::new(),
        })
    }
}

/// A loaded script during a run, and what it came to.
pub struct ScriptRun {
    runner: ScriptRunner,
    suite: Suite,
    tab: Option<String>,
    /// Outputs taken from the runner and not carried out yet (a batch's, a part at a time).
    taken: VecDeque<ScriptOutput>,
}

/// What decoding and the protocol made of an event, kept for the script until the batch it
/// is in is handed over.
#[derive(Clone, Debug, Default)]
pub struct KeptViews {
    /// `msg.decoded`, as JSON text.
    pub decoded: Option<String>,
    /// `msg.protocol`, as JSON text.
    pub protocol: Option<String>,
}

impl KeptViews {
    /// Keeps `views`.
    pub fn of(views: MessageViews<'_>) -> Self {
        Self {
            decoded: views.decoded.map(str::to_owned),
            protocol: views.protocol.map(str::to_owned),
        }
    }

    fn views(&self) -> MessageViews<'_> {
        MessageViews {
            decoded: self.decoded.as_deref(),
            protocol: self.protocol.as_deref(),
        }
    }
}

impl ScriptRun {
    /// Gives the script an event of the connection, with what the run's decoding and
    /// protocol made of it.
    pub fn event(&mut self, event: &Event, views: MessageViews<'_>) {
        match &event.kind {
            EventKind::Open(open) => self.runner.on_open_at(open, event.offset),
            EventKind::Message { dir, payload } => {
                let offset = Some(event.offset);
                self.runner
                    .on_message_at(event.seq, *dir, payload, offset, views);
            }
            EventKind::Close(close) => self.runner.on_close(close),
            _ => {}
        }
    }

    /// Gives the script a batch of the connection's events (each with what decoding and the
    /// protocol made of it), their messages in as few calls as the batch limits allow.
    /// Returns how many outputs each event caused, in order, for `flush_part`; outputs
    /// left from before the batch count as the first event's.
    pub fn events(&mut self, events: &[Event], views: &[KeptViews]) -> Vec<usize> {
        let base = self.taken.len();
        let mut ends = Vec::with_capacity(events.len());
        let mut run: Vec<ScriptMessage<'_>> = Vec::new();
        let mut run_bytes = 0;
        let empty = KeptViews::default();
        for (index, event) in events.iter().enumerate() {
            let EventKind::Message { dir, payload } = &event.kind else {
                ends.extend(self.runner.on_messages(&run));
                run.clear();
                run_bytes = 0;
                self.event(event, MessageViews::default());
                ends.push(self.runner.pending_outputs());
                continue;
            };
            run.push(ScriptMessage {
                seq: event.seq,
                dir: *dir,
                payload,
                offset: Some(event.offset),
                views: views.get(index).unwrap_or(&empty).views(),
            });
            run_bytes += payload.len();
            if batch_full(run.len(), run_bytes) {
                ends.extend(self.runner.on_messages(&run));
                run.clear();
                run_bytes = 0;
            }
        }
        ends.extend(self.runner.on_messages(&run));
        drop(run);
        self.taken.extend(self.runner.take_outputs());
        let mut last = 0;
        ends.iter()
            .map(|&end| {
                let count = end.saturating_sub(last);
                last = end;
                count
            })
            .enumerate()
            .map(|(index, count)| if index == 0 { count + base } else { count })
            .collect()
    }

    /// `beforeSend` on one of the run's own sends: the action to send, or `None` when the
    /// script cancelled it. Pings and protocol operations pass as they are.
    pub fn before_send(&mut self, action: &Action) -> Option<Action> {
        let payload = match action {
            Action::Text(text) => Payload::Text(text.clone().into()),
            Action::Binary(bytes) => Payload::Binary(bytes.clone()),
            Action::Ping(_) | Action::Op(_) | Action::Later(_) => return Some(action.clone()),
        };
        match self.runner.before_send(&payload) {
            SendVerdict::Keep => Some(action.clone()),
            SendVerdict::Cancel => None,
            SendVerdict::Replace(Payload::Text(text)) => Some(Action::Text(text.as_str().into())),
            SendVerdict::Replace(Payload::Binary(bytes)) => Some(Action::Binary(bytes)),
        }
    }

    /// The template variables as the script left them (`vars.set`).
    pub fn vars(&self) -> BTreeMap<String, String> {
        self.runner.vars()
    }

    /// True once the script has set every one of `names`.
    pub fn has_vars(&self, names: &[String]) -> bool {
        names.iter().all(|name| self.runner.has_var(name))
    }

    /// When the script's next timer is due.
    pub fn next_timer(&self) -> Option<Instant> {
        self.runner.next_timer().map(Instant::from_std)
    }

    /// Runs the due timers.
    pub fn run_timers(&mut self) {
        self.runner.run_timers();
    }

    /// True while a test is still running and a timer (a `waitFor` timeout, at least) can
    /// still settle it: the run waits for it before closing.
    pub fn waits_for_tests(&mut self) -> bool {
        self.runner.next_timer().is_some() && self.runner.pending_tests() > 0
    }

    /// Prints what the script did and carries out its sends and closes; true when it
    /// closed the connection.
    pub(super) fn flush(
        &mut self,
        lines: &mut JsonLines,
        redactor: &Redactor,
        attempt: u32,
        handle: Option<&ConnectionHandle>,
    ) -> bool {
        self.taken.extend(self.runner.take_outputs());
        self.flush_part(self.taken.len(), lines, redactor, attempt, handle)
    }

    /// [`flush`](Self::flush) for the next `count` outputs of a batch (see
    /// [`events`](Self::events)).
    pub(super) fn flush_part(
        &mut self,
        count: usize,
        lines: &mut JsonLines,
        redactor: &Redactor,
        attempt: u32,
        handle: Option<&ConnectionHandle>,
    ) -> bool {
        let mut closed = false;
        let count = count.min(self.taken.len());
        let part: Vec<ScriptOutput> = self.taken.drain(..count).collect();
        for output in part {
            let line = match output {
                ScriptOutput::Log(text) => json!({"event": "log", "text": text}),
                ScriptOutput::Test(result) => {
                    let line = json!({
                        "event": "test",
                        "name": result.name,
                        "passed": result.passed,
                        "message": result.message,
                        "time_ms": (result.time_ms * 1000.0).round() / 1000.0,
                    });
                    self.suite.tests.push(result);
                    line
                }
                ScriptOutput::Error(message) => self.error_line(message),
                ScriptOutput::SendText(text) => match handle.map(|handle| handle.send_text(text)) {
                    Some(Err(error)) => self.error_line(format!("ws.send: {error}")),
                    _ => continue,
                },
                ScriptOutput::SendBinary(bytes) => {
                    match handle.map(|handle| handle.send_binary(bytes)) {
                        Some(Err(error)) => self.error_line(format!("ws.send: {error}")),
                        _ => continue,
                    }
                }
                // The command line has no later template to expand with it.
                ScriptOutput::SetVar { .. } => continue,
                ScriptOutput::Close { code, reason } => {
                    if let Some(handle) = handle {
                        let _already_closing = handle.close(code, &reason);
                        closed = true;
                    }
                    continue;
                }
            };
            self.print(lines, redactor, attempt, line);
        }
        closed
    }

    /// The run is over: `waitFor`s still waiting and tests still running fail; their lines
    /// are printed.
    pub(super) fn end(&mut self, lines: &mut JsonLines, redactor: &Redactor, attempt: u32) {
        self.runner.end();
        self.flush(lines, redactor, attempt, None);
    }

    /// The script's results, for the JUnit report.
    pub fn into_suite(self) -> Suite {
        self.suite
    }

    fn error_line(&mut self, message: String) -> Value {
        self.suite.errors.push(message.clone());
        json!({"event": "error", "category": "script", "message": message})
    }

    fn print(&self, lines: &mut JsonLines, redactor: &Redactor, attempt: u32, mut line: Value) {
        if let (Some(tab), Value::Object(map)) = (&self.tab, &mut line) {
            map.insert("tab".into(), json!(tab));
        }
        redactor.json_strings(&mut line);
        lines.number(&mut line, attempt);
        lines.line(&line);
    }
}

/// Writes the JUnit report of `suites` to `path`.
pub fn write_junit(path: &PathBuf, suites: &[Suite]) -> Result<(), CliError> {
    std::fs::write(path, junit::report(suites))
        .map_err(|error| CliError::failed(format!("--junit {}: ", path.display()), error))
}

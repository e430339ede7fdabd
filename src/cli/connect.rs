//! `sockscope connect`: a connection (and its reconnects), every event printed as a JSON
//! line as it happens.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::decode_args::LineDecoder;
use super::error::{CliError, Outcome};
use super::fold_line::LineFold;
use super::output::JsonLines;
use super::plan::{Action, Plan, Wait};
use super::protocol_line::ProtocolLines;
use super::replay::Recording;
use super::script_run::{self, KeptViews, ScriptRun};
use super::stdin_lines::{self, Line, Lines};
use super::summary::Summary;
use crate::engine::limits::clamp_message_size;
use crate::engine::oauth2::{Token, fetch_token};
use crate::engine::{Auth, ConnectionConfig};
use crate::engine::{
    CloseInfo, ConnectionHandle, Direction, EngineOptions, EventKind, SendRoom, sleep_until,
};
use crate::model::cookie_jar::CookieJar;
use crate::model::redact::Redactor;
use crate::model::round_trip::PingTracker;
use crate::model::timeline::Timeline;
use crate::script::MessageViews;
use crate::script::junit::Suite;

/// The most events handled in one turn of an attempt's loop before its other branches
/// (sends, input, deadlines, Ctrl+C) get a look again.
const EVENT_BATCH: usize = 1024;

/// What one attempt came to.
struct AttemptEnd {
    opened: bool,
    close: Option<CloseInfo>,
    refused_sends: usize,
    interrupted: bool,
}

/// Prints lines in order with one running `seq` across attempts, and keeps the summary,
/// the round trips and (with --record) the events, within the memory budget.
struct Output {
    lines: JsonLines,
    summary: Summary,
    pings: PingTracker,
    recorded: Option<Timeline>,
    quiet_messages: bool,
    redactor: Redactor,
    /// This attempt's decoders, with `--decode`.
    decoder: Option<LineDecoder>,
    /// The `protocol` objects of the lines, with `--protocol`.
    protocol: Option<ProtocolLines>,
    /// This attempt's live state, with `--fold`.
    fold: Option<LineFold>,
    /// A script runs: keep what decoding and the protocol made of each message for it.
    script_views: bool,
    /// The last message's decoded value as JSON text (with `script_views`).
    decoded: Option<String>,
}

impl Output {
    /// Prints an event of `attempt`; false once nobody reads stdout any more.
    fn event(&mut self, attempt: u32, event: &crate::engine::Event) -> bool {
        self.summary.count(event);
        let rtt = self.pings.observe(attempt, event);
        if let Some(recorded) = &mut self.recorded {
            recorded.push(attempt, event.clone());
        }
        if matches!(event.kind, EventKind::Close(_)) {
            self.state_line(attempt);
        }
        let quiet = self.quiet_messages
            && matches!(
                event.kind,
                EventKind::Message { .. } | EventKind::Ping { .. } | EventKind::Pong { .. }
            );
        if quiet {
            if let (Some(fold), EventKind::Message { dir, payload }) = (&mut self.fold, &event.kind)
                && fold.message(None, *dir, payload, &self.redactor)
            {
                self.state_line(attempt);
            }
            if self.script_views {
                // No line to print, but the script still sees what the message decodes to.
                self.annotate(&mut json!({}), event);
            }
            return !self.lines.gone();
        }
        let mut line = self.redactor.json_line(event);
        self.annotate(&mut line, event);
        let state_due = match (&mut self.fold, &event.kind) {
            (Some(fold), EventKind::Message { dir, payload }) => {
                fold.message(Some(&mut line), *dir, payload, &self.redactor)
            }
            _ => false,
        };
        self.lines.number(&mut line, attempt);
        if let (Value::Object(map), Some(rtt)) = (&mut line, rtt) {
            map.insert("rtt_ms".into(), json!(rtt.as_micros() as f64 / 1000.0));
        }
        let printed = self.lines.line(&line);
        if state_due {
            self.state_line(attempt);
        }
        printed
    }

    /// Adds `decoded` (with `--decode`) and `protocol` (with `--protocol`) to `line`,
    /// keeping them for the script when one runs.
    fn annotate(&mut self, line: &mut Value, event: &crate::engine::Event) {
        self.decoded = None;
        if let (Some(decoder), EventKind::Message { dir, payload }) =
            (&mut self.decoder, &event.kind)
        {
            let decoded = decoder.annotate(line, *dir, payload, &self.redactor);
            if self.script_views {
                // The script gets the value itself (or the text), not the line's wrapper.
                self.decoded = match decoded {
                    Some(Value::Object(mut object)) => object
                        .remove("value")
                        .or_else(|| object.remove("text"))
                        .map(|value| value.to_string()),
                    _ => None,
                };
            }
        }
        if let Some(protocol) = &mut self.protocol {
            protocol.keep_units = self.script_views;
            protocol.annotate(line, event, &self.redactor);
        }
    }

    /// What decoding and the protocol made of the last event, for the script.
    fn views(&self) -> MessageViews<'_> {
        MessageViews {
            decoded: self.decoded.as_deref(),
            protocol: self
                .protocol
                .as_ref()
                .and_then(|protocol| protocol.last_unit.as_deref()),
        }
    }

    /// Prints the `--fold` state, if folding.
    fn state_line(&mut self, attempt: u32) {
        if let Some(fold) = &self.fold {
            let mut line = fold.state_line(&self.redactor);
            self.lines.number(&mut line, attempt);
            self.lines.line(&line);
        }
    }
}

/// Runs the plan to its last close event and returns how it came out. With `record`, every
/// event is kept and the run is saved as a session after the close; with `--junit`, the
/// script's tests are reported there.
pub async fn run(plan: Plan, record: Option<Recording>) -> Result<Outcome, CliError> {
    let junit = plan.script.as_ref().and_then(|script| script.junit.clone());
    let (outcome, suite) = run_collecting(plan, record).await?;
    if let (Some(path), Some(suite)) = (junit, suite) {
        script_run::write_junit(&path, &[suite])?;
    }
    Ok(outcome)
}

/// [`run`], returning the script's results (when it has one) instead of writing them.
pub async fn run_collecting(
    mut plan: Plan,
    record: Option<Recording>,
) -> Result<(Outcome, Option<Suite>), CliError> {
    let mut jar = plan.cookie_jar.take();
    let mut token: Option<Token> = None;
    let mut out = Output {
        lines: JsonLines::stdout(),
        summary: Summary::default(),
        pings: PingTracker::default(),
        recorded: record.as_ref().map(|record| {
            let mut timeline = Timeline::default();
            timeline.set_memory_budget(record.memory_budget);
            timeline
        }),
        quiet_messages: plan.summary,
        redactor: plan.redactor.clone(),
        decoder: None,
        protocol: None,
        fold: None,
        script_views: plan.script.is_some(),
        decoded: None,
    };
    // Read once for the whole run: lines not sent yet go to the next attempt.
    let mut stdin = plan
        .stdin
        .then(|| stdin_lines::spawn_stdin(clamp_message_size(plan.config.max_message_size)));
    // A script that does not compile ends the run here, before any traffic (status 2).
    let mut script = match &plan.script {
        Some(script) => Some(script.load()?),
        None => None,
    };
    let mut attempt = 1;
    let end = loop {
        let Some(config) = attempt_config(&plan, attempt, &mut token, &mut out).await else {
            // No token: nothing was sent; the oauth-token line said why.
            return Ok((Outcome::Failed, None));
        };
        let end = run_attempt(
            &plan,
            &config,
            attempt,
            &mut out,
            &mut stdin,
            jar.as_mut(),
            script.as_mut(),
        )
        .await?;
        let Some(close) = &end.close else { break end };
        if end.interrupted || out.lines.gone() || !plan.reconnect.wants_another(close) {
            break end;
        }
        let Some(delay) = plan.reconnect.delay_before(attempt, fastrand::f64()) else {
            break end;
        };
        attempt += 1;
        out.lines.line(&json!({
            "event": "reconnecting",
            "attempt": attempt,
            "delay_ms": delay.as_millis() as u64,
        }));
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = tokio::signal::ctrl_c() => break end,
        }
    };
    let suite = script.map(|mut script| {
        script.end(&mut out.lines, &out.redactor, attempt);
        script.into_suite()
    });
    let script_failed = suite.as_ref().is_some_and(Suite::failed);
    if plan.summary {
        let summary = out.summary.to_json();
        out.lines.line(&summary);
    }
    if let (Some(record), Some(recorded)) = (record, &out.recorded) {
        record
            .save(
                &plan.config,
                &plan.decode.settings,
                recorded,
                &plan.redactor,
            )
            .map_err(|error| CliError::failed("--record: ", error))?;
    }
    if let Some((path, jar)) = &jar {
        jar.save(path)
            .map_err(|error| CliError::failed("--cookie-jar ", error))?;
    }
    let clean = end.close.as_ref().is_some_and(|close| close.was_clean);
    if end.opened && script_failed {
        // A failed test (or a script error) is the run's verdict, as a difference is replay's.
        return Ok((Outcome::Different, suite));
    }
    let outcome = if end.opened
        && clean
        && end.refused_sends == 0
        && !out.protocol.as_ref().is_some_and(|p| p.refused)
    {
        Outcome::Success
    } else {
        Outcome::Failed
    };
    Ok((outcome, suite))
}

/// The config of one attempt: the plan's, with `--oauth2`'s token as a Bearer token
/// (fetched when there is none yet or it has expired, with an `oauth-token` line). `None`
/// when no token came.
async fn attempt_config(
    plan: &Plan,
    attempt: u32,
    token: &mut Option<Token>,
    out: &mut Output,
) -> Option<ConnectionConfig> {
    let Some(credentials) = &plan.oauth2 else {
        return Some(plan.config.clone());
    };
    if token.as_ref().is_none_or(|t| t.expired(TOKEN_MARGIN)) {
        let fetched = fetch_token(
            credentials,
            &plan.config.tls,
            &plan.config.proxy,
            plan.config.handshake_timeout,
        )
        .await;
        let mut line = json!({"event": "oauth-token", "url": credentials.token_url});
        match fetched {
            Ok(fresh) => {
                out.redactor.add_value(&fresh.access_token);
                if let Value::Object(fields) = &mut line {
                    fields.insert("status".into(), json!(fresh.status));
                    fields.insert("token_type".into(), json!(fresh.token_type));
                    fields.insert("expires_in".into(), json!(fresh.expires_in));
                    fields.insert("scope".into(), json!(fresh.scope));
                }
                *token = Some(fresh);
            }
            Err(error) => {
                if let Value::Object(fields) = &mut line {
                    fields.insert("error".into(), json!(error.to_string()));
                }
                *token = None;
            }
        }
        out.redactor.json_strings(&mut line);
        out.lines.number(&mut line, attempt);
        out.lines.line(&line);
    }
    let token = token.as_ref()?;
    let mut config = plan.config.clone();
    config.auth = Auth::Bearer {
        token: token.access_token.clone(),
    };
    Some(config)
}

/// A token this close to expiring is fetched again before a handshake.
const TOKEN_MARGIN: std::time::Duration = std::time::Duration::from_secs(10);

/// One attempt: connect, send the plan's messages (then the lines of `stdin`, while it
/// lasts) after open, listen, close.
async fn run_attempt(
    plan: &Plan,
    config: &ConnectionConfig,
    attempt: u32,
    out: &mut Output,
    stdin: &mut Option<Lines>,
    mut jar: Option<&mut (std::path::PathBuf, CookieJar)>,
    mut script: Option<&mut ScriptRun>,
) -> Result<AttemptEnd, CliError> {
    // The jar's cookies for this attempt (a reconnect sends what the last answer set).
    let with_cookies = jar.as_ref().and_then(|(_, jar)| jar.apply(config));
    if let Some(config) = &with_cookies {
        out.redactor.add_config(config, &[]);
    }
    // With --echo the connection task itself sends every message back, before it reads the
    // next frame; the echoes are printed as `message` out lines like any send.
    let options = EngineOptions { echo: plan.echo };
    let mut handle = ConnectionHandle::connect_with(
        with_cookies.as_ref().unwrap_or(config),
        options,
        &tokio::runtime::Handle::current(),
        Arc::new(|| {}),
    )
    .map_err(|error| CliError::usage("", error))?;
    // A new connection starts new decoding contexts (a zlib-stream starts over).
    out.decoder = if plan.decode.is_off() {
        None
    } else {
        Some(LineDecoder::new(&plan.decode).map_err(|error| CliError::usage("--decode: ", error))?)
    };
    out.protocol = ProtocolLines::new(&config.protocol);
    out.fold = plan.fold.as_ref().map(LineFold::new);
    let mut end = AttemptEnd {
        opened: false,
        close: None,
        refused_sends: 0,
        interrupted: false,
    };
    let mut close_at: Option<Instant> = None;
    let mut closing = false;
    let (code, reason) = &plan.close;
    // The plan's sends not queued yet: like the lines of stdin, each waits for room in the
    // outgoing queue, so a server that does not read holds them back instead of memory.
    let mut next_action = 0;
    let send_room = handle.send_room();
    // One Ctrl+C listener for the attempt (made anew only after it fires), not one per turn
    // of the loop: registering it costs more than handling a small message.
    let mut interrupt = Box::pin(tokio::signal::ctrl_c());
    // The wait ended while a script's test was still waiting: close once it has ended.
    let mut waiting_for_tests = false;
    let mut hold_until: Option<Instant> = None;
    loop {
        if waiting_for_tests && !closing && !script.as_mut().is_some_and(|s| s.waits_for_tests()) {
            waiting_for_tests = false;
            closing = true;
            let _already_closing = handle.close(*code, reason);
        }
        let script_timer = script.as_ref().and_then(|s| s.next_timer());
        let deadline = close_at;
        let sending = end.opened && !closing;
        let actions_left = next_action < plan.actions.len();
        // A `--send` with a variable the script sets waits until the script has set it (at
        // most the --wait time, then it is not sent).
        let held = sending
            && match plan.actions.get(next_action) {
                Some(Action::Later(later)) => {
                    !script.as_ref().is_some_and(|s| s.has_vars(&later.names))
                }
                _ => false,
            };
        if !held {
            hold_until = None;
        } else if hold_until.is_none() {
            hold_until = wait_deadline(plan.wait);
        }
        let room = send_room.available();
        tokio::select! {
            event = handle.recv() => {
                let Some(event) = event else { break };
                // The events that have already arrived are handled here too, up to a
                // batch, rather than one per turn of this select! (whose branches cost
                // more than a message does at 100 B).
                let mut next = Some(event);
                let mut batch = Vec::new();
                // With a script, the batch's lines are held back: the script gets the
                // batch's messages in one call, and each message's line is then printed
                // with the script's lines for it right after, as one call per message did.
                let mut marks = Vec::new();
                let mut kept = Vec::new();
                if script.is_some() {
                    out.lines.hold();
                }
                while let Some(event) = next.take() {
                    if !out.event(attempt, &event) {
                        // Nobody reads our output any more: leave cleanly without printing.
                        let _ = handle.close(*code, reason);
                    }
                    if script.is_some() {
                        marks.push(out.lines.held());
                        kept.push(KeptViews::of(out.views()));
                    }
                    let last = matches!(event.kind, EventKind::Close(_));
                    batch.push(event);
                    if !last && batch.len() < EVENT_BATCH {
                        next = handle.try_recv();
                    }
                }
                let mut parts = Vec::new();
                let mut held = out.lines.take_held();
                if let Some(script) = script.as_mut() {
                    parts = script.events(&batch, &kept);
                }
                let mut printed = 0;
                for (index, event) in batch.iter().enumerate() {
                    if let Some(script) = script.as_mut() {
                        let mark = marks.get(index).copied().unwrap_or(printed);
                        out.lines.print_held(&mut held, mark.saturating_sub(printed));
                        printed = mark;
                        let part = parts.get(index).copied().unwrap_or(0);
                        let lines = &mut out.lines;
                        if script.flush_part(part, lines, &out.redactor, attempt, Some(&handle)) {
                            closing = true;
                            close_at = None;
                        }
                        if out.lines.gone() {
                            let _ = handle.close(*code, reason);
                        }
                    }
                    match &event.kind {
                        EventKind::Open(open) => {
                            if let Some((_, jar)) = jar.as_mut() {
                                jar.store_response(&config.url, &open.response_headers);
                            }
                            end.opened = true;
                            // While sends or input are left, the wait has not begun.
                            if plan.actions.is_empty() && stdin.is_none() {
                                close_at = wait_deadline(plan.wait);
                            }
                        }
                        // Each message echoed (by the connection task) starts the wait anew.
                        EventKind::Message { dir: Direction::In, .. }
                            if plan.echo && close_at.is_some() =>
                        {
                            close_at = wait_deadline(plan.wait);
                        }
                        EventKind::Error(error) => {
                            // A rejected handshake (a login wall) may set cookies too.
                            if let (Some((_, jar)), Some(http)) = (jar.as_mut(), &error.http) {
                                jar.store_response(&config.url, &http.headers);
                            }
                        }
                        EventKind::Close(close) => {
                            end.close = Some((**close).clone());
                        }
                        _ => {}
                    }
                }
                out.lines.print_held(&mut held, usize::MAX);
                if end.close.is_some() {
                    break;
                }
            }
            () = wait_for_room(&send_room), if sending && !room && (actions_left || stdin.is_some()) => {}
            () = sleep_until(hold_until), if held && hold_until.is_some() => {
                if let Some(Action::Later(later)) = plan.actions.get(next_action) {
                    eprintln!(
                        "sockscope connect: --send: the script did not set {} within the \
                         --wait time; not sent",
                        later.names.join(", ")
                    );
                }
                end.refused_sends += 1;
                hold_until = None;
                next_action += 1;
                if next_action == plan.actions.len() && stdin.is_none() {
                    close_at = wait_deadline(plan.wait);
                }
            }
            () = std::future::ready(()), if sending && room && actions_left && !held => {
                let planned = &plan.actions[next_action];
                // A `--send` text with a variable the script sets is expanded now.
                let filled = match (planned, script.as_ref()) {
                    (Action::Later(later), Some(script)) => match later.fill(&script.vars()) {
                        Ok(text) => Some(Action::Text(text)),
                        Err(why) => {
                            eprintln!("sockscope connect: {why}");
                            end.refused_sends += 1;
                            None
                        }
                    },
                    _ => Some(planned.clone()),
                };
                match (filled, script.as_mut()) {
                    (None, _) => {}
                    (Some(action), Some(script)) => {
                        if let Some(changed) = script.before_send(&action) {
                            end.refused_sends += send_action(&handle, &changed);
                        }
                        if script.flush(&mut out.lines, &out.redactor, attempt, Some(&handle)) {
                            closing = true;
                            close_at = None;
                        }
                    }
                    (Some(action), None) => end.refused_sends += send_action(&handle, &action),
                }
                next_action += 1;
                if next_action == plan.actions.len() && stdin.is_none() {
                    close_at = wait_deadline(plan.wait);
                }
            }
            line = next_line(stdin), if sending && room && !actions_left && stdin.is_some() => {
                match line {
                    Some(line) => end.refused_sends += send_line(&handle, line),
                    None => {
                        *stdin = None;
                        close_at = wait_deadline(plan.wait);
                    }
                }
            }
            () = sleep_until(deadline), if deadline.is_some() => {
                close_at = None;
                if script.as_mut().is_some_and(|s| s.waits_for_tests()) {
                    waiting_for_tests = true;
                } else {
                    closing = true;
                    let _already_closing = handle.close(*code, reason);
                }
            }
            () = sleep_until(script_timer), if script_timer.is_some() => {
                if let Some(script) = script.as_mut() {
                    script.run_timers();
                    if script.flush(&mut out.lines, &out.redactor, attempt, Some(&handle)) {
                        closing = true;
                        close_at = None;
                    }
                }
            }
            _ = &mut interrupt => {
                // Listening again at once: a second Ctrl+C drops the connection.
                interrupt = Box::pin(tokio::signal::ctrl_c());
                closing = true;
                if end.interrupted {
                    handle.abort();
                } else {
                    end.interrupted = true;
                    let _already_closing = handle.close(*code, reason);
                }
            }
        }
    }
    let unsent = plan.actions.len() - next_action;
    if end.opened && unsent > 0 && !end.interrupted {
        eprintln!("sockscope connect: {unsent} send(s) not sent: the connection ended first");
        end.refused_sends += unsent;
    }
    Ok(end)
}

fn wait_deadline(wait: Wait) -> Option<Instant> {
    match wait {
        Wait::For(duration) => Some(Instant::now() + duration),
        Wait::Forever => None,
    }
}

/// Sends one action; a refusal goes to stderr and counts (1) as a failure.
fn send_action(handle: &ConnectionHandle, action: &Action) -> usize {
    let result = match action {
        Action::Text(text) => handle.send_text(text.clone()),
        Action::Binary(bytes) => handle.send_binary(bytes.clone()),
        Action::Ping(payload) => handle.ping(payload.clone()),
        Action::Op(op) => handle.send_op(op.clone()),
        // Filled in by the send branch; one that gets here had no script to fill it.
        Action::Later(later) => {
            eprintln!(
                "sockscope connect: --send: {} not set; not sent",
                later.names.join(", ")
            );
            return 1;
        }
    };
    match result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("sockscope connect: {error}");
            1
        }
    }
}

async fn wait_for_room(room: &SendRoom) {
    room.wait().await;
}

/// Sends one line of input as a text message; returns 1 when it was refused or could not
/// be sent (said on stderr), 0 when it went.
fn send_line(handle: &ConnectionHandle, line: Line) -> usize {
    let result = match line {
        Line::Text(text) => handle.send_text(text).map_err(|error| error.to_string()),
        Line::NotUtf8 { number } => Err(format!(
            "--stdin line {number} is not UTF-8: not sent (a text message must be UTF-8)"
        )),
        Line::TooLong {
            number,
            bytes,
            limit,
        } => Err(format!(
            "--stdin line {number} is {bytes} bytes, over the message size limit of {limit}: \
             not sent (--max-message-size raises the limit)"
        )),
    };
    match result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("sockscope connect: {error}");
            1
        }
    }
}

/// The next line of input; never, without input.
async fn next_line(stdin: &mut Option<Lines>) -> Option<Line> {
    match stdin {
        Some(lines) => lines.recv().await,
        None => std::future::pending().await,
    }
}

//! `sockscope connect`: one connection, every event printed as a JSON line as it happens.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use tokio::time::Instant;

use super::exit;
use super::plan::{Action, Plan, Wait};
use super::replay::Recording;
use super::summary::Summary;
use crate::engine::{ConnectionHandle, Direction, EventKind, Payload, SendError};
use crate::format::event_json::event_json;
use crate::model::timeline::TimelineEntry;

/// Runs the plan to the close event and returns the exit status. With `record`, every
/// event is kept and the run is saved as a session after the close.
pub async fn run(plan: Plan, record: Option<Recording>) -> ExitCode {
    let mut handle = match ConnectionHandle::connect(
        &plan.config,
        &tokio::runtime::Handle::current(),
        Arc::new(|| {}),
    ) {
        Ok(handle) => handle,
        Err(error) => return exit::usage(&error.to_string()),
    };
    let mut stdout = std::io::stdout().lock();
    let mut summary = Summary::default();
    let mut opened = false;
    let mut refused_sends = 0;
    let mut close_at: Option<Instant> = None;
    let mut interrupted = false;
    let mut recorded = Vec::new();
    let (code, reason) = &plan.close;
    let was_clean = loop {
        let deadline = close_at;
        tokio::select! {
            event = handle.recv() => {
                let Some(event) = event else { break false };
                summary.count(&event);
                if record.is_some() {
                    recorded.push(TimelineEntry { attempt: 1, event: event.clone() });
                }
                let quiet = plan.summary
                    && matches!(event.kind, EventKind::Message { .. } | EventKind::Ping { .. } | EventKind::Pong { .. });
                if !quiet && !print_line(&mut stdout, &event_json(&event)) {
                    // Nobody reads our output any more: leave cleanly without printing.
                    let _ = handle.close(*code, reason);
                }
                match &event.kind {
                    EventKind::Open(_) => {
                        opened = true;
                        refused_sends += send_all(&handle, &plan.actions);
                        close_at = wait_deadline(plan.wait);
                    }
                    EventKind::Message { dir: Direction::In, payload } if plan.echo => {
                        // A server may close right behind its last message; an echo
                        // refused then is reported but is not the run's failure.
                        if let Err(error) = echo(&handle, payload) {
                            eprintln!("sockscope connect: not echoed: {error}");
                        }
                        if close_at.is_some() {
                            close_at = wait_deadline(plan.wait);
                        }
                    }
                    EventKind::Close(close) => break close.was_clean,
                    _ => {}
                }
            }
            () = sleep_until(deadline), if deadline.is_some() => {
                close_at = None;
                let _already_closing = handle.close(*code, reason);
            }
            _ = tokio::signal::ctrl_c() => {
                if interrupted {
                    handle.abort();
                } else {
                    interrupted = true;
                    let _already_closing = handle.close(*code, reason);
                }
            }
        }
    };
    if plan.summary {
        print_line(&mut stdout, &summary.to_json());
    }
    if let Some(record) = record
        && let Err(error) = record.save(&plan.config, &recorded)
    {
        return exit::failed(&format!("--record: {error}"));
    }
    if opened && was_clean && refused_sends == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILED)
    }
}

fn wait_deadline(wait: Wait) -> Option<Instant> {
    match wait {
        Wait::For(duration) => Some(Instant::now() + duration),
        Wait::Forever => None,
    }
}

/// Sends every action in order; a refusal goes to stderr and counts as a failure.
fn send_all(handle: &ConnectionHandle, actions: &[Action]) -> usize {
    let mut refused = 0;
    for action in actions {
        let result = match action {
            Action::Text(text) => handle.send_text(text.clone()),
            Action::Binary(bytes) => handle.send_binary(bytes.clone()),
            Action::Ping(payload) => handle.ping(payload.clone()),
        };
        if let Err(error) = result {
            eprintln!("sockscope connect: {error}");
            refused += 1;
        }
    }
    refused
}

fn echo(handle: &ConnectionHandle, payload: &Payload) -> Result<(), SendError> {
    match payload {
        Payload::Text(text) => handle.send_text(text.as_str()),
        Payload::Binary(bytes) => handle.send_binary(bytes.clone()),
    }
}

/// Prints one line and flushes it; false when stdout is gone (e.g. a closed pipe).
fn print_line(out: &mut impl Write, value: &serde_json::Value) -> bool {
    writeln!(out, "{value}").and_then(|()| out.flush()).is_ok()
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

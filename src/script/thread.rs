//! A tab's script on a thread of its own, so that a slow hook never holds the window: the
//! tab sends it the timeline's events and its own sends (for `beforeSend`); it sends back
//! what the script did, and wakes the window.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::time::Instant;

use super::batch::{ScriptMessage, batch_full};
use super::error_text::LoadError;
use super::output::ScriptOutput;
use super::runner::{MessageViews, ScriptRunner, ScriptSetup, SendVerdict};
use crate::engine::{Event, EventKind, Payload};

/// What the tab gives its script.
#[derive(Debug)]
pub enum ScriptInput {
    /// An event of the connection; `row` is its timeline row (what a test result points at).
    Event {
        /// The event's row in the tab's timeline.
        row: u64,
        /// The event.
        event: Event,
        /// What the tab's decoding made of it, as JSON text (`msg.decoded`).
        decoded: Option<String>,
        /// What the tab's protocol made of it, as JSON text (`msg.protocol`).
        protocol: Option<String>,
    },
    /// The user sent this: it goes through `beforeSend` and comes back as a send (or not).
    UserSend(Payload),
}

/// Inputs the thread holds before the tab waits: enough for a burst, bounded in number.
const INPUT_QUEUE: usize = 4096;

/// A running script thread. Dropping it ends the script (its waiting tests fail).
pub struct ScriptThread {
    inputs: Option<SyncSender<ScriptInput>>,
    outputs: Receiver<ScriptOutput>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ScriptThread {
    /// Loads `source` on a new thread; returns once it has loaded (or failed to: its
    /// [`LoadError`]). `wake` is called after the script did something.
    pub fn start(
        source: String,
        name: String,
        setup: ScriptSetup,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Self, LoadError> {
        let (input_tx, input_rx) = mpsc::sync_channel::<ScriptInput>(INPUT_QUEUE);
        let (output_tx, output_rx) = mpsc::channel::<ScriptOutput>();
        let (loaded_tx, loaded_rx) = mpsc::channel::<Result<(), LoadError>>();
        let failed_name = name.clone();
        let thread = std::thread::Builder::new()
            .name("sockscope-script".into())
            .stack_size(4 << 20)
            .spawn(move || {
                let runner = match ScriptRunner::load(&source, &name, setup) {
                    Ok(runner) => {
                        let _ = loaded_tx.send(Ok(()));
                        runner
                    }
                    Err(error) => {
                        let _ = loaded_tx.send(Err(error));
                        return;
                    }
                };
                serve(runner, &input_rx, &output_tx, &*wake);
            })
            .map_err(|error| LoadError::internal(&failed_name, &error.to_string()))?;
        match loaded_rx.recv() {
            Ok(Ok(())) => Ok(Self {
                inputs: Some(input_tx),
                outputs: output_rx,
                thread: Some(thread),
            }),
            Ok(Err(error)) => {
                let _ = thread.join();
                Err(error)
            }
            Err(_) => Err(LoadError::internal(&failed_name, "the script thread ended")),
        }
    }

    /// Gives the script an input; `false` when its queue is full (try again later).
    pub fn offer(&self, input: ScriptInput) -> bool {
        match &self.inputs {
            Some(inputs) => !matches!(inputs.try_send(input), Err(TrySendError::Full(_))),
            None => true,
        }
    }

    /// What the script did since the last call.
    pub fn take_outputs(&self) -> Vec<ScriptOutput> {
        let mut outputs = Vec::new();
        loop {
            match self.outputs.try_recv() {
                Ok(output) => outputs.push(output),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return outputs,
            }
        }
    }

    /// Ends the script: waiting tests fail; their results can still be taken.
    pub fn end(&mut self) {
        self.inputs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ScriptThread {
    fn drop(&mut self) {
        self.end();
    }
}

/// The thread's loop: inputs and timers until the tab hangs up, then the end of the run.
/// The inputs that have already arrived are handled together: their messages go to the
/// script in one call (a batch, see [`super::batch`]).
fn serve(
    mut runner: ScriptRunner,
    inputs: &Receiver<ScriptInput>,
    outputs: &mpsc::Sender<ScriptOutput>,
    wake: &(dyn Fn() + Send + Sync),
) {
    let mut arrived = Vec::new();
    loop {
        pass_on(&mut runner, outputs, wake);
        let input = match runner.next_timer() {
            Some(at) => inputs.recv_timeout(at.saturating_duration_since(Instant::now())),
            None => inputs.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match input {
            Ok(input) => {
                let mut bytes = input_bytes(&input);
                arrived.push(input);
                while !batch_full(arrived.len(), bytes) {
                    let Ok(input) = inputs.try_recv() else { break };
                    bytes += input_bytes(&input);
                    arrived.push(input);
                }
                let handled = handle(&mut runner, &arrived, outputs, wake);
                arrived.clear();
                if handled.is_err() {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => runner.run_timers(),
            Err(RecvTimeoutError::Disconnected) => {
                runner.end();
                pass_on(&mut runner, outputs, wake);
                return;
            }
        }
    }
}

/// The payload bytes an input holds (for the batch's byte budget).
fn input_bytes(input: &ScriptInput) -> usize {
    match input {
        ScriptInput::Event { event, .. } => match &event.kind {
            EventKind::Message { payload, .. } => payload.len(),
            _ => 0,
        },
        ScriptInput::UserSend(payload) => payload.len(),
    }
}

/// Hands `arrived` to the script in order, runs of messages in one call each; `Err` once
/// the tab no longer takes outputs.
fn handle(
    runner: &mut ScriptRunner,
    arrived: &[ScriptInput],
    outputs: &mpsc::Sender<ScriptOutput>,
    wake: &(dyn Fn() + Send + Sync),
) -> Result<(), ()> {
    let mut run: Vec<ScriptMessage<'_>> = Vec::new();
    for input in arrived {
        if let ScriptInput::Event {
            row,
            event,
            decoded,
            protocol,
        } = input
            && let EventKind::Message { dir, payload } = &event.kind
        {
            run.push(ScriptMessage {
                seq: *row,
                dir: *dir,
                payload,
                offset: Some(event.offset),
                views: MessageViews {
                    decoded: decoded.as_deref(),
                    protocol: protocol.as_deref(),
                },
            });
            continue;
        }
        runner.on_messages(&run);
        run.clear();
        match input {
            ScriptInput::Event { event, .. } => match &event.kind {
                EventKind::Open(open) => runner.on_open_at(open, event.offset),
                EventKind::Close(close) => runner.on_close(close),
                _ => {}
            },
            ScriptInput::UserSend(payload) => {
                let send = match runner.before_send(payload) {
                    SendVerdict::Keep => Some(payload.clone()),
                    SendVerdict::Replace(changed) => Some(changed),
                    SendVerdict::Cancel => None,
                };
                let output = match send {
                    Some(Payload::Text(text)) => ScriptOutput::SendText(text.as_str().into()),
                    Some(Payload::Binary(bytes)) => ScriptOutput::SendBinary(bytes),
                    None => ScriptOutput::Log("beforeSend cancelled a send".into()),
                };
                // What the script did before goes first.
                pass_on(runner, outputs, wake);
                outputs.send(output).map_err(|_| ())?;
            }
        }
    }
    runner.on_messages(&run);
    Ok(())
}

fn pass_on(
    runner: &mut ScriptRunner,
    outputs: &mpsc::Sender<ScriptOutput>,
    wake: &(dyn Fn() + Send + Sync),
) {
    let taken = runner.take_outputs();
    if taken.is_empty() {
        return;
    }
    for output in taken {
        if outputs.send(output).is_err() {
            return;
        }
    }
    wake();
}

#[cfg(test)]
#[path = "thread_tests.rs"]
mod tests;

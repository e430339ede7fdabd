//! Messages handed to a script a batch at a time: one call into QuickJS for the messages
//! that have already arrived, instead of one call each (issue 22's throughput goal).
//!
//! The prelude's dispatcher builds each `msg` and calls `onMessage` (and the `waitFor`s)
//! once per message, as a call per message did. Between two messages it calls
//! `__host.next`, which runs the promise jobs the last message started (only when there
//! are any), notes where that message's outputs end, and starts the next message's time
//! limit: every message keeps its own limit, its own promise jobs and its own outputs. An
//! exception out of a message ends the call there; the runner reports it as before and
//! calls the dispatcher again from the next message.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use rquickjs::{Array, Ctx, Exception, Function, IntoJs, Object, TypedArray};

use super::call_clock::CallClock;
use super::host::Shared;
use super::runner::MessageViews;
use crate::engine::{Direction, Payload};

/// The most messages a host hands over in one call: enough to spread a call's cost thin,
/// few enough that the first message's lines are not held back long.
pub const BATCH_MESSAGES: usize = 256;
/// The most payload bytes a host hands over in one call (a batch has at least one message,
/// whatever its size): a batch's texts are in the script's heap at once, within its memory
/// limit.
pub const BATCH_BYTES: usize = 256 << 10;

/// True when a batch of `count` messages holding `bytes` of payload takes no more.
pub fn batch_full(count: usize, bytes: usize) -> bool {
    count >= BATCH_MESSAGES || bytes >= BATCH_BYTES
}

/// One message for [`ScriptRunner::on_messages`](super::ScriptRunner::on_messages).
#[derive(Clone, Copy, Debug)]
pub struct ScriptMessage<'a> {
    /// The engine's number of the event (or the timeline row): what a test result points
    /// at when this message decided it.
    pub seq: u64,
    /// Which way it went.
    pub dir: Direction,
    /// Its payload.
    pub payload: &'a Payload,
    /// The event's offset since its attempt started (`msg.time` is taken from it and the
    /// open's); `None`: the time since the open, read from the clock.
    pub offset: Option<Duration>,
    /// What the run's decoding and protocol made of it.
    pub views: MessageViews<'a>,
}

/// Where the running batch is, shared by the runner and `__host.next`.
#[derive(Default)]
pub(super) struct BatchState {
    /// The message of the batch that runs now.
    pub position: Cell<usize>,
    /// For each message of the batch handled so far, how many outputs were pending once
    /// it was.
    pub ends: RefCell<Vec<usize>>,
}

/// Bit 0 of a message's flags: it went out.
const OUTGOING: i32 = 1;
/// Bit 1 of a message's flags: it is binary.
const BINARY: i32 = 2;

/// The batch's numbers as the dispatcher reads them, a typed array each (small integers
/// for the flags keep the dispatcher's arithmetic on QuickJS's fast path).
pub(super) struct Columns {
    flags: Vec<i32>,
    times: Vec<f64>,
    seqs: Vec<f64>,
}

impl Columns {
    /// The flags, times (ms since the open; `time` gives a message's) and seqs of `batch`.
    pub(super) fn of(batch: &[ScriptMessage<'_>], time: impl Fn(Option<Duration>) -> f64) -> Self {
        let mut columns = Self {
            flags: Vec::with_capacity(batch.len()),
            times: Vec::with_capacity(batch.len()),
            seqs: Vec::with_capacity(batch.len()),
        };
        for message in batch {
            let mut flags = 0;
            if matches!(message.dir, Direction::Out) {
                flags |= OUTGOING;
            }
            if matches!(message.payload, Payload::Binary(_)) {
                flags |= BINARY;
            }
            columns.flags.push(flags);
            columns.times.push(time(message.offset));
            columns.seqs.push(message.seq as f64);
        }
        columns
    }
}

/// Hands the batch to the dispatcher and runs it from its first message.
pub(super) fn start<'js>(
    ctx: &Ctx<'js>,
    side: &Object<'js>,
    batch: &[ScriptMessage<'_>],
    columns: Columns,
) -> rquickjs::Result<()> {
    let texts = Array::new(ctx.clone())?;
    let mut extras: Option<Array<'js>> = None;
    for (index, message) in batch.iter().enumerate() {
        let (text, bytes) = match message.payload {
            Payload::Text(text) => (Some(text.as_str()), None),
            Payload::Binary(bytes) => (None, Some(bytes)),
        };
        texts.set(index, text)?;
        let views = message.views;
        if bytes.is_none() && views.decoded.is_none() && views.protocol.is_none() {
            continue;
        }
        // The rarer parts (bytes, decoded, protocol): three per message, only when one of
        // the batch has one.
        let extras = match &extras {
            Some(extras) => extras.clone(),
            None => extras.insert(Array::new(ctx.clone())?).clone(),
        };
        if let Some(bytes) = bytes {
            extras.set(
                index * 3,
                TypedArray::<u8>::new_copy(ctx.clone(), bytes.as_ref())?,
            )?;
        }
        extras.set(index * 3 + 1, views.decoded)?;
        extras.set(index * 3 + 2, views.protocol)?;
    }
    let flags = TypedArray::<i32>::new(ctx.clone(), columns.flags)?;
    let times = TypedArray::<f64>::new(ctx.clone(), columns.times)?;
    let seqs = TypedArray::<f64>::new(ctx.clone(), columns.seqs)?;
    let extras = match extras {
        Some(extras) => extras.into_value(),
        None => rquickjs::Undefined.into_js(ctx)?,
    };
    let messages: Function = side.get("messages")?;
    messages.call::<_, ()>((flags, times, seqs, texts, extras))
}

/// Runs the batch on from message `from`, after an exception ended the last call.
pub(super) fn resume<'js>(side: &Object<'js>, from: usize) -> rquickjs::Result<()> {
    let resume: Function = side.get("resume")?;
    resume.call::<_, ()>((i32::try_from(from).unwrap_or(i32::MAX),))
}

/// Puts `__host.next()` on `host`: the dispatcher calls it before each message of a batch
/// but the first of a call.
pub(super) fn install_next<'js>(
    ctx: &Ctx<'js>,
    host: &Object<'js>,
    shared: &Rc<Shared>,
    state: &Rc<BatchState>,
    clock: &Rc<CallClock>,
    interrupted: &Rc<Cell<bool>>,
) -> rquickjs::Result<()> {
    let (shared, state) = (shared.clone(), state.clone());
    let (clock, interrupted) = (clock.clone(), interrupted.clone());
    let next = Function::new(ctx.clone(), move |ctx: Ctx<'js>| {
        // The last message's promise jobs, within its time limit, as after a call of its
        // own (a job's exception is dropped there too).
        while ctx.execute_pending_job() {}
        if interrupted.get() {
            // A job ran past the limit: the call ends, and the last message stopped the
            // script.
            return Err(Exception::throw_internal(&ctx, "interrupted"));
        }
        state.ends.borrow_mut().push(shared.outputs.borrow().len());
        state.position.set(state.position.get() + 1);
        clock.restart();
        Ok(())
    })?;
    host.set("next", next)
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;

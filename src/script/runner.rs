//! One tab's script: a QuickJS runtime of its own with the prelude's API, fed the
//! connection's events by its host (the command line's loop, or the tab's script thread).
//! Every call into it is bounded in time, and the runtime in memory and stack; a script
//! that meets a limit stops with an error, and the connection goes on.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rquickjs::context::EvalOptions;
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Function, Object, Persistent, Runtime};

use super::batch::{self, BatchState, ScriptMessage};
use super::call_clock::CallClock;
use super::error_text::{self, LoadError};
use super::host::{self, EnvGrant, Shared};
use super::limits::ScriptLimits;
use super::output::ScriptOutput;
use crate::engine::{CloseInfo, Direction, OpenInfo, Payload};

const PRELUDE: &str = include_str!("prelude.js");

/// What to do with a send that passed through `beforeSend`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendVerdict {
    /// Send it as it is.
    Keep,
    /// `beforeSend` returned false: do not send it.
    Cancel,
    /// Send this instead.
    Replace(Payload),
}

/// What a runner starts with besides its source.
pub struct ScriptSetup {
    /// Time, memory and stack limits.
    pub limits: ScriptLimits,
    /// The template variables the script starts with (`vars.get`).
    pub vars: BTreeMap<String, String>,
    /// Which environment variables `env.get` may read.
    pub env: EnvGrant,
}

impl Default for ScriptSetup {
    fn default() -> Self {
        Self {
            limits: ScriptLimits::default(),
            vars: BTreeMap::new(),
            env: EnvGrant::none(),
        }
    }
}

/// What the run's decoding and protocol made of a message, each as JSON text (`None`:
/// that feature is off, or made nothing of it).
#[derive(Clone, Copy, Debug, Default)]
pub struct MessageViews<'a> {
    /// The decoded value (`--decode`, the tab's Decode setting): `msg.decoded`.
    pub decoded: Option<&'a str>,
    /// The protocol unit (`--protocol`, the tab's protocol): `msg.protocol`.
    pub protocol: Option<&'a str>,
}

/// A loaded script and its runtime.
pub struct ScriptRunner {
    // Field order matters: the saved objects go before the context, the context before
    // the runtime.
    side: Persistent<Object<'static>>,
    context: Context,
    runtime: Runtime,
    shared: Rc<Shared>,
    limits: ScriptLimits,
    /// The current call's clock, read by the interrupt handler (not by each call).
    call_clock: Rc<CallClock>,
    /// Set by the interrupt handler when it stopped a call.
    interrupted: Rc<Cell<bool>>,
    /// Where the running batch of messages is.
    batch: Rc<BatchState>,
    opened_at: Option<Instant>,
    /// The open event's offset, when the host gave it (`msg.time` from event offsets).
    open_offset: Option<Duration>,
    stopped: bool,
}

impl ScriptRunner {
    /// Loads `source` (named `file` in errors): runs the prelude, then the script's top
    /// level, with its limits. A script that does not compile, or whose top level throws,
    /// is a [`LoadError`] with its file:line:column.
    pub fn load(source: &str, file: &str, setup: ScriptSetup) -> Result<Self, LoadError> {
        let internal = |error: rquickjs::Error| LoadError::internal(file, &error.to_string());
        let runtime = Runtime::new().map_err(internal)?;
        runtime.set_memory_limit(setup.limits.memory);
        runtime.set_max_stack_size(setup.limits.stack);
        let call_clock = Rc::new(CallClock::new(setup.limits.call_time));
        let interrupted = Rc::new(Cell::new(false));
        let (clock, flag) = (call_clock.clone(), interrupted.clone());
        runtime.set_interrupt_handler(Some(Box::new(move || {
            let over = clock.over();
            if over {
                flag.set(true);
            }
            over
        })));
        let shared = Rc::new(Shared {
            outputs: RefCell::new(Vec::new()),
            vars: RefCell::new(setup.vars),
            next_timer: Cell::new(None),
            open: Cell::new(false),
            started: Instant::now(),
            env: setup.env,
        });
        let batch = Rc::new(BatchState::default());
        let context = Context::full(&runtime).map_err(internal)?;
        call_clock.begin();
        let loaded = context.with(|ctx| -> Result<_, LoadError> {
            let host = host::install(&ctx, &shared).map_err(internal)?;
            batch::install_next(&ctx, &host, &shared, &batch, &call_clock, &interrupted)
                .map_err(internal)?;
            let mut options = EvalOptions::default();
            options.filename = Some("sockscope-prelude.js".into());
            options.strict = false;
            ctx.eval_with_options::<(), _>(PRELUDE, options)
                .catch(&ctx)
                .map_err(|e| LoadError::internal(file, &e.to_string()))?;
            let mut options = EvalOptions::default();
            options.filename = Some(file.to_owned());
            options.strict = false;
            if let Err(caught) = ctx.eval_with_options::<(), _>(source, options).catch(&ctx) {
                return Err(error_text::load_error(file, &caught));
            }
            while ctx.execute_pending_job() {}
            let side: Object = ctx.globals().get("__sockscope").map_err(internal)?;
            Ok(Persistent::save(&ctx, side))
        });
        call_clock.end();
        let side = match loaded {
            Ok(saved) => saved,
            Err(_) if interrupted.get() => {
                return Err(LoadError::internal(
                    file,
                    &format!(
                        "the top level ran longer than {} ms (an endless loop?)",
                        setup.limits.call_time.as_millis()
                    ),
                ));
            }
            Err(error) => return Err(error),
        };
        Ok(Self {
            side,
            context,
            runtime,
            shared,
            limits: setup.limits,
            call_clock,
            interrupted,
            batch,
            opened_at: None,
            open_offset: None,
            stopped: false,
        })
    }

    /// The bytes the script's heap holds now.
    pub fn memory_used(&self) -> u64 {
        u64::try_from(self.runtime.memory_usage().memory_used_size).unwrap_or(0)
    }

    /// True once the script met a limit: it is not called any more.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// How many outputs are waiting to be taken.
    pub fn pending_outputs(&self) -> usize {
        self.shared.outputs.borrow().len()
    }

    /// What the script did since the last call, in order.
    pub fn take_outputs(&mut self) -> Vec<ScriptOutput> {
        std::mem::take(&mut *self.shared.outputs.borrow_mut())
    }

    /// The template variables as the script left them.
    pub fn vars(&self) -> BTreeMap<String, String> {
        self.shared.vars.borrow().clone()
    }

    /// True when the template variable `name` is set.
    pub fn has_var(&self, name: &str) -> bool {
        self.shared.vars.borrow().contains_key(name)
    }

    /// When the next timer (or `waitFor` timeout) is due.
    pub fn next_timer(&self) -> Option<Instant> {
        if self.stopped {
            return None;
        }
        let at = self.shared.next_timer.get()?;
        Some(self.shared.started + Duration::from_secs_f64(at.max(0.0) / 1000.0))
    }

    /// `onOpen(open)` for the open event at `offset` (since its attempt started).
    pub fn on_open_at(&mut self, open: &OpenInfo, offset: Duration) {
        self.on_open(open);
        self.open_offset = Some(offset);
    }

    /// `onOpen(open)`.
    pub fn on_open(&mut self, open: &OpenInfo) {
        self.opened_at = Some(Instant::now());
        self.open_offset = None;
        self.shared.open.set(true);
        let headers: Vec<(String, String)> = open.response_headers.clone();
        let status = open.status;
        let subprotocol = open.subprotocol.clone();
        let side = self.side.clone();
        self.call("onOpen", move |ctx| {
            let side = side.restore(ctx)?;
            let map = Object::new(ctx.clone())?;
            for (name, value) in &headers {
                map.set(name.to_ascii_lowercase(), value.as_str())?;
            }
            let open: Function = side.get("open")?;
            open.call::<_, ()>((status, map, subprotocol))
        });
    }

    /// `onMessage(msg)`, then the `waitFor`s; `seq` is the engine's number of the event.
    pub fn on_message(&mut self, seq: u64, dir: Direction, payload: &Payload) {
        self.on_message_viewed(seq, dir, payload, MessageViews::default());
    }

    /// [`on_message`](Self::on_message) with what the run's decoding and protocol made of
    /// the message: the script's `msg.decoded` and `msg.protocol`, parsed only if it reads
    /// them.
    pub fn on_message_viewed(
        &mut self,
        seq: u64,
        dir: Direction,
        payload: &Payload,
        views: MessageViews<'_>,
    ) {
        self.on_message_at(seq, dir, payload, None, views);
    }

    /// [`on_message_viewed`](Self::on_message_viewed) for the event at `offset` (since its
    /// attempt started): `msg.time` is taken from it and the open's (see
    /// [`on_open_at`](Self::on_open_at)) instead of a clock read.
    pub fn on_message_at(
        &mut self,
        seq: u64,
        dir: Direction,
        payload: &Payload,
        offset: Option<Duration>,
        views: MessageViews<'_>,
    ) {
        self.on_messages(&[ScriptMessage {
            seq,
            dir,
            payload,
            offset,
            views,
        }]);
    }

    /// `onMessage(msg)`, then the `waitFor`s, for each message of `batch` in turn, in one
    /// call into QuickJS: each message keeps its own time limit, its own promise jobs (run
    /// before the next message, as after a call of its own) and its own error line. Returns,
    /// for each message, how many outputs were pending (see
    /// [`take_outputs`](Self::take_outputs)) once it was handled: the outputs it caused are
    /// those between the previous message's end and its own.
    pub fn on_messages(&mut self, batch: &[ScriptMessage<'_>]) -> Vec<usize> {
        let mut ends = Vec::with_capacity(batch.len());
        if !self.stopped && !batch.is_empty() {
            let columns = batch::Columns::of(batch, |offset| self.message_time(offset));
            let mut columns = Some(columns);
            let mut from = 0;
            while from < batch.len() && !self.stopped {
                self.batch.position.set(from);
                self.batch.ends.borrow_mut().clear();
                let side = self.side.clone();
                match columns.take() {
                    Some(columns) => self.call("onMessage", move |ctx| {
                        batch::start(ctx, &side.restore(ctx)?, batch, columns)
                    }),
                    None => self.call("onMessage", move |ctx| {
                        batch::resume(&side.restore(ctx)?, from)
                    }),
                }
                ends.append(&mut self.batch.ends.borrow_mut());
                // The message the call ended in (an exception, or the batch's last).
                ends.push(self.shared.outputs.borrow().len());
                from = self.batch.position.get() + 1;
            }
        }
        // Messages a stopped script did not see caused nothing.
        let pending = self.shared.outputs.borrow().len();
        ends.resize(batch.len(), pending);
        ends
    }

    /// A message's `msg.time`: from its offset and the open's when both are known, else
    /// the time since the open.
    fn message_time(&self, offset: Option<Duration>) -> f64 {
        match (offset, self.open_offset) {
            (Some(at), Some(open)) => at.saturating_sub(open).as_secs_f64() * 1000.0,
            _ => self
                .opened_at
                .map_or(0.0, |at| at.elapsed().as_secs_f64() * 1000.0),
        }
    }

    /// `onClose(close)`; `ws.send` refuses from now on.
    pub fn on_close(&mut self, close: &CloseInfo) {
        self.shared.open.set(false);
        let (code, reason) = (close.code, close.reason.clone());
        let (clean, initiator) = (close.was_clean, close.initiator.as_str());
        let side = self.side.clone();
        self.call("onClose", move |ctx| {
            let side = side.restore(ctx)?;
            let close: Function = side.get("close")?;
            close.call::<_, ()>((code, reason, clean, initiator))
        });
    }

    /// Runs `beforeSend(msg)` on a send the user (not the script) made.
    pub fn before_send(&mut self, payload: &Payload) -> SendVerdict {
        let verdict: Rc<RefCell<SendVerdict>> = Rc::new(RefCell::new(SendVerdict::Keep));
        let out = verdict.clone();
        let side = self.side.clone();
        self.call("beforeSend", move |ctx| {
            let side = side.restore(ctx)?;
            let before: Function = side.get("beforeSend")?;
            let answer: rquickjs::Array = match payload {
                Payload::Text(text) => before.call(("text", text.as_str(), rquickjs::Undefined))?,
                Payload::Binary(bytes) => before.call((
                    "binary",
                    rquickjs::Undefined,
                    rquickjs::TypedArray::<u8>::new_copy(ctx.clone(), bytes.as_ref())?,
                ))?,
            };
            let kind: String = answer.get(0)?;
            *out.borrow_mut() = match kind.as_str() {
                "cancel" => SendVerdict::Cancel,
                "t" => SendVerdict::Replace(Payload::Text(answer.get::<String>(1)?.into())),
                "b" => SendVerdict::Replace(Payload::Binary(host::from_latin1(
                    &answer.get::<String>(1)?,
                ))),
                _ => SendVerdict::Keep,
            };
            Ok(())
        });
        verdict.replace(SendVerdict::Keep)
    }

    /// Runs the timers that are due.
    pub fn run_timers(&mut self) {
        let now = self.shared.started.elapsed().as_secs_f64() * 1000.0;
        let side = self.side.clone();
        self.call("a timer", move |ctx| {
            let side = side.restore(ctx)?;
            let timers: Function = side.get("timers")?;
            timers.call::<_, ()>((now,))
        });
    }

    /// How many tests have started and not finished (an async test awaiting `waitFor`).
    pub fn pending_tests(&mut self) -> usize {
        if self.stopped {
            return 0;
        }
        self.context
            .with(|ctx| {
                let side = self.side.clone().restore(&ctx).ok()?;
                let pending: Function = side.get("pending").ok()?;
                pending.call::<_, f64>(()).ok()
            })
            .map_or(0, |count| count as usize)
    }

    /// The run is over: `waitFor`s still waiting fail, and tests that never finished are
    /// reported as failed.
    pub fn end(&mut self) {
        self.shared.open.set(false);
        let side = self.side.clone();
        self.call("the end of the run", move |ctx| {
            let side = side.restore(ctx)?;
            let end: Function = side.get("end")?;
            end.call::<_, ()>(())
        });
        // Reported even for a stopped script: its tests did not pass.
        let side = self.side.clone();
        self.context.with(|ctx| {
            let leftover = side
                .restore(&ctx)
                .and_then(|side| side.get::<_, Function>("leftover"));
            if let Ok(leftover) = leftover {
                let _reported = leftover.call::<_, ()>(());
            }
        });
    }

    /// Calls into the script within the time limit, runs the promise jobs it started, and
    /// turns an exception into an error output (stopping the script at a limit).
    fn call<F>(&mut self, what: &str, f: F)
    where
        F: for<'js> FnOnce(&Ctx<'js>) -> rquickjs::Result<()>,
    {
        if self.stopped {
            return;
        }
        self.interrupted.set(false);
        self.call_clock.begin();
        let failure = self.context.with(|ctx| {
            let mut failure = f(&ctx).catch(&ctx).err().map(|caught| describe(&caught));
            while ctx.execute_pending_job() {
                if failure.is_none() && self.interrupted.get() {
                    failure = Some("interrupted".to_owned());
                }
            }
            failure
        });
        self.call_clock.end();
        let Some(failure) = failure else { return };
        let limit = if self.interrupted.get() {
            Some(format!(
                "ran longer than {} ms (an endless loop?)",
                self.limits.call_time.as_millis()
            ))
        } else if error_text::is_out_of_memory(&failure) {
            Some(format!(
                "ran out of memory (the limit is {} MiB)",
                self.limits.memory >> 20
            ))
        } else if error_text::is_stack_overflow(&failure) {
            Some("recursed too deeply (the stack limit was reached)".to_owned())
        } else {
            None
        };
        let text = match limit {
            Some(why) => {
                self.stopped = true;
                self.shared.next_timer.set(None);
                format!("{what}: the script {why}, and was stopped; the connection goes on")
            }
            None => format!("{what}: {failure}"),
        };
        self.shared.push(ScriptOutput::Error(text));
    }
}

/// One line for an exception out of the script: its message and where it was thrown.
fn describe(caught: &CaughtError<'_>) -> String {
    error_text::runtime_error(caught)
}

#[cfg(test)]
#[path = "runner_tests.rs"]
mod tests;

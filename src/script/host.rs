//! The functions the prelude calls (`__host`): what a script can reach outside itself.
//! Nothing here opens a file, a socket or a process; the environment is read only for the
//! names the user allowed.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Instant;

use rquickjs::{Ctx, Exception, Function, Object, TypedArray};

use super::output::{ScriptOutput, TestResult};
use crate::engine::close_code::{self, MAX_REASON_BYTES};

/// Reads an environment variable for `env.get(NAME)`, once the name is allowed.
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String> + Send>;

/// Which environment variables a script may read.
pub struct EnvGrant {
    /// The names allowed (`--allow-env NAME`, or the tab's consent).
    pub allowed: Vec<String>,
    /// Reads a variable (the process environment in the app and the CLI).
    pub lookup: EnvLookup,
}

impl EnvGrant {
    /// No variable at all.
    pub fn none() -> Self {
        Self {
            allowed: Vec::new(),
            lookup: Box::new(|_| None),
        }
    }
}

/// The state the host functions share with the runner.
pub(super) struct Shared {
    /// What the script did since the host last took it.
    pub outputs: RefCell<Vec<ScriptOutput>>,
    /// The template variables (`vars.get`/`vars.set`).
    pub vars: RefCell<BTreeMap<String, String>>,
    /// The next timer, in ms since `started`.
    pub next_timer: Cell<Option<f64>>,
    /// True while the connection is open (`ws.send` refuses otherwise).
    pub open: Cell<bool>,
    /// Where the script's clock starts.
    pub started: Instant,
    /// What `env.get` may read.
    pub env: EnvGrant,
}

impl Shared {
    pub(super) fn push(&self, output: ScriptOutput) {
        self.outputs.borrow_mut().push(output);
    }

    fn now_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }
}

/// Puts `__host` on the global object, for the prelude to take; returns it, for more.
pub(super) fn install<'js>(ctx: &Ctx<'js>, shared: &Rc<Shared>) -> rquickjs::Result<Object<'js>> {
    let host = Object::new(ctx.clone())?;
    let s = shared.clone();
    host.set("now", Function::new(ctx.clone(), move || s.now_ms())?)?;
    host.set(
        "utf8",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, text: String| {
            TypedArray::<u8>::new(ctx, text.into_bytes())
        })?,
    )?;
    let s = shared.clone();
    host.set(
        "sendText",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, text: String| {
            if !s.open.get() {
                return Err(not_open(&ctx));
            }
            s.push(ScriptOutput::SendText(text));
            Ok(())
        })?,
    )?;
    let s = shared.clone();
    host.set(
        "sendBytes",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, bytes: String| {
            if !s.open.get() {
                return Err(not_open(&ctx));
            }
            s.push(ScriptOutput::SendBinary(from_latin1(&bytes)));
            Ok(())
        })?,
    )?;
    let s = shared.clone();
    host.set(
        "close",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, code: f64, reason: String| {
                let whole = code.fract() == 0.0 && (0.0..=65535.0).contains(&code);
                let checked = if whole {
                    close_code::check_sendable(code as u16).map_err(|e| e.to_string())
                } else {
                    Err(format!("{code} is not a close code"))
                };
                if let Err(error) = checked {
                    return Err(Exception::throw_range(&ctx, &format!("ws.close: {error}")));
                }
                if reason.len() > MAX_REASON_BYTES {
                    let message = format!(
                        "ws.close: the reason is {} bytes; at most {MAX_REASON_BYTES} fit",
                        reason.len()
                    );
                    return Err(Exception::throw_range(&ctx, &message));
                }
                s.push(ScriptOutput::Close {
                    code: code as u16,
                    reason,
                });
                Ok(())
            },
        )?,
    )?;
    let s = shared.clone();
    host.set(
        "varGet",
        Function::new(ctx.clone(), move |name: String| {
            s.vars.borrow().get(&name).cloned()
        })?,
    )?;
    let s = shared.clone();
    host.set(
        "varSet",
        Function::new(ctx.clone(), move |name: String, value: String| {
            s.vars.borrow_mut().insert(name.clone(), value.clone());
            s.push(ScriptOutput::SetVar { name, value });
        })?,
    )?;
    let s = shared.clone();
    host.set(
        "env",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, name: String| {
            if !s.env.allowed.contains(&name) {
                let message = format!(
                    "env.get({name:?}): this script may not read that environment variable; \
                     pass --allow-env {name} to let it"
                );
                return Err(Exception::throw_message(&ctx, &message));
            }
            Ok((s.env.lookup)(&name))
        })?,
    )?;
    let s = shared.clone();
    host.set(
        "log",
        Function::new(ctx.clone(), move |text: String| {
            s.push(ScriptOutput::Log(text));
        })?,
    )?;
    let s = shared.clone();
    host.set(
        "test",
        Function::new(
            ctx.clone(),
            move |name: String, passed: bool, message: Option<String>, time_ms: f64, seq: f64| {
                s.push(ScriptOutput::Test(TestResult {
                    name,
                    passed,
                    message,
                    time_ms: time_ms.max(0.0),
                    decided_by: (seq >= 0.0).then_some(seq as u64),
                }));
            },
        )?,
    )?;
    let s = shared.clone();
    host.set(
        "deadline",
        Function::new(ctx.clone(), move |at: f64| {
            s.next_timer
                .set((at >= 0.0 && at.is_finite()).then_some(at));
        })?,
    )?;
    ctx.globals().set("__host", host.clone())?;
    Ok(host)
}

/// Bytes from the prelude's form for them: a string of code points 0-255.
pub(super) fn from_latin1(text: &str) -> bytes::Bytes {
    text.chars()
        .map(|c| c as u32 as u8)
        .collect::<Vec<u8>>()
        .into()
}

fn not_open(ctx: &Ctx<'_>) -> rquickjs::Error {
    Exception::throw_message(ctx, "ws.send: the connection is not open")
}

//! `sockscope listen`: the mock server in the foreground. Prints `listening on
//! ws://ADDR` (`wss://` with `--cert`/`--key`), then for each client a `request` line (its path, headers and offered
//! subprotocols) and every event as one JSON line in `connect`'s shapes plus `"conn"`
//! (1, 2, ... per accepted client), redacted like every path out; the `open` line also
//! carries the `path`. Runs until Ctrl+C or SIGTERM (which close every client with 1001
//! first), or until nobody reads its output.

use std::collections::HashMap;
use std::io::Write;

use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::error::{CliError, Outcome};
use super::listen_args::ListenArgs;
use super::message_out::{LineTag, write_message};
use crate::engine::EventKind;
use crate::format::message_line::MessageLines;
use crate::mock::rules::{CloseAfter, Rules, check_reject};
use crate::mock::{self, MockConfig};
use crate::model::redact::Redactor;
use crate::proxy::ProxyEvent;
use crate::proxy::request_head::RequestHead;

/// Events waiting to be printed; past it the connections wait for the printer.
const EVENT_QUEUE: usize = 256;

/// Reads the rules, starts the mock server and prints its events until told to stop.
pub async fn run(args: &ListenArgs) -> Result<Outcome, CliError> {
    let mut rules = match &args.rules {
        Some(path) => Rules::load(path).map_err(CliError::file)?,
        None => Rules::default(),
    };
    apply_flags(&mut rules, args).map_err(|error| CliError::usage("listen: ", error))?;
    let (sender, mut events) = mpsc::channel(EVENT_QUEUE);
    let tls = super::proxy::listen_tls(args.cert.as_deref(), args.key.as_deref())
        .map_err(|error| CliError::usage("listen: ", error))?;
    let config = MockConfig {
        listen: args.addr,
        rules,
        tls,
    };
    let server = mock::start(config, sender)
        .await
        .map_err(|error| CliError::failed(format!("cannot listen on {}: ", args.addr), error))?;
    let mut printer = Printer::new();
    if printer
        .say(&format!("listening on {}", server.url()))
        .is_err()
    {
        return Ok(Outcome::Success);
    }
    let stop = super::serve::wait_for_stop_signal();
    tokio::pin!(stop);
    let stopped = loop {
        tokio::select! {
            // Lines are written as they come and flushed once no more events wait.
            event = events.recv() => match event {
                Some(event) if printer.print(&event) && (!events.is_empty() || printer.flush()) => {}
                _ => break false,
            },
            () = &mut stop => break true,
        }
    };
    if stopped {
        // Every client is closed with 1001; their close events keep coming meanwhile.
        super::serve::drain_during(server.shutdown(), &mut events, |event| {
            printer.print(event);
        })
        .await;
    }
    printer.flush();
    Ok(Outcome::Success)
}

/// The flags on top of the rules file.
fn apply_flags(rules: &mut Rules, args: &ListenArgs) -> Result<(), String> {
    if let Some(name) = &args.subprotocol {
        rules.subprotocol = Some(name.clone());
    }
    rules.on_open.extend(args.send_on_open.iter().cloned());
    rules.echo |= args.echo;
    if let Some(text) = &args.close_after {
        let close = CloseAfter::parse(text).map_err(|e| format!("--close-after: {e}"))?;
        rules.close_after = Some(close);
    }
    if let Some(status) = args.reject {
        check_reject(status).map_err(|e| format!("--reject: {e}"))?;
        rules.reject = Some(status);
    }
    Ok(())
}

/// Lines waiting in [`Printer`]'s buffer past this many bytes are written out.
const WRITE_AT: usize = 64 << 10;

/// A line buffer grown past this (by a large message) is given back once written out.
const KEEP_BUFFER: usize = 4 << 20;

/// Prints events as JSON lines, each connection redacted with what its request showed.
struct Printer {
    /// Each live connection's redaction.
    connections: HashMap<u64, Redactor>,
    seq: u64,
    /// Message lines, written without building a JSON value.
    messages: MessageLines,
    /// Lines not written out yet: written once [`WRITE_AT`] bytes wait, and by
    /// [`Printer::flush`] (once no more events wait).
    pending: Vec<u8>,
    stdout: std::io::StdoutLock<'static>,
}

impl Printer {
    fn new() -> Self {
        Self {
            connections: HashMap::new(),
            seq: 0,
            messages: MessageLines::default(),
            pending: Vec::with_capacity(2 * WRITE_AT),
            stdout: std::io::stdout().lock(),
        }
    }

    /// Prints one line and flushes.
    fn say(&mut self, line: &str) -> std::io::Result<()> {
        writeln!(self.stdout, "{line}").and_then(|()| self.stdout.flush())
    }

    /// Writes out the lines printed so far; false once nobody reads stdout any more.
    fn flush(&mut self) -> bool {
        self.write_out() && self.stdout.flush().is_ok()
    }

    /// Writes the waiting lines to stdout; false once nobody reads it any more.
    fn write_out(&mut self) -> bool {
        let written = self.stdout.write_all(&self.pending).is_ok();
        self.pending.clear();
        if self.pending.capacity() > KEEP_BUFFER {
            self.pending = Vec::with_capacity(2 * WRITE_AT);
        }
        written
    }

    /// Prints one event (after its connection's `request` line when it is the first; see
    /// [`Printer::flush`]); false once nobody reads stdout any more.
    fn print(&mut self, event: &ProxyEvent) -> bool {
        if !self.connections.contains_key(&event.conn) {
            let mut redactor = Redactor::default();
            for (name, value) in &event.request.headers {
                redactor.add_header(name, value);
            }
            let mut line = request_line(&event.request, &redactor);
            self.tag(&mut line, event.conn);
            push_value(&mut self.pending, &line);
            self.connections.insert(event.conn, redactor);
        }
        let Some(redactor) = self.connections.get_mut(&event.conn) else {
            return true;
        };
        redactor.learn(&event.event.kind);
        let tag = LineTag {
            seq: self.seq,
            conn: event.conn,
            leg: None,
        };
        let copy = |out: &mut Vec<u8>, run: &[u8]| {
            out.extend_from_slice(run);
            Ok::<(), std::convert::Infallible>(())
        };
        let fast = write_message(
            &mut self.pending,
            &mut self.messages,
            redactor,
            &event.event,
            tag,
            usize::MAX,
            copy,
        );
        if fast.is_some() {
            self.seq += 1;
        } else {
            let mut line = redactor.json_line(&event.event);
            if let (Value::Object(map), EventKind::Open(_)) = (&mut line, &event.event.kind) {
                map.insert("path".into(), json!(redactor.url(&event.request.target)));
            }
            self.tag(&mut line, event.conn);
            push_value(&mut self.pending, &line);
        }
        if matches!(event.event.kind, EventKind::Close(_)) {
            self.connections.remove(&event.conn);
        }
        self.pending.len() < WRITE_AT || self.write_out()
    }

    /// Adds the running `seq` and the connection number.
    fn tag(&mut self, line: &mut Value, conn: u64) {
        if let Value::Object(map) = line {
            map.insert("seq".into(), json!(self.seq));
            map.insert("conn".into(), json!(conn));
        }
        self.seq += 1;
    }
}

/// Appends `line` and a newline.
fn push_value(out: &mut Vec<u8>, line: &Value) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, line);
    out.push(b'\n');
}

/// `{"event":"request","path":...,"headers":{...},"subprotocols":[...]}`.
fn request_line(request: &RequestHead, redactor: &Redactor) -> Value {
    let redacted = redactor.headers(&request.headers);
    let headers = redacted.as_deref().unwrap_or(&request.headers);
    let mut object = Map::new();
    for (name, value) in headers {
        match object.get_mut(name) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(value);
            }
            _ => {
                object.insert(name.clone(), Value::String(value.clone()));
            }
        }
    }
    let subprotocols: Vec<&str> = request
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("sec-websocket-protocol"))
        .flat_map(|(_, value)| value.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect();
    json!({
        "event": "request",
        "path": redactor.url(&request.target),
        "headers": Value::Object(object),
        "subprotocols": subprotocols,
    })
}

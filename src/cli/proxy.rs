//! `sockscope proxy`: the recording proxy in the foreground. Prints `listening on
//! ws://ADDR` (`wss://` with `--cert`/`--key`), then every event of both legs of every client connection as one JSON line
//! in `connect`'s shapes plus `"conn"` (1, 2, ... per accepted client) and `"leg"`
//! (`"client"` or `"upstream"`), redacted like every path out. Runs until Ctrl+C or
//! SIGTERM (which close every connection's legs with 1001 first), or until nobody reads
//! its output. `--record` saves the connections as a session (see
//! [`super::proxy_record`]).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::error::{CliError, Outcome};
use super::message_out::{LineTag, write_message};
use super::proxy_args::ProxyArgs;
use super::proxy_record::ProxyRecorder;
use crate::engine::{Event, EventKind};
use crate::format::message_line::MessageLines;
use crate::model::redact::Redactor;
use crate::model::storage::FileError;
use crate::proxy::request_head::RequestHead;
use crate::proxy::{self, EventBatch, ListenTls, ProxyConfig};

/// Batches of events waiting to be printed; past it (or past the bytes the relays may have
/// waiting, [`proxy::EVENT_QUEUE_BYTES`]) the relays wait for the printer.
const EVENT_QUEUE: usize = 256;

/// Checks the flags, starts the proxy and prints its events until told to stop.
pub async fn run(args: &ProxyArgs) -> Result<Outcome, CliError> {
    let config = config(args).map_err(|error| CliError::usage("proxy: ", error))?;
    let (sender, mut events) = mpsc::channel(EVENT_QUEUE);
    let added = config.add_headers.clone();
    let recorder_config = config.clone();
    let server = proxy::start_batched(config, sender)
        .await
        .map_err(|error| CliError::failed(format!("cannot listen on {}: ", args.listen), error))?;
    let mut stdout = std::io::stdout().lock();
    let said = writeln!(stdout, "listening on {}", server.url()).and_then(|()| stdout.flush());
    drop(stdout);
    if said.is_err() {
        return Ok(Outcome::Success);
    }
    let mut printer = Printer::new(&added, &args.upstream);
    if let Some(path) = &args.record {
        printer.recorder = Some(ProxyRecorder::new(path.clone(), recorder_config));
    }
    let stop = super::serve::wait_for_stop_signal();
    tokio::pin!(stop);
    let stopped = loop {
        tokio::select! {
            // Lines are written as they come and flushed once no more events wait.
            batch = events.recv() => match batch {
                Some(batch) if printer.print(&batch) && (!events.is_empty() || printer.flush()) => {}
                _ => break false,
            },
            () = &mut stop => break true,
        }
    };
    if stopped {
        // Every connection closes with 1001; their close events keep coming meanwhile.
        super::serve::drain_during(server.shutdown(), &mut events, |batch| {
            printer.print(batch);
        })
        .await;
    } else {
        drop(server);
    }
    printer.flush();
    printer.save_all();
    Ok(Outcome::Success)
}

/// The proxy's settings from the flags.
fn config(args: &ProxyArgs) -> Result<ProxyConfig, String> {
    let upstream = url::Url::parse(&args.upstream)
        .map_err(|error| format!("--upstream {:?} is not a URL: {error}", args.upstream))?;
    if !matches!(upstream.scheme(), "ws" | "wss") || upstream.host_str().is_none() {
        return Err(format!(
            "--upstream {:?} must be a ws:// or wss:// URL with a host",
            args.upstream
        ));
    }
    if let Some(path) = &args.record {
        let parent = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => std::path::PathBuf::from("."),
        };
        if !parent.is_dir() {
            return Err(format!(
                "--record {}: the folder {} does not exist",
                path.display(),
                parent.display()
            ));
        }
    }
    let add_headers = args
        .headers
        .iter()
        .map(|header| parse_header(header))
        .collect::<Result<_, _>>()?;
    Ok(ProxyConfig {
        listen: args.listen,
        upstream,
        add_headers,
        strip_headers: args.strip_headers.clone(),
        tls: listen_tls(args.cert.as_deref(), args.key.as_deref())?,
    })
}

/// The listening side's TLS from `--cert` and `--key` (clap makes sure both or neither).
pub(super) fn listen_tls(
    cert: Option<&std::path::Path>,
    key: Option<&std::path::Path>,
) -> Result<Option<ListenTls>, String> {
    match (cert, key) {
        (Some(cert), Some(key)) => ListenTls::load(cert, key)
            .map(Some)
            .map_err(|error| format!("--cert/--key: {error}")),
        (None, None) => Ok(None),
        _ => Err("--cert and --key go together".into()),
    }
}

/// `Name: value` → (`Name`, `value`).
fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("--header {text:?} is not `Name: value`"))?;
    let name = name.trim();
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid_name || value.contains(['\r', '\n']) {
        return Err(format!("--header {text:?} is not `Name: value`"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// Lines waiting in [`Printer`]'s buffer past this many bytes are written out.
const WRITE_AT: usize = 64 << 10;

/// A line buffer grown past this (by a large message) is given back once written out.
const KEEP_BUFFER: usize = 4 << 20;

/// Prints events as JSON lines, each connection redacted with what its requests showed.
struct Printer {
    /// What every connection's redaction starts from (the added headers' secrets).
    base: Redactor,
    /// Each live connection's redaction and how many of its legs are still open.
    connections: HashMap<u64, Live>,
    /// Where `--record` saves the connections.
    recorder: Option<ProxyRecorder>,
    seq: u64,
    /// Message lines, written without building a JSON value.
    messages: MessageLines,
    /// Lines not written out yet: written once [`WRITE_AT`] bytes wait, and by
    /// [`Printer::flush`] (once no more events wait).
    pending: Vec<u8>,
    /// Where lines go: stdout without std's line buffer (see [`raw_stdout`]).
    stdout: Box<dyn Write>,
}

impl Printer {
    fn new(added: &[(String, String)], upstream: &str) -> Self {
        let mut base = Redactor::default();
        base.add_url(upstream);
        for (name, value) in added {
            base.add_header(name, value);
        }
        Self {
            base,
            connections: HashMap::new(),
            recorder: None,
            seq: 0,
            messages: MessageLines::default(),
            pending: Vec::with_capacity(2 * WRITE_AT),
            stdout: raw_stdout(),
        }
    }

    /// Writes out the lines printed so far; false once nobody reads stdout any more.
    fn flush(&mut self) -> bool {
        self.write_out() && self.stdout.flush().is_ok()
    }

    /// Writes the waiting lines to stdout; false once nobody reads it any more.
    fn write_out(&mut self) -> bool {
        write_out(&mut self.pending, &mut *self.stdout).is_ok()
    }

    /// Prints a batch of one connection's events (see [`Printer::flush`]); false once
    /// nobody reads stdout any more.
    fn print(&mut self, batch: &EventBatch) -> bool {
        let base = &self.base;
        let live = self.connections.entry(batch.conn).or_insert_with(|| {
            let mut redactor = base.clone();
            for (name, value) in &batch.request.headers {
                redactor.add_header(name, value);
            }
            Live {
                redactor,
                open_legs: 2,
                request: Arc::clone(&batch.request),
            }
        });
        let mut finished = false;
        for (leg, event) in &batch.events {
            live.redactor.learn(&event.kind);
            let tag = LineTag {
                seq: self.seq,
                conn: batch.conn,
                leg: Some(*leg),
            };
            let stdout = &mut *self.stdout;
            // A large text's clean runs go from the payload straight to stdout.
            let direct = |pending: &mut Vec<u8>, run: &[u8]| {
                write_out(pending, stdout)?;
                stdout.write_all(run)
            };
            let line = Line {
                redactor: &live.redactor,
                event,
                tag,
            };
            if write_line_runs(
                &mut self.pending,
                &mut self.messages,
                line,
                DIRECT_RUN,
                direct,
            )
            .is_err()
            {
                return false;
            }
            self.seq += 1;
            if let Some(recorder) = &mut self.recorder {
                recorder.event(batch.conn, *leg, event);
            }
            if matches!(event.kind, EventKind::Close(_)) {
                live.open_legs = live.open_legs.saturating_sub(1);
                finished |= live.open_legs == 0;
            }
            if self.pending.len() >= WRITE_AT
                && write_out(&mut self.pending, &mut *self.stdout).is_err()
            {
                return false;
            }
        }
        if finished {
            let finished = self.connections.remove(&batch.conn);
            if let (Some(recorder), Some(live)) = (&mut self.recorder, finished) {
                let saved = recorder.finish(batch.conn, &live.request, &live.redactor);
                report_save(saved);
            }
        }
        true
    }

    /// Saves the recording with the connections still going, as far as they got.
    fn save_all(&mut self) {
        let Some(recorder) = &mut self.recorder else {
            return;
        };
        let mut live: Vec<_> = self
            .connections
            .drain()
            .map(|(conn, live)| (conn, (*live.request).clone(), live.redactor))
            .collect();
        live.sort_by_key(|(conn, _, _)| *conn);
        report_save(recorder.save_all(&live));
    }
}

/// A run of a text at least this long that needs no escape is written to stdout from the
/// payload itself rather than copied into the line buffer first.
const DIRECT_RUN: usize = 32 << 10;

/// Stdout written straight with `write(2)` (a duplicate of its descriptor, sharing its
/// offset): the printer buffers lines itself, and std's line buffer would look for the
/// last newline in everything written through it (all of a 1 MiB text written straight
/// from the payload). Std's locked stdout where the descriptor cannot be duplicated.
fn raw_stdout() -> Box<dyn Write> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(std::fs::File::from(fd));
        }
    }
    Box::new(std::io::stdout().lock())
}

/// Writes the waiting lines `pending` to stdout (an error once nobody reads it any more).
fn write_out(pending: &mut Vec<u8>, stdout: &mut dyn Write) -> std::io::Result<()> {
    let written = stdout.write_all(pending);
    pending.clear();
    if pending.capacity() > KEEP_BUFFER {
        *pending = Vec::with_capacity(2 * WRITE_AT);
    }
    written
}

/// A connection whose legs are not both closed yet.
struct Live {
    redactor: Redactor,
    open_legs: u8,
    request: Arc<RequestHead>,
}

/// One event to print, and how.
#[derive(Clone, Copy)]
struct Line<'a> {
    redactor: &'a Redactor,
    event: &'a Event,
    tag: LineTag,
}

/// Appends one event's line, redacted: `connect`'s shape with `seq` replaced by the
/// proxy's running number, then `"conn"` and `"leg"`. Message lines are written directly
/// ([`MessageLines`]); the rarer events through their JSON value.
#[cfg(test)]
fn write_line(
    out: &mut Vec<u8>,
    messages: &mut MessageLines,
    redactor: &Redactor,
    event: &Event,
    tag: LineTag,
) {
    let copy = |out: &mut Vec<u8>, run: &[u8]| {
        out.extend_from_slice(run);
        Ok::<(), std::convert::Infallible>(())
    };
    let line = Line {
        redactor,
        event,
        tag,
    };
    // Copying cannot fail.
    let _ = write_line_runs(out, messages, line, usize::MAX, copy);
}

/// [`write_line`], except that the runs of at least `direct` bytes of a message's text
/// that need no escape go to `run` (see [`MessageLines::begin_runs`]).
fn write_line_runs<E>(
    out: &mut Vec<u8>,
    messages: &mut MessageLines,
    line: Line<'_>,
    direct: usize,
    run: impl FnMut(&mut Vec<u8>, &[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let Line {
        redactor,
        event,
        tag,
    } = line;
    // The fast writer knows message lines without a wire form (the relay's legs report
    // messages, never their compressed bytes); anything else takes the JSON value.
    if let Some(written) = write_message(out, messages, redactor, event, tag, direct, run) {
        return written;
    }
    let line = value_line(redactor, event, tag);
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &line);
    out.push(b'\n');
    Ok(())
}

/// One event's line as a JSON value (see [`write_line`]).
pub(super) fn value_line(redactor: &Redactor, event: &Event, tag: LineTag) -> Value {
    let mut line = redactor.json_line(event);
    if let Value::Object(map) = &mut line {
        map.insert("seq".into(), json!(tag.seq));
        map.insert("conn".into(), json!(tag.conn));
        if let Some(leg) = tag.leg {
            map.insert("leg".into(), json!(leg.as_str()));
        }
    }
    line
}

/// A failed save is said on stderr; the proxy goes on.
fn report_save(saved: Result<(), FileError>) {
    if let Err(error) = saved {
        eprintln!("sockscope proxy: --record: {error}");
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use bytes::Bytes;

    use super::*;
    use crate::engine::{Direction, Leg, Payload};

    #[test]
    fn headers_are_name_colon_value() {
        assert_eq!(
            parse_header("X-Trace:  abc ").unwrap(),
            ("X-Trace".to_string(), "abc".to_string())
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("Bad Name: x").is_err());
        assert!(parse_header("X: a\r\nInjected: b").is_err());
    }

    /// A message event as a relay reports it.
    fn message(dir: Direction, payload: Payload, offset_micros: u64) -> Event {
        let offset = Duration::from_micros(offset_micros);
        Event {
            wire: None,
            seq: 3,
            wall_time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_599_725) + offset,
            offset,
            kind: EventKind::Message { dir, payload },
        }
    }

    #[test]
    fn message_lines_are_the_bytes_the_json_value_gives() {
        let mut secrets = Redactor::default();
        secrets.add_header("Authorization", "Bearer tok-123456");
        secrets.add_header("Cookie", "sid=abc; theme=dark");
        let redactors = [Redactor::default(), secrets];
        let payloads = [
            Payload::Text("".into()),
            Payload::Text("x".repeat(100).into()),
            Payload::Text("{\"token\":\"tok-123456\",\"n\":1}".into()),
            Payload::Text("tok-123456 twice tok-123456, dark and abc are short".into()),
            Payload::Text("quotes \" \\ \n\r\t\u{0}\u{1b}\u{7f} é 日本語 🦀 \u{2028}".into()),
            Payload::Text("Bearer tok-123456".into()),
            Payload::Binary(Bytes::new()),
            Payload::Binary(Bytes::from_static(b"\x00\xff\x80 tok-123456 \x01")),
            Payload::Binary(Bytes::from((0..=255u8).collect::<Vec<u8>>())),
        ];
        let mut messages = MessageLines::default();
        let mut checked = 0;
        for redactor in &redactors {
            for payload in &payloads {
                for dir in [Direction::In, Direction::Out] {
                    for (at, offset) in [0, 1, 999, 1_000, 1_234_567, 86_400_000_001]
                        .into_iter()
                        .enumerate()
                    {
                        let event = message(dir, payload.clone(), offset);
                        let tag = LineTag {
                            seq: at as u64 * 1_000_003,
                            conn: at as u64 + 1,
                            leg: Some(if at % 2 == 0 {
                                Leg::Client
                            } else {
                                Leg::Upstream
                            }),
                        };
                        let mut fast = Vec::new();
                        write_line(&mut fast, &mut messages, redactor, &event, tag);
                        let slow = format!("{}\n", value_line(redactor, &event, tag));
                        assert_eq!(String::from_utf8(fast).unwrap(), slow);
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 2 * 9 * 2 * 6);
        // The redacted ones say so, with the size on the wire.
        let event = message(Direction::In, payloads[2].clone(), 0);
        let tag = LineTag {
            seq: 0,
            conn: 1,
            leg: Some(Leg::Client),
        };
        let mut line = Vec::new();
        write_line(&mut line, &mut messages, &redactors[1], &event, tag);
        let line: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(line["text"], "{\"token\":\"[redacted]\",\"n\":1}");
        assert_eq!(line["len"], 28);
        assert_eq!(line["redacted"], true);
    }

    #[test]
    fn long_clean_runs_written_straight_out_make_the_same_bytes() {
        let mut secrets = Redactor::default();
        secrets.add_header("Authorization", "Bearer tok-123456");
        let big = format!(
            "{}\"quoted\"\n{}tok-123456{}",
            "x".repeat(70_000),
            "é".repeat(40_000),
            "y".repeat(5)
        );
        let payloads = [
            Payload::Text(big.clone().into()),
            Payload::Text("short \" one".into()),
            Payload::Text("z".repeat(DIRECT_RUN).into()),
            Payload::Binary(Bytes::from(big.clone().into_bytes())),
        ];
        let mut messages = MessageLines::default();
        for redactor in [Redactor::default(), secrets] {
            for payload in &payloads {
                let event = message(Direction::In, payload.clone(), 1_234);
                let tag = LineTag {
                    seq: 5,
                    conn: 2,
                    leg: Some(Leg::Upstream),
                };
                let mut copied = Vec::new();
                write_line(&mut copied, &mut messages, &redactor, &event, tag);
                // As the printer writes: the buffer so far, then the run from the payload.
                let (mut stdout, mut pending, mut runs) = (Vec::new(), Vec::new(), 0);
                let line = Line {
                    redactor: &redactor,
                    event: &event,
                    tag,
                };
                let direct = |pending: &mut Vec<u8>, run: &[u8]| {
                    stdout.append(pending);
                    stdout.extend_from_slice(run);
                    runs += 1;
                    Ok::<(), ()>(())
                };
                write_line_runs(&mut pending, &mut messages, line, DIRECT_RUN, direct).unwrap();
                stdout.append(&mut pending);
                assert_eq!(
                    String::from_utf8(stdout).unwrap(),
                    String::from_utf8(copied).unwrap()
                );
                let long_text = matches!(payload, Payload::Text(text) if text.len() >= DIRECT_RUN);
                assert_eq!(runs > 0, long_text, "{runs} runs written straight out");
            }
        }
    }

    #[test]
    fn other_events_are_written_through_their_json_value() {
        let event = Event {
            wire: None,
            seq: 0,
            wall_time: SystemTime::UNIX_EPOCH,
            offset: Duration::ZERO,
            kind: EventKind::Ping {
                dir: Direction::In,
                payload: Bytes::from_static(b"hi"),
            },
        };
        let tag = LineTag {
            seq: 9,
            conn: 2,
            leg: Some(Leg::Upstream),
        };
        let mut line = Vec::new();
        write_line(
            &mut line,
            &mut MessageLines::default(),
            &Redactor::default(),
            &event,
            tag,
        );
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "{\"seq\":9,\"t_ms\":0.0,\"event\":\"ping\",\"time\":\"1970-01-01T00:00:00.000000Z\",\
             \"dir\":\"in\",\"len\":2,\"hex\":\"6869\",\"conn\":2,\"leg\":\"upstream\"}\n"
        );
    }
}

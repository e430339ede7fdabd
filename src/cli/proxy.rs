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
use super::proxy_args::ProxyArgs;
use super::proxy_record::ProxyRecorder;
use crate::engine::EventKind;
use crate::model::redact::Redactor;
use crate::model::storage::FileError;
use crate::proxy::request_head::RequestHead;
use crate::proxy::{self, ListenTls, ProxyConfig, ProxyEvent};

/// Events waiting to be printed; past it the relays wait for the printer.
const EVENT_QUEUE: usize = 256;

/// Checks the flags, starts the proxy and prints its events until told to stop.
pub async fn run(args: &ProxyArgs) -> Result<Outcome, CliError> {
    let config = config(args).map_err(|error| CliError::usage("proxy: ", error))?;
    let (sender, mut events) = mpsc::channel(EVENT_QUEUE);
    let added = config.add_headers.clone();
    let recorder_config = config.clone();
    let server = proxy::start(config, sender)
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
            event = events.recv() => match event {
                Some(event) if printer.print(&event) && (!events.is_empty() || printer.flush()) => {}
                _ => break false,
            },
            () = &mut stop => break true,
        }
    };
    if stopped {
        // Every connection closes with 1001; their close events keep coming meanwhile.
        let shutdown = server.shutdown();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                Some(event) = events.recv() => {
                    printer.print(&event);
                }
            }
        }
        while let Ok(event) = events.try_recv() {
            printer.print(&event);
        }
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

/// Prints events as JSON lines, each connection redacted with what its requests showed.
struct Printer {
    /// What every connection's redaction starts from (the added headers' secrets).
    base: Redactor,
    /// Each live connection's redaction and how many of its legs are still open.
    connections: HashMap<u64, Live>,
    /// Where `--record` saves the connections.
    recorder: Option<ProxyRecorder>,
    seq: u64,
    /// Written line by line, flushed by [`Printer::flush`] (once no more events wait).
    stdout: std::io::BufWriter<std::io::StdoutLock<'static>>,
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
            stdout: std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock()),
        }
    }

    /// Writes out the lines printed so far; false once nobody reads stdout any more.
    fn flush(&mut self) -> bool {
        self.stdout.flush().is_ok()
    }

    /// Prints one event (see [`Printer::flush`]); false once nobody reads stdout any more.
    fn print(&mut self, event: &ProxyEvent) -> bool {
        let base = &self.base;
        let live = self.connections.entry(event.conn).or_insert_with(|| {
            let mut redactor = base.clone();
            for (name, value) in &event.request.headers {
                redactor.add_header(name, value);
            }
            Live {
                redactor,
                open_legs: 2,
                request: Arc::clone(&event.request),
            }
        });
        live.redactor.learn(&event.event.kind);
        let mut line = live.redactor.json_line(&event.event);
        if let Value::Object(map) = &mut line {
            map.insert("seq".into(), json!(self.seq));
            map.insert("conn".into(), json!(event.conn));
            map.insert("leg".into(), json!(event.leg.as_str()));
        }
        self.seq += 1;
        if let Some(recorder) = &mut self.recorder {
            recorder.event(event);
        }
        if matches!(event.event.kind, EventKind::Close(_)) {
            live.open_legs = live.open_legs.saturating_sub(1);
            if live.open_legs == 0 {
                let finished = self.connections.remove(&event.conn);
                if let (Some(recorder), Some(live)) = (&mut self.recorder, finished) {
                    let saved = recorder.finish(event.conn, &live.request, &live.redactor);
                    report_save(saved);
                }
            }
        }
        writeln!(self.stdout, "{line}").is_ok()
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

/// A connection whose legs are not both closed yet.
struct Live {
    redactor: Redactor,
    open_legs: u8,
    request: Arc<RequestHead>,
}

/// A failed save is said on stderr; the proxy goes on.
fn report_save(saved: Result<(), FileError>) {
    if let Err(error) = saved {
        eprintln!("sockscope proxy: --record: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

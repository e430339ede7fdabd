//! `sockscope sse`: an event stream (and its reconnects), every event printed as a JSON
//! line as it happens, then one `summary` line.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::json;

use super::args::SseArgs;
use super::error::{CliError, Outcome};
use super::output::JsonLines;
use crate::engine::{Auth, ConfigError, EventKind, HeaderEntry};
use crate::model::redact::Redactor;
use crate::sse::{SseConfig, SseHandle};

/// Builds the stream's configuration from the arguments, and the secrets `--auth` brought
/// (for the redaction step); a bad one is a usage error.
pub fn config_from(args: &SseArgs) -> Result<(SseConfig, Vec<String>), ConfigError> {
    let mut config = SseConfig::new(args.url.clone());
    let mut auth_secrets = Vec::new();
    config.headers = args
        .headers
        .iter()
        .map(|line| HeaderEntry::parse(line))
        .collect::<Result<_, _>>()?;
    for pair in &args.query {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(ConfigError::Url {
                url: pair.clone(),
                why: format!("--query {pair:?}: expected NAME=VALUE"),
            });
        };
        config.url = crate::format::query::append(&config.url, name, value);
    }
    if let Some(spec) = &args.auth {
        let auth = Auth::parse(spec)?;
        if let Some((name, value)) = auth.header() {
            // As in connect: the auth's header replaces a typed one of that name.
            config
                .headers
                .retain(|h| !h.name.trim().eq_ignore_ascii_case(&name));
            config.headers.push(HeaderEntry::new(name, value));
        }
        if let Some((name, value)) = auth.query() {
            config.url = crate::format::query::append(&config.url, name, value);
        }
        auth_secrets.extend(auth.secrets());
    }
    config.last_event_id.clone_from(&args.last_event_id);
    config.max_events = args.max_events;
    config.max_reconnects = args.max_reconnects;
    config.handshake_timeout = Duration::from_millis(args.timeout);
    config.reconnect_time = Duration::from_millis(args.retry);
    config.show_comments = args.show_comments;
    config.max_event_size = args.max_event_size;
    config.tls = args.transport.tls();
    config.proxy = args.transport.proxy();
    config.prepare()?;
    Ok((config, auth_secrets))
}

/// Runs the stream until it ends for good and returns the exit status: 0 for a normal end
/// (204, `--max-events` reached, Ctrl+C), 1 when it failed or gave up, 2 for a bad argument.
pub async fn run(args: &SseArgs) -> Result<Outcome, CliError> {
    let (config, auth_secrets) =
        config_from(args).map_err(|error| CliError::usage("sse: ", error))?;
    let mut handle =
        SseHandle::connect(&config, &tokio::runtime::Handle::current(), Arc::new(|| {}))
            .map_err(|error| CliError::usage("sse: ", error))?;
    // Every line goes through the stream's secrets (Authorization-like headers, URL
    // passwords).
    let mut redactor = Redactor::new();
    redactor.add_request(&config.url, &config.headers, &config.proxy, &[]);
    for secret in &auth_secrets {
        redactor.add_value(secret);
        redactor.add_value(&crate::format::query::encode(secret));
    }
    let mut out = JsonLines::stdout();
    let mut last_close: Option<SystemTime> = None;
    let mut interrupted = false;
    loop {
        tokio::select! {
            entry = handle.recv() => {
                let Some(entry) = entry else { break };
                let event = &entry.event;
                if let (EventKind::Connecting { .. }, Some(closed)) = (&event.kind, last_close) {
                    let waited = event.wall_time.duration_since(closed).unwrap_or_default();
                    out.line(&json!({
                        "event": "reconnecting",
                        "attempt": entry.attempt,
                        "delay_ms": waited.as_millis() as u64,
                        "last_event_id": redactor.text(&handle.stats().last_event_id),
                    }));
                }
                if let EventKind::Close(_) = event.kind {
                    last_close = Some(event.wall_time);
                }
                let mut line = redactor.json_line(event);
                out.number(&mut line, entry.attempt);
                if !out.line(&line) {
                    // Nobody reads our output any more: stop without printing.
                    handle.close();
                }
            }
            _ = tokio::signal::ctrl_c(), if !interrupted => {
                interrupted = true;
                handle.close();
            }
        }
    }
    let stats = handle.stats();
    out.line(&json!({
        "event": "summary",
        "attempts": stats.attempts,
        "events": stats.events,
        "comments": stats.comments,
        "last_event_id": redactor.text(&stats.last_event_id),
        "reconnection_time_ms": stats.reconnection_time.as_millis() as u64,
        "end": stats.end.map(|end| end.as_str()),
    }));
    Ok(if stats.end.is_some_and(|end| end.is_normal()) {
        Outcome::Success
    } else {
        Outcome::Failed
    })
}

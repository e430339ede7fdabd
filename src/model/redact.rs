//! The one redaction step every path out of Sockscope goes through: session files, HAR,
//! JSON lines (the command line's output and the window's export), the row menu's copies,
//! "Copy tab as command line" and error text.
//!
//! A [`Redactor`] knows a connection's secrets:
//! - the values of Authorization-like request headers (see [`is_sensitive_header`]), and
//!   of headers the user marked Secret (`--secret` on the command line);
//! - every value that came from a `{{env.NAME}}` expansion ([`recording_env`] wraps the
//!   environment lookup at connect or send time to learn them);
//! - the password of URL userinfo (`ws://user:pass@host`, `http://user:pass@proxy`).
//!
//! What it does to an event ([`Redactor::event`]): the values of sensitive headers (request,
//! response and a refused handshake's) become [`MARKER`]; every known secret value is
//! replaced by [`MARKER`] wherever it appears as text or as bytes (UTF-8) in URLs, payloads
//! (text and binary), pings, close reasons, error messages, a refused handshake's body and
//! Server-Sent Events; and any `scheme://user:password@` in a URL or an error message keeps
//! its user but not its password (`http://user:[redacted]@host`).
//!
//! Values shorter than [`MIN_SECRET_LEN`] bytes are redacted where they are a sensitive
//! header's whole value, but not searched for in other text (an environment value `1`
//! would otherwise redact every digit 1). The marker is always the same text, so a
//! redacted export is stable: the same events give the same bytes.

use std::borrow::Cow;
use std::cell::RefCell;

use bytes::Bytes;
use memchr::memmem;

use super::session::SecretHeader;
use super::timeline::TimelineEntry;
use crate::engine::proxy::ProxyMode;
use crate::engine::{Auth, KeyPlace};
use crate::engine::{
    ConnectionConfig, ErrorInfo, Event, EventKind, HeaderEntry, HttpRejection, OpenInfo, Payload,
    ScriptNote, SseEvent, SseMessage,
};
use crate::format::event_json::event_json;
use crate::format::hex::to_hex;
use crate::format::userinfo::{percent_decode, userinfo_password};
use crate::format::variables;

pub use crate::format::userinfo::{MARKER, hide_passwords};

/// Secret values shorter than this (in bytes) are not searched for in free text.
pub const MIN_SECRET_LEN: usize = 4;

/// Request and response headers whose values are always secret (names compared without
/// regard to case). Besides these, any header whose name contains `token`, `secret`,
/// `password`, `passwd`, `api-key`, `apikey`, `api_key` or `session` is secret too.
pub const SENSITIVE_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "x-auth",
    "x-auth-token",
    "x-access-token",
    "x-csrf-token",
    "x-xsrf-token",
    "x-amz-security-token",
];

/// Parts of header names that make a header secret.
const SENSITIVE_NAME_PARTS: &[&str] = &[
    "token", "secret", "password", "passwd", "api-key", "apikey", "api_key", "session",
];

/// Whether a header's value is a credential: one of [`SENSITIVE_HEADERS`], or a name with
/// `token`, `secret`, `password`, `passwd`, `api-key`, `apikey`, `api_key` or `session` in it.
pub fn is_sensitive_header(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    SENSITIVE_HEADERS.contains(&name.as_str())
        || SENSITIVE_NAME_PARTS.iter().any(|part| name.contains(part))
}

/// The connection's secrets, and the redaction of everything that leaves the program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Redactor {
    /// Secret values, longest first, without duplicates.
    values: Vec<String>,
    /// Header names (lower-case) marked secret besides the sensitive ones.
    names: Vec<String>,
}

/// A redactor that knows no secret values (sensitive header names and URL passwords are
/// still redacted).
pub static NO_SECRETS: Redactor = Redactor::new();

impl Redactor {
    /// A redactor that knows no secret values yet.
    pub const fn new() -> Self {
        Self {
            values: Vec::new(),
            names: Vec::new(),
        }
    }

    /// True when no secret value is known.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Remembers a secret value (surrounding spaces ignored; an empty one is ignored).
    pub fn add_value(&mut self, value: &str) {
        let value = value.trim();
        if value.is_empty() || value == MARKER || self.values.iter().any(|v| v == value) {
            return;
        }
        self.values.push(value.to_owned());
        self.values
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    /// True when [`Redactor::add_value`] would add nothing for `value`: it is known, empty
    /// or the marker itself.
    pub fn knows(&self, value: &str) -> bool {
        let value = value.trim();
        value.is_empty() || value == MARKER || self.values.iter().any(|v| v == value)
    }

    /// Marks header `name` secret (besides the [`is_sensitive_header`] ones).
    pub fn add_secret_name(&mut self, name: &str) {
        let name = name.trim().to_ascii_lowercase();
        if !name.is_empty() && !self.names.contains(&name) {
            self.names.push(name);
        }
    }

    /// Everything `other` knows, added to this one.
    pub fn merge(&mut self, other: &Redactor) {
        for value in &other.values {
            self.add_value(value);
        }
        for name in &other.names {
            self.add_secret_name(name);
        }
    }

    /// Whether header `name`'s value is secret here.
    pub fn is_secret_header(&self, name: &str) -> bool {
        is_sensitive_header(name)
            || self
                .names
                .iter()
                .any(|secret| secret.eq_ignore_ascii_case(name.trim()))
    }

    /// Learns a header sent or received: a secret header's value, the credential after its
    /// scheme (`Bearer abc` → `abc`) and each cookie's value.
    pub fn add_header(&mut self, name: &str, value: &str) {
        if !self.is_secret_header(name) || variables::has_variables(value) {
            return;
        }
        self.add_value(value);
        if let Some((_, credential)) = value.trim().split_once(' ') {
            self.add_value(credential);
        }
        let lower = name.trim().to_ascii_lowercase();
        if lower == "cookie" || lower == "set-cookie" {
            for pair in value.split(';') {
                if let Some((_, cookie)) = pair.split_once('=') {
                    self.add_value(cookie);
                }
            }
        }
    }

    /// Learns the password of a URL's userinfo (as written and percent-decoded).
    pub fn add_url(&mut self, url: &str) {
        if let Some(password) = userinfo_password(url) {
            self.add_value(password);
            if let Some(decoded) = percent_decode(password) {
                self.add_value(&decoded);
            }
        }
    }

    /// Learns what a connection is made with (after its variables were expanded): the
    /// URL's password, the proxy's, and the values of secret headers (sensitive names and
    /// the names in `secret_headers`).
    pub fn add_request(
        &mut self,
        url: &str,
        headers: &[HeaderEntry],
        proxy: &ProxyMode,
        secret_headers: &[SecretHeader],
    ) {
        for secret in secret_headers {
            self.add_secret_name(&secret.name);
        }
        self.add_url(url);
        if let ProxyMode::Url(proxy) = proxy {
            self.add_url(proxy);
        }
        for header in headers {
            self.add_header(&header.name, &header.value);
        }
    }

    /// [`Redactor::add_request`] for a WebSocket config.
    pub fn add_config(&mut self, config: &ConnectionConfig, secret_headers: &[SecretHeader]) {
        self.add_request(&config.url, &config.headers, &config.proxy, secret_headers);
        for secret in config
            .auth
            .secrets()
            .into_iter()
            .chain(config.protocol.secrets())
        {
            if !variables::has_variables(&secret) {
                self.add_value(&secret);
                // As it shows in a URL's query.
                self.add_value(&crate::format::query::encode(&secret));
            }
        }
        if let Auth::ApiKey {
            name,
            place: KeyPlace::Header,
            ..
        } = &config.auth
        {
            self.add_secret_name(name);
        }
    }

    /// Learns the secret header values an event shows (the request headers of an open
    /// event), so that a timeline recorded elsewhere is scrubbed of its own credentials.
    pub fn learn(&mut self, event: &EventKind) {
        if let EventKind::Open(open) = event {
            for (name, value) in &open.request_headers {
                self.add_header(name, value);
            }
        }
    }

    /// This redactor plus what `entries` show ([`Redactor::learn`]).
    pub fn learned_from(&self, entries: &[TimelineEntry]) -> Redactor {
        let mut redactor = self.clone();
        for entry in entries {
            redactor.learn(&entry.event.kind);
        }
        redactor
    }

    /// `text` with every known secret value replaced by [`MARKER`].
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for value in self.searchable() {
            if out.contains(value) {
                out = Cow::Owned(out.replace(value, MARKER));
            }
        }
        out
    }

    /// `bytes` with every known secret value's UTF-8 bytes replaced by [`MARKER`]; `None`
    /// when none was there.
    pub fn bytes(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let mut out: Option<Vec<u8>> = None;
        for value in self.searchable() {
            let current = out.as_deref().unwrap_or(bytes);
            if memmem::find(current, value.as_bytes()).is_none() {
                continue;
            }
            let mut replaced = Vec::with_capacity(current.len());
            let mut rest = current;
            while let Some(at) = memmem::find(rest, value.as_bytes()) {
                replaced.extend_from_slice(&rest[..at]);
                replaced.extend_from_slice(MARKER.as_bytes());
                rest = &rest[at + value.len()..];
            }
            replaced.extend_from_slice(rest);
            out = Some(replaced);
        }
        out
    }

    /// A URL or a message quoting URLs: passwords of userinfo hidden, then secret values.
    pub fn url<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match hide_passwords(text) {
            Cow::Borrowed(text) => self.text(text),
            Cow::Owned(hidden) => Cow::Owned(self.text(&hidden).into_owned()),
        }
    }

    /// Headers with secret headers' values replaced by [`MARKER`] and secret values in the
    /// others redacted; `None` when nothing changed.
    pub fn headers(&self, headers: &[(String, String)]) -> Option<Vec<(String, String)>> {
        let mut changed = false;
        let redacted = headers
            .iter()
            .map(|(name, value)| {
                let new = if self.is_secret_header(name) && !value.trim().is_empty() {
                    MARKER.to_owned()
                } else {
                    self.url(value).into_owned()
                };
                changed |= new != *value;
                (name.clone(), new)
            })
            .collect();
        changed.then_some(redacted)
    }

    /// The event as it may leave the program; `None` when redaction changes nothing (use
    /// the event as it is).
    pub fn event(&self, event: &Event) -> Option<Event> {
        let kind = self.kind(&event.kind)?;
        Some(Event {
            // The wire size stays; compressed bytes would carry the secret in another form.
            wire: event.wire.as_ref().map(|wire| {
                Box::new(crate::engine::WireForm {
                    size: wire.size,
                    bytes: None,
                })
            }),
            kind,
            ..event.clone()
        })
    }

    /// The event's JSON line object (as the command line prints it, see [`event_json`]),
    /// redacted. A line that redaction changed says `"redacted": true`; its `len` stays the
    /// size on the wire.
    pub fn json_line(&self, event: &Event) -> serde_json::Value {
        let Some(redacted) = self.event(event) else {
            return event_json(event);
        };
        let mut line = event_json(&redacted);
        if let Some(fields) = line.as_object_mut() {
            if fields.contains_key("len") {
                let len = match &event.kind {
                    EventKind::Message { payload, .. } => payload.len(),
                    EventKind::Ping { payload, .. } | EventKind::Pong { payload, .. } => {
                        payload.len()
                    }
                    _ => 0,
                };
                fields.insert("len".into(), len.into());
            }
            fields.insert("redacted".into(), true.into());
        }
        line
    }

    /// A message's payload as it may leave the program (every known secret value, as text
    /// or as UTF-8 bytes, replaced by [`MARKER`]); `None` when redaction changes nothing.
    /// [`Redactor::event`] does this to a message event's payload.
    pub fn payload(&self, payload: &Payload) -> Option<Payload> {
        match payload {
            Payload::Text(text) => match self.text(text.as_str()) {
                Cow::Owned(text) => Some(Payload::Text(text.into())),
                Cow::Borrowed(_) => None,
            },
            Payload::Binary(bytes) => Some(Payload::Binary(Bytes::from(self.bytes(bytes)?))),
        }
    }

    /// Redacts every string in a JSON value in place (known secret values, as text and as
    /// lower-case hex, and URL passwords): for lines built from several events, such as
    /// `replay`'s summary.
    pub fn json_strings(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => {
                if let Cow::Owned(redacted) = self.url(text) {
                    *text = redacted;
                }
                for secret in self.searchable() {
                    let hex = to_hex(secret.as_bytes());
                    if text.contains(&hex) {
                        *text = text.replace(&hex, &to_hex(MARKER.as_bytes()));
                    }
                }
            }
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|item| self.json_strings(item));
            }
            serde_json::Value::Object(fields) => {
                fields.values_mut().for_each(|item| self.json_strings(item));
            }
            _ => {}
        }
    }

    /// Every entry redacted (after learning what they show, see
    /// [`Redactor::learned_from`]).
    pub fn entries(&self, entries: &[TimelineEntry]) -> Vec<TimelineEntry> {
        let redactor = self.learned_from(entries);
        entries
            .iter()
            .map(|entry| TimelineEntry {
                attempt: entry.attempt,
                event: redactor
                    .event(&entry.event)
                    .unwrap_or_else(|| entry.event.clone()),
                leg: entry.leg,
            })
            .collect()
    }

    fn kind(&self, kind: &EventKind) -> Option<EventKind> {
        match kind {
            EventKind::Connecting { url } => match self.url(url) {
                Cow::Owned(url) => Some(EventKind::Connecting { url }),
                Cow::Borrowed(_) => None,
            },
            EventKind::Open(open) => self.open(open).map(EventKind::open),
            EventKind::Message { dir, payload } => Some(EventKind::Message {
                dir: *dir,
                payload: self.payload(payload)?,
            }),
            EventKind::Ping { dir, payload } => Some(EventKind::Ping {
                dir: *dir,
                payload: Bytes::from(self.bytes(payload)?),
            }),
            EventKind::Pong { dir, payload, auto } => Some(EventKind::Pong {
                dir: *dir,
                payload: Bytes::from(self.bytes(payload)?),
                auto: *auto,
            }),
            EventKind::Error(error) => self.error(error).map(EventKind::error),
            EventKind::Close(close) => match self.text(&close.reason) {
                Cow::Owned(reason) => {
                    let mut close = (**close).clone();
                    close.reason = reason;
                    Some(EventKind::close(close))
                }
                Cow::Borrowed(_) => None,
            },
            EventKind::Sse(SseEvent::Message(message)) => self
                .sse(message)
                .map(|message| EventKind::Sse(SseEvent::Message(Box::new(message)))),
            EventKind::Sse(SseEvent::Comment(text)) => match self.text(text) {
                Cow::Owned(text) => Some(EventKind::Sse(SseEvent::Comment(text))),
                Cow::Borrowed(_) => None,
            },
            // It holds neither the client secret nor the token; an endpoint's error text
            // may echo what it was sent.
            EventKind::Token(token) => {
                let url = self.url(&token.url);
                let error = match &token.answer {
                    Err(error) => self.text(error),
                    Ok(_) => Cow::Borrowed(""),
                };
                if matches!((&url, &error), (Cow::Borrowed(_), Cow::Borrowed(_))) {
                    return None;
                }
                let mut redacted = (**token).clone();
                redacted.url = url.into_owned();
                if let Cow::Owned(error) = error {
                    redacted.answer = Err(error);
                }
                Some(EventKind::Token(Box::new(redacted)))
            }
            // What a script logs may hold a secret it read from a message.
            EventKind::Script(note) => {
                let redact = |text: &String| match self.text(text) {
                    Cow::Owned(text) => Some(text),
                    Cow::Borrowed(_) => None,
                };
                let redacted = match &**note {
                    ScriptNote::Log(text) => ScriptNote::Log(redact(text)?),
                    ScriptNote::Error(text) => ScriptNote::Error(redact(text)?),
                    ScriptNote::Test {
                        name,
                        passed,
                        message,
                    } => {
                        let new_name = redact(name);
                        let new_message = message.as_ref().and_then(redact);
                        if new_name.is_none() && new_message.is_none() {
                            return None;
                        }
                        ScriptNote::Test {
                            name: new_name.unwrap_or_else(|| name.clone()),
                            passed: *passed,
                            message: new_message.or_else(|| message.clone()),
                        }
                    }
                };
                Some(EventKind::Script(Box::new(redacted)))
            }
            // Its cause, size and type only: nothing to redact.
            EventKind::Dropped(_) => None,
        }
    }

    fn open(&self, open: &OpenInfo) -> Option<OpenInfo> {
        let request = self.headers(&open.request_headers);
        let response = self.headers(&open.response_headers);
        let subprotocol = self.optional(open.subprotocol.as_deref());
        if request.is_none() && response.is_none() && subprotocol.is_none() {
            return None;
        }
        let mut redacted = open.clone();
        if let Some(request) = request {
            redacted.request_headers = request;
        }
        if let Some(response) = response {
            redacted.response_headers = response;
        }
        if let Some(subprotocol) = subprotocol {
            redacted.subprotocol = Some(subprotocol);
        }
        Some(redacted)
    }

    fn error(&self, error: &ErrorInfo) -> Option<ErrorInfo> {
        let message = self.url(&error.message);
        let http = error.http.as_ref().and_then(|http| {
            let headers = self.headers(&http.headers);
            let body = self.bytes(&http.body);
            (headers.is_some() || body.is_some()).then(|| HttpRejection {
                status: http.status,
                headers: headers.unwrap_or_else(|| http.headers.clone()),
                body: body.map_or_else(|| http.body.clone(), Bytes::from),
            })
        });
        if matches!(message, Cow::Borrowed(_)) && http.is_none() {
            return None;
        }
        Some(ErrorInfo {
            category: error.category,
            message: message.into_owned(),
            http: http.or_else(|| error.http.clone()),
        })
    }

    fn sse(&self, message: &SseMessage) -> Option<SseMessage> {
        let data = self.text(&message.data);
        let event_type = self.text(&message.event_type);
        let id = self.optional(message.id.as_deref());
        let last = self.text(&message.last_event_id);
        let unchanged = [&data, &event_type, &last]
            .iter()
            .all(|text| matches!(text, Cow::Borrowed(_)));
        if unchanged && id.is_none() {
            return None;
        }
        Some(SseMessage {
            event_type: event_type.into_owned(),
            data: data.into_owned(),
            id: id.or_else(|| message.id.clone()),
            // Shared with the other events when it did not change.
            last_event_id: match last {
                Cow::Borrowed(_) => message.last_event_id.clone(),
                Cow::Owned(last) => last.into(),
            },
            retry: message.retry,
        })
    }

    /// The redacted text of an optional field, when it changed.
    fn optional(&self, text: Option<&str>) -> Option<String> {
        match self.text(text?) {
            Cow::Owned(text) => Some(text),
            Cow::Borrowed(_) => None,
        }
    }

    /// The config as saved in a file (a session, the workspace) or copied: headers in
    /// `secret_headers` as their `{{env.NAME}}` reference; other secret headers whose value
    /// is written out (no `{{variable}}` in it) as [`MARKER`]; URL and proxy passwords
    /// hidden; known secret values redacted elsewhere in header values and the URL.
    pub fn config(
        &self,
        config: &ConnectionConfig,
        secret_headers: &[SecretHeader],
    ) -> ConnectionConfig {
        let mut saved = config.clone();
        saved.url = self.url(&config.url).into_owned();
        if let ProxyMode::Url(proxy) = &mut saved.proxy {
            *proxy = self.url(proxy).into_owned();
        }
        for header in &mut saved.headers {
            if let Some(secret) = secret_headers.iter().find(|s| s.matches(&header.name)) {
                header.value = secret.reference();
            } else if self.is_secret_header(&header.name)
                && !header.value.trim().is_empty()
                && !variables::has_variables(&header.value)
            {
                header.value = MARKER.to_owned();
            } else {
                header.value = self.text(&header.value).into_owned();
            }
        }
        // A typed password, token or key is never written; a `{{reference}}` is.
        saved.auth = config.auth.map(|text, secret| {
            if secret && !text.trim().is_empty() && !variables::has_variables(text) {
                MARKER.to_owned()
            } else {
                self.text(text).into_owned()
            }
        });
        saved
    }

    fn searchable(&self) -> impl Iterator<Item = &str> {
        self.values
            .iter()
            .map(String::as_str)
            .filter(|value| value.len() >= MIN_SECRET_LEN)
    }
}

/// Wraps an environment lookup so that every value it gives is remembered in `found`:
/// pass the result where the lookup went (`VarContext.env`, `resolve_config`), then merge
/// `found` into the tab's (or run's) redactor.
pub fn recording_env<'a>(
    found: &'a RefCell<Redactor>,
    lookup: &'a dyn Fn(&str) -> Option<String>,
) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        let value = lookup(name);
        if let Some(value) = &value {
            found.borrow_mut().add_value(value);
        }
        value
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn typed_auth_secrets_are_learned_and_never_saved_references_are() {
        let mut config = ConnectionConfig::new("ws://h/");
        config.auth = crate::engine::Auth::Basic {
            user: "ada".into(),
            password: "hunter2-long".into(),
        };
        let mut redactor = Redactor::new();
        redactor.add_config(&config, &[]);
        assert_eq!(
            redactor.text("pw hunter2-long, basic YWRhOmh1bnRlcjItbG9uZw=="),
            "pw [redacted], basic [redacted]"
        );
        let saved = redactor.config(&config, &[]);
        assert_eq!(
            saved.auth,
            crate::engine::Auth::Basic {
                user: "ada".into(),
                password: MARKER.into()
            }
        );
        config.auth = crate::engine::Auth::parse("header:X-Key:{{env.KEY}}").unwrap();
        let mut redactor = Redactor::new();
        redactor.add_config(&config, &[]);
        assert_eq!(redactor.config(&config, &[]).auth, config.auth);
        assert!(
            redactor.is_secret_header("x-key"),
            "the key's header is secret"
        );
    }

    use super::*;

    #[test]
    fn secret_values_are_replaced_in_text_and_bytes() {
        let mut redactor = Redactor::new();
        redactor.add_header("Authorization", "Bearer tok-123456");
        redactor.add_value("1");
        assert_eq!(
            redactor.text("echo: Bearer tok-123456 and tok-123456, 1"),
            "echo: [redacted] and [redacted], 1"
        );
        let bytes = redactor.bytes(b"\x00tok-123456\xff").unwrap();
        assert_eq!(bytes, b"\x00[redacted]\xff");
        assert_eq!(redactor.bytes(b"nothing"), None);
    }

    #[test]
    fn sensitive_headers_are_named_in_the_list_or_by_their_parts() {
        for name in [
            "Authorization",
            "COOKIE",
            "Set-Cookie",
            "X-Api-Key",
            "X-My-Token",
        ] {
            assert!(is_sensitive_header(name), "{name}");
        }
        for name in ["Sec-WebSocket-Key", "Accept", "X-Room"] {
            assert!(!is_sensitive_header(name), "{name}");
        }
    }

    #[test]
    fn json_lines_say_what_was_redacted_and_keep_the_size_on_the_wire() {
        use std::time::{Duration, SystemTime};

        use crate::engine::Direction;
        let found = RefCell::new(Redactor::new());
        let env = |name: &str| (name == "TOKEN").then(|| "env-secret-1".to_owned());
        let recording = recording_env(&found, &env);
        assert_eq!(recording("TOKEN").as_deref(), Some("env-secret-1"));
        assert_eq!(recording("OTHER"), None);
        let redactor = found.take();
        let event = |payload| Event {
            wire: None,
            seq: 3,
            wall_time: SystemTime::UNIX_EPOCH,
            offset: Duration::ZERO,
            kind: EventKind::Message {
                dir: Direction::In,
                payload,
            },
        };
        let binary = event(Payload::Binary(Bytes::from_static(b"\x01env-secret-1")));
        let line = redactor.json_line(&binary);
        assert_eq!(line["len"], 13);
        assert_eq!(line["hex"], to_hex(b"\x01[redacted]"));
        assert_eq!(line["redacted"], true);
        let plain = redactor.json_line(&event(Payload::Text("nothing here".into())));
        assert_eq!(plain.get("redacted"), None, "{plain}");
        let again = redactor.json_line(&binary);
        assert_eq!(again, line, "stable");
    }

    #[test]
    fn a_refused_handshake_loses_its_secret_headers_and_body_bytes() {
        use crate::engine::ErrorCategory;
        let mut redactor = Redactor::new();
        redactor.add_header("X-Api-Key", "key-0123456");
        let error = ErrorInfo {
            category: ErrorCategory::Http,
            message: "401 from http://u:pw@h/ for key-0123456".into(),
            http: Some(HttpRejection {
                status: 401,
                headers: vec![
                    ("set-cookie".into(), "sid=zzz".into()),
                    ("x-echo".into(), "key-0123456".into()),
                    ("content-type".into(), "text/plain".into()),
                ],
                body: Bytes::from_static(b"bad key-0123456"),
            }),
        };
        let redacted = redactor.error(&error).expect("changed");
        assert_eq!(
            redacted.message,
            "401 from http://u:[redacted]@h/ for [redacted]"
        );
        let http = redacted.http.expect("the answer");
        let values: Vec<&str> = http.headers.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["[redacted]", "[redacted]", "text/plain"]);
        assert_eq!(&http.body[..], b"bad [redacted]");
    }

    #[test]
    fn the_saved_config_holds_no_secret() {
        let mut config = ConnectionConfig::new("ws://me:hunter22@h/");
        config.proxy = ProxyMode::Url("http://p:proxy-pass@proxy:3128".into());
        config.headers = vec![
            HeaderEntry::new("Authorization", "Bearer typed-token"),
            HeaderEntry::new("X-Key", "from-env-value"),
            HeaderEntry::new("X-Other", "{{env.OTHER}}"),
            HeaderEntry::new("Cookie", "{{env.COOKIE}}"),
        ];
        let secrets = [SecretHeader::new("x-key", "KEY")];
        let saved = NO_SECRETS.config(&config, &secrets);
        assert_eq!(saved.url, "ws://me:[redacted]@h/");
        assert_eq!(
            saved.proxy,
            ProxyMode::Url("http://p:[redacted]@proxy:3128".into())
        );
        let values: Vec<&str> = saved.headers.iter().map(|h| h.value.as_str()).collect();
        assert_eq!(
            values,
            [
                "[redacted]",
                "{{env.KEY}}",
                "{{env.OTHER}}",
                "{{env.COOKIE}}"
            ]
        );
    }
}

//! What a Server-Sent Events stream is opened with, and its validation before any traffic.

use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::engine::check_tls_and_proxy;
use crate::engine::proxy::ProxyMode;
use crate::engine::{ConfigError, HeaderEntry, TlsOptions};
use crate::format::userinfo;

/// Everything an SSE stream is opened with, as an SSE tab saves it. Validated by
/// [`SseConfig::prepare`] before the first attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SseConfig {
    /// `http://` or `https://` URL of the stream.
    pub url: String,
    /// Extra request headers; disabled ones are kept but not sent. A header named like one
    /// the client sends itself (`Accept`, `Cache-Control`, `Last-Event-ID`, `User-Agent`)
    /// replaces it.
    pub headers: Vec<HeaderEntry>,
    /// The `Last-Event-ID` to send on the first attempt (later attempts send the stream's).
    pub last_event_id: Option<String>,
    /// TLS settings for `https://`.
    pub tls: TlsOptions,
    /// Which HTTP CONNECT proxy to go through, if any.
    pub proxy: ProxyMode,
    /// How long DNS, TCP, TLS and the response's status and headers may take together.
    #[serde(with = "crate::engine::millis")]
    pub handshake_timeout: Duration,
    /// The reconnection time until the server sends `retry` (EventSource's default: 3 s).
    #[serde(with = "crate::engine::millis")]
    pub reconnect_time: Duration,
    /// Stop (closing the stream) once this many events have arrived, over all attempts.
    pub max_events: Option<u64>,
    /// Give up after this many reconnects; `None` reconnects for ever, as EventSource does.
    pub max_reconnects: Option<u32>,
    /// Report comment lines (keep-alives) as events; they are always counted.
    pub show_comments: bool,
    /// The largest line or event data accepted, in bytes; a larger one fails the stream.
    pub max_event_size: usize,
}

impl Default for SseConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            headers: Vec::new(),
            last_event_id: None,
            tls: TlsOptions::default(),
            proxy: ProxyMode::default(),
            handshake_timeout: Duration::from_secs(10),
            reconnect_time: Duration::from_secs(3),
            max_events: None,
            max_reconnects: None,
            show_comments: false,
            max_event_size: 64 << 20,
        }
    }
}

impl SseConfig {
    /// A default configuration for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }

    /// Validates the configuration. Reads nothing from the network; reads the TLS files
    /// only to check that they are there.
    pub fn prepare(&self) -> Result<PreparedSse, ConfigError> {
        let target = Target::parse(&self.url)?;
        if self.max_event_size == 0 {
            return Err(ConfigError::ZeroLimit("event"));
        }
        let mut headers = Vec::new();
        for entry in self.headers.iter().filter(|h| h.enabled) {
            headers.push(entry.to_http()?);
        }
        if let Some(id) = &self.last_event_id
            && HeaderValue::from_bytes(id.as_bytes()).is_err()
        {
            return Err(ConfigError::Header(format!(
                "the last event id {id:?} cannot be sent in Last-Event-ID (control characters or newlines)"
            )));
        }
        check_tls_and_proxy(&self.tls, &self.proxy)?;
        Ok(PreparedSse { target, headers })
    }
}

/// A validated configuration.
#[derive(Clone, Debug)]
pub struct PreparedSse {
    /// Where the stream is.
    pub target: Target,
    /// The user's enabled headers, checked.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// An `http(s)://` URL split into what a request needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The URL, without a fragment.
    pub url: Url,
    /// Host name or IP literal (without brackets) to connect to.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether TLS is used.
    pub secure: bool,
}

/// Why a parsed URL cannot be an event stream's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// A `ws://` or `wss://` URL: a WebSocket's, not a stream's.
    #[error(
        "an event stream is fetched over http or https, not {0}:// (that is a WebSocket URL: use connect)"
    )]
    WebSocketScheme(String),
    /// Another scheme than http or https.
    #[error("the scheme must be http or https, not {0:?}")]
    Scheme(String),
    /// The URL names no host.
    #[error("the URL has no host")]
    NoHost,
    /// The URL has no port and its scheme no default one.
    #[error("the URL has no port")]
    NoPort,
}

impl Target {
    /// Parses and checks an `http://` or `https://` URL; a fragment is dropped, as fetch does.
    pub fn parse(input: &str) -> Result<Self, ConfigError> {
        let bad = |why: &str| ConfigError::Url {
            url: userinfo::hide_passwords(input).into_owned(),
            why: why.to_owned(),
        };
        if let Some(why) = crate::engine::forbidden_url_char(input) {
            return Err(bad(&why));
        }
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(bad("the URL is empty"));
        }
        let url = Url::parse(trimmed).map_err(|e| bad(&e.to_string()))?;
        Self::from_url(url).map_err(|why| bad(&why.to_string()))
    }

    /// Checks an already parsed URL (e.g. a redirect's `Location`).
    pub fn from_url(mut url: Url) -> Result<Self, TargetError> {
        let secure = match url.scheme() {
            "http" => false,
            "https" => true,
            "ws" | "wss" => return Err(TargetError::WebSocketScheme(url.scheme().to_owned())),
            other => return Err(TargetError::Scheme(other.to_owned())),
        };
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err(TargetError::NoHost),
        };
        if host.is_empty() {
            return Err(TargetError::NoHost);
        }
        let port = url.port_or_known_default().ok_or(TargetError::NoPort)?;
        url.set_fragment(None);
        Ok(Self {
            url,
            host,
            port,
            secure,
        })
    }

    /// The `Host` header: host, and port when it is not the scheme's default.
    pub fn host_header(&self) -> String {
        let host = self.url.host_str().unwrap_or(&self.host);
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// The request target: path and query.
    pub fn path_and_query(&self) -> String {
        match self.url.query() {
            Some(query) => format!("{}?{query}", self.url.path()),
            None => self.url.path().to_owned(),
        }
    }

    /// Whether `other` has the same scheme, host and port.
    pub fn same_origin(&self, other: &Target) -> bool {
        self.secure == other.secure && self.host == other.host && self.port == other.port
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_or_https() {
        let target = Target::parse(" http://127.0.0.1:9001/sse?count=3#top ").unwrap();
        assert_eq!(
            (target.host.as_str(), target.port, target.secure),
            ("127.0.0.1", 9001, false)
        );
        assert_eq!(target.url.as_str(), "http://127.0.0.1:9001/sse?count=3");
        assert_eq!(target.path_and_query(), "/sse?count=3");
        assert_eq!(target.host_header(), "127.0.0.1:9001");
        let target = Target::parse("https://[::1]/events").unwrap();
        assert_eq!((target.host.as_str(), target.port), ("::1", 443));
        assert_eq!(target.host_header(), "[::1]");
        let err = |u: &str| Target::parse(u).unwrap_err().to_string();
        assert!(err("ws://a.test/").contains("WebSocket URL"));
        assert!(err("ftp://a.test/").contains("http or https"));
        assert!(err("").contains("empty"));
        assert!(err("not a url").contains("bad URL"));
    }

    #[test]
    fn a_url_that_is_no_stream_is_a_typed_error_with_todays_text() {
        let why = |u: &str| Target::from_url(Url::parse(u).unwrap()).unwrap_err();
        assert_eq!(
            why("wss://a.test/"),
            TargetError::WebSocketScheme("wss".into())
        );
        assert_eq!(
            why("ws://a.test/").to_string(),
            "an event stream is fetched over http or https, not ws:// (that is a WebSocket URL: use connect)"
        );
        assert_eq!(
            why("ftp://a.test/").to_string(),
            "the scheme must be http or https, not \"ftp\""
        );
    }

    #[test]
    fn prepare_checks_headers_and_files() {
        let mut config = SseConfig::new("http://a.test/");
        config.headers.push(HeaderEntry::new("X-Token", "abc"));
        config.headers.push(HeaderEntry {
            enabled: false,
            ..HeaderEntry::new("X-Off", "no")
        });
        let prepared = config.prepare().unwrap();
        assert_eq!(prepared.headers.len(), 1);
        config.headers.push(HeaderEntry::new("X-A", "line\nbreak"));
        assert!(matches!(config.prepare(), Err(ConfigError::Header(_))));
        config.headers.clear();
        config.last_event_id = Some("a\nb".into());
        assert!(matches!(config.prepare(), Err(ConfigError::Header(_))));
        config.last_event_id = None;
        config.tls.ca_file = Some("/nonexistent/ca.pem".into());
        assert!(matches!(config.prepare(), Err(ConfigError::Tls(_))));
    }
}

//! What a connection is made with, and its validation into a ready-to-send request.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use url::Url;

use super::auth::{Auth, AuthError};
use super::deflate::DeflateSetting;
use super::keepalive::Keepalive;
use super::proxy::{Proxy, ProxyError, ProxyMode};
use super::reconnect::ReconnectPolicy;
use crate::format::userinfo;
use crate::protocol::ProtocolSettings;
use tokio_tungstenite::tungstenite::extensions::deflate::DeflateParams;

/// Everything a connection attempt is made with. Saved in sessions; validated by
/// [`ConnectionConfig::prepare`] before an attempt starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectionConfig {
    /// `ws://` or `wss://` (`http://` and `https://` are mapped to them, as browsers do).
    pub url: String,
    /// Extra request headers; disabled ones are kept but not sent.
    pub headers: Vec<HeaderEntry>,
    /// Subprotocols offered in Sec-WebSocket-Protocol, in order of preference.
    pub subprotocols: Vec<String>,
    /// How long DNS, TCP, TLS and the HTTP upgrade may take together.
    #[serde(with = "millis")]
    pub handshake_timeout: Duration,
    /// How long to wait for the peer's close frame after ours.
    #[serde(with = "millis")]
    pub close_timeout: Duration,
    /// The largest message (and frame) accepted from the peer, in bytes.
    pub max_message_size: usize,
    /// TLS settings for `wss://`.
    pub tls: TlsOptions,
    /// Which HTTP CONNECT proxy to go through, if any.
    pub proxy: ProxyMode,
    /// Pings every interval while OPEN, with a pong timeout; `None`: off.
    pub keepalive: Option<Keepalive>,
    /// Whether and when a tab connects again after an attempt ends.
    pub reconnect: ReconnectPolicy,
    /// Basic, Bearer or an API key, added to every handshake.
    #[serde(skip_serializing_if = "Auth::is_none")]
    pub auth: Auth,
    /// The protocol spoken over the WebSocket (Socket.IO, GraphQL, …); raw by default.
    #[serde(skip_serializing_if = "ProtocolSettings::is_raw")]
    pub protocol: ProtocolSettings,
    /// Whether `permessage-deflate` is offered, and with which parameters; on (as browsers
    /// offer it) by default, so files without it load as on.
    #[serde(skip_serializing_if = "DeflateSetting::is_default")]
    pub deflate: DeflateSetting,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            headers: Vec::new(),
            subprotocols: Vec::new(),
            handshake_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(5),
            max_message_size: crate::engine::limits::DEFAULT_MAX_MESSAGE_SIZE,
            tls: TlsOptions::default(),
            proxy: ProxyMode::default(),
            keepalive: None,
            reconnect: ReconnectPolicy::default(),
            auth: Auth::None,
            protocol: ProtocolSettings::default(),
            deflate: DeflateSetting::default(),
        }
    }
}

impl ConnectionConfig {
    /// A default configuration for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }
}

/// One request header as the user typed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderEntry {
    /// Header name.
    pub name: String,
    /// Header value.
    pub value: String,
    /// Whether it is sent.
    pub enabled: bool,
}

impl HeaderEntry {
    /// An enabled header.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            enabled: true,
        }
    }

    /// Parses `Name: value` as typed on a command line.
    pub fn parse(line: &str) -> Result<Self, ConfigError> {
        let (name, value) = line.split_once(':').ok_or_else(|| {
            ConfigError::Header(format!("{line:?} is not of the form \"Name: value\""))
        })?;
        let name = name.trim();
        if name.is_empty() {
            return Err(ConfigError::Header(format!(
                "{line:?} has an empty header name"
            )));
        }
        HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| ConfigError::Header(format!("{name:?} is not a valid header name")))?;
        Ok(Self::new(name, value.trim()))
    }

    /// The header as it goes on the wire: the name trimmed, the value as typed. A name or
    /// value that cannot be sent (a CR or LF, which is refused rather than cut) is an error.
    /// The WebSocket and SSE requests both build their headers with it.
    pub(crate) fn to_http(&self) -> Result<(HeaderName, HeaderValue), ConfigError> {
        let name = self.name.trim();
        // Checked before trimming too: a name with a CR or LF is refused, not cut.
        let bad_name =
            || ConfigError::Header(format!("{:?} is not a valid header name", self.name));
        if self.name.contains(['\0', '\r', '\n']) {
            return Err(bad_name());
        }
        let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad_name())?;
        let value = HeaderValue::from_str(&self.value).map_err(|_| {
            ConfigError::Header(format!(
                "the value of {name:?} contains characters that cannot be sent (control characters or newlines)"
            ))
        })?;
        Ok((header_name, value))
    }
}

/// TLS settings. Certificates are verified unless `accept_invalid_certs` is set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TlsOptions {
    /// A PEM file of extra CA certificates to trust besides the system's. A server whose
    /// own certificate is byte for byte one of them is accepted as if it were pinned.
    pub ca_file: Option<PathBuf>,
    /// A PEM file with the exact server certificate(s) to accept, and nothing else: the
    /// server's certificate must be one of them byte for byte (and prove it holds its key);
    /// the CA chain, host name and validity dates are not checked, as the user chose it.
    pub pinned_cert: Option<PathBuf>,
    /// Skip certificate verification altogether (for test servers only).
    pub accept_invalid_certs: bool,
    /// A PEM file with the client certificate (chain) for servers that ask for one.
    pub client_cert: Option<PathBuf>,
    /// A PEM file with the client certificate's private key.
    pub client_key: Option<PathBuf>,
}

/// Why a configuration cannot be used; a usage error, before any network traffic.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The URL does not parse or is not a WebSocket URL.
    #[error("bad URL {url:?}: {why}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// A header cannot be sent.
    #[error("bad header: {0}")]
    Header(String),
    /// A subprotocol name is not an HTTP token.
    #[error("bad subprotocol {0:?}: it must be a non-empty token without spaces, commas or quotes")]
    Subprotocol(String),
    /// The TLS settings cannot be used (e.g. an unreadable CA file).
    #[error("TLS: {0}")]
    Tls(String),
    /// The proxy setting cannot be used.
    #[error(transparent)]
    Proxy(#[from] ProxyError),
    /// A size limit of zero would accept nothing.
    #[error("the {0} size limit must be at least 1 byte (it is 0)")]
    ZeroLimit(&'static str),
    /// The auth settings cannot be used.
    #[error("auth: {0}")]
    Auth(#[from] AuthError),
    /// The permessage-deflate parameters cannot be offered.
    #[error("permessage-deflate: {0}")]
    Deflate(String),
}

/// A validated configuration: the request to send and where to send it.
#[derive(Debug)]
pub struct PreparedRequest {
    /// The normalized WebSocket URL.
    pub url: Url,
    /// The upgrade request, with the handshake headers and the user's headers.
    pub request: Request,
    /// Host name or IP literal (without brackets) to connect to.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether TLS is used.
    pub secure: bool,
    /// The `permessage-deflate` offer in the request (`None`: not offered by the setting; a
    /// `Sec-WebSocket-Extensions` header the user typed is sent as it is instead).
    pub deflate: Option<DeflateParams>,
}

/// Normalizes a URL as a browser's `new WebSocket(url)` does: http(s) → ws(s), no fragment.
pub fn normalize_url(input: &str) -> Result<Url, ConfigError> {
    let bad = |why: &str| ConfigError::Url {
        url: userinfo::hide_passwords(input).into_owned(),
        why: why.to_owned(),
    };
    if let Some(why) = forbidden_url_char(input) {
        return Err(bad(&why));
    }
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(bad("the URL is empty"));
    }
    let mut url = Url::parse(trimmed).map_err(|e| bad(&e.to_string()))?;
    let scheme = match url.scheme() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        other => {
            return Err(bad(&format!(
                "the scheme must be ws, wss, http or https, not {other:?}"
            )));
        }
    };
    if url.scheme() != scheme && url.set_scheme(scheme).is_err() {
        return Err(bad("the scheme cannot be changed to a WebSocket scheme"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("the URL has no host"));
    }
    if url.fragment().is_some() {
        return Err(bad("a WebSocket URL cannot have a fragment (#…)"));
    }
    Ok(url)
}

/// Why a URL cannot be used as written, when it holds NUL, CR or LF anywhere (a URL
/// parser would silently drop CR and LF, so a request would go somewhere other than what
/// the text says): `None` when it holds none.
pub fn forbidden_url_char(input: &str) -> Option<String> {
    let (position, ch) = input
        .chars()
        .enumerate()
        .find(|(_, c)| matches!(c, '\0' | '\r' | '\n'))?;
    let name = match ch {
        '\0' => "NUL",
        '\r' => "a carriage return (CR)",
        _ => "a line feed (LF)",
    };
    Some(format!(
        "the URL contains {name} at position {position}; URLs cannot hold NUL, CR or LF"
    ))
}

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl ConnectionConfig {
    /// Validates the configuration and builds the upgrade request. Reads nothing from the
    /// network; reads the CA file only to check that it is there.
    pub fn prepare(&self) -> Result<PreparedRequest, ConfigError> {
        self.auth.check()?;
        if matches!(self.auth, Auth::OAuth2(_)) {
            return Err(AuthError::NoToken.into());
        }
        let endpoint = self.protocol.endpoint_url(&self.url);
        let url = match self.auth.query() {
            Some((name, value)) => {
                normalize_url(&crate::format::query::append(&endpoint, name, value))?
            }
            None => normalize_url(&endpoint)?,
        };
        if self.max_message_size == 0 {
            return Err(ConfigError::ZeroLimit("message"));
        }
        let bad_url = |why: String| ConfigError::Url {
            url: self.url.clone(),
            why,
        };
        let secure = url.scheme() == "wss";
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err(bad_url("the URL has no host".into())),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| bad_url("the URL has no port".into()))?;
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| bad_url(e.to_string()))?;
        let headers = request.headers_mut();
        for entry in self.headers.iter().filter(|h| h.enabled) {
            let (name, value) = entry.to_http()?;
            headers.append(name, value);
        }
        // The auth's header replaces one of the same name typed in the headers table, as
        // Postman's Auth tab does.
        if let Some((name, value)) = self.auth.header() {
            let (name, value) = HeaderEntry::new(name, value).to_http()?;
            headers.insert(name, value);
        }
        // A protocol negotiated by subprotocol offers its names unless the user set some.
        let protocol_offer;
        let offer = if self.subprotocols.is_empty() {
            protocol_offer = self.protocol.default_subprotocols();
            &protocol_offer
        } else {
            &self.subprotocols
        };
        if !offer.is_empty() {
            if let Some(bad) = offer.iter().find(|p| !is_token(p)) {
                return Err(ConfigError::Subprotocol(bad.clone()));
            }
            let joined = offer.join(", ");
            let value = HeaderValue::from_str(&joined)
                .map_err(|_| ConfigError::Subprotocol(joined.clone()))?;
            headers.insert("sec-websocket-protocol", value);
        }
        // permessage-deflate, offered in the request so that it shows among the headers
        // sent; a Sec-WebSocket-Extensions header the user typed wins over the setting.
        let mut deflate = self.deflate.offer().map_err(ConfigError::Deflate)?;
        if let Some(typed) = headers.get("sec-websocket-extensions") {
            // A typed permessage-deflate offer (one element) is the offer the answer is
            // judged by and the extension spoken; anything else is sent as typed.
            deflate = typed
                .to_str()
                .ok()
                .filter(|text| !text.contains(','))
                .filter(|text| {
                    text.trim_start()
                        .to_ascii_lowercase()
                        .starts_with("permessage-deflate")
                })
                .and_then(|text| DeflateParams::parse(text).ok());
        } else if let Some(offer) = &deflate {
            let value = HeaderValue::from_str(&offer.to_string())
                .map_err(|e| ConfigError::Deflate(e.to_string()))?;
            headers.insert("sec-websocket-extensions", value);
        }
        check_tls_and_proxy(&self.tls, &self.proxy)?;
        Ok(PreparedRequest {
            url,
            request,
            host,
            port,
            secure,
            deflate,
        })
    }
}

/// Checks the TLS files are readable, a client certificate comes with its key, and an
/// explicit proxy URL parses: shared by WebSocket and SSE connections.
pub(crate) fn check_tls_and_proxy(tls: &TlsOptions, proxy: &ProxyMode) -> Result<(), ConfigError> {
    let files = [
        ("CA file", &tls.ca_file),
        ("pinned certificate", &tls.pinned_cert),
        ("client certificate", &tls.client_cert),
        ("client key", &tls.client_key),
    ];
    for (what, path) in files {
        if let Some(path) = path {
            std::fs::metadata(path).map_err(|e| {
                ConfigError::Tls(format!("cannot read {what} {}: {e}", path.display()))
            })?;
        }
    }
    if tls.client_cert.is_some() != tls.client_key.is_some() {
        return Err(ConfigError::Tls(
            "a client certificate needs both the certificate and its private key".into(),
        ));
    }
    if let ProxyMode::Url(url) = proxy {
        Proxy::parse(url)?;
    }
    Ok(())
}

/// Serializes a [`Duration`] as whole milliseconds, readable in RON files.
pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(value.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_urls_map_to_websocket_schemes() {
        assert_eq!(
            normalize_url("http://a.test/x").unwrap().as_str(),
            "ws://a.test/x"
        );
        assert_eq!(
            normalize_url("https://a.test/x").unwrap().as_str(),
            "wss://a.test/x"
        );
        assert_eq!(
            normalize_url(" ws://a.test:9/ ").unwrap().as_str(),
            "ws://a.test:9/"
        );
    }

    #[test]
    fn bad_urls_say_why() {
        let err = |u: &str| normalize_url(u).unwrap_err().to_string();
        assert!(err("").contains("empty"));
        assert!(err("ftp://a.test").contains("scheme"));
        assert!(err("ws://a.test/#frag").contains("fragment"));
        assert!(err("not a url").contains("bad URL \"not a url\""));
        assert!(err("ws://").contains("bad URL"));
    }

    #[test]
    fn header_lines_parse() {
        let h = HeaderEntry::parse("Authorization: Bearer abc:def").unwrap();
        assert_eq!(
            (h.name.as_str(), h.value.as_str()),
            ("Authorization", "Bearer abc:def")
        );
        assert!(
            HeaderEntry::parse("no colon")
                .unwrap_err()
                .to_string()
                .contains("Name: value")
        );
        assert!(
            HeaderEntry::parse(": v")
                .unwrap_err()
                .to_string()
                .contains("empty header name")
        );
        assert!(
            HeaderEntry::parse("bad name: v")
                .unwrap_err()
                .to_string()
                .contains("not a valid header name")
        );
    }

    #[test]
    fn auth_goes_into_every_handshake_replacing_a_typed_header() {
        let mut config = ConnectionConfig::new("ws://127.0.0.1:9/p?x=1");
        config
            .headers
            .push(HeaderEntry::new("Authorization", "Bearer typed"));
        config.auth = Auth::Bearer {
            token: "t0k".into(),
        };
        let prepared = config.prepare().unwrap();
        let values: Vec<_> = prepared
            .request
            .headers()
            .get_all("authorization")
            .iter()
            .collect();
        assert_eq!(values, ["Bearer t0k"]);
        config.auth = Auth::parse("query:api key:a&b").unwrap();
        let prepared = config.prepare().unwrap();
        assert_eq!(
            prepared.url.as_str(),
            "ws://127.0.0.1:9/p?x=1&api%20key=a%26b"
        );
        assert_eq!(
            prepared.request.headers()["authorization"],
            "Bearer typed",
            "a query key leaves the typed header alone"
        );
        config.auth = Auth::Bearer { token: " ".into() };
        assert!(matches!(config.prepare(), Err(ConfigError::Auth(_))));
        config.auth = Auth::Bearer {
            token: "a\r\nX: y".into(),
        };
        assert!(matches!(config.prepare(), Err(ConfigError::Header(_))));
    }

    #[test]
    fn prepare_adds_headers_and_subprotocols() {
        let mut config = ConnectionConfig::new("http://127.0.0.1:9001/echo?x=1");
        config.headers.push(HeaderEntry::new("X-Token", "abc"));
        config.headers.push(HeaderEntry {
            enabled: false,
            ..HeaderEntry::new("X-Off", "no")
        });
        config.subprotocols = vec!["chat.v1".into(), "chat.v2".into()];
        let prepared = config.prepare().unwrap();
        assert_eq!(prepared.url.as_str(), "ws://127.0.0.1:9001/echo?x=1");
        assert_eq!(
            (prepared.host.as_str(), prepared.port, prepared.secure),
            ("127.0.0.1", 9001, false)
        );
        let headers = prepared.request.headers();
        assert_eq!(headers["x-token"], "abc");
        assert!(headers.get("x-off").is_none());
        assert_eq!(headers["sec-websocket-protocol"], "chat.v1, chat.v2");
    }

    #[test]
    fn urls_with_nul_cr_or_lf_are_refused() {
        for (url, what) in [
            (
                "ws://127.0.0.1:9001/echo\r\nX-Injected: 1",
                "carriage return",
            ),
            ("ws://127.0.0.1:9001/ec\nho", "line feed"),
            ("ws://127.0.0.1:9001/\0", "NUL"),
            ("ws://evil\n.example/", "line feed"),
            ("ws://127.0.0.1:9001/echo\n", "line feed"),
        ] {
            let error = ConnectionConfig::new(url).prepare().unwrap_err();
            assert!(matches!(error, ConfigError::Url { .. }), "{url:?}");
            assert!(error.to_string().contains(what), "{url:?}: {error}");
        }
    }

    #[test]
    fn a_config_saved_before_deflate_loads_as_on_and_on_is_not_written() {
        let old: ConnectionConfig = ron::from_str("(url: \"ws://h/\")").unwrap();
        assert_eq!(old.deflate, DeflateSetting::On);
        let text = ron::to_string(&old).unwrap();
        assert!(!text.contains("deflate"), "{text}");
        let off = ConnectionConfig {
            deflate: DeflateSetting::Off,
            ..old
        };
        let back: ConnectionConfig = ron::from_str(&ron::to_string(&off).unwrap()).unwrap();
        assert_eq!(back.deflate, DeflateSetting::Off);
    }

    #[test]
    fn a_typed_permessage_deflate_offer_is_the_offer() {
        let mut config = ConnectionConfig::new("ws://h/");
        config.headers.push(HeaderEntry::new(
            "Sec-WebSocket-Extensions",
            "permessage-deflate; server_no_context_takeover",
        ));
        let prepared = config.prepare().unwrap();
        let offer = prepared.deflate.expect("the typed offer");
        assert!(offer.server_no_context_takeover);
        config.headers[0].value = "x-custom, permessage-deflate".into();
        assert_eq!(config.prepare().unwrap().deflate, None, "sent as typed");
        config.headers.clear();
        let prepared = config.prepare().unwrap();
        assert_eq!(
            prepared.request.headers()["sec-websocket-extensions"],
            "permessage-deflate; client_max_window_bits"
        );
        config.deflate = DeflateSetting::Off;
        let prepared = config.prepare().unwrap();
        assert!(
            !prepared
                .request
                .headers()
                .contains_key("sec-websocket-extensions")
        );
    }

    #[test]
    fn prepare_refuses_bad_input() {
        let mut config = ConnectionConfig::new("wss://[::1]/");
        assert_eq!(config.prepare().unwrap().port, 443);
        assert_eq!(config.prepare().unwrap().host, "::1");
        config.subprotocols = vec!["has space".into()];
        assert!(matches!(config.prepare(), Err(ConfigError::Subprotocol(_))));
        config.subprotocols.clear();
        for bad in [
            "line\nbreak",
            "cr\rhere",
            "nul\0here",
            "a\r\nX-Injected: 1",
            "end\r\n",
        ] {
            config.headers = vec![HeaderEntry::new("X-A", bad)];
            assert!(
                matches!(config.prepare(), Err(ConfigError::Header(_))),
                "{bad:?}"
            );
            config.headers = vec![HeaderEntry::new(format!("X-{bad}"), "v")];
            assert!(
                matches!(config.prepare(), Err(ConfigError::Header(_))),
                "{bad:?} in a name"
            );
        }
        config.headers.clear();
        config.tls.ca_file = Some("/nonexistent/ca.pem".into());
        assert!(
            config
                .prepare()
                .unwrap_err()
                .to_string()
                .contains("/nonexistent/ca.pem")
        );
    }
}

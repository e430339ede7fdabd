//! What a user sets for a proxy tab: where it listens, the upstream it forwards to, the
//! header changes of every upstream request and the rules. Plain data, saved with the tab.

use serde::{Deserialize, Serialize};

use crate::proxy::ProxyRuleSpec;

/// A proxy tab's settings, as typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProxySetup {
    /// Where clients connect, `IP:PORT` (port 0: any free port).
    pub listen: String,
    /// The upstream base URL (`ws://` or `wss://`); each client's path and query follow it.
    pub upstream: String,
    /// Headers added to (or replacing those of) every upstream request, one
    /// `Name: value` a line.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub add_headers: String,
    /// Header names of the client's request not passed upstream, one a line.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub strip_headers: String,
    /// The rules that run on every message without pausing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<ProxyRuleSpec>,
}

impl Default for ProxySetup {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9002".into(),
            upstream: String::new(),
            add_headers: String::new(),
            strip_headers: String::new(),
            rules: Vec::new(),
        }
    }
}

/// Why a proxy tab's settings cannot start a proxy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxySetupError {
    /// The listen address is not `IP:PORT`.
    #[error("the listen address {0:?} is not IP:PORT")]
    Listen(String),
    /// The upstream is not a ws:// or wss:// URL with a host.
    #[error("the upstream {0:?} is not a ws:// or wss:// URL with a host")]
    Upstream(String),
    /// A header line is not `Name: value`.
    #[error("the header line {0:?} is not `Name: value`")]
    Header(String),
}

/// The settings checked: what the proxy engine takes.
#[derive(Clone, Debug)]
pub struct CheckedProxySetup {
    /// Where clients connect.
    pub listen: std::net::SocketAddr,
    /// The upstream base URL.
    pub upstream: url::Url,
    /// Headers added to every upstream request.
    pub add_headers: Vec<(String, String)>,
    /// Header names removed from every upstream request.
    pub strip_headers: Vec<String>,
}

impl ProxySetup {
    /// A proxy tab forwarding to `upstream`.
    pub fn new(upstream: impl Into<String>) -> Self {
        Self {
            upstream: upstream.into(),
            ..Self::default()
        }
    }

    /// The tab's title: `proxy -> host:port/path`.
    pub fn title(&self) -> String {
        match url::Url::parse(self.upstream.trim()) {
            Ok(url) => {
                let host = url.host_str().unwrap_or("?");
                let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
                format!("proxy -> {host}{port}{}", url.path())
            }
            Err(_) => "proxy".into(),
        }
    }

    /// Checks the settings.
    pub fn check(&self) -> Result<CheckedProxySetup, ProxySetupError> {
        let listen = self
            .listen
            .trim()
            .parse()
            .map_err(|_| ProxySetupError::Listen(self.listen.clone()))?;
        let upstream = url::Url::parse(self.upstream.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "ws" | "wss") && url.host_str().is_some())
            .ok_or_else(|| ProxySetupError::Upstream(self.upstream.clone()))?;
        let mut add_headers = Vec::new();
        for line in self.add_headers.lines().filter(|l| !l.trim().is_empty()) {
            let header = line.split_once(':').and_then(|(name, value)| {
                let name = name.trim();
                let valid = !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
                valid.then(|| (name.to_string(), value.trim().to_string()))
            });
            add_headers.push(header.ok_or_else(|| ProxySetupError::Header(line.to_string()))?);
        }
        let strip_headers = self
            .strip_headers
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        Ok(CheckedProxySetup {
            listen,
            upstream,
            add_headers,
            strip_headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_into_what_the_proxy_takes() {
        let mut setup = ProxySetup::new("ws://127.0.0.1:9001/base");
        setup.add_headers = "X-A: 1\n\nAuthorization: Bearer t".into();
        setup.strip_headers = "cookie\n".into();
        let checked = setup.check().unwrap();
        assert_eq!(checked.listen.port(), 9002);
        assert_eq!(checked.add_headers[1].1, "Bearer t");
        assert_eq!(checked.strip_headers, ["cookie"]);
        assert_eq!(setup.title(), "proxy -> 127.0.0.1:9001/base");
        setup.add_headers = "no colon".into();
        assert!(matches!(setup.check(), Err(ProxySetupError::Header(_))));
        setup.upstream = "http://x/".into();
        assert!(matches!(setup.check(), Err(ProxySetupError::Upstream(_))));
    }
}

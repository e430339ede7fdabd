//! HTTP CONNECT proxies: which proxy a URL goes through (explicit, or from HTTPS_PROXY /
//! HTTP_PROXY / ALL_PROXY with NO_PROXY), and the CONNECT exchange itself.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use url::Url;

use crate::format::userinfo;

use super::event::{ErrorCategory, ErrorInfo};
use super::socks5;

/// How a connection finds its proxy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProxyMode {
    /// From the environment: HTTPS_PROXY (wss) or HTTP_PROXY (ws), then ALL_PROXY; hosts in
    /// NO_PROXY and loopback addresses go direct.
    #[default]
    FromEnvironment,
    /// Never use a proxy.
    Direct,
    /// Always use this proxy, e.g. `http://user:pass@proxy.example:3128`.
    Url(String),
}

/// A proxy to tunnel through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    /// Proxy host.
    pub host: String,
    /// Proxy port.
    pub port: u16,
    /// `user:password` for Basic authentication, if the proxy URL had credentials.
    pub credentials: Option<String>,
    /// How the tunnel is asked for.
    pub kind: ProxyKind,
}

/// The proxy protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyKind {
    /// `http://`: an HTTP CONNECT request.
    HttpConnect,
    /// `socks5://` (the name resolved here) or `socks5h://` (resolved by the proxy).
    Socks5 {
        /// True for `socks5h://`.
        remote_dns: bool,
    },
}

/// Why a proxy URL cannot be used. The URL it quotes never shows a password.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    /// The text does not parse as a URL.
    #[error("bad proxy URL {url:?}: {why}")]
    BadUrl {
        /// The proxy URL as given, password hidden.
        url: String,
        /// What the URL parser said.
        why: url::ParseError,
    },
    /// The scheme is not one Sockscope speaks.
    #[error(
        "proxy {url:?}: only http:// (CONNECT), socks5:// and socks5h:// proxies are \
         supported, not {scheme}://"
    )]
    Unsupported {
        /// The proxy URL as given, password hidden.
        url: String,
        /// Its scheme.
        scheme: String,
    },
    /// The URL names no host.
    #[error("proxy {url:?} has no host")]
    NoHost {
        /// The proxy URL as given, password hidden.
        url: String,
    },
}

impl Proxy {
    /// Parses an `http://`, `socks5://` or `socks5h://` `[user:pass@]host[:port]` proxy URL
    /// (a bare `host:port` is taken as http). Other schemes are refused with the reason.
    pub fn parse(text: &str) -> Result<Self, ProxyError> {
        // The error quotes the URL: never with its password.
        let shown = || userinfo::hide_passwords(text).into_owned();
        let with_scheme = if text.contains("://") {
            text.to_owned()
        } else {
            format!("http://{text}")
        };
        let url =
            Url::parse(&with_scheme).map_err(|why| ProxyError::BadUrl { url: shown(), why })?;
        let (kind, default_port) = match url.scheme() {
            "http" => (ProxyKind::HttpConnect, 3128),
            "socks5" => (ProxyKind::Socks5 { remote_dns: false }, 1080),
            "socks5h" => (ProxyKind::Socks5 { remote_dns: true }, 1080),
            other => {
                return Err(ProxyError::Unsupported {
                    url: shown(),
                    scheme: other.to_owned(),
                });
            }
        };
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err(ProxyError::NoHost { url: shown() }),
        };
        let credentials = (!url.username().is_empty()).then(|| {
            let decode = |s: &str| percent_decode(s);
            format!(
                "{}:{}",
                decode(url.username()),
                decode(url.password().unwrap_or(""))
            )
        });
        Ok(Self {
            host,
            port: url.port().unwrap_or(default_port),
            credentials,
            kind,
        })
    }
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| text.to_owned())
}

/// Picks the proxy for a connection to `host` (`secure` for wss), given `mode` and an
/// environment lookup. Loopback hosts never go through an environment proxy.
pub fn resolve(
    mode: &ProxyMode,
    host: &str,
    secure: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Proxy>, ProxyError> {
    match mode {
        ProxyMode::Direct => Ok(None),
        ProxyMode::Url(url) => Proxy::parse(url).map(Some),
        ProxyMode::FromEnvironment => {
            let var = |name: &str| {
                env(name)
                    .or_else(|| env(&name.to_ascii_lowercase()))
                    .filter(|v| !v.trim().is_empty())
            };
            if is_loopback(host) || var("NO_PROXY").is_some_and(|list| bypassed(&list, host)) {
                return Ok(None);
            }
            let scheme_var = if secure { "HTTPS_PROXY" } else { "HTTP_PROXY" };
            match var(scheme_var).or_else(|| var("ALL_PROXY")) {
                Some(url) => Proxy::parse(url.trim()).map(Some),
                None => Ok(None),
            }
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// NO_PROXY: comma-separated host names, domain suffixes (`.example.com` or
/// `example.com`), or `*` for everything.
fn bypassed(list: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            let entry = entry.to_ascii_lowercase();
            let entry = entry.split(':').next().unwrap_or("");
            entry == "*"
                || host == entry.trim_start_matches('.')
                || host.ends_with(&format!(".{}", entry.trim_start_matches('.')))
        })
}

/// Opens a tunnel to `host:port` through `proxy` and returns the TCP stream inside it.
pub(crate) async fn connect_through(
    proxy: &Proxy,
    host: &str,
    port: u16,
) -> Result<TcpStream, ErrorInfo> {
    let refused = |e: std::io::Error| {
        let category = if e.kind() == std::io::ErrorKind::ConnectionRefused {
            ErrorCategory::Refused
        } else {
            ErrorCategory::Io
        };
        ErrorInfo::new(
            category,
            format!("could not reach proxy {}:{}: {e}", proxy.host, proxy.port),
        )
    };
    let mut tcp = TcpStream::connect((proxy.host.as_str(), proxy.port))
        .await
        .map_err(refused)?;
    let _ = tcp.set_nodelay(true);
    if let ProxyKind::Socks5 { remote_dns } = proxy.kind {
        let credentials = proxy
            .credentials
            .as_deref()
            .map(|pair| pair.split_once(':').unwrap_or((pair, "")));
        return match socks5::handshake(&mut tcp, host, port, credentials, remote_dns).await {
            Ok(()) => Ok(tcp),
            Err(error) => Err(socks5_error(proxy, host, port, error)),
        };
    }
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(credentials) = &proxy.credentials {
        let token = base64::engine::general_purpose::STANDARD.encode(credentials);
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    let io_error =
        |e: std::io::Error| ErrorInfo::new(ErrorCategory::Io, format!("proxy {}: {e}", proxy.host));
    tcp.write_all(request.as_bytes()).await.map_err(io_error)?;
    let head = read_response_head(&mut tcp).await.map_err(io_error)?;
    let status_line = head.lines().next().unwrap_or("");
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    match status {
        200..=299 => Ok(tcp),
        407 => Err(ErrorInfo::new(
            ErrorCategory::Http,
            format!(
                "proxy {}:{} requires authentication (407): put user:password in the proxy URL",
                proxy.host, proxy.port
            ),
        )),
        _ => Err(ErrorInfo::new(
            ErrorCategory::Http,
            format!(
                "proxy {}:{} refused the tunnel to {authority}: {status_line}",
                proxy.host, proxy.port
            ),
        )),
    }
}

/// A SOCKS5 failure in words, with the proxy and the target.
fn socks5_error(proxy: &Proxy, host: &str, port: u16, error: socks5::Socks5Error) -> ErrorInfo {
    let at = format!("SOCKS5 proxy {}:{}", proxy.host, proxy.port);
    match error {
        socks5::Socks5Error::Io(e) => ErrorInfo::new(ErrorCategory::Io, format!("{at}: {e}")),
        socks5::Socks5Error::Dns(why) => ErrorInfo::new(ErrorCategory::Dns, why),
        socks5::Socks5Error::Auth(why) => {
            ErrorInfo::new(ErrorCategory::Http, format!("{at} refused us: {why}"))
        }
        socks5::Socks5Error::Refused(why) => ErrorInfo::new(
            ErrorCategory::Http,
            format!("{at} refused the tunnel to {host}:{port}: {why}"),
        ),
    }
}

/// Reads the proxy's response up to the blank line, byte by byte so nothing of the tunnel
/// is consumed. At most 16 KiB.
async fn read_response_head(tcp: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err(std::io::Error::other("the proxy's answer is too long"));
        }
        if tcp.read(&mut byte).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the proxy closed the connection before answering",
            ));
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn environment_proxies_by_scheme_with_no_proxy() {
        let vars = [
            ("HTTPS_PROXY", "http://u:p%40ss@proxy.test:8080"),
            ("http_proxy", "plain.test:3128"),
            ("NO_PROXY", "internal.test, .corp.test"),
        ];
        let lookup = env(&vars);
        let mode = ProxyMode::FromEnvironment;
        let secure = resolve(&mode, "api.example", true, &lookup)
            .unwrap()
            .unwrap();
        assert_eq!((secure.host.as_str(), secure.port), ("proxy.test", 8080));
        assert_eq!(secure.credentials.as_deref(), Some("u:p@ss"));
        let plain = resolve(&mode, "api.example", false, &lookup)
            .unwrap()
            .unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.credentials),
            ("plain.test", 3128, None)
        );
        assert_eq!(
            resolve(&mode, "internal.test", true, &lookup).unwrap(),
            None
        );
        assert_eq!(resolve(&mode, "a.corp.test", true, &lookup).unwrap(), None);
        assert_eq!(resolve(&mode, "127.0.0.1", true, &lookup).unwrap(), None);
        assert_eq!(resolve(&mode, "localhost", true, &lookup).unwrap(), None);
        assert!(
            resolve(&ProxyMode::Direct, "api.example", true, &lookup)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn all_proxy_is_the_fallback_and_star_bypasses_everything() {
        let vars = [("ALL_PROXY", "http://all.test:1")];
        let lookup = env(&vars);
        let proxy = resolve(&ProxyMode::FromEnvironment, "x.test", true, &lookup).unwrap();
        assert_eq!(proxy.map(|p| p.host), Some("all.test".into()));
        let vars = [("ALL_PROXY", "http://all.test:1"), ("no_proxy", "*")];
        let lookup = env(&vars);
        assert_eq!(
            resolve(&ProxyMode::FromEnvironment, "x.test", true, &lookup).unwrap(),
            None
        );
    }

    #[test]
    fn unsupported_proxies_say_why() {
        let error = Proxy::parse("socks4://p.test:1080")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("only http:// (CONNECT), socks5://"),
            "{error}"
        );
        let socks = Proxy::parse("socks5h://u:p%40ss@p.test").unwrap();
        assert_eq!(socks.kind, ProxyKind::Socks5 { remote_dns: true });
        assert_eq!(
            (socks.port, socks.credentials.as_deref()),
            (1080, Some("u:p@ss"))
        );
        assert!(Proxy::parse("http://").is_err());
    }
}

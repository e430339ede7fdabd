//! The connection settings that dial a proxied connection's upstream leg again: the
//! upstream URL with the client's path and query, its subprotocol offer and the headers the
//! proxy sent upstream. A recording (`proxy --record`) saves them with each connection, and
//! the window's replay of a proxy tab's connection starts from them, so that replaying the
//! client leg is a regression test against the real server.

use crate::engine::{ConnectionConfig, HeaderEntry};
use crate::model::har::HANDSHAKE_HEADERS;

use super::ProxyConfig;
use super::request_head::RequestHead;
use super::upstream::{upstream_headers, upstream_url};

/// How the proxy dialled the upstream for the client that sent `request`.
pub fn upstream_config(config: &ProxyConfig, request: &RequestHead) -> ConnectionConfig {
    let url = upstream_url(&config.upstream, &request.target);
    config_for(url.as_str(), &upstream_headers(config, request))
}

/// A tab's connection settings: the URL, the offered subprotocols and the other headers.
fn config_for(url: &str, headers: &[(String, String)]) -> ConnectionConfig {
    let mut config = ConnectionConfig::new(url);
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if lower == "sec-websocket-protocol" {
            config.subprotocols.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            );
        }
        if !HANDSHAKE_HEADERS.contains(&lower.as_str()) {
            config.headers.push(HeaderEntry::new(name, value));
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upstream_leg_is_dialled_with_the_clients_path_offer_and_headers() {
        let config = ProxyConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            upstream: url::Url::parse("ws://server.test:9/base?k=1").unwrap(),
            add_headers: vec![("X-Added".into(), "yes".into())],
            strip_headers: vec!["X-Secret".into()],
            tls: None,
        };
        let request = RequestHead {
            target: "/chat?room=2".into(),
            headers: vec![
                ("Host".into(), "127.0.0.1:1".into()),
                ("Sec-WebSocket-Protocol".into(), "a, b".into()),
                ("Authorization".into(), "Bearer t".into()),
                ("X-Secret".into(), "no".into()),
            ],
        };
        let dialled = upstream_config(&config, &request);
        assert_eq!(dialled.url, "ws://server.test:9/base/chat?k=1&room=2");
        assert_eq!(dialled.subprotocols, ["a", "b"]);
        let headers: Vec<_> = dialled
            .headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
            .collect();
        assert_eq!(headers, [("Authorization", "Bearer t"), ("X-Added", "yes")]);
    }
}

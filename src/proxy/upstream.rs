//! The upstream leg's opening handshake: the client's request (path, query, subprotocol
//! offer, Origin, cookies, authorization, ...) re-aimed at the upstream URL, and the
//! upstream's answer turned into the answer the client gets.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Response};
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use url::Url;

use super::ProxyConfig;
use super::request_head::RequestHead;

/// The upstream socket.
pub type UpstreamWs = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Request headers that belong to one hop (or that this proxy negotiates itself) and are
/// not passed on: the upstream request gets its own.
const HOP_REQUEST_HEADERS: &[&str] = &[
    "host",
    "connection",
    "upgrade",
    "sec-websocket-key",
    "sec-websocket-version",
    // Each leg negotiates compression itself (the upstream leg offers it when the client
    // did), so the offer is not passed on as a header.
    "sec-websocket-extensions",
    "content-length",
    "transfer-encoding",
    "keep-alive",
    "te",
    "trailer",
    "proxy-connection",
    "proxy-authorization",
];

/// Response headers of a successful upgrade that the client leg makes itself.
const HOP_RESPONSE_HEADERS: &[&str] = &[
    "connection",
    "upgrade",
    "sec-websocket-accept",
    "sec-websocket-extensions",
    "content-length",
    "transfer-encoding",
];

/// How long the upstream may take to answer the handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The upstream URL for a client's request target: the base's path, then the client's
/// path, then the base's query and the client's query joined with `&`.
pub fn upstream_url(base: &Url, target: &str) -> Url {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    let query = match (base.query().filter(|q| !q.is_empty()), query) {
        (Some(base), Some(client)) => Some(format!("{base}&{client}")),
        (Some(base), None) => Some(base.to_string()),
        (None, client) => client.map(str::to_string),
    };
    url.set_query(query.as_deref());
    url
}

/// The headers sent upstream: the client's, less the hop-by-hop ones and the stripped
/// names, then the added ones (replacing a header of the same name).
pub fn upstream_headers(config: &ProxyConfig, head: &RequestHead) -> Vec<(String, String)> {
    let stripped = |name: &str| {
        HOP_REQUEST_HEADERS.contains(&name.to_ascii_lowercase().as_str())
            || config
                .strip_headers
                .iter()
                .any(|strip| strip.eq_ignore_ascii_case(name))
            || config
                .add_headers
                .iter()
                .any(|(added, _)| added.eq_ignore_ascii_case(name))
    };
    head.headers
        .iter()
        .filter(|(name, _)| !stripped(name))
        .chain(config.add_headers.iter())
        .cloned()
        .collect()
}

/// Why the upstream handshake did not give a socket.
pub enum UpstreamFailure {
    /// The upstream answered with an HTTP response other than 101: passed to the client
    /// as it came.
    Refused {
        /// Its status.
        status: u16,
        /// Its headers, in order.
        headers: Vec<(String, String)>,
        /// Its body, as far as it came with the head.
        body: Vec<u8>,
    },
    /// Anything else (refused TCP, DNS, TLS, a bad answer): the client gets 502.
    Failed(String),
}

/// Dials the upstream with the request built for this client; the socket and the
/// upstream's 101 response, or why not.
pub async fn connect(
    url: &Url,
    headers: &[(String, String)],
    ws_config: WebSocketConfig,
) -> Result<(UpstreamWs, Response), UpstreamFailure> {
    let request = build_request(url, headers)?;
    // `None`: plain TCP for ws://, rustls with the webpki roots for wss:// (the
    // tokio-tungstenite feature this crate builds with).
    let connector: Option<Connector> = None;
    let dial =
        tokio_tungstenite::connect_async_tls_with_config(request, Some(ws_config), true, connector);
    match tokio::time::timeout(CONNECT_TIMEOUT, dial).await {
        Ok(Ok((ws, response))) => Ok((ws, response.map(|_| ()))),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
            let (parts, body) = response.into_parts();
            Err(UpstreamFailure::Refused {
                status: parts.status.as_u16(),
                headers: header_pairs(&parts.headers),
                body: body.unwrap_or_default(),
            })
        }
        Ok(Err(error)) => Err(UpstreamFailure::Failed(error.to_string())),
        Err(_) => Err(UpstreamFailure::Failed(
            "the upstream did not answer the handshake within 15 s".into(),
        )),
    }
}

fn build_request(url: &Url, headers: &[(String, String)]) -> Result<Request, UpstreamFailure> {
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|error| UpstreamFailure::Failed(error.to_string()))?;
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes());
        let value = HeaderValue::from_str(value);
        if let (Ok(name), Ok(value)) = (name, value) {
            request.headers_mut().append(name, value);
        }
    }
    Ok(request)
}

/// Header pairs from a header map, in order (values that are not text are read lossily).
pub fn header_pairs(
    headers: &tokio_tungstenite::tungstenite::http::HeaderMap,
) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The client's 101 answer: tungstenite's own (Connection, Upgrade, Sec-WebSocket-Accept)
/// plus every other header the upstream answered with (subprotocol, cookies, ...).
pub fn client_answer(mut own: Response, upstream: &Response) -> Response {
    for (name, value) in upstream.headers() {
        if !HOP_RESPONSE_HEADERS.contains(&name.as_str()) {
            own.headers_mut().append(name.clone(), value.clone());
        }
    }
    own
}

/// The client's refusal: the upstream's status, headers and body as they came.
pub fn client_refusal(status: u16, headers: &[(String, String)], body: &[u8]) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(String::from_utf8_lossy(body).into_owned()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes());
        let value = HeaderValue::from_str(value);
        if let (Ok(name), Ok(value)) = (name, value) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// The client's answer when the upstream could not be reached: 502 with the reason.
pub fn bad_gateway(why: &str) -> ErrorResponse {
    let body = format!("sockscope proxy: the upstream failed: {why}\n");
    let headers = [
        (
            "Content-Type".to_string(),
            "text/plain; charset=utf-8".into(),
        ),
        ("Content-Length".to_string(), body.len().to_string()),
        ("Connection".to_string(), "close".into()),
    ];
    client_refusal(502, &headers, body.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn the_client_path_and_query_follow_the_base() {
        let base = url("ws://up:9/");
        assert_eq!(
            upstream_url(&base, "/chat?room=1").as_str(),
            "ws://up:9/chat?room=1"
        );
        let base = url("wss://up/api/?k=v");
        assert_eq!(
            upstream_url(&base, "/chat?room=1").as_str(),
            "wss://up/api/chat?k=v&room=1"
        );
        assert_eq!(upstream_url(&base, "/").as_str(), "wss://up/api/?k=v");
    }

    #[test]
    fn hop_headers_go_and_flags_change_the_rest() {
        let config = ProxyConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            upstream: url("ws://up/"),
            add_headers: vec![
                ("X-Added".into(), "1".into()),
                ("Origin".into(), "o2".into()),
            ],
            strip_headers: vec!["cookie".into()],
            tls: None,
        };
        let head = RequestHead {
            target: "/".into(),
            headers: vec![
                ("Host".into(), "proxy".into()),
                ("Sec-WebSocket-Key".into(), "k".into()),
                ("Origin".into(), "o1".into()),
                ("Cookie".into(), "a=b".into()),
                ("Authorization".into(), "Bearer t".into()),
                ("Sec-WebSocket-Protocol".into(), "chat".into()),
            ],
        };
        let sent = upstream_headers(&config, &head);
        let names: Vec<&str> = sent.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Authorization",
                "Sec-WebSocket-Protocol",
                "X-Added",
                "Origin"
            ]
        );
        assert_eq!(sent[3].1, "o2");
    }
}

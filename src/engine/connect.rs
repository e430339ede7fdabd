//! The opening phase of an attempt: DNS, TCP, TLS and the HTTP upgrade, each failure given
//! its category and said in plain words.

use std::io;
use std::time::Instant;

use bytes::Bytes;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::extensions::WireTap;
use tokio_tungstenite::tungstenite::http::HeaderMap;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::chunked;
use super::config::{PreparedRequest, TlsOptions};
use super::event::{ErrorCategory, ErrorInfo, HttpRejection, OpenInfo};
use super::extensions;
use super::proxy::{self, ProxyMode};
use super::tls;

/// The socket type of every connection.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Runs the opening handshake; `started` is when the attempt began.
pub(crate) async fn establish(
    prepared: PreparedRequest,
    tls_options: &TlsOptions,
    proxy_mode: &ProxyMode,
    max_message_size: usize,
    started: Instant,
) -> Result<(Socket, OpenInfo), ErrorInfo> {
    let stream = open_stream(
        &prepared.host,
        prepared.port,
        prepared.secure,
        tls_options,
        proxy_mode,
    )
    .await?;
    let request_headers = header_pairs(prepared.request.headers());
    let offered = prepared.request.headers().clone();
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(max_message_size))
        .max_frame_size(Some(max_message_size))
        .deflate(prepared.deflate)
        .wire_tap(
            prepared
                .deflate
                .map(|_| WireTap::new(super::limits::WIRE_BYTES_KEPT)),
        );
    let (socket, response) =
        tokio_tungstenite::client_async_with_config(prepared.request, stream, Some(ws_config))
            .await
            .map_err(handshake_error)?;
    if let Some(name) = extensions::unrequested(&offered, response.headers()) {
        // Dropping the socket ends the TCP connection: the frames that would follow are
        // encoded with an extension this client does not speak.
        return Err(ErrorInfo::new(
            ErrorCategory::Protocol,
            format!(
                "the server accepted the extension {name:?}, which was not requested; \
                 a client must fail such a handshake (RFC 6455 section 4.1)"
            ),
        ));
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let open = OpenInfo {
        status: response.status().as_u16(),
        request_headers,
        response_headers: header_pairs(response.headers()),
        subprotocol: header("sec-websocket-protocol"),
        extensions: header("sec-websocket-extensions"),
        handshake: started.elapsed(),
    };
    Ok((socket, open))
}

/// The stream a request goes over: TCP to `host:port`, directly or through the proxy that
/// `proxy_mode` picks, then TLS when `secure`. WebSocket attempts and the SSE client both
/// open theirs with it.
pub(crate) async fn open_stream(
    host: &str,
    port: u16,
    secure: bool,
    tls_options: &TlsOptions,
    proxy_mode: &ProxyMode,
) -> Result<MaybeTlsStream<TcpStream>, ErrorInfo> {
    let environment = |name: &str| std::env::var(name).ok();
    let proxy = proxy::resolve(proxy_mode, host, secure, &environment)
        .map_err(|why| ErrorInfo::new(ErrorCategory::Io, why.to_string()))?;
    let tcp = match proxy {
        Some(proxy) => proxy::connect_through(&proxy, host, port).await?,
        None => connect_tcp(host, port).await?,
    };
    if !secure {
        return Ok(MaybeTlsStream::Plain(tcp));
    }
    let config = tls::client_config(tls_options)
        .map_err(|message| ErrorInfo::new(ErrorCategory::Tls, message.to_string()))?;
    let server_name = rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|_| {
        ErrorInfo::new(
            ErrorCategory::Tls,
            format!("{host:?} is not a valid TLS server name"),
        )
    })?;
    let stream = TlsConnector::from(config)
        .connect(server_name, tcp)
        .await
        .map_err(|e| ErrorInfo::new(ErrorCategory::Tls, tls::describe_tls_error(&e)))?;
    Ok(MaybeTlsStream::Rustls(stream))
}

/// Resolves `host` and connects to the first address that accepts, each failure said in
/// plain words with its category.
pub(crate) async fn connect_tcp(host: &str, port: u16) -> Result<TcpStream, ErrorInfo> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| ErrorInfo::new(ErrorCategory::Dns, format!("could not resolve {host}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(ErrorInfo::new(
            ErrorCategory::Dns,
            format!("{host} resolved to no address"),
        ));
    }
    let mut last_error = None;
    for addr in &addrs {
        match TcpStream::connect(addr).await {
            Ok(tcp) => {
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last_error = Some((addr, e)),
        }
    }
    let (addr, error) =
        last_error.ok_or_else(|| ErrorInfo::new(ErrorCategory::Io, "no address to connect to"))?;
    Err(match error.kind() {
        io::ErrorKind::ConnectionRefused => ErrorInfo::new(
            ErrorCategory::Refused,
            format!("connection refused by {addr} (is the server running?)"),
        ),
        _ => ErrorInfo::new(
            ErrorCategory::Io,
            format!("could not connect to {addr}: {error}"),
        ),
    })
}

fn handshake_error(error: WsError) -> ErrorInfo {
    match error {
        WsError::Http(response) => {
            let status = response.status();
            let reason = status.canonical_reason().unwrap_or("");
            let message = format!("server answered {} {reason}", status.as_u16())
                .trim_end()
                .to_owned();
            let (parts, body) = response.into_parts();
            let headers = header_pairs(&parts.headers);
            let body = body.unwrap_or_default();
            let body = match chunked::is_chunked(&headers) {
                true => chunked::dechunk(&body).unwrap_or(body),
                false => body,
            };
            ErrorInfo {
                category: ErrorCategory::Http,
                message,
                http: Some(HttpRejection {
                    status: status.as_u16(),
                    headers,
                    body: Bytes::from(body),
                }),
            }
        }
        // With TLS 1.3 the server judges our certificate after its own handshake ends, so
        // its alert arrives while the HTTP upgrade is read.
        WsError::Io(e) if tls::is_tls_error(&e) => {
            ErrorInfo::new(ErrorCategory::Tls, tls::describe_tls_error(&e))
        }
        WsError::Io(e) => ErrorInfo::new(ErrorCategory::Io, format!("handshake failed: {e}")),
        WsError::Tls(e) => ErrorInfo::new(ErrorCategory::Tls, format!("TLS handshake failed: {e}")),
        WsError::Protocol(ProtocolError::ExtensionNegotiation(why)) => ErrorInfo::new(
            ErrorCategory::Protocol,
            format!(
                "{why}; a client must fail such a handshake \
                 (RFC 6455 section 4.1, RFC 7692 section 5)"
            ),
        ),
        other => ErrorInfo::new(
            ErrorCategory::Protocol,
            format!("invalid handshake response: {other}"),
        ),
    }
}

/// Header pairs, names lower-case (as the HTTP library stores them), values as UTF-8 (lossy).
fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect()
}

//! One HTTP/1.1 GET for an event stream, over the engine's own TCP, proxy and TLS: DNS,
//! TCP (or an HTTP CONNECT tunnel), rustls, then hyper for the request and the response,
//! redirects followed as fetch does. Each failure gets the engine's category and plain words.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::task::JoinHandle;

use super::config::Target;
use crate::engine::proxy::ProxyMode;
use crate::engine::{ErrorCategory, ErrorInfo, TlsOptions};

/// How many redirects are followed, as fetch does.
const MAX_REDIRECTS: usize = 20;

/// The `Accept` an EventSource sends.
pub(crate) const EVENT_STREAM: &str = "text/event-stream";

/// The user agent sent unless the user's headers name another.
const USER_AGENT: &str = concat!("sockscope/", env!("CARGO_PKG_VERSION"));

/// Ends the task that drives the HTTP connection (and so closes the socket) when dropped.
pub(crate) struct ConnectionGuard(JoinHandle<()>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A response whose status and headers have arrived; its body streams on.
pub(crate) struct Answered {
    /// The URL that answered (after redirects).
    pub(crate) target: Target,
    /// The status code.
    pub(crate) status: StatusCode,
    /// The request headers sent (to the URL that answered), names as sent.
    pub(crate) request_headers: Vec<(String, String)>,
    /// The response headers, in order, names lower-case.
    pub(crate) response_headers: Vec<(String, String)>,
    /// The response's `Content-Type`, if any.
    pub(crate) content_type: Option<String>,
    /// The body, still arriving.
    pub(crate) body: Incoming,
    /// Keeps the connection alive while the body is read.
    pub(crate) _connection: ConnectionGuard,
}

/// The request headers of an EventSource: `Host`, `Accept: text/event-stream`,
/// `Cache-Control: no-cache`, `User-Agent`, `Last-Event-ID` when known; then the user's
/// headers, each replacing a default of the same name.
pub(crate) fn request_headers(
    target: &Target,
    user: &[(HeaderName, HeaderValue)],
    last_event_id: &str,
) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = Vec::new();
    if let Ok(host) = HeaderValue::from_str(&target.host_header()) {
        headers.push((header::HOST, host));
    }
    headers.push((header::ACCEPT, HeaderValue::from_static(EVENT_STREAM)));
    headers.push((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
    headers.push((header::USER_AGENT, HeaderValue::from_static(USER_AGENT)));
    // An id the server sent may hold bytes a header cannot carry; then none is sent.
    if !last_event_id.is_empty()
        && let Ok(id) = HeaderValue::from_bytes(last_event_id.as_bytes())
    {
        headers.push((HeaderName::from_static("last-event-id"), id));
    }
    headers.retain(|(default, _)| !user.iter().any(|(name, _)| name == default));
    headers.extend(user.iter().cloned());
    headers
}

/// Sends the GET (following redirects) and waits for the status and headers.
pub(crate) async fn get(
    target: &Target,
    user_headers: &[(HeaderName, HeaderValue)],
    last_event_id: &str,
    tls: &TlsOptions,
    proxy_mode: &ProxyMode,
) -> Result<Answered, ErrorInfo> {
    let mut target = target.clone();
    let mut user_headers = user_headers.to_vec();
    for _ in 0..=MAX_REDIRECTS {
        let headers = request_headers(&target, &user_headers, last_event_id);
        let answered = get_once(&target, headers, tls, proxy_mode).await?;
        let Some(next) = redirect_target(&answered)? else {
            return Ok(answered);
        };
        if !next.same_origin(&target) {
            // Credentials meant for one origin are not handed to another.
            user_headers.retain(|(name, _)| {
                name != header::AUTHORIZATION
                    && name != header::COOKIE
                    && name != header::PROXY_AUTHORIZATION
            });
        }
        target = next;
    }
    Err(ErrorInfo::new(
        ErrorCategory::Http,
        format!("more than {MAX_REDIRECTS} redirects"),
    ))
}

/// Where a redirect response points, if it is one.
fn redirect_target(answered: &Answered) -> Result<Option<Target>, ErrorInfo> {
    let redirect = matches!(answered.status.as_u16(), 301 | 302 | 303 | 307 | 308);
    if !redirect {
        return Ok(None);
    }
    let Some((_, location)) = answered
        .response_headers
        .iter()
        .find(|(name, _)| name == "location")
    else {
        // A redirect without a Location is an ordinary (failing) answer.
        return Ok(None);
    };
    let bad = |why: String| {
        ErrorInfo::new(
            ErrorCategory::Http,
            format!(
                "the server redirected ({}) to {location:?}, which cannot be followed: {why}",
                answered.status.as_u16()
            ),
        )
    };
    let url = answered
        .target
        .url
        .join(location)
        .map_err(|e| bad(e.to_string()))?;
    Target::from_url(url)
        .map(Some)
        .map_err(|why| bad(why.to_string()))
}

async fn get_once(
    target: &Target,
    headers: Vec<(HeaderName, HeaderValue)>,
    tls: &TlsOptions,
    proxy_mode: &ProxyMode,
) -> Result<Answered, ErrorInfo> {
    let stream =
        crate::engine::open_stream(&target.host, target.port, target.secure, tls, proxy_mode)
            .await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(|e| describe_hyper_error(&e, "the HTTP exchange failed"))?;
    let connection = ConnectionGuard(tokio::spawn(async move {
        // Its failures surface in the response or the body.
        let _ = connection.await;
    }));
    let mut request = Request::builder()
        .method(Method::GET)
        .uri(target.path_and_query())
        .body(Empty::<Bytes>::new())
        .map_err(|e| {
            ErrorInfo::new(
                ErrorCategory::Protocol,
                format!("cannot build the request: {e}"),
            )
        })?;
    let request_headers = header_pairs(headers.iter().map(|(n, v)| (n, v)));
    let map = request.headers_mut();
    for (name, value) in headers {
        map.append(name, value);
    }
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| describe_hyper_error(&e, "no answer"))?;
    let (parts, body) = response.into_parts();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    Ok(Answered {
        target: target.clone(),
        status: parts.status,
        request_headers,
        response_headers: response_header_pairs(&parts.headers),
        content_type,
        body,
        _connection: connection,
    })
}

/// Says what went wrong in a hyper error, with its category: a TLS alert, a transport
/// failure, or an answer that is not HTTP.
pub(crate) fn describe_hyper_error(error: &hyper::Error, context: &str) -> ErrorInfo {
    let mut source: Option<&(dyn StdError + 'static)> = error.source();
    while let Some(cause) = source {
        if let Some(io_error) = cause.downcast_ref::<io::Error>()
            && crate::engine::is_tls_error(io_error)
        {
            return ErrorInfo::new(
                ErrorCategory::Tls,
                crate::engine::describe_tls_error(io_error),
            );
        }
        source = cause.source();
    }
    let category = if error.is_parse() || error.is_parse_status() {
        ErrorCategory::Protocol
    } else {
        ErrorCategory::Io
    };
    ErrorInfo::new(category, format!("{context}: {}", chain(error)))
}

/// An error and its causes, `outer: inner: …`.
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Reads at most `limit` bytes of a body within `within` (for an error's details).
pub(crate) async fn read_prefix(body: &mut Incoming, limit: usize, within: Duration) -> Bytes {
    let mut collected = BytesMut::new();
    let reading = async {
        while collected.len() < limit {
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let room = limit - collected.len();
                        collected.extend_from_slice(&data[..data.len().min(room)]);
                    }
                }
                Some(Err(_)) | None => break,
            }
        }
    };
    let _partial = tokio::time::timeout(within, reading).await;
    collected.freeze()
}

/// Whether a Content-Type is `text/event-stream` (parameters allowed).
pub(crate) fn is_event_stream(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|value| {
        value
            .split(';')
            .next()
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(EVENT_STREAM))
    })
}

fn header_pairs<'a>(
    headers: impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)>,
) -> Vec<(String, String)> {
    headers
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn response_header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    header_pairs(headers.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(headers: &[(HeaderName, HeaderValue)]) -> Vec<(String, String)> {
        header_pairs(headers.iter().map(|(n, v)| (n, v)))
    }

    #[test]
    fn eventsource_headers_with_user_overrides() {
        let target = Target::parse("http://a.test:8080/s").unwrap();
        let headers = request_headers(&target, &[], "");
        let pairs = names(&headers);
        assert_eq!(pairs[0], ("host".into(), "a.test:8080".into()));
        assert!(pairs.contains(&("accept".into(), "text/event-stream".into())));
        assert!(pairs.contains(&("cache-control".into(), "no-cache".into())));
        assert!(!pairs.iter().any(|(n, _)| n == "last-event-id"));
        let user = [
            (
                header::ACCEPT,
                HeaderValue::from_static("text/event-stream, */*"),
            ),
            (
                HeaderName::from_static("x-token"),
                HeaderValue::from_static("1"),
            ),
            (
                HeaderName::from_static("x-token"),
                HeaderValue::from_static("2"),
            ),
        ];
        let pairs = names(&request_headers(&target, &user, "41"));
        assert!(pairs.contains(&("last-event-id".into(), "41".into())));
        let accepts: Vec<_> = pairs.iter().filter(|(n, _)| n == "accept").collect();
        assert_eq!(accepts.len(), 1);
        assert_eq!(accepts[0].1, "text/event-stream, */*");
        assert_eq!(pairs.iter().filter(|(n, _)| n == "x-token").count(), 2);
    }

    #[test]
    fn content_types() {
        assert!(is_event_stream(Some("text/event-stream")));
        assert!(is_event_stream(Some("Text/Event-Stream; charset=utf-8")));
        assert!(!is_event_stream(Some("text/plain")));
        assert!(!is_event_stream(Some("text/event-streams")));
        assert!(!is_event_stream(None));
    }
}

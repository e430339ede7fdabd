//! The server side of the opening handshake: refuses foreign origins (403), routes the
//! request, refuses unknown paths with an HTTP error, selects a subprotocol, and remembers
//! what `/headers` reports.

use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::server::{
    Callback, ErrorResponse, Request, Response,
};
use tokio_tungstenite::tungstenite::http::{HeaderMap, HeaderValue, StatusCode, header};

use super::routes::{self, RouteError, Scenario};
use super::{Ws, origin};

/// The subprotocol `/subproto` selects when the client offers it.
const CHAT_V2: &str = "chat.v2";

/// What the handshake request asked for.
pub struct Accepted {
    /// The scenario chosen by the path.
    pub scenario: Scenario,
    /// The request path, without the query.
    pub path: String,
    /// The raw query string without `?` (empty when there is none).
    pub query: String,
    /// The request headers as received.
    pub headers: HeaderMap,
}

impl Accepted {
    /// Every subprotocol the client offered, in order, across repeated headers.
    pub fn offered_subprotocols(&self) -> Vec<String> {
        offered_subprotocols(&self.headers)
    }
}

/// Runs the handshake on `tcp`. An unknown path or bad parameter is answered with an HTTP
/// error and comes back as `Err`, like any other handshake failure.
pub async fn accept(
    tcp: TcpStream,
) -> Result<(Ws, Accepted), tokio_tungstenite::tungstenite::Error> {
    let mut accepted: Option<Accepted> = None;
    let router = Router {
        accepted: &mut accepted,
    };
    let ws = tokio_tungstenite::accept_hdr_async_with_config(tcp, router, Some(super::ws_config()))
        .await?;
    match accepted {
        Some(accepted) => Ok((ws, accepted)),
        // The callback runs before a successful handshake returns, so this is unreachable
        // in practice; treat it as a failed handshake rather than panicking.
        None => Err(tokio_tungstenite::tungstenite::Error::ConnectionClosed),
    }
}

/// The handshake callback: routes the request and records it in `accepted`.
struct Router<'a> {
    accepted: &'a mut Option<Accepted>,
}

impl Callback for Router<'_> {
    fn on_request(self, request: &Request, response: Response) -> Result<Response, ErrorResponse> {
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if !origin::allowed(origin.as_deref()) {
            return Err(error_response(RouteError {
                status: 403,
                body: format!("{}\n", origin::refusal(origin.as_deref().unwrap_or(""))),
            }));
        }
        let host = request
            .headers()
            .get(header::HOST)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if !origin::host_allowed(host.as_deref()) {
            return Err(error_response(RouteError {
                status: 403,
                body: format!("{}\n", origin::host_refusal(host.as_deref().unwrap_or(""))),
            }));
        }
        let uri = request.uri();
        let scenario = routes::parse(uri.path(), uri.query()).map_err(error_response)?;
        let response = select_subprotocol(&scenario, request.headers(), response);
        *self.accepted = Some(Accepted {
            scenario,
            path: uri.path().to_string(),
            query: uri.query().unwrap_or("").to_string(),
            headers: request.headers().clone(),
        });
        Ok(response)
    }
}

/// Adds `Sec-WebSocket-Protocol` to the response where the scenario selects one.
///
/// `/subproto` selects `chat.v2` only. `/headers` selects the first offered subprotocol,
/// because clients such as tungstenite fail the handshake when they offered subprotocols
/// and the server selected none, and `/headers` should report whatever was offered.
fn select_subprotocol(
    scenario: &Scenario,
    headers: &HeaderMap,
    mut response: Response,
) -> Response {
    let offered = offered_subprotocols(headers);
    let selected = match scenario {
        Scenario::Subproto => offered.iter().find(|p| p.as_str() == CHAT_V2),
        Scenario::Headers => offered.first(),
        Scenario::Graphql => offered
            .iter()
            .find(|p| p.as_str() == "graphql-transport-ws"),
        Scenario::Mqtt => offered.iter().find(|p| p.as_str() == "mqtt"),
        Scenario::Stomp => offered.iter().find(|p| p.ends_with(".stomp")),
        _ => None,
    };
    if let Some(value) = selected.and_then(|p| HeaderValue::from_str(p).ok()) {
        response
            .headers_mut()
            .insert(header::SEC_WEBSOCKET_PROTOCOL, value);
    }
    response
}

/// Every subprotocol named in the `Sec-WebSocket-Protocol` headers, in order.
pub fn offered_subprotocols(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// A plain-text HTTP error response for a refused route.
fn error_response(err: RouteError) -> ErrorResponse {
    let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
    let length = err.body.len();
    let mut response = ErrorResponse::new(Some(err.body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subprotocols_across_headers() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("a, b"),
        );
        headers.append(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(" chat.v2 ,"),
        );
        assert_eq!(offered_subprotocols(&headers), ["a", "b", "chat.v2"]);
        let response = select_subprotocol(&Scenario::Subproto, &headers, Response::new(()));
        assert_eq!(
            response.headers()[header::SEC_WEBSOCKET_PROTOCOL],
            "chat.v2"
        );
        let response = select_subprotocol(&Scenario::Echo, &headers, Response::new(()));
        assert!(
            response
                .headers()
                .get(header::SEC_WEBSOCKET_PROTOCOL)
                .is_none()
        );
    }

    #[test]
    fn error_response_has_length() {
        let response = error_response(RouteError {
            status: 404,
            body: "nope\n".into(),
        });
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()[header::CONTENT_LENGTH], "5");
        assert_eq!(response.body().as_deref(), Some("nope\n"));
    }
}

//! OAuth 2.0 client credentials (RFC 6749 section 4.4): a token fetched from the token
//! endpoint before the handshake, over the engine's own TCP, proxy and TLS, and used as a
//! Bearer token until it expires.

use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{Method, Request, header};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use url::Url;

use super::proxy::ProxyMode;
use super::{ErrorInfo, TlsOptions};
use crate::format::query::encode;

/// The most bytes of a token endpoint's answer read.
const MAX_ANSWER_BYTES: usize = 64 << 10;

/// What the client credentials grant is made with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientCredentials {
    /// The token endpoint, `https://…/token` (`http://` only to loopback, for tests and
    /// local servers).
    pub token_url: String,
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// The scope asked for (space-separated), empty for the server's default.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

/// A token the endpoint issued.
#[derive(Clone, Debug)]
pub struct Token {
    /// The access token.
    pub access_token: String,
    /// `Bearer` (any other type is refused).
    pub token_type: String,
    /// Its lifetime in seconds, when the server said.
    pub expires_in: Option<u64>,
    /// The scope granted, when the server said.
    pub scope: Option<String>,
    /// When it was received.
    pub received: Instant,
    /// The endpoint's HTTP status (200).
    pub status: u16,
}

impl Token {
    /// True when it has expired, or will within `margin` (a token about to expire is not
    /// sent on a new handshake).
    pub fn expired(&self, margin: Duration) -> bool {
        self.expires_in
            .is_some_and(|seconds| self.received.elapsed() + margin >= Duration::from_secs(seconds))
    }
}

/// The timeline's record of a token request for `credentials` and its `result`: neither
/// the client secret nor the token is kept.
pub fn exchange(
    credentials: &ClientCredentials,
    result: &Result<Token, TokenError>,
) -> super::TokenExchange {
    super::TokenExchange {
        url: credentials.token_url.clone(),
        client_id: credentials.client_id.clone(),
        scope: credentials.scope.clone(),
        answer: match result {
            Ok(token) => Ok(super::TokenGranted {
                status: token.status,
                token_type: token.token_type.clone(),
                expires_in: token.expires_in,
                scope: token.scope.clone(),
            }),
            Err(error) => Err(error.to_string()),
        },
    }
}

/// One line about a token exchange, for the timeline's row and filters.
pub fn describe_exchange(exchange: &super::TokenExchange) -> String {
    match &exchange.answer {
        Ok(granted) => {
            let expires = granted
                .expires_in
                .map_or_else(String::new, |seconds| format!(", expires in {seconds} s"));
            format!(
                "OAuth 2.0 token from {}: {} {}{expires}",
                exchange.url, granted.status, granted.token_type
            )
        }
        Err(error) => format!("OAuth 2.0 token from {} failed: {error}", exchange.url),
    }
}

/// Why no token was obtained.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The token URL cannot be used.
    #[error("token URL {url:?}: {why}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong.
        why: String,
    },
    /// The endpoint could not be reached, or the exchange failed.
    #[error("the token endpoint could not be reached: {}", .0.message)]
    Transport(ErrorInfo),
    /// The endpoint refused (RFC 6749 5.2: `error` and `error_description`).
    #[error("the token endpoint answered {status}: {why}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// `error: description`, or the start of the body.
        why: String,
    },
    /// The answer is not a token response.
    #[error("the token endpoint's answer is not a token: {0}")]
    Answer(String),
    /// It took longer than the timeout.
    #[error("the token endpoint did not answer within {0:?}")]
    Timeout(Duration),
}

/// The JSON a token endpoint answers with (RFC 6749 5.1 and 5.2).
#[derive(Deserialize)]
struct Answer {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
    scope: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Asks the endpoint for a token with `credentials`, within `timeout`.
pub async fn fetch_token(
    credentials: &ClientCredentials,
    tls: &TlsOptions,
    proxy: &ProxyMode,
    timeout: Duration,
) -> Result<Token, TokenError> {
    tokio::time::timeout(timeout, fetch(credentials, tls, proxy))
        .await
        .map_err(|_| TokenError::Timeout(timeout))?
}

async fn fetch(
    credentials: &ClientCredentials,
    tls: &TlsOptions,
    proxy: &ProxyMode,
) -> Result<Token, TokenError> {
    let bad = |why: &str| TokenError::Url {
        url: credentials.token_url.clone(),
        why: why.to_owned(),
    };
    let url = Url::parse(credentials.token_url.trim()).map_err(|e| bad(&e.to_string()))?;
    let host = url
        .host_str()
        .ok_or_else(|| bad("it has no host"))?
        .to_owned();
    let secure = match url.scheme() {
        "https" => true,
        "http" if is_loopback(&host) => false,
        "http" => {
            return Err(bad(
                "the client secret goes only over https (or to loopback)",
            ));
        }
        _ => return Err(bad("expected https://")),
    };
    let port = url
        .port_or_known_default()
        .ok_or_else(|| bad("it has no port"))?;
    let host_for_tls = host.trim_start_matches('[').trim_end_matches(']');
    let stream = super::open_stream(host_for_tls, port, secure, tls, proxy)
        .await
        .map_err(TokenError::Transport)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
            .await
            .map_err(|e| TokenError::Transport(transport(&e)))?;
    let connection = tokio::spawn(async move {
        let _ = connection.await;
    });
    // RFC 6749 2.3.1: the id and secret are form-encoded, then sent with HTTP Basic.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        form_encode(&credentials.client_id),
        form_encode(&credentials.client_secret)
    ));
    let mut body = String::from("grant_type=client_credentials");
    if !credentials.scope.trim().is_empty() {
        body.push_str("&scope=");
        body.push_str(&form_encode(credentials.scope.trim()));
    }
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let host_header = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, host_header)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::AUTHORIZATION, format!("Basic {basic}"))
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| bad(&e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| TokenError::Transport(transport(&e)))?;
    let status = response.status().as_u16();
    let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
        .collect()
        .await
        .map_err(|e| TokenError::Answer(format!("reading it failed: {e}")))?
        .to_bytes();
    connection.abort();
    let answer: Result<Answer, _> = serde_json::from_slice(&body);
    if !(200..300).contains(&status) {
        let why = match &answer {
            Ok(Answer {
                error: Some(error),
                error_description,
                ..
            }) => match error_description {
                Some(description) => format!("{error}: {description}"),
                None => error.clone(),
            },
            _ => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        };
        return Err(TokenError::Refused { status, why });
    }
    let answer = answer.map_err(|e| TokenError::Answer(e.to_string()))?;
    let access_token = answer
        .access_token
        .filter(|token| !token.is_empty())
        .ok_or_else(|| TokenError::Answer("no access_token".into()))?;
    let token_type = answer.token_type.unwrap_or_default();
    if !token_type.eq_ignore_ascii_case("bearer") {
        return Err(TokenError::Answer(format!(
            "token_type {token_type:?} is not Bearer"
        )));
    }
    // Some servers write expires_in as a string.
    let expires_in = match answer.expires_in {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    Ok(Token {
        access_token,
        token_type,
        expires_in,
        scope: answer.scope,
        received: Instant::now(),
        status,
    })
}

/// `application/x-www-form-urlencoded` (RFC 6749 appendix B): space as `+`.
fn form_encode(text: &str) -> String {
    encode(text).replace("%20", "+")
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare == "localhost"
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn transport(error: &hyper::Error) -> ErrorInfo {
    use std::error::Error as _;
    let mut message = format!("the token request failed: {error}");
    if let Some(cause) = error.source() {
        message.push_str(&format!(": {cause}"));
    }
    ErrorInfo::new(super::ErrorCategory::Io, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_is_rfc_6749_appendix_b() {
        assert_eq!(form_encode("a b+c/d:é"), "a+b%2Bc/d:%C3%A9");
    }

    #[test]
    fn a_token_expires_a_margin_early() {
        let token = Token {
            access_token: "t".into(),
            token_type: "Bearer".into(),
            expires_in: Some(60),
            scope: None,
            received: Instant::now(),
            status: 200,
        };
        assert!(!token.expired(Duration::from_secs(10)));
        assert!(token.expired(Duration::from_secs(60)));
        let forever = Token {
            expires_in: None,
            ..token
        };
        assert!(!forever.expired(Duration::from_secs(3600)));
    }
}

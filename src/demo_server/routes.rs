//! Turns a request's path and query string into a [`Scenario`], or into the HTTP error the
//! client should see instead (404 for an unknown path, 400 for a bad number).

use std::borrow::Cow;

use super::formats::Format;

/// The paths the demo server knows, shown in the 404 body.
const KNOWN_PATHS: &str = "/echo, /json?count=N, /close/CODE?reason=R, /close/none, /drop, \
     /binary, /big-json?mib=N, /headers, /subproto, /flood?n=N&size=S, /ping, \
     /evil/invalid-utf8, /evil/ignore-close, /msgpack, /cbor, /protobuf, /gzip, \
     /zlib-stream, /deflate (each ?count=N), /socket.io/ (Socket.IO v4), /graphql, /jsonrpc, \
     /mqtt, /stomp, /book?count=N&interval=MS&style=merge|patch, /login?count=N; and over plain HTTP (not WebSocket) /sse?count=N";

/// Default number of messages for `/flood`.
pub const DEFAULT_FLOOD_COUNT: u64 = 1000;
/// Default message size in bytes for `/flood`.
pub const DEFAULT_FLOOD_SIZE: usize = 100;
/// Largest message size `/flood` accepts (the usual maximum frame size of a client).
pub const MAX_FLOOD_SIZE: usize = 16 * 1024 * 1024;
/// Default size in MiB of `/big-json`'s message.
pub const DEFAULT_BIG_JSON_MIB: usize = 16;
/// Largest `/big-json` message in MiB: a client's usual message size limit is 64 MiB.
pub const MAX_BIG_JSON_MIB: usize = 63;
/// Largest close reason in bytes: a close frame's payload is at most 125 bytes, two of
/// which are the status code.
pub const MAX_CLOSE_REASON: usize = 123;

/// What the server does on one connection, chosen by the request's path and query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scenario {
    /// `/echo`: text and binary messages back verbatim.
    Echo,
    /// `/json?count=N`: a JSON tick every 100 ms; after `count` ticks, close 1000 "done".
    Json {
        /// How many ticks to send before closing; `None` runs until the client closes.
        count: Option<u64>,
    },
    /// `/close/CODE?reason=R` and `/close/none`: the server starts the closing handshake.
    Close {
        /// The status code to send, any `u16` as given; `None` sends an empty close payload.
        code: Option<u16>,
        /// The reason (percent-decoded); empty when absent and always empty without a code.
        reason: String,
    },
    /// `/drop`: one text message, then the TCP connection ends without a close frame.
    Drop,
    /// `/binary`: 256 bytes 0..=255, 1 MiB of deterministic pseudo-random bytes, then echo.
    Binary,
    /// `/big-json?mib=N`: one JSON text of about `mib` MiB (an array of small records),
    /// then echo.
    BigJson {
        /// The message's size in MiB.
        mib: usize,
    },
    /// `/headers`: a JSON description of the handshake request, then echo.
    Headers,
    /// `/subproto`: selects `chat.v2` when offered, then echo.
    Subproto,
    /// `/flood?n=N&size=S`: `n` text messages of exactly `size` bytes, then close 1000.
    Flood {
        /// Number of messages.
        count: u64,
        /// Size of each message in bytes.
        size: usize,
    },
    /// `/ping`: a ping every 100 ms (payload: the counter in decimal), and echo.
    Ping,
    /// `/evil/invalid-utf8`: one text frame whose payload is not UTF-8.
    InvalidUtf8,
    /// `/evil/ignore-close`: echo, but never answer the client's close frame.
    IgnoreClose,
    /// `/mqtt`: a one-connection MQTT 3.1.1/5 broker (subprotocol `mqtt`).
    Mqtt,
    /// `/login?count=N`: log in, get a token, subscribe with it, get `count` ticks (5).
    Login {
        /// Ticks after the subscription before closing 1000 "done".
        count: u64,
    },
    /// `/stomp`: a one-connection STOMP 1.2 broker (subprotocols `v12.stomp`, …).
    Stomp,
    /// `/msgpack`, `/cbor`, `/protobuf`, `/gzip`, `/zlib-stream`, `/deflate` (`?count=N`):
    /// a market tick every 100 ms as a binary message in that format; after `count` of
    /// them, close 1000 "done".
    Encoded {
        /// The format of every message.
        format: Format,
        /// How many ticks to send before closing; `None` runs until the client closes.
        count: Option<u64>,
    },
    /// `/socket.io/`: a minimal Socket.IO v4 server (Engine.IO 4 over WebSocket) that
    /// echoes events and answers acks.
    SocketIo,
    /// `/graphql`: GraphQL over WebSocket (`graphql-transport-ws`).
    Graphql,
    /// `/jsonrpc`: a JSON-RPC 2.0 peer.
    JsonRpc,
    /// `/book?count=N&interval=MS&style=merge|patch`: an order book's snapshot, `count`
    /// deltas `interval` ms apart, then the server's final book (see `book.rs`).
    Book {
        /// How many deltas (default 100).
        count: u64,
        /// Milliseconds between deltas (default 100).
        interval_ms: u64,
        /// How the deltas are written.
        style: super::book::BookStyle,
    },
}

/// Why a request was refused, as an HTTP status and a short plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteError {
    /// HTTP status code: 404 for an unknown path, 400 for a bad parameter.
    pub status: u16,
    /// Short human-readable explanation.
    pub body: String,
}

impl RouteError {
    fn not_found(path: &str) -> Self {
        // Keep the echoed path short: it comes from the network.
        let shown: String = path.chars().take(200).collect();
        Self {
            status: 404,
            body: format!("no such demo path: {shown}; try {KNOWN_PATHS}\n"),
        }
    }

    fn bad_request(body: String) -> Self {
        Self {
            status: 400,
            body: format!("{body}\n"),
        }
    }
}

/// Parses a request path (without the query) and the raw query string (without `?`).
///
/// Lenient: a trailing `/` is ignored, unknown query keys are ignored, an empty value
/// counts as absent, and when a key repeats the last value wins.
pub fn parse(path: &str, query: Option<&str>) -> Result<Scenario, RouteError> {
    let trimmed = match path.strip_suffix('/') {
        Some(rest) if !rest.is_empty() => rest,
        _ => path,
    };
    let query = Query::parse(query.unwrap_or(""));
    if let Some(format) = trimmed.strip_prefix('/').and_then(Format::from_path) {
        return Ok(Scenario::Encoded {
            format,
            count: query.number::<u64>("count")?,
        });
    }
    match trimmed {
        "/echo" => Ok(Scenario::Echo),
        "/json" => Ok(Scenario::Json {
            count: query.number::<u64>("count")?,
        }),
        "/drop" => Ok(Scenario::Drop),
        "/binary" => Ok(Scenario::Binary),
        "/big-json" => parse_big_json(&query),
        "/headers" => Ok(Scenario::Headers),
        "/subproto" => Ok(Scenario::Subproto),
        "/flood" => parse_flood(&query),
        "/ping" => Ok(Scenario::Ping),
        "/mqtt" => Ok(Scenario::Mqtt),
        "/stomp" => Ok(Scenario::Stomp),
        "/evil/invalid-utf8" => Ok(Scenario::InvalidUtf8),
        "/evil/ignore-close" => Ok(Scenario::IgnoreClose),
        "/socket.io" => Ok(Scenario::SocketIo),
        "/graphql" => Ok(Scenario::Graphql),
        "/jsonrpc" => Ok(Scenario::JsonRpc),
        "/book" => parse_book(&query),
        "/login" => Ok(Scenario::Login {
            count: query.number::<u64>("count")?.unwrap_or(5),
        }),
        other => match other.strip_prefix("/close/") {
            Some(code) if !code.is_empty() && !code.contains('/') => parse_close(code, &query),
            _ => Err(RouteError::not_found(path)),
        },
    }
}

fn parse_flood(query: &Query) -> Result<Scenario, RouteError> {
    let count = query.number::<u64>("n")?.unwrap_or(DEFAULT_FLOOD_COUNT);
    let size = query.number::<usize>("size")?.unwrap_or(DEFAULT_FLOOD_SIZE);
    if size > MAX_FLOOD_SIZE {
        return Err(RouteError::bad_request(format!(
            "bad size {size}: at most {MAX_FLOOD_SIZE} bytes"
        )));
    }
    Ok(Scenario::Flood { count, size })
}

fn parse_book(query: &Query) -> Result<Scenario, RouteError> {
    use super::book::BookStyle;
    let style = match query.get("style") {
        None | Some("merge") => BookStyle::Merge,
        Some("patch") => BookStyle::Patch,
        Some(other) => {
            let shown: String = other.chars().take(40).collect();
            return Err(RouteError::bad_request(format!(
                "bad style \"{shown}\": merge or patch"
            )));
        }
    };
    Ok(Scenario::Book {
        count: query.number::<u64>("count")?.unwrap_or(100).min(1_000_000),
        interval_ms: query.number::<u64>("interval")?.unwrap_or(100).min(60_000),
        style,
    })
}

fn parse_big_json(query: &Query) -> Result<Scenario, RouteError> {
    let mib = query
        .number::<usize>("mib")?
        .unwrap_or(DEFAULT_BIG_JSON_MIB);
    if mib > MAX_BIG_JSON_MIB {
        return Err(RouteError::bad_request(format!(
            "bad mib {mib}: at most {MAX_BIG_JSON_MIB}"
        )));
    }
    Ok(Scenario::BigJson { mib })
}

fn parse_close(code: &str, query: &Query) -> Result<Scenario, RouteError> {
    if code.eq_ignore_ascii_case("none") {
        return Ok(Scenario::Close {
            code: None,
            reason: String::new(),
        });
    }
    let code = code.trim().parse::<u16>().map_err(|_| {
        let shown: String = code.chars().take(40).collect();
        RouteError::bad_request(format!(
            "bad close code \"{shown}\": expected a whole number 0-65535 or \"none\""
        ))
    })?;
    let reason = query.get("reason").unwrap_or("").to_string();
    if reason.len() > MAX_CLOSE_REASON {
        return Err(RouteError::bad_request(format!(
            "bad reason: {} bytes, a close reason holds at most {MAX_CLOSE_REASON}",
            reason.len()
        )));
    }
    Ok(Scenario::Close {
        code: Some(code),
        reason,
    })
}

/// Decoded `key=value` pairs of a query string.
struct Query<'a> {
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Query<'a> {
    fn parse(raw: &'a str) -> Self {
        Self {
            pairs: url::form_urlencoded::parse(raw.as_bytes()).collect(),
        }
    }

    /// The last non-empty value for `key`.
    fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.as_ref())
    }

    /// The value for `key` as a number; a value that is not one is a 400.
    fn number<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, RouteError> {
        let Some(raw) = self.get(key) else {
            return Ok(None);
        };
        raw.trim().parse::<T>().map(Some).map_err(|_| {
            let shown: String = raw.chars().take(40).collect();
            RouteError::bad_request(format!("bad {key} \"{shown}\": expected a whole number"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_json_takes_a_size_within_limits() {
        assert_eq!(parse("/big-json", None), Ok(Scenario::BigJson { mib: 16 }));
        assert_eq!(
            parse("/big-json", Some("mib=2")),
            Ok(Scenario::BigJson { mib: 2 })
        );
        assert_eq!(
            parse("/big-json", Some("mib=64")).map_err(|e| e.status),
            Err(400)
        );
        assert_eq!(
            parse("/big-json", Some("mib=lots")).map_err(|e| e.status),
            Err(400)
        );
    }

    #[test]
    fn simple_paths() {
        assert_eq!(parse("/echo", None), Ok(Scenario::Echo));
        assert_eq!(parse("/echo/", None), Ok(Scenario::Echo));
        assert_eq!(parse("/drop", Some("x=1")), Ok(Scenario::Drop));
        assert_eq!(parse("/evil/ignore-close", None), Ok(Scenario::IgnoreClose));
        assert_eq!(parse("/evil/invalid-utf8", None), Ok(Scenario::InvalidUtf8));
    }

    #[test]
    fn json_count() {
        assert_eq!(parse("/json", None), Ok(Scenario::Json { count: None }));
        assert_eq!(
            parse("/json", Some("count=3")),
            Ok(Scenario::Json { count: Some(3) })
        );
        assert_eq!(
            parse("/json", Some("count=")),
            Ok(Scenario::Json { count: None })
        );
        let err = parse("/json", Some("count=abc")).unwrap_err();
        assert_eq!(err.status, 400);
        assert!(err.body.contains("count"), "{}", err.body);
        assert!(err.body.contains("abc"), "{}", err.body);
        assert_eq!(parse("/json", Some("count=-1")).unwrap_err().status, 400);
    }

    #[test]
    fn close_codes() {
        assert_eq!(
            parse("/close/4001", Some("reason=bye%20now")),
            Ok(Scenario::Close {
                code: Some(4001),
                reason: "bye now".into()
            })
        );
        assert_eq!(
            parse("/close/1005", None),
            Ok(Scenario::Close {
                code: Some(1005),
                reason: String::new()
            })
        );
        assert_eq!(
            parse("/close/none", Some("reason=ignored")),
            Ok(Scenario::Close {
                code: None,
                reason: String::new()
            })
        );
        assert_eq!(parse("/close/70000", None).unwrap_err().status, 400);
        assert_eq!(parse("/close/abc", None).unwrap_err().status, 400);
        let long = format!("reason={}", "x".repeat(124));
        assert_eq!(parse("/close/1000", Some(&long)).unwrap_err().status, 400);
        assert_eq!(parse("/close", None).unwrap_err().status, 404);
        assert_eq!(parse("/close/1000/x", None).unwrap_err().status, 404);
    }

    #[test]
    fn flood_params() {
        assert_eq!(
            parse("/flood", None),
            Ok(Scenario::Flood {
                count: 1000,
                size: 100
            })
        );
        assert_eq!(
            parse("/flood", Some("n=5&size=7&other=x")),
            Ok(Scenario::Flood { count: 5, size: 7 })
        );
        assert_eq!(
            parse("/flood", Some("n=1&n=9")),
            Ok(Scenario::Flood {
                count: 9,
                size: 100
            })
        );
        assert_eq!(parse("/flood", Some("size=big")).unwrap_err().status, 400);
        assert_eq!(
            parse("/flood", Some("size=999999999999"))
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn format_paths_take_a_count() {
        assert_eq!(
            parse("/msgpack", None),
            Ok(Scenario::Encoded {
                format: Format::Msgpack,
                count: None
            })
        );
        assert_eq!(
            parse("/zlib-stream/", Some("count=2")),
            Ok(Scenario::Encoded {
                format: Format::ZlibStream,
                count: Some(2)
            })
        );
        for (path, format) in [
            ("/cbor", Format::Cbor),
            ("/protobuf", Format::Protobuf),
            ("/gzip", Format::Gzip),
            ("/deflate", Format::Deflate),
        ] {
            assert_eq!(
                parse(path, Some("count=1")),
                Ok(Scenario::Encoded {
                    format,
                    count: Some(1)
                })
            );
        }
        assert_eq!(parse("/gzip", Some("count=x")).unwrap_err().status, 400);
        assert_eq!(parse("/zlib", None).unwrap_err().status, 404);
        assert!(
            parse("/nope", None)
                .unwrap_err()
                .body
                .contains("/zlib-stream")
        );
    }

    #[test]
    fn book_params() {
        use crate::demo_server::book::BookStyle;
        assert_eq!(
            parse("/book", None),
            Ok(Scenario::Book {
                count: 100,
                interval_ms: 100,
                style: BookStyle::Merge
            })
        );
        assert_eq!(
            parse("/book", Some("count=3&interval=0&style=patch")),
            Ok(Scenario::Book {
                count: 3,
                interval_ms: 0,
                style: BookStyle::Patch
            })
        );
        assert_eq!(parse("/book", Some("style=xml")).unwrap_err().status, 400);
    }

    #[test]
    fn unknown_paths_are_404() {
        let err = parse("/x", None).unwrap_err();
        assert_eq!(err.status, 404);
        assert!(
            err.body
                .starts_with("no such demo path: /x; try /echo, /json")
        );
        assert_eq!(parse("/sse", None).unwrap_err().status, 404);
        assert_eq!(parse("/", None).unwrap_err().status, 404);
    }
}

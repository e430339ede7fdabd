//! The embedded demo server, checked path by path with a plain tokio-tungstenite client
//! (and a raw TCP client where tungstenite would hide what is on the wire).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use sockscope::demo_server::{self, DemoServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Bytes, Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

const PATIENCE: Duration = Duration::from_secs(5);

async fn server() -> DemoServer {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    demo_server::start(addr).await.unwrap()
}

async fn connect(server: &DemoServer, path: &str) -> Client {
    let (ws, response) = tokio::time::timeout(PATIENCE, connect_async(server.url(path)))
        .await
        .expect("handshake timed out")
        .unwrap_or_else(|e| panic!("connect to {path}: {e}"));
    assert_eq!(response.status(), 101);
    ws
}

/// The next item from the client stream, failing the test after [`PATIENCE`].
async fn next(ws: &mut Client) -> Option<Result<Message, Error>> {
    tokio::time::timeout(PATIENCE, ws.next())
        .await
        .expect("no message from the demo server in time")
}

/// The next message, which must not be an error or the end of the stream.
async fn next_message(ws: &mut Client) -> Message {
    match next(ws).await {
        Some(Ok(message)) => message,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// The next message that is not a ping or pong.
async fn next_data(ws: &mut Client) -> Message {
    loop {
        match next_message(ws).await {
            Message::Ping(_) | Message::Pong(_) => {}
            message => return message,
        }
    }
}

fn close_of(message: Message) -> Option<CloseFrame> {
    match message {
        Message::Close(frame) => frame,
        other => panic!("expected a close frame, got {other:?}"),
    }
}

/// After the server's close frame, the stream ends cleanly once tungstenite has replied.
async fn expect_clean_end(ws: &mut Client) {
    match next(ws).await {
        None => {}
        other => panic!("expected the stream to end after the close, got {other:?}"),
    }
}

/// The HTTP error a refused handshake gives: status and body.
async fn refused(server: &DemoServer, path: &str) -> (u16, String) {
    match connect_async(server.url(path)).await {
        Err(Error::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            (
                response.status().as_u16(),
                String::from_utf8_lossy(&body).into_owned(),
            )
        }
        Err(other) => panic!("{path}: expected an HTTP error, got {other}"),
        Ok(_) => panic!("{path}: expected the handshake to be refused"),
    }
}

#[tokio::test]
async fn big_json_sends_one_json_text_of_the_size_asked_then_echoes() {
    let server = server().await;
    let mut ws = connect(&server, "/big-json?mib=2").await;
    let Message::Text(text) = next_data(&mut ws).await else {
        panic!("expected a text message");
    };
    assert!(
        (2 << 20..(2 << 20) + 200).contains(&text.len()),
        "{} bytes",
        text.len()
    );
    let records: Vec<serde_json::Value> = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(records[1]["name"], "user 1");
    ws.send(Message::text("still there?")).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::text("still there?"));
}

#[tokio::test]
async fn echo_returns_text_and_binary_and_answers_close() {
    let server = server().await;
    let mut ws = connect(&server, "/echo").await;

    ws.send(Message::text("hello, demo")).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::text("hello, demo"));

    let bytes = Bytes::from_static(&[0, 1, 2, 0xfe, 0xff]);
    ws.send(Message::Binary(bytes.clone())).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::Binary(bytes));

    ws.send(Message::Close(Some(CloseFrame {
        code: CloseCode::Away,
        reason: "leaving".into(),
    })))
    .await
    .unwrap();
    let reply = close_of(next_data(&mut ws).await).expect("close reply with a code");
    assert_eq!(reply.code, CloseCode::Away);
    assert_eq!(reply.reason, "leaving");
    expect_clean_end(&mut ws).await;
}

#[tokio::test]
async fn json_count_sends_ticks_then_closes_done() {
    let server = server().await;
    let mut ws = connect(&server, "/json?count=3").await;
    for expected in 1..=3u64 {
        let Message::Text(text) = next_data(&mut ws).await else {
            panic!("expected a text tick");
        };
        let tick: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(tick["counter"], expected, "{text}");
        assert_eq!(tick["type"], "tick", "{text}");
        let stamp = tick["timestamp"].as_str().unwrap();
        assert_eq!(stamp.len(), 24, "{stamp}");
        assert!(stamp.starts_with("20") && stamp.ends_with('Z'), "{stamp}");
        assert_eq!(&stamp[19..20], ".", "{stamp}");
    }
    let close = close_of(next_data(&mut ws).await).expect("a close code");
    assert_eq!(close.code, CloseCode::Normal);
    assert_eq!(close.reason, "done");
    expect_clean_end(&mut ws).await;
}

#[tokio::test]
async fn json_without_count_keeps_ticking_until_the_client_closes() {
    let server = server().await;
    let mut ws = connect(&server, "/json").await;
    ws.send(Message::text("ignored")).await.unwrap();
    for expected in 1..=4u64 {
        let Message::Text(text) = next_data(&mut ws).await else {
            panic!("expected a text tick");
        };
        let tick: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(tick["counter"], expected);
    }
    ws.close(None).await.unwrap();
    // Ticks already in flight may arrive before the close reply.
    loop {
        match next_message(&mut ws).await {
            Message::Text(_) => {}
            Message::Close(_) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    expect_clean_end(&mut ws).await;
}

#[tokio::test]
async fn close_code_and_percent_decoded_reason() {
    let server = server().await;
    let mut ws = connect(&server, "/close/4001?reason=bye").await;
    let close = close_of(next_data(&mut ws).await).expect("a close code");
    assert_eq!(u16::from(close.code), 4001);
    assert_eq!(close.reason, "bye");
    expect_clean_end(&mut ws).await;

    let mut ws = connect(&server, "/close/3000?reason=good%20bye%21").await;
    let close = close_of(next_data(&mut ws).await).expect("a close code");
    assert_eq!(u16::from(close.code), 3000);
    assert_eq!(close.reason, "good bye!");
}

#[tokio::test]
async fn close_waits_200ms_or_for_the_first_message() {
    let server = server().await;

    let started = Instant::now();
    let mut ws = connect(&server, "/close/1000").await;
    let close = close_of(next_data(&mut ws).await).expect("a close code");
    assert_eq!(close.code, CloseCode::Normal);
    assert!(started.elapsed() >= Duration::from_millis(190));

    let mut ws = connect(&server, "/close/1001").await;
    let started = Instant::now();
    ws.send(Message::text("go")).await.unwrap();
    let close = close_of(next_data(&mut ws).await).expect("a close code");
    assert_eq!(close.code, CloseCode::Away);
    assert!(
        started.elapsed() < Duration::from_millis(150),
        "closed after {:?}, not on the first message",
        started.elapsed()
    );
}

#[tokio::test]
async fn close_none_sends_a_close_frame_without_code() {
    let server = server().await;
    let mut ws = connect(&server, "/close/none").await;
    assert_eq!(close_of(next_data(&mut ws).await), None);
    expect_clean_end(&mut ws).await;
}

/// Handshakes by hand and returns the payload of the first frame, which must be a close.
/// tungstenite's client would turn a forbidden code into 1002, hiding what was sent.
async fn raw_close_payload(server: &DemoServer, path: &str) -> Vec<u8> {
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();

    let mut received = Vec::new();
    let frame_start = loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let mut chunk = [0u8; 1024];
        let n = tokio::time::timeout(PATIENCE, tcp.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection ended during the handshake");
        received.extend_from_slice(&chunk[..n]);
    };
    assert!(received.starts_with(b"HTTP/1.1 101"), "{received:?}");

    let mut frame = received.split_off(frame_start);
    while frame.len() < 2 || frame.len() < 2 + usize::from(frame[1] & 0x7f) {
        let mut chunk = [0u8; 256];
        let n = tokio::time::timeout(PATIENCE, tcp.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection ended before the close frame");
        frame.extend_from_slice(&chunk[..n]);
    }
    assert_eq!(frame[0], 0x88, "expected a final, unmasked close frame");
    let len = usize::from(frame[1]);
    assert!(len < 126, "close payload too long: {len}");
    frame[2..2 + len].to_vec()
}

#[tokio::test]
async fn close_sends_codes_that_must_not_be_on_the_wire_as_given() {
    let server = server().await;
    for code in [1005u16, 1006, 999, 5000, 0, 65535] {
        let payload = raw_close_payload(&server, &format!("/close/{code}?reason=x")).await;
        let mut expected = code.to_be_bytes().to_vec();
        expected.push(b'x');
        assert_eq!(payload, expected, "code {code}");
    }
    assert_eq!(raw_close_payload(&server, "/close/none").await, b"");
}

#[tokio::test]
async fn drop_ends_the_stream_without_a_close_frame() {
    let server = server().await;
    let mut ws = connect(&server, "/drop").await;
    assert_eq!(next_data(&mut ws).await, Message::text("about to drop"));
    match next(&mut ws).await {
        None | Some(Err(Error::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {}
        other => panic!("expected the stream to end without a close frame, got {other:?}"),
    }
}

#[tokio::test]
async fn binary_sends_a_ramp_then_a_deterministic_mebibyte_then_echoes() {
    let server = server().await;
    let mut first = Vec::new();
    for _ in 0..2 {
        let mut ws = connect(&server, "/binary").await;
        let Message::Binary(ramp) = next_data(&mut ws).await else {
            panic!("expected binary");
        };
        assert_eq!(ramp.len(), 256);
        assert!(ramp.iter().enumerate().all(|(i, b)| usize::from(*b) == i));

        let Message::Binary(random) = next_data(&mut ws).await else {
            panic!("expected binary");
        };
        assert_eq!(random.len(), 1_048_576);
        // xorshift64 from the fixed seed, computed independently.
        assert_eq!(random[..8], [173, 77, 243, 11, 174, 119, 27, 220]);
        let distinct = {
            let mut seen = [false; 256];
            random.iter().for_each(|b| seen[usize::from(*b)] = true);
            seen.iter().filter(|s| **s).count()
        };
        assert_eq!(
            distinct, 256,
            "pseudo-random bytes should cover every value"
        );
        if first.is_empty() {
            first = random.to_vec();
        } else {
            assert_eq!(random.as_ref(), first.as_slice(), "not deterministic");
        }

        ws.send(Message::binary(vec![9u8, 8, 7])).await.unwrap();
        assert_eq!(next_data(&mut ws).await, Message::binary(vec![9u8, 8, 7]));
    }
}

#[tokio::test]
async fn headers_reflects_the_request() {
    let server = server().await;
    let mut request = server
        .url("/headers?a=1&b=two")
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert("X-Demo", HeaderValue::from_static("hello"));
    headers.append("x-multi", HeaderValue::from_static("one"));
    headers.append("x-multi", HeaderValue::from_static("two"));
    headers.insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("alpha, beta"),
    );
    let (mut ws, response) = connect_async(request).await.unwrap();
    // tungstenite's client fails a handshake whose offered subprotocols are all ignored,
    // so /headers selects the first one offered.
    assert_eq!(response.headers()["sec-websocket-protocol"], "alpha");

    let Message::Text(text) = next_data(&mut ws).await else {
        panic!("expected a JSON text");
    };
    let described: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(described["headers"]["x-demo"], "hello", "{text}");
    assert_eq!(described["headers"]["x-multi"], "one, two", "{text}");
    assert_eq!(described["headers"]["upgrade"], "websocket", "{text}");
    assert_eq!(
        described["headers"]["host"],
        server.addr().to_string(),
        "{text}"
    );
    assert_eq!(
        described["subprotocols"],
        serde_json::json!(["alpha", "beta"])
    );
    assert_eq!(described["path"], "/headers");
    assert_eq!(described["query"], "a=1&b=two");

    ws.send(Message::text("after")).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::text("after"));
}

#[tokio::test]
async fn headers_without_subprotocols_reports_an_empty_list() {
    let server = server().await;
    let mut ws = connect(&server, "/headers").await;
    let Message::Text(text) = next_data(&mut ws).await else {
        panic!("expected a JSON text");
    };
    let described: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(described["subprotocols"], serde_json::json!([]));
    assert_eq!(described["query"], "");
}

#[tokio::test]
async fn subproto_selects_chat_v2_only_when_offered() {
    let server = server().await;

    let mut request = server.url("/subproto").into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("chat.v1, chat.v2"),
    );
    let (mut ws, response) = connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat.v2");
    ws.send(Message::text("hi")).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::text("hi"));

    let (mut ws, response) = connect_async(server.url("/subproto")).await.unwrap();
    assert!(response.headers().get("sec-websocket-protocol").is_none());
    ws.send(Message::text("plain")).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::text("plain"));

    // Offered, but not chat.v2: the server selects nothing, which tungstenite's client
    // (unlike a browser) treats as a failed handshake.
    let mut request = server.url("/subproto").into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("chat.v1"),
    );
    match connect_async(request).await {
        Err(Error::Protocol(ProtocolError::SecWebSocketSubProtocolError(
            SubProtocolError::NoSubProtocol,
        ))) => {}
        other => panic!("expected NoSubProtocol, got {:?}", other.map(|(_, r)| r)),
    }
}

#[tokio::test]
async fn flood_sends_exactly_n_messages_of_size_then_closes() {
    let server = server().await;
    let mut ws = connect(&server, "/flood?n=50&size=10").await;
    for index in 0..50 {
        let Message::Text(text) = next_data(&mut ws).await else {
            panic!("expected text message {index}");
        };
        assert_eq!(text.len(), 10, "{text:?}");
        assert!(text.starts_with(&index.to_string()), "{index}: {text:?}");
    }
    let close = close_of(next_data(&mut ws).await).expect("a close code");
    assert_eq!(close.code, CloseCode::Normal);
    assert_eq!(close.reason, "flood done");
    expect_clean_end(&mut ws).await;
}

#[tokio::test]
async fn flood_is_fast() {
    let server = server().await;
    let count = 100_000u64;
    let mut ws = connect(&server, &format!("/flood?n={count}&size=100")).await;
    let started = Instant::now();
    let mut received = 0u64;
    loop {
        match next_message(&mut ws).await {
            Message::Text(text) => {
                assert_eq!(text.len(), 100);
                received += 1;
            }
            Message::Close(_) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(received, count);
    let rate = count as f64 / elapsed.as_secs_f64();
    eprintln!("flood: {count} messages of 100 bytes in {elapsed:?} ({rate:.0} msg/s)");
    // Well over 100k msg/s in practice; kept loose so a busy machine does not fail it.
    assert!(rate > 20_000.0, "only {rate:.0} msg/s");
}

#[tokio::test]
async fn ping_sends_counted_pings_and_echoes() {
    let server = server().await;
    let mut ws = connect(&server, "/ping").await;
    ws.send(Message::text("echo me")).await.unwrap();
    let mut pings = Vec::new();
    let mut echoed = false;
    while pings.len() < 3 || !echoed {
        match next_message(&mut ws).await {
            Message::Ping(payload) => pings.push(payload),
            Message::Text(text) => {
                assert_eq!(text, "echo me");
                echoed = true;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        pings[..3],
        [Bytes::from("1"), Bytes::from("2"), Bytes::from("3")]
    );
}

#[tokio::test]
async fn unknown_paths_are_404_and_bad_numbers_400() {
    let server = server().await;
    let (status, body) = refused(&server, "/nope").await;
    assert_eq!(status, 404);
    assert!(
        body.starts_with("no such demo path: /nope; try /echo"),
        "{body}"
    );

    let (status, _) = refused(&server, "/sse").await;
    assert_eq!(status, 404);

    let (status, body) = refused(&server, "/json?count=abc").await;
    assert_eq!(status, 400);
    assert!(body.contains("count") && body.contains("abc"), "{body}");

    let (status, body) = refused(&server, "/flood?n=10&size=x").await;
    assert_eq!(status, 400);
    assert!(body.contains("size"), "{body}");

    let (status, body) = refused(&server, "/close/abc").await;
    assert_eq!(status, 400);
    assert!(body.contains("close code"), "{body}");

    // Refusals do not disturb the server.
    let mut ws = connect(&server, "/echo").await;
    ws.send(Message::text("still here")).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::text("still here"));
}

#[tokio::test]
async fn invalid_utf8_text_frame_gives_the_client_a_utf8_error() {
    let server = server().await;
    let mut ws = connect(&server, "/evil/invalid-utf8").await;
    match next(&mut ws).await {
        Some(Err(Error::Utf8(_))) => {}
        other => panic!("expected a UTF-8 error, got {other:?}"),
    }
    // The client fails the connection with 1007; the server is still reading.
    ws.send(Message::Close(Some(CloseFrame {
        code: CloseCode::Invalid,
        reason: "invalid UTF-8".into(),
    })))
    .await
    .unwrap();
}

#[tokio::test]
async fn ignore_close_never_answers_the_clients_close() {
    let server = server().await;
    let mut ws = connect(&server, "/evil/ignore-close").await;
    ws.send(Message::text("first")).await.unwrap();
    assert_eq!(next_data(&mut ws).await, Message::text("first"));

    ws.close(None).await.unwrap();
    let waited = tokio::time::timeout(Duration::from_secs(1), ws.next()).await;
    assert!(
        waited.is_err(),
        "expected silence after the close, got {waited:?}"
    );
}

#[tokio::test]
async fn connections_are_independent() {
    let server = server().await;
    let mut echo = connect(&server, "/echo").await;
    let mut ticker = connect(&server, "/json").await;
    let mut dropped = connect(&server, "/drop").await;
    assert_eq!(
        next_data(&mut dropped).await,
        Message::text("about to drop")
    );
    drop(dropped);

    echo.send(Message::text("one")).await.unwrap();
    assert_eq!(next_data(&mut echo).await, Message::text("one"));
    assert!(matches!(next_data(&mut ticker).await, Message::Text(_)));
}

#[tokio::test]
async fn dropping_the_server_stops_accepting_and_ends_connections() {
    let server = server().await;
    let addr = server.addr();
    assert_eq!(server.url("/echo"), format!("ws://{addr}/echo"));
    assert_ne!(addr.port(), 0);
    let mut ws = connect(&server, "/echo").await;
    drop(server);

    // The connection task is aborted: the stream ends without a close frame.
    match next(&mut ws).await {
        None | Some(Err(_)) => {}
        Some(Ok(message)) => panic!("expected the connection to end, got {message:?}"),
    }

    // The listener goes away with the accept task.
    let deadline = Instant::now() + PATIENCE;
    loop {
        if TcpStream::connect(addr).await.is_err() {
            break;
        }
        assert!(Instant::now() < deadline, "still accepting after drop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The handshake for `path` with `Origin: origin`: the HTTP status (101 when accepted) and
/// the body of a refusal.
async fn with_origin(server: &DemoServer, path: &str, origin: &str) -> (u16, String) {
    let mut request = server.url(path).into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", HeaderValue::from_str(origin).unwrap());
    match tokio::time::timeout(PATIENCE, connect_async(request)).await {
        Ok(Ok((_ws, response))) => (response.status().as_u16(), String::new()),
        Ok(Err(Error::Http(response))) => {
            let body = response.body().clone().unwrap_or_default();
            (
                response.status().as_u16(),
                String::from_utf8_lossy(&body).into_owned(),
            )
        }
        Ok(Err(other)) => panic!("{path} from {origin}: {other}"),
        Err(_) => panic!("{path} from {origin}: handshake timed out"),
    }
}

/// A raw plain-HTTP GET of `/sse` with `Host: host` and these extra header lines; the
/// response's head.
async fn sse_head(server: &DemoServer, host: &str, extra: &str) -> String {
    let mut tcp = TcpStream::connect(server.addr()).await.unwrap();
    let request = format!("GET /sse HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(PATIENCE, tcp.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        assert!(n > 0, "the server answered {head:?} and closed");
        head.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[tokio::test]
async fn web_pages_from_elsewhere_are_refused_local_ones_and_plain_clients_served() {
    let server = server().await;
    let (status, body) = with_origin(&server, "/echo", "https://evil.example").await;
    assert_eq!(status, 403);
    assert!(
        body.contains("\"https://evil.example\" may not use the Sockscope demo server"),
        "{body}"
    );
    assert_eq!(with_origin(&server, "/echo", "null").await.0, 403);
    let own = format!("http://{}", server.addr());
    for origin in [own.as_str(), "http://localhost:5173", "https://[::1]"] {
        assert_eq!(
            with_origin(&server, "/echo", origin).await.0,
            101,
            "{origin}"
        );
    }
    // Without an Origin header (command-line clients, Sockscope itself).
    connect(&server, "/echo").await;

    let host = server.addr().to_string();
    let refused = sse_head(&server, &host, "Origin: https://evil.example\r\n").await;
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    let served = sse_head(&server, &host, &format!("Origin: {own}\r\n")).await;
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
    assert!(
        sse_head(&server, &host, "")
            .await
            .starts_with("HTTP/1.1 200")
    );
}

#[tokio::test]
async fn a_page_that_rebinds_its_own_name_to_the_server_is_refused() {
    // DNS rebinding: the page's requests are same-origin (no Origin header) but carry the
    // page's own name as Host.
    let server = server().await;
    let port = server.addr().port();
    let rebound = format!("rebind.evil.example:{port}");
    let sse = sse_head(&server, &rebound, "").await;
    assert!(sse.starts_with("HTTP/1.1 403"), "{sse}");
    let mut request = server.url("/echo").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("host", HeaderValue::from_str(&rebound).unwrap());
    match tokio::time::timeout(PATIENCE, connect_async(request)).await {
        Ok(Err(Error::Http(response))) => {
            assert_eq!(response.status(), 403);
            let body = response.body().clone().unwrap_or_default();
            let body = String::from_utf8_lossy(&body);
            assert!(
                body.contains("answers to IP addresses and localhost only"),
                "{body}"
            );
        }
        other => panic!("a rebound name was served: {other:?}"),
    }
    // Its own address and localhost names are served.
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let served = sse_head(&server, &host, "").await;
        assert!(served.starts_with("HTTP/1.1 200"), "{host}: {served}");
    }
}

#[tokio::test]
async fn connections_beyond_the_limit_are_refused_with_503() {
    let server = server().await;
    let mut held = Vec::new();
    for _ in 0..demo_server::MAX_CONNECTIONS {
        held.push(connect(&server, "/echo").await);
    }
    let (status, body) = refused(&server, "/echo").await;
    assert_eq!(status, 503);
    assert!(body.contains("64 connections"), "{body}");
    // The ones held are served as before.
    let last = held.last_mut().unwrap();
    last.send(Message::text("still served")).await.unwrap();
    assert_eq!(next_data(last).await, Message::text("still served"));
    // Once one leaves, a new client gets its place.
    let mut leaving = held.remove(0);
    leaving.close(None).await.unwrap();
    while next(&mut leaving).await.is_some_and(|m| m.is_ok()) {}
    let deadline = Instant::now() + PATIENCE;
    loop {
        match connect_async(server.url("/echo")).await {
            Ok(_) => break,
            Err(Error::Http(response)) if response.status() == 503 => {
                assert!(Instant::now() < deadline, "the place was not freed");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(other) => panic!("{other}"),
        }
    }
}

/// Resident memory of process `pid` in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// `sockscope serve` as its own process, with 20 clients of `/big-json?mib=63` that read
/// the start of their message and then nothing more: the server's resident memory stays
/// bounded (1371 MiB before the payload was made and sent in pieces, 28-33 MiB after).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_readers_of_big_json_do_not_grow_the_server() {
    use tokio::io::AsyncBufReadExt;
    const CLIENTS: usize = 20;
    const LIMIT_MIB: u64 = 200;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).await.unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ws://")
        .unwrap()
        .to_owned();
    let idle = rss_kib(pid);

    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let mut tcp = TcpStream::connect(&addr).await.unwrap();
        let request = format!(
            "GET /big-json?mib=63 HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\n\
             Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        // The 101 and the start of the message: the server is sending.
        let mut start = vec![0u8; 64 * 1024];
        tokio::time::timeout(Duration::from_secs(60), tcp.read_exact(&mut start))
            .await
            .expect("the message starts")
            .unwrap();
        assert!(start.starts_with(b"HTTP/1.1 101"));
        clients.push(tcp);
    }
    // Let the server fill what the sockets take; then the memory no longer moves.
    let mut peak = rss_kib(pid);
    let mut still = 0;
    while still < 10 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = rss_kib(pid);
        still = if now > peak + 1024 { 0 } else { still + 1 };
        peak = peak.max(now);
    }
    eprintln!(
        "sockscope serve RSS: {} MiB idle, {} MiB with {CLIENTS} slow /big-json?mib=63 clients",
        idle / 1024,
        peak / 1024
    );
    assert!(
        peak / 1024 < LIMIT_MIB,
        "the server holds {} MiB for {CLIENTS} slow readers",
        peak / 1024
    );
    drop(clients);
}

//! Small servers for scenarios the demo server cannot produce: a listener that never
//! answers, a bad Sec-WebSocket-Accept, an unoffered subprotocol.

// tungstenite's handshake callback type returns a large error (an HTTP response).
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Accepts TCP connections and never answers (holds them open for 30 s).
pub async fn silent() -> SocketAddr {
    serve_each(|socket| async move {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        drop(socket);
    })
    .await
}

/// A loopback listener that runs `session` on each connection it accepts, each in its own
/// task.
async fn serve_each<F, Fut>(session: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(session(socket));
        }
    });
    addr
}

/// Answers every upgrade request with `response` (raw HTTP), then holds the connection.
pub async fn raw_http(response: &'static str) -> SocketAddr {
    serve_each(move |mut socket| async move {
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        let _ = socket.write_all(response.as_bytes()).await;
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    })
    .await
}

/// A WebSocket server that selects subprotocol "surprise" whatever the client offered.
pub async fn unoffered_subprotocol() -> SocketAddr {
    answers_with_header("sec-websocket-protocol", "surprise").await
}

/// A WebSocket server that accepts `permessage-deflate` whether or not it was offered.
pub async fn unrequested_deflate() -> SocketAddr {
    answers_with_header(
        "sec-websocket-extensions",
        "permessage-deflate; server_no_context_takeover",
    )
    .await
}

/// A WebSocket server whose handshake answers `Sec-WebSocket-Extensions: value`, whatever
/// the client offered.
pub async fn answers_extensions(value: &'static str) -> SocketAddr {
    answers_with_header("sec-websocket-extensions", value).await
}

/// A WebSocket server whose handshake answer carries `name: value`, asked for or not, then
/// holds the connection.
async fn answers_with_header(name: &'static str, value: &'static str) -> SocketAddr {
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
    serve_each(move |socket| async move {
        let callback = |_req: &Request, mut response: Response| {
            response
                .headers_mut()
                .insert(name, value.parse().expect("value"));
            Ok(response)
        };
        let _ws = tokio_tungstenite::accept_hdr_async(socket, callback).await;
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    })
    .await
}

/// A WebSocket server for one connection that reports the close code it receives
/// (`None` when the connection ended without a close frame).
pub async fn close_recorder() -> (SocketAddr, tokio::sync::oneshot::Receiver<Option<u16>>) {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (report, seen) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let Ok((socket, _)) = listener.accept().await else {
            return;
        };
        let Ok(mut ws) = tokio_tungstenite::accept_async(socket).await else {
            return;
        };
        let mut code = None;
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Close(frame) = message {
                code = frame.map(|f| u16::from(f.code));
                break;
            }
        }
        let _ = report.send(code);
    });
    (addr, seen)
}

/// Sends `response` (a raw HTTP answer to the upgrade request) and closes.
pub async fn http_answer(response: &'static str) -> SocketAddr {
    raw_http(response).await
}

/// Completes the opening handshake, sends the start of a 1000-byte binary frame (header and
/// 10 bytes), then drops the connection: the server vanishes mid-message.
pub async fn vanishes_mid_message() -> SocketAddr {
    serve_each(|socket| async move {
        let Ok(ws) = tokio_tungstenite::accept_async(socket).await else {
            return;
        };
        let mut tcp = ws.into_inner();
        // FIN, binary, 16-bit length 1000, then only 10 bytes of payload.
        let mut frame = vec![0x82, 126, 0x03, 0xe8];
        frame.extend_from_slice(&[7u8; 10]);
        let _ = tcp.write_all(&frame).await;
        let _ = tcp.flush().await;
        drop(tcp);
    })
    .await
}

/// An HTTP CONNECT proxy on loopback. With `credentials` ("user:pass"), tunnels need
/// matching Basic authentication (else 407). Reports each CONNECT target it served.
pub async fn connect_proxy(
    credentials: Option<&'static str>,
) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<String>) {
    proxy_server(move |mut client, report| async move {
        use base64::Engine as _;
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match client.read(&mut byte).await {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let target = head.split_whitespace().nth(1).unwrap_or("").to_owned();
        if let Some(expected) = credentials {
            let token = base64::engine::general_purpose::STANDARD.encode(expected);
            if !head.contains(&format!("Proxy-Authorization: Basic {token}")) {
                let _ = client
                    .write_all(
                        b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n",
                    )
                    .await;
                return;
            }
        }
        let Ok(mut upstream) = tokio::net::TcpStream::connect(&target).await else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
            return;
        };
        let _ = report.send(target);
        let _ = client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await;
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    })
    .await
}

/// A loopback server that runs `session` on each connection, with a channel on which the
/// sessions report the targets they tunnel to.
async fn proxy_server<F, Fut>(
    session: F,
) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<String>)
where
    F: Fn(TcpStream, tokio::sync::mpsc::UnboundedSender<String>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (report, targets) = tokio::sync::mpsc::unbounded_channel();
    let addr = serve_each(move |client| session(client, report.clone())).await;
    (addr, targets)
}

/// A SOCKS5 proxy (RFC 1928) on 127.0.0.1: with `credentials` it requires that
/// username/password (RFC 1929). Reports each target it tunnels to, as the client named it
/// (`name:port` for a domain name, `ip:port` for an address).
pub async fn socks5_proxy(
    credentials: Option<(&'static str, &'static str)>,
) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<String>) {
    proxy_server(move |mut client, report| async move {
        let _ = socks5_session(&mut client, credentials, &report).await;
    })
    .await
}

async fn socks5_session(
    client: &mut tokio::net::TcpStream,
    credentials: Option<(&'static str, &'static str)>,
    report: &tokio::sync::mpsc::UnboundedSender<String>,
) -> std::io::Result<()> {
    let mut head = [0u8; 2];
    client.read_exact(&mut head).await?;
    let mut methods = vec![0u8; usize::from(head[1])];
    client.read_exact(&mut methods).await?;
    let wanted = if credentials.is_some() { 2 } else { 0 };
    if !methods.contains(&wanted) {
        return client.write_all(&[5, 0xff]).await;
    }
    client.write_all(&[5, wanted]).await?;
    if let Some((user, password)) = credentials {
        let mut version_and_len = [0u8; 2];
        client.read_exact(&mut version_and_len).await?;
        let mut got_user = vec![0u8; usize::from(version_and_len[1])];
        client.read_exact(&mut got_user).await?;
        let mut got_password = vec![0u8; usize::from(client.read_u8().await?)];
        client.read_exact(&mut got_password).await?;
        let ok = got_user == user.as_bytes() && got_password == password.as_bytes();
        client.write_all(&[1, if ok { 0 } else { 1 }]).await?;
        if !ok {
            return Ok(());
        }
    }
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut name = vec![0u8; usize::from(client.read_u8().await?)];
            client.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => return client.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0]).await,
    };
    let port = client.read_u16().await?;
    let target = format!("{host}:{port}");
    let resolved = if host == "localhost" {
        format!("127.0.0.1:{port}")
    } else {
        target.clone()
    };
    let Ok(mut upstream) = tokio::net::TcpStream::connect(&resolved).await else {
        return client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await;
    };
    let _ = report.send(target);
    // Bound address 0.0.0.0:0, as many servers answer.
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(client, &mut upstream).await?;
    Ok(())
}

/// A WebSocket server that completes the handshake, then never reads or writes again (for
/// 30 s): pings go unanswered, close frames too.
pub async fn deaf() -> SocketAddr {
    serve_each(|socket| async move {
        let _ws = tokio_tungstenite::accept_async(socket).await;
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    })
    .await
}

/// A WebSocket server that sends `messages` as binary messages to each client, in order,
/// then closes with 1000 and waits for the client's close.
pub async fn sends_binary(messages: Vec<Vec<u8>>) -> SocketAddr {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    let messages = std::sync::Arc::new(messages);
    serve_each(move |socket| {
        let messages = messages.clone();
        async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(socket).await else {
                return;
            };
            for message in messages.iter() {
                if ws.send(Message::binary(message.clone())).await.is_err() {
                    return;
                }
            }
            let close = CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            };
            let _ = ws.send(Message::Close(Some(close))).await;
            while let Some(Ok(_)) = ws.next().await {}
        }
    })
    .await
}

/// What a handshake request brought: its request target (path and query, as sent) and
/// headers (lower-case names).
#[derive(Clone, Debug)]
pub struct SeenRequest {
    /// The request target, e.g. `/p?q=a%20b`.
    pub target: String,
    /// Every header, in order.
    pub headers: Vec<(String, String)>,
}

impl SeenRequest {
    /// The values of header `name`.
    pub fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A WebSocket server that reports every handshake request it accepts, then closes each
/// connection with 1000.
pub async fn request_recorder() -> (
    SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<SeenRequest>,
) {
    request_recorder_setting(&[]).await
}

/// [`request_recorder`] whose handshake answers carry a `Set-Cookie` header for each of
/// `set_cookies`.
pub async fn request_recorder_setting(
    set_cookies: &'static [&'static str],
) -> (
    SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<SeenRequest>,
) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
    let (report, seen) = tokio::sync::mpsc::unbounded_channel();
    let addr = serve_each(move |socket| {
        let report = report.clone();
        async move {
            let callback = |request: &Request, mut response: Response| {
                for cookie in set_cookies {
                    response
                        .headers_mut()
                        .append("set-cookie", cookie.parse().expect("a header value"));
                }
                let headers = request
                    .headers()
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let _ = report.send(SeenRequest {
                    target: request.uri().to_string(),
                    headers,
                });
                Ok(response)
            };
            let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(socket, callback).await else {
                return;
            };
            let _ = ws.send(Message::Close(None)).await;
            while let Some(Ok(_)) = ws.next().await {}
        }
    })
    .await;
    (addr, seen)
}

/// Starts a server made by `start` on a runtime of its own, on a thread that outlives the
/// test: for window tests, whose app owns a runtime inside which another cannot be dropped.
pub fn on_own_runtime<T, F>(start: impl FnOnce() -> F + Send + 'static) -> T
where
    T: Send + 'static,
    F: std::future::Future<Output = T>,
{
    let (started, server) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let value = runtime.block_on(start());
        let _ = started.send(value);
        runtime.block_on(std::future::pending::<()>());
    });
    server.recv().expect("the server starts")
}

//! What a client hears when the demo server already serves its limit of connections:
//! `503 Service Unavailable` with a plain-text body, after its request has been read (so
//! closing does not reset the connection before the answer is read).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a refused client may take to send its request head.
const READ_WITHIN: Duration = Duration::from_secs(2);
/// The most of a refused request that is read.
const MAX_HEAD: usize = 8 * 1024;

/// Reads the request head (at most [`MAX_HEAD`] bytes, within [`READ_WITHIN`]) and answers
/// 503, naming the limit.
pub async fn refuse(mut tcp: TcpStream, limit: usize) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    let read = async {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        true
    };
    if !matches!(tokio::time::timeout(READ_WITHIN, read).await, Ok(true)) {
        return;
    }
    let body = format!(
        "the Sockscope demo server is serving its limit of {limit} connections; close one \
         and try again\n"
    );
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tcp.write_all(response.as_bytes()).await;
    let _ = tcp.shutdown().await;
}

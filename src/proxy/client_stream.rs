//! An accepted client connection as the handshake and the relay see it: plain TCP or TLS
//! (`--cert`/`--key`), with the bytes of the request head that were read ahead (to learn the
//! path and headers before answering) given back first, so that tungstenite's server
//! handshake reads the request as if nothing had touched it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use super::listen_tls::ListenTls;
use super::request_head::{self, MAX_HEAD, Parsed, RequestHead};

/// The transport under the WebSocket.
enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// An accepted connection whose request head has been read; reads give that head back
/// first, then the rest of the stream.
pub struct ClientStream {
    transport: Transport,
    ahead: Vec<u8>,
    at: usize,
}

impl ClientStream {
    /// Runs the TLS handshake (with `tls`), then reads the request head; all within
    /// `within`. `None` when the client is not a TLS client we can talk to, sends no HTTP
    /// request head in time, or one larger than [`MAX_HEAD`].
    pub async fn accept(
        tcp: TcpStream,
        tls: Option<&ListenTls>,
        within: Duration,
    ) -> Option<(Self, RequestHead)> {
        let _ = tcp.set_nodelay(true);
        let deadline = tokio::time::Instant::now() + within;
        let transport = match tls {
            None => Transport::Plain(tcp),
            Some(tls) => {
                let tls = tokio::time::timeout_at(deadline, tls.accept(tcp))
                    .await
                    .ok()?
                    .ok()?;
                Transport::Tls(Box::new(tls))
            }
        };
        let mut stream = Self {
            transport,
            ahead: Vec::new(),
            at: 0,
        };
        let head = tokio::time::timeout_at(deadline, stream.read_head())
            .await
            .ok()??;
        Some((stream, head))
    }

    /// Reads until the whole request head is in `ahead`; parses it.
    async fn read_head(&mut self) -> Option<RequestHead> {
        let mut chunk = [0u8; 4096];
        loop {
            let n = match &mut self.transport {
                Transport::Plain(tcp) => tcp.read(&mut chunk).await,
                Transport::Tls(tls) => tls.read(&mut chunk).await,
            }
            .ok()?;
            if n == 0 {
                return None;
            }
            self.ahead.extend_from_slice(&chunk[..n]);
            match request_head::parse(&self.ahead) {
                Parsed::Done(head) => return Some(head),
                Parsed::Bad => return None,
                Parsed::Partial if self.ahead.len() >= MAX_HEAD => return None,
                Parsed::Partial => {}
            }
        }
    }
}

impl AsyncRead for ClientStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.at < this.ahead.len() {
            let left = &this.ahead[this.at..];
            let n = left.len().min(buf.remaining());
            buf.put_slice(&left[..n]);
            this.at += n;
            if this.at == this.ahead.len() {
                this.ahead = Vec::new();
                this.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        match &mut this.transport {
            Transport::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ClientStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().transport {
            Transport::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().transport {
            Transport::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.transport {
            Transport::Plain(tcp) => tcp.is_write_vectored(),
            Transport::Tls(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn the_head_read_ahead_is_read_again_then_the_rest() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = tokio::spawn(async move {
            let mut tcp = TcpStream::connect(addr).await.unwrap();
            tcp.write_all(b"GET /x?y=1 HTTP/1.1\r\nHost: h\r\n")
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            tcp.write_all(b"\r\nafter").await.unwrap();
            tcp
        });
        let (tcp, _) = listener.accept().await.unwrap();
        let (mut stream, head) = ClientStream::accept(tcp, None, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(head.target, "/x?y=1");
        let _client = client.await.unwrap();
        let mut all = vec![0u8; 64];
        let mut got = Vec::new();
        while !got.ends_with(b"after") {
            let n = stream.read(&mut all).await.unwrap();
            got.extend_from_slice(&all[..n]);
        }
        assert_eq!(got, b"GET /x?y=1 HTTP/1.1\r\nHost: h\r\n\r\nafter");
    }
}

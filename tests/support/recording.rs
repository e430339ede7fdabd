//! A loopback server that records every request head it gets (and answers 403), and a
//! crafted session file that references the environment: for showing what a file can and
//! cannot make Sockscope send.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Every request head a [`RecordingServer`] received, one string per connection.
type Requests = Arc<Mutex<Vec<String>>>;

/// A loopback listener that records each connection's request head and answers 403.
pub struct RecordingServer {
    /// Where it listens.
    pub addr: SocketAddr,
    requests: Requests,
}

impl RecordingServer {
    /// Starts listening on a free loopback port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Requests::default();
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                seen.lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&head).into_owned());
                let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
            }
        });
        Self { addr, requests }
    }

    /// `ws://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// The request heads so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
}

/// The shipped echo session, pointed at `url` with a header `X-Leak` whose value is
/// `{{env.NAME}}`: what someone could send a colleague.
pub fn crafted_session(dir: &Path, url: &str, header_value: &str) -> PathBuf {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("saved_sessions/echo.session.ron");
    let text = std::fs::read_to_string(example).expect("the example session");
    let text = text
        .replacen(
            "url: \"ws://127.0.0.1:9001/echo\"",
            &format!("url: {url:?}"),
            1,
        )
        .replacen(
            "headers: [],",
            &format!("headers: [(name: \"X-Leak\", value: {header_value:?}, enabled: true)],"),
            1,
        );
    let path = dir.join("crafted.session.ron");
    std::fs::write(&path, text).expect("write the session");
    path
}

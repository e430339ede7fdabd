//! Python `websockets` peers (tests/fixtures/ws_peer.py, in the shared virtualenv of
//! [`super::python`]): a client run to its end, and a server whose connections report what
//! they received and how they closed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use super::python::{self, DECODE_PACKAGES, PythonEnv};

/// The shared virtualenv, or `None` (after a loud SKIPPED) when PyPI is unreachable.
pub fn env(test: &str) -> Option<PythonEnv> {
    python::env(test, DECODE_PACKAGES)
}

/// Runs a client against `url` with `actions` (trusting `ca` for `wss://`); what it saw:
/// `{"open", "got", "sent", "close": {"code", "reason", "wasClean"}}` or `{"refused"}`.
pub fn client(env: &PythonEnv, url: &str, actions: &Value, ca: Option<&Path>) -> Value {
    let actions = actions.to_string();
    let mut args = vec!["client", url, &actions];
    let ca = ca.map(|ca| ca.display().to_string());
    if let Some(ca) = &ca {
        args.push(ca);
    }
    let out = env.run("ws_peer.py", &args, "");
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{out:?} is not JSON: {e}"))
}

/// [`client`] over plain `ws://`, offering the subprotocols `offer` (comma-separated); what
/// it saw, its `open` with the `subprotocol` the answer selected (`null`: none).
pub fn client_offering(env: &PythonEnv, url: &str, actions: &Value, offer: &str) -> Value {
    let actions = actions.to_string();
    let out = env.run("ws_peer.py", &["client", url, &actions, "", offer], "");
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{out:?} is not JSON: {e}"))
}

/// `path` with the server's actions for that connection in its query.
pub fn path_doing(path: &str, actions: &Value) -> String {
    let encoded: String =
        url::form_urlencoded::byte_serialize(actions.to_string().as_bytes()).collect();
    format!("{path}?do={encoded}")
}

/// A running server; killed when dropped.
pub struct PeerServer {
    child: Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    lines: mpsc::Receiver<Value>,
}

impl PeerServer {
    /// Starts a server (over TLS with `tls`: certificate and key files).
    pub fn start(env: &PythonEnv, tls: Option<(&Path, &Path)>) -> Self {
        let files = tls.map(|(cert, key)| (cert.display().to_string(), key.display().to_string()));
        let mut args = vec!["server"];
        if let Some((cert, key)) = &files {
            args.push(cert);
            args.push(key);
        }
        let mut child = env.spawn("ws_peer.py", &args);
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut first = String::new();
        stdout
            .read_line(&mut first)
            .expect("the server's first line");
        let port: Value = serde_json::from_str(&first)
            .unwrap_or_else(|e| panic!("{first:?} is not the port line: {e}"));
        let port = port["port"].as_u64().expect("a port") as u16;
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let Ok(value) = serde_json::from_str(&line) else {
                    continue;
                };
                if sender.send(value).is_err() {
                    break;
                }
            }
        });
        Self { child, port, lines }
    }

    /// What the next connection to end saw: `{"path", "got", "sent", "close"}`.
    pub fn next_connection(&self) -> Value {
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the server reports the connection within 30 s")
    }
}

impl Drop for PeerServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

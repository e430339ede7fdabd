//! A long-running `sockscope` command that serves on a port it prints first (`proxy`,
//! `listen`): started on 127.0.0.1 port 0, its JSON lines collected as they come, killed
//! when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The running command.
pub struct Serving {
    /// The process (tests signal it).
    pub child: Child,
    /// The `ws://` address from its first line, `listening on ws://IP:PORT`.
    pub url: String,
    lines: mpsc::Receiver<Value>,
    seen: Vec<Value>,
}

impl Serving {
    /// Runs `sockscope ARGS…` and waits for its first line.
    pub fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sockscope"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary runs");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("the first line");
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("the first line is {first:?}"))
            .to_string();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}"));
                if sender.send(value).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            url,
            lines,
            seen: Vec::new(),
        }
    }

    /// Every line printed so far, waiting until `done` holds for them (at most 10 s).
    pub fn lines_until(&mut self, done: impl Fn(&[Value]) -> bool) -> &[Value] {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(&self.seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("the lines never got there: {:#?}", self.seen),
            }
        }
        &self.seen
    }

    /// The next line not yet read by any of these methods, waiting at most `wait`; not kept.
    pub fn next_line(&self, wait: Duration) -> Option<Value> {
        self.lines.recv_timeout(wait).ok()
    }

    /// Every line printed so far, without waiting.
    pub fn drain(&mut self) -> &[Value] {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        &self.seen
    }

    /// Lines until connection `conn` printed `closes` close events (one per leg).
    pub fn until_closed(&mut self, conn: u64, closes: usize) -> Vec<Value> {
        self.lines_until(|lines| {
            lines
                .iter()
                .filter(|l| l["event"] == "close" && l["conn"] == conn)
                .count()
                >= closes
        })
        .to_vec()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! `connect --stdin`: standard input read line by line on a thread of its own, each line
//! to become one text message. The channel is bounded, so a fast producer waits for the
//! connection instead of filling memory.
//!
//! A plain thread, not tokio's stdin: a read from a terminal cannot be cancelled, and the
//! runtime waits for its blocking tasks when it shuts down, so a run whose connection had
//! ended would hang until the user pressed Enter. Nothing waits for this thread.

use std::io::{BufRead, BufReader, Read};

use tokio::sync::mpsc;

/// How many read lines may wait for the connection.
const WAITING_LINES: usize = 256;

/// One line of input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// The line's text, without its `\n` or `\r\n`.
    Text(String),
    /// The line (numbered from 1) is not UTF-8, so it cannot be a text message.
    NotUtf8 {
        /// Its number, from 1.
        number: u64,
    },
}

/// Reads standard input until its end; the receiver closes then.
pub fn spawn_stdin() -> mpsc::Receiver<Line> {
    spawn(std::io::stdin())
}

/// Reads `input` line by line on a thread until its end (or a read error, which goes to
/// stderr); the receiver closes then. The thread stops at its next line once the receiver
/// is dropped.
pub fn spawn<R: Read + Send + 'static>(input: R) -> mpsc::Receiver<Line> {
    let (sender, receiver) = mpsc::channel(WAITING_LINES);
    let spawned = std::thread::Builder::new()
        .name("sockscope-stdin".to_owned())
        .spawn(move || read_lines(input, &sender));
    if let Err(error) = spawned {
        // The sender is gone with the closure: the receiver reports the end at once.
        eprintln!("sockscope connect: --stdin: cannot start its reader: {error}");
    }
    receiver
}

fn read_lines<R: Read>(input: R, sender: &mpsc::Sender<Line>) {
    let mut input = BufReader::new(input);
    let mut buffer = Vec::new();
    for number in 1.. {
        buffer.clear();
        match input.read_until(b'\n', &mut buffer) {
            Ok(0) => break,
            Ok(_) => {}
            Err(error) => {
                eprintln!("sockscope connect: --stdin: {error}");
                break;
            }
        }
        let line = match String::from_utf8(without_line_end(&buffer).to_vec()) {
            Ok(text) => Line::Text(text),
            Err(_) => Line::NotUtf8 { number },
        };
        if sender.blocking_send(line).is_err() {
            break; // Nobody sends lines any more (the run ended).
        }
    }
}

fn without_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(input: &'static [u8]) -> Vec<Line> {
        let mut receiver = spawn(input);
        let mut lines = Vec::new();
        while let Some(line) = receiver.recv().await {
            lines.push(line);
        }
        lines
    }

    fn text(line: &str) -> Line {
        Line::Text(line.to_owned())
    }

    #[tokio::test]
    async fn every_line_is_one_message_without_its_line_end() {
        let lines = read_all(b"one\ntwo\r\n\nlast without newline").await;
        assert_eq!(
            lines,
            [
                text("one"),
                text("two"),
                text(""),
                text("last without newline")
            ]
        );
        assert_eq!(read_all(b"").await, []);
        assert_eq!(read_all(b"\n").await, [text("")]);
        assert_eq!(read_all("é\r\r\n".as_bytes()).await, [text("é\r")]);
    }

    #[tokio::test]
    async fn a_line_that_is_not_utf8_is_numbered_and_the_rest_goes_on() {
        let lines = read_all(b"ok\n\xff\xfe\nafter\n").await;
        assert_eq!(
            lines,
            [text("ok"), Line::NotUtf8 { number: 2 }, text("after")]
        );
    }
}

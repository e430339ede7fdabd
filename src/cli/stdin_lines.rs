//! `connect --stdin`: standard input read line by line on a task of its own, each line to
//! become one text message. The channel is bounded, so a fast producer waits for the
//! connection instead of filling memory.

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
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
    spawn(tokio::io::stdin())
}

/// Reads `input` line by line on a task until its end (or a read error, which goes to
/// stderr); the receiver closes then, or the task stops when the receiver is dropped.
pub fn spawn<R: AsyncRead + Unpin + Send + 'static>(input: R) -> mpsc::Receiver<Line> {
    let (sender, receiver) = mpsc::channel(WAITING_LINES);
    tokio::spawn(async move {
        let mut input = BufReader::new(input);
        let mut buffer = Vec::new();
        for number in 1.. {
            buffer.clear();
            match input.read_until(b'\n', &mut buffer).await {
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
            if sender.send(line).await.is_err() {
                break; // Nobody sends lines any more (the run ended).
            }
        }
    });
    receiver
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

//! `connect --stdin`: standard input read line by line on a thread of its own, each line
//! to become one text message. What waits for the connection is bounded in bytes: lines
//! waiting together hold at most [`WAITING_BYTES`] (one longer line may wait alone), and a
//! line longer than the run's message size limit is skipped while it is read, never held
//! whole. So a fast producer waits for the connection instead of filling memory.
//!
//! A plain thread, not tokio's stdin: a read from a terminal cannot be cancelled, and the
//! runtime waits for its blocking tasks when it shuts down, so a run whose connection had
//! ended would hang until the user pressed Enter. Nothing waits for this thread.

use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;

/// How many read lines may wait for the connection.
const WAITING_LINES: usize = 256;

/// How many bytes of read lines may wait for the connection (a longer line waits alone).
pub const WAITING_BYTES: usize = 16 << 20;

/// How often a reader waiting for room looks whether the run has ended.
const RECHECK: Duration = Duration::from_millis(200);

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
    /// The line (numbered from 1) is longer than the message size limit: it was skipped
    /// as it was read.
    TooLong {
        /// Its number, from 1.
        number: u64,
        /// Its length in bytes, without its line end.
        bytes: u64,
        /// The limit it passed.
        limit: usize,
    },
}

impl Line {
    /// The bytes this line holds while it waits.
    fn size(&self) -> usize {
        match self {
            Line::Text(text) => text.len(),
            Line::NotUtf8 { .. } | Line::TooLong { .. } => 0,
        }
    }
}

/// The bytes of lines read and not taken yet, shared by the reader and the receiver.
#[derive(Debug, Default)]
struct Waiting {
    bytes: Mutex<usize>,
    taken: Condvar,
}

/// The receiving end: lines in order, until the input ends.
#[derive(Debug)]
pub struct Lines {
    receiver: mpsc::Receiver<Line>,
    waiting: Arc<Waiting>,
}

impl Lines {
    /// The next line; `None` once the input has ended and every line was taken.
    pub async fn recv(&mut self) -> Option<Line> {
        let line = self.receiver.recv().await?;
        let mut bytes = self
            .waiting
            .bytes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *bytes -= line.size();
        self.waiting.taken.notify_all();
        Some(line)
    }
}

/// Reads standard input until its end; lines longer than `max_line` bytes are skipped.
pub fn spawn_stdin(max_line: usize) -> Lines {
    spawn(std::io::stdin(), max_line)
}

/// Reads `input` line by line on a thread until its end (or a read error, which goes to
/// stderr); the receiver closes then. The thread stops once the receiver is dropped.
pub fn spawn<R: Read + Send + 'static>(input: R, max_line: usize) -> Lines {
    let (sender, receiver) = mpsc::channel(WAITING_LINES);
    let waiting = Arc::new(Waiting::default());
    let shared = Arc::clone(&waiting);
    let spawned = std::thread::Builder::new()
        .name("sockscope-stdin".to_owned())
        .spawn(move || read_lines(input, max_line, &sender, &shared));
    if let Err(error) = spawned {
        // The sender is gone with the closure: the receiver reports the end at once.
        eprintln!("sockscope connect: --stdin: cannot start its reader: {error}");
    }
    Lines { receiver, waiting }
}

fn read_lines<R: Read>(input: R, max_line: usize, sender: &mpsc::Sender<Line>, waiting: &Waiting) {
    let mut input = BufReader::new(input);
    let mut buffer = Vec::new();
    for number in 1.. {
        buffer.clear();
        let read = match read_line(&mut input, &mut buffer, max_line) {
            Ok(None) => break,
            Ok(Some(read)) => read,
            Err(error) => {
                eprintln!("sockscope connect: --stdin: {error}");
                break;
            }
        };
        let line = match read {
            LineRead::Whole => match String::from_utf8(without_line_end(&buffer).to_vec()) {
                Ok(text) => Line::Text(text),
                Err(_) => Line::NotUtf8 { number },
            },
            LineRead::Skipped(bytes) => Line::TooLong {
                number,
                bytes,
                limit: max_line,
            },
        };
        if !wait_for_room(waiting, line.size(), sender) || sender.blocking_send(line).is_err() {
            break; // Nobody takes lines any more (the run ended).
        }
    }
}

/// Waits until `size` more bytes may wait (or nothing waits), and counts them; false when
/// the receiver is gone.
fn wait_for_room(waiting: &Waiting, size: usize, sender: &mpsc::Sender<Line>) -> bool {
    let mut bytes = waiting.bytes.lock().unwrap_or_else(PoisonError::into_inner);
    while *bytes > 0 && *bytes + size > WAITING_BYTES {
        if sender.is_closed() {
            return false;
        }
        bytes = waiting
            .taken
            .wait_timeout(bytes, RECHECK)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
    *bytes += size;
    true
}

/// How a line was read.
enum LineRead {
    /// Into the buffer, with its line end.
    Whole,
    /// Longer than the limit: this many bytes (without the line end) were read and dropped.
    Skipped(u64),
}

/// Reads one line into `buffer` (with its `\n`), or skips it when it is longer than
/// `max_line` bytes without its line end; `None` at the end of the input.
fn read_line<R: BufRead>(
    input: &mut R,
    buffer: &mut Vec<u8>,
    max_line: usize,
) -> std::io::Result<Option<LineRead>> {
    // While skipping: the bytes read so far, and the last two of them (for the line end).
    let mut skipped: Option<u64> = None;
    let mut tail = [0u8; 2];
    let mut any = false;
    let mut ended = false;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            break;
        }
        any = true;
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(at) => (&available[..=at], true),
            None => (available, false),
        };
        let used = chunk.len();
        match &mut skipped {
            Some(count) => {
                *count += used as u64;
                tail = match chunk {
                    [.., a, b] => [*a, *b],
                    [b] => [tail[1], *b],
                    [] => tail,
                };
            }
            None => {
                buffer.extend_from_slice(chunk);
                if without_line_end(buffer).len() > max_line {
                    skipped = Some(buffer.len() as u64);
                    if let [.., a, b] = buffer.as_slice() {
                        tail = [*a, *b];
                    }
                    buffer.clear();
                    buffer.shrink_to(64 << 10);
                }
            }
        }
        input.consume(used);
        if done {
            ended = true;
            break;
        }
    }
    Ok(match (any, skipped) {
        (false, _) => None,
        (true, None) => Some(LineRead::Whole),
        (true, Some(count)) => {
            let line_end = match (ended, tail) {
                (true, [b'\r', b'\n']) => 2,
                (true, _) => 1,
                (false, _) => 0,
            };
            Some(LineRead::Skipped(count - line_end))
        }
    })
}

fn without_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read_all(input: &'static [u8]) -> Vec<Line> {
        read_all_within(input, 64).await
    }

    async fn read_all_within(input: &'static [u8], max_line: usize) -> Vec<Line> {
        let mut receiver = spawn(input, max_line);
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

    #[tokio::test]
    async fn a_line_longer_than_the_limit_is_skipped_and_the_rest_goes_on() {
        let lines = read_all_within(b"short\n0123456789abc\r\nexactly10!\r\nlast", 10).await;
        assert_eq!(
            lines,
            [
                text("short"),
                Line::TooLong {
                    number: 2,
                    bytes: 13,
                    limit: 10
                },
                text("exactly10!"),
                text("last")
            ]
        );
    }

    #[tokio::test]
    async fn a_huge_line_without_newline_is_never_held_whole() {
        // 64 MiB without a line end, read with a 1 KiB limit: the reader's buffer stays
        // small (the line is counted as it streams past, not kept).
        struct Endless(u64);
        impl Read for Endless {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = (out.len() as u64).min(self.0) as usize;
                out[..n].fill(b'x');
                self.0 -= n as u64;
                Ok(n)
            }
        }
        let mut buffer = Vec::new();
        let mut input = BufReader::new(Endless(64 << 20));
        let read = read_line(&mut input, &mut buffer, 1024).unwrap();
        assert!(matches!(read, Some(LineRead::Skipped(bytes)) if bytes == 64 << 20));
        assert!(buffer.capacity() <= 64 << 10, "{}", buffer.capacity());
    }

    #[tokio::test]
    async fn lines_waiting_for_the_connection_hold_at_most_the_waiting_bytes() {
        // 64 lines of 1 MiB nobody takes yet: the reader stops at 16 MiB.
        let line = format!("{}\n", "y".repeat(1 << 20));
        let input: &'static [u8] = line.repeat(64).leak().as_bytes();
        let mut lines = spawn(input, 2 << 20);
        let held = || *lines.waiting.bytes.lock().unwrap();
        for _ in 0..2000 {
            if held() >= WAITING_BYTES - (1 << 20) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let waiting = held();
        assert!(
            (WAITING_BYTES - (1 << 20)..=WAITING_BYTES).contains(&waiting),
            "{waiting}"
        );
        let mut count = 0;
        while let Some(line) = lines.recv().await {
            assert_eq!(line.size(), 1 << 20);
            count += 1;
        }
        assert_eq!(count, 64);
        assert_eq!(*lines.waiting.bytes.lock().unwrap(), 0);
    }
}

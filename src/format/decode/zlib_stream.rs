//! `zlib-stream`: one zlib context across all of a connection's messages, each flushed with
//! a sync flush so it ends with `00 00 ff ff` (Discord's gateway does this). Messages must be
//! fed in order; a message split over frames is held until its end comes.

use flate2::{Compress, Decompress, FlushCompress, FlushDecompress, Status};

use super::Limits;
use super::error::DecodeError;

const FORMAT: &str = "zlib-stream";

/// The end of every `zlib-stream` message: an empty stored block of a sync flush.
pub const SYNC_FLUSH_SUFFIX: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The inflating side of one connection's `zlib-stream`.
pub struct ZlibStream {
    inflate: Decompress,
    pending: Vec<u8>,
    broken: bool,
}

impl Default for ZlibStream {
    fn default() -> Self {
        ZlibStream::new()
    }
}

impl std::fmt::Debug for ZlibStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZlibStream")
            .field("pending", &self.pending.len())
            .field("broken", &self.broken)
            .finish()
    }
}

impl ZlibStream {
    /// A fresh context, for a new connection.
    pub fn new() -> Self {
        ZlibStream {
            inflate: Decompress::new(true),
            pending: Vec::new(),
            broken: false,
        }
    }

    /// Inflates the next message of the connection. A message that does not end with
    /// `00 00 ff ff` is held ([`DecodeError::Partial`]) and inflated with the next one. After
    /// an error the context is lost and every later message is [`DecodeError::StreamBroken`].
    pub fn push(&mut self, message: &[u8], limits: Limits) -> Result<Vec<u8>, DecodeError> {
        if self.broken {
            return Err(DecodeError::StreamBroken);
        }
        self.pending.extend_from_slice(message);
        if self.pending.len() > limits.max_output {
            return self.fail(DecodeError::TooLarge {
                format: FORMAT,
                limit: limits.max_output,
            });
        }
        if !self.pending.ends_with(&SYNC_FLUSH_SUFFIX) {
            return Err(DecodeError::Partial);
        }
        let input = std::mem::take(&mut self.pending);
        match self.inflate_all(&input, limits) {
            Ok(out) => Ok(out),
            Err(err) => self.fail(err),
        }
    }

    /// Marks the stream broken and returns `err`.
    fn fail(&mut self, err: DecodeError) -> Result<Vec<u8>, DecodeError> {
        self.broken = true;
        self.pending = Vec::new();
        Err(err)
    }

    /// Inflates all of `input`, at most `limits.max_output` bytes out.
    fn inflate_all(&mut self, mut input: &[u8], limits: Limits) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        let mut buf = vec![0; 64 << 10];
        loop {
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let status = self
                .inflate
                .decompress(input, &mut buf, FlushDecompress::Sync)
                .map_err(|err| DecodeError::Invalid {
                    format: FORMAT,
                    why: err.to_string(),
                })?;
            let used = usize::try_from(self.inflate.total_in() - in_before).unwrap_or(0);
            let made = usize::try_from(self.inflate.total_out() - out_before).unwrap_or(0);
            input = input.get(used..).unwrap_or_default();
            if out.len() + made > limits.max_output {
                return Err(DecodeError::TooLarge {
                    format: FORMAT,
                    limit: limits.max_output,
                });
            }
            out.extend_from_slice(&buf[..made]);
            let stuck = used == 0 && made == 0;
            if status == Status::StreamEnd || (input.is_empty() && made < buf.len()) || stuck {
                return Ok(out);
            }
        }
    }
}

/// The deflating side of a `zlib-stream` (for the demo server and for sending).
pub struct ZlibStreamEncoder {
    deflate: Compress,
}

impl Default for ZlibStreamEncoder {
    fn default() -> Self {
        ZlibStreamEncoder::new()
    }
}

impl ZlibStreamEncoder {
    /// A fresh context, for a new connection.
    pub fn new() -> Self {
        ZlibStreamEncoder {
            deflate: Compress::new(flate2::Compression::default(), true),
        }
    }

    /// Deflates the next message, ending it with a sync flush (`00 00 ff ff`).
    pub fn push(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        let mut input = data;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(1024));
            }
            let before = self.deflate.total_in();
            // Compressing into a Vec has no error but a full buffer, handled by the loop.
            let status = self
                .deflate
                .compress_vec(input, &mut out, FlushCompress::Sync);
            let used = usize::try_from(self.deflate.total_in() - before).unwrap_or(0);
            input = input.get(used..).unwrap_or_default();
            let room_left = out.capacity() > out.len();
            if status.is_err()
                || (input.is_empty() && room_left && out.ends_with(&SYNC_FLUSH_SUFFIX))
            {
                return out;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_share_one_context_and_split_messages_wait() {
        let limits = Limits::new(1 << 20);
        let mut sender = ZlibStreamEncoder::new();
        let mut receiver = ZlibStream::new();
        let first = sender.push(b"{\"op\":10,\"d\":{\"heartbeat_interval\":41250}}");
        let second = sender.push(b"{\"op\":10,\"d\":{\"heartbeat_interval\":41250}}");
        assert!(first.ends_with(&SYNC_FLUSH_SUFFIX) && second.ends_with(&SYNC_FLUSH_SUFFIX));
        assert!(
            second.len() < first.len(),
            "the second reuses the first's window"
        );
        assert_eq!(
            receiver.push(&first, limits).unwrap(),
            b"{\"op\":10,\"d\":{\"heartbeat_interval\":41250}}"
        );
        let (head, tail) = second.split_at(3);
        assert_eq!(receiver.push(head, limits), Err(DecodeError::Partial));
        assert_eq!(
            receiver.push(tail, limits).unwrap(),
            b"{\"op\":10,\"d\":{\"heartbeat_interval\":41250}}"
        );
        let big = sender.push(&vec![b'a'; 100_000]);
        assert_eq!(receiver.push(&big, limits).unwrap().len(), 100_000);
    }

    #[test]
    fn a_stream_without_its_start_is_broken_for_good() {
        let limits = Limits::new(1 << 20);
        let mut sender = ZlibStreamEncoder::new();
        let _lost = sender.push(b"hello");
        let second = sender.push(b"world");
        let mut receiver = ZlibStream::new();
        assert!(matches!(
            receiver.push(&second, limits),
            Err(DecodeError::Invalid { .. })
        ));
        assert_eq!(
            receiver.push(&second, limits),
            Err(DecodeError::StreamBroken)
        );
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let mut sender = ZlibStreamEncoder::new();
        let bomb = sender.push(&vec![0; 8 << 20]);
        let err = ZlibStream::new()
            .push(&bomb, Limits::new(1 << 20))
            .unwrap_err();
        assert!(matches!(err, DecodeError::TooLarge { .. }), "{err}");
    }
}

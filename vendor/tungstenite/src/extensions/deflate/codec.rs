//! Compressing and inflating messages (RFC 7692 section 7.2): raw DEFLATE with a sync flush,
//! the `00 00 ff ff` tail removed on sending and put back on receiving, each direction's
//! context kept or reset per message as agreed.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::params::DeflateParams;
use crate::error::{CapacityError, Error, ProtocolError, Result};
use crate::protocol::Role;

/// The tail a sync flush ends with, removed from every compressed message (7.2.1).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];
/// The smallest step the output buffers grow by.
const MIN_GROWTH: usize = 1024;

/// The agreed `permessage-deflate` of one connection: a compressor for what this end sends
/// and an inflater for what it receives.
#[derive(Debug)]
pub(crate) struct DeflateContext {
    agreed: DeflateParams,
    compressor: Compress,
    inflater: Decompress,
    reset_compressor: bool,
    reset_inflater: bool,
}

impl DeflateContext {
    /// The context for `role` under the `agreed` parameters.
    pub(crate) fn new(role: Role, agreed: DeflateParams) -> Self {
        let (own_bits, own_reset, peer_reset) = match role {
            Role::Client => (
                agreed.client_max_window_bits,
                agreed.client_no_context_takeover,
                agreed.server_no_context_takeover,
            ),
            Role::Server => (
                agreed.server_max_window_bits,
                agreed.server_no_context_takeover,
                agreed.client_no_context_takeover,
            ),
        };
        let own_bits = own_bits.unwrap_or(15);
        // zlib's raw deflate has no 8-bit window (it would write 9-bit references); with a
        // 9-bit window and a fresh context per message, an 8-bit peer still reads every
        // message that fits its own output.
        let (bits, own_reset) = if own_bits <= 8 { (9, true) } else { (own_bits, own_reset) };
        DeflateContext {
            agreed,
            compressor: Compress::new_with_window_bits(Compression::default(), false, bits),
            // A 15-bit window reads data written with any smaller one.
            inflater: Decompress::new(false),
            reset_compressor: own_reset,
            reset_inflater: peer_reset,
        }
    }

    /// The agreed parameters.
    pub(crate) fn agreed(&self) -> &DeflateParams {
        &self.agreed
    }

    /// One message's payload, compressed, without the `00 00 ff ff` tail.
    pub(crate) fn compress(&mut self, payload: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(payload.len() / 2 + 64);
        let start = self.compressor.total_in();
        loop {
            if out.capacity() - out.len() < 16 {
                out.reserve(out.capacity().max(MIN_GROWTH));
            }
            let consumed = (self.compressor.total_in() - start) as usize;
            self.compressor
                .compress_vec(&payload[consumed..], &mut out, FlushCompress::Sync)
                .map_err(|e| Error::Io(std::io::Error::other(e)))?;
            let consumed = (self.compressor.total_in() - start) as usize;
            if consumed == payload.len() && out.len() < out.capacity() {
                break;
            }
        }
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if out.is_empty() {
            // zlib writes nothing for an empty input right after a flush; an empty message
            // is one empty stored block's first byte (RFC 7692 7.2.3.6).
            out.push(0x00);
        }
        if self.reset_compressor {
            self.compressor.reset();
        }
        Ok(out)
    }

    /// One message's compressed payload (its frames' payloads joined), inflated; more than
    /// `max_size` bytes of output is an error before more is produced.
    pub(crate) fn inflate(
        &mut self,
        compressed: &[u8],
        max_size: Option<usize>,
    ) -> Result<Vec<u8>> {
        let limit = max_size.unwrap_or(usize::MAX);
        if compressed.is_empty() {
            // Some peers send an empty message with RSV1 and no data at all; the tail alone
            // would be read out of its block.
            return Ok(Vec::new());
        }
        let initial =
            compressed.len().saturating_mul(3).max(MIN_GROWTH).min(limit.saturating_add(1));
        let mut out = Vec::with_capacity(initial);
        for input in [compressed, &TAIL[..]] {
            let start = self.inflater.total_in();
            loop {
                if out.len() == out.capacity() {
                    // One byte beyond the limit shows that the message is too long.
                    let room = (limit - out.len()).saturating_add(1);
                    out.reserve(out.capacity().max(MIN_GROWTH).min(room));
                }
                let before = (self.inflater.total_in(), out.len());
                let consumed = (self.inflater.total_in() - start) as usize;
                let status = self
                    .inflater
                    .decompress_vec(&input[consumed..], &mut out, FlushDecompress::Sync)
                    .map_err(|e| invalid(e.to_string()))?;
                if out.len() > limit {
                    return Err(too_long(compressed.len(), limit));
                }
                let consumed = (self.inflater.total_in() - start) as usize;
                if status == Status::StreamEnd && consumed < input.len() {
                    return Err(invalid("data after the final DEFLATE block".to_owned()));
                }
                if consumed == input.len() && out.len() < out.capacity() {
                    break;
                }
                if (self.inflater.total_in(), out.len()) == before && out.len() < out.capacity() {
                    return Err(invalid("the DEFLATE data does not progress".to_owned()));
                }
            }
        }
        if self.reset_inflater {
            self.inflater.reset(false);
        }
        Ok(out)
    }
}

fn too_long(compressed: usize, max_size: usize) -> Error {
    Error::Capacity(CapacityError::InflatedMessageTooLong { compressed, max_size })
}

fn invalid(why: String) -> Error {
    Error::Protocol(ProtocolError::InvalidCompressedData(Box::new(why)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(agreed: DeflateParams) -> (DeflateContext, DeflateContext) {
        (DeflateContext::new(Role::Client, agreed), DeflateContext::new(Role::Server, agreed))
    }

    #[test]
    fn rfc_7692_example_hello_inflates() {
        // RFC 7692 7.2.3.1: "Hello" compressed.
        let (mut client, _) = pair(DeflateParams::default());
        let hello = client.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], None).unwrap();
        assert_eq!(hello, b"Hello");
    }

    #[test]
    fn context_takeover_shrinks_the_second_copy_and_no_takeover_does_not() {
        let text = b"the same sentence, sent again and again, to see the window at work";
        let (mut client, mut server) = pair(DeflateParams::default());
        let first = client.compress(text).unwrap();
        let second = client.compress(text).unwrap();
        assert!(second.len() < first.len() / 2, "{} vs {}", second.len(), first.len());
        assert!(!first.ends_with(&TAIL));
        assert_eq!(server.inflate(&first, None).unwrap(), text);
        assert_eq!(server.inflate(&second, None).unwrap(), text);

        let reset = DeflateParams { client_no_context_takeover: true, ..Default::default() };
        let (mut client, mut server) = pair(reset);
        let first = client.compress(text).unwrap();
        let second = client.compress(text).unwrap();
        assert_eq!(first, second);
        assert_eq!(server.inflate(&second, None).unwrap(), text);
    }

    #[test]
    fn small_windows_round_trip() {
        for bits in 8..=15 {
            let agreed = DeflateParams {
                client_max_window_bits: Some(bits),
                server_max_window_bits: Some(bits),
                ..Default::default()
            };
            let (mut client, mut server) = pair(agreed);
            let text: Vec<u8> = (0..5000u32).flat_map(|i| (i % 97).to_le_bytes()).collect();
            let up = client.compress(&text).unwrap();
            assert_eq!(server.inflate(&up, None).unwrap(), text);
            let down = server.compress(&text).unwrap();
            assert_eq!(client.inflate(&down, None).unwrap(), text);
        }
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let (mut client, mut server) = pair(DeflateParams::default());
        let bomb = server.compress(&vec![0u8; 10 << 20]).unwrap();
        assert!(bomb.len() < 20_000, "{}", bomb.len());
        let error = client.inflate(&bomb, Some(1 << 20)).unwrap_err();
        assert!(matches!(
            error,
            Error::Capacity(CapacityError::InflatedMessageTooLong { max_size, .. }) if max_size == 1 << 20
        ));
    }

    #[test]
    fn garbage_is_a_protocol_error_and_empty_messages_work() {
        let (mut client, mut server) = pair(DeflateParams::default());
        for text in [&b""[..], b"", b"after two empty ones", b""] {
            let compressed = client.compress(text).unwrap();
            assert!(!compressed.is_empty());
            assert_eq!(server.inflate(&compressed, None).unwrap(), text);
        }
        assert_eq!(server.inflate(&[], None).unwrap(), b"");
        let error = client.inflate(&[0xff, 0xff, 0xff], None).unwrap_err();
        assert!(matches!(error, Error::Protocol(ProtocolError::InvalidCompressedData(_))));
    }
}

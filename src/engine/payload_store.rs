//! Where the reader keeps small payloads: packed end to end in 64 KiB chunks, instead of
//! inside tungstenite's read buffers.
//!
//! tungstenite hands each frame over as a slice of its read buffer. Kept as they are, a
//! flood's small messages pinned every read buffer they came in: the buffer could not be
//! reused, each refill was a fresh 4 KiB allocation, and half of it was never filled
//! (1,000,000 messages of 100 B held 188 MiB of 4 KiB buffers, 157 B beyond each payload).
//! Copied here once, a payload costs its own bytes, and the read buffer is free for the
//! next read as soon as the frame has been handled. Large payloads fill their own buffers
//! and are kept as received.

use bytes::{Bytes, BytesMut};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::event::Payload;

/// Payloads up to this size are copied into a chunk; larger ones are kept as received.
pub(crate) const SMALL_PAYLOAD: usize = 4 * 1024;
/// The size of a chunk: at most [`SMALL_PAYLOAD`] of it (6%) goes unused at its end.
pub(crate) const CHUNK: usize = 64 * 1024;

/// The chunk small payloads are being packed into.
#[derive(Debug, Default)]
pub(crate) struct PayloadStore {
    chunk: BytesMut,
}

impl PayloadStore {
    /// `bytes`, packed into the current chunk when small, as received when large.
    pub(crate) fn bytes(&mut self, bytes: Bytes) -> Bytes {
        match self.pack(&bytes) {
            Some(packed) => packed,
            None => bytes,
        }
    }

    /// A payload, its bytes packed as [`PayloadStore::bytes`] does.
    pub(crate) fn payload(&mut self, payload: Payload) -> Payload {
        match payload {
            Payload::Binary(bytes) => Payload::Binary(self.bytes(bytes)),
            Payload::Text(text) => match self.pack(text.as_bytes()) {
                // A byte-for-byte copy of valid UTF-8 is valid UTF-8; checked again rather
                // than assumed, so the engine needs no unsafe code (small payloads only).
                Some(packed) => Payload::Text(Utf8Bytes::try_from(packed).unwrap_or(text)),
                None => Payload::Text(text),
            },
        }
    }

    /// A copy of `bytes` in the current chunk, or `None` when they are too large (or empty).
    fn pack(&mut self, bytes: &[u8]) -> Option<Bytes> {
        if bytes.is_empty() || bytes.len() > SMALL_PAYLOAD {
            return None;
        }
        if self.chunk.capacity() - self.chunk.len() < bytes.len() {
            // The rest of the old chunk stays with the payloads that point into it.
            self.chunk = BytesMut::with_capacity(CHUNK);
        }
        self.chunk.extend_from_slice(bytes);
        Some(self.chunk.split().freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk_start(bytes: &Bytes) -> usize {
        bytes.as_ptr() as usize
    }

    #[test]
    fn small_payloads_are_packed_end_to_end_and_keep_their_bytes() {
        let mut store = PayloadStore::default();
        let first = store.bytes(Bytes::from_static(b"hello"));
        let second = store.bytes(Bytes::from_static(b", world"));
        assert_eq!((&first[..], &second[..]), (&b"hello"[..], &b", world"[..]));
        assert_eq!(chunk_start(&second), chunk_start(&first) + first.len());
    }

    #[test]
    fn a_full_chunk_is_followed_by_a_new_one() {
        let mut store = PayloadStore::default();
        let payload = Bytes::from(vec![7u8; SMALL_PAYLOAD]);
        let kept: Vec<Bytes> = (0..CHUNK / SMALL_PAYLOAD + 1)
            .map(|_| store.bytes(payload.clone()))
            .collect();
        assert!(kept.iter().all(|bytes| bytes == &payload));
        let last = kept.len() - 1;
        assert_eq!(
            chunk_start(&kept[last - 1]),
            chunk_start(&kept[0]) + (last - 1) * SMALL_PAYLOAD,
            "the first chunk is filled to the end"
        );
        assert_ne!(
            chunk_start(&kept[last]),
            chunk_start(&kept[last - 1]) + SMALL_PAYLOAD,
            "the next payload starts a new chunk"
        );
    }

    #[test]
    fn large_payloads_are_kept_as_received() {
        let mut store = PayloadStore::default();
        let large = Bytes::from(vec![1u8; SMALL_PAYLOAD + 1]);
        let kept = store.bytes(large.clone());
        assert_eq!(chunk_start(&kept), chunk_start(&large));
    }

    #[test]
    fn text_stays_text() {
        let mut store = PayloadStore::default();
        let text = Payload::Text(Utf8Bytes::from("héllo ✓"));
        assert_eq!(store.payload(text).as_text(), Some("héllo ✓"));
        let binary = Payload::Binary(Bytes::from_static(&[0xff, 0]));
        assert_eq!(store.payload(binary).as_bytes(), &[0xff, 0]);
    }
}

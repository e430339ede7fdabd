//! What the last data message looked like on the wire, for an inspector that shows the
//! compressed size (and, when asked, the compressed bytes) beside the message.

use std::sync::{Arc, Mutex};

use bytes::Bytes;

/// The wire form of one compressed data message: its payload size as framed (the sum of its
/// frames' payloads, without frame headers) and, when the tap keeps them, those bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    /// Compressed payload bytes on the wire (all fragments, without the removed
    /// `00 00 ff ff` tail).
    pub size: usize,
    /// The compressed payload itself, kept only when it is at most the tap's byte budget.
    pub bytes: Option<Bytes>,
}

#[derive(Debug, Default)]
struct Slots {
    keep_bytes_up_to: usize,
    last_read: Option<Wire>,
    last_written: Option<Wire>,
}

/// A shared slot the connection fills for each compressed data message it reads or writes.
///
/// Put a clone in [`crate::protocol::WebSocketConfig::wire_tap`] and read it right after each
/// message with [`WireTap::take_read`] / [`WireTap::take_written`]: an uncompressed message
/// clears the slot, so a value never belongs to an earlier message.
#[derive(Debug, Clone, Default)]
pub struct WireTap(Arc<Mutex<Slots>>);

impl WireTap {
    /// A tap that keeps the compressed bytes of messages up to `keep_bytes_up_to` bytes
    /// (0: sizes only).
    pub fn new(keep_bytes_up_to: usize) -> Self {
        WireTap(Arc::new(Mutex::new(Slots { keep_bytes_up_to, ..Slots::default() })))
    }

    /// The wire form of the last data message read, if it was compressed.
    pub fn take_read(&self) -> Option<Wire> {
        self.0.lock().ok().and_then(|mut slots| slots.last_read.take())
    }

    /// The wire form of the last data message written, if it was compressed.
    pub fn take_written(&self) -> Option<Wire> {
        self.0.lock().ok().and_then(|mut slots| slots.last_written.take())
    }

    pub(crate) fn record_read(&self, compressed: Option<&[u8]>) {
        if let Ok(mut slots) = self.0.lock() {
            slots.last_read = compressed.map(|c| wire(c, slots.keep_bytes_up_to));
        }
    }

    pub(crate) fn record_written(&self, compressed: Option<&[u8]>) {
        if let Ok(mut slots) = self.0.lock() {
            slots.last_written = compressed.map(|c| wire(c, slots.keep_bytes_up_to));
        }
    }
}

fn wire(compressed: &[u8], keep_up_to: usize) -> Wire {
    let bytes = (compressed.len() <= keep_up_to).then(|| Bytes::copy_from_slice(compressed));
    Wire { size: compressed.len(), bytes }
}

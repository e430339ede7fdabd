//! Deterministic payloads for `/binary`, `/flood` and `/big-json`.

use std::sync::OnceLock;

use bytes::Bytes;

/// Bytes per fragment when a big message is made or sent in pieces.
pub const FRAGMENT: usize = 64 * 1024;

/// Size of `/binary`'s second message.
pub const RANDOM_LEN: usize = 1024 * 1024;

/// The fixed xorshift64 seed, so every run sends the same bytes.
const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// Repeated after the message index to fill a `/flood` message.
const FLOOD_FILL: &str = " abcdefghijklmnopqrstuvwxyz0123456789";

/// The 256 bytes 0x00..=0xFF in order.
pub fn ramp() -> Bytes {
    Bytes::from_iter(0..=u8::MAX)
}

/// 1 MiB from a fixed-seed xorshift64, built once and shared (cloning `Bytes` is cheap).
pub fn random_mib() -> Bytes {
    static RANDOM: OnceLock<Bytes> = OnceLock::new();
    RANDOM
        .get_or_init(|| Bytes::from(xorshift_bytes(SEED, RANDOM_LEN)))
        .clone()
}

/// `len` bytes from xorshift64 (13, 7, 17) starting at `seed`, little-endian words.
fn xorshift_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// `/flood` message number `index`: the index in decimal, then a repeating ASCII pattern,
/// exactly `size` bytes (the index itself is cut short when `size` is smaller).
pub fn flood_message(index: u64, size: usize) -> String {
    let mut text = String::with_capacity(size);
    let number = index.to_string();
    // The index is ASCII digits, so any prefix of it is a whole string.
    text.push_str(number.get(..size.min(number.len())).unwrap_or_default());
    while text.len() < size {
        let take = (size - text.len()).min(FLOOD_FILL.len());
        // FLOOD_FILL is ASCII, so any prefix of it is a whole string.
        text.push_str(FLOOD_FILL.get(..take).unwrap_or_default());
    }
    text
}

/// A JSON array of small records, at least `bytes` long (and at most one record more):
/// what a feed's snapshot looks like, for trying the detail pane on a big message.
pub fn big_json(bytes: usize) -> String {
    BigJsonPieces::new(bytes).collect()
}

/// [`big_json`]'s text in pieces of about [`FRAGMENT`] bytes, made one at a time as they
/// are asked for, so `/big-json` never holds its whole message.
#[derive(Debug)]
pub struct BigJsonPieces {
    /// The length to reach before the array is closed.
    target: usize,
    /// Bytes made so far, in earlier pieces.
    made: usize,
    /// The next record's id.
    id: u64,
    /// Whether the closing `]` has been made.
    done: bool,
}

impl BigJsonPieces {
    /// The pieces of a JSON text at least `bytes` long.
    pub fn new(bytes: usize) -> Self {
        Self {
            target: bytes,
            made: 0,
            id: 0,
            done: false,
        }
    }
}

impl Iterator for BigJsonPieces {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if self.done {
            return None;
        }
        let mut piece = String::with_capacity(FRAGMENT + 128);
        if self.made == 0 {
            piece.push('[');
        }
        while self.made + piece.len() < self.target && piece.len() < FRAGMENT {
            if self.id > 0 {
                piece.push(',');
            }
            let id = self.id;
            piece.push_str(&format!(
                r#"{{"id":{id},"name":"user {id}","active":{},"score":{}.5,"tags":["alpha","beta"]}}"#,
                id.is_multiple_of(3),
                id % 1000
            ));
            self.id += 1;
        }
        if self.made + piece.len() >= self.target {
            piece.push(']');
            self.done = true;
        }
        self.made += piece.len();
        Some(piece)
    }
}

/// [`flood_message`]`(index, size)` in pieces of at most [`FRAGMENT`] bytes, made one at a
/// time (at least one piece, empty when `size` is 0).
pub fn flood_pieces(index: u64, size: usize) -> impl Iterator<Item = String> {
    let number = index.to_string();
    let starts = (0..size.max(1)).step_by(FRAGMENT);
    starts.map(move |start| {
        let end = (start + FRAGMENT).min(size);
        (start..end)
            .map(|at| match number.as_bytes().get(at) {
                Some(digit) => char::from(*digit),
                None => {
                    let fill = FLOOD_FILL.as_bytes();
                    char::from(fill[(at - number.len()) % fill.len()])
                }
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_json_is_json_of_the_size_asked() {
        let json = big_json(100_000);
        assert!((100_000..100_200).contains(&json.len()));
        let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        assert_eq!(value[0]["name"], "user 0");
    }

    #[test]
    fn pieces_make_the_same_texts() {
        for bytes in [0, 1, 100, FRAGMENT - 1, FRAGMENT * 3 + 17] {
            let pieces: Vec<String> = BigJsonPieces::new(bytes).collect();
            assert!(pieces.iter().all(|p| p.len() <= FRAGMENT + 128));
            assert_eq!(pieces.concat(), old_big_json(bytes), "{bytes}");
        }
        for size in [0, 3, 10, FRAGMENT, FRAGMENT * 2 + 1] {
            let pieces: Vec<String> = flood_pieces(12345, size).collect();
            assert!(!pieces.is_empty() && pieces.iter().all(|p| p.len() <= FRAGMENT));
            assert_eq!(pieces.concat(), flood_message(12345, size), "{size}");
        }
    }

    /// `big_json` as it was written before it was made in pieces.
    fn old_big_json(bytes: usize) -> String {
        let mut json = String::from("[");
        let mut id = 0u64;
        while json.len() < bytes {
            if id > 0 {
                json.push(',');
            }
            json.push_str(&format!(
                r#"{{"id":{id},"name":"user {id}","active":{},"score":{}.5,"tags":["alpha","beta"]}}"#,
                id.is_multiple_of(3),
                id % 1000
            ));
            id += 1;
        }
        json.push(']');
        json
    }

    #[test]
    fn ramp_is_in_order() {
        let ramp = ramp();
        assert_eq!(ramp.len(), 256);
        assert!(ramp.iter().enumerate().all(|(i, b)| usize::from(*b) == i));
    }

    #[test]
    fn random_is_deterministic_and_not_trivial() {
        let a = random_mib();
        assert_eq!(a.len(), RANDOM_LEN);
        assert_eq!(a, Bytes::from(xorshift_bytes(SEED, RANDOM_LEN)));
        let zeros = a.iter().filter(|b| **b == 0).count();
        // About 1/256 of uniform bytes are zero.
        assert!(zeros > 3000 && zeros < 5200, "{zeros}");
        // Pinned so the stream never changes unnoticed (computed independently).
        assert_eq!(
            a[..16],
            [
                173, 77, 243, 11, 174, 119, 27, 220, 118, 96, 110, 2, 185, 238, 240, 100
            ]
        );
    }

    #[test]
    fn flood_messages_have_exact_size() {
        assert_eq!(flood_message(7, 10), "7 abcdefgh");
        assert_eq!(flood_message(12345, 3), "123");
        assert_eq!(flood_message(0, 0), "");
        let long = flood_message(42, 1000);
        assert_eq!(long.len(), 1000);
        assert!(long.starts_with("42 abc"));
    }
}

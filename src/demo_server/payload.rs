//! Deterministic payloads for `/binary`, `/flood` and `/big-json`.

use std::sync::OnceLock;

use bytes::Bytes;

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
    let mut json = String::with_capacity(bytes + 128);
    json.push('[');
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

//! The market ticks the format paths send (`/msgpack`, `/cbor`, `/protobuf`, `/gzip`,
//! `/zlib-stream`, `/deflate`): the same realistic tick in every format, and the schema of
//! `/protobuf` (`saved_sessions/demo.proto`, embedded).

use std::sync::OnceLock;

use serde_json::{Value, json};

use super::clock;
use crate::format::decode::{ProtoSchema, ProtoType, bytes_value};

/// The `.proto` file of `/protobuf`, as shipped in `saved_sessions/`.
pub const DEMO_PROTO: &str = include_str!("../../saved_sessions/demo.proto");

/// The message type `/protobuf` sends.
pub const DEMO_MESSAGE: &str = "sockscope.demo.Tick";

/// The symbols the ticks take turns at.
const SYMBOLS: [&str; 3] = ["BTC-USD", "ETH-USD", "SOL-USD"];

/// The price levels on each side of the book.
const LEVELS: u64 = 3;

/// Tick number `seq` (from 1): `seq`, `symbol`, `price`, `size`, `side` (`BUY`/`SELL`, the
/// schema's enum names), `timestamp`, `bids` and `asks` (three `{price, size}` levels each)
/// and `trade_id`, eight bytes. Prices and sizes are multiples of 1/8, exact in binary, so
/// every format carries them unchanged. With `bytes`, `trade_id` is a `{"$bytes": hex}`
/// value (MessagePack bin, CBOR byte string, Protobuf bytes); without, it is the hex text
/// (JSON has no bytes).
pub fn tick(seq: u64, bytes: bool) -> Value {
    let index = usize::try_from(seq % SYMBOLS.len() as u64).unwrap_or(0);
    let base = [43_125.0, 2_310.5, 98.25][index];
    let price = base + eighths(seq.wrapping_mul(37) % 64);
    let size = eighths(seq.wrapping_mul(13) % 40 + 1);
    let level = |step: u64, sign: f64| {
        json!({
            "price": price + sign * eighths(4 * step),
            "size": eighths(seq.wrapping_add(step).wrapping_mul(7) % 80 + 1),
        })
    };
    let bids: Vec<Value> = (1..=LEVELS).map(|step| level(step, -1.0)).collect();
    let asks: Vec<Value> = (1..=LEVELS).map(|step| level(step, 1.0)).collect();
    let id = seq.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes();
    let trade_id = if bytes {
        bytes_value(&id)
    } else {
        Value::String(crate::format::hex::to_hex(&id))
    };
    json!({
        "seq": seq,
        "symbol": SYMBOLS[index],
        "price": price,
        "size": size,
        "side": if seq % 2 == 1 { "BUY" } else { "SELL" },
        "timestamp": clock::now_rfc3339_millis(),
        "bids": bids,
        "asks": asks,
        "trade_id": trade_id,
    })
}

/// `n` eighths, as a float (exact).
fn eighths(n: u64) -> f64 {
    // Small counts only: exact in an f64.
    n as f64 / 8.0
}

/// `sockscope.demo.Tick`, compiled once from [`DEMO_PROTO`]; the error says why not (it
/// cannot happen with the file as shipped, which a test compiles).
pub fn demo_tick_type() -> Result<&'static ProtoType, &'static str> {
    static TYPE: OnceLock<Result<ProtoType, String>> = OnceLock::new();
    TYPE.get_or_init(|| {
        ProtoSchema::from_sources(&[("demo.proto", DEMO_PROTO)])
            .and_then(|schema| schema.message(DEMO_MESSAGE))
            .map_err(|err| err.to_string())
    })
    .as_ref()
    .map_err(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_schema_compiles_and_encodes_a_tick() {
        let ty = demo_tick_type().unwrap();
        assert_eq!(ty.name(), DEMO_MESSAGE);
        let limits = crate::format::decode::Limits::new(1 << 20);
        let value = tick(7, true);
        let bytes = crate::format::decode::encode_protobuf(&value, ty, limits).unwrap();
        let back = crate::format::decode::decode_protobuf(&bytes, ty, limits).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn ticks_differ_and_carry_bytes_or_hex() {
        let (a, b) = (tick(1, true), tick(2, false));
        assert_eq!((a["seq"].as_u64(), b["seq"].as_u64()), (Some(1), Some(2)));
        assert_eq!(
            (a["side"].as_str(), b["side"].as_str()),
            (Some("BUY"), Some("SELL"))
        );
        assert!(
            a["trade_id"]["$bytes"]
                .as_str()
                .is_some_and(|hex| hex.len() == 16)
        );
        assert!(b["trade_id"].as_str().is_some_and(|hex| hex.len() == 16));
        assert_eq!(a["bids"].as_array().map(Vec::len), Some(3));
        let (bid, ask) = (&a["bids"][0]["price"], &a["asks"][0]["price"]);
        assert!(bid.as_f64() < a["price"].as_f64() && ask.as_f64() > a["price"].as_f64());
    }
}

//! The format paths: `/msgpack`, `/cbor`, `/protobuf`, `/gzip`, `/zlib-stream` and
//! `/deflate`, each a market tick (see [`super::market`]) every 100 ms as a binary message,
//! made by Sockscope's own encoders (`format::decode`), so the app's decoders have
//! something to read offline. With `count`, closes 1000 "done" after that many.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::{Bytes, Message};

use super::closing::{answer_close, close_and_wait, frame};
use super::market::{demo_tick_type, tick};
use super::ticker::every_period;
use super::{MAX_MESSAGE_BYTES, Ws, WsResult};
use crate::format::decode::{
    Compression, Limits, ZlibStreamEncoder, compress, encode_cbor, encode_msgpack, encode_protobuf,
};

/// How a format path encodes its ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `/msgpack`: a MessagePack map (`trade_id` as bin).
    Msgpack,
    /// `/cbor`: a CBOR map (`trade_id` as a byte string).
    Cbor,
    /// `/protobuf`: a `sockscope.demo.Tick` (`saved_sessions/demo.proto`).
    Protobuf,
    /// `/gzip`: the tick's JSON text, gzipped, one gzip stream per message.
    Gzip,
    /// `/zlib-stream`: the JSON text through one zlib context for the whole connection,
    /// each message sync-flushed so it ends `00 00 ff ff` (Discord's gateway).
    ZlibStream,
    /// `/deflate`: the JSON text as raw deflate, one stream per message.
    Deflate,
}

impl Format {
    /// The format named by a path without its `/`, e.g. `zlib-stream`.
    pub fn from_path(path: &str) -> Option<Self> {
        Some(match path {
            "msgpack" => Format::Msgpack,
            "cbor" => Format::Cbor,
            "protobuf" => Format::Protobuf,
            "gzip" => Format::Gzip,
            "zlib-stream" => Format::ZlibStream,
            "deflate" => Format::Deflate,
            _ => return None,
        })
    }
}

/// One connection's encoder: the formats are stateless but for `zlib-stream`.
struct Encoder {
    format: Format,
    stream: ZlibStreamEncoder,
}

impl Encoder {
    /// Tick `seq` as this format's message, or why it could not be made.
    fn message(&mut self, seq: u64) -> Result<Vec<u8>, String> {
        let limits = Limits::new(MAX_MESSAGE_BYTES);
        let text = || tick(seq, false).to_string().into_bytes();
        match self.format {
            Format::Msgpack => encode_msgpack(&tick(seq, true), limits).map_err(|e| e.to_string()),
            Format::Cbor => encode_cbor(&tick(seq, true), limits).map_err(|e| e.to_string()),
            Format::Protobuf => {
                let ty = demo_tick_type()?;
                encode_protobuf(&tick(seq, true), ty, limits).map_err(|e| e.to_string())
            }
            Format::Gzip => Ok(compress(Compression::Gzip, &text())),
            Format::ZlibStream => Ok(self.stream.push(&text())),
            Format::Deflate => Ok(compress(Compression::Deflate, &text())),
        }
    }
}

/// A tick every 100 ms from seq 1 in `format`; after `count` of them, close 1000 "done".
/// Incoming messages are read and ignored. A tick that cannot be encoded (it cannot happen
/// with the shipped schema) closes 1011 with the reason.
pub async fn send_ticks(ws: &mut Ws, format: Format, count: Option<u64>) -> WsResult {
    let mut encoder = Encoder {
        format,
        stream: ZlibStreamEncoder::new(),
    };
    let mut ticks = every_period();
    let mut seq: u64 = 0;
    loop {
        if count.is_some_and(|count| seq >= count) {
            return close_and_wait(ws, Some(frame(1000, "done"))).await;
        }
        tokio::select! {
            _ = ticks.tick() => {
                seq += 1;
                match encoder.message(seq) {
                    Ok(bytes) => ws.send(Message::Binary(Bytes::from(bytes))).await?,
                    Err(why) => {
                        let reason = within(&why, super::routes::MAX_CLOSE_REASON);
                        return close_and_wait(ws, Some(frame(1011, reason))).await;
                    }
                }
            }
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Close(_))) => return answer_close(ws).await,
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err),
                None => return Ok(()),
            },
        }
    }
}

/// The longest start of `text` that fits in `max` bytes, cut at a character boundary.
fn within(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::decode::{Decoder, decode_cbor, decode_msgpack, decompress};

    #[test]
    fn each_format_carries_the_tick() {
        let limits = Limits::new(1 << 20);
        let encoder = |format| Encoder {
            format,
            stream: ZlibStreamEncoder::new(),
        };
        let msgpack = encoder(Format::Msgpack).message(3).unwrap();
        let value = decode_msgpack(&msgpack, limits).unwrap();
        assert_eq!(value["seq"], 3);
        assert!(value["trade_id"]["$bytes"].is_string());
        let cbor = encoder(Format::Cbor).message(4).unwrap();
        assert_eq!(decode_cbor(&cbor, limits).unwrap()["seq"], 4);
        let gzip = encoder(Format::Gzip).message(5).unwrap();
        let text = decompress(Compression::Gzip, &gzip, limits).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(
            (value["seq"].as_u64(), value["trade_id"].is_string()),
            (Some(5), true)
        );
        let mut stream = encoder(Format::ZlibStream);
        let mut decoder = Decoder::new("zlib-stream+json".parse().unwrap(), None, limits).unwrap();
        for seq in 1..=3 {
            let message = stream.message(seq).unwrap();
            assert!(message.ends_with(&crate::format::decode::SYNC_FLUSH_SUFFIX));
            let decoded = decoder.decode(&message).unwrap().unwrap().to_json();
            assert_eq!(decoded["value"]["seq"], seq);
        }
    }

    #[test]
    fn a_close_reason_is_cut_at_a_character() {
        assert_eq!(within("abc", 2), "ab");
        assert_eq!(within("aé", 2), "a");
        assert_eq!(within("x", 123), "x");
    }
}

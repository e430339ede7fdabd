//! Auto-detection: which chain a payload looks like, and why (the rules are listed in the
//! module documentation of [`super`]).

use super::decoder::{Content, Decoded};
use super::error::DecodeError;
use super::json::decode_json;
use super::protobuf::ProtoType;
use super::spec::{Compression, Step};
use super::{
    Limits, decode_cbor, decode_msgpack, decode_protobuf, decode_protobuf_raw, decompress,
};

/// The most compression layers auto-detection unwraps.
const MAX_LAYERS: usize = 3;

/// Detects and decodes `payload`. `Ok(None)` when it matches nothing (or is plain text);
/// an error only when a format matched but its output passed the [`Limits`].
pub fn detect(
    payload: &[u8],
    proto: Option<&ProtoType>,
    limits: Limits,
) -> Result<Option<Decoded>, DecodeError> {
    let mut found = Found::default();
    let Some(content) = layer(payload, proto, limits, 0, &mut found)? else {
        return Ok(None);
    };
    Ok(Some(Decoded {
        steps: found.steps,
        reason: Some(found.reasons.join("; then ")),
        unpacked_size: found.unpacked_size,
        content,
    }))
}

/// The steps found so far and why.
#[derive(Default)]
struct Found {
    steps: Vec<Step>,
    reasons: Vec<String>,
    unpacked_size: usize,
}

impl Found {
    fn push(&mut self, step: Step, reason: impl Into<String>) {
        self.steps.push(step);
        self.reasons.push(reason.into());
    }
}

/// Only a payload past the limits is an error while guessing; anything else is "not this".
fn fits<T>(result: Result<T, DecodeError>) -> Result<Option<T>, DecodeError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err @ (DecodeError::TooLarge { .. } | DecodeError::TooDeep { .. })) => Err(err),
        Err(_) => Ok(None),
    }
}

/// Whether the first two bytes are a zlib header (deflate, window ≤ 32 KiB, no dictionary).
fn zlib_header(payload: &[u8]) -> bool {
    match payload {
        [cmf, flg, _, ..] => {
            cmf & 0x0f == 8
                && cmf >> 4 <= 7
                && flg & 0x20 == 0
                && (u16::from(*cmf) * 256 + u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

/// One layer of detection, `depth` compressions deep.
fn layer(
    payload: &[u8],
    proto: Option<&ProtoType>,
    limits: Limits,
    depth: usize,
    found: &mut Found,
) -> Result<Option<Content>, DecodeError> {
    found.unpacked_size = payload.len();
    if payload.is_empty() {
        return Ok(None);
    }
    let text = std::str::from_utf8(payload).ok();
    if text.is_some()
        && let Some(value) = fits(decode_json(payload, limits))?
    {
        found.push(Step::Json, "valid UTF-8 that parses as JSON");
        return Ok(Some(Content::Value(value)));
    }
    if depth < MAX_LAYERS {
        let packed = if payload.starts_with(&[0x1f, 0x8b, 0x08]) {
            Some((Compression::Gzip, "gzip magic 1f 8b".to_owned()))
        } else if zlib_header(payload) {
            Some((
                Compression::Zlib,
                format!("zlib header {:02x} {:02x}", payload[0], payload[1]),
            ))
        } else {
            None
        };
        if let Some((kind, reason)) = packed
            && let Some(inner) = fits(decompress(kind, payload, limits))?
        {
            found.push(kind.step(), reason);
            return Ok(Some(unwrapped(inner, proto, limits, depth, found)?));
        }
    }
    // Text people read has no control characters but tab, CR and LF; short binary payloads
    // (Protobuf above all) are often valid UTF-8 with some.
    if text.is_some_and(|text| {
        !text
            .chars()
            .any(|ch| ch.is_control() && !matches!(ch, '\t' | '\n' | '\r'))
    }) {
        return Ok(None);
    }
    if payload.starts_with(&[0xd9, 0xd9, 0xf7])
        && let Some(value) = fits(decode_cbor(payload, limits))?
    {
        found.push(Step::Cbor, "CBOR self-describe tag d9 d9 f7");
        return Ok(Some(Content::Value(value)));
    }
    let first = payload[0];
    if matches!(first, 0x80..=0x9f | 0xdc..=0xdf)
        && let Some(value) = fits(decode_msgpack(payload, limits))?
    {
        let what = if value.is_object() { "map" } else { "array" };
        found.push(
            Step::Msgpack,
            format!("the whole payload parses as a MessagePack {what}"),
        );
        return Ok(Some(Content::Value(value)));
    }
    if matches!(first >> 5, 4..=6)
        && let Some(value) = fits(decode_cbor(payload, limits))?
        && let Some(what) = cbor_container(&value)
    {
        found.push(
            Step::Cbor,
            format!("the whole payload parses as a CBOR {what}"),
        );
        return Ok(Some(Content::Value(value)));
    }
    if let Some(ty) = proto
        && let Some(value) = fits(decode_protobuf(payload, ty, limits))?
        && value.get("$unknown").is_none()
    {
        found.push(
            Step::Protobuf,
            format!("the whole payload decodes as {}", ty.name()),
        );
        return Ok(Some(Content::Value(value)));
    }
    if depth < MAX_LAYERS
        && let Ok(inner) = decompress(Compression::Deflate, payload, limits)
        && !inner.is_empty()
        && std::str::from_utf8(&inner).is_ok()
    {
        found.push(
            Step::Deflate,
            "the whole payload inflates as raw deflate to UTF-8 text",
        );
        return Ok(Some(unwrapped(inner, proto, limits, depth, found)?));
    }
    if let Some(value) = fits(decode_protobuf_raw(payload, limits))?
        && value.as_object().is_some_and(|fields| !fields.is_empty())
    {
        found.push(
            Step::ProtobufRaw,
            "the whole payload parses as Protobuf fields (a guess: no schema)",
        );
        return Ok(Some(Content::Value(value)));
    }
    Ok(None)
}

/// "map", "array" or "tagged map"/"tagged array" for a CBOR value that is (a tag around)
/// a container; `None` for a scalar.
fn cbor_container(value: &serde_json::Value) -> Option<&'static str> {
    let (inner, tagged) = match value.get("$tag").and(value.get("$value")) {
        Some(inner) => (inner, true),
        None => (value, false),
    };
    match (inner.is_object(), inner.is_array(), tagged) {
        (true, _, false) => Some("map"),
        (_, true, false) => Some("array"),
        (true, _, true) => Some("tagged map"),
        (_, true, true) => Some("tagged array"),
        _ => None,
    }
}

/// What came out of a compression: detected again, or text, or bytes.
fn unwrapped(
    inner: Vec<u8>,
    proto: Option<&ProtoType>,
    limits: Limits,
    depth: usize,
    found: &mut Found,
) -> Result<Content, DecodeError> {
    if let Some(content) = layer(&inner, proto, limits, depth + 1, found)? {
        return Ok(content);
    }
    found.unpacked_size = inner.len();
    Ok(Content::from_bytes(inner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::decode::{Compression, compress, encode_cbor, encode_msgpack};
    use serde_json::json;

    fn reason(payload: &[u8]) -> Option<(String, String)> {
        detect(payload, None, Limits::new(1 << 20))
            .unwrap()
            .map(|decoded| (decoded.format(), decoded.reason.unwrap_or_default()))
    }

    #[test]
    fn each_format_is_detected_with_its_reason() {
        let value = json!({"op": "tick", "price": 1.5, "ids": [1, 2]});
        let text = value.to_string();
        let limits = Limits::new(1 << 20);
        assert_eq!(
            reason(text.as_bytes()).unwrap(),
            ("json".into(), "valid UTF-8 that parses as JSON".into())
        );
        assert_eq!(
            reason(&compress(Compression::Gzip, text.as_bytes())).unwrap(),
            (
                "gzip+json".into(),
                "gzip magic 1f 8b; then valid UTF-8 that parses as JSON".into()
            )
        );
        assert_eq!(
            reason(&compress(Compression::Zlib, text.as_bytes()))
                .unwrap()
                .0,
            "zlib+json"
        );
        assert_eq!(
            reason(&compress(Compression::Deflate, text.as_bytes()))
                .unwrap()
                .0,
            "deflate+json"
        );
        assert_eq!(
            reason(&encode_msgpack(&value, limits).unwrap()).unwrap(),
            (
                "msgpack".into(),
                "the whole payload parses as a MessagePack map".into()
            )
        );
        assert_eq!(
            reason(&encode_cbor(&value, limits).unwrap()).unwrap(),
            (
                "cbor".into(),
                "the whole payload parses as a CBOR map".into()
            )
        );
        assert_eq!(reason(&[0x08, 0x96, 0x01]).unwrap().0, "protobuf-raw");
        // A tag around a scalar (an epoch date) is not taken for CBOR.
        assert_ne!(
            reason(&[0xc1, 0x1a, 0x51, 0x4b, 0x67, 0xb0]).map(|found| found.0),
            Some("cbor".into())
        );
        assert_eq!(
            reason(&compress(Compression::Gzip, b"plain words")).unwrap(),
            ("gzip".into(), "gzip magic 1f 8b".into())
        );
    }

    #[test]
    fn json_and_text_are_never_taken_for_binary_formats() {
        // `[1]` and `1` are also MessagePack/CBOR-looking bytes; valid JSON wins.
        assert_eq!(reason(b"[1]").unwrap().0, "json");
        assert_eq!(reason(b"1").unwrap().0, "json");
        assert_eq!(reason(b"hello there"), None, "text is left alone");
        assert_eq!(reason(b""), None);
        assert_eq!(reason(&[0xff, 0xfe, 0x00]), None, "noise matches nothing");
    }

    #[test]
    fn a_gzip_bomb_is_an_error_not_a_miss() {
        let bomb = compress(Compression::Gzip, &vec![0; 4 << 20]);
        let err = detect(&bomb, None, Limits::new(1 << 20)).unwrap_err();
        assert!(
            matches!(err, DecodeError::TooLarge { format: "gzip", .. }),
            "{err}"
        );
    }
}

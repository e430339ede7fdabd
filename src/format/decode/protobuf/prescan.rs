//! Counting a message's values on the wire, with its schema, before `prost-reflect` builds
//! them: a packed repeated field costs one byte a value on the wire and tens of bytes in
//! memory, so a 64 MiB payload could take gigabytes.

use prost_reflect::{Kind, MessageDescriptor};

use super::super::Limits;
use super::super::error::DecodeError;
use super::super::protobuf_raw::{take, varint};
use super::FORMAT;

/// Refuses `payload` when its values as `prost_reflect::Value`s would take more than
/// `limits.max_output` bytes. Malformed input is left for prost to describe.
pub(super) fn prescan(
    payload: &[u8],
    desc: &MessageDescriptor,
    limits: Limits,
) -> Result<(), DecodeError> {
    let most = limits.max_output / size_of::<prost_reflect::Value>();
    let mut values = 0usize;
    if count(payload, desc, 1, limits.max_depth, most, &mut values) {
        return Err(DecodeError::TooLarge {
            format: FORMAT,
            limit: limits.max_output,
        });
    }
    Ok(())
}

/// Adds the values of one message to `values`; true once they pass `most`.
fn count(
    mut bytes: &[u8],
    desc: &MessageDescriptor,
    depth: usize,
    max_depth: usize,
    most: usize,
    values: &mut usize,
) -> bool {
    while !bytes.is_empty() {
        let Some(key) = varint(&mut bytes) else {
            return false;
        };
        let field = u32::try_from(key >> 3).ok().and_then(|n| desc.get_field(n));
        let ok = match key & 7 {
            0 => varint(&mut bytes).map(|_| 1),
            1 => take(&mut bytes, 8).map(|_| 1),
            5 => take(&mut bytes, 4).map(|_| 1),
            2 => varint(&mut bytes)
                .and_then(|len| take(&mut bytes, usize::try_from(len).ok()?))
                .map(|inner| match field.map(|field| field.kind()) {
                    Some(Kind::Message(inner_desc)) if depth < max_depth => {
                        count(inner, &inner_desc, depth + 1, max_depth, most, values);
                        1
                    }
                    Some(Kind::String | Kind::Bytes | Kind::Message(_)) | None => 1,
                    Some(Kind::Double | Kind::Fixed64 | Kind::Sfixed64) => inner.len() / 8,
                    Some(Kind::Float | Kind::Fixed32 | Kind::Sfixed32) => inner.len() / 4,
                    // Packed varints: one value per byte without the continuation bit.
                    Some(_) => inner.iter().filter(|byte| *byte & 0x80 == 0).count(),
                }),
            _ => None,
        };
        let Some(more) = ok else {
            return false;
        };
        *values = values.saturating_add(more);
        if *values > most {
            return true;
        }
    }
    false
}

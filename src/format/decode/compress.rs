//! gzip, zlib and raw deflate, both ways (through `flate2`). Inflating stops at the output
//! limit, so a decompression bomb costs at most the limit.

use std::io::Read;

use flate2::Compression as Level;
use flate2::read::{
    DeflateDecoder, DeflateEncoder, GzEncoder, MultiGzDecoder, ZlibDecoder, ZlibEncoder,
};

use super::Limits;
use super::error::DecodeError;
use super::spec::Compression;

/// Inflates a whole payload; more than `limits.max_output` bytes out is
/// [`DecodeError::TooLarge`]. gzip reads every member of the payload.
pub fn decompress(
    kind: Compression,
    payload: &[u8],
    limits: Limits,
) -> Result<Vec<u8>, DecodeError> {
    let reader: Box<dyn Read + '_> = match kind {
        Compression::Gzip => Box::new(MultiGzDecoder::new(payload)),
        Compression::Zlib => Box::new(ZlibDecoder::new(payload)),
        Compression::Deflate => Box::new(DeflateDecoder::new(payload)),
    };
    let format = kind.step().name();
    let cap = u64::try_from(limits.max_output)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut out = Vec::new();
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|err| DecodeError::Invalid {
            format,
            why: err.to_string(),
        })?;
    if out.len() > limits.max_output {
        return Err(DecodeError::TooLarge {
            format,
            limit: limits.max_output,
        });
    }
    Ok(out)
}

/// Deflates `data` at the default level, in `kind`'s framing.
pub fn compress(kind: Compression, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let level = Level::default();
    // Reading from a slice into a Vec has no I/O to fail.
    let _ = match kind {
        Compression::Gzip => GzEncoder::new(data, level).read_to_end(&mut out),
        Compression::Zlib => ZlibEncoder::new(data, level).read_to_end(&mut out),
        Compression::Deflate => DeflateEncoder::new(data, level).read_to_end(&mut out),
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_compression_round_trips() {
        let limits = Limits::new(1 << 20);
        for kind in [Compression::Gzip, Compression::Zlib, Compression::Deflate] {
            let data = b"{\"price\": 1.5}".repeat(100);
            let packed = compress(kind, &data);
            assert!(packed.len() < data.len());
            assert_eq!(decompress(kind, &packed, limits).unwrap(), data, "{kind:?}");
        }
        assert_eq!(&compress(Compression::Gzip, b"x")[..2], &[0x1f, 0x8b]);
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let packed = compress(Compression::Zlib, &vec![0; 10 << 20]);
        let err = decompress(Compression::Zlib, &packed, Limits::new(1 << 20)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "zlib: the decoded output passes the limit of 1048576 bytes"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        let err = decompress(Compression::Gzip, b"\x1f\x8b\x08garbage", Limits::new(100));
        assert!(matches!(
            err,
            Err(DecodeError::Invalid { format: "gzip", .. })
        ));
    }
}

//! Hex dump rows, as `xxd`/`hexdump -C` print them: an offset, sixteen bytes in hex and the
//! same bytes as ASCII. Rows are made one at a time so a view formats only what it shows.

use std::fmt::Write as _;

/// How many bytes one row shows.
pub const BYTES_PER_ROW: usize = 16;

/// The width in characters of [`HexRow::hex`]: 16 × "xx " less the last space, plus the
/// extra space after the eighth byte.
pub const HEX_WIDTH: usize = BYTES_PER_ROW * 3;

/// One row of a hex dump.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HexRow {
    /// The offset of the row's first byte: 8 lower-case hex digits (more past 4 GiB).
    pub offset: String,
    /// The bytes as lower-case hex pairs separated by spaces, with an extra space after the
    /// eighth; a short last row is padded with spaces to [`HEX_WIDTH`] so columns align.
    pub hex: String,
    /// The bytes as ASCII, `.` for anything not printable (one character per byte).
    pub ascii: String,
}

/// How many rows a dump of `len` bytes has (0 for no bytes).
pub fn row_count(len: usize) -> usize {
    len.div_ceil(BYTES_PER_ROW)
}

/// Row `row` of the dump of `bytes`. A row past the end has its offset and blank columns.
pub fn row(bytes: &[u8], row: usize) -> HexRow {
    let start = row.saturating_mul(BYTES_PER_ROW);
    let chunk = bytes
        .get(start..)
        .map(|rest| &rest[..rest.len().min(BYTES_PER_ROW)])
        .unwrap_or_default();
    let mut hex = String::with_capacity(HEX_WIDTH);
    let mut ascii = String::with_capacity(BYTES_PER_ROW);
    for (i, &byte) in chunk.iter().enumerate() {
        if i > 0 {
            hex.push(' ');
        }
        if i == BYTES_PER_ROW / 2 {
            hex.push(' ');
        }
        let _ = write!(hex, "{byte:02x}");
        ascii.push(if byte.is_ascii_graphic() || byte == b' ' {
            char::from(byte)
        } else {
            '.'
        });
    }
    while hex.len() < HEX_WIDTH {
        hex.push(' ');
    }
    HexRow {
        offset: format!("{start:08x}"),
        hex,
        ascii,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rows() {
        assert_eq!(row_count(0), 0);
        assert_eq!(row_count(1), 1);
        assert_eq!(row_count(16), 1);
        assert_eq!(row_count(17), 2);
        assert_eq!(row_count(64 << 20), 4 << 20);
    }

    #[test]
    fn full_row() {
        let bytes: Vec<u8> = (0x41..0x51).collect();
        let r = row(&bytes, 0);
        assert_eq!(r.offset, "00000000");
        assert_eq!(r.hex, "41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50");
        assert_eq!(r.hex.len(), HEX_WIDTH);
        assert_eq!(r.ascii, "ABCDEFGHIJKLMNOP");
    }

    #[test]
    fn short_last_row_is_padded() {
        let bytes: Vec<u8> = (0..20).collect();
        let r = row(&bytes, 1);
        assert_eq!(r.offset, "00000010");
        assert_eq!(r.hex.trim_end(), "10 11 12 13");
        assert_eq!(r.hex.len(), HEX_WIDTH);
        assert_eq!(r.ascii, "....");
        let nine = row(&[0xff; 9], 0);
        assert_eq!(nine.hex.trim_end(), "ff ff ff ff ff ff ff ff  ff");
        assert_eq!(nine.hex.len(), HEX_WIDTH);
    }

    #[test]
    fn non_printables_are_dots() {
        let r = row(b"a b\x00\x7f\xff~\n", 0);
        assert_eq!(r.ascii, "a b...~.");
    }

    #[test]
    fn rows_past_the_end_are_blank() {
        let r = row(b"abc", 5);
        assert_eq!(r.offset, "00000050");
        assert_eq!(r.hex.trim(), "");
        assert_eq!(r.ascii, "");
        assert_eq!(row(b"", usize::MAX).ascii, "");
    }

    #[test]
    fn offsets_grow_past_eight_digits() {
        assert_eq!(row(&[], 0x1000_0000).offset, "100000000");
    }
}

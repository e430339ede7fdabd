//! JSON numbers as the filter meets them: where one ends in a document, and its value read
//! without going through text when that is exact.

/// Where the JSON number starting at `start` in `bytes` ends, if one does: `-? (0 | [1-9][0-9]*)
/// (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
#[inline(always)]
pub fn number_end(bytes: &[u8], start: usize) -> Option<usize> {
    // Past the end reads as 0, which no part of a number is.
    let at = |pos: usize| bytes.get(pos).copied().unwrap_or(0);
    let digits_from = |mut pos: usize| {
        while at(pos).is_ascii_digit() {
            pos += 1;
        }
        pos
    };
    let mut pos = start;
    if at(pos) == b'-' {
        pos += 1;
    }
    pos = match at(pos) {
        b'0' => pos + 1,
        b'1'..=b'9' => digits_from(pos + 1),
        _ => return None,
    };
    if at(pos) == b'.' {
        if !at(pos + 1).is_ascii_digit() {
            return None;
        }
        pos = digits_from(pos + 2);
    }
    if (at(pos) | 0x20) == b'e' {
        pos += 1;
        if let b'+' | b'-' = at(pos) {
            pos += 1;
        }
        if !at(pos).is_ascii_digit() {
            return None;
        }
        pos = digits_from(pos + 1);
    }
    Some(pos)
}

/// The value of raw JSON text that is exactly one number.
pub fn number_value(raw: &[u8]) -> Option<f64> {
    if let Some(value) = exact_decimal(raw) {
        return Some(value);
    }
    if number_end(raw, 0)? != raw.len() {
        return None;
    }
    std::str::from_utf8(raw).ok()?.parse().ok()
}

/// Powers of ten that an `f64` holds exactly.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The value of a well-formed number without an exponent (`-? (0 | [1-9][0-9]*)
/// (. [0-9]+)?`) whose digits fit in 2^53, read in one pass without going through text:
/// the digits and the power of ten are both exact as `f64`, so one division rounds
/// correctly, as parsing would (Clinger's fast path). Anything else is `None`, for the
/// full parser.
fn exact_decimal(raw: &[u8]) -> Option<f64> {
    let negative = raw.first() == Some(&b'-');
    let digits = &raw[usize::from(negative)..];
    let mut mantissa: u64 = 0;
    let mut dot = None;
    for (at, &byte) in digits.iter().enumerate() {
        if byte.is_ascii_digit() {
            mantissa = mantissa
                .checked_mul(10)?
                .checked_add(u64::from(byte - b'0'))?;
        } else if byte == b'.' && dot.is_none() {
            dot = Some(at);
        } else {
            return None;
        }
    }
    let whole = dot.unwrap_or(digits.len());
    let fraction_digits = dot.map_or(0, |dot| digits.len() - dot - 1);
    let well_formed =
        whole > 0 && (whole == 1 || digits[0] != b'0') && (dot.is_none() || fraction_digits > 0);
    if !well_formed || mantissa > 1 << 53 {
        return None;
    }
    let value = mantissa as f64 / *EXACT_POWERS_OF_TEN.get(fraction_digits)?;
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_without_text_equal_parsed_ones() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "0.1",
            "123.456",
            "-7.25",
            "9007199254740992",
            "9007199254740993",
            "18446744073709551616",
            "0.0000000000000000000001",
            "0.00000000000000000000001",
            "1.7976931348623157",
            "4.9e-324",
            "-1e22",
        ]
        .iter()
        .map(|text| (*text).to_owned())
        .collect();
        for _ in 0..20_000 {
            let whole = next() % 10u64.pow((next() % 17) as u32 + 1);
            let places = (next() % 20) as usize;
            let fraction = next() % 10u64.pow(places.min(18) as u32 + 1);
            let sign = if next() % 2 == 0 { "-" } else { "" };
            texts.push(format!(
                "{sign}{whole}.{fraction:0places$}",
                places = places.max(1)
            ));
            texts.push(format!("{sign}{whole}"));
        }
        for malformed in [
            "", "-", "01", "-01", "1.", ".5", "1.2.3", "1e", "+1", "1a", "--1",
        ] {
            assert_eq!(number_value(malformed.as_bytes()), None, "{malformed:?}");
        }
        for text in texts {
            let parsed: f64 = text.parse().expect("a number");
            let read = number_value(text.as_bytes()).expect("well-formed");
            assert_eq!(read.to_bits(), parsed.to_bits(), "{text}");
        }
    }
}

//! Hex: parsing what people type (spaces, newlines and `0x` prefixes allowed) and rendering.

use std::fmt::Write as _;

/// Why hex input does not parse, and where (a 0-based character position in the input).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// A character that is not a hex digit, white space or a `0x` prefix.
    #[error("invalid hex digit {ch:?} at position {position}")]
    InvalidDigit {
        /// The offending character.
        ch: char,
        /// Its 0-based character position.
        position: usize,
    },
    /// An odd number of digits: the last one has no partner.
    #[error("odd number of hex digits ({digits}): the digit at position {position} has no partner")]
    OddLength {
        /// How many digits there were.
        digits: usize,
        /// The 0-based character position of the unpaired digit.
        position: usize,
    },
}

impl HexError {
    /// The 0-based character position the error points at.
    pub fn position(&self) -> usize {
        match self {
            HexError::InvalidDigit { position, .. } | HexError::OddLength { position, .. } => {
                *position
            }
        }
    }
}

/// Parses hex such as `0a0b0c`, `0A 0B 0C`, `0x0a 0x0b` or several lines of `xxd -p`
/// output. Digits pair up across white space.
pub fn parse_hex(input: &str) -> Result<Vec<u8>, HexError> {
    let mut bytes = Vec::with_capacity(input.len() / 2);
    let mut pending: Option<(u8, usize)> = None;
    let mut digits = 0;
    let mut chars = input.chars().enumerate().peekable();
    while let Some((position, ch)) = chars.next() {
        if ch.is_whitespace() {
            continue;
        }
        if ch == '0' && pending.is_none() && matches!(chars.peek(), Some((_, 'x' | 'X'))) {
            chars.next();
            continue;
        }
        let Some(value) = ch.to_digit(16) else {
            return Err(HexError::InvalidDigit { ch, position });
        };
        digits += 1;
        // `to_digit(16)` is below 16, so it fits in a nibble.
        let nibble = value as u8;
        match pending.take() {
            Some((high, _)) => bytes.push(high << 4 | nibble),
            None => pending = Some((nibble, position)),
        }
    }
    if let Some((_, position)) = pending {
        return Err(HexError::OddLength { digits, position });
    }
    Ok(bytes)
}

/// Lower-case hex without separators, e.g. `0a0b0c`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Lower-case hex for reading and editing: bytes apart, 16 to a line, e.g. `0a 0b 0c`.
/// [`parse_hex`] reads it back.
pub fn to_hex_lines(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(if i % 16 == 0 { '\n' } else { ' ' });
        }
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_common_spellings() {
        assert_eq!(parse_hex("0a0b0c").unwrap(), vec![10, 11, 12]);
        assert_eq!(parse_hex("0A 0B\n0C").unwrap(), vec![10, 11, 12]);
        assert_eq!(parse_hex("0x0a 0x0B 0XfF").unwrap(), vec![10, 11, 255]);
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        assert_eq!(parse_hex("  \n ").unwrap(), Vec::<u8>::new());
        assert_eq!(parse_hex("00").unwrap(), vec![0]);
        assert_eq!(parse_hex("0 0").unwrap(), vec![0]);
    }

    #[test]
    fn invalid_digits_are_located() {
        assert_eq!(
            parse_hex("0a zz").unwrap_err(),
            HexError::InvalidDigit {
                ch: 'z',
                position: 3
            }
        );
        assert_eq!(parse_hex("0a0g").unwrap_err().position(), 3);
        assert_eq!(parse_hex("é1").unwrap_err().position(), 0);
        let message = parse_hex("0a zz").unwrap_err().to_string();
        assert_eq!(message, "invalid hex digit 'z' at position 3");
    }

    #[test]
    fn odd_length_points_at_the_lonely_digit() {
        assert_eq!(
            parse_hex("0a0b0").unwrap_err(),
            HexError::OddLength {
                digits: 5,
                position: 4
            }
        );
        assert_eq!(parse_hex("0x1").unwrap_err().position(), 2);
    }

    #[test]
    fn renders_lower_case() {
        assert_eq!(to_hex(&[0x0a, 0xff, 0x00]), "0aff00");
        assert_eq!(to_hex(&[]), "");
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(parse_hex(&to_hex(&all)).unwrap(), all);
    }

    #[test]
    fn hex_lines_put_sixteen_bytes_on_a_line_and_read_back() {
        assert_eq!(to_hex_lines(&[0x0a, 0xff, 0x00]), "0a ff 00");
        assert_eq!(to_hex_lines(&[]), "");
        let all: Vec<u8> = (0..=255).collect();
        let lines = to_hex_lines(&all);
        assert_eq!(lines.lines().count(), 16);
        assert_eq!(
            lines.lines().nth(1),
            Some("10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f")
        );
        assert_eq!(parse_hex(&lines).unwrap(), all);
    }
}

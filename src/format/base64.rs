//! Base64: parsing the standard and URL-safe alphabets (padding optional, white space
//! allowed) with error positions, and rendering.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Why base64 input does not parse, and where (a 0-based character position in the input).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Base64Error {
    /// A character outside both alphabets, or padding in the middle.
    #[error("invalid base64 character {ch:?} at position {position}")]
    InvalidCharacter {
        /// The offending character.
        ch: char,
        /// Its 0-based character position.
        position: usize,
    },
    /// Characters of the standard (`+/`) and URL-safe (`-_`) alphabets mixed.
    #[error(
        "base64 mixes the standard (+/) and URL-safe (-_) alphabets: {ch:?} at position {position}"
    )]
    MixedAlphabets {
        /// The first character of the second alphabet.
        ch: char,
        /// Its 0-based character position.
        position: usize,
    },
    /// The input stops in the middle of a group.
    #[error("base64 is cut short: {symbols} symbols is not a whole number of bytes")]
    Truncated {
        /// How many symbols (not counting padding) there were.
        symbols: usize,
    },
}

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Parses base64 in either alphabet, with or without padding, ignoring white space.
pub fn parse_base64(input: &str) -> Result<Vec<u8>, Base64Error> {
    let mut compact = String::with_capacity(input.len());
    let mut url_safe: Option<bool> = None;
    let mut padding_at: Option<usize> = None;
    let mut symbols = 0;
    for (position, ch) in input.chars().enumerate() {
        if ch.is_whitespace() {
            continue;
        }
        let this_url_safe = match ch {
            '+' | '/' => Some(false),
            '-' | '_' => Some(true),
            '=' => {
                padding_at.get_or_insert(position);
                compact.push(ch);
                continue;
            }
            c if c.is_ascii_alphanumeric() => None,
            _ => return Err(Base64Error::InvalidCharacter { ch, position }),
        };
        if padding_at.is_some() {
            return Err(Base64Error::InvalidCharacter {
                ch: '=',
                position: padding_at.unwrap_or(position),
            });
        }
        if let Some(this) = this_url_safe {
            match url_safe {
                Some(seen) if seen != this => {
                    return Err(Base64Error::MixedAlphabets { ch, position });
                }
                _ => url_safe = Some(this),
            }
        }
        symbols += 1;
        compact.push(ch);
    }
    if symbols % 4 == 1 {
        return Err(Base64Error::Truncated { symbols });
    }
    let engine = if url_safe == Some(true) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    let unpadded = compact.trim_end_matches('=');
    if compact.len() - unpadded.len() > 2 {
        let position = input.rfind('=').unwrap_or(0);
        return Err(Base64Error::InvalidCharacter { ch: '=', position });
    }
    engine
        .decode(unpadded)
        .map_err(|_| Base64Error::Truncated { symbols })
}

/// Standard base64 with padding.
pub fn to_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_alphabets_with_or_without_padding() {
        assert_eq!(parse_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(parse_base64("aGVsbG8").unwrap(), b"hello");
        assert_eq!(parse_base64("aGVs\nbG8=\n").unwrap(), b"hello");
        assert_eq!(parse_base64("+/8=").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(parse_base64("-_8").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(parse_base64("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn errors_have_positions() {
        assert_eq!(
            parse_base64("aGV*bG8=").unwrap_err(),
            Base64Error::InvalidCharacter {
                ch: '*',
                position: 3
            }
        );
        assert_eq!(
            parse_base64("ab+c-d").unwrap_err(),
            Base64Error::MixedAlphabets {
                ch: '-',
                position: 4
            }
        );
        assert_eq!(
            parse_base64("aGVsb").unwrap_err(),
            Base64Error::Truncated { symbols: 5 }
        );
        assert_eq!(
            parse_base64("aG=Vs").unwrap_err(),
            Base64Error::InvalidCharacter {
                ch: '=',
                position: 2
            }
        );
        assert!(parse_base64("aGVsbG8===").is_err());
    }

    #[test]
    fn round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(parse_base64(&to_base64(&all)).unwrap(), all);
        assert_eq!(to_base64(b"hello"), "aGVsbG8=");
    }
}

//! The four parameters of `permessage-deflate` and their header text.

use std::fmt;

/// The extension's registered name.
pub const EXTENSION_NAME: &str = "permessage-deflate";

/// The parameters of one `permessage-deflate` offer or agreement (RFC 7692 section 7.1).
///
/// In a client's offer `client_max_window_bits: Some(15)` is written as the bare
/// `client_max_window_bits` ("the server may pick any size"), which is what browsers send;
/// `Some(n)` with `n < 15` is written with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeflateParams {
    /// The server resets its compression context after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after each message.
    pub client_no_context_takeover: bool,
    /// The largest LZ77 window (as a power of two, 8..=15) the server compresses with.
    pub server_max_window_bits: Option<u8>,
    /// The largest LZ77 window (8..=15) the client compresses with; in an offer, that the
    /// client accepts the parameter at all.
    pub client_max_window_bits: Option<u8>,
}

impl DeflateParams {
    /// What Chrome and Firefox offer: `permessage-deflate; client_max_window_bits`.
    pub fn browser_offer() -> Self {
        DeflateParams { client_max_window_bits: Some(15), ..DeflateParams::default() }
    }

    /// Parses the parameters after `permessage-deflate;` (or the whole element, name
    /// first), such as `server_no_context_takeover; client_max_window_bits=10`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let text = match text.get(..EXTENSION_NAME.len()) {
            Some(head) if head.eq_ignore_ascii_case(EXTENSION_NAME) => {
                text[EXTENSION_NAME.len()..].trim_start().trim_start_matches(';')
            }
            _ => text,
        };
        let pairs = super::header::parse_params(text)?;
        Self::from_pairs(&pairs, true)
    }

    /// The parameters of one parsed element; `bare_client_bits` allows a
    /// `client_max_window_bits` without a value (an offer).
    pub(crate) fn from_pairs(
        pairs: &[(String, Option<String>)],
        bare_client_bits: bool,
    ) -> Result<Self, String> {
        let mut params = DeflateParams::default();
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in pairs {
            let name = name.as_str();
            if seen.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                return Err(format!("the parameter {name} appears twice"));
            }
            seen.push(name);
            let flag = |set: &mut bool| match value {
                None => {
                    *set = true;
                    Ok(())
                }
                Some(v) => Err(format!("{name} takes no value, got {v:?}")),
            };
            match name.to_ascii_lowercase().as_str() {
                "server_no_context_takeover" => flag(&mut params.server_no_context_takeover)?,
                "client_no_context_takeover" => flag(&mut params.client_no_context_takeover)?,
                "server_max_window_bits" => match value {
                    Some(v) => params.server_max_window_bits = Some(window_bits(name, v)?),
                    None => return Err(format!("{name} needs a value from 8 to 15")),
                },
                "client_max_window_bits" => match value {
                    Some(v) => params.client_max_window_bits = Some(window_bits(name, v)?),
                    None if bare_client_bits => params.client_max_window_bits = Some(15),
                    None => return Err(format!("{name} needs a value from 8 to 15")),
                },
                _ => return Err(format!("unknown parameter {name:?}")),
            }
        }
        Ok(params)
    }
}

fn window_bits(name: &str, value: &str) -> Result<u8, String> {
    // RFC 7692 7.1.2: 1*DIGIT, no leading zero, 8..=15.
    match value.parse::<u8>() {
        Ok(bits @ 8..=15) if !value.starts_with('0') && !value.starts_with('+') => Ok(bits),
        _ => Err(format!("{name}={value} is not a window size from 8 to 15")),
    }
}

impl fmt::Display for DeflateParams {
    /// The header element: `permessage-deflate` and its parameters, `; `-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(EXTENSION_NAME)?;
        if self.server_no_context_takeover {
            f.write_str("; server_no_context_takeover")?;
        }
        if self.client_no_context_takeover {
            f.write_str("; client_no_context_takeover")?;
        }
        if let Some(bits) = self.server_max_window_bits {
            write!(f, "; server_max_window_bits={bits}")?;
        }
        match self.client_max_window_bits {
            Some(15) => f.write_str("; client_max_window_bits")?,
            Some(bits) => write!(f, "; client_max_window_bits={bits}")?,
            None => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_offer_is_written_as_chrome_writes_it() {
        assert_eq!(
            DeflateParams::browser_offer().to_string(),
            "permessage-deflate; client_max_window_bits"
        );
    }

    #[test]
    fn parameters_parse_with_or_without_the_name() {
        let p =
            DeflateParams::parse("server_no_context_takeover; client_max_window_bits=10").unwrap();
        assert!(p.server_no_context_takeover);
        assert_eq!(p.client_max_window_bits, Some(10));
        let q = DeflateParams::parse("permessage-deflate; server_max_window_bits=9").unwrap();
        assert_eq!(q.server_max_window_bits, Some(9));
        assert_eq!(DeflateParams::parse("").unwrap(), DeflateParams::default());
    }

    #[test]
    fn bad_parameters_are_refused_with_their_name() {
        for bad in [
            "server_max_window_bits=16",
            "server_max_window_bits=7",
            "server_max_window_bits=010",
            "server_max_window_bits",
            "client_no_context_takeover=1",
            "x_foo",
            "server_no_context_takeover; server_no_context_takeover",
        ] {
            assert!(DeflateParams::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}

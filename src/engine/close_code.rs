//! WebSocket close codes: their registered names and meanings (RFC 6455 §7.4 and the IANA
//! registry), and which ones an endpoint may put on the wire.

use std::fmt;

/// What a close code means: its registered name (if it has one) and a one-line meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseCodeInfo {
    /// The numeric code as it appeared (or would appear) on the wire.
    pub code: u16,
    /// The registered name, e.g. "Normal Closure"; `None` for unregistered codes.
    pub name: Option<&'static str>,
    /// A one-line meaning, for registered codes and for ranges alike.
    pub meaning: &'static str,
}

impl fmt::Display for CloseCodeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name {
            Some(name) => write!(f, "{} {}", self.code, name),
            None => write!(f, "{} ({})", self.code, self.meaning),
        }
    }
}

/// The registered codes, in order, with their names and meanings.
pub const REGISTERED: &[(u16, &str, &str)] = &[
    (
        1000,
        "Normal Closure",
        "the purpose of the connection has been fulfilled",
    ),
    (
        1001,
        "Going Away",
        "the endpoint is going away (server shutdown or page navigation)",
    ),
    (
        1002,
        "Protocol Error",
        "the endpoint is terminating the connection due to a protocol error",
    ),
    (
        1003,
        "Unsupported Data",
        "the endpoint received a type of data it cannot accept",
    ),
    (1004, "Reserved", "reserved; must not be sent"),
    (
        1005,
        "No Status Received",
        "the close frame carried no status code (never sent on the wire)",
    ),
    (
        1006,
        "Abnormal Closure",
        "the connection was closed without a close frame (never sent on the wire)",
    ),
    (
        1007,
        "Invalid Frame Payload Data",
        "a message's data was not consistent with its type (e.g. invalid UTF-8 in text)",
    ),
    (
        1008,
        "Policy Violation",
        "a message violated the endpoint's policy",
    ),
    (1009, "Message Too Big", "a message was too big to process"),
    (
        1010,
        "Mandatory Extension",
        "the client expected the server to negotiate an extension",
    ),
    (
        1011,
        "Internal Error",
        "the server met an unexpected condition",
    ),
    (1012, "Service Restart", "the service is restarting"),
    (
        1013,
        "Try Again Later",
        "the service is overloaded; try again later",
    ),
    (
        1014,
        "Bad Gateway",
        "a gateway or proxy received an invalid response from upstream",
    ),
    (
        1015,
        "TLS Handshake",
        "the TLS handshake failed (never sent on the wire)",
    ),
];

/// Describes any code: registered codes by name, others by the range they fall in.
pub fn describe(code: u16) -> CloseCodeInfo {
    if let Some(&(_, name, meaning)) = REGISTERED.iter().find(|(c, _, _)| *c == code) {
        return CloseCodeInfo {
            code,
            name: Some(name),
            meaning,
        };
    }
    let meaning = match code {
        0..=999 => "not used: codes below 1000 are invalid",
        1016..=2999 => "reserved for future revisions of the WebSocket protocol",
        3000..=3999 => "registered with IANA for libraries, frameworks and applications",
        4000..=4999 => "private use by applications",
        _ => "invalid: codes above 4999 are not allowed",
    };
    CloseCodeInfo {
        code,
        name: None,
        meaning,
    }
}

/// Why a close code may not be sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("close code {code} must not be sent: {why}")]
pub struct ForbiddenCloseCode {
    /// The refused code.
    pub code: u16,
    /// Why it is refused, in plain words.
    pub why: &'static str,
}

/// Checks that `code` may appear in a close frame on the wire (RFC 6455 §7.4.1–7.4.2).
pub fn check_sendable(code: u16) -> Result<(), ForbiddenCloseCode> {
    let why = match code {
        1004 => "1004 is reserved",
        1005 => "1005 (No Status Received) only reports a close frame without a code",
        1006 => "1006 (Abnormal Closure) only reports a connection lost without a close frame",
        1015 => "1015 (TLS Handshake) only reports a failed TLS handshake",
        0..=999 => "codes below 1000 are not used",
        1016..=2999 => "codes 1016-2999 are reserved for the protocol",
        5000.. => "codes above 4999 are not allowed",
        _ => return Ok(()),
    };
    Err(ForbiddenCloseCode { code, why })
}

/// The longest close reason that fits in a control frame (125 bytes less the 2-byte code).
pub const MAX_REASON_BYTES: usize = 123;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_codes_have_names() {
        assert_eq!(describe(1000).name, Some("Normal Closure"));
        assert_eq!(describe(1006).name, Some("Abnormal Closure"));
        assert_eq!(describe(1009).name, Some("Message Too Big"));
        assert_eq!(describe(1015).name, Some("TLS Handshake"));
        assert_eq!(describe(1000).to_string(), "1000 Normal Closure");
    }

    #[test]
    fn ranges_have_meanings() {
        assert!(describe(3001).meaning.contains("IANA"));
        assert!(describe(4001).meaning.contains("private"));
        assert!(describe(2000).meaning.contains("reserved"));
        assert!(describe(999).meaning.contains("invalid"));
        assert!(describe(5000).meaning.contains("invalid"));
        assert_eq!(describe(4001).name, None);
        assert_eq!(
            describe(4001).to_string(),
            "4001 (private use by applications)"
        );
    }

    #[test]
    fn forbidden_codes_are_refused() {
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            assert!(check_sendable(code).is_err(), "{code} should be refused");
        }
        for code in [1000, 1001, 1003, 1007, 1011, 1014, 3000, 3999, 4000, 4999] {
            assert_eq!(check_sendable(code), Ok(()), "{code} should be allowed");
        }
        let err = check_sendable(1005).unwrap_err();
        assert!(err.to_string().contains("close code 1005 must not be sent"));
    }
}

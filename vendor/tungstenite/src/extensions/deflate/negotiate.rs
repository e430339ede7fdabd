//! Negotiating `permessage-deflate` (RFC 7692 section 5 and 7.1): a client checks the
//! server's answer against its offer, a server picks the first offer it can accept.

use std::fmt;

use super::header::parse_elements;
use super::params::{DeflateParams, EXTENSION_NAME};

/// Why a server's `Sec-WebSocket-Extensions` answer fails the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiationError(pub String);

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NegotiationError {}

/// The agreement a client reaches from the server's `Sec-WebSocket-Extensions` values,
/// given what it offered (`offer`; `None`: nothing). `Ok(None)`: the server declined.
///
/// An answer naming an extension that was not offered, answering twice, or with a parameter
/// the offer does not allow (RFC 7692 7.1.1.2 and 7.1.2) is an error: the client must fail
/// the connection.
pub fn agree_response<'a>(
    offer: Option<&DeflateParams>,
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Option<DeflateParams>, NegotiationError> {
    let fail = |why: String| NegotiationError(why);
    let elements =
        parse_elements(values).map_err(|why| fail(format!("unreadable answer: {why}")))?;
    let mut agreed = None;
    for (name, pairs) in elements {
        let Some(offer) = offer.filter(|_| name.eq_ignore_ascii_case(EXTENSION_NAME)) else {
            return Err(fail(format!(
                "the server accepted the extension {name:?}, which was not requested"
            )));
        };
        if agreed.is_some() {
            return Err(fail(format!("the server accepted {EXTENSION_NAME} twice")));
        }
        let answer = DeflateParams::from_pairs(&pairs, false).map_err(|why| {
            fail(format!("the server's {EXTENSION_NAME} answer is invalid: {why}"))
        })?;
        if let (Some(answered), Some(offered)) =
            (answer.server_max_window_bits, offer.server_max_window_bits)
        {
            if answered > offered {
                return Err(fail(format!(
                    "the server answered server_max_window_bits={answered}, \
                     more than the {offered} offered"
                )));
            }
        }
        if offer.server_no_context_takeover && !answer.server_no_context_takeover {
            return Err(fail(
                "the server left out server_no_context_takeover, which the offer asked for \
                 (it must decline the offer instead)"
                    .to_owned(),
            ));
        }
        match (answer.client_max_window_bits, offer.client_max_window_bits) {
            (Some(answered), None) => {
                return Err(fail(format!(
                    "the server answered client_max_window_bits={answered}, \
                     which was not offered"
                )))
            }
            (Some(answered), Some(offered)) if answered > offered => {
                return Err(fail(format!(
                    "the server answered client_max_window_bits={answered}, \
                     more than the {offered} offered"
                )))
            }
            _ => {}
        }
        agreed = Some(DeflateParams {
            // The offer's own limit on the client holds even when the answer leaves it out.
            client_max_window_bits: answer
                .client_max_window_bits
                .or(offer.client_max_window_bits.filter(|bits| *bits < 15)),
            client_no_context_takeover: answer.client_no_context_takeover
                || offer.client_no_context_takeover,
            ..answer
        });
    }
    Ok(agreed)
}

/// What a server answers to the client's `Sec-WebSocket-Extensions` values: the first
/// `permessage-deflate` offer it can accept, with `policy` added (its own
/// `*_no_context_takeover` and `*_max_window_bits` limits). `None`: no offer to accept.
///
/// An offer asking the server for an 8-bit window is declined: zlib compresses with 9 bits
/// at least.
pub fn accept_offer<'a>(
    policy: &DeflateParams,
    values: impl IntoIterator<Item = &'a str>,
) -> Option<DeflateParams> {
    let elements = parse_elements(values).ok()?;
    elements
        .into_iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case(EXTENSION_NAME))
        .filter_map(|(_, pairs)| DeflateParams::from_pairs(&pairs, true).ok())
        .find_map(|offer| {
            let server_bits = match (offer.server_max_window_bits, policy.server_max_window_bits) {
                (Some(8), _) => return None,
                (Some(a), Some(b)) => Some(a.min(b).max(9)),
                (a, b) => a.or(b).map(|bits| bits.max(9)),
            };
            let client_bits = match (offer.client_max_window_bits, policy.client_max_window_bits) {
                (Some(offered), Some(wanted)) => Some(offered.min(wanted)),
                (Some(offered), None) if offered < 15 => Some(offered),
                _ => None,
            };
            Some(DeflateParams {
                server_no_context_takeover: offer.server_no_context_takeover
                    || policy.server_no_context_takeover,
                client_no_context_takeover: offer.client_no_context_takeover
                    || policy.client_no_context_takeover,
                server_max_window_bits: server_bits,
                client_max_window_bits: client_bits,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agree(offer: &str, answer: &str) -> Result<Option<DeflateParams>, NegotiationError> {
        agree_response(Some(&DeflateParams::parse(offer).unwrap()), [answer])
    }

    #[test]
    fn a_plain_answer_to_the_browser_offer_is_agreed() {
        let agreed = agree("client_max_window_bits", "permessage-deflate").unwrap().unwrap();
        assert_eq!(agreed, DeflateParams::default());
        let agreed = agree(
            "client_max_window_bits",
            "permessage-deflate; client_max_window_bits=10; server_no_context_takeover",
        )
        .unwrap()
        .unwrap();
        assert_eq!(agreed.client_max_window_bits, Some(10));
        assert!(agreed.server_no_context_takeover);
        assert_eq!(agree("", "").unwrap(), None);
    }

    #[test]
    fn answers_beyond_the_offer_fail() {
        for (offer, answer) in [
            ("", "permessage-deflate; client_max_window_bits=10"),
            ("client_max_window_bits=10", "permessage-deflate; client_max_window_bits=12"),
            ("server_max_window_bits=10", "permessage-deflate; server_max_window_bits=11"),
            ("", "permessage-deflate; server_max_window_bits=16"),
            ("", "permessage-deflate; mystery"),
            ("", "permessage-deflate, permessage-deflate"),
            ("", "x-webkit-deflate-frame"),
            ("server_no_context_takeover", "permessage-deflate"),
        ] {
            assert!(agree(offer, answer).is_err(), "{offer} / {answer} was agreed");
        }
        assert!(agree_response(None, ["permessage-deflate"]).is_err());
        assert_eq!(agree_response(None, [""]), Ok(None));
    }

    #[test]
    fn a_server_takes_the_first_offer_it_can() {
        let policy = DeflateParams::default();
        let answer = accept_offer(
            &policy,
            ["permessage-deflate; server_max_window_bits=8, permessage-deflate; client_max_window_bits"],
        )
        .unwrap();
        assert_eq!(answer, DeflateParams::default());
        let answer = accept_offer(
            &policy,
            ["permessage-deflate; server_no_context_takeover; server_max_window_bits=10"],
        )
        .unwrap();
        assert!(answer.server_no_context_takeover);
        assert_eq!(answer.server_max_window_bits, Some(10));
        assert_eq!(accept_offer(&policy, ["x-other"]), None);
    }
}

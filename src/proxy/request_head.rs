//! The client's handshake request head, parsed from the bytes read ahead before the
//! upstream is dialed (see [`super::client_stream`], which gives them back to tungstenite's
//! server handshake).

/// The largest request head accepted (request line and headers).
pub const MAX_HEAD: usize = 16 << 10;

/// The most headers a request may carry.
const MAX_HEADERS: usize = 64;

/// What the client asked for: the request target and its headers, as received.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestHead {
    /// The request target: path and query, e.g. `/chat?room=1`.
    pub target: String,
    /// Every header, in order, names as the client wrote them.
    pub headers: Vec<(String, String)>,
}

/// What a parse of the bytes so far came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// The whole head.
    Done(RequestHead),
    /// More bytes are needed.
    Partial,
    /// Not an HTTP request head.
    Bad,
}

/// Parses a request head from the bytes received so far.
pub fn parse(bytes: &[u8]) -> Parsed {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(_) => return Parsed::Bad,
    }
    let Some(target) = request.path else {
        return Parsed::Bad;
    };
    let headers = request
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    Parsed::Done(RequestHead {
        target: target.to_string(),
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_head_is_parsed_and_a_partial_one_waits() {
        let head = b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\nOrigin: http://o\r\n\r\n";
        let Parsed::Done(parsed) = parse(head) else {
            panic!("not parsed");
        };
        assert_eq!(parsed.target, "/a?b=1");
        assert_eq!(parsed.headers[1], ("Origin".into(), "http://o".into()));
        assert_eq!(parse(&head[..20]), Parsed::Partial);
        assert_eq!(parse(b"\x16\x03\x01garbage\r\n\r\n"), Parsed::Bad);
    }
}

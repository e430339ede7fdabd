//! The body of a refused upgrade, with HTTP/1.1's chunked transfer coding taken off: the
//! HTTP library hands over the bytes after the headers as they came, so a server that
//! streams its refusal (Node's `http`, Engine.IO) would otherwise show chunk sizes in the
//! middle of its JSON.

/// `body` without its chunk framing, or `None` when it is not a whole chunked body (cut off
/// or malformed: the caller keeps the bytes as they came).
pub fn dechunk(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    loop {
        let line_end = find_crlf(rest)?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        // A chunk size may carry extensions after `;`.
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            // Trailers (if any) and the final CRLF follow; nothing more is body.
            return Some(out);
        }
        if rest.len() < size + 2 || &rest[size..size + 2] != b"\r\n" {
            return None;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// True when `headers` (names lower-case) say the body is chunked.
pub fn is_chunked(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(name, value)| {
        name == "transfer-encoding"
            && value
                .split(',')
                .any(|coding| coding.trim().eq_ignore_ascii_case("chunked"))
    })
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|pair| pair == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_framing_off_a_whole_body() {
        let body = b"28\r\n{\"code\":0,\"message\":\"Transport unknown\"}\r\n0\r\n\r\n";
        assert_eq!(
            dechunk(body).as_deref(),
            Some(&b"{\"code\":0,\"message\":\"Transport unknown\"}"[..])
        );
        let two = b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n";
        assert_eq!(dechunk(two).as_deref(), Some(&b"abcde"[..]));
    }

    #[test]
    fn a_cut_or_malformed_body_is_not_read() {
        assert_eq!(dechunk(b"5\r\nab"), None);
        assert_eq!(dechunk(b"zz\r\nab\r\n0\r\n\r\n"), None);
        assert_eq!(dechunk(b"2\r\nabX\r\n0\r\n\r\n"), None);
        assert_eq!(dechunk(b"plain text"), None);
        assert_eq!(dechunk(b""), None);
    }

    #[test]
    fn reads_the_transfer_encoding_header() {
        let header = |value: &str| vec![("transfer-encoding".to_owned(), value.to_owned())];
        assert!(is_chunked(&header("chunked")));
        assert!(is_chunked(&header("gzip, Chunked")));
        assert!(!is_chunked(&header("gzip")));
        assert!(!is_chunked(&[]));
    }
}

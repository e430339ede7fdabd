//! RFC 6455 4.1: a client must fail the connection when the server's 101 answer names an
//! extension (such as `permessage-deflate`) that the request did not offer, since the
//! frames that follow would be read wrongly.

use tokio_tungstenite::tungstenite::http::HeaderMap;

/// The header that offers and accepts extensions.
const EXTENSIONS: &str = "sec-websocket-extensions";

/// The first extension named in `answered` that `offered` did not name, as the server
/// wrote it (its parameters left out); `None` when every one was offered.
pub(crate) fn unrequested(offered: &HeaderMap, answered: &HeaderMap) -> Option<String> {
    let offered = names(offered);
    names(answered)
        .into_iter()
        .find(|name| !offered.iter().any(|o| o.eq_ignore_ascii_case(name)))
}

/// Every extension name in the `Sec-WebSocket-Extensions` headers of `headers`, in order:
/// each comma-separated element up to its first `;`, trimmed.
fn names(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(EXTENSIONS)
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .flat_map(|value| {
            value
                .split(',')
                .filter_map(|element| element.split(';').next())
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(EXTENSIONS, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn an_extension_that_was_not_offered_is_named() {
        let answered = headers(&["permessage-deflate; client_max_window_bits=15"]);
        assert_eq!(
            unrequested(&headers(&[]), &answered).as_deref(),
            Some("permessage-deflate")
        );
        assert_eq!(
            unrequested(&headers(&["x-other"]), &headers(&["x-other, x-surprise"])).as_deref(),
            Some("x-surprise")
        );
    }

    #[test]
    fn offered_or_absent_extensions_pass() {
        assert_eq!(unrequested(&headers(&[]), &headers(&[])), None);
        assert_eq!(unrequested(&headers(&[]), &headers(&[" , "])), None);
        let offered = headers(&["permessage-deflate; client_max_window_bits"]);
        let answered = headers(&["Permessage-Deflate"]);
        assert_eq!(unrequested(&offered, &answered), None);
    }
}

//! The URL dialled: a Socket.IO server is reached at
//! `ws(s)://host:port/socket.io/?EIO=4&transport=websocket`, which people rarely type.

use super::options::Options;
use crate::format::query::{append, params, split_url};

/// The URL dialled for `url`. A plain `http(s)://host[:port][/]` or `ws(s)://host[:port][/]`
/// address gains the endpoint's path (`path`, `/socket.io/` by default); `http` becomes
/// `ws` and `https` `wss`; a URL with a path keeps it (`/socket.io` gains its closing
/// slash, without which servers do not find it). The query gains `EIO` and
/// `transport=websocket` when it lacks them, and the options' extra parameters; what it
/// already has is kept. Another scheme is left as it is (the connection says what is wrong).
pub fn endpoint_url(url: &str, options: &Options) -> String {
    let trimmed = url.trim();
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        return url.to_owned();
    };
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        _ => return url.to_owned(),
    };
    let parts = split_url(rest);
    let path_at = parts.base.find('/').unwrap_or(parts.base.len());
    let (authority, path) = parts.base.split_at(path_at);
    let default_path = endpoint_path(&options.path);
    // `/socket.io` is taken for `/socket.io/`: servers match the path with its slash.
    let path = if path.is_empty() || path == "/" || path == default_path.trim_end_matches('/') {
        default_path
    } else {
        path.to_owned()
    };
    let mut dialled = format!("{scheme}://{authority}{path}");
    if let Some(query) = parts.query.filter(|query| !query.is_empty()) {
        dialled.push('?');
        dialled.push_str(query);
    }
    let have: Vec<String> = params(&dialled).into_iter().map(|p| p.name).collect();
    let version = if options.engine_v3() { "3" } else { "4" };
    let mut wanted = vec![("EIO", version), ("transport", "websocket")];
    wanted.extend(
        options
            .query
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
    );
    for (name, value) in wanted {
        if !have.iter().any(|had| had == name) {
            dialled = append(&dialled, name, value);
        }
    }
    dialled.push_str(parts.fragment);
    dialled
}

/// `socket.io` → `/socket.io/`: Socket.IO's paths start and end with `/`.
fn endpoint_path(path: &str) -> String {
    let inner = path.trim().trim_matches('/');
    if inner.is_empty() {
        "/".into()
    } else {
        format!("/{inner}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dial(url: &str) -> String {
        endpoint_url(url, &Options::default())
    }

    #[test]
    fn a_plain_address_becomes_the_websocket_endpoint() {
        let want = "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket";
        assert_eq!(dial("http://127.0.0.1:3000"), want);
        assert_eq!(dial("http://127.0.0.1:3000/"), want);
        assert_eq!(dial("ws://127.0.0.1:3000"), want);
        assert_eq!(
            dial("https://example.com"),
            "wss://example.com/socket.io/?EIO=4&transport=websocket"
        );
        assert_eq!(
            dial("HTTPS://example.com:8443/"),
            "wss://example.com:8443/socket.io/?EIO=4&transport=websocket"
        );
    }

    #[test]
    fn a_given_path_and_query_are_kept() {
        assert_eq!(
            dial("ws://h/chat/socket.io/?token=a%20b"),
            "ws://h/chat/socket.io/?token=a%20b&EIO=4&transport=websocket"
        );
        assert_eq!(
            dial("ws://h/socket.io/?EIO=3&transport=websocket"),
            "ws://h/socket.io/?EIO=3&transport=websocket"
        );
        assert_eq!(
            dial("http://h/?x=1"),
            "ws://h/socket.io/?x=1&EIO=4&transport=websocket"
        );
        assert_eq!(
            dial("ws://h/socket.io?x=1"),
            "ws://h/socket.io/?x=1&EIO=4&transport=websocket"
        );
    }

    #[test]
    fn options_choose_version_path_and_extra_query() {
        let mut options = Options::default();
        options.set("eio", "3").unwrap();
        options.set("path", "io").unwrap();
        options.set("query", "room=a b").unwrap();
        assert_eq!(
            endpoint_url("http://h:1", &options),
            "ws://h:1/io/?EIO=3&transport=websocket&room=a%20b"
        );
    }

    #[test]
    fn other_schemes_are_left_alone() {
        assert_eq!(dial("ftp://h/"), "ftp://h/");
        assert_eq!(dial("not a url"), "not a url");
    }
}

//! Passwords in URL userinfo (`ws://user:pass@host`, `http://user:pass@proxy`): found and
//! hidden, keeping the user. Pure text functions, so the engine can hide a proxy's password
//! in its own error text; the one redaction step ([`crate::model::redact`]) uses them too.

use std::borrow::Cow;

/// What a redacted value is replaced by, everywhere.
pub const MARKER: &str = "[redacted]";

/// The password of a URL's userinfo, as written (`ws://u:p@h` → `p`); also for a bare
/// `user:pass@host:port` proxy.
pub(crate) fn userinfo_password(url: &str) -> Option<&str> {
    let start = url.find("://").map_or(0, |at| at + 3);
    let authority = authority(&url[start..]);
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then_some(password)
}

/// The authority at the start of `rest` (up to the path, query, fragment or a character
/// that cannot be in a URL).
fn authority(rest: &str) -> &str {
    let end = rest
        .find(|c: char| {
            matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`') || c.is_whitespace()
        })
        .unwrap_or(rest.len());
    &rest[..end]
}

/// `text` percent-decoded, when it holds a `%` escape.
pub(crate) fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return None;
    }
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
}

/// `text` with the password of every `scheme://user:password@host` in it replaced by
/// [`MARKER`] (the user is kept: `http://user:[redacted]@host`). A text that is one bare
/// `user:password@host[:port]` (a proxy written without its scheme) is treated the same.
pub fn hide_passwords(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut done = 0;
    let mut starts: Vec<usize> = text.match_indices("://").map(|(at, _)| at + 3).collect();
    if starts.is_empty() && !text.trim().contains(char::is_whitespace) {
        starts.push(0);
    }
    for start in starts {
        let authority = authority(&text[start..]);
        let Some((userinfo, _)) = authority.rsplit_once('@') else {
            continue;
        };
        let Some((_, password)) = userinfo.split_once(':') else {
            continue;
        };
        if password.is_empty() || password == MARKER {
            continue;
        }
        let password_start = start + userinfo.len() - password.len();
        out.push_str(&text[done..password_start]);
        out.push_str(MARKER);
        done = password_start + password.len();
    }
    if done == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_hidden_and_users_kept() {
        assert_eq!(
            hide_passwords("http://user:pa55@proxy:3128"),
            "http://user:[redacted]@proxy:3128"
        );
        assert_eq!(
            hide_passwords("could not reach socks5://a:b@p and wss://u:v@h/x?y"),
            "could not reach socks5://a:[redacted]@p and wss://u:[redacted]@h/x?y"
        );
        assert_eq!(hide_passwords("u:p@proxy:8080"), "u:[redacted]@proxy:8080");
        assert!(matches!(
            hide_passwords("a chat line: ratio 1:2@home"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            hide_passwords("ws://user@host/a:b@c"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(hide_passwords("no url here"), Cow::Borrowed(_)));
        let once = hide_passwords("http://u:p@h").into_owned();
        assert_eq!(hide_passwords(&once), once, "stable");
    }
}

//! A URL's query as a table of parameters, and back: what the params table shows and edits.
//!
//! The URL as typed stays the truth for the parameters that are sent. The table shows each
//! `name=value` percent-decoded (so `a%20b` reads `a b`); writing the table back encodes
//! what must be encoded (space, `&`, `=`, `#`, `+`, `%`, quotes, brackets, braces, control
//! and non-ASCII characters, as UTF-8), so that what is shown is what is sent. `{{variable}}`
//! references are kept as they are; their values are encoded when the URL is expanded at
//! connect time ([`expand_url`]). `+` is not read as a space: servers differ, and the
//! table shows the byte that is sent.

use serde::{Deserialize, Serialize};

use super::variables::{self, VarContext, VarError};

/// One query parameter as the table shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryParam {
    /// The name, decoded.
    pub name: String,
    /// The value, decoded (empty for `?flag` and `?flag=`).
    pub value: String,
    /// Whether the parameter is in the URL. A disabled one is kept beside it, not sent.
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// True when the URL writes it without `=` (`?flag`), so writing it back keeps that.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bare: bool,
}

fn enabled() -> bool {
    true
}

impl QueryParam {
    /// An enabled `name=value`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        QueryParam {
            name: name.into(),
            value: value.into(),
            enabled: true,
            bare: false,
        }
    }
}

/// A URL cut around its query: `base` (through the path), the query (without `?`) and the
/// fragment (with `#`), each as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// Everything before `?`.
    pub base: &'a str,
    /// Between `?` and `#`; `None` when there is no `?`.
    pub query: Option<&'a str>,
    /// From `#` on (empty when none).
    pub fragment: &'a str,
}

/// Cuts `url` at its first `?` and the first `#` after it (a `#` before any `?` ends the
/// path: the URL then has no query). `{{…}}` spans are not cut inside.
pub fn split_url(url: &str) -> UrlParts<'_> {
    let (before_fragment, fragment) = match find_outside_variables(url, b'#') {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    match find_outside_variables(before_fragment, b'?') {
        Some(at) => UrlParts {
            base: &before_fragment[..at],
            query: Some(&before_fragment[at + 1..]),
            fragment,
        },
        None => UrlParts {
            base: before_fragment,
            query: None,
            fragment,
        },
    }
}

/// The first `byte` of `text` that is not inside a `{{…}}`.
fn find_outside_variables(text: &str, byte: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"{{")
            && let Some(len) = text[i + 2..].find("}}")
        {
            i += 2 + len + 2;
            continue;
        }
        if bytes[i] == byte {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The parameters of `url`'s query, decoded, in order (all enabled).
pub fn params(url: &str) -> Vec<QueryParam> {
    let Some(query) = split_url(url).query else {
        return Vec::new();
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => QueryParam::new(decode(name), decode(value)),
            None => QueryParam {
                bare: true,
                ..QueryParam::new(decode(pair), "")
            },
        })
        .collect()
}

/// `url` with its query replaced by the enabled rows of `table`: a pair the table did not
/// change is kept as typed (so editing one row leaves `a+b` or `%41` in the others as they
/// were), the others are encoded; the base and fragment are kept as typed. No enabled
/// row: no `?`.
pub fn rewrite(url: &str, table: &[QueryParam]) -> String {
    let parts = split_url(url);
    let typed: Vec<(&str, QueryParam)> = parts
        .query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .zip(params(url))
        .collect();
    let mut used = vec![false; typed.len()];
    let mut query = String::new();
    for param in table.iter().filter(|p| p.enabled) {
        if !query.is_empty() {
            query.push('&');
        }
        // The first pair not used yet that reads as this row, as typed.
        let same = (0..typed.len()).find(|&i| !used[i] && typed[i].1 == *param);
        match same {
            Some(i) => {
                used[i] = true;
                query.push_str(typed[i].0);
            }
            None => query.push_str(&query_text(std::slice::from_ref(param))),
        }
    }
    let mut out = String::from(parts.base);
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    out.push_str(parts.fragment);
    out
}

/// The enabled `params` as a query (without `?`).
pub fn query_text(params: &[QueryParam]) -> String {
    let mut out = String::new();
    for param in params.iter().filter(|p| p.enabled) {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&encode_keeping_variables(&param.name));
        if !(param.bare && param.value.is_empty()) {
            out.push('=');
            out.push_str(&encode_keeping_variables(&param.value));
        }
    }
    out
}

/// `url` with `name=value` (encoded) added at the end of its query.
pub fn append(url: &str, name: &str, value: &str) -> String {
    let parts = split_url(url);
    let pair = query_text(&[QueryParam::new(name, value)]);
    // The existing query stays exactly as typed; only the new pair is written.
    match parts.query.filter(|q| !q.is_empty()) {
        Some(query) => format!("{}?{query}&{pair}{}", parts.base, parts.fragment),
        None => format!("{}?{pair}{}", parts.base, parts.fragment),
    }
}

/// Percent-encodes `text` for a query name or value: every byte outside the unreserved
/// characters and the harmless `!$'()*,/:;@~` is written `%XX` (UTF-8).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$'()*,/:;@".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// [`encode`], leaving `{{…}}` references as they are (they are encoded once expanded).
fn encode_keeping_variables(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        out.push_str(&encode(&rest[..start]));
        let end = start + 2 + len + 2;
        out.push_str(&rest[start..end]);
        rest = &rest[end..];
    }
    out.push_str(&encode(rest));
    out
}

/// Percent-decodes `text`; when the bytes are not UTF-8 (or a `%` is not followed by two
/// hex digits), the text is shown as it is.
pub fn decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|pair| {
                std::str::from_utf8(pair)
                    .ok()
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            });
            match hex {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                None => return text.to_owned(),
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// Expands `url`'s variables for connecting: a variable in the query gets its value
/// percent-encoded (so `{{q}}` = `a&b c` sends `a%26b%20c`, one value); elsewhere it is put
/// in as it is (a `{{host}}` or `{{path}}` may hold `/` and `:`). Error positions count
/// from the start of the URL.
pub fn expand_url(url: &str, ctx: &VarContext<'_>) -> Result<String, VarError> {
    let parts = split_url(url);
    let Some(query) = parts.query else {
        return variables::expand(url, ctx);
    };
    let base = variables::expand(parts.base, ctx)?;
    let query_at = parts.base.chars().count() + 1;
    let shift = |offset: usize| {
        move |error: VarError| VarError {
            position: error.position + offset,
            ..error
        }
    };
    let fragment_at = query_at + query.chars().count();
    let query =
        variables::expand_encoded(query, ctx, &|value| encode(&value)).map_err(shift(query_at))?;
    let fragment = variables::expand(parts.fragment, ctx).map_err(shift(fragment_at))?;
    Ok(format!("{base}?{query}{fragment}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::variables::EnvPolicy;

    #[test]
    fn a_query_reads_as_a_decoded_table() {
        let table = params("ws://h/p?a=1&b=x%20y&flag&e=&%C3%A9=%E2%9C%93&q=a+b#frag");
        let shown: Vec<_> = table
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str(), p.bare))
            .collect();
        assert_eq!(
            shown,
            [
                ("a", "1", false),
                ("b", "x y", false),
                ("flag", "", true),
                ("e", "", false),
                ("é", "✓", false),
                ("q", "a+b", false),
            ]
        );
        assert!(params("ws://h/p").is_empty());
        assert!(params("ws://h/p?").is_empty());
        // Not UTF-8, or a broken escape: shown as typed.
        assert_eq!(params("ws://h/?x=%FF")[0].value, "%FF");
        assert_eq!(params("ws://h/?x=%G1")[0].value, "%G1");
    }

    #[test]
    fn the_table_writes_back_what_is_shown_encoded() {
        let table = vec![
            QueryParam::new("q", "a b&c=d#e+f%"),
            QueryParam::new("é", "✓"),
            QueryParam {
                enabled: false,
                ..QueryParam::new("off", "1")
            },
            QueryParam {
                bare: true,
                ..QueryParam::new("flag", "")
            },
            QueryParam::new("token", "{{token}}"),
            QueryParam::new("path", "/a:b@c"),
        ];
        let url = rewrite("wss://h:1/p?old=1#top", &table);
        assert_eq!(
            url,
            "wss://h:1/p?q=a%20b%26c%3Dd%23e%2Bf%25&%C3%A9=%E2%9C%93&flag&token={{token}}&path=/a:b@c#top"
        );
        // And it reads back as the same table (enabled rows).
        let back = params(&url);
        let enabled: Vec<_> = table.iter().filter(|p| p.enabled).cloned().collect();
        assert_eq!(back, enabled);
        assert_eq!(rewrite("ws://h/p?a=1", &[]), "ws://h/p");
    }

    #[test]
    fn rewriting_keeps_untouched_pairs_as_typed() {
        let url = "ws://h/p?q=a+b&x=%41&n=1#f";
        let mut table = params(url);
        table[2].value = "2 3".into();
        assert_eq!(rewrite(url, &table), "ws://h/p?q=a+b&x=%41&n=2%203#f");
        table[0].enabled = false;
        assert_eq!(rewrite(url, &table), "ws://h/p?x=%41&n=2%203#f");
        assert_eq!(rewrite(url, &[]), "ws://h/p#f");
    }

    #[test]
    fn a_parameter_is_appended_encoded_leaving_the_typed_query_alone() {
        assert_eq!(append("ws://h/p", "q", "a b"), "ws://h/p?q=a%20b");
        assert_eq!(
            append("ws://h/p?x=%41#f", "q", "&"),
            "ws://h/p?x=%41&q=%26#f"
        );
        assert_eq!(append("ws://h/p?", "q", "1"), "ws://h/p?q=1");
    }

    #[test]
    fn question_marks_and_hashes_inside_variables_do_not_cut_the_url() {
        let parts = split_url("ws://{{host?}}/p?a={{x#y}}#f");
        assert_eq!(parts.base, "ws://{{host?}}/p");
        assert_eq!(parts.query, Some("a={{x#y}}"));
        assert_eq!(parts.fragment, "#f");
    }

    #[test]
    fn variables_in_the_query_are_encoded_when_expanded() {
        let user = vec![
            ("q".to_owned(), "a&b c".to_owned()),
            ("host".to_owned(), "h:9".to_owned()),
        ];
        let ctx = VarContext {
            counter: 1,
            user: &user,
            env: &|_| None,
            env_policy: EnvPolicy::Any,
        };
        assert_eq!(
            expand_url("ws://{{host}}/p?q={{q}}&r=%20{{q}}", &ctx).unwrap(),
            "ws://h:9/p?q=a%26b%20c&r=%20a%26b%20c"
        );
        assert_eq!(expand_url("ws://{{host}}/p", &ctx).unwrap(), "ws://h:9/p");
        let error = expand_url("ws://h/p?q={{nope}}", &ctx).unwrap_err();
        assert_eq!(error.position, 11);
    }
}

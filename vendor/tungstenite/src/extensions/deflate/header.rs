//! The `Sec-WebSocket-Extensions` grammar (RFC 6455 9.1): comma-separated elements, each a
//! name followed by `;`-separated parameters, a value being a token or a quoted string.

/// One element of the header: the extension name and its parameters in order.
pub(crate) type Element = (String, Vec<(String, Option<String>)>);

/// Every element of the header values, in order.
pub(crate) fn parse_elements<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Element>, String> {
    let mut elements = Vec::new();
    for value in values {
        for element in split_outside_quotes(value, ',') {
            let element = element.trim();
            if element.is_empty() {
                continue;
            }
            let (name, rest) = match element.find(';') {
                Some(at) => (&element[..at], &element[at + 1..]),
                None => (element, ""),
            };
            let name = name.trim();
            if !is_token(name) {
                return Err(format!("{name:?} is not an extension name"));
            }
            elements.push((name.to_owned(), parse_params(rest)?));
        }
    }
    Ok(elements)
}

/// The `;`-separated parameters `name` or `name=value` of one element.
pub(crate) fn parse_params(text: &str) -> Result<Vec<(String, Option<String>)>, String> {
    let mut params = Vec::new();
    for param in split_outside_quotes(text, ';') {
        let param = param.trim();
        if param.is_empty() {
            continue;
        }
        let (name, value) = match param.find('=') {
            Some(at) => (param[..at].trim(), Some(unquote(param[at + 1..].trim())?)),
            None => (param, None),
        };
        if !is_token(name) {
            return Err(format!("{name:?} is not a parameter name"));
        }
        params.push((name.to_owned(), value));
    }
    Ok(params)
}

fn unquote(value: &str) -> Result<String, String> {
    let inner = match value.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').ok_or_else(|| format!("unclosed quote in {value}"))?,
        None => value,
    };
    let inner = inner.replace('\\', "");
    if !is_token(&inner) {
        return Err(format!("{value:?} is not a parameter value"));
    }
    Ok(inner)
}

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (at, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_and_quoted_values() {
        let elements =
            parse_elements(["permessage-deflate; client_max_window_bits=\"10\", x-other"]).unwrap();
        assert_eq!(elements.len(), 2);
        assert_eq!(elements[0].0, "permessage-deflate");
        assert_eq!(elements[0].1, vec![("client_max_window_bits".into(), Some("10".into()))]);
        assert_eq!(elements[1], ("x-other".into(), vec![]));
        assert!(parse_elements(["permessage-deflate; a=\"1"]).is_err());
        assert!(parse_elements(["per message"]).is_err());
    }
}

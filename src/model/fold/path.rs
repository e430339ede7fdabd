//! The fold's paths (select, key): RFC 9535 JSONPath, the one path language
//! ([`crate::format::json_path`]), written from `$` (`$`, `$.data`, `$.items[0]["a b"]`,
//! `$..price`). A path that selects several values selects them as an array.

pub use crate::format::json_path::JsonPath;

/// Parses a path that starts with `$`; a condition (`$.op == 1`) is refused with a hint.
pub fn parse_path(text: &str) -> Result<JsonPath, String> {
    let text = text.trim();
    let (path, rest) = JsonPath::parse_prefix(text).map_err(|e| e.message)?;
    if rest.trim().is_empty() {
        Ok(path)
    } else if rest.trim_start().starts_with(['=', '!', '<', '>']) || rest.contains("contains") {
        Err(format!(
            "{text} is a condition; a path is expected here, e.g. $.data"
        ))
    } else {
        Err(format!(
            "{text}: unexpected {:?} after the path",
            rest.trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn finds_and_takes_values() {
        let doc = json!({"data": {"items": [1, {"a b": true}]}});
        let path = parse_path(r#"$.data.items[1]["a b"]"#).unwrap();
        assert_eq!(path.get(&doc), Some(&json!(true)));
        assert_eq!(path.take(doc.clone()), Some(json!(true)));
        assert_eq!(parse_path("$").unwrap().get(&doc), Some(&doc));
        assert_eq!(parse_path("$.nope").unwrap().get(&doc), None);
        assert_eq!(parse_path("$.data.items[5]").unwrap().take(doc), None);
    }

    #[test]
    fn descendants_and_wildcards_select_every_value_as_an_array() {
        let doc = json!({"a": {"price": 1}, "b": [{"price": 2}, {"id": 3}]});
        let prices = parse_path("$..price").unwrap();
        assert_eq!(prices.get(&doc), Some(&json!(1)));
        assert_eq!(prices.take(doc.clone()), Some(json!([1, 2])));
        let ids = parse_path("$.b[*].id").unwrap();
        assert_eq!(ids.take(doc.clone()), Some(json!([3])));
        assert_eq!(parse_path("$..nope").unwrap().take(doc), None);
    }

    #[test]
    fn refuses_conditions_and_junk() {
        assert!(parse_path("$.op == 1").unwrap_err().contains("condition"));
        assert!(parse_path("data").is_err());
        assert!(parse_path("$.a b").is_err());
    }
}

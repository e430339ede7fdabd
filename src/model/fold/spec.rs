//! What a fold is made of: the rule, which messages take part and which part of each.

use super::path::{JsonPath, parse_path};
use super::rule::FoldRule;
use crate::model::json_filter::JsonPredicate;

/// A fold's settings.
#[derive(Clone, Debug)]
pub struct FoldSpec {
    /// How each message changes the state.
    pub rule: FoldRule,
    /// The part of each message that is applied (`$` for the whole message).
    pub select: JsonPath,
    /// Which messages take part (tested on the whole message); all JSON messages without.
    pub filter: Option<JsonPredicate>,
    /// The keyed rule's delete condition, tested on the whole message.
    pub delete: Option<JsonPredicate>,
}

impl FoldSpec {
    /// A fold of whole messages by `rule`, every message taking part.
    pub fn new(rule: FoldRule) -> Self {
        Self {
            rule,
            select: JsonPath::root(),
            filter: None,
            delete: None,
        }
    }

    /// Reads the settings as the command line writes them; the error names the bad one.
    pub fn parse(
        rule: &str,
        select: Option<&str>,
        filter: Option<&str>,
        delete: Option<&str>,
    ) -> Result<Self, String> {
        let rule: FoldRule = rule.parse()?;
        let select = match select {
            Some(text) => parse_path(text).map_err(|e| format!("select path: {e}"))?,
            None => JsonPath::root(),
        };
        let predicate = |what: &str, text: &str| {
            JsonPredicate::parse(text).map_err(|e| format!("{what}: {}", e.0))
        };
        let filter = filter.map(|text| predicate("filter", text)).transpose()?;
        let delete = delete
            .map(|text| predicate("delete condition", text))
            .transpose()?;
        if delete.is_some() && !matches!(rule, FoldRule::Keyed(_)) {
            return Err("a delete condition is for the keyed rule (keyed:PATH)".into());
        }
        Ok(Self {
            rule,
            select,
            filter,
            delete,
        })
    }
}

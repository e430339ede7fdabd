//! The proxy's rules: they run on every text message without pausing anything. A rule
//! matches messages from one leg (or both) by text, regular expression or JSON filter
//! (`$.path OP literal`, the timeline filter's), and replaces what matched, drops the
//! message, or delays it. Saved with a proxy tab as [`ProxyRuleSpec`]s; compiled once into
//! [`ProxyRules`] when they change.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::Leg;
use crate::model::json_filter::JsonPredicate;

/// How a rule picks its messages, as the user wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleMatch {
    /// The text contains this.
    Contains(String),
    /// The text matches this regular expression.
    Regex(String),
    /// The text is JSON for which this filter (`$.path OP literal`) holds.
    Json(String),
}

impl RuleMatch {
    /// The name shown in the rule editor: `contains`, `regex` or `json`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            RuleMatch::Contains(_) => "contains",
            RuleMatch::Regex(_) => "regex",
            RuleMatch::Json(_) => "json",
        }
    }

    /// What the user typed.
    pub fn pattern(&self) -> &str {
        match self {
            RuleMatch::Contains(text) | RuleMatch::Regex(text) | RuleMatch::Json(text) => text,
        }
    }
}

/// What a rule does with a message it matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleAction {
    /// Replace what matched (every occurrence of the text, every regex match with `$1`
    /// captures expanded, or the whole message for a JSON filter) with this.
    Replace(String),
    /// Do not pass the message on.
    Drop,
    /// Pass it on this many milliseconds later (the messages after it wait behind it).
    DelayMs(u64),
}

/// One rule as saved with a proxy tab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyRuleSpec {
    /// Messages arriving on this leg (`client`: client → upstream); `None`: both ways.
    #[serde(default)]
    pub from: Option<Leg>,
    /// Which messages.
    pub when: RuleMatch,
    /// What to do with them.
    pub then: RuleAction,
    /// A switched-off rule is kept but does nothing.
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

/// A rule that cannot be compiled: which one (from 1) and why.
#[derive(Debug, thiserror::Error)]
#[error("rule {rule}: {why}")]
pub struct RuleError {
    /// The rule's position, from 1.
    pub rule: usize,
    /// What is wrong with it.
    pub why: String,
}

#[derive(Debug)]
enum Matcher {
    Contains(String),
    Regex(regex::Regex),
    Json(Box<JsonPredicate>),
}

#[derive(Debug)]
struct Rule {
    /// Its place in the list of specs, from 1.
    number: usize,
    from: Option<Leg>,
    matcher: Matcher,
    action: RuleAction,
}

/// The rules, compiled; the default has none.
#[derive(Debug, Default)]
pub struct ProxyRules {
    rules: Vec<Rule>,
}

/// What the rules made of a message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// The new text, when a rule replaced something.
    pub text: Option<String>,
    /// The number of the rule that dropped it (1 for the first rule of the list,
    /// switched-off rules counted); `None` when no rule did.
    pub dropped_by: Option<usize>,
    /// How long to hold it back (the sum of the matching delay rules).
    pub delay: Duration,
}

impl ProxyRules {
    /// Compiles the enabled rules, in order.
    pub fn compile(specs: &[ProxyRuleSpec]) -> Result<Self, RuleError> {
        let mut rules = Vec::new();
        for (at, spec) in specs.iter().enumerate() {
            if !spec.enabled {
                continue;
            }
            let error = |why: String| RuleError { rule: at + 1, why };
            let matcher = match &spec.when {
                RuleMatch::Contains(text) if text.is_empty() => {
                    return Err(error("the text to look for is empty".into()));
                }
                RuleMatch::Contains(text) => Matcher::Contains(text.clone()),
                RuleMatch::Regex(text) => {
                    Matcher::Regex(regex::Regex::new(text).map_err(|e| error(e.to_string()))?)
                }
                RuleMatch::Json(text) => Matcher::Json(Box::new(
                    JsonPredicate::parse(text).map_err(|e| error(e.to_string()))?,
                )),
            };
            rules.push(Rule {
                number: at + 1,
                from: spec.from,
                matcher,
                action: spec.then.clone(),
            });
        }
        Ok(Self { rules })
    }

    /// True when there is no rule to run.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Runs the rules on a text message that arrived on `from`, in order: each replace
    /// works on the text the rules before it left; a drop ends it.
    pub fn apply(&self, from: Leg, text: &str) -> Verdict {
        let mut verdict = Verdict::default();
        for rule in &self.rules {
            if rule.from.is_some_and(|leg| leg != from) {
                continue;
            }
            let current = verdict.text.as_deref().unwrap_or(text);
            let matched = match &rule.matcher {
                Matcher::Contains(needle) => current.contains(needle.as_str()),
                Matcher::Regex(regex) => regex.is_match(current),
                Matcher::Json(filter) => filter.matches(current),
            };
            if !matched {
                continue;
            }
            match &rule.action {
                RuleAction::Drop => {
                    verdict.dropped_by = Some(rule.number);
                    return verdict;
                }
                RuleAction::DelayMs(ms) => verdict.delay += Duration::from_millis(*ms),
                RuleAction::Replace(with) => {
                    let replaced = match &rule.matcher {
                        Matcher::Contains(needle) => current.replace(needle.as_str(), with),
                        Matcher::Regex(regex) => regex.replace_all(current, with.as_str()).into(),
                        Matcher::Json(_) => with.clone(),
                    };
                    verdict.text = Some(replaced);
                }
            }
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(from: Option<Leg>, when: RuleMatch, then: RuleAction) -> ProxyRuleSpec {
        ProxyRuleSpec {
            from,
            when,
            then,
            enabled: true,
        }
    }

    #[test]
    fn rules_replace_drop_and_delay_by_direction_in_order() {
        let rules = ProxyRules::compile(&[
            rule(
                Some(Leg::Client),
                RuleMatch::Contains("secret".into()),
                RuleAction::Replace("*".into()),
            ),
            rule(
                None,
                RuleMatch::Regex(r"^id=(\d+)$".into()),
                RuleAction::Replace("id=[$1]".into()),
            ),
            rule(
                Some(Leg::Upstream),
                RuleMatch::Json(r#"$.type == "noise""#.into()),
                RuleAction::Drop,
            ),
            rule(
                None,
                RuleMatch::Contains("slow".into()),
                RuleAction::DelayMs(50),
            ),
        ])
        .unwrap();
        assert_eq!(
            rules.apply(Leg::Client, "a secret, secret").text.as_deref(),
            Some("a *, *")
        );
        assert_eq!(rules.apply(Leg::Upstream, "secret"), Verdict::default());
        assert_eq!(
            rules.apply(Leg::Upstream, "id=42").text.as_deref(),
            Some("id=[42]")
        );
        let noise = r#"{"type":"noise"}"#;
        assert_eq!(rules.apply(Leg::Upstream, noise).dropped_by, Some(3));
        assert_eq!(rules.apply(Leg::Client, noise).dropped_by, None);
        let slow = rules.apply(Leg::Client, "slow secret");
        assert_eq!(slow.delay, Duration::from_millis(50));
        assert_eq!(slow.text.as_deref(), Some("slow *"));
    }

    #[test]
    fn a_bad_rule_names_its_place_and_switched_off_rules_do_nothing() {
        let bad = ProxyRules::compile(&[
            rule(None, RuleMatch::Contains("x".into()), RuleAction::Drop),
            rule(None, RuleMatch::Regex("(".into()), RuleAction::Drop),
        ])
        .unwrap_err();
        assert_eq!(bad.rule, 2);
        let mut off = rule(None, RuleMatch::Contains("x".into()), RuleAction::Drop);
        off.enabled = false;
        assert!(ProxyRules::compile(&[off]).unwrap().is_empty());
    }
}

//! The mock server's auto-responses (`sockscope listen --rules FILE.ron`): texts sent when
//! a client connects, replies to messages that match (text contained, a regex, or a JSON
//! filter `$.path OP literal`) after an optional delay, with a text or a saved template
//! and the composer's `{{…}}` variables plus the matched message's (see
//! `mock/reply.rs`), and a close after N messages.
//!
//! ```ron
//! (
//!     on_open: ["welcome"],
//!     replies: [
//!         (when: Contains("ping"), reply: "pong {{counter}}"),
//!         (when: Regex("^sub:(\\w+)$"), reply: "subscribed to {{match.1}}", delay_ms: 200),
//!         (when: Json("$.type == \"hello\""), template: Some("templates.ron:hi")),
//!     ],
//!     close_after: Some((messages: 3, code: 4000, reason: "enough")),
//!     subprotocol: Some("chat.v1"),
//! )
//! ```

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::reply::{Matcher, Reply};
use crate::engine::close_code::check_sendable;
use crate::model::json_filter::JsonPredicate;
use crate::model::storage::{FileError, load_ron};
use crate::model::template::Outgoing;

/// How a reply rule picks the messages it answers, as written in the file.
#[derive(Debug, Clone, Deserialize)]
pub enum MatchSpec {
    /// The message's text contains this.
    Contains(String),
    /// The message's text matches this regular expression.
    Regex(String),
    /// The message's text is JSON for which this filter (`$.path OP literal`) holds.
    Json(String),
}

/// One reply rule as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplySpec {
    /// Which messages it answers.
    pub when: MatchSpec,
    /// The text sent back, with `{{…}}` variables (unless `template` is given).
    #[serde(default)]
    pub reply: String,
    /// Instead of `reply`: a saved template, `FILE.ron:NAME`, the file relative to the
    /// rules file's folder; sent in its format, with `{{…}}` variables.
    #[serde(default)]
    pub template: Option<String>,
    /// How long to wait before replying, in milliseconds.
    #[serde(default)]
    pub delay_ms: u64,
}

/// The close after a number of messages, as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseAfter {
    /// After this many messages from the client (1 = after the first).
    pub messages: u64,
    /// The close code sent.
    pub code: u16,
    /// The close reason sent (at most 123 bytes).
    #[serde(default)]
    pub reason: String,
}

impl CloseAfter {
    /// Parses `N:CODE[:REASON]` (the `--close-after` flag), checked.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = text.splitn(3, ':');
        let messages = parts.next().and_then(|n| n.trim().parse().ok());
        let code = parts.next().and_then(|c| c.trim().parse().ok());
        let (Some(messages), Some(code)) = (messages, code) else {
            return Err(format!("{text:?} is not N:CODE[:REASON]"));
        };
        let close = Self {
            messages,
            code,
            reason: parts.next().unwrap_or_default().to_string(),
        };
        close.check()?;
        Ok(close)
    }

    /// A sendable code, a reason of at most 123 bytes, at least one message.
    pub fn check(&self) -> Result<(), String> {
        check_sendable(self.code).map_err(|e| format!("code {}: {}", e.code, e.why))?;
        if self.reason.len() > 123 {
            return Err("the reason is longer than 123 bytes".into());
        }
        if self.messages == 0 {
            return Err("the number of messages must be at least 1".into());
        }
        Ok(())
    }
}

/// A refusal status must be an HTTP error or redirect (300-599).
pub fn check_reject(status: u16) -> Result<(), String> {
    if (300..=599).contains(&status) {
        Ok(())
    } else {
        Err(format!("HTTP status {status} is not 300-599"))
    }
}

/// A text sent to every client at a fixed interval, as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Every {
    /// The interval in milliseconds (at least 1); the first send is one interval after
    /// the client connected.
    pub ms: u64,
    /// The text sent.
    pub text: String,
}

/// A rules file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    /// Texts sent to every client as soon as it is connected, in order.
    #[serde(default)]
    pub on_open: Vec<String>,
    /// Reply rules; every rule that matches a message replies, in order.
    #[serde(default)]
    pub replies: Vec<ReplySpec>,
    /// Close each client after this many of its messages.
    #[serde(default)]
    pub close_after: Option<CloseAfter>,
    /// The subprotocol accepted when a client offers it.
    #[serde(default)]
    pub subprotocol: Option<String>,
    /// Answer every message with itself (before the reply rules' answers).
    #[serde(default)]
    pub echo: bool,
    /// Texts sent at fixed intervals while the client is connected.
    #[serde(default)]
    pub every: Vec<Every>,
    /// Refuse every handshake with this HTTP status (300-599).
    #[serde(default)]
    pub reject: Option<u16>,
}

/// The auto-responses, checked and compiled; the default answers nothing.
#[derive(Debug, Default)]
pub struct Rules {
    /// Texts sent to every client when it connects.
    pub on_open: Vec<String>,
    replies: Vec<Reply>,
    /// Close each client after this many of its messages.
    pub close_after: Option<CloseAfter>,
    /// The subprotocol accepted when a client offers it.
    pub subprotocol: Option<String>,
    /// Answer every message with itself.
    pub echo: bool,
    /// Texts sent at fixed intervals.
    pub every: Vec<Every>,
    /// Refuse every handshake with this HTTP status.
    pub reject: Option<u16>,
}

impl Rules {
    /// Reads and checks a rules file (and the templates it names, relative to its folder);
    /// a syntax error names the file, line and column.
    pub fn load(path: &Path) -> Result<Self, FileError> {
        let file: RulesFile = load_ron(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::compile_in(file, base).map_err(|message| FileError::Invalid {
            path: path.to_owned(),
            message,
        })
    }

    /// Checks and compiles the rules as written (templates relative to the current folder).
    pub fn compile(file: RulesFile) -> Result<Self, String> {
        Self::compile_in(file, Path::new("."))
    }

    /// Checks and compiles the rules as written, templates relative to `base`.
    pub fn compile_in(file: RulesFile, base: &Path) -> Result<Self, String> {
        let mut replies = Vec::with_capacity(file.replies.len());
        for (at, spec) in file.replies.into_iter().enumerate() {
            let rule = at + 1;
            let matcher = match spec.when {
                MatchSpec::Contains(text) => Matcher::Contains(text),
                MatchSpec::Regex(text) => Matcher::Regex(
                    regex::Regex::new(&text).map_err(|e| format!("reply rule {rule}: {e}"))?,
                ),
                MatchSpec::Json(text) => Matcher::Json(Box::new(
                    JsonPredicate::parse(&text).map_err(|e| format!("reply rule {rule}: {e}"))?,
                )),
            };
            let delay = Duration::from_millis(spec.delay_ms);
            let reply = Reply::compile(matcher, spec.reply, spec.template, delay, base)
                .map_err(|e| format!("reply rule {rule}: {e}"))?;
            replies.push(reply);
        }
        if let Some(close) = &file.close_after {
            close.check().map_err(|e| format!("close_after: {e}"))?;
        }
        if file.every.iter().any(|every| every.ms == 0) {
            return Err("every: ms must be at least 1".into());
        }
        if let Some(status) = file.reject {
            check_reject(status).map_err(|e| format!("reject: {e}"))?;
        }
        Ok(Self {
            on_open: file.on_open,
            replies,
            close_after: file.close_after,
            subprotocol: file.subprotocol,
            echo: file.echo,
            every: file.every,
            reject: file.reject,
        })
    }

    /// The rules that answer a text message, in rule order: each with its delay and the
    /// variables of the match, to [`Rules::render`] once the delay has passed.
    pub fn replies_to(&self, text: &str) -> Vec<Due> {
        self.replies
            .iter()
            .enumerate()
            .filter_map(|(rule, reply)| {
                let vars = reply.matches(text)?;
                Some(Due {
                    rule,
                    delay: reply.delay,
                    vars,
                })
            })
            .collect()
    }

    /// The message a matched rule sends, as reply number `counter` on its connection; an
    /// error (an unknown variable, a body not valid in its format) names the rule.
    pub fn render(&self, due: &Due, counter: u64) -> Result<Outgoing, String> {
        let Some(reply) = self.replies.get(due.rule) else {
            return Err(format!("reply rule {}: no such rule", due.rule + 1));
        };
        reply
            .render(&due.vars, counter)
            .map_err(|e| format!("reply rule {}: {e}", due.rule + 1))
    }
}

/// A rule that matched a message, waiting for its delay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    rule: usize,
    /// How long to wait before sending.
    pub delay: Duration,
    vars: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::storage::from_ron;

    fn rules(text: &str) -> Rules {
        let file: RulesFile = from_ron(Path::new("r.ron"), text).unwrap();
        Rules::compile(file).unwrap()
    }

    /// Each matching rule's delay and text (reply number 1).
    fn replies(rules: &Rules, text: &str) -> Vec<(Duration, String)> {
        rules
            .replies_to(text)
            .iter()
            .map(|due| match rules.render(due, 1).unwrap() {
                Outgoing::Text(text) => (due.delay, text),
                other => panic!("not a text: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn every_matching_rule_replies_in_order() {
        let rules = rules(
            r#"(replies: [
                (when: Contains("ping"), reply: "pong"),
                (when: Regex("^p.ng$"), reply: "regex", delay_ms: 5),
                (when: Json("$.type == \"hello\""), reply: "hi"),
            ])"#,
        );
        let got = replies(&rules, "ping");
        assert_eq!(
            got,
            vec![
                (Duration::ZERO, "pong".to_string()),
                (Duration::from_millis(5), "regex".to_string())
            ]
        );
        assert_eq!(replies(&rules, r#"{"type":"hello"}"#)[0].1, "hi");
        assert!(rules.replies_to("nothing").is_empty());
    }

    #[test]
    fn json_rules_take_descendant_and_wildcard_paths() {
        let rules = rules(
            r#"(replies: [
                (when: Json("$..action == \"subscribe\""), reply: "subscribed"),
                (when: Json("$.channels[*] == \"prices\""), reply: "prices"),
            ])"#,
        );
        let got = |text: &str| -> Vec<String> {
            replies(&rules, text)
                .into_iter()
                .map(|(_, text)| text)
                .collect()
        };
        assert_eq!(
            got(r#"{"msg":{"action":"subscribe"},"channels":["news","prices"]}"#),
            ["subscribed", "prices"]
        );
        assert_eq!(got(r#"{"channels":["news"]}"#), Vec::<String>::new());
    }

    #[test]
    fn a_bad_regex_or_close_code_is_refused() {
        let file: RulesFile = from_ron(
            Path::new("r.ron"),
            r#"(replies: [(when: Regex("("), reply: "x")])"#,
        )
        .unwrap();
        assert!(Rules::compile(file).unwrap_err().contains("reply rule 1"));
        let file: RulesFile = from_ron(
            Path::new("r.ron"),
            "(close_after: Some((messages: 1, code: 1006)))",
        )
        .unwrap();
        assert!(Rules::compile(file).unwrap_err().contains("1006"));
    }

    #[test]
    fn close_after_flags_are_n_code_reason() {
        let close = CloseAfter::parse("2:4001:bye: now").unwrap();
        assert_eq!(
            (close.messages, close.code, close.reason.as_str()),
            (2, 4001, "bye: now")
        );
        assert_eq!(CloseAfter::parse("1:1000").unwrap().reason, "");
        assert!(CloseAfter::parse("x:1000").is_err());
        assert!(CloseAfter::parse("1:1005").is_err());
        assert!(CloseAfter::parse("0:1000").is_err());
        assert!(check_reject(101).is_err() && check_reject(403).is_ok());
    }

    #[test]
    fn the_example_rules_file_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("saved_sessions/mock-rules.ron");
        let rules = Rules::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rules.on_open, ["welcome"]);
        assert_eq!(replies(&rules, "ping")[0].1, "pong");
        assert_eq!(rules.close_after.map(|c| c.code), Some(4000));
    }
}

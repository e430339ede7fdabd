//! A reply rule of the mock server, compiled: which text messages it answers, and the
//! message it answers with: a text as written in the rules file (`reply: "…"`) or a saved
//! template (`template: Some("templates.ron:NAME")`, the file relative to the rules file),
//! either with the composer's `{{…}}` variables, plus the matched message's own:
//!
//! | variable | value |
//! |---|---|
//! | `{{message}}` | the whole text of the message that matched |
//! | `{{match.N}}`, `{{match.NAME}}` | a capture group of a `Regex` rule (0: the whole match) |
//! | `{{json.a.b}}`, `{{json.items.0}}` | the value at that path of the message's JSON (a string without its quotes, anything else as JSON) |
//! | `{{counter}}` | this reply's number on its connection (1, 2, …) |
//! | `{{uuid}}`, `{{now}}`, `{{now_ms}}`, `{{random_int}}` | as in the composer |
//!
//! A rules file is data: `{{env.NAME}}` and `{{secret.NAME}}` are refused when it loads.

use std::path::Path;
use std::time::Duration;

use crate::format::variables::{self, EnvPolicy, VarContext};
use crate::model::json_filter::JsonPredicate;
use crate::model::template::{EncodeWith, MessageFormat, Outgoing, Template, TemplateFile};

/// How a reply rule picks the messages it answers, compiled.
#[derive(Debug)]
pub(super) enum Matcher {
    /// The text contains this.
    Contains(String),
    /// The text matches this regular expression.
    Regex(regex::Regex),
    /// The text is JSON for which this filter holds.
    Json(Box<JsonPredicate>),
}

/// One compiled reply rule.
#[derive(Debug)]
pub(super) struct Reply {
    pub(super) matcher: Matcher,
    /// What is sent: the rule's text (as a Text template) or its saved template.
    pub(super) template: Template,
    pub(super) delay: Duration,
    /// Whether the body reads `{{json.…}}` (the message is parsed only then).
    reads_json: bool,
}

/// The formats a mock reply may have: no file reads (a rules file is data) and no protocol
/// operations or Protobuf types (the mock server speaks none).
fn allowed(format: MessageFormat) -> bool {
    !matches!(
        format,
        MessageFormat::File | MessageFormat::Op | MessageFormat::Protobuf
    )
}

impl Reply {
    /// Compiles a rule: its matcher, and its body from `reply` or `template` (one of them;
    /// `template` is `FILE.ron:NAME`, the file relative to `base`).
    pub(super) fn compile(
        matcher: Matcher,
        reply: String,
        template: Option<String>,
        delay: Duration,
        base: &Path,
    ) -> Result<Self, String> {
        let template = match template {
            None => Template::new("", MessageFormat::Text, reply),
            Some(_) if !reply.is_empty() => {
                return Err("give either reply or template, not both".into());
            }
            Some(reference) => load_template(&reference, base)?,
        };
        if !allowed(template.format) {
            return Err(format!(
                "template {:?}: a mock reply cannot be {} (no files, protocol operations \
                 or Protobuf)",
                template.name, template.format
            ));
        }
        let names: Vec<String> = variables::referenced(&template.body)
            .into_iter()
            .map(|var| var.name)
            .collect();
        if let Some(name) = names
            .iter()
            .find(|name| name.starts_with("env.") || name.starts_with("secret."))
        {
            return Err(format!(
                "{{{{{name}}}}}: a rules file cannot read environment variables or secrets"
            ));
        }
        // A body whose braces do not close is refused now rather than at every match.
        let every: Vec<(String, String)> = names
            .iter()
            .map(|name| (name.clone(), String::new()))
            .collect();
        variables::expand(&template.body, &context(&every, 1)).map_err(|e| e.to_string())?;
        Ok(Self {
            matcher,
            template,
            delay,
            reads_json: names.iter().any(|name| name.starts_with("json.")),
        })
    }

    /// The variables of the match when this rule answers `text`, or `None`.
    pub(super) fn matches(&self, text: &str) -> Option<Vec<(String, String)>> {
        let mut vars = match &self.matcher {
            Matcher::Contains(needle) => text.contains(needle.as_str()).then(Vec::new)?,
            Matcher::Json(filter) => filter.matches(text).then(Vec::new)?,
            Matcher::Regex(regex) => {
                let captures = regex.captures(text)?;
                let mut vars = Vec::new();
                for (at, name) in regex.capture_names().enumerate() {
                    let Some(group) = captures.get(at) else {
                        continue;
                    };
                    vars.push((format!("match.{at}"), group.as_str().to_owned()));
                    if let Some(name) = name {
                        vars.push((format!("match.{name}"), group.as_str().to_owned()));
                    }
                }
                vars
            }
        };
        vars.push(("message".into(), text.to_owned()));
        if self.reads_json {
            vars.extend(json_vars(&self.template.body, text));
        }
        Some(vars)
    }

    /// The message to send for a match with `vars`, as reply number `counter` on its
    /// connection; an error says why it cannot be sent (an unknown variable, a body that is
    /// not valid in its format once expanded).
    pub(super) fn render(
        &self,
        vars: &[(String, String)],
        counter: u64,
    ) -> Result<Outgoing, String> {
        self.template
            .prepare(&context(vars, counter), &EncodeWith::default())
            .map_err(|e| e.to_string())
    }
}

/// A variable context without the environment: a rules file is data.
fn context(user: &[(String, String)], counter: u64) -> VarContext<'_> {
    VarContext {
        counter,
        user,
        env: &|_| None,
        env_policy: EnvPolicy::Only(&[]),
    }
}

/// The `{{json.…}}` variables `body` reads, from `text` parsed as JSON (none when it is
/// not JSON or a path is not there: expanding then says which variable is unknown).
fn json_vars(body: &str, text: &str) -> Vec<(String, String)> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    variables::referenced(body)
        .into_iter()
        .filter_map(|var| {
            let path = var.name.strip_prefix("json.")?;
            let pointer: String = path.split('.').map(|step| format!("/{step}")).collect();
            let found = value.pointer(&pointer)?;
            let shown = match found {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            Some((var.name, shown))
        })
        .collect()
}

/// Loads `FILE.ron:NAME` (split at the first `.ron:`, else the last `:`), the file
/// relative to `base`.
fn load_template(reference: &str, base: &Path) -> Result<Template, String> {
    let split = match reference.find(".ron:") {
        Some(at) => Some((&reference[..at + 4], &reference[at + 5..])),
        None => reference.rsplit_once(':'),
    };
    let Some((file, name)) = split.filter(|(file, name)| !file.is_empty() && !name.is_empty())
    else {
        return Err(format!("template {reference:?}: expected FILE.ron:NAME"));
    };
    let path = base.join(file);
    let templates =
        TemplateFile::load(&path).map_err(|e| format!("template {reference:?}: {e}"))?;
    templates.find(name).cloned().ok_or_else(|| {
        let names: Vec<&str> = templates.names().collect();
        format!(
            "template {reference:?}: no template {name:?} in {} (it has {})",
            path.display(),
            names.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_reply(matcher: Matcher, body: &str) -> Result<Reply, String> {
        Reply::compile(matcher, body.into(), None, Duration::ZERO, Path::new("."))
    }

    fn sent(reply: &Reply, text: &str, counter: u64) -> String {
        let vars = reply.matches(text).expect("it matches");
        match reply.render(&vars, counter).expect("it renders") {
            Outgoing::Text(text) => text,
            other => panic!("not a text: {other:?}"),
        }
    }

    #[test]
    fn the_matched_message_its_groups_and_its_json_fill_the_variables() {
        let regex = regex::Regex::new(r"^sub:(?<topic>\w+)$").unwrap();
        let reply = text_reply(
            Matcher::Regex(regex),
            "{{counter}} {{match.0}} {{match.1}} {{match.topic}}",
        )
        .unwrap();
        assert_eq!(sent(&reply, "sub:news", 3), "3 sub:news news news");
        assert!(reply.matches("nope").is_none());
        let filter = JsonPredicate::parse("$.type == \"order\"").unwrap();
        let reply = text_reply(
            Matcher::Json(Box::new(filter)),
            r#"{"ack":"{{json.id}}","n":{{json.items.1}},"was":{{json.meta}}}"#,
        )
        .unwrap();
        let message = r#"{"type":"order","id":"A7","items":[5,6],"meta":{"x":1}}"#;
        assert_eq!(
            sent(&reply, message, 1),
            r#"{"ack":"A7","n":6,"was":{"x":1}}"#
        );
        let missing = reply.matches(r#"{"type":"order"}"#).unwrap();
        assert!(reply.render(&missing, 1).unwrap_err().contains("json.id"));
    }

    #[test]
    fn the_environment_and_unclosed_braces_are_refused_when_loading() {
        let contains = || Matcher::Contains("x".into());
        let error = text_reply(contains(), "{{env.HOME}}").unwrap_err();
        assert!(error.contains("cannot read environment"), "{error}");
        assert!(text_reply(contains(), "{{secret.KEY}}").is_err());
        assert!(text_reply(contains(), "oops {{message").is_err());
        let error = Reply::compile(
            contains(),
            "text".into(),
            Some("t.ron:a".into()),
            Duration::ZERO,
            Path::new("."),
        )
        .unwrap_err();
        assert!(error.contains("not both"), "{error}");
    }

    #[test]
    fn a_template_is_loaded_beside_the_rules_file_in_its_format() {
        let dir = tempfile::tempdir().unwrap();
        let file = TemplateFile::new(vec![
            Template::new("ack", MessageFormat::Json, r#"{"ok":"{{message}}"}"#),
            Template::new("bytes", MessageFormat::Hex, "0a 0b"),
            Template::new("secret-file", MessageFormat::File, "/etc/passwd"),
        ]);
        file.save(&dir.path().join("t.ron")).unwrap();
        let load = |name: &str| {
            Reply::compile(
                Matcher::Contains(String::new()),
                String::new(),
                Some(format!("t.ron:{name}")),
                Duration::ZERO,
                dir.path(),
            )
        };
        assert_eq!(sent(&load("ack").unwrap(), "hi", 1), r#"{"ok":"hi"}"#);
        let bytes = load("bytes").unwrap();
        let vars = bytes.matches("x").unwrap();
        assert_eq!(
            bytes.render(&vars, 1).unwrap(),
            Outgoing::Binary(vec![0x0a, 0x0b].into())
        );
        assert!(load("secret-file").unwrap_err().contains("cannot be"));
        assert!(load("nobody").unwrap_err().contains("it has ack, bytes"));
        // Expanded, a JSON template must still be JSON.
        let ack = load("ack").unwrap();
        let vars = ack.matches("a\"b").unwrap();
        assert!(ack.render(&vars, 1).is_err());
    }
}

//! `connect`'s `--template FILE.ron:NAME` and `--var NAME=VALUE`: loading templates,
//! checking variables, and expanding every text send and template in command-line order
//! with a counter that starts at 1 and goes up by one per expanded send.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use super::decode_args::DecodePlan;
use super::plan::{Action, UsageError};
use crate::format::dotenv;
use crate::format::variables::{self, EnvPolicy, VarContext, VarError, VarErrorKind};
use crate::model::redact::Redactor;
use crate::model::template::{self, EncodeWith, MessageFormat, Template, TemplateFile};

/// Parses one `--var NAME=VALUE`. The value may be empty and may contain `=`.
pub fn parse_var(value: &str) -> Result<(String, String), UsageError> {
    let Some((name, val)) = value.split_once('=') else {
        return Err(UsageError(format!("--var {value:?}: expected NAME=VALUE")));
    };
    variables::check_user_name(name).map_err(|e| UsageError(format!("--var {value:?}: {e}")))?;
    Ok((name.to_owned(), val.to_owned()))
}

/// Parses every `--var`, in order (a later one with the same name wins).
pub fn parse_vars(values: &[String]) -> Result<Vec<(String, String)>, UsageError> {
    values.iter().map(|value| parse_var(value)).collect()
}

/// Reads `--env-file`: its `NAME=value` pairs as user variables, in order. The values of
/// names that look secret are remembered in `found` (redacted in the output).
pub fn load_env_file(
    path: &Path,
    found: &RefCell<Redactor>,
) -> Result<Vec<(String, String)>, UsageError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("--env-file {shown}: {e}")))?;
    let pairs = dotenv::parse(&text).map_err(|e| UsageError(format!("--env-file {shown}: {e}")))?;
    for (name, value) in &pairs {
        variables::check_user_name(name)
            .map_err(|e| UsageError(format!("--env-file {shown}: {e}")))?;
        if looks_secret(name) {
            found.borrow_mut().add_value(value);
        }
    }
    Ok(pairs)
}

/// True for a variable name that usually holds a secret (`API_TOKEN`, `db.password`, …).
fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASS",
        "KEY",
        "AUTH",
        "CREDENTIAL",
    ]
    .iter()
    .any(|word| upper.contains(word))
}

/// Checks every `--allow-env NAME`: each must be a valid environment variable name.
pub fn parse_allow_env(values: &[String]) -> Result<Vec<String>, UsageError> {
    values
        .iter()
        .map(|name| {
            variables::check_env_name(name)
                .map(|()| name.clone())
                .map_err(|e| UsageError(format!("--allow-env: {e}")))
        })
        .collect()
}

/// Checks every `--allow-secret NAME` (a valid secret name) and gives each as the policy
/// lists it: `secret.NAME`.
pub fn parse_allow_secret(values: &[String]) -> Result<Vec<String>, UsageError> {
    values
        .iter()
        .map(|name| {
            crate::secrets::check_name(name)
                .map(|()| format!("{}{name}", variables::SECRET_PREFIX))
                .map_err(|e| UsageError(format!("--allow-secret: {e}")))
        })
        .collect()
}

/// The hint for a secret a file may not read: says how to allow it.
pub fn secret_not_allowed_hint(name: &str) -> String {
    format!("; pass --allow-secret {name} to let this file read it")
}

/// The usage error for an environment variable a file may not read: names it and says
/// how to allow it.
pub fn not_allowed_hint(name: &str) -> String {
    format!("; pass --allow-env {name} to let this file read it")
}

/// A `--template FILE.ron:NAME` argument, split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateRef {
    /// The template file.
    pub file: PathBuf,
    /// The template's name inside it.
    pub name: String,
}

/// Splits `FILE.ron:NAME` at the first `.ron:` (so names may contain `:`), or else at the
/// last `:`.
pub fn parse_template_ref(value: &str) -> Result<TemplateRef, UsageError> {
    let split = match value.find(".ron:") {
        Some(at) => Some((&value[..at + 4], &value[at + 5..])),
        None => value.rsplit_once(':'),
    };
    match split {
        Some((file, name)) if !file.is_empty() && !name.is_empty() => Ok(TemplateRef {
            file: PathBuf::from(file),
            name: name.to_owned(),
        }),
        _ => Err(UsageError(format!(
            "--template {value:?}: expected FILE.ron:NAME"
        ))),
    }
}

/// Loads the templates named by `--template` arguments, in order; each file is read once.
/// A missing or malformed file, or an unknown name (the error lists the names the file
/// has), is a usage error naming the argument.
pub fn load_templates(values: &[String]) -> Result<Vec<Template>, UsageError> {
    let mut files: Vec<(PathBuf, TemplateFile)> = Vec::new();
    let mut templates = Vec::with_capacity(values.len());
    for value in values {
        let reference = parse_template_ref(value)?;
        let file = match files.iter().position(|(path, _)| *path == reference.file) {
            Some(at) => &files[at].1,
            None => {
                let file = TemplateFile::load(&reference.file)
                    .map_err(|e| UsageError(format!("--template {value:?}: {e}")))?;
                files.push((reference.file.clone(), file));
                &files[files.len() - 1].1
            }
        };
        let template = file
            .find(&reference.name)
            .ok_or_else(|| unknown_template(value, &reference, file))?;
        templates.push(template.clone());
    }
    Ok(templates)
}

fn unknown_template(value: &str, reference: &TemplateRef, file: &TemplateFile) -> UsageError {
    let names: Vec<String> = file.names().map(|name| format!("{name:?}")).collect();
    let has = if names.is_empty() {
        "it has no templates".to_owned()
    } else {
        format!("it has {}", names.join(", "))
    };
    UsageError(format!(
        "--template {value:?}: no template {:?} in {}; {has}",
        reference.name,
        reference.file.display()
    ))
}

/// A send whose text goes through variable expansion.
#[derive(Clone, Debug)]
pub enum Expandable {
    /// A `--send` text.
    Text(String),
    /// An `--op` JSON: variables are expanded inside its strings, after it is parsed.
    Op(String),
    /// A `--send-msgpack`, `--send-cbor`, `--send-protobuf` JSON or a `--send-gzip`,
    /// `--send-zlib`, `--send-deflate` text, encoded as a binary message after expansion.
    Encoded {
        /// The flag, e.g. `--send-msgpack` (for errors).
        flag: &'static str,
        /// How the expanded text is encoded.
        format: MessageFormat,
        /// The text as written.
        text: String,
    },
    /// A `--template`, with the argument as written (for errors).
    Template {
        /// The `FILE.ron:NAME` argument.
        arg: String,
        /// The loaded template.
        template: Template,
    },
}

/// A `--send` text, expanded now. With a script that sets variables (`vars.set`), a
/// variable nothing else defines is left for the script: the text is expanded now but for
/// those, which are filled in when it is sent ([`Action::Later`]). Other problems are
/// usage errors now, as without a script.
fn expand_send(
    text: &str,
    ctx: &VarContext<'_>,
    script_sets_vars: bool,
) -> Result<Action, UsageError> {
    let mut user = ctx.user.to_vec();
    let mut later: Vec<String> = Vec::new();
    loop {
        let with = VarContext {
            counter: ctx.counter,
            user: &user,
            env: ctx.env,
            env_policy: ctx.env_policy,
        };
        match variables::expand(text, &with) {
            Ok(expanded) if later.is_empty() => return Ok(Action::Text(expanded)),
            Ok(expanded) => {
                return Ok(Action::Later(LaterText {
                    text: expanded,
                    names: later,
                }));
            }
            Err(VarError {
                kind: VarErrorKind::Unknown(name),
                ..
            }) if script_sets_vars && !later.contains(&name) => {
                user.push((name.clone(), LaterText::marker(&name)));
                later.push(name);
            }
            Err(e) => return Err(UsageError(format!("--send {text:?}: {e}"))),
        }
    }
}

/// A `--send` text waiting for variables a script sets: expanded but for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaterText {
    /// The text, each variable left for the script as its marker (`LaterText::marker`).
    pub text: String,
    /// Those variables' names.
    pub names: Vec<String>,
}

impl LaterText {
    /// What stands for `{{name}}` until it is sent (control characters no `--send` text
    /// from a shell holds).
    fn marker(name: &str) -> String {
        format!("\u{1}sockscope-var:{name}\u{1}")
    }

    /// The text to send with the script's variables as they are now; the first variable
    /// the script has not set is an error.
    pub fn fill(
        &self,
        vars: &std::collections::BTreeMap<String, String>,
    ) -> Result<String, String> {
        let mut text = self.text.clone();
        for name in &self.names {
            let Some(value) = vars.get(name) else {
                return Err(format!(
                    "--send: {{{{{name}}}}} is not set: the script did not vars.set({name:?}) \
                     before this send; not sent"
                ));
            };
            text = text.replace(&Self::marker(name), value);
        }
        Ok(text)
    }
}

/// Expands and encodes `sends` in the order of their argument index, numbering them
/// `{{counter}}` = 1, 2, … in that order. Returns each with its index, ready to merge with
/// the other actions. A text typed by the user (`--send`, `--send-msgpack`, …) may read
/// any environment variable; a template (from a file) only those in `allowed_env`.
/// `decode` gives the Protobuf schema and type, and the size bounds of encoded values.
pub fn expand_in_order(
    mut sends: Vec<(usize, Expandable)>,
    user: &[(String, String)],
    env: &dyn Fn(&str) -> Option<String>,
    allowed_env: &[String],
    decode: &DecodePlan,
    script_sets_vars: bool,
) -> Result<Vec<(usize, Action)>, UsageError> {
    sends.sort_by_key(|(index, _)| *index);
    let mut actions = Vec::with_capacity(sends.len());
    for (counter, (index, send)) in (1u64..).zip(sends) {
        let env_policy = match send {
            Expandable::Text(_) | Expandable::Encoded { .. } | Expandable::Op(_) => EnvPolicy::Any,
            Expandable::Template { .. } => EnvPolicy::Only(allowed_env),
        };
        let ctx = VarContext {
            counter,
            user,
            env,
            env_policy,
        };
        let action = match send {
            Expandable::Text(text) => expand_send(&text, &ctx, script_sets_vars)?,
            Expandable::Op(text) => {
                let mut op: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| UsageError(format!("--op {text:?}: not JSON: {e}")))?;
                expand_strings(&mut op, &ctx)
                    .map_err(|e| UsageError(format!("--op {text:?}: {e}")))?;
                Action::Op(op)
            }
            Expandable::Encoded { flag, format, text } => {
                let with = EncodeWith {
                    proto: decode.proto.as_ref(),
                    limits: decode.limits,
                };
                match template::prepare(format, &text, &ctx, &with) {
                    Ok(outgoing) => Action::from(outgoing),
                    Err(e) => return Err(UsageError(format!("{flag} {text:?}: {e}"))),
                }
            }
            Expandable::Template { arg, template } => {
                let proto = decode
                    .template_type(&template)
                    .map_err(|e| UsageError(format!("--template {arg:?}: message type: {e}")))?;
                let with = EncodeWith {
                    proto: proto.as_ref(),
                    limits: decode.limits,
                };
                match template.prepare(&ctx, &with) {
                    Ok(outgoing) => Action::from(outgoing),
                    Err(e) => {
                        let hint = e
                            .env_not_allowed()
                            .map(not_allowed_hint)
                            .or_else(|| e.secret_not_allowed().map(secret_not_allowed_hint))
                            .unwrap_or_default();
                        return Err(UsageError(format!(
                            "--template {arg:?}: {} body: {e}{hint}",
                            template.format.label()
                        )));
                    }
                }
            }
        };
        actions.push((index, action));
    }
    Ok(actions)
}

/// Expands the variables in every string of `value` (object keys included), so that a
/// value with quotes or newlines cannot break the JSON around it.
fn expand_strings(
    value: &mut serde_json::Value,
    ctx: &VarContext<'_>,
) -> Result<(), variables::VarError> {
    use serde_json::Value;
    match value {
        Value::String(text) => *text = variables::expand(text, ctx)?,
        Value::Array(items) => {
            for item in items {
                expand_strings(item, ctx)?;
            }
        }
        Value::Object(fields) => {
            let old = std::mem::take(fields);
            for (key, mut item) in old {
                expand_strings(&mut item, ctx)?;
                fields.insert(variables::expand(&key, ctx)?, item);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "TOKEN").then(|| "t0k".to_owned())
    }

    #[test]
    fn vars() {
        assert_eq!(parse_var("a=1").unwrap(), ("a".into(), "1".into()));
        assert_eq!(parse_var("a=").unwrap(), ("a".into(), String::new()));
        assert_eq!(parse_var("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        let error = parse_var("novalue").unwrap_err().to_string();
        assert_eq!(error, "--var \"novalue\": expected NAME=VALUE");
        assert!(parse_var("=x").is_err());
        assert!(
            parse_var("now=x")
                .unwrap_err()
                .to_string()
                .contains("reserved")
        );
        assert!(parse_var("a b=x").is_err());
    }

    #[test]
    fn template_refs() {
        let r = parse_template_ref("dir/t.ron:hello").unwrap();
        assert_eq!(
            (r.file, r.name),
            (PathBuf::from("dir/t.ron"), "hello".into())
        );
        let r = parse_template_ref("t.ron:a: b").unwrap();
        assert_eq!((r.file, r.name), (PathBuf::from("t.ron"), "a: b".into()));
        let r = parse_template_ref("C:/x/t.txt:n").unwrap();
        assert_eq!((r.file, r.name), (PathBuf::from("C:/x/t.txt"), "n".into()));
        assert!(parse_template_ref("t.ron").is_err());
        assert!(parse_template_ref("t.ron:").is_err());
        assert!(parse_template_ref(":x").is_err());
    }

    #[test]
    fn expands_in_argument_order_with_a_counter() {
        let user = vec![("who".to_owned(), "ada".to_owned())];
        let sends = vec![
            (
                7,
                Expandable::Template {
                    arg: "t.ron:bin".into(),
                    template: Template::new("bin", MessageFormat::Hex, "0{{counter}}"),
                },
            ),
            (
                3,
                Expandable::Text("{{who}} #{{counter}} {{env.TOKEN}}".into()),
            ),
        ];
        let actions = expand_in_order(sends, &user, &env, &[], &DecodePlan::off(), false).unwrap();
        assert_eq!(
            actions,
            [
                (3, Action::Text("ada #1 t0k".into())),
                (7, Action::Binary(vec![2u8].into())),
            ]
        );
        let error = expand_in_order(
            vec![(1, Expandable::Text("{{env.NOPE}}".into()))],
            &[],
            &env,
            &[],
            &DecodePlan::off(),
            false,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "--send \"{{env.NOPE}}\": environment variable NOPE is not set (at position 0)"
        );
    }

    #[test]
    fn a_template_file_reads_only_allowed_env_names() {
        let template = |body: &str| Expandable::Template {
            arg: "t.ron:leak".into(),
            template: Template::new("leak", MessageFormat::Text, body),
        };
        let error = expand_in_order(
            vec![(1, template("{{env.TOKEN}}"))],
            &[],
            &env,
            &[],
            &DecodePlan::off(),
            false,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "--template \"t.ron:leak\": Text body: environment variable TOKEN is not allowed \
             for this file (at position 0); pass --allow-env TOKEN to let this file read it"
        );
        let allowed = ["TOKEN".to_owned()];
        let actions = expand_in_order(
            vec![(1, template("{{env.TOKEN}}"))],
            &[],
            &env,
            &allowed,
            &DecodePlan::off(),
            false,
        )
        .unwrap();
        assert_eq!(actions, [(1, Action::Text("t0k".into()))]);
        assert!(parse_allow_env(&["TOKEN".into()]).is_ok());
        let error = parse_allow_env(&["$(id)".into()]).unwrap_err().to_string();
        assert!(
            error.starts_with("--allow-env: \"$(id)\" is not a valid"),
            "{error}"
        );
    }
}

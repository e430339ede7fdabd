//! Template variables: `{{name}}` in a message body (or a URL, or a header value) is
//! replaced when the message is sent.
//!
//! # Syntax
//!
//! - `{{name}}`, with optional spaces inside the braces: `{{ now }}`.
//! - `\{{` writes a literal `{{` (the backslash is dropped). A backslash anywhere else is
//!   kept as it is, so JSON escapes such as `"a\\b"` are untouched. (There is no way to
//!   write a backslash directly followed by a variable; put the backslash in a user
//!   variable if you ever need one.)
//! - A lone `}}` is ordinary text. A `{{` with no `}}` after it is an error.
//!
//! # Variables
//!
//! | name          | value |
//! |---------------|-------|
//! | `uuid`        | a fresh random UUID v4, e.g. `0b5c…-4…` |
//! | `now`         | the time in RFC 3339, UTC, milliseconds: `2026-11-21T20:30:00.123Z` |
//! | `now_ms`      | milliseconds since the Unix epoch |
//! | `counter`     | [`VarContext::counter`]: the caller's per-tab send counter |
//! | `random_int`  | a random integer in `0..=2^31-1` |
//! | `env.NAME`    | the environment variable `NAME` (an error when it is not set, when `NAME` is not a valid name, or when [`VarContext::env_policy`] does not allow it) |
//! | `secret.NAME` | the secret `NAME` from the OS keychain, asked of [`VarContext::env`] as `secret.NAME` (same rules as `env.NAME`; the policy lists it as `secret.NAME`) |
//! | anything else | a user variable from [`VarContext::user`] |
//!
//! The clock is read once per [`expand`] call, so `{{now}}` and `{{now_ms}}` in one
//! message agree. Built-in names are reserved: [`check_user_name`] refuses them, and
//! [`expand`] resolves them before looking at the user's variables.

use std::fmt;
use std::ops::Range;

use chrono::{DateTime, SecondsFormat, Utc};

/// A built-in variable: the one list of them, read by name checks, the composer's check and
/// the variables table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    /// The name between the braces (`env.NAME` stands for every `env.` reference).
    pub name: &'static str,
    /// What it gives, for help texts and the variables table.
    pub meaning: &'static str,
    /// Each expansion gives a new value, whatever the context (a fresh UUID, the time).
    pub volatile: bool,
}

/// The built-in variables, in the order help texts list them.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "uuid",
        meaning: "a random UUID v4",
        volatile: true,
    },
    Builtin {
        name: "now",
        meaning: "the time, RFC 3339 UTC with milliseconds",
        volatile: true,
    },
    Builtin {
        name: "now_ms",
        meaning: "milliseconds since the Unix epoch",
        volatile: true,
    },
    Builtin {
        name: "counter",
        meaning: "the tab's send counter: 1 for the first send, +1 per send",
        volatile: false,
    },
    Builtin {
        name: "random_int",
        meaning: "a random integer from 0 to 2147483647",
        volatile: true,
    },
    Builtin {
        name: "env.NAME",
        meaning: "the environment variable NAME",
        volatile: false,
    },
    Builtin {
        name: "secret.NAME",
        meaning: "the secret NAME from the OS keychain (sockscope secret set NAME)",
        volatile: false,
    },
];

/// The prefix of environment variable references: `{{env.API_TOKEN}}`.
pub const ENV_PREFIX: &str = "env.";

/// The prefix of keychain secret references: `{{secret.API_TOKEN}}`. The expansion asks
/// [`VarContext::env`] for `secret.NAME`, and an [`EnvPolicy::Only`] list allows it as
/// `secret.NAME`.
pub const SECRET_PREFIX: &str = "secret.";

/// Which environment variables (and keychain secrets) an expansion may read. Text the user
/// typed themselves may read any; text that came from a file (a session, a HAR import, a
/// template file, the template library) only the names the user allowed for it: an
/// environment variable by its name, a secret as `secret.NAME`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvPolicy<'a> {
    /// Any name: the user wrote the text.
    Any,
    /// Only these names (`NAME` for `{{env.NAME}}`, `secret.NAME` for `{{secret.NAME}}`):
    /// the text came from a file.
    Only(&'a [String]),
}

impl EnvPolicy<'_> {
    /// True when `{{env.name}}` may be read.
    pub fn allows(&self, name: &str) -> bool {
        match self {
            EnvPolicy::Any => true,
            EnvPolicy::Only(names) => names.iter().any(|allowed| allowed == name),
        }
    }
}

/// Why a name cannot be an environment variable's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a valid environment variable name (letters, digits and _, not starting with a digit)"
)]
pub struct EnvNameError(pub String);

/// Checks an environment variable's name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn check_env_name(name: &str) -> Result<(), EnvNameError> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(EnvNameError(name.to_owned()))
    }
}

/// The environment variable names `input` references (`{{env.NAME}}`), in order, each
/// once; invalid names included (expanding reports them).
pub fn env_names(input: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for var in referenced(input) {
        if let Some(name) = var.env_name()
            && !names.iter().any(|known| known == name)
        {
            names.push(name.to_owned());
        }
    }
    names
}

/// The names outside the text that `input` would read, as an [`EnvPolicy::Only`] list
/// names them: `NAME` for each `{{env.NAME}}`, `secret.NAME` for each `{{secret.NAME}}`;
/// in order, each once, invalid names included (expanding reports them).
pub fn outside_names(input: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for var in referenced(input) {
        let name = match (var.env_name(), var.secret_name()) {
            (Some(name), _) => name.to_owned(),
            (None, Some(name)) => format!("{SECRET_PREFIX}{name}"),
            (None, None) => continue,
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Checks a name of [`outside_names`]: an environment variable's name, or `secret.` and a
/// secret's name (the same characters).
pub fn check_outside_name(name: &str) -> Result<(), EnvNameError> {
    check_env_name(name.strip_prefix(SECRET_PREFIX).unwrap_or(name))
}

/// What [`expand`] needs besides the text.
pub struct VarContext<'a> {
    /// The value of `{{counter}}`. The caller keeps one counter per tab (starting at 1)
    /// and increments it after each send it expanded.
    pub counter: u64,
    /// User variables, `(name, value)`. When a name appears more than once, the last
    /// entry wins (as with repeated `--var` flags).
    pub user: &'a [(String, String)],
    /// Looks up an environment variable, or a keychain secret asked for as `secret.NAME`;
    /// [`process_env`] reads the real environment (and no secrets:
    /// `secrets::SecretResolver::lookup` adds them). Injectable so tests and previews need
    /// not touch the process environment or the keychain.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Which names `env` may be asked for; a name it does not allow is an error
    /// ([`VarErrorKind::EnvNotAllowed`]) and `env` is not called.
    pub env_policy: EnvPolicy<'a>,
}

/// Reads an environment variable of this process; a value that is not Unicode counts as
/// not set, and so does a name that is not `[A-Za-z_][A-Za-z0-9_]*` (such as a
/// `secret.NAME`, which is never read from the environment here).
pub fn process_env(name: &str) -> Option<String> {
    check_env_name(name).ok()?;
    std::env::var(name).ok()
}

/// What a preview shows for a `{{secret.NAME}}`: previews never read the keychain.
pub const SECRET_PREVIEW: &str = "[secret]";

/// [`process_env`] for previews and live checks: a secret (`secret.NAME`) answers
/// [`SECRET_PREVIEW`] without reading the keychain.
pub fn preview_env(name: &str) -> Option<String> {
    match name.strip_prefix(SECRET_PREFIX) {
        Some(secret) => check_env_name(secret)
            .ok()
            .map(|()| SECRET_PREVIEW.to_owned()),
        None => process_env(name),
    }
}

/// A variable reference found in a text, for previews and highlighting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarRef {
    /// The name between the braces, without the surrounding spaces (`env.HOME`, `now`).
    pub name: String,
    /// The 0-based character position of the opening `{{`.
    pub position: usize,
    /// The byte range of the whole reference, `{{` to `}}` inclusive.
    pub bytes: Range<usize>,
}

impl VarRef {
    /// For `{{env.NAME}}`, the environment variable's name.
    pub fn env_name(&self) -> Option<&str> {
        self.name.strip_prefix(ENV_PREFIX)
    }

    /// For `{{secret.NAME}}`, the secret's name.
    pub fn secret_name(&self) -> Option<&str> {
        self.name.strip_prefix(SECRET_PREFIX)
    }

    /// True for the built-in names (`uuid`, `now`, …), `env.NAME` and `secret.NAME`
    /// references.
    pub fn is_builtin(&self) -> bool {
        self.env_name().is_some() || self.secret_name().is_some() || builtin(&self.name).is_some()
    }

    /// True when each expansion gives it a new value ([`Builtin::volatile`]).
    pub fn is_volatile(&self) -> bool {
        builtin(&self.name).is_some_and(|builtin| builtin.volatile)
    }
}

/// Why a text cannot be expanded, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarError {
    /// The 0-based character position of the `{{` the problem is about.
    pub position: usize,
    /// What is wrong.
    pub kind: VarErrorKind,
}

/// The kinds of [`VarError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VarErrorKind {
    /// No built-in or user variable has this name.
    Unknown(String),
    /// `{{env.NAME}}` where `NAME` is not set.
    MissingEnv(String),
    /// A `{{` without a `}}` after it.
    Unclosed,
    /// `{{env.NAME}}` where `NAME` is not `[A-Za-z_][A-Za-z0-9_]*`.
    InvalidEnvName(String),
    /// `{{env.NAME}}` in text from a file, where the user did not allow `NAME` for it.
    EnvNotAllowed(String),
    /// `{{secret.NAME}}` where `NAME` is not `[A-Za-z_][A-Za-z0-9_]*`.
    InvalidSecretName(String),
    /// `{{secret.NAME}}` in text from a file, where the user did not allow it.
    SecretNotAllowed(String),
    /// `{{secret.NAME}}` that could not be read (not in the keychain, no keychain).
    MissingSecret(String),
}

impl VarError {
    /// For an environment variable the policy refused, its name.
    pub fn env_not_allowed(&self) -> Option<&str> {
        match &self.kind {
            VarErrorKind::EnvNotAllowed(name) => Some(name),
            _ => None,
        }
    }

    /// For a secret the policy refused, its name.
    pub fn secret_not_allowed(&self) -> Option<&str> {
        match &self.kind {
            VarErrorKind::SecretNotAllowed(name) => Some(name),
            _ => None,
        }
    }
}

impl fmt::Display for VarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let position = self.position;
        match &self.kind {
            VarErrorKind::Unknown(name) => {
                write!(f, "unknown variable {{{{{name}}}}} at position {position}")
            }
            VarErrorKind::MissingEnv(name) => write!(
                f,
                "environment variable {name} is not set (at position {position})"
            ),
            VarErrorKind::Unclosed => write!(f, "unclosed {{{{ at position {position}"),
            VarErrorKind::InvalidEnvName(name) => write!(
                f,
                "{{{{env.{name}}}}} at position {position}: {}",
                EnvNameError(name.clone())
            ),
            VarErrorKind::EnvNotAllowed(name) => write!(
                f,
                "environment variable {name} is not allowed for this file (at position {position})"
            ),
            VarErrorKind::InvalidSecretName(name) => write!(
                f,
                "{{{{secret.{name}}}}} at position {position}: {name:?} is not a valid secret \
                 name (letters, digits and _, not starting with a digit)"
            ),
            VarErrorKind::SecretNotAllowed(name) => write!(
                f,
                "secret {name} is not allowed for this file (at position {position})"
            ),
            VarErrorKind::MissingSecret(name) => {
                write!(f, "secret {name} is not available (at position {position})")
            }
        }
    }
}

impl std::error::Error for VarError {}

/// Why a user variable's name is not allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("a variable name must not be empty")]
    Empty,
    /// A character other than ASCII letters, digits, `_`, `-` and `.`.
    #[error(
        "variable name {name:?}: {ch:?} at position {position} is not allowed (use letters, digits, _ - .)"
    )]
    InvalidChar {
        /// The whole name.
        name: String,
        /// The offending character.
        ch: char,
        /// Its 0-based character position in the name.
        position: usize,
    },
    /// A built-in name (`uuid`, `now`, …) or an `env.` or `secret.` name.
    #[error("variable name {0:?} is reserved for a built-in variable")]
    Reserved(String),
}

/// Checks a user variable's name: ASCII letters, digits, `_`, `-` and `.`, not a built-in
/// name and not starting with `env.` or `secret.`.
pub fn check_user_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if let Some((position, ch)) = name
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(NameError::InvalidChar {
            name: name.to_owned(),
            ch,
            position,
        });
    }
    if builtin(name).is_some()
        || name.starts_with(ENV_PREFIX)
        || name.starts_with(SECRET_PREFIX)
        || name == "env"
        || name == "secret"
    {
        return Err(NameError::Reserved(name.to_owned()));
    }
    Ok(())
}

/// The built-in variable called `name` (not an `env.` reference).
fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|builtin| {
        builtin.name == name && !name.starts_with(ENV_PREFIX) && !name.starts_with(SECRET_PREFIX)
    })
}

/// One piece of a scanned text.
enum Piece<'s> {
    /// Text copied as it is.
    Literal(&'s str),
    /// A variable reference.
    Var(VarRef),
}

/// Splits `input` into literal text and variable references; stops at the first unclosed
/// `{{`, returning what came before it and the error.
fn scan(input: &str) -> (Vec<Piece<'_>>, Option<VarError>) {
    let bytes = input.as_bytes();
    let mut pieces = Vec::new();
    let mut i = 0;
    let mut literal_start = 0;
    // Character position of byte `counted_to`, advanced lazily.
    let mut counted_to = 0;
    let mut chars_before = 0;
    let mut char_position = |byte: usize| {
        chars_before += input[counted_to..byte].chars().count();
        counted_to = byte;
        chars_before
    };
    while i < bytes.len() {
        if bytes[i] == b'\\' && bytes[i + 1..].starts_with(b"{{") {
            // `\` and `{` are ASCII, so every cut here is on a character boundary.
            pieces.push(Piece::Literal(&input[literal_start..i]));
            pieces.push(Piece::Literal("{{"));
            i += 3;
            literal_start = i;
            continue;
        }
        if bytes[i..].starts_with(b"{{") {
            pieces.push(Piece::Literal(&input[literal_start..i]));
            let position = char_position(i);
            let rest = &input[i + 2..];
            let inner = rest.find("}}").map(|end| &rest[..end]);
            let Some(inner) = inner.filter(|inner| !inner.contains("{{")) else {
                let error = VarError {
                    position,
                    kind: VarErrorKind::Unclosed,
                };
                return (pieces, Some(error));
            };
            let end = i + 2 + inner.len() + 2;
            pieces.push(Piece::Var(VarRef {
                name: inner.trim().to_owned(),
                position,
                bytes: i..end,
            }));
            i = end;
            literal_start = i;
            continue;
        }
        i += 1;
    }
    pieces.push(Piece::Literal(&input[literal_start..]));
    (pieces, None)
}

/// The variable references in `input`, in order, for previews and highlighting. Stops
/// quietly at an unclosed `{{` ([`expand`] reports it).
pub fn referenced(input: &str) -> Vec<VarRef> {
    scan(input)
        .0
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Var(var) => Some(var),
            Piece::Literal(_) => None,
        })
        .collect()
}

/// True when `input` has something for [`expand`] to do (a `{{`), so callers can skip
/// work and show "no variables".
pub fn has_variables(input: &str) -> bool {
    input.contains("{{")
}

/// `text` written so that [`expand`] gives it back unchanged: every `{{` becomes `\{{`.
/// For putting received text into an editor whose contents are expanded when sent.
pub fn escape(text: &str) -> String {
    text.replace("{{", "\\{{")
}

/// Replaces every `{{name}}` in `input`; the first unknown variable, missing environment
/// variable or unclosed `{{` is an error and nothing is returned.
pub fn expand(input: &str, ctx: &VarContext<'_>) -> Result<String, VarError> {
    expand_at(input, ctx, Utc::now())
}

/// Replaces only the `{{secret.NAME}}` references of `input`, each looked up by `lookup`
/// as `secret.NAME`; everything else (other `{{…}}`, backslashes) stays exactly as
/// written. For the command line's URL, headers and auth, which take no other variables.
pub fn expand_secrets_only(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, VarError> {
    let secrets: Vec<VarRef> = referenced(input)
        .into_iter()
        .filter(|var| var.secret_name().is_some())
        .collect();
    if secrets.is_empty() {
        return Ok(input.to_owned());
    }
    let mut out = String::with_capacity(input.len());
    let mut copied = 0;
    for var in secrets {
        let error = |kind| VarError {
            position: var.position,
            kind,
        };
        let name = var.secret_name().unwrap_or_default();
        if check_env_name(name).is_err() {
            return Err(error(VarErrorKind::InvalidSecretName(name.to_owned())));
        }
        let value =
            lookup(&var.name).ok_or_else(|| error(VarErrorKind::MissingSecret(name.to_owned())))?;
        out.push_str(&input[copied..var.bytes.start]);
        out.push_str(&value);
        copied = var.bytes.end;
    }
    out.push_str(&input[copied..]);
    Ok(out)
}

/// [`expand`] with the clock given: `{{now}}` and `{{now_ms}}` use `now`.
pub fn expand_at(
    input: &str,
    ctx: &VarContext<'_>,
    now: DateTime<Utc>,
) -> Result<String, VarError> {
    expand_with(input, ctx, now, &|value| value)
}

/// [`expand`], passing every variable's value through `encode` before it is put in (the
/// text around the variables is copied as it is). For a URL's query, where a value holding
/// `&` or a space must be percent-encoded to stay one value.
pub fn expand_encoded(
    input: &str,
    ctx: &VarContext<'_>,
    encode: &dyn Fn(String) -> String,
) -> Result<String, VarError> {
    expand_with(input, ctx, Utc::now(), encode)
}

fn expand_with(
    input: &str,
    ctx: &VarContext<'_>,
    now: DateTime<Utc>,
    encode: &dyn Fn(String) -> String,
) -> Result<String, VarError> {
    let (pieces, error) = scan(input);
    if let Some(error) = error {
        return Err(error);
    }
    let mut out = String::with_capacity(input.len());
    for piece in pieces {
        match piece {
            Piece::Literal(text) => out.push_str(text),
            Piece::Var(var) => out.push_str(&encode(resolve(&var, ctx, now)?)),
        }
    }
    Ok(out)
}

fn resolve(var: &VarRef, ctx: &VarContext<'_>, now: DateTime<Utc>) -> Result<String, VarError> {
    let error = |kind| VarError {
        position: var.position,
        kind,
    };
    if let Some(name) = var.env_name() {
        if check_env_name(name).is_err() {
            return Err(error(VarErrorKind::InvalidEnvName(name.to_owned())));
        }
        if !ctx.env_policy.allows(name) {
            return Err(error(VarErrorKind::EnvNotAllowed(name.to_owned())));
        }
        return (ctx.env)(name).ok_or_else(|| error(VarErrorKind::MissingEnv(name.to_owned())));
    }
    if let Some(name) = var.secret_name() {
        if check_env_name(name).is_err() {
            return Err(error(VarErrorKind::InvalidSecretName(name.to_owned())));
        }
        let key = var.name.as_str();
        if !ctx.env_policy.allows(key) {
            return Err(error(VarErrorKind::SecretNotAllowed(name.to_owned())));
        }
        return (ctx.env)(key).ok_or_else(|| error(VarErrorKind::MissingSecret(name.to_owned())));
    }
    let value = match var.name.as_str() {
        "uuid" => uuid::Uuid::new_v4().hyphenated().to_string(),
        "now" => now.to_rfc3339_opts(SecondsFormat::Millis, true),
        "now_ms" => now.timestamp_millis().to_string(),
        "counter" => ctx.counter.to_string(),
        "random_int" => fastrand::u32(0..=i32::MAX.unsigned_abs()).to_string(),
        name => ctx
            .user
            .iter()
            .rev()
            .find(|(user_name, _)| user_name == name)
            .map(|(_, value)| value.clone())
            .ok_or_else(|| error(VarErrorKind::Unknown(name.to_owned())))?,
    };
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn fake_env(name: &str) -> Option<String> {
        match name {
            "API_TOKEN" => Some("s3cret".to_owned()),
            "secret.KEY" => Some("from-keychain".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn secrets_are_asked_for_by_their_prefixed_name_under_the_policy() {
        let allowed = vec!["secret.KEY".to_owned()];
        let ctx = |policy| VarContext {
            counter: 1,
            user: &[],
            env: &fake_env,
            env_policy: policy,
        };
        let text = "Bearer {{ secret.KEY }}";
        assert_eq!(
            expand(text, &ctx(EnvPolicy::Any)).unwrap(),
            "Bearer from-keychain"
        );
        assert_eq!(
            expand(text, &ctx(EnvPolicy::Only(&allowed))).unwrap(),
            "Bearer from-keychain"
        );
        let refused = expand(text, &ctx(EnvPolicy::Only(&[]))).unwrap_err();
        assert_eq!(refused.secret_not_allowed(), Some("KEY"));
        assert_eq!(
            refused.to_string(),
            "secret KEY is not allowed for this file (at position 7)"
        );
        // Allowing the environment variable KEY does not allow the secret KEY.
        let env_only = vec!["KEY".to_owned()];
        assert!(expand(text, &ctx(EnvPolicy::Only(&env_only))).is_err());
        let missing = expand("{{secret.OTHER}}", &ctx(EnvPolicy::Any)).unwrap_err();
        assert_eq!(missing.kind, VarErrorKind::MissingSecret("OTHER".into()));
        let invalid = expand("{{secret.$(id)}}", &ctx(EnvPolicy::Any)).unwrap_err();
        assert_eq!(
            invalid.kind,
            VarErrorKind::InvalidSecretName("$(id)".into())
        );
        assert_eq!(
            outside_names("{{env.A}} {{secret.B}} {{secret.B}} {{user}}"),
            ["A", "secret.B"]
        );
        assert!(check_outside_name("secret.B").is_ok());
        assert!(check_outside_name("secret.$x").is_err());
        assert!(check_user_name("secret.B").is_err());
        // The process environment never answers for a secret.
        assert_eq!(process_env("secret.PATH"), None);
        // Only secrets, everything else as written (the command line's headers).
        assert_eq!(
            expand_secrets_only(r"Bearer {{secret.KEY}} {{user}} \{{x", &fake_env).unwrap(),
            r"Bearer from-keychain {{user}} \{{x"
        );
        assert_eq!(
            expand_secrets_only("{{ unclosed", &fake_env).unwrap(),
            "{{ unclosed"
        );
        let missing = expand_secrets_only("a {{secret.NONE}}", &fake_env).unwrap_err();
        assert_eq!(missing.kind, VarErrorKind::MissingSecret("NONE".into()));
    }

    fn run(input: &str) -> Result<String, VarError> {
        let user = vec![
            ("user".to_owned(), "ada".to_owned()),
            ("room".to_owned(), "old".to_owned()),
            ("room".to_owned(), "lobby".to_owned()),
        ];
        let ctx = VarContext {
            counter: 7,
            user: &user,
            env: &fake_env,
            env_policy: EnvPolicy::Any,
        };
        expand(input, &ctx)
    }

    #[test]
    fn every_listed_builtin_is_resolved_reserved_and_known() {
        let ctx = VarContext {
            counter: 7,
            user: &[],
            env: &fake_env,
            env_policy: EnvPolicy::Any,
        };
        for builtin in BUILTINS {
            let (name, text) = if builtin.name.starts_with(ENV_PREFIX) {
                ("env.API_TOKEN", "{{env.API_TOKEN}}".to_owned())
            } else if builtin.name.starts_with(SECRET_PREFIX) {
                ("secret.KEY", "{{secret.KEY}}".to_owned())
            } else {
                (builtin.name, format!("{{{{{}}}}}", builtin.name))
            };
            assert!(expand(&text, &ctx).is_ok(), "{name}");
            assert!(check_user_name(name).is_err(), "{name}");
            let var = &referenced(&text)[0];
            assert!(var.is_builtin(), "{name}");
            assert_eq!(var.is_volatile(), builtin.volatile, "{name}");
        }
        let volatile: Vec<_> = BUILTINS
            .iter()
            .filter(|b| b.volatile)
            .map(|b| b.name)
            .collect();
        assert_eq!(volatile, ["uuid", "now", "now_ms", "random_int"]);
        let user = &referenced("{{user}}")[0];
        assert!(!user.is_builtin() && !user.is_volatile());
    }

    #[test]
    fn escaped_text_expands_to_itself() {
        for text in [
            "plain",
            "{{user}} and {{ room }}",
            "{{",
            "{{{{}}",
            r"a \{{user}} b",
            r"\\{{x",
            r#"{"a\\b": "{{not a var"}"#,
            "",
        ] {
            let escaped = escape(text);
            assert_eq!(
                run(&escaped).unwrap(),
                text,
                "{text:?} escaped as {escaped:?}"
            );
        }
        assert_eq!(escape("x {{y}}"), r"x \{{y}}");
    }

    #[test]
    fn plain_text_is_untouched() {
        assert_eq!(run("hello").unwrap(), "hello");
        assert_eq!(run("").unwrap(), "");
        assert_eq!(run("a } } }} b").unwrap(), "a } } }} b");
        assert_eq!(run(r#"{"a":{"b":{}}}"#).unwrap(), r#"{"a":{"b":{}}}"#);
        assert_eq!(run(r#""a\\b \n""#).unwrap(), r#""a\\b \n""#);
        assert_eq!(run("héllo wörld ✓").unwrap(), "héllo wörld ✓");
    }

    #[test]
    fn counter() {
        assert_eq!(run("n={{counter}}").unwrap(), "n=7");
        assert_eq!(run("{{ counter }}{{counter}}").unwrap(), "77");
        assert_eq!(run(r#"{"n":{{counter}}}"#).unwrap(), r#"{"n":7}"#);
    }

    #[test]
    fn user_variables_last_one_wins() {
        assert_eq!(run("{{user}} in {{ room }}").unwrap(), "ada in lobby");
    }

    #[test]
    fn env_variables() {
        assert_eq!(run("Bearer {{env.API_TOKEN}}").unwrap(), "Bearer s3cret");
        assert_eq!(run("{{ env.API_TOKEN }}").unwrap(), "s3cret");
    }

    #[test]
    fn uuid_is_v4() {
        let text = run("{{uuid}}").unwrap();
        let parsed = uuid::Uuid::parse_str(&text).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(text.len(), 36);
        assert_eq!(text, text.to_lowercase());
        assert_ne!(run("{{uuid}}").unwrap(), text, "fresh per expansion");
        let two = run("{{uuid}} {{uuid}}").unwrap();
        let (a, b) = two.split_once(' ').unwrap();
        assert_ne!(a, b, "fresh per reference");
    }

    #[test]
    fn now_and_now_ms_agree() {
        let before = Utc::now().timestamp_millis();
        let text = run("{{now}}|{{now_ms}}").unwrap();
        let after = Utc::now().timestamp_millis();
        let (now, ms) = text.split_once('|').unwrap();
        let ms: i64 = ms.parse().unwrap();
        assert!(before <= ms && ms <= after);
        let parsed = DateTime::parse_from_rfc3339(now).unwrap();
        assert_eq!(parsed.timestamp_millis(), ms);
        assert!(now.ends_with('Z'), "{now}");
        assert_eq!(now.len(), "2026-11-21T20:30:00.123Z".len(), "{now}");
    }

    #[test]
    fn now_with_a_fixed_clock() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T20:30:00.123Z")
            .unwrap()
            .with_timezone(&Utc);
        let ctx = VarContext {
            counter: 1,
            user: &[],
            env: &no_env,
            env_policy: EnvPolicy::Any,
        };
        assert_eq!(
            expand_at("{{now}} {{now_ms}}", &ctx, now).unwrap(),
            "2026-11-21T20:30:00.123Z 1795293000123"
        );
    }

    #[test]
    fn random_int_is_in_range() {
        for _ in 0..200 {
            let value: u64 = run("{{random_int}}").unwrap().parse().unwrap();
            assert!(value < (1 << 31), "{value}");
        }
    }

    #[test]
    fn backslash_escapes_braces() {
        assert_eq!(run(r"\{{counter}}").unwrap(), "{{counter}}");
        assert_eq!(run(r"a\{{b").unwrap(), "a{{b");
        assert_eq!(run(r"\{{{{counter}}").unwrap(), "{{7");
        assert_eq!(run(r"\x \{ {{counter}}").unwrap(), r"\x \{ 7");
        assert!(referenced(r"\{{counter}}").is_empty());
    }

    #[test]
    fn unknown_variable() {
        let error = run("hello, {{ nobody }}!").unwrap_err();
        assert_eq!(
            error,
            VarError {
                position: 7,
                kind: VarErrorKind::Unknown("nobody".into())
            }
        );
        assert_eq!(
            error.to_string(),
            "unknown variable {{nobody}} at position 7"
        );
        // Positions count characters, not bytes.
        assert_eq!(run("é {{foo}}").unwrap_err().position, 2);
        assert_eq!(
            run("{{}}").unwrap_err().kind,
            VarErrorKind::Unknown(String::new())
        );
        assert_eq!(
            run("{{env.}}").unwrap_err().kind,
            VarErrorKind::InvalidEnvName(String::new())
        );
    }

    #[test]
    fn missing_env() {
        let error = run("x: {{env.HOME_NOT_SET}}").unwrap_err();
        assert_eq!(
            error,
            VarError {
                position: 3,
                kind: VarErrorKind::MissingEnv("HOME_NOT_SET".into())
            }
        );
        assert_eq!(
            error.to_string(),
            "environment variable HOME_NOT_SET is not set (at position 3)"
        );
    }

    #[test]
    fn env_names_must_be_identifiers() {
        assert!(check_env_name("API_TOKEN").is_ok());
        assert!(check_env_name("_x9").is_ok());
        for bad in [
            "",
            "9X",
            "A-B",
            "A.B",
            "$(touch /tmp/x)",
            "A B",
            "É",
            "A\nB",
            "`id`",
        ] {
            assert!(check_env_name(bad).is_err(), "{bad:?}");
            let text = format!("{{{{env.{bad}}}}}");
            assert_eq!(
                run(&text).unwrap_err().kind,
                VarErrorKind::InvalidEnvName(bad.to_owned()),
                "{text:?}"
            );
        }
        let error = run("{{env.$(id)}}").unwrap_err().to_string();
        assert!(
            error.contains("not a valid environment variable name"),
            "{error}"
        );
    }

    #[test]
    fn a_policy_limits_which_env_names_are_read() {
        let asked = std::cell::RefCell::new(Vec::new());
        let env = |name: &str| {
            asked.borrow_mut().push(name.to_owned());
            Some(format!("<{name}>"))
        };
        let allowed = vec!["API_TOKEN".to_owned()];
        let ctx = VarContext {
            counter: 1,
            user: &[],
            env: &env,
            env_policy: EnvPolicy::Only(&allowed),
        };
        assert_eq!(expand("{{env.API_TOKEN}}", &ctx).unwrap(), "<API_TOKEN>");
        let error = expand("a {{env.API_TOKEN}} {{env.AWS_SECRET_ACCESS_KEY}}", &ctx).unwrap_err();
        assert_eq!(error.env_not_allowed(), Some("AWS_SECRET_ACCESS_KEY"));
        assert_eq!(
            error.to_string(),
            "environment variable AWS_SECRET_ACCESS_KEY is not allowed for this file (at position 20)"
        );
        assert_eq!(
            *asked.borrow(),
            ["API_TOKEN", "API_TOKEN"],
            "a name that is not allowed is never looked up"
        );
        assert_eq!(
            env_names("{{env.A}} {{ env.B }} {{env.A}} {{user}} {{env.$x}}"),
            ["A", "B", "$x"]
        );
    }

    #[test]
    fn unclosed() {
        let error = run("abc: {{counter").unwrap_err();
        assert_eq!(
            error,
            VarError {
                position: 5,
                kind: VarErrorKind::Unclosed
            }
        );
        assert_eq!(error.to_string(), "unclosed {{ at position 5");
        assert_eq!(
            run("{{a {{counter}}").unwrap_err().kind,
            VarErrorKind::Unclosed
        );
        assert_eq!(run("{{counter}} {{").unwrap_err().position, 12);
        assert_eq!(run("{{counter}").unwrap_err().kind, VarErrorKind::Unclosed);
    }

    #[test]
    fn first_error_wins() {
        assert_eq!(
            run("{{a}} {{b").unwrap_err().position,
            6,
            "unclosed is found first"
        );
        assert_eq!(run("{{a}} {{b}}").unwrap_err().position, 0);
    }

    #[test]
    fn references_with_positions() {
        let text = "é {{ now }} and {{env.X}} \\{{skip}} {{user}}";
        let refs = referenced(text);
        let names: Vec<_> = refs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["now", "env.X", "user"]);
        assert_eq!(refs[0].position, 2);
        assert_eq!(&text[refs[0].bytes.clone()], "{{ now }}");
        assert_eq!(&text[refs[1].bytes.clone()], "{{env.X}}");
        assert_eq!(refs[1].env_name(), Some("X"));
        assert!(refs[0].is_builtin() && refs[1].is_builtin() && !refs[2].is_builtin());
        assert_eq!(referenced("{{a}} {{b").len(), 1);
        assert!(has_variables("a {{b}}") && !has_variables("a {b}"));
    }

    #[test]
    fn never_panics_on_brace_soup() {
        let mut rng = fastrand::Rng::with_seed(7);
        let alphabet = [
            '{', '}', '\\', ' ', 'é', 'a', 'c', 'o', 'u', 'n', 't', 'e', 'r', '.',
        ];
        for _ in 0..5_000 {
            let len = rng.usize(0..24);
            let text: String = (0..len)
                .map(|_| alphabet[rng.usize(0..alphabet.len())])
                .collect();
            let chars = text.chars().count();
            match run(&text) {
                Ok(_) => {}
                Err(error) => assert!(error.position < chars, "{text:?}: {error}"),
            }
            for var in referenced(&text) {
                assert!(text[var.bytes.clone()].starts_with("{{"), "{text:?}");
            }
        }
    }

    #[test]
    fn user_names() {
        assert!(check_user_name("user").is_ok());
        assert!(check_user_name("base-url.v2_x").is_ok());
        assert_eq!(check_user_name(""), Err(NameError::Empty));
        assert_eq!(
            check_user_name("now"),
            Err(NameError::Reserved("now".into()))
        );
        assert!(matches!(
            check_user_name("env.X"),
            Err(NameError::Reserved(_))
        ));
        assert_eq!(
            check_user_name("a b"),
            Err(NameError::InvalidChar {
                name: "a b".into(),
                ch: ' ',
                position: 1
            })
        );
    }
}

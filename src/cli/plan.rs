//! Turns `connect`'s arguments into a checked plan, before any traffic: every bad argument
//! is a usage error that names the argument and says why.

use std::cell::RefCell;
use std::time::Duration;

use bytes::Bytes;
use clap::ArgMatches;

use super::args::ConnectArgs;
use super::decode_args::DecodePlan;
use super::template_args::{self, Expandable};
use crate::engine::DeflateSetting;
use crate::engine::close_code::{self, MAX_REASON_BYTES};
use crate::engine::oauth2::ClientCredentials;
use crate::engine::{
    Auth, ConnectionConfig, HeaderEntry, Keepalive, MissingPong, ReconnectDelay, ReconnectPolicy,
};
use crate::format::variables::{self, process_env};
use crate::format::{base64::parse_base64, hex::parse_hex};
use crate::model::cookie_jar::CookieJar;
use crate::model::redact::{self, Redactor};
use crate::model::template::{MessageFormat, Outgoing};
use crate::protocol::{ProtocolKind, ProtocolSettings};
use crate::secrets::SecretResolver;

impl From<Outgoing> for Action {
    fn from(outgoing: Outgoing) -> Self {
        match outgoing {
            Outgoing::Text(text) => Action::Text(text),
            Outgoing::Binary(bytes) => Action::Binary(bytes),
            Outgoing::Op(op) => Action::Op(op),
        }
    }
}

/// Something to do once the connection is open, in command-line order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send a text message.
    Text(String),
    /// Send a binary message.
    Binary(Bytes),
    /// Send a ping with this payload.
    Ping(Bytes),
    /// Send a protocol operation (`--op`), already checked against the protocol.
    Op(serde_json::Value),
    /// Send a text message once the script's variables are filled in (a `--send` text
    /// with a `{{name}}` only the run's script sets).
    Later(super::template_args::LaterText),
}

/// How long to listen after the last send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Close this long after the last send.
    For(Duration),
    /// Never close; wait for the server to.
    Forever,
}

/// A checked `connect` invocation.
#[derive(Debug)]
pub struct Plan {
    /// What to connect with.
    pub config: ConnectionConfig,
    /// What to send after open, in order.
    pub actions: Vec<Action>,
    /// The close code and reason to end with.
    pub close: (u16, String),
    /// How long to listen after the last send.
    pub wait: Wait,
    /// Echo received messages back.
    pub echo: bool,
    /// Send the lines of standard input as text messages.
    pub stdin: bool,
    /// Print a summary instead of a line per message.
    pub summary: bool,
    /// Whether and when to reconnect.
    pub reconnect: ReconnectPolicy,
    /// The run's secrets (Authorization-like and `--secret` headers, values read from the
    /// environment, URL passwords): every line printed and the `--record` file go through it.
    pub redactor: Redactor,
    /// How message payloads are decoded for the lines (`--decode`, `--proto`, `--message`).
    pub decode: DecodePlan,
    /// `--cookie-jar`: the file, and the jar read from it.
    pub cookie_jar: Option<(std::path::PathBuf, CookieJar)>,
    /// `--oauth2`: the client credentials a token is fetched with before a handshake.
    pub oauth2: Option<ClientCredentials>,
    /// `--fold`: the live state of the incoming messages.
    pub fold: Option<super::fold_args::FoldPlan>,
    /// `--script`: the script read (loaded when the run starts, before any traffic).
    pub script: Option<super::script_run::ScriptPlan>,
}

/// A usage error: one line for stderr that names the bad argument or file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

impl Plan {
    /// Checks `args`; `matches` gives the order in which the sends were written.
    pub fn from_args(args: &ConnectArgs, matches: &ArgMatches) -> Result<Self, UsageError> {
        let mut config = ConnectionConfig::new(&args.url);
        for line in &args.headers {
            let header = HeaderEntry::parse(line).map_err(|e| usage(format!("--header: {e}")))?;
            config.headers.push(header);
        }
        for pair in &args.query {
            let Some((name, value)) = pair.split_once('=') else {
                return Err(usage(format!("--query {pair:?}: expected NAME=VALUE")));
            };
            config.url = crate::format::query::append(&config.url, name, value);
        }
        if let Some(spec) = &args.auth {
            config.auth = Auth::parse(spec).map_err(|e| usage(format!("--auth: {e}")))?;
        }
        config.subprotocols = args.subprotocols.clone();
        config.handshake_timeout = Duration::from_millis(args.timeout);
        config.close_timeout = Duration::from_millis(args.close_timeout);
        config.max_message_size = args.max_message_size;
        config.deflate = DeflateSetting::parse(&args.deflate)
            .map_err(|e| usage(format!("--deflate {:?}: {e}", args.deflate)))?;
        config.tls = args.transport.tls();
        config.keepalive = args.keepalive.map(|interval| Keepalive {
            interval: Duration::from_millis(interval.max(1)),
            pong_timeout: Duration::from_millis(args.pong_timeout),
            on_missing_pong: if args.keepalive_close {
                MissingPong::Close
            } else {
                MissingPong::Warn
            },
        });
        config.proxy = args.transport.proxy();
        config.protocol = protocol_settings(args)?;
        // {{secret.NAME}} in the URL, header values, auth and client secret (the keychain's
        // values are secrets of the run, like everything read for a send).
        let secrets = SecretResolver::new(args.secrets_from_env);
        let found = RefCell::new(Redactor::new());
        let outside = secrets.lookup(&process_env);
        let lookup = redact::recording_env(&found, &outside);
        let with_secrets = |what: &str, text: &str| {
            variables::expand_secrets_only(text, &lookup)
                .map_err(|e| explain_secret(usage(format!("{what}: {e}")), &secrets))
        };
        config.url = with_secrets("the URL", &config.url)?;
        for header in &mut config.headers {
            header.value = with_secrets(&format!("--header {:?}", header.name), &header.value)?;
        }
        config.auth = config
            .auth
            .map_texts(|text, _| with_secrets("--auth", text))?;
        let client_secret = match &args.client_secret {
            Some(text) => with_secrets("--client-secret", text)?,
            None => String::new(),
        };
        config.prepare().map_err(|e| usage(e.to_string()))?;
        let decode = DecodePlan::from_args(args)?;
        let fold = super::fold_args::FoldPlan::from_args(&args.fold)?;
        let cookie_jar = match &args.cookie_jar {
            Some(path) => Some((
                path.clone(),
                CookieJar::load(path).map_err(|e| usage(format!("--cookie-jar {e}")))?,
            )),
            None => None,
        };
        let script = match &args.script.script {
            Some(file) => Some(
                super::script_run::ScriptPlan::read(
                    file,
                    args.script.run.limits(),
                    template_args::parse_vars(&args.vars)?.into_iter().collect(),
                    template_args::parse_allow_env(&args.allow_env)?,
                )
                .map(|mut script| {
                    script.junit = args.script.run.junit.clone();
                    script
                })
                .map_err(usage)?,
            ),
            None => None,
        };
        // A script that sets variables may fill in a `--send` text's `{{name}}` (when sent).
        let script_sets_vars = script
            .as_ref()
            .is_some_and(|script| script.source.contains("vars.set"));
        let actions = ordered_actions(args, matches, &found, &decode, &secrets, script_sets_vars)?;
        for action in &actions {
            if let Action::Op(op) = action {
                crate::protocol::check_op(&config.protocol, op)
                    .map_err(|e| usage(format!("--op {op}: {e}")))?;
            }
        }
        let mut redactor = found.take();
        for secret in &args.secrets {
            if let Some((name, _)) = secret.split_once('=') {
                redactor.add_secret_name(name);
            }
        }
        redactor.add_config(&config, &[]);
        let oauth2 = args.oauth2.as_ref().map(|token_url| ClientCredentials {
            token_url: token_url.clone(),
            client_id: args.client_id.clone().unwrap_or_default(),
            client_secret: client_secret.clone(),
            scope: args.scope.clone().unwrap_or_default(),
        });
        if let Some(credentials) = &oauth2 {
            redactor.add_value(&credentials.client_secret);
            redactor.add_value(&crate::format::query::encode(&credentials.client_secret));
        }
        Ok(Self {
            config,
            actions,
            close: parse_close(&args.close)?,
            wait: parse_wait(&args.wait)?,
            echo: args.echo,
            stdin: args.stdin,
            summary: args.summary,
            reconnect: reconnect_policy(args),
            redactor,
            decode,
            cookie_jar,
            oauth2,
            fold,
            script,
        })
    }
}

/// The sends in command-line order; every value read from the environment is remembered in
/// `found` (a secret of the run).
fn ordered_actions(
    args: &ConnectArgs,
    matches: &ArgMatches,
    found: &RefCell<Redactor>,
    decode: &DecodePlan,
    secrets: &SecretResolver,
    script_sets_vars: bool,
) -> Result<Vec<Action>, UsageError> {
    let mut indexed: Vec<(usize, Action)> = Vec::new();
    let positions = |id: &str| -> Vec<usize> {
        matches
            .indices_of(id)
            .map(Iterator::collect)
            .unwrap_or_default()
    };
    let mut user = match &args.env_file {
        Some(path) => template_args::load_env_file(path, found)?,
        None => Vec::new(),
    };
    user.extend(template_args::parse_vars(&args.vars)?);
    let mut expandable = Vec::new();
    for (index, text) in positions("send").into_iter().zip(&args.send) {
        expandable.push((index, Expandable::Text(text.clone())));
    }
    let encoded = [
        (
            "send_msgpack",
            "--send-msgpack",
            MessageFormat::Msgpack,
            &args.send_msgpack,
        ),
        (
            "send_cbor",
            "--send-cbor",
            MessageFormat::Cbor,
            &args.send_cbor,
        ),
        (
            "send_protobuf",
            "--send-protobuf",
            MessageFormat::Protobuf,
            &args.send_protobuf,
        ),
        (
            "send_gzip",
            "--send-gzip",
            MessageFormat::Gzip,
            &args.send_gzip,
        ),
        (
            "send_zlib",
            "--send-zlib",
            MessageFormat::Zlib,
            &args.send_zlib,
        ),
        (
            "send_deflate",
            "--send-deflate",
            MessageFormat::Deflate,
            &args.send_deflate,
        ),
    ];
    for (id, flag, format, texts) in encoded {
        for (index, text) in positions(id).into_iter().zip(texts) {
            let text = text.clone();
            expandable.push((index, Expandable::Encoded { flag, format, text }));
        }
    }
    for (index, text) in positions("ops").into_iter().zip(&args.ops) {
        expandable.push((index, Expandable::Op(text.clone())));
    }
    let templates = template_args::load_templates(&args.templates)?;
    for ((index, arg), template) in positions("templates")
        .into_iter()
        .zip(&args.templates)
        .zip(templates)
    {
        let arg = arg.clone();
        expandable.push((index, Expandable::Template { arg, template }));
    }
    let mut allowed_env = template_args::parse_allow_env(&args.allow_env)?;
    allowed_env.extend(template_args::parse_allow_secret(&args.allow_secret)?);
    let outside = secrets.lookup(&process_env);
    let env = redact::recording_env(found, &outside);
    let expanded = template_args::expand_in_order(
        expandable,
        &user,
        &env,
        &allowed_env,
        decode,
        script_sets_vars,
    )
    .map_err(|error| explain_secret(error, secrets))?;
    indexed.extend(expanded);
    for (index, hex) in positions("send_hex").into_iter().zip(&args.send_hex) {
        let bytes = parse_hex(hex).map_err(|e| usage(format!("--send-hex {hex:?}: {e}")))?;
        indexed.push((index, Action::Binary(bytes.into())));
    }
    for (index, b64) in positions("send_base64").into_iter().zip(&args.send_base64) {
        let bytes = parse_base64(b64).map_err(|e| usage(format!("--send-base64 {b64:?}: {e}")))?;
        indexed.push((index, Action::Binary(bytes.into())));
    }
    for (index, path) in positions("send_file").into_iter().zip(&args.send_file) {
        let bytes = std::fs::read(path)
            .map_err(|e| usage(format!("--send-file {}: {e}", path.display())))?;
        indexed.push((index, Action::Binary(bytes.into())));
    }
    for (index, hex) in positions("ping").into_iter().zip(&args.ping) {
        let bytes = parse_hex(hex).map_err(|e| usage(format!("--ping {hex:?}: {e}")))?;
        if bytes.len() > 125 {
            return Err(usage(format!(
                "--ping: the payload is {} bytes; at most 125 fit in a ping",
                bytes.len()
            )));
        }
        indexed.push((index, Action::Ping(bytes.into())));
    }
    indexed.sort_by_key(|(index, _)| *index);
    Ok(indexed.into_iter().map(|(_, action)| action).collect())
}

/// A usage error about a secret that was not available, with why (no keychain, not in it)
/// and what to do; other errors as they are.
pub fn explain_secret(error: UsageError, secrets: &SecretResolver) -> UsageError {
    match secrets.first_failure() {
        Some(failure) if error.0.contains("is not available") => {
            let hint = if failure.needs_fallback_consent() {
                " (pass --secrets-from-env to allow it)"
            } else {
                ""
            };
            UsageError(format!("{}: {failure}{hint}", error.0))
        }
        _ => error,
    }
}

/// `--protocol` and its `--protocol-option`s.
fn protocol_settings(args: &ConnectArgs) -> Result<ProtocolSettings, UsageError> {
    let kind: ProtocolKind = args
        .protocol
        .parse()
        .map_err(|e| usage(format!("--protocol: {e}")))?;
    let mut settings = ProtocolSettings::new(kind);
    for pair in &args.protocol_options {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(usage(format!(
                "--protocol-option {pair:?}: expected KEY=VALUE"
            )));
        };
        settings
            .set_option(key, value)
            .map_err(|e| usage(format!("--protocol-option {pair:?}: {e}")))?;
    }
    if !args.ops.is_empty() && kind == ProtocolKind::Raw {
        return Err(usage(
            "--op needs a --protocol (socketio, graphql, stomp, mqtt or jsonrpc)",
        ));
    }
    Ok(settings)
}

fn reconnect_policy(args: &ConnectArgs) -> ReconnectPolicy {
    let Some(max_reconnects) = args.reconnect else {
        return ReconnectPolicy::default();
    };
    let delay = Duration::from_millis(args.reconnect_delay);
    ReconnectPolicy {
        delay: if args.backoff {
            ReconnectDelay::Backoff {
                initial: delay,
                max: delay.max(Duration::from_millis(args.backoff_max)),
            }
        } else {
            ReconnectDelay::Fixed(delay)
        },
        max_reconnects,
    }
}

/// Parses `CODE[:REASON]` and checks that the code may be sent and the reason fits.
pub fn parse_close(value: &str) -> Result<(u16, String), UsageError> {
    let (code, reason) = value.split_once(':').unwrap_or((value, ""));
    let code: u16 = code.trim().parse().map_err(|_| {
        usage(format!(
            "--close {value:?}: {code:?} is not a close code (a number such as 1000)"
        ))
    })?;
    close_code::check_sendable(code).map_err(|e| usage(format!("--close: {e}")))?;
    if reason.len() > MAX_REASON_BYTES {
        return Err(usage(format!(
            "--close: the reason is {} bytes; at most {MAX_REASON_BYTES} fit in a close frame",
            reason.len()
        )));
    }
    Ok((code, reason.to_owned()))
}

/// Parses `--wait`: milliseconds or `inf`.
pub fn parse_wait(value: &str) -> Result<Wait, UsageError> {
    if value.eq_ignore_ascii_case("inf") {
        return Ok(Wait::Forever);
    }
    value
        .parse()
        .map(|ms| Wait::For(Duration::from_millis(ms)))
        .map_err(|_| {
            usage(format!(
                "--wait {value:?}: expected milliseconds or \"inf\""
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_argument() {
        assert_eq!(parse_close("1000").unwrap(), (1000, String::new()));
        assert_eq!(
            parse_close("4001:bye: now").unwrap(),
            (4001, "bye: now".into())
        );
        assert!(
            parse_close("1005")
                .unwrap_err()
                .to_string()
                .contains("must not be sent")
        );
        assert!(
            parse_close("abc")
                .unwrap_err()
                .to_string()
                .contains("not a close code")
        );
        assert!(parse_close(&format!("1000:{}", "x".repeat(124))).is_err());
    }

    #[test]
    fn wait_argument() {
        assert_eq!(parse_wait("0").unwrap(), Wait::For(Duration::ZERO));
        assert_eq!(
            parse_wait("1500").unwrap(),
            Wait::For(Duration::from_millis(1500))
        );
        assert_eq!(parse_wait("inf").unwrap(), Wait::Forever);
        assert!(parse_wait("soon").is_err());
    }
}

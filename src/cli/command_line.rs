//! A tab's connection as a `sockscope` command line, as a browser's "Copy as cURL" does for
//! a request: the same URL, headers, subprotocols, limits, TLS, proxy, keepalive and
//! reconnects, listening until the server closes. Quoted for a POSIX shell.
//!
//! `{{variables}}` in the URL and header values are expanded as a connect would expand
//! them, except `{{env.NAME}}` and secret headers, which stay references to the
//! environment (`"${NAME}"`), so no secret is copied: an Authorization-like header typed
//! into the tab, and the password of the URL's or the proxy's userinfo, are copied as
//! [`redact::MARKER`].
//!
//! Everything else is data to the shell: single-quoted, `'` written as `'\''`. A name put
//! inside `"${…}"` is always a valid environment variable name (`[A-Za-z_][A-Za-z0-9_]*`);
//! any other name, or a NUL anywhere, means no line at all ([`CommandLineError`]).

use std::time::Duration;

use super::args::{
    DEFAULT_BACKOFF_MAX_MS, DEFAULT_CLOSE_TIMEOUT_MS, DEFAULT_MAX_MESSAGE_BYTES,
    DEFAULT_PONG_TIMEOUT_MS, DEFAULT_TIMEOUT_MS,
};
use crate::engine::proxy::ProxyMode;
use crate::engine::{ConnectionConfig, Keepalive, MissingPong, ReconnectDelay};
use crate::format::variables::{EnvNameError, EnvPolicy, check_env_name};
use crate::model::redact;
use crate::model::session::{ResolveError, SecretHeader, resolve_config};

/// Why a tab cannot be copied as a command line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandLineError {
    /// A variable cannot be expanded (unknown, or an invalid `{{env.NAME}}`).
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// A secret header's environment variable name is not a valid name.
    #[error("secret header {header:?}: {error}")]
    SecretEnvName {
        /// The header.
        header: String,
        /// What is wrong with its name.
        error: EnvNameError,
    },
    /// A URL, header or variable holds NUL, which no command-line argument can carry.
    #[error("{0} contains NUL, which a command line cannot carry")]
    Nul(String),
}

/// Which command: a WebSocket connection or a Server-Sent Events stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    /// `sockscope connect`.
    Connect,
    /// `sockscope sse`.
    Sse,
}

/// Marks an environment reference inside an expanded value: NUL cannot occur in a URL or
/// a header value, so it cannot be confused with text.
const ENV_MARK: char = '\0';

/// The command line that connects as `config` does. `user` are the tab's variables;
/// `secrets` name the headers whose values come from the environment.
pub fn command_line(
    kind: CommandKind,
    config: &ConnectionConfig,
    user: &[(String, String)],
    secrets: &[SecretHeader],
) -> Result<String, CommandLineError> {
    check_no_nul(config, user)?;
    for secret in secrets {
        check_env_name(&secret.env).map_err(|error| CommandLineError::SecretEnvName {
            header: secret.name.clone(),
            error,
        })?;
    }
    // Nothing is read from the environment: each reference stays a reference, its name
    // checked by the expansion (an invalid one is an error).
    // A keychain secret stays {{secret.NAME}}, which `connect` reads from the keychain.
    let env = |name: &str| match name.strip_prefix(crate::format::variables::SECRET_PREFIX) {
        Some(secret) if check_env_name(secret).is_ok() => Some(format!("{{{{{name}}}}}")),
        _ => Some(format!("{ENV_MARK}{name}{ENV_MARK}")),
    };
    let resolved = resolve_config(config, user, &env, EnvPolicy::Any)?;
    let mut words: Vec<String> = vec!["sockscope".into()];
    words.push(match kind {
        CommandKind::Connect => "connect".into(),
        CommandKind::Sse => "sse".into(),
    });
    words.push(quote(&redact::hide_passwords(resolved.url.trim())));
    for header in resolved.headers.iter().filter(|h| h.enabled) {
        let secret = secrets
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(header.name.trim()));
        let value = match secret {
            Some(secret) => format!("{ENV_MARK}{}{ENV_MARK}", secret.env),
            // A credential typed into the tab is not copied (one from the environment is).
            None if redact::is_sensitive_header(&header.name) && !referenced(&header.value) => {
                redact::MARKER.to_owned()
            }
            None => header.value.clone(),
        };
        words.push("-H".into());
        words.push(quote(&format!("{}: {value}", header.name.trim())));
    }
    if kind == CommandKind::Connect {
        // A typed password, token or key is not copied (one from the environment is).
        let auth = resolved.auth.map(|text, secret| {
            if secret && !referenced(text) {
                redact::MARKER.to_owned()
            } else {
                text.to_owned()
            }
        });
        for (index, word) in auth.to_flags().into_iter().enumerate() {
            // Flags as they are; their values quoted.
            words.push(if index % 2 == 0 { word } else { quote(&word) });
        }
        for protocol in &resolved.subprotocols {
            words.push("-p".into());
            words.push(quote(protocol));
        }
    }
    // A flag only where the value differs from what the command uses without it.
    if resolved.handshake_timeout != Duration::from_millis(DEFAULT_TIMEOUT_MS) {
        flag(&mut words, "--timeout", millis(resolved.handshake_timeout));
    }
    match kind {
        CommandKind::Connect => connect_flags(&mut words, &resolved),
        CommandKind::Sse if resolved.max_message_size != DEFAULT_MAX_MESSAGE_BYTES => {
            flag(&mut words, "--max-event-size", resolved.max_message_size);
        }
        CommandKind::Sse => {}
    }
    transport_flags(&mut words, &resolved);
    if kind == CommandKind::Connect {
        // A tab listens until the server closes or the user disconnects (Ctrl+C here).
        flag(&mut words, "--wait", "inf");
    }
    Ok(words.join(" "))
}

/// Refuses NUL in what goes on the line: it cannot be passed as an argument, and it marks
/// environment references here.
fn check_no_nul(
    config: &ConnectionConfig,
    user: &[(String, String)],
) -> Result<(), CommandLineError> {
    let nul = |what: String| Err(CommandLineError::Nul(what));
    if config.url.contains(ENV_MARK) {
        return nul("the URL".into());
    }
    for header in config.headers.iter().filter(|h| h.enabled) {
        if header.name.contains(ENV_MARK) || header.value.contains(ENV_MARK) {
            return nul(format!("header {:?}", header.name));
        }
    }
    if let Some((name, _)) = user.iter().find(|(_, value)| value.contains(ENV_MARK)) {
        return nul(format!("variable {name:?}"));
    }
    if config
        .auth
        .texts()
        .iter()
        .any(|text| text.contains(ENV_MARK))
    {
        return nul("the auth settings".into());
    }
    let paths = [
        &config.tls.ca_file,
        &config.tls.client_cert,
        &config.tls.client_key,
    ];
    if paths
        .into_iter()
        .flatten()
        .any(|path| path.to_string_lossy().contains(ENV_MARK))
    {
        return nul("a TLS file path".into());
    }
    if let ProxyMode::Url(url) = &config.proxy
        && url.contains(ENV_MARK)
    {
        return nul("the proxy URL".into());
    }
    if let Some(protocol) = config.subprotocols.iter().find(|p| p.contains(ENV_MARK)) {
        return nul(format!("subprotocol {protocol:?}"));
    }
    Ok(())
}

fn connect_flags(words: &mut Vec<String>, config: &ConnectionConfig) {
    if config.close_timeout != Duration::from_millis(DEFAULT_CLOSE_TIMEOUT_MS) {
        flag(words, "--close-timeout", millis(config.close_timeout));
    }
    if config.max_message_size != DEFAULT_MAX_MESSAGE_BYTES {
        flag(words, "--max-message-size", config.max_message_size);
    }
    if !config.deflate.is_default() {
        flag(words, "--deflate", config.deflate.to_flag_value());
    }
    if let Some(Keepalive {
        interval,
        pong_timeout,
        on_missing_pong,
    }) = &config.keepalive
    {
        flag(words, "--keepalive", millis(*interval));
        if *pong_timeout != Duration::from_millis(DEFAULT_PONG_TIMEOUT_MS) {
            flag(words, "--pong-timeout", millis(*pong_timeout));
        }
        if *on_missing_pong == MissingPong::Close {
            words.push("--keepalive-close".into());
        }
    }
    match config.reconnect.delay {
        ReconnectDelay::Off => {}
        ReconnectDelay::Fixed(delay) => {
            flag(words, "--reconnect", config.reconnect.max_reconnects);
            flag(words, "--reconnect-delay", millis(delay));
        }
        ReconnectDelay::Backoff { initial, max } => {
            flag(words, "--reconnect", config.reconnect.max_reconnects);
            flag(words, "--reconnect-delay", millis(initial));
            words.push("--backoff".into());
            if max != Duration::from_millis(DEFAULT_BACKOFF_MAX_MS) {
                flag(words, "--backoff-max", millis(max));
            }
        }
    }
}

fn transport_flags(words: &mut Vec<String>, config: &ConnectionConfig) {
    let tls = &config.tls;
    if tls.accept_invalid_certs {
        words.push("--insecure".into());
    }
    for (name, path) in [
        ("--ca", &tls.ca_file),
        ("--pin-cert", &tls.pinned_cert),
        ("--cert", &tls.client_cert),
        ("--key", &tls.client_key),
    ] {
        if let Some(path) = path {
            words.push(name.into());
            words.push(quote(&path.display().to_string()));
        }
    }
    match &config.proxy {
        ProxyMode::FromEnvironment => {}
        ProxyMode::Direct => words.push("--no-proxy".into()),
        ProxyMode::Url(url) => {
            words.push("--proxy".into());
            words.push(quote(&redact::hide_passwords(url)));
        }
    }
}

fn flag(words: &mut Vec<String>, name: &str, value: impl ToString) {
    words.push(name.into());
    words.push(quote(&value.to_string()));
}

fn millis(duration: Duration) -> u128 {
    duration.as_millis()
}

/// True when `text` holds a reference (to the environment or the keychain), not a typed
/// credential.
fn referenced(text: &str) -> bool {
    text.contains(ENV_MARK) || text.contains("{{secret.")
}

/// `text` as one shell word: bare when it is plain, else in single quotes, with each
/// environment reference (a valid name between NUL marks) as `"${NAME}"` (adjacent quoted
/// parts make one word); a marked part that is not a valid name is quoted as data.
pub fn quote(text: &str) -> String {
    let plain = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c))
    };
    if plain(text) {
        return text.to_owned();
    }
    let mut word = String::new();
    for (i, part) in text.split(ENV_MARK).enumerate() {
        // Only a valid name goes inside "${…}"; anything else stays quoted data.
        if i % 2 == 1 && check_env_name(part).is_ok() {
            word.push_str(&format!("\"${{{part}}}\""));
        } else if !part.is_empty() {
            word.push('\'');
            word.push_str(&part.replace('\'', r"'\''"));
            word.push('\'');
        }
    }
    if word.is_empty() {
        word.push_str("''");
    }
    word
}

#[cfg(test)]
mod tests {

    #[test]
    fn auth_is_copied_as_a_flag_without_typed_secrets() {
        let mut config = ConnectionConfig::new("ws://h/");
        config.auth = crate::engine::Auth::Basic {
            user: "ada".into(),
            password: "typed-secret".into(),
        };
        let line = command_line(CommandKind::Connect, &config, &[], &[]).unwrap();
        assert!(line.contains("--auth 'basic:ada:[redacted]'"), "{line}");
        config.auth = crate::engine::Auth::parse("bearer:{{env.API_TOKEN}}").unwrap();
        let line = command_line(CommandKind::Connect, &config, &[], &[]).unwrap();
        assert!(line.contains("--auth 'bearer:'\"${API_TOKEN}\""), "{line}");
        // A keychain secret stays a reference that `connect` reads from the keychain.
        config.auth = crate::engine::Auth::parse("bearer:{{secret.API_TOKEN}}").unwrap();
        config.headers.push(HeaderEntry::new(
            "Authorization",
            "Bearer {{secret.API_TOKEN}}",
        ));
        let line = command_line(CommandKind::Connect, &config, &[], &[]).unwrap();
        assert!(
            line.contains("--auth 'bearer:{{secret.API_TOKEN}}'"),
            "{line}"
        );
        assert!(
            line.contains("-H 'Authorization: Bearer {{secret.API_TOKEN}}'"),
            "{line}"
        );
    }

    use std::path::PathBuf;

    use super::*;
    use crate::engine::{HeaderEntry, ReconnectPolicy, TlsOptions};

    #[test]
    fn plain_words_stay_bare_and_others_are_single_quoted() {
        assert_eq!(
            quote("ws://127.0.0.1:9001/echo"),
            "ws://127.0.0.1:9001/echo"
        );
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME `x` \\ !"), r"'$HOME `x` \ !'");
        assert_eq!(quote(""), "''");
        assert_eq!(
            quote("Authorization: Bearer \0TOKEN\0"),
            r#"'Authorization: Bearer '"${TOKEN}""#
        );
        assert_eq!(quote("\0A\0\0B\0"), r#""${A}""${B}""#);
        assert_eq!(quote("\0$(id)\0"), "'$(id)'");
    }

    #[test]
    fn a_default_tab_is_the_url_listening_until_the_server_closes() {
        let config = ConnectionConfig::new("ws://127.0.0.1:9001/echo");
        let line = command_line(CommandKind::Connect, &config, &[], &[]).unwrap();
        assert_eq!(
            line,
            "sockscope connect ws://127.0.0.1:9001/echo --wait inf"
        );
    }

    #[test]
    fn every_setting_that_differs_from_the_default_becomes_a_flag() {
        let mut config = ConnectionConfig::new("wss://example.test/{{room}}?v=1&x=y");
        config.headers = vec![
            HeaderEntry::new("X-Room", "{{room}}"),
            HeaderEntry::new("Authorization", "Bearer s3cret"),
            HeaderEntry::new("X-Token", "{{env.TOKEN}}"),
            HeaderEntry {
                enabled: false,
                ..HeaderEntry::new("X-Off", "never")
            },
        ];
        config.subprotocols = vec!["graphql-ws".into()];
        config.handshake_timeout = Duration::from_millis(2500);
        config.close_timeout = Duration::from_secs(1);
        config.max_message_size = 1024;
        config.tls = TlsOptions {
            ca_file: Some(PathBuf::from("/etc/my ca.pem")),
            pinned_cert: None,
            accept_invalid_certs: true,
            client_cert: None,
            client_key: None,
        };
        config.proxy = ProxyMode::Url("socks5h://127.0.0.1:1080".into());
        config.keepalive = Some(Keepalive {
            interval: Duration::from_secs(15),
            pong_timeout: Duration::from_secs(3),
            on_missing_pong: MissingPong::Close,
        });
        config.reconnect = ReconnectPolicy {
            delay: ReconnectDelay::Backoff {
                initial: Duration::from_millis(500),
                max: Duration::from_secs(60),
            },
            max_reconnects: 0,
        };
        let user = [("room".to_owned(), "lobby 1".to_owned())];
        let secrets = [SecretHeader::new("authorization", "API_TOKEN")];
        let line = command_line(CommandKind::Connect, &config, &user, &secrets).unwrap();
        assert_eq!(
            line,
            "sockscope connect 'wss://example.test/lobby 1?v=1&x=y' \
             -H 'X-Room: lobby 1' \
             -H 'Authorization: '\"${API_TOKEN}\" \
             -H 'X-Token: '\"${TOKEN}\" \
             -p graphql-ws --timeout 2500 --close-timeout 1000 --max-message-size 1024 \
             --keepalive 15000 --pong-timeout 3000 --keepalive-close \
             --reconnect 0 --reconnect-delay 500 --backoff --backoff-max 60000 \
             --insecure --ca '/etc/my ca.pem' --proxy socks5h://127.0.0.1:1080 --wait inf"
        );
        assert!(
            !line.contains("s3cret"),
            "a secret header's value is never copied"
        );
        assert!(!line.contains("X-Off"), "disabled headers are not sent");
    }

    #[test]
    fn an_sse_tab_becomes_sockscope_sse() {
        let mut config = ConnectionConfig::new("http://127.0.0.1:9001/sse");
        config.headers = vec![HeaderEntry::new("Accept-Language", "en")];
        config.proxy = ProxyMode::Direct;
        config.max_message_size = 4096;
        config.subprotocols = vec!["ignored".into()];
        let line = command_line(CommandKind::Sse, &config, &[], &[]).unwrap();
        assert_eq!(
            line,
            "sockscope sse http://127.0.0.1:9001/sse -H 'Accept-Language: en' \
             --max-event-size 4096 --no-proxy"
        );
    }

    #[test]
    fn a_deflate_setting_other_than_on_becomes_the_flag() {
        let mut config = ConnectionConfig::new("ws://h/");
        let line = command_line(CommandKind::Connect, &config, &[], &[]).unwrap();
        assert!(!line.contains("--deflate"), "{line}");
        config.deflate = crate::engine::DeflateSetting::Off;
        let line = command_line(CommandKind::Connect, &config, &[], &[]).unwrap();
        assert!(line.contains("--deflate off"), "{line}");
        config.deflate = crate::engine::DeflateSetting::Params("client_max_window_bits=10".into());
        let line = command_line(CommandKind::Connect, &config, &[], &[]).unwrap();
        assert!(
            line.contains("--deflate client_max_window_bits=10"),
            "{line}"
        );
    }

    #[test]
    fn an_unknown_variable_is_the_same_error_as_at_connect() {
        let config = ConnectionConfig::new("ws://h/{{nope}}");
        let error = command_line(CommandKind::Connect, &config, &[], &[]).unwrap_err();
        assert!(error.to_string().contains("nope"), "{error}");
    }
}

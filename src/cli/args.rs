//! The command line's grammar (clap). `sockscope --help` is generated from these comments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::engine::TlsOptions;
use crate::engine::proxy::ProxyMode;

/// `--timeout`'s default (connect and sse), in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// `connect --close-timeout`'s default, in milliseconds.
pub const DEFAULT_CLOSE_TIMEOUT_MS: u64 = 5_000;
/// `connect --pong-timeout`'s default, in milliseconds.
pub const DEFAULT_PONG_TIMEOUT_MS: u64 = 10_000;
/// `connect --backoff-max`'s default, in milliseconds.
pub const DEFAULT_BACKOFF_MAX_MS: u64 = 30_000;
/// `connect --max-message-size`'s and `sse --max-event-size`'s default, in bytes.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 << 20;
/// Payload MiB that `connect --record` and `replay` keep unless told: the window's default.
pub const DEFAULT_MEMORY_BUDGET_MIB: u64 =
    (crate::model::memory_budget::DEFAULT_LIMIT >> 20) as u64;

/// Sockscope: a WebSocket inspector. With no command it opens the window.
#[derive(Debug, Parser)]
#[command(
    name = "sockscope",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do; without one, the window opens.
    #[command(subcommand)]
    pub command: Option<CliCommand>,
    /// Open the window with a tab on this URL (instead of the demo server's /echo).
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// Do not start the embedded demo server with the window.
    #[arg(long)]
    pub no_demo_server: bool,
}

/// The headless faces of Sockscope.
#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Connect to a WebSocket server and print every event as one JSON object per line.
    ///
    /// Exit status: 0 when the connection opened and ended with a clean close; 1 when it
    /// failed or ended uncleanly; 2 for a usage error (bad URL, bad hex, forbidden close
    /// code, unreadable input file, a --script that does not compile, ...); 3 with --script
    /// when a test failed or the script had an error.
    #[command(after_help = CONNECT_EXAMPLES)]
    Connect(Box<ConnectArgs>),
    /// Run the embedded demo server; its first line is `listening on ws://ADDR`.
    #[command(after_help = SERVE_PATHS)]
    Serve(ServeArgs),
    /// Stand between WebSocket clients and their server: relay both ways byte for byte and
    /// print both legs' events; the first line is `listening on ws://ADDR`.
    ///
    /// Each client's path, query, subprotocol offer and headers (Origin, Cookie,
    /// Authorization, ...) go to the upstream; its answer (a refusal with its body too) goes
    /// back. Lines are `connect`'s plus "conn" (1, 2, ... per client) and "leg" ("client" or
    /// "upstream"). Runs until Ctrl+C or SIGTERM (exit status 0).
    Proxy(super::proxy_args::ProxyArgs),
    /// Run a mock WebSocket server: print each client's handshake request and events, and
    /// answer by `--rules`; the first line is `listening on ws://ADDR`.
    ///
    /// Lines are `connect`'s plus "conn" (1, 2, ... per client), after a `request` line
    /// per client (path, headers, offered subprotocols). Runs until Ctrl+C or SIGTERM,
    /// which close every client with 1001 (exit status 0); a bad rules file exits 2.
    Listen(super::listen_args::ListenArgs),
    /// Replay a recorded session tab and compare what arrives with what was recorded.
    ///
    /// Connects with the tab's recorded config, re-sends its outgoing messages at their
    /// recorded times, prints the new run's events as JSON lines like `connect`, then one
    /// `{"event":"replay-summary",...}` line. Exit status: 0 when everything matched, 3 when
    /// not, 1 when the connection failed, 2 when the file cannot be read (path:line:col on
    /// stderr) or an argument is bad.
    #[command(after_help = REPLAY_EXAMPLES)]
    Replay(ReplayArgs),
    /// Import a HAR file saved by Chrome or Firefox DevTools as a session (one tab per
    /// WebSocket entry).
    ImportHar(ImportHarArgs),
    /// Export a session's timelines as HAR 1.2 with Chrome's `_webSocketMessages`.
    ExportHar(ExportHarArgs),
    /// Subscribe to a Server-Sent Events stream, as a browser's EventSource does, and print
    /// every event as one JSON object per line.
    ///
    /// Reconnects after the server's `retry` (3 s until one comes) when the stream ends or
    /// breaks, sending Last-Event-ID. Ends when the server answers 204, when it fails the
    /// stream (a status other than 200, a Content-Type other than text/event-stream), after
    /// --max-events or --max-reconnects, or on Ctrl+C. Exit status: 0 for a normal end (204,
    /// --max-events reached, Ctrl+C); 1 when the stream failed or gave up; 2 for a usage
    /// error (bad URL, bad header, ...).
    #[command(after_help = SSE_EXAMPLES)]
    Sse(SseArgs),
    /// Store, list or delete secrets in the OS keychain, for {{secret.NAME}} references.
    ///
    /// Exit status: 0 done; 1 no keychain is available, or it failed (the message says
    /// why); 2 a usage error (bad name, no value on standard input).
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Run the scripts of a session file: every tab that has one connects, runs it, and
    /// prints `connect`'s lines with its `test`, `log` and script `error` lines (each with
    /// "tab").
    ///
    /// Exit status: 0 when every test passed; 3 when a test failed or a script had an error;
    /// 1 when a connection failed; 2 when the file cannot be read, a script does not compile
    /// (FILE:LINE:COLUMN on stderr) or no tab has a script.
    #[command(after_help = TEST_EXAMPLES)]
    Test(super::script_args::TestArgs),
}

const TEST_EXAMPLES: &str = "\
Lines besides connect's:
  test {name, passed, message, time_ms}   log {text}   error {category: \"script\", message}

Examples:
  sockscope test saved_sessions/login-subscribe.session.ron --url ws://127.0.0.1:9001/login
  sockscope connect ws://127.0.0.1:9001/echo --script checks.js --junit report.xml";

/// `sockscope secret set|list|delete`: secrets in the OS keychain (service `sockscope`).
#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Store secret NAME; its value is read from standard input (never from the command
    /// line), one trailing newline dropped. Prints {"event":"secret-set","name":NAME}.
    Set {
        /// The secret's name: letters, digits and _, not starting with a digit.
        name: String,
    },
    /// Print the names of the stored secrets, one {"event":"secret","name":NAME} line each
    /// (never their values).
    List,
    /// Delete secret NAME. Prints {"event":"secret-deleted","name":NAME}.
    Delete {
        /// The secret's name.
        name: String,
    },
}

const SSE_EXAMPLES: &str = "\
Events (one JSON object per line, in order; \"attempt\" counts reconnects from 1):
  connecting {url}    open {status, headers, request_headers}
  sse {type, data, id, last_event_id[, retry]}   (type: the event name, or message)
  sse-comment {text}  (only with --show-comments; comments are always counted)
  error {category, message[, status, headers, body]}    close {code, reason, was_clean, initiator}
  reconnecting {attempt, delay_ms, last_event_id}   (before each reconnect's connecting)
  summary {attempts, events, comments, last_event_id, reconnection_time_ms, end}   (last)

Examples:
  sockscope sse http://127.0.0.1:9001/sse --max-events 7
  sockscope sse http://127.0.0.1:9001/sse?count=12
  sockscope sse https://api.example/stream -H 'Authorization: Bearer abc' --last-event-id 41";

/// `sockscope sse URL [options]`.
#[derive(Debug, Args)]
pub struct SseArgs {
    /// http:// or https:// URL of the event stream.
    pub url: String,
    /// A request header "Name: value" (repeatable); one named like a default (Accept,
    /// Cache-Control, Last-Event-ID, User-Agent) replaces it.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// A query parameter appended to the URL (repeatable), percent-encoded, as `connect`
    /// does.
    #[arg(long = "query", value_name = "NAME=VALUE")]
    pub query: Vec<String>,
    /// Authenticate every request: basic:USER:PASS, bearer:TOKEN, header:NAME:VALUE or
    /// query:NAME:VALUE, as `connect` does; the values are redacted in every line.
    #[arg(long = "auth", value_name = "KIND:VALUE")]
    pub auth: Option<String>,
    /// The Last-Event-ID to send on the first request (later ones send the stream's own).
    #[arg(long = "last-event-id", value_name = "ID")]
    pub last_event_id: Option<String>,
    /// Close the stream after this many events (over all reconnects); exit 0.
    #[arg(long = "max-events", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_events: Option<u64>,
    /// Give up after this many reconnects (exit 1); without it, reconnect for ever.
    #[arg(long = "max-reconnects", value_name = "N")]
    pub max_reconnects: Option<u32>,
    /// How long DNS, TCP, TLS and the response's status and headers may take, in ms.
    #[arg(long = "timeout", value_name = "MS", default_value_t = DEFAULT_TIMEOUT_MS)]
    pub timeout: u64,
    /// The reconnection time until the server sends `retry`, in ms.
    #[arg(long = "retry", value_name = "MS", default_value_t = 3_000)]
    pub retry: u64,
    /// Print comment lines (keep-alives) as sse-comment lines.
    #[arg(long = "show-comments")]
    pub show_comments: bool,
    /// The largest line or event data accepted, in bytes; a larger one fails the stream.
    #[arg(long = "max-event-size", value_name = "BYTES", default_value_t = DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_event_size: usize,
    /// TLS and proxy settings.
    #[command(flatten)]
    pub transport: TransportArgs,
}

const REPLAY_EXAMPLES: &str = "\
Summary line:
  {\"event\":\"replay-summary\",\"expected\":N,\"matched\":M,\"different\":D,\"missing\":X,
   \"unexpected\":U,\"close_matches\":true|false|null,\"differences\":[...],...}
  expected counts the recorded incoming messages; close_matches is null when the recording
  has no close (a HAR import).

Examples:
  sockscope connect ws://127.0.0.1:9001/echo --send hello --record echo.session.ron
  sockscope replay echo.session.ron --fast
  sockscope replay saved_sessions/ticker.session.ron --url ws://127.0.0.1:9001/json?count=3 \\
      --ignore '$.timestamp'";

/// `sockscope replay FILE.ron [options]`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The session file.
    #[arg(value_name = "FILE.ron")]
    pub file: PathBuf,
    /// Which tab to replay: its number (from 1) or its name.
    #[arg(long, value_name = "N", default_value = "1")]
    pub tab: String,
    /// Connect to this URL instead of the recorded one.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// For a proxy recording (`proxy --record`): whose sends are played against the real
    /// server, `client` (what the client sent; the default) or `upstream` (what the proxy
    /// passed on, intercept edits and injections included). Either way the replay expects
    /// what the server sent on the upstream leg.
    #[arg(long, value_name = "client|upstream", value_parser = ["client", "upstream"])]
    pub leg: Option<String>,
    /// Replay speed: recorded times are divided by X (1 = real time, 10 = ten times faster).
    #[arg(
        long,
        value_name = "X",
        default_value_t = 1.0,
        conflicts_with = "fast",
        allow_negative_numbers = true
    )]
    pub speed: f64,
    /// Send everything at once instead of at the recorded times.
    #[arg(long)]
    pub fast: bool,
    /// A JSON path to leave out when comparing JSON messages, e.g. `$.timestamp`,
    /// `$.items[*].id` or `$..id` (repeatable).
    #[arg(long = "ignore", value_name = "JSONPATH")]
    pub ignore: Vec<String>,
    /// How long to wait for the server after the last send, in milliseconds (default: from
    /// the recording, 1 to 30 s).
    #[arg(long = "grace", value_name = "MS")]
    pub grace: Option<u64>,
    /// Let the session file read the environment variable NAME for its {{env.NAME}}
    /// references (repeatable). A file reads no other environment variable: a reference to
    /// one is an error and nothing is sent.
    #[arg(long = "allow-env", value_name = "NAME")]
    pub allow_env: Vec<String>,
    /// Let the session file read the keychain secret NAME for its {{secret.NAME}}
    /// references (repeatable). A file reads no other secret.
    #[arg(long = "allow-secret", value_name = "NAME")]
    pub allow_secret: Vec<String>,
    /// Where no keychain is available (a headless machine), read {{secret.NAME}} from the
    /// environment variable SOCKSCOPE_SECRET_NAME instead.
    #[arg(long = "secrets-from-env")]
    pub secrets_from_env: bool,
    /// Payload bytes the new run keeps, in MiB; past it, messages keep their rows (and are
    /// counted) but not their payloads, and the summary says how many were not kept.
    #[arg(long = "memory-budget", value_name = "MIB", default_value_t = DEFAULT_MEMORY_BUDGET_MIB,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub memory_budget: u64,
}

/// `sockscope import-har FILE.har --out FILE.ron`.
#[derive(Debug, Args)]
pub struct ImportHarArgs {
    /// The HAR file.
    #[arg(value_name = "FILE.har")]
    pub file: PathBuf,
    /// The session file to write.
    #[arg(long, value_name = "FILE.ron")]
    pub out: PathBuf,
}

/// `sockscope export-har FILE.ron --out FILE.har [--tab N]`.
#[derive(Debug, Args)]
pub struct ExportHarArgs {
    /// The session file.
    #[arg(value_name = "FILE.ron")]
    pub file: PathBuf,
    /// The HAR file to write.
    #[arg(long, value_name = "FILE.har")]
    pub out: PathBuf,
    /// Export only this tab (number from 1, or name); by default every tab.
    #[arg(long, value_name = "N")]
    pub tab: Option<String>,
}

const CONNECT_EXAMPLES: &str = "\
Events (one JSON object per line, in order):
  connecting {url}    open {status, subprotocol, extensions, headers}
  message {dir, type: text|binary, len, text|hex[, decoded {format, value|text} | decode_error]}
  ping/pong {dir, len, hex}
  error {category: dns|refused|timeout|tls|http|protocol|io|send, message[, status, headers, body]}
  close {code, reason, was_clean, initiator: client|server|none}   (always the last event)
  state {value, after}  (only with --fold: before close, and every --fold-every N messages)
  summary {...}  (only with --summary, after close)
  test {name, passed, message, time_ms}   log {text}   error {category: script, message}
                      (only with --script)

Examples:
  sockscope connect ws://127.0.0.1:9001/echo --send hello --send-hex 0a0b0c
  sockscope connect ws://127.0.0.1:9001/json?count=3 --wait inf
  sockscope connect ws://127.0.0.1:9001/flood?n=100000 --wait inf --summary
  printf 'a\\nb\\n' | sockscope connect ws://127.0.0.1:9001/echo --stdin
  sockscope connect ws://127.0.0.1:9001/echo --send hi --record echo.session.ron
  sockscope connect ws://127.0.0.1:9001/msgpack --decode auto
  sockscope connect ws://127.0.0.1:9001/echo --send-msgpack '{\"a\":1}' --decode msgpack
  sockscope connect ws://127.0.0.1:9001/protobuf --decode protobuf \\
      --proto saved_sessions/demo.proto --message sockscope.demo.Tick
  sockscope connect ws://127.0.0.1:9001/book --fold merge --fold-select '$.book' \\
      --fold-filter '$.type != \"final\"'";

const SERVE_PATHS: &str = "\
Paths: /echo, /json?count=N, /close/CODE?reason=R, /close/none, /drop, /binary, /headers,
       /subproto, /flood?n=N&size=S, /ping, /evil/invalid-utf8, /evil/ignore-close
Binary formats, a market tick every 100 ms (each ?count=N): /msgpack, /cbor, /gzip, /deflate,
       /zlib-stream (one zlib context per connection), /protobuf (saved_sessions/demo.proto)
Protocols: /socket.io/ (Socket.IO v4: `sockscope connect http://ADDR --protocol socketio`),
       /graphql (--protocol graphql), /jsonrpc (--protocol jsonrpc)
Live state: /book?count=N&interval=MS&style=merge|patch (an order book's snapshot, deltas,
       then the server's own book marked \"final\": true; try connect --fold merge)
Protocol brokers: /mqtt (--protocol mqtt; demo/tick every second), /stomp (--protocol stomp;
       /topic/tick every second)
For scripts: /login?count=N (log in, get a token, subscribe with it, get N ticks; try
       `sockscope test saved_sessions/login-subscribe.session.ron --url ws://ADDR/login`)
Over plain HTTP: /sse?count=N (Server-Sent Events: a tick every 100 ms, retry 500 ms, the
       connection dropped every 5 events; `sockscope sse http://ADDR/sse`)";

/// `sockscope connect URL [options]`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// ws://, wss://, http:// or https:// URL (http(s) is mapped to ws(s)).
    pub url: String,
    /// A request header "Name: value" (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// A subprotocol to offer (repeatable, in order of preference).
    #[arg(short = 'p', long = "subprotocol", value_name = "NAME")]
    pub subprotocols: Vec<String>,
    /// A query parameter appended to the URL (repeatable, in order), percent-encoded:
    /// `--query 'q=a b&c'` sends `?q=a%20b%26c`.
    #[arg(long = "query", value_name = "NAME=VALUE")]
    pub query: Vec<String>,
    /// Authenticate the handshake: basic:USER:PASS, bearer:TOKEN, header:NAME:VALUE or
    /// query:NAME:VALUE (an API key). The values are secrets: redacted in every line and
    /// in --record files.
    #[arg(long = "auth", value_name = "KIND:VALUE")]
    pub auth: Option<String>,
    /// OAuth 2.0 client credentials (RFC 6749 4.4): fetch a token from this endpoint
    /// (https://, or http:// to loopback) before the handshake and send it as a Bearer
    /// token; fetched again for a reconnect once it has expired. Prints an `oauth-token`
    /// line; when no token comes, that line says why and the run ends with status 1.
    #[arg(long = "oauth2", value_name = "TOKEN_URL", conflicts_with = "auth",
          requires_all = ["client_id", "client_secret"])]
    pub oauth2: Option<String>,
    /// With --oauth2: the client id.
    #[arg(long = "client-id", value_name = "ID", requires = "oauth2")]
    pub client_id: Option<String>,
    /// With --oauth2: the client secret (redacted in every line).
    #[arg(long = "client-secret", value_name = "SECRET", requires = "oauth2")]
    pub client_secret: Option<String>,
    /// With --oauth2: the scope to ask for (space-separated).
    #[arg(long = "scope", value_name = "SCOPE", requires = "oauth2")]
    pub scope: Option<String>,
    /// A cookie jar in the Netscape cookies.txt format curl uses: its cookies for the URL
    /// are sent with each handshake, and Set-Cookie from the answers is kept (RFC 6265
    /// rules: domain, path, expiry, Secure) and written back to FILE after the run. A file
    /// that does not exist starts empty. Cookie values are redacted in the output.
    #[arg(long = "cookie-jar", value_name = "FILE")]
    pub cookie_jar: Option<PathBuf>,
    /// Read variables for {{NAME}} from a dotenv file (NAME=value lines), as if each were a
    /// --var before the others (a --var of the same name wins). Values of names that look
    /// secret (containing TOKEN, SECRET, PASSWORD, PASS, KEY, AUTH or CREDENTIAL) are
    /// redacted in the output.
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// Send a text message after open (repeatable; all sends keep their order).
    /// Variables such as {{counter}}, {{uuid}}, {{now}}, {{env.NAME}} or a --var are
    /// expanded; write \{{ for a literal {{.
    #[arg(long = "send", value_name = "TEXT")]
    pub send: Vec<String>,
    /// Send the template NAME from a RON template file (repeatable, in order with the other
    /// sends); its body's variables are expanded. {{counter}} is 1 for the first expanded
    /// send (--send or --template) and goes up by one per send.
    #[arg(long = "template", value_name = "FILE.ron:NAME")]
    pub templates: Vec<String>,
    /// Define a variable for {{NAME}} in --send texts and templates (repeatable). Built in:
    /// uuid, now (RFC 3339 UTC), now_ms, counter, random_int, env.NAME (environment).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Let --template files read the environment variable NAME for their {{env.NAME}}
    /// references (repeatable). A template file reads no other environment variable (a
    /// reference to one is an error and nothing is sent); --send texts read any.
    #[arg(long = "allow-env", value_name = "NAME")]
    pub allow_env: Vec<String>,
    /// Let --template files read the keychain secret NAME for their {{secret.NAME}}
    /// references (repeatable); --send texts and --op read any.
    #[arg(long = "allow-secret", value_name = "NAME")]
    pub allow_secret: Vec<String>,
    /// Where no keychain is available (a headless machine), read {{secret.NAME}} from the
    /// environment variable SOCKSCOPE_SECRET_NAME instead.
    #[arg(long = "secrets-from-env")]
    pub secrets_from_env: bool,
    /// Send a binary message given in hex; spaces and 0x prefixes allowed (repeatable).
    #[arg(long = "send-hex", value_name = "HEX")]
    pub send_hex: Vec<String>,
    /// Send a binary message given in base64, standard or URL-safe (repeatable).
    #[arg(long = "send-base64", value_name = "B64")]
    pub send_base64: Vec<String>,
    /// Send a file's bytes as a binary message (repeatable).
    #[arg(long = "send-file", value_name = "PATH")]
    pub send_file: Vec<PathBuf>,
    /// Send JSON as a binary MessagePack message (repeatable; variables expanded as in
    /// --send). Invalid JSON: exit 2, nothing sent.
    #[arg(long = "send-msgpack", value_name = "JSON")]
    pub send_msgpack: Vec<String>,
    /// Send JSON as a binary CBOR message (repeatable; variables expanded).
    #[arg(long = "send-cbor", value_name = "JSON")]
    pub send_cbor: Vec<String>,
    /// Send JSON as a binary Protobuf message of the --message type from --proto
    /// (repeatable; variables expanded). A field that does not fit the type: exit 2.
    #[arg(long = "send-protobuf", value_name = "JSON")]
    pub send_protobuf: Vec<String>,
    /// Send text gzip-compressed, as a binary message (repeatable; variables expanded).
    #[arg(long = "send-gzip", value_name = "TEXT")]
    pub send_gzip: Vec<String>,
    /// Send text zlib-compressed, as a binary message (repeatable; variables expanded).
    #[arg(long = "send-zlib", value_name = "TEXT")]
    pub send_zlib: Vec<String>,
    /// Send text raw-deflate-compressed, as a binary message (repeatable; variables
    /// expanded).
    #[arg(long = "send-deflate", value_name = "TEXT")]
    pub send_deflate: Vec<String>,
    /// Decode message payloads and add a `decoded` object (or a `decode_error`) to their
    /// lines: none (the default), auto, msgpack, cbor, protobuf, protobuf-raw, gzip, zlib,
    /// deflate, zlib-stream, json, or a chain joined by + (gzip+json, zlib+msgpack). Binary
    /// messages are decoded by every SPEC; text messages only by auto and json. A
    /// zlib-stream message that is only the first part of one gets neither field; the
    /// message that completes it carries the value.
    #[arg(long = "decode", value_name = "SPEC", default_value = "none")]
    pub decode: String,
    /// A .proto file for Protobuf messages (repeatable); compiled at start.
    #[arg(long = "proto", value_name = "FILE.proto")]
    pub proto: Vec<PathBuf>,
    /// A directory .proto imports are looked up in (repeatable; each --proto file's own
    /// directory is always searched).
    #[arg(long = "proto-path", value_name = "DIR", requires = "proto")]
    pub proto_path: Vec<PathBuf>,
    /// The Protobuf message type, e.g. pkg.Tick (needed by --decode protobuf and
    /// --send-protobuf; with a single message type in the --proto files, that one).
    #[arg(long = "message", value_name = "TYPE", requires = "proto")]
    pub message: Option<String>,
    /// The protocol spoken over the WebSocket: raw (the default), socketio, graphql,
    /// stomp, mqtt or jsonrpc. Sockscope does its handshake and heartbeats, and each
    /// decoded message line gains a `protocol` object in the protocol's own terms. With
    /// socketio, an http(s)://host address means the Socket.IO endpoint at that host.
    #[arg(long = "protocol", value_name = "NAME", default_value = "raw")]
    pub protocol: String,
    /// An option of the --protocol, as KEY=VALUE (repeatable), such as namespace=/chat
    /// (socketio), login=guest (stomp), version=5 (mqtt). README lists each protocol's.
    #[arg(
        long = "protocol-option",
        value_name = "KEY=VALUE",
        requires = "protocol"
    )]
    pub protocol_options: Vec<String>,
    /// Send one protocol operation, written as JSON in the shape of the `protocol` objects
    /// the lines show (repeatable, in order with the other sends; variables expanded in
    /// its strings): {"type":"event","event":"chat","args":["hi"]} for socketio. Sockscope
    /// fills in ids, packet ids and lengths. A malformed one: exit 2, nothing sent.
    #[arg(long = "op", value_name = "JSON")]
    pub ops: Vec<String>,
    /// Send a ping, with an optional hex payload (repeatable, in order with the sends).
    #[arg(long = "ping", value_name = "HEX", num_args = 0..=1, default_missing_value = "")]
    pub ping: Vec<String>,
    /// The close frame to end with: a code, optionally with a reason.
    #[arg(long = "close", value_name = "CODE[:REASON]", default_value = "1000")]
    pub close: String,
    /// How long to keep listening after the last send before closing: milliseconds,
    /// 0 to close at once, or `inf` to wait until the server closes.
    #[arg(long = "wait", value_name = "MS|inf", default_value = "1000")]
    pub wait: String,
    /// Opening handshake timeout in milliseconds (DNS, TCP, TLS and HTTP together).
    #[arg(long = "timeout", value_name = "MS", default_value_t = DEFAULT_TIMEOUT_MS)]
    pub timeout: u64,
    /// How long to wait for the server's close frame after ours, in milliseconds.
    #[arg(long = "close-timeout", value_name = "MS", default_value_t = DEFAULT_CLOSE_TIMEOUT_MS)]
    pub close_timeout: u64,
    /// TLS and proxy settings.
    #[command(flatten)]
    pub transport: TransportArgs,
    /// The live state of the incoming messages (--fold ...).
    #[command(flatten)]
    pub fold: super::fold_args::FoldArgs,
    /// Send a keepalive ping every MS milliseconds while open.
    #[arg(long = "keepalive", value_name = "MS")]
    pub keepalive: Option<u64>,
    /// How long a keepalive pong may take before it counts as missing (an error line).
    #[arg(
        long = "pong-timeout",
        value_name = "MS",
        default_value_t = DEFAULT_PONG_TIMEOUT_MS,
        requires = "keepalive"
    )]
    pub pong_timeout: u64,
    /// Close the connection (1001) when a keepalive pong is missing, instead of warning.
    #[arg(long = "keepalive-close", requires = "keepalive")]
    pub keepalive_close: bool,
    /// Reconnect up to N times (0: without limit) when the connection fails or ends, unless
    /// we closed it. Each attempt prints its own connecting ... close lines, with "attempt".
    #[arg(long = "reconnect", value_name = "N")]
    pub reconnect: Option<u32>,
    /// The delay before each reconnect, or the first one with --backoff.
    #[arg(
        long = "reconnect-delay",
        value_name = "MS",
        default_value_t = 1_000,
        requires = "reconnect"
    )]
    pub reconnect_delay: u64,
    /// Double the reconnect delay each time (up to --backoff-max), with random jitter.
    #[arg(long = "backoff", requires = "reconnect")]
    pub backoff: bool,
    /// The longest delay --backoff grows to, in milliseconds (at least --reconnect-delay).
    #[arg(
        long = "backoff-max",
        value_name = "MS",
        default_value_t = DEFAULT_BACKOFF_MAX_MS,
        requires = "backoff"
    )]
    pub backoff_max: u64,
    /// The largest message accepted from the server, in bytes (larger: close 1009).
    #[arg(long = "max-message-size", value_name = "BYTES", default_value_t = DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_size: usize,
    /// permessage-deflate (RFC 7692): `on` offers it as browsers do
    /// (`permessage-deflate; client_max_window_bits`), `off` does not, or the parameters
    /// to offer, such as "server_no_context_takeover; client_max_window_bits=10".
    #[arg(long = "deflate", value_name = "off|on|PARAMS", default_value = "on")]
    pub deflate: String,
    /// Send every received text or binary message straight back (the connection does it
    /// before it reads the next frame; the echoes print as messages going out).
    #[arg(long)]
    pub echo: bool,
    /// Send each line of standard input as a text message as soon as it is read, after the
    /// other sends (without its \n or \r\n; nothing in it is expanded). The connection stays
    /// open while input lasts; --wait counts from its end. A line that is not UTF-8 is not
    /// sent, and the exit status is then 1.
    #[arg(long)]
    pub stdin: bool,
    /// No line per message, ping or pong; one `summary` line after the close event.
    #[arg(long)]
    pub summary: bool,
    /// Save the run (config and every event) as a one-tab session file after the close,
    /// for `sockscope replay`.
    #[arg(long = "record", value_name = "FILE.ron")]
    pub record: Option<PathBuf>,
    /// With --record: payload bytes kept for the session, in MiB; past it, messages keep
    /// their rows (time, direction, size) but not their payloads (`not_kept`).
    #[arg(long = "memory-budget", value_name = "MIB", default_value_t = DEFAULT_MEMORY_BUDGET_MIB,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub memory_budget: u64,
    /// With --record: save header NAME as the reference {{env.ENV}} instead of its value
    /// (repeatable). ENV is letters, digits and _, not starting with a digit; replaying the
    /// session reads it only with --allow-env ENV. Its value is also redacted (`[redacted]`)
    /// wherever it shows up in the output and the file, as Authorization-like headers always
    /// are.
    #[arg(long = "secret", value_name = "NAME=ENV", requires = "record")]
    pub secrets: Vec<String>,
    /// A script and its tests (--script, --junit, ...).
    #[command(flatten)]
    pub script: super::script_args::ScriptArgs,
}

/// `sockscope serve [--addr ADDR]`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:9001")]
    pub addr: std::net::SocketAddr,
}

/// TLS and proxy flags, shared by `connect` and `sse`.
#[derive(Debug, Args)]
pub struct TransportArgs {
    /// Accept invalid TLS certificates (self-signed, expired, wrong name).
    #[arg(long)]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file as well as the system's; a server whose
    /// own certificate is exactly one in the file (e.g. a self-signed one from a plain
    /// `openssl req -x509`) is accepted as pinned.
    #[arg(long = "ca", value_name = "FILE.pem")]
    pub ca: Option<PathBuf>,
    /// Accept only the server certificate(s) in this PEM file, byte for byte (the server must
    /// hold its key); CA chain, host name and dates are not checked. Replaces --ca.
    #[arg(long = "pin-cert", value_name = "FILE.pem")]
    pub pin_cert: Option<PathBuf>,
    /// A client certificate (PEM) to present when the server asks for one; needs --key.
    #[arg(long = "cert", value_name = "FILE.pem", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The private key (PEM) of --cert.
    #[arg(long = "key", value_name = "FILE.pem", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Go through this proxy: http://[user:pass@]host:port (HTTP CONNECT), socks5:// or
    /// socks5h:// (SOCKS5; with h the proxy resolves the name). Without it,
    /// HTTPS_PROXY (wss, https), HTTP_PROXY (ws, http) or ALL_PROXY is used, except for
    /// NO_PROXY hosts and loopback addresses.
    #[arg(long = "proxy", value_name = "URL", conflicts_with = "no_proxy")]
    // The text is --help's, where [user:pass@] reads as "optional", not as a rustdoc link.
    #[allow(rustdoc::broken_intra_doc_links)]
    pub proxy: Option<String>,
    /// Connect directly, ignoring proxy environment variables.
    #[arg(long = "no-proxy")]
    pub no_proxy: bool,
}

impl TransportArgs {
    /// The TLS options these flags ask for.
    pub fn tls(&self) -> TlsOptions {
        TlsOptions {
            ca_file: self.ca.clone(),
            pinned_cert: self.pin_cert.clone(),
            accept_invalid_certs: self.insecure,
            client_cert: self.cert.clone(),
            client_key: self.key.clone(),
        }
    }

    /// The proxy these flags ask for.
    pub fn proxy(&self) -> ProxyMode {
        match (&self.proxy, self.no_proxy) {
            (Some(url), _) => ProxyMode::Url(url.clone()),
            (None, true) => ProxyMode::Direct,
            (None, false) => ProxyMode::FromEnvironment,
        }
    }
}

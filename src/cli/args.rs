//! The command line's grammar (clap). `sockscope --help` is generated from these comments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    /// code, unreadable input file, ...).
    #[command(after_help = CONNECT_EXAMPLES)]
    Connect(Box<ConnectArgs>),
    /// Run the embedded demo server; its first line is `listening on ws://ADDR`.
    #[command(after_help = SERVE_PATHS)]
    Serve(ServeArgs),
}

const CONNECT_EXAMPLES: &str = "\
Events (one JSON object per line, in order):
  connecting {url}    open {status, subprotocol, extensions, headers}
  message {dir, type: text|binary, len, text|hex}    ping/pong {dir, len, hex}
  error {category: dns|refused|timeout|tls|http|protocol|io|send, message[, status, headers, body]}
  close {code, reason, was_clean, initiator: client|server|none}   (always the last event)
  summary {...}  (only with --summary, after close)

Examples:
  sockscope connect ws://127.0.0.1:9001/echo --send hello --send-hex 0a0b0c
  sockscope connect ws://127.0.0.1:9001/json?count=3 --wait inf
  sockscope connect ws://127.0.0.1:9001/flood?n=100000 --wait inf --summary";

const SERVE_PATHS: &str = "\
Paths: /echo, /json?count=N, /close/CODE?reason=R, /close/none, /drop, /binary, /headers,
       /subproto, /flood?n=N&size=S, /ping, /evil/invalid-utf8, /evil/ignore-close";

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
    /// Send a binary message given in hex; spaces and 0x prefixes allowed (repeatable).
    #[arg(long = "send-hex", value_name = "HEX")]
    pub send_hex: Vec<String>,
    /// Send a binary message given in base64, standard or URL-safe (repeatable).
    #[arg(long = "send-base64", value_name = "B64")]
    pub send_base64: Vec<String>,
    /// Send a file's bytes as a binary message (repeatable).
    #[arg(long = "send-file", value_name = "PATH")]
    pub send_file: Vec<PathBuf>,
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
    #[arg(long = "timeout", value_name = "MS", default_value_t = 10_000)]
    pub timeout: u64,
    /// How long to wait for the server's close frame after ours, in milliseconds.
    #[arg(long = "close-timeout", value_name = "MS", default_value_t = 5_000)]
    pub close_timeout: u64,
    /// Accept invalid TLS certificates (self-signed, expired, wrong name).
    #[arg(long)]
    pub insecure: bool,
    /// Trust the CA certificates in this PEM file as well as the system's.
    #[arg(long = "ca", value_name = "FILE.pem")]
    pub ca: Option<PathBuf>,
    /// The largest message accepted from the server, in bytes (larger: close 1009).
    #[arg(long = "max-message-size", value_name = "BYTES", default_value_t = 64 << 20)]
    pub max_message_size: usize,
    /// Send every received text or binary message straight back.
    #[arg(long)]
    pub echo: bool,
    /// No line per message, ping or pong; one `summary` line after the close event.
    #[arg(long)]
    pub summary: bool,
}

/// `sockscope serve [--addr ADDR]`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:9001")]
    pub addr: std::net::SocketAddr,
}

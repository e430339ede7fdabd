//! `sockscope listen`'s flags.

use clap::Args;

/// `sockscope listen --addr IP:PORT [--rules FILE.ron] [--subprotocol NAME]
/// [--send-on-open TEXT]... [--echo] [--close-after N:CODE[:REASON]] [--reject STATUS]
/// [--cert FILE --key FILE]`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Address clients connect to; port 0 picks a free port.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:9003")]
    pub addr: std::net::SocketAddr,
    /// Auto-responses: texts on connect, replies to matching messages, a close after N
    /// messages (RON; see saved_sessions/mock-rules.ron).
    #[arg(long, value_name = "FILE.ron")]
    pub rules: Option<std::path::PathBuf>,
    /// Accept this subprotocol when a client offers it (overrides the rules file's).
    #[arg(long, value_name = "NAME")]
    pub subprotocol: Option<String>,
    /// A text sent to every client once connected, after the rules file's (repeatable).
    #[arg(long = "send-on-open", value_name = "TEXT")]
    pub send_on_open: Vec<String>,
    /// Answer every message with itself.
    #[arg(long)]
    pub echo: bool,
    /// Close each client after its Nth message with CODE and REASON (overrides the rules
    /// file's).
    #[arg(long = "close-after", value_name = "N:CODE[:REASON]")]
    pub close_after: Option<String>,
    /// Refuse every handshake with this HTTP status (300-599).
    #[arg(long, value_name = "STATUS")]
    pub reject: Option<u16>,
    /// Serve clients over TLS (`wss://`) with this certificate chain (PEM, the server's
    /// own certificate first); needs --key.
    #[arg(long, value_name = "FILE.pem", requires = "key")]
    pub cert: Option<std::path::PathBuf>,
    /// The private key of --cert (PEM); needs --cert.
    #[arg(long, value_name = "FILE.pem", requires = "cert")]
    pub key: Option<std::path::PathBuf>,
}

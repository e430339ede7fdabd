//! `sockscope listen`'s flags.

use clap::Args;

/// `sockscope listen --addr IP:PORT [--rules FILE.ron] [--subprotocol NAME]`.
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
}

//! `sockscope proxy`'s flags.

use clap::Args;

/// `sockscope proxy --listen IP:PORT --upstream URL [--header "Name: value"]...
/// [--strip-header NAME]... [--record FILE.ron] [--cert FILE --key FILE]`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Address clients connect to; port 0 picks a free port.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:9002")]
    pub listen: std::net::SocketAddr,
    /// The upstream server's base URL (ws:// or wss://); each client's path and query are
    /// appended to its path.
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// A header added to every upstream request, replacing the client's of that name
    /// (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// A header of the client's request not passed upstream (repeatable).
    #[arg(long = "strip-header", value_name = "NAME")]
    pub strip_headers: Vec<String>,
    /// Save every client connection in this session file as one tab `conn N` holding both
    /// legs, each event marked with its leg (replayable against the real server with
    /// `replay --tab "conn N"`); it is rewritten each time a connection ends.
    #[arg(long, value_name = "FILE.ron")]
    pub record: Option<std::path::PathBuf>,
    /// Serve clients over TLS (`wss://`) with this certificate chain (PEM, the server's
    /// own certificate first); needs --key.
    #[arg(long, value_name = "FILE.pem", requires = "key")]
    pub cert: Option<std::path::PathBuf>,
    /// The private key of --cert (PEM); needs --cert.
    #[arg(long, value_name = "FILE.pem", requires = "cert")]
    pub key: Option<std::path::PathBuf>,
}

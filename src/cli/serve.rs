//! `sockscope serve`: the demo server in the foreground until Ctrl+C or SIGTERM.

use std::io::Write;
use std::process::ExitCode;

use super::args::ServeArgs;
use super::exit;
use crate::demo_server;

/// Starts the demo server, prints `listening on ws://ADDR`, and serves until told to stop.
pub async fn run(args: &ServeArgs) -> ExitCode {
    let server = match demo_server::start(args.addr).await {
        Ok(server) => server,
        Err(error) => return exit::failed(&format!("cannot listen on {}: {error}", args.addr)),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening on ws://{}", server.addr()).and_then(|()| stdout.flush());
    drop(stdout);
    wait_for_stop_signal().await;
    drop(server);
    ExitCode::SUCCESS
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

//! `sockscope serve`: the demo server in the foreground until Ctrl+C or SIGTERM.

use std::io::Write;

use super::args::ServeArgs;
use super::error::{CliError, Outcome};
use crate::demo_server;

/// Starts the demo server, prints `listening on ws://ADDR`, and serves until told to stop.
pub async fn run(args: &ServeArgs) -> Result<Outcome, CliError> {
    let server = demo_server::start(args.addr)
        .await
        .map_err(|error| CliError::failed(format!("cannot listen on {}: ", args.addr), error))?;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening on ws://{}", server.addr()).and_then(|()| stdout.flush());
    drop(stdout);
    wait_for_stop_signal().await;
    drop(server);
    Ok(Outcome::Success)
}

/// While `shutdown` runs (closing every connection with 1001), hands `print` the events that
/// keep coming (their close events), then those already queued: `proxy` and `listen` stop
/// this way.
pub(super) async fn drain_during<T>(
    shutdown: impl std::future::Future<Output = ()>,
    events: &mut tokio::sync::mpsc::Receiver<T>,
    mut print: impl FnMut(&T),
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(event) = events.recv() => print(&event),
        }
    }
    while let Ok(event) = events.try_recv() {
        print(&event);
    }
}

/// Waits for Ctrl+C, or SIGTERM on Unix.
pub(super) async fn wait_for_stop_signal() {
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

//! Waiting for an optional deadline inside `tokio::select!`.

use tokio::time::Instant;

/// Sleeps until `deadline`; with no deadline, never returns. For a `select!` branch that is
/// also guarded by `if deadline.is_some()`, as the connection task, `connect` and replay do.
pub(crate) async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

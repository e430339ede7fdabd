//! What a connection does by itself beyond what its [`super::ConnectionConfig`] saves: the
//! behaviours a headless run asks for (`sockscope connect --echo`).

/// Behaviours of one connection attempt that are not part of a saved tab's setup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EngineOptions {
    /// Send every received text or binary message back as it came, from the connection task
    /// itself: queued before the next frame is handled, so the echo of a valid message goes
    /// out before a later invalid frame fails the connection (Autobahn 3.2, 4.1.3, 5.15…).
    /// Echoes wait in the outgoing queue like any send; while it is full, the socket is not
    /// read.
    pub echo: bool,
}

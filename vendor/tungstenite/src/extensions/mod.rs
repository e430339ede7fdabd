//! WebSocket extensions negotiated in the opening handshake.
//!
//! Sockscope's vendored copy adds `permessage-deflate` (RFC 7692); see `vendor/README.md` in
//! the Sockscope repository for why and how to drop this copy when upstream releases it.

pub mod deflate;
mod wire_tap;

pub use wire_tap::{Wire, WireTap};

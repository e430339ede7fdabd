//! JSON-RPC 2.0 over WebSocket (no handshake): requests, notifications, responses and
//! batches, each response paired with its request by id, with the round-trip time.
//!
//! - [`options`]: none yet;
//! - [`message`]: one message checked against the specification;
//! - [`ops`]: a user's op written as the message it sends;
//! - [`session`]: request ids assigned;
//! - [`decoder`]: messages as units grouped by method, responses paired.

pub mod decoder;
pub mod message;
pub mod ops;
pub mod options;
pub mod session;

pub use decoder::Decoder;
pub use options::Options;
pub use session::Session;

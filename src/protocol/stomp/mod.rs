//! STOMP 1.2, 1.1 (and 1.0) over WebSocket (subprotocols `v12.stomp`, `v11.stomp`,
//! `v10.stomp`), with heart-beating.
//!
//! - [`options`]: virtual host, credentials, heart-beat, extra CONNECT headers;
//! - [`frame`]: the frame codec (escaping, content-length, heart-beat EOLs, a stream of
//!   frames split or packed in any way over messages);
//! - [`ops`]: the user's operations (`SEND`, `SUBSCRIBE`, …) read into frames;
//! - [`session`]: CONNECT, CONNECTED, heart-beats, `sub-N` ids, DISCONNECT's receipt;
//! - [`decoder`]: frames as units for the timeline and the command line.

pub mod decoder;
pub mod frame;
pub mod ops;
pub mod options;
pub mod session;

pub use decoder::Decoder;
pub use options::Options;
pub use session::Session;

/// The subprotocols offered when the user set none: STOMP 1.2, 1.1 and 1.0.
pub fn subprotocols(_options: &Options) -> Vec<String> {
    ["v12.stomp", "v11.stomp", "v10.stomp"]
        .into_iter()
        .map(str::to_owned)
        .collect()
}

//! MQTT 3.1.1 and 5 over WebSocket (subprotocol `mqtt`, binary packets; a message may hold
//! several packets or part of one).
//!
//! - [`options`]: version, client id, credentials, keep-alive;
//! - [`wire`], [`properties`], [`packet`], [`stream`]: the packet codec;
//! - [`ops`]: the user's operations (`publish`, `subscribe`, …) read into packets;
//! - [`session`]: CONNECT, CONNACK, packet ids, QoS 1/2 flows, keep-alive pings;
//! - [`decoder`]: packets as units for the timeline and the command line;
//! - [`reasons`]: return and reason codes in words.

pub mod decoder;
pub mod ops;
pub mod options;
pub mod packet;
pub mod properties;
pub mod reasons;
pub mod session;
pub mod stream;
pub mod wire;

pub use decoder::Decoder;
pub use options::Options;
pub use session::Session;

/// The subprotocols offered when the user set none: `mqtt`.
pub fn subprotocols(_options: &Options) -> Vec<String> {
    vec!["mqtt".to_owned()]
}

//! GraphQL over WebSocket: `graphql-transport-ws` (the graphql-ws library) and the legacy
//! subscriptions-transport-ws protocol (subprotocol `graphql-ws`), chosen by the server's
//! pick of subprotocol.
//!
//! - [`options`]: which subprotocol to offer, the `connection_init` payload, the ack wait;
//! - [`ops`]: a user's op checked and written as either flavor's message;
//! - [`session`]: `connection_init`, ops held until `connection_ack`, pings answered;
//! - [`decoder`]: messages as units grouped by operation id, with the operation's type
//!   and name read from its query text ([`query_text`]);
//! - [`close_codes`]: the protocol's close codes (4400 Bad Request … 4499 Terminated).

pub mod close_codes;
pub mod decoder;
pub mod ops;
pub mod options;
pub mod query_text;
pub mod session;

pub use decoder::Decoder;
pub use options::{Options, subprotocols};
pub use session::Session;

//! Socket.IO (v3/v4 over Engine.IO 4, v2 over Engine.IO 3) over the websocket transport.
//!
//! - [`endpoint_url`] turns a plain `http(s)://host` address into the Socket.IO endpoint
//!   (`ws://host/socket.io/?EIO=4&transport=websocket`).
//! - The [`Session`] waits for the Engine.IO open packet, joins the tab's namespace (with
//!   its `auth`), holds the user's operations until their namespace has been joined, answers
//!   the server's pings (Engine.IO 4) or pings it (Engine.IO 3), and closes the WebSocket
//!   ("Socket.IO ping timeout") when the server goes silent.
//! - The [`Decoder`] shows each frame as a unit: `open`, `ping`, `pong`, `connect` (quiet
//!   housekeeping), `event`, `ack` (paired with its event and the round trip),
//!   `binary_event`/`binary_ack` (whole once their attachments arrived), `connect_error`
//!   (the handshake refused), `disconnect`, Engine.IO's `close`, `noop`, `upgrade`.
//!
//! Binary values are written `{"$binary":"<base64>"}` in operations and decoded units alike.
//! Long-polling is not spoken: a server that offers only that is explained (see
//! [`Decoder::on_refusal`]).

mod binary;
mod decoder;
mod endpoint;
mod heartbeat;
mod ops;
mod options;
pub(crate) mod packet;
mod refusal;
mod session;
mod units;

pub use decoder::Decoder;
pub use endpoint::endpoint_url;
pub use options::Options;
pub use session::Session;

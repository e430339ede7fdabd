//! The connection engine: one tokio task per connection attempt, driven through a
//! [`ConnectionHandle`], reporting [`Event`]s with the browser's close semantics.
//! It knows nothing of windows: consumers pass a [`WakeFn`] to be told that events wait.

pub mod auth;
mod chunked;
pub mod close_code;
mod command;
mod config;
mod connect;
mod deflate;
mod emitter;
mod event;
mod event_size;
mod extensions;
mod handle;
mod inbox;
mod keepalive;
mod leg;
pub mod limits;
pub mod oauth2;
mod options;
mod payload_store;
pub mod proxy;
mod reconnect;
mod send_room;
mod sleep;
mod socks5;
mod task;
mod tls;
mod tls_pin;
mod wake_pacer;
mod writer;

pub use auth::{Auth, AuthError, KeyPlace};
pub use config::{
    ConfigError, ConnectionConfig, HeaderEntry, PreparedRequest, TlsOptions, forbidden_url_char,
    normalize_url,
};
pub(crate) use config::{check_tls_and_proxy, millis};
pub(crate) use connect::open_stream;
pub use deflate::DeflateSetting;
pub use emitter::WakeFn;
pub(crate) use emitter::{AttemptClock, SharedState};
pub use event::{
    CloseInfo, Direction, DropCause, DroppedMessage, ErrorCategory, ErrorInfo, Event, EventKind,
    HttpRejection, Initiator, OpenInfo, Payload, ReadyState, ScriptNote, SseEvent, SseMessage,
    TokenExchange, TokenGranted, WireForm,
};
pub use handle::{ConnectionHandle, SendError};
pub use keepalive::{Keepalive, MissingPong};
pub use leg::Leg;
pub use options::EngineOptions;
pub use reconnect::{ReconnectDelay, ReconnectPolicy};
pub use send_room::{SEND_QUEUE_BYTES, SendRoom};
pub(crate) use sleep::sleep_until;
pub use tls::TlsError;
pub(crate) use tls::{describe_tls_error, is_tls_error};

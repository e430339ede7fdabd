//! The consumer's side of a connection: sends commands, receives events.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use super::close_code::{self, ForbiddenCloseCode};
use super::command::Command;
use super::config::{ConfigError, ConnectionConfig};
use super::emitter::{Emitter, SharedState, WakeFn};
use super::event::{Event, ReadyState};
use super::inbox::{Inbox, inbox};
use super::options::EngineOptions;
use super::send_room::SendRoom;
use super::task::{self, Attempt};

/// Why a command was refused before it reached the connection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The connection is not OPEN; nothing was queued.
    #[error("not sent: the connection is {0}")]
    NotOpen(ReadyState),
    /// The close code may not be sent.
    #[error(transparent)]
    ForbiddenCloseCode(#[from] ForbiddenCloseCode),
    /// The close reason is longer than a close frame can carry.
    #[error("the close reason is {0} bytes long; at most 123 bytes fit in a close frame")]
    ReasonTooLong(usize),
    /// A ping or pong payload is longer than a control frame can carry.
    #[error("a ping or pong payload is {0} bytes long; at most 125 bytes fit in a control frame")]
    ControlPayloadTooLong(usize),
    /// The server is not reading what was sent: the outgoing queue is full.
    #[error(
        "not sent: {queued} bytes are still waiting to be sent (the limit is {limit}); \
         the server is not reading them"
    )]
    QueueFull {
        /// The bytes waiting.
        queued: usize,
        /// The bytes that may wait.
        limit: usize,
    },
}

/// One connection attempt. Its task owns the socket; this handle owns the way in (commands)
/// and the way out (events). Dropping the handle closes the connection cleanly (1001).
pub struct ConnectionHandle {
    commands: mpsc::UnboundedSender<Command>,
    events: Inbox,
    shared: Arc<SharedState>,
    send_room: SendRoom,
}

impl ConnectionHandle {
    /// Validates `config` and starts an attempt on `runtime`. `wake` is called after events
    /// have been delivered. A bad configuration is refused before any traffic.
    pub fn connect(
        config: &ConnectionConfig,
        runtime: &tokio::runtime::Handle,
        wake: WakeFn,
    ) -> Result<Self, ConfigError> {
        Self::connect_with(config, EngineOptions::default(), runtime, wake)
    }

    /// Like [`ConnectionHandle::connect`], with behaviours a saved setup does not hold
    /// (such as echoing every message, for `sockscope connect --echo`).
    pub fn connect_with(
        config: &ConnectionConfig,
        options: EngineOptions,
        runtime: &tokio::runtime::Handle,
        wake: WakeFn,
    ) -> Result<Self, ConfigError> {
        let prepared = config.prepare()?;
        let (command_sender, commands) = mpsc::unbounded_channel();
        let (outbox, events) = inbox();
        let shared = Arc::new(SharedState::new());
        let send_room = SendRoom::default();
        let attempt = Attempt {
            prepared,
            tls: config.tls.clone(),
            proxy: config.proxy.clone(),
            keepalive: config.keepalive.clone(),
            handshake_timeout: config.handshake_timeout,
            close_timeout: config.close_timeout,
            max_message_size: super::limits::clamp_message_size(config.max_message_size),
            commands,
            send_room: send_room.clone(),
            emitter: Arc::new(Emitter::new(outbox, wake)),
            shared: Arc::clone(&shared),
            protocol: crate::protocol::Session::new(&config.protocol),
            echo: options.echo,
        };
        runtime.spawn(task::run(attempt));
        Ok(Self {
            commands: command_sender,
            events,
            shared,
            send_room,
        })
    }

    /// The outgoing queue: how full it is, and a way to wait for room before sending.
    pub fn send_room(&self) -> SendRoom {
        self.send_room.clone()
    }

    /// The connection's readyState, as a browser reports it.
    pub fn ready_state(&self) -> ReadyState {
        self.shared.ready_state()
    }

    /// Queues a text message. Refused unless OPEN, and while the outgoing queue is full
    /// (see [`ConnectionHandle::send_room`]).
    pub fn send_text(&self, text: impl Into<String>) -> Result<(), SendError> {
        let text = text.into();
        self.send_message(text.len(), Command::SendText(text))
    }

    /// Queues a binary message. Refused unless OPEN, and while the outgoing queue is full.
    pub fn send_binary(&self, bytes: impl Into<Bytes>) -> Result<(), SendError> {
        let bytes = bytes.into();
        self.send_message(bytes.len(), Command::SendBinary(bytes))
    }

    /// Queues a data message of `len` bytes, counted in the outgoing queue until written.
    fn send_message(&self, len: usize, command: Command) -> Result<(), SendError> {
        if !self.send_room.available() {
            return Err(SendError::QueueFull {
                queued: self.send_room.queued(),
                limit: self.send_room.limit(),
            });
        }
        self.send_room.reserve(len);
        let sent = self.send_when_open(command);
        if sent.is_err() {
            self.send_room.release(len);
        }
        sent
    }

    /// Queues a protocol operation, written in the protocol's own terms (the shape of its
    /// decoded units); the connection's protocol session fills in ids and sends its frames
    /// once the protocol's handshake is done. An operation the protocol cannot make frames
    /// of is reported as an error event, and nothing is sent. Refused unless OPEN, and while
    /// the outgoing queue is full.
    pub fn send_op(&self, op: serde_json::Value) -> Result<(), SendError> {
        self.send_message(0, Command::SendOp(op))
    }

    /// Queues a ping (payload at most 125 bytes). Refused unless OPEN.
    pub fn ping(&self, payload: impl Into<Bytes>) -> Result<(), SendError> {
        let payload = check_control_payload(payload.into())?;
        self.send_when_open(Command::Ping(payload))
    }

    /// Queues an unsolicited pong (payload at most 125 bytes). Refused unless OPEN.
    pub fn pong(&self, payload: impl Into<Bytes>) -> Result<(), SendError> {
        let payload = check_control_payload(payload.into())?;
        self.send_when_open(Command::Pong(payload))
    }

    /// Starts the closing handshake. While CONNECTING it abandons the attempt (close 1006),
    /// as a browser's `close()` does. A code that must not be on the wire is refused.
    pub fn close(&self, code: u16, reason: &str) -> Result<(), SendError> {
        close_code::check_sendable(code)?;
        if reason.len() > close_code::MAX_REASON_BYTES {
            return Err(SendError::ReasonTooLong(reason.len()));
        }
        let state = self.ready_state();
        if !matches!(state, ReadyState::Connecting | ReadyState::Open) {
            return Err(SendError::NotOpen(state));
        }
        self.push(Command::Close {
            code,
            reason: reason.to_owned(),
        })
    }

    /// Drops the TCP connection without a close frame (to see how a server copes).
    pub fn abort(&self) {
        let _already_over = self.push(Command::Abort);
    }

    /// The next event if one is waiting; never blocks.
    pub fn try_recv(&mut self) -> Option<Event> {
        self.events.try_recv()
    }

    /// Waits for the next event; `None` once the attempt is over and every event was read.
    pub async fn recv(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    fn send_when_open(&self, command: Command) -> Result<(), SendError> {
        let state = self.ready_state();
        if state != ReadyState::Open {
            return Err(SendError::NotOpen(state));
        }
        self.push(command)
    }

    fn push(&self, command: Command) -> Result<(), SendError> {
        self.commands
            .send(command)
            .map_err(|_| SendError::NotOpen(ReadyState::Closed))
    }
}

fn check_control_payload(payload: Bytes) -> Result<Bytes, SendError> {
    if payload.len() > 125 {
        return Err(SendError::ControlPayloadTooLong(payload.len()));
    }
    Ok(payload)
}

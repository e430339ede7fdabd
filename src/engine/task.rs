//! The task that owns one connection attempt, from `connecting` to its one `close` event.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::SplitStream;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::extensions::WireTap;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::command::Command;
use super::config::{PreparedRequest, TlsOptions};
use super::connect::{Socket, establish};
use super::emitter::{Emitter, SharedState};
use super::event::{
    CloseInfo, Direction, ErrorCategory, ErrorInfo, EventKind, Initiator, Payload, ReadyState,
    WireForm,
};
use super::keepalive::{Keepalive, KeepaliveState};
use super::payload_store::PayloadStore;
use super::proxy::ProxyMode;
use super::send_room::SendRoom;
use super::sleep::sleep_until;
use super::wake_pacer::WakePacer;
use super::writer::{Outgoing, Writer};
use crate::protocol::{Frame, Reaction, Session};

/// How many already-arrived frames are handled before their events are handed over.
const READ_BATCH: usize = 256;
/// How many payload bytes a batch reads at most (one message may go beyond), so that a full
/// queue is noticed after at most this much more.
const READ_BATCH_BYTES: usize = 1 << 20;
/// How long a failed connection's close frame may take to leave before the TCP drop.
const FAIL_GRACE: Duration = Duration::from_millis(500);

/// Everything the task needs; built by the handle.
pub(crate) struct Attempt {
    pub(crate) prepared: PreparedRequest,
    pub(crate) tls: TlsOptions,
    pub(crate) proxy: ProxyMode,
    pub(crate) keepalive: Option<Keepalive>,
    pub(crate) handshake_timeout: Duration,
    pub(crate) close_timeout: Duration,
    pub(crate) max_message_size: usize,
    pub(crate) commands: UnboundedReceiver<Command>,
    pub(crate) send_room: SendRoom,
    pub(crate) emitter: Arc<Emitter>,
    pub(crate) shared: Arc<SharedState>,
    /// The protocol spoken over the WebSocket, run here so its heartbeats are answered
    /// whatever the consumer is doing.
    pub(crate) protocol: Session,
    /// Whether every received data message is sent back (see [`super::EngineOptions`]).
    pub(crate) echo: bool,
}

/// Runs the attempt to its end. Every path ends with exactly one close event, emitted last.
pub(crate) async fn run(mut attempt: Attempt) {
    let emitter = Arc::clone(&attempt.emitter);
    emitter.emit(EventKind::Connecting {
        url: attempt.prepared.url.to_string(),
    });
    emitter.wake();
    let opening = tokio::time::timeout(
        attempt.handshake_timeout,
        establish(
            attempt.prepared,
            &attempt.tls,
            &attempt.proxy,
            attempt.max_message_size,
            emitter.started(),
        ),
    );
    let outcome = tokio::select! {
        outcome = opening => outcome,
        () = cancelled_while_connecting(&mut attempt.commands, &emitter) => {
            finish_unopened(&attempt.shared, &emitter, None, Initiator::Client);
            return;
        }
    };
    let (socket, open) = match outcome {
        Ok(Ok(opened)) => opened,
        Ok(Err(error)) => {
            let initiator = error.category.initiator();
            finish_unopened(&attempt.shared, &emitter, Some(error), initiator);
            return;
        }
        Err(_elapsed) => {
            let error = ErrorInfo::new(
                ErrorCategory::Timeout,
                format!(
                    "the opening handshake did not complete within {} ms",
                    attempt.handshake_timeout.as_millis()
                ),
            );
            finish_unopened(&attempt.shared, &emitter, Some(error), Initiator::Client);
            return;
        }
    };
    attempt.shared.set_ready_state(ReadyState::Open);
    let subprotocol = open.subprotocol.clone();
    emitter.emit(EventKind::Open(Box::new(open)));
    emitter.wake();
    // permessage-deflate: where tungstenite reports each compressed message's wire form.
    let wire_tap = socket.get_config().wire_tap.clone();
    let (sink, stream) = socket.split();
    let mut connection = OpenConnection {
        stream,
        writer: Writer::spawn(
            sink,
            Arc::clone(&emitter),
            attempt.send_room.clone(),
            wire_tap.clone(),
        ),
        wire_tap,
        send_room: attempt.send_room,
        commands: attempt.commands,
        commands_open: true,
        emitter,
        shared: attempt.shared,
        close_timeout: attempt.close_timeout,
        closing: Closing::default(),
        deadline: None,
        keepalive: attempt.keepalive.map(KeepaliveState::new),
        received: Vec::with_capacity(READ_BATCH),
        batch_bytes: 0,
        payloads: PayloadStore::default(),
        wake_pacer: WakePacer::default(),
        protocol: attempt.protocol,
        reactions: Vec::new(),
        echo: attempt.echo,
        echoes: Vec::new(),
    };
    let now = connection.since_start();
    let reaction = connection.protocol.on_open(subprotocol.as_deref(), now);
    connection.react(reaction);
    connection.run().await;
}

/// Waits for a close, an abort or the handle's drop while the handshake runs; refuses sends.
async fn cancelled_while_connecting(commands: &mut UnboundedReceiver<Command>, emitter: &Emitter) {
    loop {
        match commands.recv().await {
            None | Some(Command::Close { .. } | Command::Abort) => return,
            Some(_send) => {
                emitter.emit(EventKind::Error(Box::new(ErrorInfo::new(
                    ErrorCategory::Send,
                    "not sent: the connection is still CONNECTING",
                ))));
                emitter.wake();
            }
        }
    }
}

/// Ends an attempt that never opened: its error (if any), then close 1006.
fn finish_unopened(
    shared: &SharedState,
    emitter: &Emitter,
    error: Option<ErrorInfo>,
    initiator: Initiator,
) {
    if let Some(error) = error {
        emitter.emit(EventKind::Error(Box::new(error)));
    }
    shared.set_ready_state(ReadyState::Closed);
    emitter.emit(EventKind::Close(Box::new(CloseInfo {
        code: 1006,
        reason: String::new(),
        was_clean: false,
        initiator,
        closing_handshake: None,
    })));
    emitter.wake();
}

/// The closing handshake as far as it has gone.
#[derive(Default)]
struct Closing {
    /// Who sent the first close frame, once somebody has.
    initiator: Option<Initiator>,
    /// When the first close frame was sent or received.
    started: Option<Instant>,
    /// The peer's close frame, once received (`Some(None)`: a frame without a code).
    peer_frame: Option<Option<CloseFrame>>,
}

/// How an open connection ended, before it is reported.
enum Ending {
    /// The stream ended; clean if the closing handshake completed.
    StreamEnded,
    /// The transport failed or ended without a closing handshake.
    Dropped { error: Option<ErrorInfo> },
    /// We failed the connection: send `code` with `reason` (unless a close frame already
    /// went out, as tungstenite's own answer), drop the TCP connection.
    Failed {
        code: u16,
        reason: String,
        send_close: bool,
    },
    /// The user dropped the TCP connection on purpose.
    Aborted,
    /// The close deadline passed.
    DeadlinePassed,
}

struct OpenConnection {
    stream: SplitStream<Socket>,
    writer: Writer,
    /// The handle's count of queued message bytes; released for messages that never go.
    send_room: SendRoom,
    commands: UnboundedReceiver<Command>,
    commands_open: bool,
    emitter: Arc<Emitter>,
    shared: Arc<SharedState>,
    close_timeout: Duration,
    closing: Closing,
    deadline: Option<tokio::time::Instant>,
    keepalive: Option<KeepaliveState>,
    /// Events of the frames read in the current batch, emitted together at its end.
    received: Vec<(EventKind, Option<Box<WireForm>>)>,
    /// The wire form of each compressed message read (permessage-deflate), if agreed.
    wire_tap: Option<WireTap>,
    /// The payload bytes read in the current batch.
    batch_bytes: usize,
    /// Where received payloads are kept, free of tungstenite's read buffers.
    payloads: PayloadStore,
    /// When the consumer is next told about what was read.
    wake_pacer: WakePacer,
    /// The protocol session (handshake, heartbeats, operations).
    protocol: Session,
    /// The protocol's answers to the frames of the current batch, done after its events.
    reactions: Vec<Reaction>,
    /// Whether every received data message is sent back.
    echo: bool,
    /// The data messages of the current batch to send back, queued after its events.
    echoes: Vec<Payload>,
}

impl OpenConnection {
    async fn run(mut self) {
        let ending = loop {
            // Backpressure: while the consumer's queue is full, the socket is not read (TCP
            // holds the server back), and no timer that waits for the server runs (what it
            // waits for may be in the unread bytes).
            if self.emitter.is_full() {
                self.emitter.wake();
            }
            let full = self.emitter.is_full();
            // Echoes wait in the outgoing queue: while it is full, nothing more is read.
            let echo_full = self.echo && !self.send_room.available();
            let deadline = self.deadline.filter(|_| !full);
            let keepalive_due = self
                .keepalive
                .as_ref()
                .map(KeepaliveState::next_due)
                .filter(|_| !full);
            let wake_due = self.wake_pacer.due();
            let protocol_due = self
                .protocol
                .next_timer()
                .map(|at| tokio::time::Instant::from_std(self.emitter.started() + at))
                .filter(|_| !full);
            let step = tokio::select! {
                biased;
                command = self.commands.recv(), if self.commands_open => self.on_command(command),
                item = self.stream.next(), if !full && !echo_full => self.on_items(item),
                () = self.emitter.room(), if full => None,
                () = self.send_room.wait(), if echo_full && !full => None,
                () = sleep_until(deadline), if deadline.is_some() => Some(Ending::DeadlinePassed),
                () = sleep_until(keepalive_due), if keepalive_due.is_some() => {
                    self.on_keepalive_due();
                    None
                }
                () = sleep_until(wake_due), if wake_due.is_some() => None,
                () = sleep_until(protocol_due), if protocol_due.is_some() => {
                    let now = self.since_start();
                    let reaction = self.protocol.on_timer(now);
                    self.react(reaction);
                    None
                }
            };
            if let Some(ending) = step {
                // What was read last is told at once: the ending may take a while.
                self.emitter.wake();
                break ending;
            }
            self.wake_pacer.after_step(&self.emitter);
        };
        self.finish(ending).await;
    }

    fn on_command(&mut self, command: Option<Command>) -> Option<Ending> {
        let Some(command) = command else {
            // The handle was dropped: close as a browser does when a page goes away.
            self.commands_open = false;
            self.start_close(1001, String::new());
            return None;
        };
        let outgoing = match command {
            Command::Abort => return Some(Ending::Aborted),
            Command::Close { code, reason } => {
                self.start_close(code, reason);
                return None;
            }
            Command::SendText(text) => {
                let text = tokio_tungstenite::tungstenite::Utf8Bytes::from(text);
                Outgoing {
                    reserved: text.len(),
                    message: Message::Text(text.clone()),
                    event: Some(EventKind::Message {
                        dir: Direction::Out,
                        payload: Payload::Text(text),
                    }),
                }
            }
            Command::SendOp(op) => {
                self.on_op(&op);
                return None;
            }
            Command::SendBinary(bytes) => Outgoing {
                reserved: bytes.len(),
                message: Message::Binary(bytes.clone()),
                event: Some(EventKind::Message {
                    dir: Direction::Out,
                    payload: Payload::Binary(bytes),
                }),
            },
            Command::Ping(payload) => Outgoing {
                reserved: 0,
                message: Message::Ping(payload.clone()),
                event: Some(EventKind::Ping {
                    dir: Direction::Out,
                    payload,
                }),
            },
            Command::Pong(payload) => Outgoing {
                reserved: 0,
                message: Message::Pong(payload.clone()),
                event: Some(EventKind::Pong {
                    dir: Direction::Out,
                    payload,
                    auto: false,
                }),
            },
        };
        let state = self.shared.ready_state();
        let reserved = outgoing.reserved;
        if state != ReadyState::Open || !self.writer.queue(outgoing) {
            self.send_room.release(reserved);
            self.emitter.emit(EventKind::Error(Box::new(ErrorInfo::new(
                ErrorCategory::Send,
                format!("not sent: the connection is {state}"),
            ))));
        }
        None
    }

    /// The time since the attempt started, as the protocol session counts it.
    fn since_start(&self) -> Duration {
        self.emitter.started().elapsed()
    }

    /// Runs a protocol operation: its frames go out (now or once the protocol's handshake is
    /// done); one the protocol cannot make frames of is an error event, and nothing is sent.
    fn on_op(&mut self, op: &serde_json::Value) {
        let state = self.shared.ready_state();
        if state != ReadyState::Open {
            self.emitter.emit(EventKind::Error(Box::new(ErrorInfo::new(
                ErrorCategory::Send,
                format!("not sent: the connection is {state}"),
            ))));
            return;
        }
        let now = self.since_start();
        match self.protocol.on_op(op, now) {
            Ok(reaction) => self.react(reaction),
            Err(error) => self.emitter.emit(EventKind::Error(Box::new(ErrorInfo::new(
                ErrorCategory::Send,
                format!("not sent: {error}"),
            )))),
        }
    }

    /// Does what the protocol session asked: sends its frames in order, or starts closing.
    /// Its frames are reported as outgoing messages like any other.
    fn react(&mut self, reaction: Reaction) {
        if self.shared.ready_state() != ReadyState::Open {
            return;
        }
        for frame in reaction.send {
            let (message, payload) = match frame {
                Frame::Text(text) => {
                    let text = tokio_tungstenite::tungstenite::Utf8Bytes::from(text);
                    (Message::Text(text.clone()), Payload::Text(text))
                }
                Frame::Binary(bytes) => (Message::Binary(bytes.clone()), Payload::Binary(bytes)),
            };
            self.writer.queue(Outgoing {
                reserved: 0,
                message,
                event: Some(EventKind::Message {
                    dir: Direction::Out,
                    payload,
                }),
            });
        }
        if let Some((code, reason)) = reaction.close {
            self.start_close(code, truncate_reason(&reason));
        }
    }

    /// Sends a keepalive ping when one is due; reports (and maybe closes on) a missing pong.
    fn on_keepalive_due(&mut self) {
        if self.shared.ready_state() != ReadyState::Open {
            self.keepalive = None;
            return;
        }
        let Some(keepalive) = &mut self.keepalive else {
            return;
        };
        let (ping, missed) = keepalive.due(tokio::time::Instant::now());
        let closes = keepalive.closes_on_missing_pong();
        if let Some(problem) = missed {
            self.emitter.emit(EventKind::Error(Box::new(ErrorInfo::new(
                ErrorCategory::Timeout,
                problem,
            ))));
            if closes {
                self.keepalive = None;
                self.start_close(1001, "keepalive: no pong".to_owned());
                return;
            }
        }
        if let Some(payload) = ping {
            self.writer.queue(Outgoing {
                reserved: 0,
                message: Message::Ping(payload.clone()),
                event: Some(EventKind::Ping {
                    dir: Direction::Out,
                    payload,
                }),
            });
        }
    }

    fn start_close(&mut self, code: u16, reason: String) {
        if self.shared.ready_state() != ReadyState::Open {
            return;
        }
        self.shared.set_ready_state(ReadyState::Closing);
        self.closing.initiator = Some(Initiator::Client);
        self.closing.started = Some(Instant::now());
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        self.writer.queue(Outgoing {
            message: Message::Close(Some(frame)),
            event: None,
            reserved: 0,
        });
        self.deadline = Some(tokio::time::Instant::now() + self.close_timeout);
    }

    /// Handles one frame, then the ones that have already arrived, up to a batch, and emits
    /// their events together.
    fn on_items(&mut self, first: Option<Result<Message, WsError>>) -> Option<Ending> {
        self.batch_bytes = 0;
        let ending = self.read_batch(first);
        self.emitter.emit_all_wired(self.received.drain(..));
        self.send_echoes(ending.as_ref());
        for reaction in std::mem::take(&mut self.reactions) {
            self.react(reaction);
        }
        ending
    }

    fn read_batch(&mut self, first: Option<Result<Message, WsError>>) -> Option<Ending> {
        if let Some(ending) = self.on_item(first) {
            return Some(ending);
        }
        for _ in 1..READ_BATCH {
            if self.batch_bytes >= READ_BATCH_BYTES {
                break;
            }
            let item = self.stream.next().now_or_never()?;
            if let Some(ending) = self.on_item(item) {
                return Some(ending);
            }
        }
        None
    }

    /// The wire form of the message just read, when it came compressed.
    fn wire_read(&self) -> Option<Box<WireForm>> {
        let wire = self.wire_tap.as_ref()?.take_read()?;
        Some(Box::new(WireForm {
            size: wire.size,
            bytes: wire.bytes,
        }))
    }

    /// Handles one frame; its events go into `received`.
    fn on_item(&mut self, item: Option<Result<Message, WsError>>) -> Option<Ending> {
        let message = match item {
            None => return Some(Ending::StreamEnded),
            Some(Err(error)) => return Some(self.on_read_error(error)),
            Some(Ok(message)) => message,
        };
        self.batch_bytes += message.len();
        match message {
            Message::Text(text) => {
                let payload = self.payloads.payload(Payload::Text(text));
                self.protocol_frame(&payload);
                if self.echo {
                    self.echoes.push(payload.clone());
                }
                let wire = self.wire_read();
                self.received.push((
                    EventKind::Message {
                        dir: Direction::In,
                        payload,
                    },
                    wire,
                ));
            }
            Message::Binary(bytes) => {
                let payload = Payload::Binary(self.payloads.bytes(bytes));
                self.protocol_frame(&payload);
                if self.echo {
                    self.echoes.push(payload.clone());
                }
                let wire = self.wire_read();
                self.received.push((
                    EventKind::Message {
                        dir: Direction::In,
                        payload,
                    },
                    wire,
                ));
            }
            Message::Ping(payload) => {
                let payload = self.payloads.bytes(payload);
                self.received.push((
                    EventKind::Ping {
                        dir: Direction::In,
                        payload: payload.clone(),
                    },
                    None,
                ));
                // tungstenite queues the answer itself while the connection is open.
                if self.shared.ready_state() == ReadyState::Open {
                    self.received.push((
                        EventKind::Pong {
                            dir: Direction::Out,
                            payload,
                            auto: true,
                        },
                        None,
                    ));
                }
            }
            Message::Pong(payload) => {
                let payload = self.payloads.bytes(payload);
                if let Some(keepalive) = &mut self.keepalive {
                    keepalive.pong(&payload);
                }
                self.received.push((
                    EventKind::Pong {
                        dir: Direction::In,
                        payload,
                        auto: false,
                    },
                    None,
                ));
            }
            Message::Close(frame) => return self.on_close_frame(frame),
            Message::Frame(_) => {}
        }
        None
    }

    /// Queues the echoes of the batch just handed over, in order, after its events (so an
    /// echo is never reported before what it answers) and before the ending's close frame
    /// (so a valid message is answered before a later invalid frame fails the connection).
    /// None once the peer has started closing (a browser's send is discarded then too) or
    /// the connection is gone.
    fn send_echoes(&mut self, ending: Option<&Ending>) {
        if self.echoes.is_empty() {
            return;
        }
        let open = self.shared.ready_state() == ReadyState::Open;
        let writable = matches!(ending, None | Some(Ending::Failed { .. }));
        let echoes = std::mem::take(&mut self.echoes);
        if !open || !writable {
            return;
        }
        for payload in echoes {
            let (message, reserved) = match &payload {
                Payload::Text(text) => (Message::Text(text.clone()), text.len()),
                Payload::Binary(bytes) => (Message::Binary(bytes.clone()), bytes.len()),
            };
            self.send_room.reserve(reserved);
            let queued = self.writer.queue(Outgoing {
                message,
                event: Some(EventKind::Message {
                    dir: Direction::Out,
                    payload,
                }),
                reserved,
            });
            if !queued {
                self.send_room.release(reserved);
                return;
            }
        }
    }

    /// Lets the protocol session see a received data message. Its answer waits until the
    /// batch's events are handed over, so that a reply is never reported before what it
    /// answers.
    fn protocol_frame(&mut self, payload: &Payload) {
        if self.protocol.is_raw() {
            return;
        }
        let now = self.since_start();
        let reaction = self.protocol.on_frame(payload, now);
        if !reaction.send.is_empty() || reaction.close.is_some() {
            self.reactions.push(reaction);
        }
    }

    fn on_close_frame(&mut self, frame: Option<CloseFrame>) -> Option<Ending> {
        if self.closing.initiator == Some(Initiator::Client) {
            // The answer to our close: the handshake is complete; the server closes TCP next.
            self.closing.peer_frame = Some(frame);
            self.deadline = Some(tokio::time::Instant::now() + self.close_timeout);
            return None;
        }
        if let Some(frame) = &frame
            && frame.code == CloseCode::Protocol
            && frame.reason.as_str() == "Protocol violation"
        {
            // tungstenite puts this in place of a code that must not be on the wire
            // (1005, 1006, 1015, reserved or out of range), and answers it with 1002.
            return Some(Ending::Failed {
                code: 1002,
                reason: "the server's close frame carried a status code that must not be sent"
                    .to_owned(),
                send_close: false,
            });
        }
        self.shared.set_ready_state(ReadyState::Closing);
        self.closing.initiator = Some(Initiator::Server);
        self.closing.started = Some(Instant::now());
        self.closing.peer_frame = Some(frame);
        self.deadline = Some(tokio::time::Instant::now() + self.close_timeout);
        None
    }

    fn on_read_error(&mut self, error: WsError) -> Ending {
        match error {
            WsError::ConnectionClosed | WsError::AlreadyClosed => Ending::StreamEnded,
            WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                Ending::Dropped { error: None }
            }
            WsError::Utf8(_) => Ending::Failed {
                code: 1007,
                reason: "invalid UTF-8 in a text message".to_owned(),
                send_close: true,
            },
            WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => Ending::Failed {
                code: 1009,
                reason: format!("message of {size} bytes exceeds the limit of {max_size} bytes"),
                send_close: true,
            },
            WsError::Capacity(CapacityError::InflatedMessageTooLong {
                compressed,
                max_size,
            }) => Ending::Failed {
                code: 1009,
                reason: format!(
                    "compressed message of {compressed} bytes inflates past the limit of \
                     {max_size} bytes"
                ),
                send_close: true,
            },
            WsError::Capacity(other) => Ending::Failed {
                code: 1009,
                reason: other.to_string(),
                send_close: true,
            },
            WsError::Protocol(violation) => Ending::Failed {
                code: 1002,
                reason: format!("protocol violation: {violation}"),
                send_close: true,
            },
            WsError::Io(error) if self.closing.peer_frame.is_some() => {
                // After the closing handshake, a reset instead of a FIN changes nothing.
                let _ = error;
                Ending::StreamEnded
            }
            other => Ending::Dropped {
                error: Some(ErrorInfo::new(
                    ErrorCategory::Io,
                    format!("connection lost: {other}"),
                )),
            },
        }
    }

    /// Reports the ending: an error if there was one, then the one close event, last.
    async fn finish(mut self, ending: Ending) {
        let closing_handshake = self.closing.started.map(|t| t.elapsed());
        let (close, error) = match ending {
            Ending::StreamEnded => match self.closing.peer_frame.take() {
                Some(frame) => {
                    let (code, reason) = match frame {
                        Some(frame) => (u16::from(frame.code), frame.reason.to_string()),
                        None => (1005, String::new()),
                    };
                    (
                        CloseInfo {
                            code,
                            reason,
                            was_clean: true,
                            initiator: self.closing.initiator.unwrap_or(Initiator::Server),
                            closing_handshake,
                        },
                        None,
                    )
                }
                None => (self.abnormal(closing_handshake), None),
            },
            Ending::Dropped { error } => (self.abnormal(closing_handshake), error),
            Ending::Aborted => (
                CloseInfo {
                    initiator: Initiator::Client,
                    ..self.abnormal(closing_handshake)
                },
                None,
            ),
            Ending::DeadlinePassed => match self.closing.peer_frame.take() {
                Some(frame) => {
                    // Handshake done, but the server kept TCP open: we close it; still clean.
                    let (code, reason) = match frame {
                        Some(frame) => (u16::from(frame.code), frame.reason.to_string()),
                        None => (1005, String::new()),
                    };
                    let initiator = self.closing.initiator.unwrap_or(Initiator::Server);
                    (
                        CloseInfo {
                            code,
                            reason,
                            was_clean: true,
                            initiator,
                            closing_handshake,
                        },
                        None,
                    )
                }
                None => (
                    CloseInfo {
                        initiator: Initiator::Client,
                        ..self.abnormal(closing_handshake)
                    },
                    Some(ErrorInfo::new(
                        ErrorCategory::Timeout,
                        format!(
                            "the server did not answer the close frame within {} ms; the TCP connection was dropped",
                            self.close_timeout.as_millis()
                        ),
                    )),
                ),
            },
            Ending::Failed {
                code,
                reason,
                send_close,
            } => {
                let reason = truncate_reason(&reason);
                if send_close {
                    self.writer.queue(Outgoing {
                        message: Message::Close(Some(CloseFrame {
                            code: CloseCode::from(code),
                            reason: reason.clone().into(),
                        })),
                        event: None,
                        reserved: 0,
                    });
                }
                // Draining also flushes a close answer tungstenite queued itself.
                self.writer.drain(FAIL_GRACE).await;
                let error = ErrorInfo::new(
                    ErrorCategory::Protocol,
                    format!("the connection was failed with {code}: {reason}"),
                );
                (
                    CloseInfo {
                        code,
                        reason,
                        was_clean: false,
                        initiator: Initiator::Client,
                        closing_handshake,
                    },
                    Some(error),
                )
            }
        };
        let unsent = self.writer.stop().await;
        drop(self.stream);
        if let Some(error) = error {
            self.emitter.emit(EventKind::Error(Box::new(error)));
        }
        if unsent > 0 {
            self.emitter.emit(EventKind::Error(Box::new(ErrorInfo::new(
                ErrorCategory::Send,
                format!("{unsent} queued frame(s) were not sent: the connection ended first"),
            ))));
        }
        self.shared.set_ready_state(ReadyState::Closed);
        self.emitter.emit(EventKind::Close(Box::new(close)));
        self.emitter.wake();
    }

    /// Close 1006: no closing handshake completed.
    fn abnormal(&self, closing_handshake: Option<Duration>) -> CloseInfo {
        CloseInfo {
            code: 1006,
            reason: String::new(),
            was_clean: false,
            initiator: self.closing.initiator.unwrap_or(Initiator::None),
            closing_handshake,
        }
    }
}

/// Cuts a reason to what fits in a close frame, on a character boundary.
fn truncate_reason(reason: &str) -> String {
    let end = reason.floor_char_boundary(super::close_code::MAX_REASON_BYTES);
    reason[..end].to_owned()
}

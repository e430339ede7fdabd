//! The relay between an open client leg and an open upstream leg: message by message,
//! both ways, each message handed to the far side's writer before the next one is read (so
//! a slow side holds the other back, never a queue: tungstenite's write buffer of 128 KiB
//! is all that waits), flushed once nothing more has arrived (or after a batch), and
//! closing passed on faithfully: a close frame goes across with its code and reason, an
//! abrupt drop becomes an abrupt drop, after the messages before it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

mod write;

use super::conn_log::{ConnLog, Leg};
use super::intercept::{DirSide, Intercept};
use crate::engine::sleep_until;
use crate::engine::{
    CloseInfo, Direction, DropCause, DroppedMessage, ErrorCategory, ErrorInfo, EventKind,
    Initiator, Payload,
};
use write::{Out, hold, lock, obey, release_all};

/// The most data messages handed to a leg's writer before a flush, while more keep
/// arriving (tungstenite also writes out by itself once its write buffer holds 128 KiB).
const FLUSH_AFTER: usize = 256;

/// How long the second leg may take to finish its closing handshake once the first one
/// has finished cleanly.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// What each leg's closing looked like so far.
#[derive(Default)]
struct LegClose {
    /// The close frame the peer sent (inner `None`: one without a status code).
    received: Option<Option<CloseFrame>>,
    /// Whether a close frame went to the peer (forwarded, or tungstenite's reply).
    sent: bool,
    /// Who sent the first close frame on this leg.
    initiator: Option<Initiator>,
    /// When the first close frame on this leg went either way.
    since: Option<Instant>,
    /// Whether this leg's close event was given.
    reported: bool,
}

/// Both legs' closing, shared by the two directions.
struct Closing {
    legs: Mutex<[LegClose; 2]>,
}

impl Closing {
    fn with<T>(&self, leg: Leg, f: impl FnOnce(&mut LegClose) -> T) -> T {
        let mut legs = self.legs.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut legs[leg.index()])
    }
}

/// The role the peer of `leg` plays (the initiator name when the peer starts closing).
fn peer_role(leg: Leg) -> Initiator {
    match leg {
        Leg::Client => Initiator::Client,
        Leg::Upstream => Initiator::Server,
    }
}

/// How one direction ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The reading leg finished its closing handshake.
    Closed,
    /// The reading leg dropped, failed, or the writing leg could not be written.
    Abrupt,
}

/// Relays between the two legs until both have ended; gives every leg's close event.
/// `sides` are the intercept's ends of the two directions (`[from client, from upstream]`).
pub(super) async fn relay<C, U>(
    client: WebSocketStream<C>,
    upstream: WebSocketStream<U>,
    log: &ConnLog,
    stopping: watch::Receiver<bool>,
    intercept: &Intercept,
    sides: [DirSide; 2],
) where
    C: AsyncRead + AsyncWrite + Unpin,
    U: AsyncRead + AsyncWrite + Unpin,
{
    let closing = Closing {
        legs: Mutex::new(Default::default()),
    };
    let (client_out, client_in) = client.split();
    let (upstream_out, upstream_in) = upstream.split();
    let [from_client, from_upstream] = sides;
    let up = pump(
        Leg::Client,
        client_in,
        upstream_out,
        Shared {
            closing: &closing,
            log,
            intercept,
        },
        from_client,
        stopping.clone(),
    );
    let down = pump(
        Leg::Upstream,
        upstream_in,
        client_out,
        Shared {
            closing: &closing,
            log,
            intercept,
        },
        from_upstream,
        stopping,
    );
    tokio::pin!(up, down);
    let (first, rest_leg) = tokio::select! {
        end = &mut up => (end, Leg::Upstream),
        end = &mut down => (end, Leg::Client),
    };
    if first == End::Closed {
        let rest = async {
            if rest_leg == Leg::Upstream {
                down.await
            } else {
                up.await
            }
        };
        let _ = tokio::time::timeout(CLOSE_WAIT, rest).await;
    }
    // Whatever did not end by itself is dropped here, without a close frame.
    for leg in [Leg::Client, Leg::Upstream] {
        report_close(leg, &closing, log).await;
    }
    // The events of a direction dropped mid-burst.
    log.hand_over().await;
}

/// What both directions of a connection share.
#[derive(Clone, Copy)]
struct Shared<'a> {
    closing: &'a Closing,
    log: &'a ConnLog,
    intercept: &'a Intercept,
}

/// Reads `from`'s messages and writes each to the other leg, until `from` ends. The rules
/// run on each text message; while `from` is paused, data messages are held in `side`'s
/// bounded queue (full: `from` is not read) until released, edited, dropped or resumed;
/// `side`'s commands also inject messages into the other leg. When the proxy shuts down,
/// the other leg gets a close frame 1001 (Going Away) from here.
async fn pump<R, W>(
    from: Leg,
    mut reader: SplitStream<WebSocketStream<R>>,
    mut writer: SplitSink<WebSocketStream<W>, Message>,
    shared: Shared<'_>,
    mut side: DirSide,
    mut stopping: watch::Receiver<bool>,
) -> End
where
    R: AsyncRead + AsyncWrite + Unpin,
    W: AsyncRead + AsyncWrite + Unpin,
{
    let Shared {
        closing,
        log,
        intercept,
    } = shared;
    let to = from.other();
    let mut stopped = *stopping.borrow();
    let mut pause = intercept.paused_watch(from);
    let mut paused = *pause.borrow_and_update();
    let mut pause_open = true;
    let mut commands_open = true;
    // A message a delay rule holds back, and when it is due; nothing is read meanwhile.
    let mut delayed: Option<(tokio::time::Instant, Payload)> = None;
    let mut next_id = 1u64;
    let out = Out { to, closing, log };
    // Data messages handed to the writer since its last flush.
    let mut unflushed = 0usize;
    loop {
        if !paused && *pause.borrow() {
            // Paused while messages kept arriving (the select below is skipped then):
            // hold from here on. Resuming is seen there, where the held ones go first.
            paused = true;
        }
        let room = lock(&side.held).has_room();
        let readable = delayed.is_none() && (!paused || room);
        // What has already arrived is relayed without a flush per message; once nothing
        // more is there (or after a batch), what was handed over goes out.
        let ready = if readable && unflushed < FLUSH_AFTER {
            reader.next().now_or_never()
        } else {
            None
        };
        if ready.is_none() {
            // Nothing more has arrived: the burst's events go to the printer before the
            // relay may wait (for the socket or the next message).
            log.hand_over().await;
            if unflushed > 0 {
                unflushed = 0;
                if let Err(end) = out.flush(&mut writer).await {
                    return end;
                }
            }
        }
        let due = delayed.as_ref().map(|(at, _)| *at);
        let next = if let Some(next) = ready {
            next
        } else {
            log.tick();
            tokio::select! {
                next = reader.next(), if readable => next,
                changed = stopping.changed(), if !stopped => {
                    stopped = true;
                    if changed.is_ok() && *stopping.borrow() {
                        go_away(to, &mut writer, closing).await;
                    }
                    continue;
                }
                command = side.commands.recv(), if commands_open => {
                    match command {
                        Some(command) => {
                            if let Err(end) = obey(command, &side, &mut writer, out).await {
                                return end;
                            }
                        }
                        None => commands_open = false,
                    }
                    continue;
                }
                changed = pause.changed(), if pause_open => {
                    if changed.is_err() {
                        pause_open = false;
                        continue;
                    }
                    paused = *pause.borrow_and_update();
                    if !paused && let Err(end) = release_all(&side, &mut writer, out).await {
                        return end;
                    }
                    continue;
                }
                () = sleep_until(due), if due.is_some() => {
                    if let Some((_, payload)) = delayed.take() {
                        let held = paused.then(|| hold(&side, payload.clone(), log, &mut next_id));
                        if held.is_none() && let Err(end) = out.write(&mut writer, payload).await {
                            return end;
                        }
                    }
                    continue;
                }
            }
        };
        let is_data = matches!(next, Some(Ok(Message::Text(_) | Message::Binary(_))));
        if !is_data && unflushed > 0 {
            // Whatever comes next (a control frame, the end), the messages before it are
            // on their way first.
            unflushed = 0;
            let _ = writer.flush().await;
        }
        let message = match next {
            Some(Ok(message)) => message,
            Some(Err(error)) => {
                let closed = closing.with(from, |leg| leg.received.is_some());
                if !closed {
                    let error = ErrorInfo {
                        category: ErrorCategory::Io,
                        message: error.to_string(),
                        http: None,
                    };
                    log.emit(from, EventKind::Error(Box::new(error))).await;
                }
                return finish(from, closed, closing, log).await;
            }
            None => {
                let closed = closing.with(from, |leg| leg.received.is_some());
                return finish(from, closed, closing, log).await;
            }
        };
        // Data messages: the `in` event, the rules (text only), the pause, then on to
        // the other leg.
        let message = match Payload::try_from(message) {
            Ok(payload) => {
                log.emit_soon(
                    from,
                    EventKind::Message {
                        dir: Direction::In,
                        payload: payload.clone(),
                    },
                )
                .await;
                let rules = intercept.rules();
                let mut payload = payload;
                if !rules.is_empty()
                    && let Payload::Text(text) = &payload
                {
                    let verdict = rules.apply(from, text.as_str());
                    if let Some(rule) = verdict.dropped_by {
                        let dropped = DroppedMessage {
                            by: DropCause::Rule(rule),
                            size: text.len(),
                            binary: false,
                        };
                        log.emit(from.other(), EventKind::Dropped(Box::new(dropped)))
                            .await;
                        continue;
                    }
                    if let Some(text) = verdict.text {
                        payload = Payload::Text(text.into());
                    }
                    if !verdict.delay.is_zero() {
                        delayed = Some((tokio::time::Instant::now() + verdict.delay, payload));
                        continue;
                    }
                }
                if paused {
                    hold(&side, payload, log, &mut next_id);
                    continue;
                }
                unflushed += 1;
                if let Err(end) = out.feed(&mut writer, payload).await {
                    return end;
                }
                continue;
            }
            Err(control) => control,
        };
        let (seen, forward) = match message {
            Message::Ping(bytes) => {
                log.emit(
                    from,
                    EventKind::Ping {
                        dir: Direction::In,
                        payload: bytes.clone(),
                    },
                )
                .await;
                // tungstenite answers every ping by itself; the timeline says so.
                let pong = EventKind::Pong {
                    dir: Direction::Out,
                    payload: bytes.clone(),
                    auto: true,
                };
                (pong, Message::Ping(bytes))
            }
            Message::Pong(bytes) => (
                EventKind::Pong {
                    dir: Direction::In,
                    payload: bytes.clone(),
                    auto: false,
                },
                Message::Pong(bytes),
            ),
            Message::Close(frame) => {
                pass_close(from, frame, &mut writer, closing).await;
                continue;
            }
            // Data messages went above; raw frames are never returned by a read.
            Message::Text(_) | Message::Binary(_) | Message::Frame(_) => continue,
        };
        log.emit(from, seen).await;
        if let Err(end) = out.send(&mut writer, forward).await {
            return end;
        }
    }
}

/// A close frame arrived on `from`: tungstenite answers it there with the same frame; the
/// other leg gets it too, unless that leg is already closing (then this is its answer).
async fn pass_close<W>(
    from: Leg,
    frame: Option<CloseFrame>,
    writer: &mut SplitSink<WebSocketStream<W>, Message>,
    closing: &Closing,
) where
    W: AsyncRead + AsyncWrite + Unpin,
{
    let now = Instant::now();
    closing.with(from, |leg| {
        leg.received = Some(frame.clone());
        leg.sent = true;
        leg.initiator.get_or_insert(peer_role(from));
        leg.since.get_or_insert(now);
    });
    let to = from.other();
    let forward = closing.with(to, |leg| {
        let fresh = leg.received.is_none() && !leg.sent;
        if fresh {
            leg.sent = true;
            leg.initiator = Some(own_role(to));
            leg.since = Some(now);
        }
        fresh
    });
    if forward {
        let _ = writer.send(Message::Close(frame)).await;
    }
}

/// The proxy is shutting down: `to` gets a close frame 1001 unless it is closing already.
async fn go_away<W>(to: Leg, writer: &mut SplitSink<WebSocketStream<W>, Message>, closing: &Closing)
where
    W: AsyncRead + AsyncWrite + Unpin,
{
    let fresh = closing.with(to, |leg| {
        let fresh = leg.received.is_none() && !leg.sent;
        if fresh {
            leg.sent = true;
            leg.initiator = Some(own_role(to));
            leg.since = Some(Instant::now());
        }
        fresh
    });
    if fresh {
        let frame = CloseFrame {
            code: CloseCode::Away,
            reason: "".into(),
        };
        let _ = writer.send(Message::Close(Some(frame))).await;
    }
}

/// The role Sockscope plays on `leg` (the initiator name when Sockscope starts closing).
fn own_role(leg: Leg) -> Initiator {
    match leg {
        Leg::Client => Initiator::Server,
        Leg::Upstream => Initiator::Client,
    }
}

/// The reading side of `leg` ended (`closed`: after its close frame); its close event.
async fn finish(leg: Leg, closed: bool, closing: &Closing, log: &ConnLog) -> End {
    report_close(leg, closing, log).await;
    if closed { End::Closed } else { End::Abrupt }
}

/// Gives `leg`'s close event once: the code and reason its peer sent (1006 when it sent
/// none, 1005 for a frame without a code), clean when close frames went both ways.
async fn report_close(leg: Leg, closing: &Closing, log: &ConnLog) {
    let info = closing.with(leg, |state| {
        if state.reported {
            return None;
        }
        state.reported = true;
        let (code, reason) = match &state.received {
            Some(Some(frame)) => (u16::from(frame.code), frame.reason.to_string()),
            Some(None) => (1005, String::new()),
            None => (1006, String::new()),
        };
        let was_clean = state.received.is_some() && state.sent;
        Some(CloseInfo {
            code,
            reason,
            was_clean,
            initiator: state.initiator.unwrap_or(Initiator::None),
            closing_handshake: state.since.map(|since| since.elapsed()),
        })
    });
    if let Some(info) = info {
        log.emit(leg, EventKind::Close(Box::new(info))).await;
    }
}

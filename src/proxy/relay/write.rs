//! Writing to one leg of a relay and saying so on the timeline, and what the relay does for
//! the intercept: holding a paused direction's messages in its bounded queue, and carrying
//! out the window's commands (release, edit, drop, release all, inject).

use std::sync::Mutex;

use futures_util::stream::SplitSink;
use futures_util::{FutureExt, SinkExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::super::conn_log::{ConnLog, Leg};
use super::super::intercept::{DirCommand, DirSide, HeldMessage, HeldQueue};
use super::{Closing, End};
use crate::engine::{Direction, DropCause, DroppedMessage, EventKind, Payload};

/// Locks a held queue (a panic elsewhere never poisons it for good).
pub(super) fn lock(held: &Mutex<HeldQueue>) -> std::sync::MutexGuard<'_, HeldQueue> {
    held.lock().unwrap_or_else(|p| p.into_inner())
}

/// Holds a data message in the paused direction's queue.
pub(super) fn hold(side: &DirSide, payload: Payload, log: &ConnLog, next_id: &mut u64) {
    let message = HeldMessage {
        id: *next_id,
        payload,
        offset: log.elapsed(),
    };
    *next_id += 1;
    lock(&side.held).push(message);
}

/// Does what the window asked of this direction.
pub(super) async fn obey<W>(
    command: DirCommand,
    side: &DirSide,
    writer: &mut SplitSink<WebSocketStream<W>, Message>,
    out: Out<'_>,
) -> Result<(), End>
where
    W: AsyncRead + AsyncWrite + Unpin,
{
    match command {
        DirCommand::Release(id, edited) => {
            let held = lock(&side.held).take(id);
            if let Some(held) = held {
                out.write(writer, edited.unwrap_or(held.payload)).await?;
            }
        }
        DirCommand::Drop(id) => {
            let held = lock(&side.held).take(id);
            if let Some(held) = held {
                let dropped = DroppedMessage {
                    by: DropCause::User,
                    size: held.payload.len(),
                    binary: held.payload.as_text().is_none(),
                };
                out.log
                    .emit(out.to, EventKind::Dropped(Box::new(dropped)))
                    .await;
            }
        }
        DirCommand::ReleaseAll => release_all(side, writer, out).await?,
        DirCommand::Inject(payload) => out.write(writer, payload).await?,
    }
    Ok(())
}

/// Passes every held message on, oldest first.
pub(super) async fn release_all<W>(
    side: &DirSide,
    writer: &mut SplitSink<WebSocketStream<W>, Message>,
    out: Out<'_>,
) -> Result<(), End>
where
    W: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        let next = lock(&side.held).take_first();
        match next {
            Some(held) => out.write(writer, held.payload).await?,
            None => return Ok(()),
        }
    }
}

/// Writing to one leg, and saying so on the timeline.
#[derive(Clone, Copy)]
pub(super) struct Out<'a> {
    pub(super) to: Leg,
    pub(super) closing: &'a Closing,
    pub(super) log: &'a ConnLog,
}

impl Out<'_> {
    /// Writes a data message to the leg.
    pub(super) async fn write<W>(
        self,
        writer: &mut SplitSink<WebSocketStream<W>, Message>,
        payload: Payload,
    ) -> Result<(), End>
    where
        W: AsyncRead + AsyncWrite + Unpin,
    {
        let message = Message::from(payload);
        self.send(writer, message).await
    }

    /// Hands a data message to the leg's writer without flushing it (see
    /// [`Out::flush`]); its `out` event follows once it is handed over.
    pub(super) async fn feed<W>(
        self,
        writer: &mut SplitSink<WebSocketStream<W>, Message>,
        payload: Payload,
    ) -> Result<(), End>
    where
        W: AsyncRead + AsyncWrite + Unpin,
    {
        let message = Message::from(payload);
        let out = outgoing(&message);
        let ready = std::future::poll_fn(|cx| writer.poll_ready_unpin(cx));
        let ready = match ready.now_or_never() {
            Some(ready) => ready,
            None => {
                // The leg is full: what was gathered goes to the printer meanwhile, and
                // the events after the wait read the clock again.
                self.log.hand_over().await;
                let ready = std::future::poll_fn(|cx| writer.poll_ready_unpin(cx)).await;
                self.log.tick();
                ready
            }
        };
        let fed = ready.and_then(|()| writer.start_send_unpin(message));
        match (fed, out) {
            (Ok(()), Some(out)) => {
                self.log.emit_soon(self.to, out).await;
                Ok(())
            }
            (fed, _) => self.written(fed, None).await,
        }
    }

    /// Sends what was fed to the leg's writer.
    pub(super) async fn flush<W>(
        self,
        writer: &mut SplitSink<WebSocketStream<W>, Message>,
    ) -> Result<(), End>
    where
        W: AsyncRead + AsyncWrite + Unpin,
    {
        let flushed = writer.flush().await;
        self.written(flushed, None).await
    }

    /// Writes any message to the leg; its `out` event follows once it is written.
    pub(super) async fn send<W>(
        self,
        writer: &mut SplitSink<WebSocketStream<W>, Message>,
        message: Message,
    ) -> Result<(), End>
    where
        W: AsyncRead + AsyncWrite + Unpin,
    {
        let out = outgoing(&message);
        let sent = writer.send(message).await;
        self.written(sent, out).await
    }

    /// After a write: its `out` event on the timeline, or how the leg ended.
    async fn written<E>(self, result: Result<(), E>, out: Option<EventKind>) -> Result<(), End> {
        match result {
            Ok(()) => {
                if let Some(out) = out {
                    self.log.emit(self.to, out).await;
                }
                Ok(())
            }
            // The far leg is closing: what it can no longer take is dropped, as it would
            // be on a direct connection.
            Err(_)
                if self
                    .closing
                    .with(self.to, |leg| leg.received.is_some() || leg.sent) =>
            {
                Ok(())
            }
            Err(_) => Err(End::Abrupt),
        }
    }
}

/// The event of a forwarded message on the leg it goes out on.
fn outgoing(message: &Message) -> Option<EventKind> {
    Some(match message {
        Message::Text(text) => EventKind::Message {
            dir: Direction::Out,
            payload: Payload::Text(text.clone()),
        },
        Message::Binary(bytes) => EventKind::Message {
            dir: Direction::Out,
            payload: Payload::Binary(bytes.clone()),
        },
        Message::Ping(bytes) => EventKind::Ping {
            dir: Direction::Out,
            payload: bytes.clone(),
        },
        Message::Pong(bytes) => EventKind::Pong {
            dir: Direction::Out,
            payload: bytes.clone(),
            auto: false,
        },
        Message::Close(_) | Message::Frame(_) => return None,
    })
}

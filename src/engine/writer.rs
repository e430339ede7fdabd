//! The writer half of an open connection: sends queued frames in order, in its own task, so
//! that a peer that stops reading never stops us from reading.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::SinkExt;
use futures_util::future::poll_fn;
use futures_util::stream::SplitSink;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::extensions::WireTap;

use super::emitter::Emitter;
use super::event::{ErrorCategory, ErrorInfo, EventKind, WireForm};
use super::send_room::SendRoom;

/// A frame to send, and the event to report once it has been handed to the socket.
pub(crate) struct Outgoing {
    pub(crate) message: Message,
    pub(crate) event: Option<EventKind>,
    /// The bytes it holds in the handle's [`SendRoom`], released once written.
    pub(crate) reserved: usize,
}

/// The running writer: a queue into its task, and counts of what was queued and written.
pub(crate) struct Writer {
    queue: Option<mpsc::UnboundedSender<Outgoing>>,
    task: Option<JoinHandle<()>>,
    queued: u64,
    written: Arc<AtomicU64>,
}

impl Writer {
    /// Starts the writer task for `sink` on the current runtime.
    pub(crate) fn spawn<S>(
        sink: SplitSink<WebSocketStream<S>, Message>,
        emitter: Arc<Emitter>,
        room: SendRoom,
        wire_tap: Option<WireTap>,
    ) -> Self
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (queue, receiver) = mpsc::unbounded_channel();
        let written = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn(write_loop(
            sink,
            receiver,
            emitter,
            room,
            Arc::clone(&written),
            wire_tap,
        ));
        Self {
            queue: Some(queue),
            task: Some(task),
            queued: 0,
            written,
        }
    }

    /// Queues a frame; returns false when the writer has already stopped. The queue holds
    /// frames, not bytes: the bytes of data messages are bounded by the handle's
    /// [`SendRoom`], and control frames are small and few.
    pub(crate) fn queue(&mut self, outgoing: Outgoing) -> bool {
        let Some(queue) = &self.queue else {
            return false;
        };
        if queue.send(outgoing).is_err() {
            return false;
        }
        self.queued += 1;
        true
    }

    /// Lets the writer send what is queued, for at most `grace`, then stops it.
    pub(crate) async fn drain(&mut self, grace: std::time::Duration) {
        self.queue = None;
        if let Some(task) = &mut self.task
            && tokio::time::timeout(grace, &mut *task).await.is_ok()
        {
            self.task = None;
        }
    }

    /// Stops the writer now and returns how many queued frames were never written.
    pub(crate) async fn stop(mut self) -> u64 {
        self.queue = None;
        if let Some(task) = self.task.take() {
            task.abort();
            let _finished_or_aborted = task.await;
        }
        self.queued
            .saturating_sub(self.written.load(Ordering::Acquire))
    }
}

async fn write_loop<S>(
    mut sink: SplitSink<WebSocketStream<S>, Message>,
    mut receiver: mpsc::UnboundedReceiver<Outgoing>,
    emitter: Arc<Emitter>,
    room: SendRoom,
    written: Arc<AtomicU64>,
    wire_tap: Option<WireTap>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    while let Some(first) = receiver.recv().await {
        let mut next = Some(first);
        // Feed everything already queued, then flush once: one syscall for a burst.
        while let Some(outgoing) = next.take() {
            let fed = sink.feed(outgoing.message).await;
            room.release(outgoing.reserved);
            if let Err(error) = fed {
                report_failure(&emitter, &error);
                return;
            }
            written.fetch_add(1, Ordering::AcqRel);
            match (&wire_tap, outgoing.event) {
                (_, None) => {}
                (None, Some(event)) => emitter.emit(event),
                (Some(tap), Some(event)) => {
                    // The split sink hands a fed message to tungstenite (which compresses
                    // it) only when it is next made ready: made so now, the wire form is
                    // known before the event leaves, as the peer's answer cannot be.
                    let ready = poll_fn(|cx| sink.poll_ready_unpin(cx)).await;
                    if let Err(error) = ready {
                        report_failure(&emitter, &error);
                        return;
                    }
                    emit_compressed(&emitter, tap, event);
                }
            }
            next = receiver.try_recv().ok();
        }
        if let Err(error) = sink.flush().await {
            report_failure(&emitter, &error);
            return;
        }
        emitter.wake();
    }
    let _ = sink.flush().await;
}

/// Emits the event of a message tungstenite has compressed, with its wire form.
fn emit_compressed(emitter: &Emitter, tap: &WireTap, event: EventKind) {
    let wire = match event {
        EventKind::Message { .. } => tap.take_written().map(|wire| {
            Box::new(WireForm {
                size: wire.size,
                bytes: wire.bytes,
            })
        }),
        _ => None,
    };
    emitter.emit_all_wired(std::iter::once((event, wire)));
}

fn report_failure(emitter: &Emitter, error: &tokio_tungstenite::tungstenite::Error) {
    emitter.emit(EventKind::Error(Box::new(ErrorInfo::new(
        ErrorCategory::Send,
        format!("could not send: {error}"),
    ))));
    emitter.wake();
}

//! Running a replay: connect, send at the recorded times, collect, close, compare.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::time::Instant;

use super::compare::{Comparison, MessageRef};
use super::script::{ReplayScript, SendAction};
use super::{Housekeeping, Replay, ReplayError, ReplayOptions, Speed};
use crate::engine::{
    ConnectionHandle, Direction, Event, EventKind, SendError, WakeFn, sleep_until,
};
use crate::model::memory_budget::{MemoryBudget, NotKept};

/// After everything expected has arrived, how long to listen for more before closing (when
/// the recording ended by the client's doing).
const SETTLE: Duration = Duration::from_millis(250);

/// The least a replay waits for a protocol's handshake before it gives up and closes.
const HANDSHAKE_WAIT: Duration = Duration::from_secs(10);

/// What a replay did and how it compares with the recording.
#[derive(Clone, Debug)]
pub struct ReplayReport {
    /// Every event of the new run, in order ([`MessageRef::index`] of a received message
    /// is its position here); past the memory budget, messages without their payloads.
    pub events: Vec<Event>,
    /// What the memory budget did not keep (those messages cannot be compared: they never
    /// match).
    pub not_kept: NotKept,
    /// The new run's connection opened.
    pub opened: bool,
    /// How many recorded sends were sent.
    pub sent: usize,
    /// Recorded sends that could not be sent (the connection was no longer open), with
    /// the reason.
    pub unsent: Vec<String>,
    /// The replay was cancelled before it ended by itself.
    pub cancelled: bool,
    /// What arrived compared with what was recorded.
    pub comparison: Comparison,
}

impl ReplayReport {
    /// The replay opened, sent everything, and every message and the close matched.
    pub fn all_match(&self) -> bool {
        self.opened && self.unsent.is_empty() && self.comparison.all_match()
    }
}

fn scaled(at: Duration, speed: Speed) -> Duration {
    match speed {
        Speed::Fast => Duration::ZERO,
        Speed::Factor(factor) => {
            Duration::try_from_secs_f64(at.as_secs_f64() / factor).unwrap_or(Duration::MAX)
        }
    }
}

fn later(base: Instant, by: Duration) -> Instant {
    base.checked_add(by)
        .unwrap_or_else(|| base + Duration::from_secs(86_400 * 365))
}

fn send(handle: &ConnectionHandle, action: &SendAction) -> Result<(), SendError> {
    match action {
        SendAction::Text(text) => handle.send_text(text.clone()),
        SendAction::Binary(bytes) => handle.send_binary(bytes.clone()),
        SendAction::Ping(payload) => handle.ping(payload.clone()),
        SendAction::Pong(payload) => handle.pong(payload.clone()),
        SendAction::Op(op) => handle.send_op(op.clone()),
    }
}

impl Replay {
    /// [`Replay::run_until`], keeping at most `memory_budget` bytes of the new run's
    /// payloads and strings: past it, messages keep their place (and are counted in
    /// [`ReplayReport::not_kept`]) but not their payloads. `on_event` sees every event whole.
    pub async fn run_within<Fut: Future<Output = ()>>(
        &self,
        options: &ReplayOptions,
        memory_budget: usize,
        on_event: impl FnMut(&Event) -> Fut,
        cancel: impl Future<Output = ()>,
    ) -> Result<ReplayReport, ReplayError> {
        run(self, options, memory_budget, on_event, cancel).await
    }
}

/// The replay loop. `cancel` resolving closes the connection early (the run still goes on
/// to its close event).
pub(super) async fn run<Fut: Future<Output = ()>>(
    replay: &Replay,
    options: &ReplayOptions,
    memory_budget: usize,
    mut on_event: impl FnMut(&Event) -> Fut,
    cancel: impl Future<Output = ()>,
) -> Result<ReplayReport, ReplayError> {
    options.check()?;
    let script: &ReplayScript = &replay.script;
    let mut handle = ConnectionHandle::connect(
        &replay.config,
        &tokio::runtime::Handle::current(),
        Arc::new(|| {}),
    )
    .map_err(ReplayError::Config)?;
    let grace = options.grace.unwrap_or_else(|| script.default_grace());
    let (close_code, close_reason) = script.client_close();
    let client_ends = script.client_ends();
    let expected = script.expected.len();

    let mut events: Vec<Event> = Vec::new();
    let mut budget = MemoryBudget::new(memory_budget);
    let mut received: Vec<MessageRef> = Vec::new();
    let mut opened_at: Option<Instant> = None;
    // When the new connection's protocol handshake got as far as the recording's had
    // before its first send (the open, for plain WebSocket): sends count from here.
    let mut ready_at: Option<Instant> = None;
    let mut housekeeping = Housekeeping::new(&replay.config.protocol);
    let mut handshake_seen = 0usize;
    let mut next_send = 0;
    let mut sent = 0;
    let mut unsent = Vec::new();
    let mut close_at: Option<Instant> = None;
    let mut closing = false;
    let mut cancelled = false;
    tokio::pin!(cancel);

    loop {
        let send_at = match ready_at {
            Some(ready) if !closing => script
                .sends
                .get(next_send)
                .map(|s| later(ready, scaled(s.at, options.speed))),
            _ => None,
        };
        let deadline = close_at.filter(|_| !closing);
        tokio::select! {
            event = handle.recv() => {
                let Some(event) = event else { break };
                // A consumer that is behind holds the run here, so it stops reading the
                // connection, whose own bounded queue then holds the server back.
                on_event(&event).await;
                let event = Event {
                    wire: None,
                    kind: budget.admit(events.len(), event.kind),
                    ..event
                };
                let now = Instant::now();
                let mut is_close = false;
                let is_housekeeping = housekeeping.is_housekeeping(&event.kind, event.offset);
                match &event.kind {
                    EventKind::Open(_) => {
                        opened_at = Some(now);
                        if script.sends.is_empty() {
                            close_at = Some(later(now, grace));
                        } else if script.ready_after > 0 {
                            // A handshake that never gets there ends the run, not hangs it.
                            close_at = Some(later(now, grace.max(HANDSHAKE_WAIT)));
                        }
                        if script.ready_after == 0 {
                            ready_at = Some(now);
                        }
                    }
                    EventKind::Message { dir: Direction::In, .. } if is_housekeeping => {
                        handshake_seen += 1;
                        if ready_at.is_none() && handshake_seen >= script.ready_after {
                            ready_at = Some(now);
                            close_at = None;
                        }
                    }
                    EventKind::Message { dir: Direction::In, payload } => {
                        received.push(MessageRef {
                            index: events.len(),
                            offset: event.offset,
                            payload: payload.clone(),
                            not_kept: budget.dropped_len(events.len()),
                        });
                    }
                    EventKind::Close(_) => is_close = true,
                    _ => {}
                }
                events.push(event);
                if is_close {
                    break;
                }
            }
            () = sleep_until(send_at), if send_at.is_some() => {
                if let Some(step) = script.sends.get(next_send) {
                    match send(&handle, &step.action) {
                        Ok(()) => sent += 1,
                        Err(error) => unsent.push(format!("event {}: {error}", step.index)),
                    }
                }
                next_send += 1;
                if next_send >= script.sends.len() {
                    close_at = Some(later(Instant::now(), grace));
                }
            }
            () = sleep_until(deadline), if deadline.is_some() => {
                closing = true;
                let _already_closing = handle.close(close_code, &close_reason);
            }
            () = &mut cancel, if !cancelled => {
                cancelled = true;
                if !closing {
                    closing = true;
                    let _already_closing = handle.close(1000, "replay cancelled");
                }
            }
        }
        // Everything expected has arrived and the recording ended by the client: close
        // soon (at the recorded time, scaled, if that is later) rather than after the
        // whole grace period.
        if let (Some(ready), Some(deadline)) = (ready_at, close_at)
            && client_ends
            && !closing
            && next_send >= script.sends.len()
            && received.len() >= expected
        {
            let recorded_end = later(ready, scaled(script.end_at, options.speed));
            let soon = later(Instant::now(), SETTLE).max(recorded_end);
            close_at = Some(deadline.min(soon));
        }
    }
    // The engine always ends with a close event; if the channel ended without one the
    // run is compared as it stands.
    let actual_close = events.iter().rev().find_map(|e| match &e.kind {
        EventKind::Close(close) => Some(close.as_ref()),
        _ => None,
    });
    let comparison = Comparison::new(
        &script.expected,
        &received,
        script.close.as_ref(),
        actual_close,
        &options.compare,
    );
    Ok(ReplayReport {
        not_kept: budget.not_kept(),
        opened: opened_at.is_some(),
        events,
        sent,
        unsent,
        cancelled,
        comparison,
    })
}

/// What a replay running in the background reports.
#[derive(Debug)]
pub enum ReplayUpdate {
    /// An event of the new run, as it happens (push it into the replay tab's timeline).
    Event(Event),
    /// The run is over: the report, with the comparison. The last update.
    Finished(Box<ReplayReport>),
    /// The replay could not start (bad configuration or options). The last update.
    Failed(ReplayError),
}

/// The bytes of events a background replay may have sent and its consumer not taken yet;
/// past it the run waits (and so stops reading its connection), as the engine's own queue
/// does.
pub const UPDATE_QUEUE_BYTES: usize = 8 << 20;

/// What one event takes of [`UPDATE_QUEUE_BYTES`] (at least 1, at most all of it, so a
/// larger event still passes alone).
fn queue_cost(event: &Event) -> u32 {
    let bytes = event.kind.heap_bytes().clamp(1, UPDATE_QUEUE_BYTES);
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// A replay running on a tokio runtime. Dropping the handle cancels it (the connection is
/// closed cleanly).
#[derive(Debug)]
pub struct ReplayHandle {
    updates: mpsc::UnboundedReceiver<ReplayUpdate>,
    /// Room left in [`UPDATE_QUEUE_BYTES`]: taken as events are sent, given back as they
    /// are received (the channel itself is bounded by it).
    room: Arc<Semaphore>,
    cancel: Option<oneshot::Sender<()>>,
}

impl ReplayHandle {
    /// Starts `replay` on `runtime`; `wake` is called after each update is sent (the
    /// window passes a callback that requests a repaint).
    pub fn spawn(
        replay: Replay,
        options: ReplayOptions,
        runtime: &tokio::runtime::Handle,
        wake: WakeFn,
    ) -> Self {
        let (sender, updates) = mpsc::unbounded_channel();
        let (cancel, cancelled) = oneshot::channel::<()>();
        let room = Arc::new(Semaphore::new(UPDATE_QUEUE_BYTES));
        let taken = Arc::clone(&room);
        runtime.spawn(async move {
            let on_event = |event: &Event| {
                let (cost, event) = (queue_cost(event), event.clone());
                let (taken, sender, wake) = (Arc::clone(&taken), sender.clone(), Arc::clone(&wake));
                async move {
                    // Closed when the handle is dropped: then nothing waits for room.
                    if let Ok(permit) = taken.acquire_many(cost).await {
                        permit.forget();
                    }
                    let _gone = sender.send(ReplayUpdate::Event(event));
                    wake();
                }
            };
            // Resolves on cancel() and when the handle is dropped.
            let cancelled = async {
                let _ = cancelled.await;
            };
            let budget = crate::model::memory_budget::DEFAULT_LIMIT;
            let last = match run(&replay, &options, budget, on_event, cancelled).await {
                Ok(report) => ReplayUpdate::Finished(Box::new(report)),
                Err(error) => ReplayUpdate::Failed(error),
            };
            let _gone = sender.send(last);
            wake();
        });
        Self {
            updates,
            room,
            cancel: Some(cancel),
        }
    }

    /// The next update if one is waiting; never blocks.
    pub fn try_recv(&mut self) -> Option<ReplayUpdate> {
        let update = self.updates.try_recv().ok()?;
        Some(self.taken(update))
    }

    /// Waits for the next update; `None` after the last one.
    pub async fn recv(&mut self) -> Option<ReplayUpdate> {
        let update = self.updates.recv().await?;
        Some(self.taken(update))
    }

    /// How many updates were sent and not received yet (their events hold at most
    /// [`UPDATE_QUEUE_BYTES`], or one event when it is larger).
    pub fn waiting_updates(&self) -> usize {
        self.updates.len()
    }

    /// Gives back the room a received event took.
    fn taken(&self, update: ReplayUpdate) -> ReplayUpdate {
        if let ReplayUpdate::Event(event) = &update {
            self.room.add_permits(queue_cost(event) as usize);
        }
        update
    }

    /// Stops sending and closes the connection (1000 "replay cancelled"); the run still
    /// reports its events and a [`ReplayUpdate::Finished`] comparison of what arrived.
    pub fn cancel(&mut self) {
        if let Some(cancel) = self.cancel.take() {
            let _already_over = cancel.send(());
        }
    }
}

impl Drop for ReplayHandle {
    fn drop(&mut self) {
        // A run waiting for room must not wait for a consumer that is gone: it goes on to
        // see the cancel and close its connection.
        self.room.close();
    }
}

//! The task that owns an event stream: attempt after attempt, as EventSource reconnects,
//! until the stream ends for good.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::client::{self, Answered};
use super::config::{PreparedSse, SseConfig};
use super::handle::{Command, Shared, SseEnd};
use super::parser::{Parser, SseItem};
use super::queued::Queued;
use crate::engine::{
    AttemptClock, CloseInfo, ErrorCategory, ErrorInfo, Event, EventKind, HttpRejection, Initiator,
    OpenInfo, ReadyState, SseEvent, WakeFn,
};
use crate::model::timeline::TimelineEntry;

/// How much of a rejected response's body is kept for the error.
const BODY_LIMIT: usize = 64 * 1024;
/// How long a rejected response's body may take to arrive.
const BODY_WAIT: Duration = Duration::from_secs(2);

/// Everything the task needs; built by the handle.
pub(crate) struct Stream {
    pub(crate) prepared: PreparedSse,
    pub(crate) config: SseConfig,
    pub(crate) commands: UnboundedReceiver<Command>,
    pub(crate) events: UnboundedSender<TimelineEntry>,
    /// What the events not taken yet hold (the channel is bounded by it, in bytes).
    pub(crate) queued: Queued,
    pub(crate) wake: WakeFn,
    pub(crate) shared: Arc<Shared>,
}

/// What comes after an attempt.
enum Next {
    /// Wait the reconnection time, then try again.
    Reconnect,
    /// The stream is over.
    Stop(SseEnd),
}

/// How an attempt ended, before it is reported.
struct Ending {
    error: Option<ErrorInfo>,
    close: CloseInfo,
    next: Next,
}

impl Ending {
    fn new(
        error: Option<ErrorInfo>,
        code: u16,
        reason: &str,
        initiator: Initiator,
        next: Next,
    ) -> Self {
        Self {
            error,
            close: CloseInfo {
                code,
                reason: reason.to_owned(),
                was_clean: code == 1000,
                initiator,
                closing_handshake: None,
            },
            next,
        }
    }

    fn closed_by_client(reason: &str, end: SseEnd) -> Self {
        Self::new(None, 1000, reason, Initiator::Client, Next::Stop(end))
    }
}

/// Numbers and times one attempt's events, then hands them to the consumer.
struct Emitter<'a> {
    attempt: u32,
    seq: u64,
    clock: AttemptClock,
    events: &'a UnboundedSender<TimelineEntry>,
    queued: &'a Queued,
    wake: &'a WakeFn,
}

impl Emitter<'_> {
    fn emit(&mut self, kind: EventKind) {
        let (offset, wall_time) = self.clock.now();
        let event = Event {
            wire: None,
            seq: self.seq,
            wall_time,
            offset,
            kind,
        };
        self.seq += 1;
        let entry = TimelineEntry::new(self.attempt, event);
        let bytes = entry.event.queued_bytes();
        // A consumer that has gone away is not an error; the task ends at its next step.
        if self.events.send(entry).is_ok() {
            self.queued.add(bytes);
        }
    }

    fn wake(&self) {
        (self.wake)();
    }
}

/// Runs attempts until the stream ends for good. Every attempt ends with one close event.
pub(crate) async fn run(mut stream: Stream) {
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        stream.shared.stats().attempts = attempt;
        stream.shared.set_ready_state(ReadyState::Connecting);
        let mut emitter = Emitter {
            attempt,
            seq: 0,
            clock: AttemptClock::start(),
            events: &stream.events,
            queued: &stream.queued,
            wake: &stream.wake,
        };
        let mut ending = run_attempt(
            &stream.prepared,
            &stream.config,
            &mut stream.commands,
            &stream.shared,
            &mut emitter,
        )
        .await;
        let reconnects_so_far = attempt - 1;
        if matches!(ending.next, Next::Reconnect)
            && stream
                .config
                .max_reconnects
                .is_some_and(|max| reconnects_so_far >= max)
        {
            ending.next = Next::Stop(SseEnd::GaveUp);
        }
        let delay = stream.shared.stats().reconnection_time;
        match ending.next {
            Next::Reconnect => {
                ending.close.reason =
                    join_reason(&ending.close.reason, &plan_text("reconnecting in", delay));
                stream.shared.set_ready_state(ReadyState::Connecting);
            }
            Next::Stop(end) => {
                if end == SseEnd::GaveUp {
                    let text = format!("gave up after {reconnects_so_far} reconnect(s)");
                    ending.close.reason = join_reason(&ending.close.reason, &text);
                }
                stream.shared.stats().end = Some(end);
                stream.shared.set_ready_state(ReadyState::Closed);
            }
        }
        if let Some(error) = ending.error {
            emitter.emit(EventKind::Error(Box::new(error)));
        }
        emitter.emit(EventKind::Close(Box::new(ending.close)));
        emitter.wake();
        if let Next::Stop(_) = ending.next {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _command = stream.commands.recv() => {
                // Closed (or dropped) while waiting: EventSource.close() just stops.
                stream.shared.stats().end = Some(SseEnd::Closed);
                stream.shared.set_ready_state(ReadyState::Closed);
                (stream.wake)();
                return;
            }
        }
    }
}

fn plan_text(what: &str, delay: Duration) -> String {
    format!("{what} {} ms", delay.as_millis())
}

fn join_reason(reason: &str, more: &str) -> String {
    if reason.is_empty() {
        more.to_owned()
    } else {
        format!("{reason}; {more}")
    }
}

/// One attempt: the request, the answer's checks, then the events until the body ends.
async fn run_attempt(
    prepared: &PreparedSse,
    config: &SseConfig,
    commands: &mut UnboundedReceiver<Command>,
    shared: &Shared,
    emitter: &mut Emitter<'_>,
) -> Ending {
    emitter.emit(EventKind::Connecting {
        url: prepared.target.url.to_string(),
    });
    emitter.wake();
    let last_event_id = shared.stats().last_event_id.clone();
    let request = tokio::time::timeout(
        config.handshake_timeout,
        client::get(
            &prepared.target,
            &prepared.headers,
            &last_event_id,
            &config.tls,
            &config.proxy,
        ),
    );
    let answered = tokio::select! {
        answered = request => answered,
        _command = commands.recv() => {
            return Ending::new(None, 1006, "closed by the client while connecting", Initiator::Client, Next::Stop(SseEnd::Closed));
        }
    };
    let answered = match answered {
        Ok(Ok(answered)) => answered,
        Ok(Err(error)) => {
            let initiator = error.category.initiator();
            return Ending::new(Some(error), 1006, "", initiator, Next::Reconnect);
        }
        Err(_elapsed) => {
            let error = ErrorInfo::new(
                ErrorCategory::Timeout,
                format!(
                    "no response (status and headers) within {} ms",
                    config.handshake_timeout.as_millis()
                ),
            );
            return Ending::new(Some(error), 1006, "", Initiator::Client, Next::Reconnect);
        }
    };
    let handshake = emitter.clock.started().elapsed();
    let mut answered = match check_answer(answered).await {
        Ok(answered) => answered,
        Err(ending) => return *ending,
    };
    shared.set_ready_state(ReadyState::Open);
    emitter.emit(EventKind::Open(Box::new(OpenInfo {
        status: answered.status.as_u16(),
        request_headers: std::mem::take(&mut answered.request_headers),
        response_headers: std::mem::take(&mut answered.response_headers),
        subprotocol: None,
        extensions: None,
        handshake,
    })));
    emitter.wake();
    read_events(answered, config, commands, shared, emitter, last_event_id).await
}

/// Accepts 200 with `text/event-stream`; ends the stream for good on 204 (normally) and on
/// any other answer (failed, with the status, headers and the start of the body).
async fn check_answer(mut answered: Answered) -> Result<Answered, Box<Ending>> {
    let status = answered.status;
    if status.as_u16() == 200 && client::is_event_stream(answered.content_type.as_deref()) {
        return Ok(answered);
    }
    if status.as_u16() == 204 {
        return Err(Box::new(Ending::new(
            None,
            1000,
            "HTTP 204 No Content: the server asked not to reconnect",
            Initiator::Server,
            Next::Stop(SseEnd::NoContent),
        )));
    }
    let body = client::read_prefix(&mut answered.body, BODY_LIMIT, BODY_WAIT).await;
    let (category, message) = if status.as_u16() == 200 {
        let shown = answered.content_type.as_deref().unwrap_or("none");
        (
            ErrorCategory::Protocol,
            format!(
                "the server answered 200 with Content-Type {shown:?}, not text/event-stream; not reconnecting"
            ),
        )
    } else {
        let reason = status.canonical_reason().unwrap_or("");
        (
            ErrorCategory::Http,
            format!(
                "server answered {} {reason}; not reconnecting",
                status.as_u16()
            ),
        )
    };
    let error = ErrorInfo {
        category,
        message,
        http: Some(HttpRejection {
            status: status.as_u16(),
            headers: std::mem::take(&mut answered.response_headers),
            body,
        }),
    };
    Err(Box::new(Ending::new(
        Some(error),
        1006,
        "",
        Initiator::Server,
        Next::Stop(SseEnd::Failed),
    )))
}

/// Reads the body to its end, reporting events (and comments when asked).
async fn read_events(
    mut answered: Answered,
    config: &SseConfig,
    commands: &mut UnboundedReceiver<Command>,
    shared: &Shared,
    emitter: &mut Emitter<'_>,
    last_event_id: String,
) -> Ending {
    let mut parser = Parser::new(
        last_event_id,
        crate::engine::limits::clamp_message_size(config.max_event_size),
    );
    let mut items = Vec::new();
    if let Some(ending) = max_events_reached(config, shared) {
        return ending;
    }
    loop {
        // Backpressure: while the consumer's queue is full, the body is not read.
        let full = emitter.queued.is_full();
        let frame = tokio::select! {
            biased;
            _command = commands.recv() => {
                return Ending::closed_by_client("closed by the client", SseEnd::Closed);
            }
            () = emitter.queued.taken(), if full => continue,
            frame = answered.body.frame(), if !full => frame,
        };
        let data = match frame {
            None => {
                return Ending::new(
                    None,
                    1000,
                    "the server ended the stream",
                    Initiator::Server,
                    Next::Reconnect,
                );
            }
            Some(Err(error)) => {
                let error = client::describe_hyper_error(&error, "the stream broke");
                return Ending::new(Some(error), 1006, "", Initiator::None, Next::Reconnect);
            }
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => data,
                Err(_trailers) => continue,
            },
        };
        items.clear();
        let parsed = parser.feed(&data, &mut items);
        let ending = report(&mut items, config, shared, emitter);
        parser
            .last_event_id()
            .clone_into(&mut shared.stats().last_event_id);
        emitter.wake();
        if let Some(ending) = ending {
            return ending;
        }
        if let Err(error) = parsed {
            let error = ErrorInfo::new(
                ErrorCategory::Protocol,
                format!("{error}; the stream was failed and is not reconnected"),
            );
            return Ending::new(
                Some(error),
                1009,
                "event too large",
                Initiator::Client,
                Next::Stop(SseEnd::Failed),
            );
        }
    }
}

/// Reports what the parser found; ends the stream once `max_events` have arrived.
fn report(
    items: &mut Vec<SseItem>,
    config: &SseConfig,
    shared: &Shared,
    emitter: &mut Emitter<'_>,
) -> Option<Ending> {
    for item in items.drain(..) {
        match item {
            SseItem::Event(message) => {
                shared.stats().events += 1;
                emitter.emit(EventKind::Sse(SseEvent::Message(Box::new(message))));
                if let Some(ending) = max_events_reached(config, shared) {
                    return Some(ending);
                }
            }
            SseItem::Comment(text) => {
                shared.stats().comments += 1;
                if config.show_comments {
                    emitter.emit(EventKind::Sse(SseEvent::Comment(text)));
                }
            }
            SseItem::Retry(retry) => shared.stats().reconnection_time = retry,
        }
    }
    None
}

fn max_events_reached(config: &SseConfig, shared: &Shared) -> Option<Ending> {
    let max = config.max_events?;
    let events = shared.stats().events;
    (events >= max).then(|| {
        Ending::closed_by_client(
            &format!("received {events} event(s), the maximum asked for"),
            SseEnd::MaxEvents,
        )
    })
}

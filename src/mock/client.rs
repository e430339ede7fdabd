//! One client of the mock server: its handshake request, the 101 answer, then its messages
//! read one by one and answered by the rules, until it or the server closes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::extensions::deflate::DeflateParams;
use tokio_tungstenite::tungstenite::handshake::server::{
    Callback, ErrorResponse, Request, Response,
};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

use super::control::{ClientCommand, HandshakeAnswer, MockControl};
use super::rules::Rules;
use crate::engine::{
    CloseInfo, Direction, ErrorCategory, ErrorInfo, EventKind, HttpRejection, Initiator, OpenInfo,
    Payload,
};
use crate::model::template::Outgoing;
use crate::proxy::client_stream::ClientStream;
use crate::proxy::upstream::header_pairs;
use crate::proxy::{ConnLog, Leg, ListenTls, MAX_MESSAGE_BYTES};
use tokio::sync::mpsc;

/// How long a client may take to send its handshake request.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to answer the server's close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

type Ws = WebSocketStream<ClientStream>;

/// How this connection's closing went so far.
#[derive(Default)]
struct Closing {
    /// The close frame the client sent (inner `None`: one without a code).
    received: Option<Option<CloseFrame>>,
    /// Whether a close frame went to the client (the server's own, or tungstenite's reply).
    sent: bool,
    /// Who sent the first close frame.
    initiator: Option<Initiator>,
    /// When the first close frame went either way.
    since: Option<Instant>,
}

/// Serves one accepted TCP connection to its end.
pub(super) async fn serve(
    tcp: TcpStream,
    tls: Option<ListenTls>,
    mut log: ConnLog,
    stopping: watch::Receiver<bool>,
    control: Arc<MockControl>,
) {
    let accepted = ClientStream::accept(tcp, tls.as_ref(), HANDSHAKE_TIMEOUT).await;
    let Some((tcp, head)) = accepted else {
        return;
    };
    log.set_request(head.clone());
    // The rules in force when the client arrived answer its handshake.
    let mut watch_rules = control.watch_rules();
    let rules = Arc::clone(&watch_rules.borrow_and_update());
    let started = Instant::now();
    let mut sent = None;
    let forced = control.take_next_answer();
    let reject = forced.as_ref().and_then(|a| a.status).or(rules.reject);
    let answer = Answer {
        subprotocol: rules.subprotocol.as_deref(),
        reject,
        forced: forced.as_ref(),
        sent: &mut sent,
    };
    // permessage-deflate is accepted when the client offers it, as offered.
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
        .deflate(Some(DeflateParams::default()));
    let accepting = tokio_tungstenite::accept_hdr_async_with_config(tcp, answer, Some(config));
    let ws = match tokio::time::timeout(HANDSHAKE_TIMEOUT, accepting).await {
        Ok(Ok(ws)) => ws,
        _ => {
            let error = match reject {
                Some(status) => ErrorInfo {
                    category: ErrorCategory::Http,
                    message: format!("the client was refused with HTTP {status}"),
                    http: Some(HttpRejection {
                        status,
                        headers: Vec::new(),
                        body: bytes::Bytes::new(),
                    }),
                },
                None => ErrorInfo {
                    category: ErrorCategory::Protocol,
                    message: "the client's handshake failed".into(),
                    http: None,
                },
            };
            log.emit(Leg::Client, EventKind::Error(Box::new(error)))
                .await;
            report_close(&log, &Closing::default()).await;
            return;
        }
    };
    let open = OpenInfo {
        status: 101,
        request_headers: head.headers.clone(),
        response_headers: sent
            .as_ref()
            .map(|r| header_pairs(r.headers()))
            .unwrap_or_default(),
        subprotocol: sent.as_ref().and_then(|r| {
            let chosen = r.headers().get("sec-websocket-protocol")?;
            Some(String::from_utf8_lossy(chosen.as_bytes()).into_owned())
        }),
        extensions: None,
        handshake: started.elapsed(),
    };
    log.emit(Leg::Client, EventKind::Open(Box::new(open))).await;
    let commands = control.register(log.conn());
    let rules = RulesInForce {
        rules,
        watch: watch_rules,
    };
    let closing = converse(ws, &log, rules, stopping, commands).await;
    control.unregister(log.conn());
    report_close(&log, &closing).await;
}

/// The 101 answer: tungstenite's own, with the wanted subprotocol when it was offered;
/// remembers what was sent.
struct Answer<'a> {
    subprotocol: Option<&'a str>,
    reject: Option<u16>,
    /// The hand-set answer of this one handshake (the Server tab's "next handshake").
    forced: Option<&'a HandshakeAnswer>,
    sent: &'a mut Option<Response>,
}

impl Callback for Answer<'_> {
    fn on_request(
        self,
        request: &Request,
        mut response: Response,
    ) -> Result<Response, ErrorResponse> {
        if let Some(status) = self.reject {
            let body = self
                .forced
                .map(|f| f.body.clone())
                .filter(|b| !b.is_empty());
            let mut refusal = ErrorResponse::new(body);
            *refusal.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
            if let Some(forced) = self.forced {
                add_headers(refusal.headers_mut(), &forced.headers);
            }
            return Err(refusal);
        }
        let forced_protocol = self
            .forced
            .and_then(|f| f.subprotocol.as_deref())
            .and_then(|p| HeaderValue::from_str(p).ok());
        if let Some(chosen) =
            forced_protocol.or_else(|| chosen_subprotocol(request, self.subprotocol))
        {
            response
                .headers_mut()
                .insert("sec-websocket-protocol", chosen);
        }
        if let Some(forced) = self.forced {
            add_headers(response.headers_mut(), &forced.headers);
        }
        *self.sent = Some(response.clone());
        Ok(response)
    }
}

/// Appends hand-set headers (names and values that HTTP cannot carry are left out).
fn add_headers(
    map: &mut tokio_tungstenite::tungstenite::http::HeaderMap,
    headers: &[(String, String)],
) {
    for (name, value) in headers {
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes());
        if let (Ok(name), Ok(value)) = (name, HeaderValue::from_str(value)) {
            map.append(name, value);
        }
    }
}

/// `wanted` as a header value, when the client offered it.
fn chosen_subprotocol(request: &Request, wanted: Option<&str>) -> Option<HeaderValue> {
    let wanted = wanted?;
    let offered = request
        .headers()
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|name| name.trim() == wanted);
    if offered {
        HeaderValue::from_str(wanted).ok()
    } else {
        None
    }
}

/// The auto-responses a connection follows, and their changes (the window's Apply).
struct RulesInForce {
    rules: Arc<Rules>,
    /// Closed when the server stops.
    watch: watch::Receiver<Arc<Rules>>,
}

/// Sends the on-open texts, then reads and answers until the connection ends.
async fn converse(
    mut ws: Ws,
    log: &ConnLog,
    in_force: RulesInForce,
    mut stopping: watch::Receiver<bool>,
    mut commands: mpsc::Receiver<ClientCommand>,
) -> Closing {
    let RulesInForce {
        mut rules,
        watch: mut watch_rules,
    } = in_force;
    let mut rules_open = true;
    let mut closing = Closing::default();
    let mut reading = true;
    let mut commands_open = true;
    for text in &rules.on_open {
        if !send_text(&mut ws, log, text).await {
            return closing;
        }
    }
    let mut count = 0u64;
    // The replies the rules rendered on this connection: `{{counter}}`.
    let mut replies = 0u64;
    let mut stopped = *stopping.borrow();
    if stopped {
        start_close(&mut ws, &mut closing, CloseCode::Away, "").await;
    }
    let mut ticks = Ticks::new(&rules);
    loop {
        let give_up = closing.since.map(|since| since + CLOSE_WAIT);
        let next = tokio::select! {
            next = ws.next(), if reading => next,
            command = commands.recv(), if commands_open => {
                match command {
                    None => commands_open = false,
                    Some(ClientCommand::Send(payload)) => {
                        if !send(&mut ws, log, Message::from(payload)).await {
                            return closing;
                        }
                    }
                    Some(ClientCommand::Close(code, reason)) => {
                        start_close(&mut ws, &mut closing, CloseCode::from(code), &reason).await;
                        // The client's answer must be read, even when reading was stopped.
                        reading = true;
                    }
                    // Dropped without a close frame: the socket goes with `ws`.
                    Some(ClientCommand::Drop) => return closing,
                    Some(ClientCommand::StopReading(stop)) => reading = !stop,
                }
                continue;
            }
            at = ticks.next(), if !closing.sent && !ticks.is_empty() => {
                let due = rules.every.get(at).map(|every| every.text.clone());
                if let Some(text) = due
                    && !send_text(&mut ws, log, &text).await
                {
                    return closing;
                }
                continue;
            }
            changed = watch_rules.changed(), if rules_open => {
                match changed {
                    Ok(()) => {
                        rules = Arc::clone(&watch_rules.borrow_and_update());
                        ticks = Ticks::new(&rules);
                    }
                    Err(_) => rules_open = false,
                }
                continue;
            }
            changed = stopping.changed(), if !stopped => {
                stopped = true;
                if changed.is_ok() && *stopping.borrow() {
                    start_close(&mut ws, &mut closing, CloseCode::Away, "").await;
                }
                continue;
            }
            () = sleep_until(give_up), if give_up.is_some() => return closing,
        };
        let message = match next {
            Some(Ok(message)) => message,
            Some(Err(error)) => {
                if closing.received.is_none() {
                    let error = ErrorInfo {
                        category: ErrorCategory::Io,
                        message: error.to_string(),
                        http: None,
                    };
                    log.emit(Leg::Client, EventKind::Error(Box::new(error)))
                        .await;
                }
                return closing;
            }
            None => return closing,
        };
        let echo = matches!(message, Message::Text(_) | Message::Binary(_)) && rules.echo;
        let echo = echo.then(|| message.clone());
        let text = match message {
            Message::Text(text) => {
                let kind = EventKind::Message {
                    dir: Direction::In,
                    payload: Payload::Text(text.clone()),
                };
                log.emit(Leg::Client, kind).await;
                Some(text)
            }
            Message::Binary(bytes) => {
                let kind = EventKind::Message {
                    dir: Direction::In,
                    payload: Payload::Binary(bytes),
                };
                log.emit(Leg::Client, kind).await;
                None
            }
            Message::Ping(payload) => {
                let ping = EventKind::Ping {
                    dir: Direction::In,
                    payload: payload.clone(),
                };
                log.emit(Leg::Client, ping).await;
                // tungstenite answers every ping by itself; the timeline says so.
                let pong = EventKind::Pong {
                    dir: Direction::Out,
                    payload,
                    auto: true,
                };
                log.emit(Leg::Client, pong).await;
                continue;
            }
            Message::Pong(payload) => {
                let pong = EventKind::Pong {
                    dir: Direction::In,
                    payload,
                    auto: false,
                };
                log.emit(Leg::Client, pong).await;
                continue;
            }
            Message::Close(frame) => {
                closing.received = Some(frame);
                if !closing.sent {
                    // tungstenite answers the client's close frame with the same frame.
                    closing.sent = true;
                    closing.initiator = Some(Initiator::Client);
                    closing.since = Some(Instant::now());
                }
                continue;
            }
            Message::Frame(_) => continue,
        };
        count += 1;
        if closing.sent {
            continue;
        }
        if let Some(echo) = echo
            && !send(&mut ws, log, echo).await
        {
            return closing;
        }
        if let Some(text) = text {
            for due in rules.replies_to(text.as_str()) {
                // A stop during the delay closes at once; the reply is not sent.
                tokio::select! {
                    () = tokio::time::sleep(due.delay) => {}
                    changed = stopping.changed(), if !stopped => {
                        stopped = true;
                        if changed.is_ok() && *stopping.borrow() {
                            start_close(&mut ws, &mut closing, CloseCode::Away, "").await;
                        }
                        break;
                    }
                }
                replies += 1;
                let message = match rules.render(&due, replies) {
                    Ok(Outgoing::Text(text)) => Message::text(text),
                    Ok(Outgoing::Binary(bytes)) => Message::Binary(bytes),
                    Ok(Outgoing::Op(_)) => continue,
                    Err(why) => {
                        let error = ErrorInfo {
                            category: ErrorCategory::Send,
                            message: format!("not sent: {why}"),
                            http: None,
                        };
                        log.emit(Leg::Client, EventKind::Error(Box::new(error)))
                            .await;
                        continue;
                    }
                };
                if !send(&mut ws, log, message).await {
                    return closing;
                }
            }
            if closing.sent {
                continue;
            }
        }
        if let Some(close) = &rules.close_after
            && count == close.messages
        {
            let code = CloseCode::from(close.code);
            start_close(&mut ws, &mut closing, code, &close.reason).await;
        }
    }
}

/// When each of the rules' `every` texts is due next.
struct Ticks {
    due: Vec<(tokio::time::Instant, Duration)>,
}

impl Ticks {
    fn new(rules: &Rules) -> Self {
        let now = tokio::time::Instant::now();
        let due = rules
            .every
            .iter()
            .map(|every| {
                let period = Duration::from_millis(every.ms);
                (now + period, period)
            })
            .collect();
        Self { due }
    }

    fn is_empty(&self) -> bool {
        self.due.is_empty()
    }

    /// Waits for the soonest one and schedules it again; its index.
    async fn next(&mut self) -> usize {
        let Some((at, (when, _))) = self
            .due
            .iter()
            .enumerate()
            .min_by_key(|(_, (when, _))| *when)
            .map(|(at, due)| (at, *due))
        else {
            return std::future::pending().await;
        };
        tokio::time::sleep_until(when).await;
        if let Some((when, period)) = self.due.get_mut(at) {
            *when += *period;
        }
        at
    }
}

/// Waits until `at` (forever without one).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// Sends a text and says so; false when it could not be written.
async fn send_text(ws: &mut Ws, log: &ConnLog, text: &str) -> bool {
    send(ws, log, Message::text(text)).await
}

/// Sends a text or binary message and says so; false when it could not be written.
async fn send(ws: &mut Ws, log: &ConnLog, message: Message) -> bool {
    let payload = match &message {
        Message::Text(text) => Payload::Text(text.clone()),
        Message::Binary(bytes) => Payload::Binary(bytes.clone()),
        _ => return true,
    };
    let sent = ws.send(message).await.is_ok();
    if sent {
        let kind = EventKind::Message {
            dir: Direction::Out,
            payload,
        };
        log.emit(Leg::Client, kind).await;
    }
    sent
}

/// The server starts the closing handshake (unless one is under way).
async fn start_close(ws: &mut Ws, closing: &mut Closing, code: CloseCode, reason: &str) {
    if closing.sent || closing.received.is_some() {
        return;
    }
    closing.sent = true;
    closing.initiator = Some(Initiator::Server);
    closing.since = Some(Instant::now());
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = ws.send(Message::Close(Some(frame))).await;
}

/// The connection's close event: the code and reason the client sent (its echo of the
/// server's, when the server started), 1006 when it sent none, 1005 for a frame without a
/// code; clean when close frames went both ways.
async fn report_close(log: &ConnLog, closing: &Closing) {
    let (code, reason) = match &closing.received {
        Some(Some(frame)) => (u16::from(frame.code), frame.reason.to_string()),
        Some(None) => (1005, String::new()),
        None => (1006, String::new()),
    };
    let info = CloseInfo {
        code,
        reason,
        was_clean: closing.received.is_some() && closing.sent,
        initiator: closing.initiator.unwrap_or(Initiator::None),
        closing_handshake: closing.since.map(|since| since.elapsed()),
    };
    log.emit(Leg::Client, EventKind::Close(Box::new(info)))
        .await;
}

//! `/stomp`: a one-connection STOMP 1.2 broker, so the STOMP tab does something offline.
//! It answers CONNECT (login `denied` gets an ERROR), keeps subscriptions, sends each SEND
//! to the subscriptions of its destination as MESSAGE, answers `receipt` headers, beats
//! its heart when the client asks (at least every 5 s), and sends `{"counter":N}` to
//! `/topic/tick` every second.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use super::closing::{answer_close, close_and_wait, frame};
use super::{Ws, WsResult};
use crate::protocol::stomp::frame::{FrameStream, Item, StompFrame};
use crate::protocol::stomp::options::parse_heart_beat;

/// The destination of the broker's own ticks.
pub const TICK_DESTINATION: &str = "/topic/tick";
/// The broker's heart-beat offer, in milliseconds.
const BEAT_MS: u64 = 5000;

/// One connection's broker state.
#[derive(Default)]
struct Broker {
    connected: bool,
    /// `(subscription id, destination)`.
    subscriptions: Vec<(String, String)>,
    next_message: u64,
}

/// Runs the broker until the client disconnects or closes.
pub async fn stomp(ws: &mut Ws) -> WsResult {
    let mut broker = Broker::default();
    let mut stream = FrameStream::default();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut beats: Option<tokio::time::Interval> = None;
    let mut counter: u64 = 0;
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if broker.connected {
                    counter += 1;
                    let body = format!("{{\"counter\":{counter}}}");
                    let out = broker.deliver(TICK_DESTINATION, Vec::new(), Bytes::from(body));
                    send(ws, out).await?;
                }
            }
            () = beat_due(&mut beats), if beats.is_some() => {
                ws.send(Message::text("\n")).await?;
            }
            incoming = ws.next() => match incoming {
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    let items = match stream.push(&message.into_data(), "1.2") {
                        Ok(items) => items,
                        Err(error) => {
                            let error = StompFrame::new("ERROR", vec![("message".into(), error)], Bytes::new());
                            send(ws, vec![error]).await?;
                            return close_and_wait(ws, Some(frame(1002, "malformed STOMP"))).await;
                        }
                    };
                    for item in items {
                        let Item::Frame(incoming) = item else { continue };
                        if let Some(every) = heart_beat_asked(&incoming) {
                            let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                            beats = Some(interval);
                        }
                        let (out, end) = broker.answer(&incoming);
                        send(ws, out).await?;
                        if let Some(reason) = end {
                            return close_and_wait(ws, Some(frame(1000, reason))).await;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) => return answer_close(ws).await,
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err),
                None => return Ok(()),
            },
        }
    }
}

/// The next heart-beat is due (never, without heart-beats).
async fn beat_due(beats: &mut Option<tokio::time::Interval>) {
    match beats {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// How often to beat for a CONNECT asking for heart-beats (`None` for other frames or none
/// asked).
fn heart_beat_asked(frame: &StompFrame) -> Option<Duration> {
    if !matches!(frame.command.as_str(), "CONNECT" | "STOMP") {
        return None;
    }
    let (_, wants) = parse_heart_beat(frame.header("heart-beat")?).ok()?;
    (wants > 0).then(|| Duration::from_millis(wants.max(BEAT_MS)))
}

impl Broker {
    /// The frames answering one of the client's, and the close reason when it ends the
    /// connection.
    fn answer(&mut self, incoming: &StompFrame) -> (Vec<StompFrame>, Option<&'static str>) {
        let mut out = Vec::new();
        let header = |name: &str| incoming.header(name).unwrap_or_default().to_owned();
        match incoming.command.as_str() {
            "CONNECT" | "STOMP" if incoming.header("login") == Some("denied") => {
                let error = StompFrame::new(
                    "ERROR",
                    vec![("message".into(), "Access refused".into())],
                    Bytes::from_static(b"The demo broker refuses the login `denied`.\n"),
                );
                return (vec![error], Some("STOMP login refused"));
            }
            "CONNECT" | "STOMP" => {
                self.connected = true;
                let beat = match heart_beat_asked(incoming) {
                    Some(every) => format!("{},0", every.as_millis()),
                    None => "0,0".to_owned(),
                };
                out.push(StompFrame::new(
                    "CONNECTED",
                    vec![
                        ("version".into(), "1.2".into()),
                        ("heart-beat".into(), beat),
                        ("server".into(), "sockscope-demo".into()),
                    ],
                    Bytes::new(),
                ));
            }
            "SUBSCRIBE" => self
                .subscriptions
                .push((header("id"), header("destination"))),
            "UNSUBSCRIBE" => {
                let id = header("id");
                self.subscriptions.retain(|(sub, _)| *sub != id);
            }
            "SEND" => {
                let extra = incoming
                    .headers
                    .iter()
                    .filter(|(name, _)| name == "content-type")
                    .cloned()
                    .collect();
                out.extend(self.deliver(&header("destination"), extra, incoming.body.clone()));
            }
            _ => {}
        }
        if let Some(receipt) = incoming.header("receipt") {
            out.push(StompFrame::new(
                "RECEIPT",
                vec![("receipt-id".into(), receipt.to_owned())],
                Bytes::new(),
            ));
        }
        let end = (incoming.command == "DISCONNECT").then_some("STOMP DISCONNECT");
        (out, end)
    }

    /// A MESSAGE for each subscription to `destination`.
    fn deliver(
        &mut self,
        destination: &str,
        extra: Vec<(String, String)>,
        body: Bytes,
    ) -> Vec<StompFrame> {
        let mut out = Vec::new();
        for (id, _) in self.subscriptions.iter().filter(|(_, d)| d == destination) {
            self.next_message += 1;
            let mut headers = vec![
                ("destination".to_owned(), destination.to_owned()),
                ("subscription".to_owned(), id.clone()),
                ("message-id".to_owned(), self.next_message.to_string()),
                ("content-length".to_owned(), body.len().to_string()),
            ];
            headers.extend(extra.iter().cloned());
            out.push(StompFrame::new("MESSAGE", headers, body.clone()));
        }
        out
    }
}

/// Sends each frame as one message: text when it is UTF-8, else binary.
async fn send(ws: &mut Ws, frames: Vec<StompFrame>) -> WsResult {
    for frame in frames {
        let bytes = frame.write("1.2");
        let message = match String::from_utf8(bytes) {
            Ok(text) => Message::text(text),
            Err(error) => Message::Binary(Bytes::from(error.into_bytes())),
        };
        ws.send(message).await?;
    }
    Ok(())
}

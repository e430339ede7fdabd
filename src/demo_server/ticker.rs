//! Scenarios driven by a clock: `/json` (a JSON tick every 100 ms) and `/ping` (a ping
//! every 100 ms, plus echo).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::time::{Instant, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::{Bytes, Message};

use super::closing::{answer_close, close_and_wait, frame};
use super::{Ws, WsResult, clock};

/// Time between ticks and between pings.
const PERIOD: Duration = Duration::from_millis(100);

/// A 100 ms interval whose first tick is one period from now.
pub(super) fn every_period() -> Interval {
    let mut interval = tokio::time::interval_at(Instant::now() + PERIOD, PERIOD);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    interval
}

/// `/json`: `{"counter":N,"timestamp":"...","type":"tick"}` every 100 ms from N = 1. With
/// `count`, closes 1000 "done" after that many ticks. Incoming messages are read and
/// ignored, so the client can close at any time.
pub async fn json(ws: &mut Ws, count: Option<u64>) -> WsResult {
    let mut ticks = every_period();
    let mut counter: u64 = 0;
    loop {
        if count.is_some_and(|count| counter >= count) {
            return close_and_wait(ws, Some(frame(1000, "done"))).await;
        }
        tokio::select! {
            _ = ticks.tick() => {
                counter += 1;
                let tick = json!({
                    "counter": counter,
                    "timestamp": clock::now_rfc3339_millis(),
                    "type": "tick",
                });
                ws.send(Message::text(tick.to_string())).await?;
            }
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Close(_))) => return answer_close(ws).await,
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err),
                None => return Ok(()),
            },
        }
    }
}

/// `/ping`: a ping every 100 ms whose payload is the counter in decimal (from 1), and
/// text and binary messages echoed back.
pub async fn ping(ws: &mut Ws) -> WsResult {
    let mut ticks = every_period();
    let mut counter: u64 = 0;
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                counter += 1;
                ws.send(Message::Ping(Bytes::from(counter.to_string()))).await?;
            }
            incoming = ws.next() => match incoming {
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    super::fragments::send(ws, message).await?;
                }
                Some(Ok(Message::Close(_))) => return answer_close(ws).await,
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err),
                None => return Ok(()),
            },
        }
    }
}

//! `/graphql`: a small GraphQL over WebSocket server (`graphql-transport-ws`) so the GraphQL
//! tab can be tried offline. It acks `connection_init`, answers `ping`, and runs a toy
//! schema by looking at the operation's type: a query answers `{"hello": "world"}`, a
//! mutation echoes its variables, a subscription sends `{"tick": N}` every
//! [`TICK_EVERY`] [`TICKS`] times then completes; a query asking for `boom` fails its
//! resolver (`next` with `errors`), and text without an operation is an `error`.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{Ws, WsResult, closing};
use crate::protocol::graphql::query_text;

/// How often a subscription ticks.
pub const TICK_EVERY: Duration = Duration::from_millis(500);
/// How many ticks a subscription sends before it completes.
pub const TICKS: u64 = 5;
/// How many operations may run at once on one connection.
const MAX_RUNNING: usize = 64;

/// Serves one connection until the client closes.
pub async fn serve(ws: &mut Ws) -> WsResult {
    let mut acked = false;
    // Running subscriptions: id → ticks sent so far.
    let mut running: BTreeMap<String, u64> = BTreeMap::new();
    let mut ticker = tokio::time::interval(TICK_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            incoming = ws.next() => {
                let Some(incoming) = incoming else { return Ok(()) };
                let Message::Text(text) = incoming? else { continue };
                let Ok(Value::Object(message)) = serde_json::from_str::<Value>(&text) else {
                    return close(ws, 4400, "Invalid message received").await;
                };
                let id = message.get("id").and_then(Value::as_str).map(str::to_owned);
                match (message.get("type").and_then(Value::as_str), id) {
                    (Some("connection_init"), _) if acked => {
                        return close(ws, 4429, "Too many initialisation requests").await;
                    }
                    (Some("connection_init"), _) => {
                        acked = true;
                        send(ws, json!({"type": "connection_ack"})).await?;
                    }
                    (Some("ping"), _) => send(ws, json!({"type": "pong"})).await?,
                    (Some("pong"), _) => {}
                    (Some("subscribe"), Some(_)) if !acked => {
                        return close(ws, 4401, "Unauthorized").await;
                    }
                    (Some("subscribe"), Some(id)) => {
                        if running.contains_key(&id) {
                            let reason = format!("Subscriber for {id} already exists");
                            return close(ws, 4409, &reason).await;
                        }
                        let payload = message.get("payload").cloned().unwrap_or(Value::Null);
                        if run(ws, &id, &payload).await? && running.len() < MAX_RUNNING {
                            running.insert(id, 0);
                        }
                    }
                    (Some("complete"), Some(id)) => {
                        running.remove(&id);
                    }
                    _ => return close(ws, 4400, "Invalid message received").await,
                }
            }
            _ = ticker.tick(), if !running.is_empty() => {
                let mut done = Vec::new();
                for (id, sent) in running.iter_mut() {
                    *sent += 1;
                    let next = json!({"id": id, "type": "next", "payload": {"data": {"tick": *sent}}});
                    send(ws, next).await?;
                    if *sent >= TICKS {
                        done.push(id.clone());
                    }
                }
                for id in done {
                    running.remove(&id);
                    send(ws, json!({"id": id, "type": "complete"})).await?;
                }
            }
        }
    }
}

/// Runs a query or mutation at once; true for a subscription, which the caller runs.
async fn run(
    ws: &mut Ws,
    id: &str,
    payload: &Value,
) -> Result<bool, tokio_tungstenite::tungstenite::Error> {
    let query = payload
        .get("query")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = payload.get("operationName").and_then(Value::as_str);
    let Some(operation) = query_text::operation(query, name) else {
        let errors = json!([{"message": "Syntax Error: no operation in the document"}]);
        send(ws, json!({"id": id, "type": "error", "payload": errors})).await?;
        return Ok(false);
    };
    let result = match operation.kind {
        "subscription" => return Ok(true),
        "mutation" => {
            json!({"data": {"echo": payload.get("variables").cloned().unwrap_or(json!({}))}})
        }
        _ if query.contains("boom") => json!({
            "data": {"boom": null},
            "errors": [{"message": "kaboom", "path": ["boom"]}],
        }),
        _ => json!({"data": {"hello": "world"}}),
    };
    send(ws, json!({"id": id, "type": "next", "payload": result})).await?;
    send(ws, json!({"id": id, "type": "complete"})).await?;
    Ok(false)
}

async fn send(ws: &mut Ws, message: Value) -> WsResult {
    ws.send(Message::text(message.to_string())).await
}

async fn close(ws: &mut Ws, code: u16, reason: &str) -> WsResult {
    closing::close_and_wait(ws, Some(closing::frame(code, reason))).await
}

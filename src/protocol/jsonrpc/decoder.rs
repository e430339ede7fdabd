//! The viewer's half of JSON-RPC 2.0: each message (or batch) as a unit grouped by method,
//! a response paired with its request by id, with the round-trip time.

use crate::format::preview::ellipsize;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::Options;
use super::message::{Message, classify};
use crate::engine::{Direction, Payload};
use crate::protocol::Unit;

/// How many unanswered requests a decoder remembers (the oldest are forgotten first).
const MAX_PENDING: usize = 4096;
/// How much of a value a summary shows.
const SUMMARY_CHARS: usize = 120;

/// A request waiting for its response.
#[derive(Clone, Debug)]
struct Pending {
    method: String,
    params: String,
    sent: Duration,
}

/// Requests are keyed by who sent them and their id as JSON text (`1` and `"1"` differ).
type Key = (bool, String);

/// One attempt's decoding state: the requests not answered yet, in both directions.
#[derive(Debug, Default)]
pub struct Decoder {
    pending: HashMap<Key, Pending>,
    order: VecDeque<Key>,
}

impl Decoder {
    /// A fresh decoder.
    pub fn new(_options: &Options) -> Self {
        Self::default()
    }

    /// A close means nothing more in JSON-RPC's terms.
    pub fn on_close(&mut self, _code: u16, _reason: &str) -> Option<Unit> {
        None
    }

    /// A refused upgrade means nothing more in JSON-RPC's terms.
    pub fn on_refusal(&mut self, _status: u16, _body: &[u8]) -> Option<Unit> {
        None
    }

    /// The unit a message carries, `offset` after the attempt started.
    pub fn decode(&mut self, dir: Direction, payload: &Payload, offset: Duration) -> Option<Unit> {
        let Ok(text) = std::str::from_utf8(payload.as_bytes()) else {
            return Some(Unit::malformed(
                "a JSON-RPC message is JSON text, not binary",
            ));
        };
        let value = match serde_json::from_str::<Value>(text) {
            Ok(value) => value,
            Err(error) => return Some(Unit::malformed(format!("not JSON: {error}"))),
        };
        let outgoing = dir == Direction::Out;
        Some(match value {
            Value::Array(items) if items.is_empty() => {
                Unit::malformed("an empty batch is not valid JSON-RPC")
            }
            Value::Array(items) => self.batch(outgoing, &items, offset),
            single => match classify(&single) {
                Ok(message) => self.unit(outgoing, message, offset),
                Err(why) => Unit::malformed(why),
            },
        })
    }

    fn batch(&mut self, outgoing: bool, items: &[Value], offset: Duration) -> Unit {
        let units: Vec<Unit> = items
            .iter()
            .map(|item| match classify(item) {
                Ok(message) => self.unit(outgoing, message, offset),
                Err(why) => Unit::malformed(why),
            })
            .collect();
        let problems: Vec<String> = units
            .iter()
            .enumerate()
            .filter_map(|(i, unit)| Some(format!("item {i}: {}", unit.problem.as_ref()?)))
            .collect();
        let listed: Vec<&str> = units.iter().map(|unit| unit.summary.as_str()).collect();
        let summary = truncate(&format!("batch of {}: {}", units.len(), listed.join(", ")));
        let fields = json!({
            "type": "batch",
            "items": units.into_iter().map(|unit| unit.fields).collect::<Vec<_>>(),
        });
        let mut unit = Unit::new(fields, summary).in_group("batch");
        if !problems.is_empty() {
            unit.problem = Some(problems.join("; "));
        }
        unit
    }

    fn unit(&mut self, outgoing: bool, message: Message, offset: Duration) -> Unit {
        match message {
            Message::Request { id, method, params } => {
                let shown = params.as_ref().map(compact).unwrap_or_default();
                self.remember(
                    (outgoing, key(&id)),
                    Pending {
                        method: method.clone(),
                        params: shown.clone(),
                        sent: offset,
                    },
                );
                let mut fields = json!({"type": "request", "id": id, "method": method});
                put(&mut fields, "params", params);
                Unit::new(fields, format!("request {} {method}({shown})", key(&id)))
                    .in_group(method)
            }
            Message::Notification { method, params } => {
                let shown = params.as_ref().map(compact).unwrap_or_default();
                let mut fields = json!({"type": "notification", "method": method});
                put(&mut fields, "params", params);
                Unit::new(fields, format!("notification {method}({shown})")).in_group(method)
            }
            Message::Response { id, result } => {
                let shown = compact(&result);
                self.answer(
                    outgoing, id, "response", "result", result, shown, None, offset,
                )
            }
            Message::Error { id, error } => {
                let code = error.get("code").cloned().unwrap_or(Value::Null);
                let text = error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let said = truncate(&format!("error {code}: {text}"));
                self.answer(
                    outgoing,
                    id,
                    "error",
                    "error",
                    error.clone(),
                    said.clone(),
                    Some(said),
                    offset,
                )
            }
        }
    }

    /// A response or error response: paired with the request it answers, which went the
    /// other way.
    #[allow(clippy::too_many_arguments)]
    fn answer(
        &mut self,
        outgoing: bool,
        id: Value,
        kind: &str,
        field: &str,
        value: Value,
        shown: String,
        problem: Option<String>,
        offset: Duration,
    ) -> Unit {
        let request = self.take(&(!outgoing, key(&id)));
        let mut fields = Map::new();
        fields.insert("type".into(), kind.into());
        fields.insert("id".into(), id.clone());
        let mut problems: Vec<String> = problem.into_iter().collect();
        let summary;
        let group;
        match &request {
            Some(request) => {
                let rtt_ms = offset.saturating_sub(request.sent).as_micros() as f64 / 1000.0;
                fields.insert("method".into(), request.method.clone().into());
                fields.insert("params_summary".into(), request.params.clone().into());
                fields.insert(field.into(), value);
                fields.insert("rtt_ms".into(), json!(rtt_ms));
                summary = format!(
                    "{kind} {} {}({}) → {shown} ({rtt_ms} ms)",
                    key(&id),
                    request.method,
                    request.params
                );
                group = Some(request.method.clone());
            }
            None => {
                fields.insert(field.into(), value);
                if !id.is_null() {
                    problems.push(format!(
                        "no request with id {} is waiting for an answer",
                        key(&id)
                    ));
                }
                summary = format!("{kind} {} → {shown}", key(&id));
                group = None;
            }
        }
        let mut unit = Unit::new(Value::Object(fields), truncate(&summary));
        unit.group = group;
        if !problems.is_empty() {
            unit.problem = Some(problems.join("; "));
        }
        unit
    }

    fn remember(&mut self, key: Key, pending: Pending) {
        if self.pending.insert(key.clone(), pending).is_none() {
            self.order.push_back(key);
            while self.order.len() > MAX_PENDING {
                if let Some(oldest) = self.order.pop_front() {
                    self.pending.remove(&oldest);
                }
            }
        }
    }

    fn take(&mut self, key: &Key) -> Option<Pending> {
        let pending = self.pending.remove(key)?;
        if let Some(at) = self.order.iter().position(|k| k == key) {
            self.order.remove(at);
        }
        Some(pending)
    }
}

/// An id as JSON text, so `1` and `"1"` stay apart.
fn key(id: &Value) -> String {
    id.to_string()
}

fn put(fields: &mut Value, name: &str, value: Option<Value>) {
    if let (Value::Object(map), Some(value)) = (fields, value) {
        map.insert(name.into(), value);
    }
}

fn compact(value: &Value) -> String {
    truncate(&value.to_string())
}

fn truncate(text: &str) -> String {
    ellipsize(text, SUMMARY_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(decoder: &mut Decoder, dir: Direction, message: Value, ms: u64) -> Unit {
        let payload = Payload::Text(message.to_string().into());
        decoder
            .decode(dir, &payload, Duration::from_millis(ms))
            .unwrap()
    }

    #[test]
    fn a_response_is_paired_with_its_request_and_timed() {
        let mut decoder = Decoder::new(&Options::default());
        let request = decode(
            &mut decoder,
            Direction::Out,
            json!({"jsonrpc": "2.0", "method": "sum", "params": [1, 2], "id": 1}),
            10,
        );
        assert_eq!(request.summary, "request 1 sum([1,2])");
        assert_eq!(request.group.as_deref(), Some("sum"));
        let response = decode(
            &mut decoder,
            Direction::In,
            json!({"jsonrpc": "2.0", "result": 3, "id": 1}),
            13,
        );
        assert_eq!(
            response.fields,
            json!({"type": "response", "id": 1, "method": "sum", "params_summary": "[1,2]", "result": 3, "rtt_ms": 3.0})
        );
        assert_eq!(response.group.as_deref(), Some("sum"));
        assert_eq!(response.problem, None);
        let again = decode(
            &mut decoder,
            Direction::In,
            json!({"jsonrpc": "2.0", "result": 3, "id": 1}),
            14,
        );
        assert!(again.problem.unwrap().contains("no request with id 1"));
    }

    #[test]
    fn errors_batches_and_server_requests() {
        let mut decoder = Decoder::new(&Options::default());
        decode(
            &mut decoder,
            Direction::Out,
            json!([{"jsonrpc": "2.0", "method": "a", "id": "x"}, {"jsonrpc": "2.0", "method": "n"}]),
            0,
        );
        let answers = decode(
            &mut decoder,
            Direction::In,
            json!([{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "x"}]),
            5,
        );
        assert_eq!(answers.kind(), "batch");
        assert_eq!(answers.fields["items"][0]["type"], "error");
        assert_eq!(answers.fields["items"][0]["method"], "a");
        assert_eq!(
            answers.problem.as_deref(),
            Some("item 0: error -32601: Method not found")
        );
        decode(
            &mut decoder,
            Direction::In,
            json!({"jsonrpc": "2.0", "method": "ask", "id": 7}),
            6,
        );
        let reply = decode(
            &mut decoder,
            Direction::Out,
            json!({"jsonrpc": "2.0", "result": "yes", "id": 7}),
            8,
        );
        assert_eq!(reply.fields["method"], "ask");
        assert_eq!(reply.fields["rtt_ms"], 2.0);
    }

    #[test]
    fn invalid_json_rpc_is_malformed() {
        let mut decoder = Decoder::new(&Options::default());
        assert_eq!(
            decode(&mut decoder, Direction::In, json!({"x": 1}), 0).kind(),
            "malformed"
        );
        assert_eq!(
            decode(&mut decoder, Direction::In, json!([]), 0).kind(),
            "malformed"
        );
        let text = Payload::Text("{nope".into());
        let unit = decoder
            .decode(Direction::In, &text, Duration::ZERO)
            .unwrap();
        assert_eq!(unit.kind(), "malformed");
        assert!(unit.problem.is_some());
    }

    proptest::proptest! {
        #[test]
        fn any_message_decodes_without_panicking(
            text in r#"[\[\]{}":,0-9a-z_ .-]{0,80}"#,
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
        ) {
            let mut decoder = Decoder::new(&Options::default());
            for dir in [Direction::In, Direction::Out] {
                let text = Payload::Text(text.clone().into());
                proptest::prop_assert!(decoder.decode(dir, &text, Duration::ZERO).is_some());
                let binary = Payload::Binary(bytes::Bytes::from(bytes.clone()));
                proptest::prop_assert!(decoder.decode(dir, &binary, Duration::ZERO).is_some());
            }
        }
    }
}

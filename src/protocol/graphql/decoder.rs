//! The viewer's half of GraphQL over WebSocket: each message as a unit, grouped by
//! operation id, with the operation's type and name kept so a `next` says what it answers.

use crate::format::preview::ellipsize;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde_json::{Map, Value};

use super::close_codes::{close_unit, legacy_refusal};
use super::options::{Flavor, Options};
use super::query_text::{self, Operation};
use crate::engine::{Direction, Payload};
use crate::protocol::Unit;

/// How many operations a decoder remembers (the oldest are forgotten first).
const MAX_OPERATIONS: usize = 4096;
/// How much of a payload a summary shows.
const SUMMARY_CHARS: usize = 160;

/// One attempt's decoding state.
#[derive(Debug)]
pub struct Decoder {
    flavor: Flavor,
    acked: bool,
    operations: HashMap<String, Operation>,
    order: VecDeque<String>,
}

impl Decoder {
    /// A fresh decoder.
    pub fn new(options: &Options) -> Self {
        Self {
            flavor: options.fallback_flavor(),
            acked: false,
            operations: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// The attempt opened with this subprotocol (the flavor spoken).
    pub fn on_open(&mut self, subprotocol: Option<&str>) {
        if let Some(flavor) = Flavor::of_subprotocol(subprotocol) {
            self.flavor = flavor;
        }
    }

    /// What the WebSocket's close means: GraphQL's own codes (4400–4504) are named, and
    /// 4401/4403/4406/4408/4429 mean the server refused the connection.
    pub fn on_close(&mut self, code: u16, reason: &str) -> Option<Unit> {
        if code == 1002 && !self.acked && self.flavor == Flavor::Transport {
            return Some(legacy_refusal(code, reason));
        }
        close_unit(code, reason)
    }

    /// A refused upgrade means nothing more in GraphQL's terms.
    pub fn on_refusal(&mut self, _status: u16, _body: &[u8]) -> Option<Unit> {
        None
    }

    /// The unit a message carries.
    pub fn decode(
        &mut self,
        _dir: Direction,
        payload: &Payload,
        _offset: Duration,
    ) -> Option<Unit> {
        let Ok(text) = std::str::from_utf8(payload.as_bytes()) else {
            return Some(Unit::malformed(
                "a GraphQL message is JSON text, not binary",
            ));
        };
        let message = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(message)) => message,
            Ok(_) => return Some(Unit::malformed("a GraphQL message is a JSON object")),
            Err(error) => return Some(Unit::malformed(format!("not JSON: {error}"))),
        };
        let Some(kind) = message
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return Some(Unit::malformed("a GraphQL message needs a `type`"));
        };
        Some(self.unit(&kind, message))
    }

    fn unit(&mut self, kind: &str, message: Map<String, Value>) -> Unit {
        match kind {
            "connection_ack" => {
                self.acked = true;
                Unit::new(Value::Object(message), kind).housekeeping()
            }
            "connection_init" | "ping" | "pong" | "ka" | "connection_terminate" => {
                Unit::new(Value::Object(message), kind).housekeeping()
            }
            "connection_error" => {
                let said = error_text(message.get("payload"));
                let mut unit = Unit::new(Value::Object(message), format!("{kind}: {said}"));
                unit.problem = Some(format!("connection refused: {said}"));
                unit.refused = true;
                unit
            }
            "subscribe" | "start" => self.started(kind, message),
            "next" | "data" | "error" | "complete" | "stop" => self.answer(kind, message),
            other => Unit::malformed(format!("unknown GraphQL message type `{other}`")),
        }
    }

    /// A `subscribe`/`start`: the operation is read from its query and kept under its id.
    fn started(&mut self, kind: &str, mut message: Map<String, Value>) -> Unit {
        let Some(id) = id_of(&message) else {
            return Unit::malformed(format!("`{kind}` without an `id`"));
        };
        let payload = message.get("payload").cloned();
        let payload = payload.as_ref();
        let query = payload
            .and_then(|p| p.get("query"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let name = payload
            .and_then(|p| p.get("operationName"))
            .and_then(Value::as_str);
        let operation = query_text::operation(query, name).unwrap_or(Operation {
            kind: "operation",
            name: None,
        });
        add_operation(&mut message, &operation);
        let variables = payload
            .and_then(|p| p.get("variables"))
            .filter(|v| v.as_object().is_some_and(|m| !m.is_empty()))
            .map(|v| format!(" {}", compact(v)))
            .unwrap_or_default();
        let label = operation.label();
        self.remember(&id, operation);
        Unit::new(
            Value::Object(message),
            format!("{kind} {id} {label}{variables}"),
        )
        .in_group(format!("{id} {label}"))
    }

    /// A message about an operation: `next`/`data`, `error`, `complete`/`stop`.
    fn answer(&mut self, kind: &str, mut message: Map<String, Value>) -> Unit {
        let Some(id) = id_of(&message) else {
            return Unit::malformed(format!("`{kind}` without an `id`"));
        };
        let operation = self.operations.get(&id).cloned();
        let group = match &operation {
            Some(operation) => format!("{id} {}", operation.label()),
            None => id.clone(),
        };
        if let Some(operation) = &operation {
            add_operation(&mut message, operation);
        }
        let payload = message.get("payload").cloned().unwrap_or(Value::Null);
        let (detail, problem) = match kind {
            "next" | "data" => {
                let errors = payload.get("errors").filter(|e| !is_empty(e));
                let problem = errors.map(|errors| error_text(Some(errors)));
                let data = payload.get("data").map(compact).unwrap_or_default();
                let detail = match &problem {
                    Some(problem) if data.is_empty() || data == "null" => {
                        format!("errors: {problem}")
                    }
                    Some(problem) => format!("{data} errors: {problem}"),
                    None => data,
                };
                (detail, problem)
            }
            "error" => {
                let said = error_text(Some(&payload));
                (said.clone(), Some(said))
            }
            _ => (String::new(), None),
        };
        let label = match &operation {
            Some(operation) => format!("{kind} {id} ({})", operation.label()),
            None => format!("{kind} {id}"),
        };
        let summary = if detail.is_empty() {
            label
        } else {
            format!("{label}: {detail}")
        };
        let mut unit = Unit::new(Value::Object(message), summary).in_group(group);
        unit.problem = problem;
        unit
    }

    fn remember(&mut self, id: &str, operation: Operation) {
        if self.operations.insert(id.to_owned(), operation).is_none() {
            self.order.push_back(id.to_owned());
            while self.order.len() > MAX_OPERATIONS {
                if let Some(oldest) = self.order.pop_front() {
                    self.operations.remove(&oldest);
                }
            }
        }
    }
}

fn id_of(message: &Map<String, Value>) -> Option<String> {
    match message.get("id")? {
        Value::String(id) => Some(id.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn add_operation(message: &mut Map<String, Value>, operation: &Operation) {
    message.insert("operation".into(), Value::from(operation.kind));
    message.insert(
        "operation_name".into(),
        operation.name.clone().map_or(Value::Null, Value::from),
    );
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// The messages of a GraphQL error list (or of one error, or a legacy error object).
fn error_text(errors: Option<&Value>) -> String {
    let message_of = |error: &Value| {
        error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| compact(error), str::to_owned)
    };
    let text = match errors {
        None | Some(Value::Null) => "no reason given".to_owned(),
        Some(Value::Array(items)) => items.iter().map(message_of).collect::<Vec<_>>().join("; "),
        Some(Value::String(text)) => text.clone(),
        Some(other) => message_of(other),
    };
    truncate(&text)
}

/// `value` as one line of compact JSON, cut to the summary's length.
fn compact(value: &Value) -> String {
    truncate(&value.to_string())
}

fn truncate(text: &str) -> String {
    ellipsize(text, SUMMARY_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(decoder: &mut Decoder, dir: Direction, message: Value) -> Unit {
        let payload = Payload::Text(message.to_string().into());
        decoder.decode(dir, &payload, Duration::ZERO).unwrap()
    }

    #[test]
    fn next_rows_name_the_operation_they_answer() {
        let mut decoder = Decoder::new(&Options::default());
        decoder.on_open(Some("graphql-transport-ws"));
        let init = decode(
            &mut decoder,
            Direction::Out,
            json!({"type": "connection_init"}),
        );
        assert!(init.housekeeping);
        let sub = decode(
            &mut decoder,
            Direction::Out,
            json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription OnTick { tick }"}}),
        );
        assert_eq!(sub.summary, "subscribe 1 subscription OnTick");
        assert_eq!(sub.group.as_deref(), Some("1 subscription OnTick"));
        let next = decode(
            &mut decoder,
            Direction::In,
            json!({"id": "1", "type": "next", "payload": {"data": {"tick": 1}}}),
        );
        assert_eq!(next.summary, r#"next 1 (subscription OnTick): {"tick":1}"#);
        assert_eq!(next.fields["operation"], "subscription");
        assert_eq!(next.fields["operation_name"], "OnTick");
        assert_eq!(next.group.as_deref(), Some("1 subscription OnTick"));
        assert_eq!(next.problem, None);
    }

    #[test]
    fn errors_are_problems_and_unknown_frames_are_malformed() {
        let mut decoder = Decoder::new(&Options::default());
        let next = decode(
            &mut decoder,
            Direction::In,
            json!({"id": "2", "type": "next", "payload": {"data": {"boom": null}, "errors": [{"message": "kaboom"}]}}),
        );
        assert_eq!(next.problem.as_deref(), Some("kaboom"));
        let error = decode(
            &mut decoder,
            Direction::In,
            json!({"id": "3", "type": "error", "payload": [{"message": "Cannot query field \"x\""}]}),
        );
        assert_eq!(error.problem.as_deref(), Some("Cannot query field \"x\""));
        let refused = decode(
            &mut decoder,
            Direction::In,
            json!({"type": "connection_error", "payload": {"message": "bad token"}}),
        );
        assert!(refused.refused);
        assert_eq!(
            decode(&mut decoder, Direction::In, json!({"type": "nope"})).kind(),
            "malformed"
        );
        assert_eq!(
            decode(&mut decoder, Direction::In, json!([1])).kind(),
            "malformed"
        );
        let binary = Payload::Binary(bytes::Bytes::from_static(&[0xff]));
        assert_eq!(
            decoder
                .decode(Direction::In, &binary, Duration::ZERO)
                .unwrap()
                .kind(),
            "malformed"
        );
    }

    #[test]
    fn a_1002_before_the_ack_on_graphql_transport_ws_explains_the_legacy_server() {
        let mut decoder = Decoder::new(&Options::default());
        decoder.on_open(Some("graphql-transport-ws"));
        let unit = decoder.on_close(1002, "").unwrap();
        assert!(unit.refused);
        assert!(unit.summary.contains("subscriptions-transport-ws"));
        decoder.on_open(Some("graphql-ws"));
        assert_eq!(decoder.on_close(1002, ""), None);
        assert!(decoder.on_close(4403, "Forbidden").unwrap().refused);
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

//! The user's operations, written like the units they send (`publish`, `subscribe`,
//! `unsubscribe`, `disconnect`, `pingreq`), read into packets without their packet ids.

use base64::Engine as _;
use bytes::Bytes;
use serde_json::Value;

use super::options::V5;
use super::packet::{Packet, Props, Publish};
use crate::protocol::OpError;

/// Reads `op` into the packet it sends, for protocol `level`. Packet identifiers are left
/// at 0 for the session to assign.
pub fn read(op: &Value, level: u8) -> Result<Packet, OpError> {
    let Some(object) = op.as_object() else {
        return Err(OpError::new(
            "an MQTT operation is a JSON object with a `type`",
        ));
    };
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let properties = properties(op, level)?;
    match kind {
        "publish" => {
            let topic = text(op, "topic")?;
            if topic.is_empty() || topic.contains(['+', '#']) {
                return Err(OpError::new(format!(
                    "publish: `topic` must be a topic name without wildcards, not {topic:?}"
                )));
            }
            Ok(Packet::Publish(Publish {
                dup: false,
                qos: qos(op)?,
                retain: flag(op, "retain")?,
                topic: topic.to_owned(),
                packet_id: None,
                properties,
                payload: payload(op)?,
            }))
        }
        "subscribe" => {
            let mut filters = Vec::new();
            for entry in entries(op, "subscribe")? {
                let filter = text(entry, "topic")?;
                check_filter(filter, "subscribe")?;
                let mut options = qos(entry)?;
                if flag(entry, "no_local")? {
                    options |= 0x04;
                }
                if flag(entry, "retain_as_published")? {
                    options |= 0x08;
                }
                match entry.get("retain_handling").map(Value::as_u64) {
                    None => {}
                    Some(Some(n @ 0..=2)) => options |= (n as u8) << 4,
                    Some(_) => return Err(OpError::new("`retain_handling` is 0, 1 or 2")),
                }
                if level != V5 && options > 2 {
                    return Err(OpError::new(
                        "no_local, retain_as_published and retain_handling need MQTT 5 \
                         (--protocol-option version=5)",
                    ));
                }
                filters.push((filter.to_owned(), options));
            }
            Ok(Packet::Subscribe {
                packet_id: 0,
                filters,
                properties,
            })
        }
        "unsubscribe" => {
            let mut filters = Vec::new();
            for entry in entries(op, "unsubscribe")? {
                let filter = match entry {
                    Value::String(filter) => filter.as_str(),
                    _ => text(entry, "topic")?,
                };
                check_filter(filter, "unsubscribe")?;
                filters.push(filter.to_owned());
            }
            Ok(Packet::Unsubscribe {
                packet_id: 0,
                filters,
                properties,
            })
        }
        "disconnect" => {
            let code = match op.get("reason_code") {
                None => 0,
                Some(code) => code
                    .as_u64()
                    .and_then(|code| u8::try_from(code).ok())
                    .ok_or_else(|| OpError::new("`reason_code` is a number from 0 to 255"))?,
            };
            if level != V5 && code != 0 {
                return Err(OpError::new("a DISCONNECT reason code needs MQTT 5"));
            }
            Ok(Packet::Disconnect { code, properties })
        }
        "pingreq" => Ok(Packet::Pingreq),
        "" => Err(OpError::new(
            "an MQTT operation needs a `type`: publish, subscribe, unsubscribe, disconnect \
             or pingreq",
        )),
        other => Err(OpError::new(format!(
            "unknown MQTT operation `{other}`: expected publish, subscribe, unsubscribe, \
             disconnect or pingreq"
        ))),
    }
}

/// The text field `name` of `value`.
fn text<'a>(value: &'a Value, name: &str) -> Result<&'a str, OpError> {
    value
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| OpError::new(format!("`{name}` is required and is text")))
}

/// The boolean field `name` (false when absent).
fn flag(value: &Value, name: &str) -> Result<bool, OpError> {
    match value.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(_) => Err(OpError::new(format!("`{name}` is true or false"))),
    }
}

/// The `qos` field: 0 (the default), 1 or 2.
fn qos(value: &Value) -> Result<u8, OpError> {
    match value.get("qos") {
        None | Some(Value::Null) => Ok(0),
        Some(qos) => qos
            .as_u64()
            .filter(|qos| *qos <= 2)
            .map(|qos| qos as u8)
            .ok_or_else(|| OpError::new(format!("`qos` is 0, 1 or 2, not {qos}"))),
    }
}

/// The payload: `payload` (text), `payload_base64` or `payload_hex` (bytes); empty when
/// none is given.
fn payload(op: &Value) -> Result<Bytes, OpError> {
    let given: Vec<&str> = ["payload", "payload_base64", "payload_hex"]
        .into_iter()
        .filter(|name| op.get(name).is_some())
        .collect();
    if given.len() > 1 {
        return Err(OpError::new(format!(
            "give one of {}, not both",
            given.join(" and ")
        )));
    }
    let Some(name) = given.first() else {
        return Ok(Bytes::new());
    };
    let text = text(op, name)?;
    match *name {
        "payload_base64" => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(Bytes::from)
            .map_err(|error| OpError::new(format!("`payload_base64` is not base64: {error}"))),
        "payload_hex" => {
            let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            if !digits.len().is_multiple_of(2) || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(OpError::new("`payload_hex` is pairs of hex digits"));
            }
            let bytes = (0..digits.len())
                .step_by(2)
                .filter_map(|at| u8::from_str_radix(&digits[at..at + 2], 16).ok())
                .collect::<Vec<u8>>();
            Ok(Bytes::from(bytes))
        }
        _ => Ok(Bytes::copy_from_slice(text.as_bytes())),
    }
}

/// The `topics` list, or the op itself when it names one `topic`.
fn entries<'a>(op: &'a Value, what: &str) -> Result<Vec<&'a Value>, OpError> {
    match (op.get("topics"), op.get("topic")) {
        (Some(Value::Array(list)), None) if !list.is_empty() => Ok(list.iter().collect()),
        (None, Some(_)) => Ok(vec![op]),
        _ => Err(OpError::new(format!(
            "{what}: give `topic` or a non-empty `topics` list (not both)"
        ))),
    }
}

/// Refuses an empty topic filter or one whose wildcards are misplaced.
fn check_filter(filter: &str, what: &str) -> Result<(), OpError> {
    let levels: Vec<&str> = filter.split('/').collect();
    let bad = filter.is_empty()
        || levels.iter().enumerate().any(|(at, level)| {
            (level.contains('#') && (*level != "#" || at + 1 != levels.len()))
                || (level.contains('+') && *level != "+")
        });
    if bad {
        return Err(OpError::new(format!(
            "{what}: {filter:?} is not a topic filter (`+` takes a whole level, `#` only the last)"
        )));
    }
    Ok(())
}

/// The `properties` object (MQTT 5 only).
fn properties(op: &Value, level: u8) -> Result<Props, OpError> {
    match op.get("properties") {
        None | Some(Value::Null) => Ok(Props::new()),
        Some(Value::Object(map)) if level == V5 => {
            // Written once here to refuse unknown names and wrong values up front.
            super::properties::write(&mut Vec::new(), map).map_err(OpError::new)?;
            Ok(map.clone())
        }
        Some(Value::Object(_)) => Err(OpError::new(
            "`properties` need MQTT 5 (--protocol-option version=5)",
        )),
        Some(_) => Err(OpError::new("`properties` is an object")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::mqtt::options::V311;
    use serde_json::json;

    #[test]
    fn publish_takes_text_base64_or_hex_payloads() {
        let packet = read(
            &json!({"type": "publish", "topic": "a/b", "payload_hex": "00ff"}),
            V311,
        )
        .unwrap();
        let Packet::Publish(publish) = packet else {
            panic!()
        };
        assert_eq!(&publish.payload[..], &[0, 0xFF]);
        assert_eq!(publish.qos, 0);
        let packet = read(
            &json!({"type": "publish", "topic": "a", "payload_base64": "AP8=", "qos": 2, "retain": true}),
            V311,
        )
        .unwrap();
        let Packet::Publish(publish) = packet else {
            panic!()
        };
        assert_eq!(
            (&publish.payload[..], publish.qos, publish.retain),
            (&[0, 0xFF][..], 2, true)
        );
    }

    #[test]
    fn malformed_operations_say_what_is_wrong() {
        let error = |op: Value| read(&op, V311).unwrap_err().0;
        assert!(error(json!({"type": "publish", "topic": "a/#"})).contains("without wildcards"));
        assert!(error(json!({"type": "publish", "topic": "a", "qos": 3})).contains("0, 1 or 2"));
        assert!(
            error(json!({"type": "subscribe", "topic": "a/#/b"})).contains("not a topic filter")
        );
        assert!(error(json!({"type": "subscribe"})).contains("`topic` or a non-empty `topics`"));
        assert!(error(json!({"type": "jump"})).contains("unknown MQTT operation `jump`"));
        assert!(
            error(json!({"type": "publish", "topic": "a", "properties": {}})).contains("MQTT 5")
        );
        assert!(
            error(json!({"type": "publish", "topic": "a", "payload": "x", "payload_hex": "00"}))
                .contains("not both")
        );
        let v5 = read(
            &json!({"type": "publish", "topic": "a", "properties": {"nope": 1}}),
            V5,
        );
        assert!(v5.unwrap_err().0.contains("unknown MQTT 5 property"));
    }

    #[test]
    fn subscribe_takes_one_topic_or_a_list() {
        let packet = read(
            &json!({"type": "subscribe", "topics": [{"topic": "a/+", "qos": 1}, {"topic": "#", "qos": 2}]}),
            V311,
        )
        .unwrap();
        assert_eq!(
            packet,
            Packet::Subscribe {
                packet_id: 0,
                filters: vec![("a/+".into(), 1), ("#".into(), 2)],
                properties: Props::new()
            }
        );
        let packet = read(
            &json!({"type": "unsubscribe", "topics": ["a/+", {"topic": "b"}]}),
            V311,
        )
        .unwrap();
        assert!(matches!(packet, Packet::Unsubscribe { filters, .. } if filters == ["a/+", "b"]));
    }

    #[test]
    fn the_composer_examples_are_valid_operations() {
        for (what, text) in crate::protocol::example_ops(crate::protocol::ProtocolKind::Mqtt) {
            let op: Value = serde_json::from_str(text).unwrap();
            assert!(read(&op, V5).is_ok(), "{what}: {text}");
        }
    }
}

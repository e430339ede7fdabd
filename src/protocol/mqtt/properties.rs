//! MQTT 5 properties: read into a JSON object by name, and written from one.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::wire::{Reader, put_binary, put_string, put_varint};

/// How a property's value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Byte,
    Two,
    Four,
    Var,
    Text,
    Binary,
    Pair,
}

/// Every property: its identifier, the name used in JSON, and its kind. (User properties
/// are `user_properties`: a list of `[name, value]` pairs.)
const TABLE: &[(u8, &str, Kind)] = &[
    (0x01, "payload_format_indicator", Kind::Byte),
    (0x02, "message_expiry_interval", Kind::Four),
    (0x03, "content_type", Kind::Text),
    (0x08, "response_topic", Kind::Text),
    (0x09, "correlation_data", Kind::Binary),
    (0x0B, "subscription_identifier", Kind::Var),
    (0x11, "session_expiry_interval", Kind::Four),
    (0x12, "assigned_client_identifier", Kind::Text),
    (0x13, "server_keep_alive", Kind::Two),
    (0x15, "authentication_method", Kind::Text),
    (0x16, "authentication_data", Kind::Binary),
    (0x17, "request_problem_information", Kind::Byte),
    (0x18, "will_delay_interval", Kind::Four),
    (0x19, "request_response_information", Kind::Byte),
    (0x1A, "response_information", Kind::Text),
    (0x1C, "server_reference", Kind::Text),
    (0x1F, "reason_string", Kind::Text),
    (0x21, "receive_maximum", Kind::Two),
    (0x22, "topic_alias_maximum", Kind::Two),
    (0x23, "topic_alias", Kind::Two),
    (0x24, "maximum_qos", Kind::Byte),
    (0x25, "retain_available", Kind::Byte),
    (0x26, "user_properties", Kind::Pair),
    (0x27, "maximum_packet_size", Kind::Four),
    (0x28, "wildcard_subscription_available", Kind::Byte),
    (0x29, "subscription_identifier_available", Kind::Byte),
    (0x2A, "shared_subscription_available", Kind::Byte),
];

/// Reads a property list (its length first) into an object; binary values are base64.
/// A property that occurs more than once (user properties, subscription identifiers)
/// becomes a list.
pub fn read(reader: &mut Reader<'_>) -> Result<Map<String, Value>, String> {
    let length = reader.varint()? as usize;
    let mut list = Reader::new(reader.take(length)?);
    let mut map = Map::new();
    while !list.is_empty() {
        let id = list.varint()?;
        let Some(&(_, name, kind)) = TABLE.iter().find(|(known, _, _)| u32::from(*known) == id)
        else {
            return Err(format!("unknown property identifier 0x{id:02X}"));
        };
        let value = match kind {
            Kind::Byte => Value::from(list.u8()?),
            Kind::Two => Value::from(list.u16()?),
            Kind::Four => Value::from(list.u32()?),
            Kind::Var => Value::from(list.varint()?),
            Kind::Text => Value::from(list.string()?),
            Kind::Binary => {
                Value::from(base64::engine::general_purpose::STANDARD.encode(list.binary()?))
            }
            Kind::Pair => {
                let key = list.string()?;
                let value = list.string()?;
                Value::from(vec![key, value])
            }
        };
        match map.get_mut(name) {
            None if kind == Kind::Pair => {
                map.insert(name.to_owned(), Value::Array(vec![value]));
            }
            None => {
                map.insert(name.to_owned(), value);
            }
            Some(Value::Array(items)) if kind == Kind::Pair || kind == Kind::Var => {
                items.push(value)
            }
            Some(earlier) => {
                let first = earlier.take();
                *earlier = Value::Array(vec![first, value]);
            }
        }
    }
    Ok(map)
}

/// Writes `props` (an object such as [`read`] makes) as a property list, its length first.
/// Binary values are given as base64 text.
pub fn write(out: &mut Vec<u8>, props: &Map<String, Value>) -> Result<(), String> {
    let mut list = Vec::new();
    for (name, value) in props {
        let Some(&(id, _, kind)) = TABLE.iter().find(|(_, known, _)| known == name) else {
            let names: Vec<_> = TABLE.iter().map(|(_, name, _)| *name).collect();
            return Err(format!(
                "unknown MQTT 5 property `{name}`: expected one of {}",
                names.join(", ")
            ));
        };
        let values: Vec<&Value> = match (kind, value) {
            (Kind::Pair | Kind::Var, Value::Array(items))
                if items.iter().all(|item| kind == Kind::Pair || item.is_u64()) =>
            {
                items.iter().collect()
            }
            _ => vec![value],
        };
        for value in values {
            list.push(id);
            write_value(&mut list, name, kind, value)?;
        }
    }
    put_varint(out, list.len())?;
    out.extend_from_slice(&list);
    Ok(())
}

/// Writes one property value of `kind`.
fn write_value(out: &mut Vec<u8>, name: &str, kind: Kind, value: &Value) -> Result<(), String> {
    let whole = |max: u64| {
        value
            .as_u64()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("property `{name}` takes a whole number up to {max}"))
    };
    match kind {
        Kind::Byte => out.push(whole(0xFF)? as u8),
        Kind::Two => out.extend_from_slice(&(whole(0xFFFF)? as u16).to_be_bytes()),
        Kind::Four => out.extend_from_slice(&(whole(0xFFFF_FFFF)? as u32).to_be_bytes()),
        Kind::Var => put_varint(out, whole(268_435_455)? as usize)?,
        Kind::Text => put_string(
            out,
            value
                .as_str()
                .ok_or_else(|| format!("property `{name}` takes text"))?,
        )?,
        Kind::Binary => {
            let text = value
                .as_str()
                .ok_or_else(|| format!("property `{name}` takes base64 text"))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|error| format!("property `{name}`: not base64: {error}"))?;
            put_binary(out, &bytes)?;
        }
        Kind::Pair => {
            let pair = value
                .as_array()
                .filter(|pair| pair.len() == 2)
                .and_then(|pair| Some((pair[0].as_str()?, pair[1].as_str()?)))
                .ok_or_else(|| format!("`{name}` takes [name, value] pairs of text"))?;
            put_string(out, pair.0)?;
            put_string(out, pair.1)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn properties_round_trip_by_name() {
        let props = json!({
            "content_type": "text/plain",
            "message_expiry_interval": 60,
            "correlation_data": "AAEC",
            "user_properties": [["a", "1"], ["b", "2"]],
        });
        let mut bytes = Vec::new();
        write(&mut bytes, props.as_object().unwrap()).unwrap();
        let back = read(&mut Reader::new(&bytes)).unwrap();
        assert_eq!(Value::Object(back), props);
    }

    #[test]
    fn unknown_properties_and_wrong_values_are_refused() {
        let mut bytes = Vec::new();
        let error = write(&mut bytes, json!({"colour": 1}).as_object().unwrap()).unwrap_err();
        assert!(
            error.contains("unknown MQTT 5 property `colour`"),
            "{error}"
        );
        let error = write(
            &mut bytes,
            json!({"topic_alias": 70000}).as_object().unwrap(),
        )
        .unwrap_err();
        assert!(error.contains("up to 65535"), "{error}");
        assert!(read(&mut Reader::new(&[2, 0x7F, 0])).is_err());
    }
}

//! Packets as the units a user reads: the JSON fields the command line prints as
//! `"protocol"` and a row's one-line summary.

use crate::format::preview::ellipsize;
use serde_json::{Map, Value, json};

use super::packet::{EnginePacket, OpenInfo};
use crate::protocol::Unit;

/// A summary shows at most this many characters of arguments.
const SUMMARY_ARGS: usize = 120;

/// An Engine.IO packet other than a message.
pub fn engine_unit(packet: &EnginePacket<'_>, open: Option<&OpenInfo>) -> Unit {
    match packet {
        EnginePacket::Open(_) => match open {
            Some(open) => Unit::new(
                json!({
                    "type": "open",
                    "sid": open.sid,
                    "upgrades": open.upgrades,
                    "ping_interval": open.ping_interval,
                    "ping_timeout": open.ping_timeout,
                    "max_payload": open.max_payload,
                }),
                format!(
                    "open sid {} (ping every {} ms, timeout {} ms)",
                    open.sid, open.ping_interval, open.ping_timeout
                ),
            )
            .housekeeping(),
            None => Unit::malformed("an Engine.IO open packet without its fields"),
        },
        EnginePacket::Ping(data) | EnginePacket::Pong(data) => {
            let kind = if matches!(packet, EnginePacket::Ping(_)) {
                "ping"
            } else {
                "pong"
            };
            let mut fields = Map::new();
            fields.insert("type".into(), json!(kind));
            let mut summary = kind.to_owned();
            if !data.is_empty() {
                fields.insert("data".into(), json!(data));
                summary = format!("{kind} {data}");
            }
            Unit::new(Value::Object(fields), summary).housekeeping()
        }
        EnginePacket::Close => {
            let mut unit = Unit::new(json!({"type": "close"}), "close (Engine.IO session ends)");
            unit.problem = Some("the Engine.IO session was closed".into());
            unit
        }
        EnginePacket::Upgrade => Unit::new(json!({"type": "upgrade"}), "upgrade").housekeeping(),
        EnginePacket::Noop => Unit::new(json!({"type": "noop"}), "noop").housekeeping(),
        EnginePacket::Message(_) => Unit::malformed("a message is not an Engine.IO control packet"),
    }
}

/// The text a server's CONNECT_ERROR gives: `{"message": …}` (v3/v4) or a string (v2).
pub fn connect_error_message(data: Option<&Value>) -> String {
    match data {
        Some(Value::Object(map)) => match map.get("message") {
            Some(Value::String(message)) => message.clone(),
            Some(other) => other.to_string(),
            None => Value::Object(map.clone()).to_string(),
        },
        Some(Value::String(message)) => message.clone(),
        Some(other) => other.to_string(),
        None => "no reason given".into(),
    }
}

/// `chat ["hi"]`: arguments as compact JSON, cut to a line.
pub fn args_summary(args: &[Value]) -> String {
    let text = Value::Array(args.to_vec()).to_string();
    ellipsize(&text, SUMMARY_ARGS).into_owned()
}

/// ` on /admin` for a namespace other than `/`.
pub fn in_namespace(namespace: &str) -> String {
    if namespace == "/" {
        String::new()
    } else {
        format!(" on {namespace}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_error_messages_of_each_version() {
        assert_eq!(connect_error_message(Some(&json!({"message": "no"}))), "no");
        assert_eq!(
            connect_error_message(Some(&json!("Not authorized"))),
            "Not authorized"
        );
        assert_eq!(connect_error_message(None), "no reason given");
    }

    #[test]
    fn long_arguments_are_cut_in_summaries() {
        let long = vec![json!("x".repeat(500))];
        let summary = args_summary(&long);
        assert_eq!(summary.chars().count(), SUMMARY_ARGS + 1);
        assert!(summary.ends_with('…'));
        assert_eq!(args_summary(&[json!("hi")]), r#"["hi"]"#);
    }

    #[test]
    fn heartbeats_are_housekeeping() {
        let ping = engine_unit(&EnginePacket::Ping(""), None);
        assert!(ping.housekeeping);
        assert_eq!(ping.fields, json!({"type": "ping"}));
        let probe = engine_unit(&EnginePacket::Pong("probe"), None);
        assert_eq!(probe.summary, "pong probe");
        let close = engine_unit(&EnginePacket::Close, None);
        assert!(!close.housekeeping && close.problem.is_some());
    }
}

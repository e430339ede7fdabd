//! What GraphQL over WebSocket's own close codes (4400–4504) mean.

use serde_json::json;

use super::session::ACK_TIMEOUT_CODE;
use crate::protocol::Unit;

/// The name of a GraphQL close code and whether it means the server refused the
/// connection (the run fails).
fn meaning(code: u16) -> Option<(&'static str, bool)> {
    Some(match code {
        4400 => ("Bad Request", false),
        4401 => ("Unauthorized", true),
        4403 => ("Forbidden", true),
        4406 => ("Subprotocol not acceptable", true),
        4408 => ("Connection initialisation timeout", true),
        4409 => ("Subscriber already exists", false),
        4429 => ("Too many initialisation requests", true),
        4499 => ("Terminated", false),
        4500 => ("Internal server error", false),
        ACK_TIMEOUT_CODE => ("Connection acknowledgement timeout", true),
        _ => return None,
    })
}

/// The unit for a close with a GraphQL code, or `None` for any other code.
pub fn close_unit(code: u16, reason: &str) -> Option<Unit> {
    let (name, refused) = meaning(code)?;
    let said = if reason.is_empty() || reason == name {
        name.to_owned()
    } else {
        format!("{name}: {reason}")
    };
    let mut unit = Unit::new(
        json!({"type": "close", "code": code, "name": name, "reason": reason}),
        format!("close {code} {said}"),
    );
    unit.problem = Some(said);
    unit.refused = refused;
    Some(unit)
}

/// The unit for a legacy server's protocol-error close after it was offered
/// `graphql-transport-ws`.
pub fn legacy_refusal(code: u16, reason: &str) -> Unit {
    let why = "the server closed with 1002 before connection_ack: a \
               subscriptions-transport-ws server does that when it is offered \
               graphql-transport-ws first; use subprotocol auto or graphql-ws";
    let mut unit = Unit::new(
        json!({"type": "close", "code": code, "name": "Protocol error", "reason": reason, "hint": why}),
        format!("close {code}: {why}"),
    );
    unit.problem = Some(why.to_owned());
    unit.refused = true;
    unit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_codes_are_named_and_refusals_fail_the_run() {
        let forbidden = close_unit(4403, "Forbidden").unwrap();
        assert_eq!(forbidden.fields["name"], "Forbidden");
        assert_eq!(forbidden.summary, "close 4403 Forbidden");
        assert!(forbidden.refused);
        let bad = close_unit(4400, "Invalid message received").unwrap();
        assert_eq!(
            bad.problem.as_deref(),
            Some("Bad Request: Invalid message received")
        );
        assert!(!bad.refused);
        for code in [4401, 4406, 4408, 4429] {
            assert!(close_unit(code, "").unwrap().refused, "{code}");
        }
        assert!(!close_unit(4499, "").unwrap().refused);
        assert!(!close_unit(4409, "").unwrap().refused);
        assert_eq!(close_unit(1000, ""), None);
        assert_eq!(close_unit(4000, ""), None);
    }
}

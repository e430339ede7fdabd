//! A refused WebSocket upgrade in Socket.IO's words. An Engine.IO server answers a request
//! it will not take with HTTP 400 and an error code (as JSON `{"code":N,"message":…}`, or
//! the message alone as text): 0 "Transport unknown" (the websocket transport is not
//! allowed: the server offers only long-polling), 1 "Session ID unknown", 2 "Bad handshake
//! method", 3 "Bad request", 4 "Forbidden", 5 "Unsupported protocol version".

use serde_json::{Value, json};

use crate::protocol::Unit;

/// At most this much of the body is kept.
const MAX_BODY: usize = 300;

/// The unit for an upgrade refused with `status` and `body`; `None` when the refusal says
/// nothing about Socket.IO (an authentication wall, say, which the connection explains).
pub fn unit(status: u16, body: &str, v3: bool) -> Option<Unit> {
    let body: String = body.trim().chars().take(MAX_BODY).collect();
    let parsed = json_in(&body);
    let code = parsed
        .as_ref()
        .and_then(|value| value.get("code"))
        .and_then(Value::as_u64);
    let message = parsed
        .as_ref()
        .and_then(|value| value.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| body.clone());
    let known = |code_is: u64, text: &str| {
        code == Some(code_is)
            || (code.is_none()
                && message
                    .to_ascii_lowercase()
                    .contains(&text.to_ascii_lowercase()))
    };
    let problem = if !matches!(status, 400 | 403) {
        return None;
    } else if known(0, "Transport unknown") || known(3, "Bad request") {
        format!(
            "This Socket.IO server offers only HTTP long-polling: it refused the websocket \
             transport (\"{message}\"). Sockscope speaks Socket.IO over WebSocket only. Enable \
             websocket on the server: leave Socket.IO's `transports` option at its default, or \
             include \"websocket\" in it (new Server(httpServer, {{ transports: [\"polling\", \
             \"websocket\"] }}))."
        )
    } else if known(5, "Unsupported protocol version") {
        let (dialled, other) = if v3 { (3, 4) } else { (4, 3) };
        format!(
            "The server does not speak Engine.IO {dialled} (\"{message}\"): set the eio option \
             to {other} (Socket.IO v2 servers speak 3; v3/v4 servers speak 4, and 3 too with \
             allowEIO3: true)."
        )
    } else if code.is_some() {
        format!("The Socket.IO server refused the connection: {message}")
    } else {
        return None;
    };
    let mut unit = Unit::new(
        json!({"type": "refused", "status": status, "code": code, "message": message}),
        format!("refused: {message}"),
    );
    unit.problem = Some(problem);
    unit.refused = true;
    Some(unit)
}

/// The JSON object in `body`: the whole body, or the braces within it (a body still in
/// HTTP chunked framing carries it between chunk sizes).
fn json_in(body: &str) -> Option<Value> {
    if let Ok(value) = serde_json::from_str(body) {
        return Some(value);
    }
    let start = body.find('{')?;
    let end = body.rfind('}')?;
    serde_json::from_str(body.get(start..=end)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_polling_only_server_is_explained() {
        for body in [
            r#"{"code":0,"message":"Transport unknown"}"#,
            "Transport unknown",
        ] {
            let unit = unit(400, body, false).unwrap();
            assert!(unit.refused);
            let problem = unit.problem.unwrap();
            assert!(problem.contains("only HTTP long-polling"), "{problem}");
            assert!(problem.contains("websocket"), "{problem}");
        }
        let chunked = "28\r\n{\"code\":0,\"message\":\"Transport unknown\"}\r\n0\r\n\r\n";
        assert_eq!(unit(400, chunked, false).unwrap().fields["code"], json!(0));
        let unit = unit(400, r#"{"code":3,"message":"Bad request"}"#, false).unwrap();
        assert_eq!(unit.fields["code"], json!(3));
    }

    #[test]
    fn a_version_mismatch_names_the_option() {
        let unit = unit(
            400,
            r#"{"code":5,"message":"Unsupported protocol version"}"#,
            true,
        );
        let problem = unit.unwrap().problem.unwrap();
        assert!(problem.contains("Engine.IO 3") && problem.contains("eio option to 4"));
    }

    #[test]
    fn other_refusals_are_left_to_the_connection() {
        assert_eq!(unit(401, "Unauthorized", false), None);
        assert_eq!(unit(400, "<html>nope</html>", false), None);
        let forbidden = unit(400, r#"{"code":4,"message":"Forbidden"}"#, false).unwrap();
        assert!(forbidden.problem.unwrap().contains("Forbidden"));
    }
}

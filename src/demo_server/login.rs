//! `/login?count=N`: a small login-then-subscribe API, for scripts that extract a token from
//! one message and use it in the next (the example `saved_sessions/login-subscribe`).
//!
//! 1. The client sends `{"type":"login","user":U,"password":P}`; any non-empty user and
//!    password work. The server answers `{"type":"welcome","user":U,"token":T}`, with a
//!    fresh random token T.
//! 2. The client sends `{"type":"subscribe","channel":C,"token":T}`. With the right token
//!    the server answers `{"type":"subscribed","channel":C}` and then sends
//!    `{"type":"tick","channel":C,"seq":n,"price":p}` every 100 ms, n from 1, p a positive
//!    number; after `count` ticks (default 5) it closes 1000 "done".
//!
//! Anything else gets `{"type":"error","message":...}` and the connection stays open (a
//! subscription before login, a wrong token, a message that is not such JSON).

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::closing::{answer_close, close_and_wait, frame};
use super::ticker::every_period;
use super::{Ws, WsResult};

/// Serves one `/login` connection.
pub async fn serve(ws: &mut Ws, count: u64) -> WsResult {
    let mut token: Option<String> = None;
    let mut channel: Option<String> = None;
    let mut ticks = every_period();
    let mut sent: u64 = 0;
    loop {
        if channel.is_some() && sent >= count {
            return close_and_wait(ws, Some(frame(1000, "done"))).await;
        }
        tokio::select! {
            _ = ticks.tick(), if channel.is_some() => {
                sent += 1;
                let tick = json!({
                    "type": "tick",
                    "channel": channel,
                    "seq": sent,
                    "price": 100.0 + (sent % 7) as f64 * 0.25,
                });
                ws.send(Message::text(tick.to_string())).await?;
            }
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let answer = answer(text.as_str(), &mut token, &mut channel);
                    if channel.is_some() && sent == 0 {
                        ticks.reset();
                    }
                    ws.send(Message::text(answer.to_string())).await?;
                }
                Some(Ok(Message::Close(_))) => return answer_close(ws).await,
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(err),
                None => return Ok(()),
            },
        }
    }
}

/// The answer to one text message, updating the login and the subscription.
fn answer(text: &str, token: &mut Option<String>, channel: &mut Option<String>) -> Value {
    let error = |message: &str| json!({"type": "error", "message": message});
    let Ok(message) = serde_json::from_str::<Value>(text) else {
        return error("not JSON");
    };
    let field = |name: &str| message.get(name).and_then(Value::as_str).unwrap_or("");
    match field("type") {
        "login" => {
            if field("user").is_empty() || field("password").is_empty() {
                return error("login needs a user and a password");
            }
            let fresh = format!("tok-{:016x}", fastrand::u64(..));
            *token = Some(fresh.clone());
            json!({"type": "welcome", "user": field("user"), "token": fresh})
        }
        "subscribe" => match token {
            None => error("log in first"),
            Some(token) if token.as_str() != field("token") => error("bad token"),
            Some(_) if field("channel").is_empty() => error("subscribe needs a channel"),
            Some(_) => {
                *channel = Some(field("channel").to_owned());
                json!({"type": "subscribed", "channel": field("channel")})
            }
        },
        _ => error("expected a login or a subscribe"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_then_subscribe_with_the_token() {
        let (mut token, mut channel) = (None, None);
        let sub = r#"{"type":"subscribe","channel":"ticks","token":"x"}"#;
        assert_eq!(
            answer(sub, &mut token, &mut channel)["message"],
            "log in first"
        );
        let welcome = answer(
            r#"{"type":"login","user":"ann","password":"pw"}"#,
            &mut token,
            &mut channel,
        );
        assert_eq!(welcome["type"], "welcome");
        let issued = welcome["token"].as_str().unwrap_or_default().to_owned();
        assert!(issued.starts_with("tok-"));
        assert_eq!(
            answer(sub, &mut token, &mut channel)["message"],
            "bad token"
        );
        assert_eq!(channel, None);
        let good = format!(r#"{{"type":"subscribe","channel":"ticks","token":"{issued}"}}"#);
        assert_eq!(
            answer(&good, &mut token, &mut channel)["type"],
            "subscribed"
        );
        assert_eq!(channel.as_deref(), Some("ticks"));
    }
}

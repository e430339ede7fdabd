//! Scenarios that echo: `/echo` and `/subproto`, and `/headers`, `/binary` and
//! `/big-json`, which send something first and then echo.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::Data;

use super::handshake::Accepted;
use super::{Ws, WsResult};
use super::{fragments, payload};

/// Sends text and binary messages back verbatim until the client closes (big ones in
/// fragments, see [`fragments`]); the client's close is answered normally (tungstenite
/// queues the reply; the next read sends it).
pub async fn echo(ws: &mut Ws) -> WsResult {
    while let Some(incoming) = ws.next().await {
        match incoming? {
            message @ (Message::Text(_) | Message::Binary(_)) => {
                fragments::send(ws, message).await?;
            }
            // Pings are answered by tungstenite; a close is answered on the next read,
            // which then ends the stream.
            Message::Ping(_) | Message::Pong(_) | Message::Close(_) | Message::Frame(_) => {}
        }
    }
    Ok(())
}

/// `/headers`: one JSON text describing the handshake request, then echo.
pub async fn headers(ws: &mut Ws, accepted: &Accepted) -> WsResult {
    ws.send(Message::text(describe_request(accepted).to_string()))
        .await?;
    echo(ws).await
}

/// `/binary`: 256 bytes 0x00..=0xFF, then 1 MiB of fixed-seed pseudo-random bytes, then echo.
pub async fn binary(ws: &mut Ws) -> WsResult {
    ws.feed(Message::Binary(payload::ramp())).await?;
    fragments::send(ws, Message::Binary(payload::random_mib())).await?;
    echo(ws).await
}

/// `/big-json?mib=N`: one JSON text of about `mib` MiB, made and sent in fragments, then
/// echo.
pub async fn big_json(ws: &mut Ws, mib: usize) -> WsResult {
    let pieces = payload::BigJsonPieces::new(mib << 20).map(Bytes::from);
    fragments::send_pieces(ws, Data::Text, pieces).await?;
    echo(ws).await
}

/// `{"headers":{name: value,...},"subprotocols":[...],"path":"...","query":"..."}` with
/// lower-case header names and repeated headers joined with ", ".
fn describe_request(accepted: &Accepted) -> Value {
    let mut headers = Map::new();
    for (name, value) in &accepted.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match headers.get_mut(name.as_str()) {
            Some(Value::String(joined)) => {
                joined.push_str(", ");
                joined.push_str(&value);
            }
            _ => {
                headers.insert(name.as_str().to_string(), Value::String(value));
            }
        }
    }
    json!({
        "headers": headers,
        "subprotocols": accepted.offered_subprotocols(),
        "path": accepted.path,
        "query": accepted.query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_server::routes::Scenario;
    use tokio_tungstenite::tungstenite::http::{HeaderMap, HeaderValue};

    #[test]
    fn repeated_headers_are_joined() {
        let mut headers = HeaderMap::new();
        headers.append("X-Multi", HeaderValue::from_static("one"));
        headers.append("x-multi", HeaderValue::from_static("two"));
        headers.append("Sec-WebSocket-Protocol", HeaderValue::from_static("a, b"));
        let accepted = Accepted {
            scenario: Scenario::Headers,
            path: "/headers".into(),
            query: "q=1".into(),
            headers,
        };
        let described = describe_request(&accepted);
        assert_eq!(described["headers"]["x-multi"], "one, two");
        assert_eq!(described["subprotocols"], json!(["a", "b"]));
        assert_eq!(described["path"], "/headers");
        assert_eq!(described["query"], "q=1");
    }
}

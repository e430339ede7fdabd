//! `/jsonrpc`: a small JSON-RPC 2.0 peer so the JSON-RPC tab can be tried offline. Methods:
//! `sum` (an array of numbers), `echo` (its params back), `ask` (answers, then calls the
//! client's `whoami`); notifications get no answer; batches are answered as batches; an
//! unknown method is -32601, an invalid request -32600, text that is not JSON -32700.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{Ws, WsResult};

/// Serves one connection until the client closes.
pub async fn serve(ws: &mut Ws) -> WsResult {
    let mut asked = 0u64;
    while let Some(incoming) = ws.next().await {
        let Message::Text(text) = incoming? else {
            continue;
        };
        let (answer, call_back) = match serde_json::from_str::<Value>(&text) {
            Err(_) => (Some(error(Value::Null, -32700, "Parse error")), false),
            Ok(Value::Array(items)) if items.is_empty() => {
                (Some(error(Value::Null, -32600, "Invalid Request")), false)
            }
            Ok(Value::Array(items)) => {
                let answers: Vec<(Option<Value>, bool)> = items.iter().map(answer).collect();
                let call_back = answers.iter().any(|(_, ask)| *ask);
                let answers: Vec<Value> = answers.into_iter().filter_map(|(a, _)| a).collect();
                (
                    (!answers.is_empty()).then_some(Value::Array(answers)),
                    call_back,
                )
            }
            Ok(single) => answer(&single),
        };
        if let Some(answer) = answer {
            ws.send(Message::text(answer.to_string())).await?;
        }
        if call_back {
            asked += 1;
            let request = json!({"jsonrpc": "2.0", "method": "whoami", "id": format!("s-{asked}")});
            ws.send(Message::text(request.to_string())).await?;
        }
    }
    Ok(())
}

/// The answer to one message (`None` for a notification or a response from the client),
/// and whether the server should call the client back.
fn answer(message: &Value) -> (Option<Value>, bool) {
    let valid = message.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
    let Some(method) = message.get("method") else {
        // A response to the server's own request, or junk: a response has an id and a
        // result or an error.
        let response = valid
            && message.get("id").is_some()
            && (message.get("result").is_some() || message.get("error").is_some());
        return if response {
            (None, false)
        } else {
            (Some(error(Value::Null, -32600, "Invalid Request")), false)
        };
    };
    let id = message.get("id").cloned();
    let Some(method) = method.as_str().filter(|_| valid) else {
        return (
            Some(error(id.unwrap_or(Value::Null), -32600, "Invalid Request")),
            false,
        );
    };
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    let result = match method {
        "sum" => sum(&params).ok_or((-32602, "Invalid params: sum takes an array of numbers")),
        "echo" => Ok(params),
        "ask" => Ok(json!("asked; now the server calls your whoami")),
        _ => Err((-32601, "Method not found")),
    };
    let Some(id) = id else {
        return (None, method == "ask");
    };
    let answer = match result {
        Ok(result) => json!({"jsonrpc": "2.0", "result": result, "id": id}),
        Err((code, text)) => error(id, code, text),
    };
    (Some(answer), method == "ask")
}

/// The sum of an array of numbers: an integer when they all are.
fn sum(params: &Value) -> Option<Value> {
    let numbers = params.as_array()?;
    let integers: Option<Vec<i64>> = numbers.iter().map(Value::as_i64).collect();
    if let Some(total) = integers.and_then(|all| all.into_iter().try_fold(0i64, i64::checked_add)) {
        return Some(json!(total));
    }
    let floats: Option<Vec<f64>> = numbers.iter().map(Value::as_f64).collect();
    Some(json!(floats?.into_iter().sum::<f64>()))
}

fn error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id})
}

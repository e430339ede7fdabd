//! The demo server's protocol paths, spoken to by `connect --protocol`: `/graphql`
//! (GraphQL over WebSocket) and `/jsonrpc` (JSON-RPC 2.0), so each tab works offline.

mod support;

use serde_json::{Value, json};

use support::cli::{Run, messages, sockscope};
use support::demo;

/// The `protocol` objects of the messages going `dir`.
fn units<'a>(run: &'a Run, dir: &str) -> Vec<&'a Value> {
    messages(run, dir)
        .into_iter()
        .map(|line| &line["protocol"])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_graphql_path_acks_answers_and_ticks() {
    let server = demo().await;
    let url = server.url("/graphql");
    let run = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "graphql",
        "--op",
        r#"{"type":"subscribe","query":"{ hello }"}"#,
        "--op",
        r#"{"type":"subscribe","query":"query Boom { boom }"}"#,
        "--op",
        r#"{"type":"subscribe","query":"subscription OnTick { tick }"}"#,
        "--wait",
        "2900",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let incoming = units(&run, "in");
    assert_eq!(incoming[0]["type"], "connection_ack");
    let next = |id: &str| -> Vec<&Value> {
        incoming
            .iter()
            .copied()
            .filter(|u| u["type"] == "next" && u["id"] == id)
            .collect()
    };
    assert_eq!(next("1")[0]["payload"]["data"], json!({"hello": "world"}));
    assert_eq!(next("2")[0]["problem"], "kaboom");
    let ticks: Vec<_> = next("3")
        .iter()
        .map(|u| u["payload"]["data"]["tick"].clone())
        .collect();
    assert_eq!(ticks, [json!(1), json!(2), json!(3), json!(4), json!(5)]);
    let completed = incoming.iter().filter(|u| u["type"] == "complete").count();
    assert_eq!(completed, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_jsonrpc_path_answers_calls_and_batches() {
    let server = demo().await;
    let url = server.url("/jsonrpc");
    let run = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "jsonrpc",
        "--op",
        r#"{"type":"request","method":"sum","params":[1,2]}"#,
        "--op",
        r#"{"type":"batch","items":[{"type":"request","method":"echo","params":{"a":1}},{"type":"request","method":"nope"}]}"#,
        "--op",
        r#"{"type":"request","method":"ask"}"#,
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let incoming = units(&run, "in");
    let three = incoming
        .iter()
        .find(|u| u["type"] == "response" && u["id"] == 1)
        .expect("sum's answer");
    assert_eq!(
        (&three["method"], &three["result"]),
        (&json!("sum"), &json!(3))
    );
    let batch = incoming
        .iter()
        .find(|u| u["type"] == "batch")
        .expect("the batch's answers");
    assert_eq!(batch["items"][0]["result"], json!({"a": 1}));
    assert_eq!(batch["items"][1]["error"]["code"], -32601);
    let whoami = incoming
        .iter()
        .find(|u| u["type"] == "request")
        .expect("the server calls the client");
    assert_eq!(
        (&whoami["method"], &whoami["id"]),
        (&json!("whoami"), &json!("s-1"))
    );
}

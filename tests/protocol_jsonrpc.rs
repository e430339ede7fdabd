//! `connect --protocol jsonrpc` against a reference peer someone else wrote: json-rpc-2.0
//! 1.8.1 over ws, started from tests/node on 127.0.0.1 port 0.

mod support;

use serde_json::{Value, json};

use support::cli::{Run, messages, sockscope};
use support::node::{self, NodeServer};

fn jsonrpc_server(test: &str) -> Option<NodeServer> {
    Some(node::env(test)?.server("jsonrpc_server.js", &[]))
}

fn url(server: &NodeServer) -> String {
    format!("ws://127.0.0.1:{}/", server.port)
}

/// The `protocol` objects of the messages going `dir`.
fn units<'a>(run: &'a Run, dir: &str) -> Vec<&'a Value> {
    messages(run, dir)
        .into_iter()
        .map(|line| &line["protocol"])
        .collect()
}

/// The `protocol` object going `dir` of this `type` and `id`.
fn find<'a>(run: &'a Run, dir: &str, kind: &str, id: Value) -> &'a Value {
    units(run, dir)
        .into_iter()
        .find(|unit| unit["type"] == kind && unit["id"] == id)
        .unwrap_or_else(|| panic!("no {kind} {id} going {dir}: {:?}", units(run, dir)))
}

/// The incoming notification of `method`.
fn notification<'a>(run: &'a Run, method: &str) -> &'a Value {
    units(run, "in")
        .into_iter()
        .find(|unit| unit["type"] == "notification" && unit["method"] == method)
        .unwrap_or_else(|| panic!("no {method} notification: {:?}", units(run, "in")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_are_paired_with_their_requests_and_timed() {
    let Some(server) = jsonrpc_server("responses_are_paired") else {
        return;
    };
    let url = url(&server);
    let run = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "jsonrpc",
        "--op",
        r#"{"type":"request","method":"sum","params":[1,2,3]}"#,
        "--op",
        r#"{"type":"request","method":"sum","params":[4,5],"id":"abc"}"#,
        "--op",
        r#"{"type":"notification","method":"log","params":{"text":"hi"}}"#,
        "--op",
        r#"{"type":"request","method":"nope"}"#,
        "--op",
        r#"{"type":"request","method":"garbage"}"#,
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);

    let sent = find(&run, "out", "request", json!(1));
    assert_eq!(
        (&sent["method"], &sent["params"]),
        (&json!("sum"), &json!([1, 2, 3]))
    );
    let six = find(&run, "in", "response", json!(1));
    assert_eq!(
        (&six["method"], &six["result"], &six["params_summary"]),
        (&json!("sum"), &json!(6), &json!("[1,2,3]"))
    );
    let rtt = six["rtt_ms"].as_f64().expect("rtt_ms");
    assert!((0.0..5000.0).contains(&rtt), "{rtt}");
    let nine = find(&run, "in", "response", json!("abc"));
    assert_eq!(
        (&nine["method"], &nine["result"]),
        (&json!("sum"), &json!(9))
    );

    let log = units(&run, "out")
        .into_iter()
        .find(|unit| unit["type"] == "notification")
        .expect("the notification went out");
    assert_eq!((&log["method"], log.get("id")), (&json!("log"), None));
    assert_eq!(
        notification(&run, "logged")["params"],
        json!({"text": "hi"})
    );

    // Ids go on from the user's choice: 1, "abc", 2, 3.
    let missing = find(&run, "in", "error", json!(2));
    assert_eq!(missing["method"], "nope");
    assert_eq!(missing["error"]["code"], -32601);
    assert_eq!(missing["problem"], "error -32601: Method not found");
    assert!(missing["rtt_ms"].is_number());

    let not_json_rpc = units(&run, "in")
        .into_iter()
        .find(|unit| unit["type"] == "malformed")
        .expect("the server's non-JSON-RPC message is malformed");
    assert!(
        not_json_rpc["error"]
            .as_str()
            .unwrap_or_default()
            .contains("\"2.0\""),
        "{not_json_rpc}"
    );
    assert_eq!(find(&run, "in", "response", json!(3))["result"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_goes_out_as_one_message_and_its_answers_are_paired() {
    let Some(server) = jsonrpc_server("a_batch_goes_out") else {
        return;
    };
    let url = url(&server);
    let run = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "jsonrpc",
        "--op",
        r#"{"type":"batch","items":[{"type":"request","method":"sum","params":[2,2]},{"type":"notification","method":"log","params":{"text":"b"}},{"type":"request","method":"nope","id":"x"}]}"#,
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let out: Vec<_> = units(&run, "out")
        .into_iter()
        .filter(|unit| unit["type"] == "batch")
        .collect();
    assert_eq!(out.len(), 1, "one message for the whole batch");
    let kinds: Vec<_> = out[0]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["type"].clone())
        .collect();
    assert_eq!(
        kinds,
        [json!("request"), json!("notification"), json!("request")]
    );

    let answers = units(&run, "in")
        .into_iter()
        .find(|unit| unit["type"] == "batch")
        .expect("the answers come back as a batch");
    let items = answers["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "no answer to the notification: {items:?}");
    let four = items
        .iter()
        .find(|i| i["id"] == 1)
        .expect("the sum's answer");
    assert_eq!(
        (&four["method"], &four["result"]),
        (&json!("sum"), &json!(4))
    );
    assert!(four["rtt_ms"].is_number());
    let missing = items.iter().find(|i| i["id"] == "x").expect("x's answer");
    assert_eq!(
        (&missing["type"], &missing["method"]),
        (&json!("error"), &json!("nope"))
    );
    assert!(
        answers["problem"]
            .as_str()
            .unwrap_or_default()
            .contains("Method not found"),
        "{answers}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_calls_the_client_and_gets_its_answer() {
    let Some(server) = jsonrpc_server("the_server_calls_the_client") else {
        return;
    };
    let url = url(&server);
    let run = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "jsonrpc",
        "--op",
        r#"{"type":"response","id":1,"result":"sockscope"}"#,
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let asked = find(&run, "in", "request", json!(1));
    assert_eq!(
        (&asked["method"], &asked["params"]),
        (&json!("whoami"), &json!({"ask": "name"}))
    );
    let answered = find(&run, "out", "response", json!(1));
    assert_eq!(answered["result"], "sockscope");
    // The answer goes out as soon as the connection opens, which may be before the
    // server's request is read: then it cannot be paired, and says so.
    let paired = answered["method"] == "whoami";
    let unpaired = answered["problem"]
        .as_str()
        .is_some_and(|p| p.contains("no request with id 1"));
    assert!(paired || unpaired, "{answered}");
    assert_eq!(
        notification(&run, "clientSaid")["params"],
        json!({"result": "sockscope"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_answer_reaches_the_server_and_a_malformed_op_exits_2() {
    let Some(server) = jsonrpc_server("an_error_answer_reaches_the_server") else {
        return;
    };
    let url = url(&server);
    let run = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "jsonrpc",
        "--op",
        r#"{"type":"error","id":1,"error":{"code":-32000,"message":"who knows"}}"#,
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let said = notification(&run, "clientSaid")["params"]["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(said.contains("who knows"), "{said}");

    let bad = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "jsonrpc",
        "--op",
        r#"{"type":"request","params":[1]}"#,
    ])
    .await;
    assert_eq!(bad.status, 2, "stderr: {}", bad.stderr);
    assert!(bad.stderr.contains("`method`"), "{}", bad.stderr);
    assert!(bad.lines.is_empty(), "nothing was sent");
}

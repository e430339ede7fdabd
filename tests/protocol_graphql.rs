//! `connect --protocol graphql` against reference servers someone else wrote: graphql-ws
//! 6 (`graphql-transport-ws`) and subscriptions-transport-ws 0.11 (the legacy
//! `graphql-ws`), both on graphql 16, started from tests/node on 127.0.0.1 port 0.

mod support;

use serde_json::{Value, json};

use support::cli::{Run, messages, sockscope};
use support::node::{self, NodeServer};

/// The token the graphql-ws server accepts in the `connection_init` payload.
const TOKEN: &str = "s3cret-token-4242";

fn graphql_ws_server(test: &str) -> Option<NodeServer> {
    Some(node::env(test)?.server("graphql_server.js", &[TOKEN]))
}

fn url(server: &NodeServer) -> String {
    format!("ws://127.0.0.1:{}/graphql", server.port)
}

fn payload_option(token: &str) -> String {
    format!("payload={}", json!({"token": token}))
}

/// The `protocol` objects of the messages going `dir`.
fn units<'a>(run: &'a Run, dir: &str) -> Vec<&'a Value> {
    messages(run, dir)
        .into_iter()
        .map(|line| &line["protocol"])
        .collect()
}

/// The `protocol` objects going `dir` of this `type`.
fn of_type<'a>(run: &'a Run, dir: &str, kind: &str) -> Vec<&'a Value> {
    units(run, dir)
        .into_iter()
        .filter(|unit| unit["type"] == kind)
        .collect()
}

/// The line of the `open` event.
fn open_line(run: &Run) -> &Value {
    run.lines
        .iter()
        .find(|line| line["event"] == "open")
        .expect("an open line")
}

/// The line of the `close` event.
fn close_line(run: &Run) -> &Value {
    run.lines
        .iter()
        .find(|line| line["event"] == "close")
        .expect("a close line")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_mutation_and_subscription_run_over_graphql_transport_ws() {
    let Some(mut server) = graphql_ws_server("query_mutation_and_subscription") else {
        return;
    };
    let url = url(&server);
    let run = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "graphql",
        "--protocol-option",
        &payload_option(TOKEN),
        "--op",
        r#"{"type":"subscribe","query":"{ hello }"}"#,
        "--op",
        r#"{"type":"subscribe","query":"mutation Add($n: Int!) { add(n: $n) }","variables":{"n":5}}"#,
        "--op",
        r#"{"type":"subscribe","query":"subscription OnTick { tick(count: 3) }"}"#,
        "--wait",
        "800",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    assert_eq!(open_line(&run)["subprotocol"], "graphql-transport-ws");

    // The handshake, quiet, with the token redacted everywhere.
    let out = units(&run, "out");
    assert_eq!(out[0]["type"], "connection_init");
    assert_eq!(out[0]["housekeeping"], true);
    let printed = run.lines.iter().map(Value::to_string).collect::<String>();
    assert!(!printed.contains(TOKEN), "the token leaked: {printed}");
    let ack = of_type(&run, "in", "connection_ack");
    assert_eq!(ack.len(), 1);
    assert_eq!(ack[0]["housekeeping"], true);

    // Ids assigned in order, the operation read from the query.
    let subscribes = of_type(&run, "out", "subscribe");
    let described: Vec<_> = subscribes
        .iter()
        .map(|u| {
            (
                u["id"].clone(),
                u["operation"].clone(),
                u["operation_name"].clone(),
            )
        })
        .collect();
    assert_eq!(
        described,
        vec![
            (json!("1"), json!("query"), Value::Null),
            (json!("2"), json!("mutation"), json!("Add")),
            (json!("3"), json!("subscription"), json!("OnTick")),
        ]
    );

    // Each next says which operation it answers.
    let nexts = of_type(&run, "in", "next");
    let hello = nexts.iter().find(|u| u["id"] == "1").expect("next for 1");
    assert_eq!(hello["payload"]["data"], json!({"hello": "world"}));
    assert_eq!(hello["operation"], "query");
    let add = nexts.iter().find(|u| u["id"] == "2").expect("next for 2");
    assert_eq!(add["payload"]["data"], json!({"add": 5}));
    assert_eq!(add["operation_name"], "Add");
    let ticks: Vec<_> = nexts
        .iter()
        .filter(|u| u["id"] == "3")
        .map(|u| {
            assert_eq!(u["operation_name"], "OnTick");
            u["payload"]["data"]["tick"].clone()
        })
        .collect();
    assert_eq!(ticks, vec![json!(1), json!(2), json!(3)]);
    let mut completed: Vec<_> = of_type(&run, "in", "complete")
        .iter()
        .map(|u| u["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    completed.sort();
    assert_eq!(completed, ["1", "2", "3"]);
    assert!(nexts.iter().all(|u| u.get("problem").is_none()));

    // The server's ping is answered, quietly.
    let ping = of_type(&run, "in", "ping");
    assert_eq!(ping.len(), 1);
    assert_eq!(ping[0]["housekeeping"], true);
    let pong = of_type(&run, "out", "pong");
    assert_eq!(pong.len(), 1);
    assert_eq!(pong[0]["housekeeping"], true);
    assert_eq!(server.next_line().as_deref(), Some("pong"));
    assert_eq!(close_line(&run)["code"], 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_resolver_and_an_invalid_query_are_problems() {
    let Some(server) = graphql_ws_server("a_failing_resolver_and_an_invalid_query") else {
        return;
    };
    let url = url(&server);
    let run = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "graphql",
        "--protocol-option",
        &payload_option(TOKEN),
        "--op",
        r#"{"type":"subscribe","query":"query Boom { boom }"}"#,
        "--op",
        r#"{"type":"subscribe","query":"{ nope }"}"#,
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let next = of_type(&run, "in", "next");
    assert_eq!(next.len(), 1, "{next:?}");
    assert_eq!(next[0]["id"], "1");
    assert_eq!(next[0]["operation_name"], "Boom");
    assert_eq!(next[0]["payload"]["errors"][0]["message"], "kaboom");
    assert_eq!(next[0]["problem"], "kaboom");
    let error = of_type(&run, "in", "error");
    assert_eq!(error.len(), 1, "{error:?}");
    assert_eq!(error[0]["id"], "2");
    let problem = error[0]["problem"].as_str().unwrap_or_default();
    assert!(problem.contains("Cannot query field \"nope\""), "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_is_refused_with_4403_and_the_run_fails() {
    let Some(server) = graphql_ws_server("a_bad_token_is_refused") else {
        return;
    };
    let url = url(&server);
    let run = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "graphql",
        "--protocol-option",
        &payload_option("wrong-token-0000"),
        "--op",
        r#"{"type":"subscribe","query":"{ hello }"}"#,
        "--wait",
        "2000",
    ])
    .await;
    assert_eq!(run.status, 1, "stderr: {}", run.stderr);
    let close = close_line(&run);
    assert_eq!(close["code"], 4403);
    assert_eq!(
        (
            close["protocol"]["type"].as_str(),
            close["protocol"]["name"].as_str()
        ),
        (Some("close"), Some("Forbidden"))
    );
    assert!(
        of_type(&run, "out", "subscribe").is_empty(),
        "held until an ack"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_op_exits_2_before_connecting() {
    let run = sockscope(&[
        "connect",
        "ws://127.0.0.1:9/graphql",
        "--protocol",
        "graphql",
        "--op",
        r#"{"type":"subscribe","variables":{}}"#,
    ])
    .await;
    assert_eq!(run.status, 2, "stderr: {}", run.stderr);
    assert!(run.stderr.contains("`query`"), "{}", run.stderr);
    assert!(run.lines.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_speaks_the_legacy_protocol_to_subscriptions_transport_ws() {
    let Some(env) = node::env("auto_speaks_the_legacy_protocol") else {
        return;
    };
    let server = env.server("graphql_legacy_server.js", &[]);
    let url = url(&server);
    let run = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "graphql",
        "--op",
        r#"{"type":"subscribe","query":"subscription OnTick { tick(count: 3) }"}"#,
        "--wait",
        "600",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    assert_eq!(open_line(&run)["subprotocol"], "graphql-ws");
    let start = of_type(&run, "out", "start");
    assert_eq!(start.len(), 1);
    assert_eq!(start[0]["id"], "1");
    assert_eq!(start[0]["operation"], "subscription");
    let ticks: Vec<_> = of_type(&run, "in", "data")
        .iter()
        .map(|u| {
            assert_eq!(u["operation_name"], "OnTick");
            u["payload"]["data"]["tick"].clone()
        })
        .collect();
    assert_eq!(ticks, vec![json!(1), json!(2), json!(3)]);
    assert_eq!(of_type(&run, "in", "complete").len(), 1);
    let ka = of_type(&run, "in", "ka");
    assert!(ka.len() >= 2, "keep-alives every 50 ms: {ka:?}");
    assert!(ka.iter().all(|u| u["housekeeping"] == true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offering_only_graphql_transport_ws_to_a_legacy_server_says_why_it_closed() {
    let Some(env) = node::env("offering_only_graphql_transport_ws") else {
        return;
    };
    let server = env.server("graphql_legacy_server.js", &[]);
    let url = url(&server);
    let run = sockscope(&[
        "connect",
        &url,
        "--protocol",
        "graphql",
        "--protocol-option",
        "subprotocol=graphql-transport-ws",
        "--wait",
        "2000",
    ])
    .await;
    assert_eq!(run.status, 1, "stderr: {}", run.stderr);
    let close = close_line(&run);
    assert_eq!(close["code"], 1002);
    let problem = close["protocol"]["problem"].as_str().unwrap_or_default();
    assert!(problem.contains("subscriptions-transport-ws"), "{problem}");
}

//! `connect --fold` as a script uses it (issue 24): the `state` line before the close line
//! equals the document the server itself holds, for the demo's `/book` (merge patch and
//! JSON Patch deltas) and for a Node server whose JSON Patches are made by the
//! `fast-json-patch` package; `--fold-every`, `fold_error` on messages that do not apply,
//! the keyed and path/data rules, and usage errors.

mod support;

use serde_json::{Value, json};

use support::cli::{Run, events, messages, sockscope};
use support::{demo, node};

/// The `state` lines, in order.
fn states(run: &Run) -> Vec<&Value> {
    run.lines.iter().filter(|l| l["event"] == "state").collect()
}

/// The parsed text of the incoming message with `field` set.
fn message_with(run: &Run, field: &str) -> Value {
    messages(run, "in")
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line["text"].as_str()?).ok())
        .find(|message| message.get(field).is_some())
        .unwrap_or_else(|| panic!("no incoming message has {field}"))
}

/// Asserts the run ended cleanly with exactly one state line, right before `close`, and
/// no fold_error; returns that state line.
fn one_final_state(run: &Run) -> &Value {
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let names = events(run);
    assert_eq!(names[names.len() - 2..], ["state", "close"], "{names:?}");
    assert_eq!(states(run).len(), 1);
    let errors: Vec<_> = run
        .lines
        .iter()
        .filter(|l| l.get("fold_error").is_some())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    states(run)[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn book_folded_by_merge_patch_equals_the_servers_final_book() {
    let server = demo().await;
    let url = server.url("/book?count=300&interval=0");
    let run = sockscope(&[
        "connect",
        &url,
        "--wait",
        "inf",
        "--fold",
        "merge",
        "--fold-select",
        "$.book",
        "--fold-filter",
        r#"$.type != "final""#,
    ])
    .await;
    let state = one_final_state(&run);
    let final_book = &message_with(&run, "final")["book"];
    assert_eq!(&state["value"], final_book);
    assert!(
        final_book["bids"]
            .as_object()
            .is_some_and(|b| !b.is_empty())
    );
    // The snapshot is message 0 and the last delta message 300; the final one is left out.
    assert_eq!(state["after"], 300);
    assert_eq!(messages(&run, "in").len(), 302);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn book_folded_by_json_patch_equals_the_servers_final_book() {
    let server = demo().await;
    let url = server.url("/book?count=300&interval=0&style=patch");
    let run = sockscope(&[
        "connect",
        &url,
        "--wait",
        "inf",
        "--fold",
        "patch",
        "--fold-select",
        "$.ops",
        "--fold-filter",
        "$.ops",
    ])
    .await;
    let state = one_final_state(&run);
    assert_eq!(state["value"], message_with(&run, "final")["book"]);
    assert_eq!(state["after"], 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patches_made_by_fast_json_patch_fold_into_the_servers_document() {
    let Some(env) = node::env("patches_made_by_fast_json_patch_fold_into_the_servers_document")
    else {
        return;
    };
    let server = env.server("json_patch_server.js", &["300"]);
    let url = format!("ws://127.0.0.1:{}/", server.port);
    let run = sockscope(&[
        "connect",
        &url,
        "--wait",
        "inf",
        "--fold",
        "patch",
        "--fold-select",
        "$.patch",
        "--fold-filter",
        "$.patch",
    ])
    .await;
    let state = one_final_state(&run);
    let doc = &message_with(&run, "final")["doc"];
    assert_eq!(&state["value"], doc);
    assert!(
        doc["users"].as_object().is_some_and(|u| u.len() > 2),
        "{doc}"
    );
    assert_eq!(state["after"], 300);
    // Some patches carried `test` operations (compare's invertible form), and passed.
    assert!(messages(&run, "in").iter().any(|l| {
        l["text"]
            .as_str()
            .is_some_and(|t| t.contains(r#""op":"test""#))
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fold_every_prints_states_and_a_message_that_does_not_apply_says_why() {
    let server = demo().await;
    // No filter: the final message has no `ops`, so it does not apply.
    let url = server.url("/book?count=25&interval=0&style=patch");
    let run = sockscope(&[
        "connect",
        &url,
        "--wait",
        "inf",
        "--fold",
        "patch",
        "--fold-select",
        "$.ops",
        "--fold-every",
        "10",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let afters: Vec<&Value> = states(&run).iter().map(|s| &s["after"]).collect();
    // After the 10th and 20th folded messages (indexes 9 and 19), then before close, after
    // the final message (index 26), which took part and failed.
    assert_eq!(afters, [&json!(9), &json!(19), &json!(26)]);
    let names = events(&run);
    assert_eq!(names[names.len() - 2..], ["state", "close"]);
    let incoming = messages(&run, "in");
    let failed: Vec<_> = incoming
        .iter()
        .filter(|l| l.get("fold_error").is_some())
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("final"))
    );
    assert_eq!(failed[0]["fold_error"], "nothing at $.ops");
    // The state line after index 9 comes right after that message's line.
    let at = run
        .lines
        .iter()
        .position(|l| l["event"] == "state")
        .unwrap();
    assert_eq!(run.lines[at - 1]["text"], incoming[9]["text"]);
    // States are numbered in the run's sequence like every line.
    assert_eq!(
        run.lines[at]["seq"],
        run.lines[at - 1]["seq"].as_u64().unwrap() + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_keeps_the_latest_message_per_key_and_deletes() {
    let server = demo().await;
    let url = server.url("/echo");
    let run = sockscope(&[
        "connect",
        &url,
        "--send",
        r#"{"id":"ada","op":"join","x":1}"#,
        "--send",
        r#"{"id":7,"op":"join"}"#,
        "--send",
        r#"{"id":"bob","op":"join"}"#,
        "--send",
        r#"{"id":"ada","op":"move","x":2}"#,
        "--send",
        r#"{"id":"bob","op":"delete"}"#,
        "--send",
        r#"{"op":"join"}"#,
        "--fold",
        "keyed:$.id",
        "--fold-delete",
        r#"$.op == "delete""#,
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let state = states(&run);
    assert_eq!(state.len(), 1);
    assert_eq!(
        state[0]["value"],
        json!({"ada": {"id":"ada","op":"move","x":2}, "7": {"id":7,"op":"join"}})
    );
    // Outgoing messages do not take part: the echoes do (the 12th message, index 11).
    assert_eq!(state[0]["after"], 11);
    let incoming = messages(&run, "in");
    assert_eq!(incoming[5]["fold_error"], "no key at $.id");
    assert!(
        messages(&run, "out")
            .iter()
            .all(|l| l.get("fold_error").is_none())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_data_events_set_values_at_their_pointers() {
    let server = demo().await;
    let url = server.url("/echo");
    let run = sockscope(&[
        "connect",
        &url,
        "--send",
        r#"{"event":"put","path":"","data":{"a":{"b":1},"list":[1]}}"#,
        "--send",
        r#"{"event":"put","path":"/a/c","data":{"d":true}}"#,
        "--send",
        r#"{"event":"put","path":"/list/-","data":2}"#,
        "--send",
        r#"{"event":"put","path":"/list/9","data":3}"#,
        "--send",
        "keep-alive",
        "--fold",
        "pathdata",
        "--fold-filter",
        r#"$.event == "put""#,
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let state = states(&run);
    assert_eq!(
        state[0]["value"],
        json!({"a": {"b": 1, "c": {"d": true}}, "list": [1, 2]})
    );
    let incoming = messages(&run, "in");
    let error = incoming[3]["fold_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("/list/9") && error.contains("past"),
        "{error}"
    );
    assert!(
        incoming[4].get("fold_error").is_none(),
        "filtered out, not failed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_fold_settings_are_usage_errors_before_any_traffic() {
    let server = demo().await;
    let url = server.url("/echo");
    for (args, said) in [
        (vec!["--fold", "sum"], "unknown fold rule"),
        (vec!["--fold", "keyed"], "keyed:$.id"),
        (
            vec!["--fold", "merge", "--fold-delete", "$.op == 1"],
            "keyed rule",
        ),
        (vec!["--fold", "merge", "--fold-select", "data"], "select"),
        (
            vec!["--fold", "merge", "--fold-filter", "$.a ~ 2"],
            "filter",
        ),
        (vec!["--fold-select", "$.a"], "--fold"),
        (vec!["--fold", "merge", "--fold-every", "0"], "--fold-every"),
    ] {
        let mut argv = vec!["connect", url.as_str()];
        argv.extend(args.iter().copied());
        let run = sockscope(&argv).await;
        assert_eq!(run.status, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(said), "{args:?}: {}", run.stderr);
        assert!(run.lines.is_empty(), "{args:?} connected");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_book_sends_each_delta_as_it_is_made() {
    let server = demo().await;
    let url = server.url("/book?count=5&interval=20");
    let run = sockscope(&[
        "connect",
        &url,
        "--wait",
        "inf",
        "--fold",
        "merge",
        "--fold-select",
        "$.book",
        "--fold-filter",
        r#"$.type != "final""#,
    ])
    .await;
    let state = one_final_state(&run);
    assert_eq!(state["value"], message_with(&run, "final")["book"]);
    // The deltas came one by one, about 20 ms apart, not in one burst at the end.
    let times: Vec<f64> = messages(&run, "in")
        .iter()
        .filter_map(|line| line["t_ms"].as_f64())
        .collect();
    assert_eq!(times.len(), 7);
    assert!(times[5] - times[1] >= 60.0, "{times:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decoded_binary_messages_fold_like_json_text() {
    let server = demo().await;
    let url = server.url("/msgpack?count=3");
    let run = sockscope(&[
        "connect",
        &url,
        "--wait",
        "inf",
        "--decode",
        "msgpack",
        "--fold",
        "keyed:$.symbol",
    ])
    .await;
    let state = one_final_state(&run);
    let decoded: Vec<&Value> = messages(&run, "in")
        .iter()
        .map(|line| &line["decoded"]["value"])
        .collect();
    assert_eq!(decoded.len(), 3);
    // Ticks take turns at three symbols: one key each, its latest tick.
    let value = state["value"].as_object().expect("an object");
    assert_eq!(value.len(), 3);
    for tick in decoded {
        let symbol = tick["symbol"].as_str().expect("a symbol");
        assert_eq!(&value[symbol], tick);
    }
    // Without --decode, a binary message is not JSON: it says so.
    let run = sockscope(&["connect", &url, "--wait", "inf", "--fold", "replace"]).await;
    let first = messages(&run, "in")[0];
    assert!(
        first["fold_error"]
            .as_str()
            .is_some_and(|e| e.contains("--decode")),
        "{first}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn descendant_and_wildcard_paths_work_in_every_fold_flag() {
    let server = demo().await;
    let url = server.url("/echo");
    let run = sockscope(&[
        "connect",
        &url,
        "--send",
        r#"{"ev":{"user":{"id":"ada","tags":["x"]},"op":"join"}}"#,
        "--send",
        r#"{"ev":{"user":{"id":"bob","tags":[]},"op":"join"}}"#,
        "--send",
        r#"{"ping":1}"#,
        "--send",
        r#"{"ev":{"user":{"id":"cy","tags":["y","z"]},"op":"join"}}"#,
        "--send",
        r#"{"ev":{"user":{"id":"bob"},"op":"leave"}}"#,
        "--fold",
        "keyed:$..id",
        "--fold-select",
        "$.*.user",
        "--fold-filter",
        "$..user",
        "--fold-delete",
        r#"$.*.op == "leave""#,
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    let state = states(&run);
    assert_eq!(state.len(), 1);
    // `$.*.user` selects one value per message, as an array; `$..id` is its first id.
    assert_eq!(
        state[0]["value"],
        json!({
            "ada": [{"id": "ada", "tags": ["x"]}],
            "cy": [{"id": "cy", "tags": ["y", "z"]}]
        })
    );
    assert!(
        run.lines.iter().all(|l| l.get("fold_error").is_none()),
        "the ping is filtered out, not failed"
    );

    // A wildcard with an index and a descendant in the filter; a slice in the select.
    let run = sockscope(&[
        "connect",
        &url,
        "--send",
        r#"{"items":[{"qty":0,"sku":"a"},{"qty":3,"sku":"b"}]}"#,
        "--send",
        r#"{"items":[{"qty":0,"sku":"c"}]}"#,
        "--fold",
        "replace",
        "--fold-select",
        "$.items[0:1][*]",
        "--fold-filter",
        "$.items[*].qty > 1",
        "--wait",
        "500",
    ])
    .await;
    assert_eq!(run.status, 0, "stderr: {}", run.stderr);
    assert_eq!(states(&run)[0]["value"], json!([0, "a"]));
}

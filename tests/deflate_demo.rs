//! The demo server negotiates permessage-deflate like any server a browser meets, and every
//! path behaves the same with it on or off: the same messages, the same ending.

mod support;

use serde_json::{Value, json};
use support::cli::{Run, sockscope};
use support::demo;

/// What a run showed, without what differs between two runs (times, the handshake's keys
/// and headers, and how sends and their echoes interleave): each event's kind, direction,
/// type, length and (when `content`) its text or hex, what was sent first, then what was
/// received, then the rest; the close's code, reason, cleanliness and initiator.
fn seen(run: &Run, content: bool) -> Vec<Value> {
    let mut seen = lines(run, content);
    seen.sort_by_key(|line| match line["dir"].as_str() {
        Some("out") => 0,
        Some(_) => 1,
        None => 2,
    });
    seen
}

fn lines(run: &Run, content: bool) -> Vec<Value> {
    run.lines
        .iter()
        .filter(|line| line["event"] != "connecting" && line["event"] != "open")
        .map(|line| match line["event"].as_str() {
            Some("message") => json!({
                "event": "message",
                "dir": line["dir"],
                "type": line["type"],
                "len": if content { line["len"].clone() } else { Value::Null },
                "text": if content { line["text"].clone() } else { Value::Null },
                "hex": if content { line["hex"].clone() } else { Value::Null },
            }),
            Some("close") => json!({
                "event": "close",
                "code": line["code"],
                "reason": line["reason"],
                "was_clean": line["was_clean"],
                "initiator": line["initiator"],
            }),
            _ => json!({ "event": line["event"], "message": line["message"] }),
        })
        .collect()
}

fn extensions(run: &Run) -> Value {
    let open = run.lines.iter().find(|l| l["event"] == "open");
    open.map_or(Value::Null, |open| open["extensions"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_path_behaves_the_same_with_deflate_on_or_off() {
    let server = demo().await;
    let paths: &[(&str, &[&str], bool)] = &[
        (
            "/echo",
            &[
                "--send",
                "hello",
                "--send",
                "",
                "--send-hex",
                "00ff10",
                "--send",
                "hello",
            ],
            true,
        ),
        ("/binary", &[], true),
        ("/flood?n=200&size=700", &[], true),
        ("/close/4001?reason=bye", &[], true),
        ("/evil/invalid-utf8", &[], true),
        ("/big-json?mib=1", &[], true),
        ("/json?count=3", &[], false),
    ];
    for (path, extra, content) in paths {
        let url = server.url(path);
        let mut runs = Vec::new();
        for deflate in ["on", "off"] {
            let mut args = vec![
                "connect",
                url.as_str(),
                "--deflate",
                deflate,
                "--wait",
                "500",
            ];
            args.extend_from_slice(extra);
            runs.push(sockscope(&args).await);
        }
        let (on, off) = (&runs[0], &runs[1]);
        assert_eq!(extensions(on), json!("permessage-deflate"), "{path}");
        assert_eq!(extensions(off), Value::Null, "{path}");
        assert_eq!(on.status, off.status, "{path}: {}", on.stderr);
        let seen_on = seen(on, *content);
        assert!(!seen_on.is_empty(), "{path}");
        assert_eq!(seen_on, seen(off, *content), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_negotiates_on_each_leg_what_the_client_offered() {
    let server = demo().await;
    let mut proxy = support::json_lines_process::Serving::start(&[
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &server.url("/"),
    ]);
    let url = format!("{}/echo", proxy.url);
    let repeated = "abc".repeat(300);
    for (deflate, answer) in [("on", json!("permessage-deflate")), ("off", Value::Null)] {
        let run = sockscope(&[
            "connect",
            &url,
            "--deflate",
            deflate,
            "--send",
            &repeated,
            "--wait",
            "300",
        ])
        .await;
        assert_eq!(run.status, 0, "{}", run.stderr);
        assert_eq!(extensions(&run), answer, "the client leg, {deflate}");
        let echoes = support::cli::messages(&run, "in");
        assert_eq!(echoes.len(), 1, "{deflate}");
        assert_eq!(echoes[0]["text"], json!(repeated), "{deflate}");
        // The proxy's two legs: each agreed to what the client offered.
        let conn = if deflate == "on" { 1 } else { 2 };
        let lines = proxy.until_closed(conn, 2);
        let opens: Vec<_> = lines
            .iter()
            .filter(|l| l["event"] == "open" && l["conn"] == conn)
            .collect();
        assert_eq!(opens.len(), 2, "{opens:?}");
        for open in opens {
            assert_eq!(open["extensions"], answer, "{deflate}: {open}");
        }
    }
}

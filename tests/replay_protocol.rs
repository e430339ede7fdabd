//! `replay` of a session recorded with `--protocol`: the protocol's handshake and
//! heartbeats are done afresh (the recorded session id is not compared), the user's sends
//! wait for the new handshake, and the replayed lines carry the `protocol` object. Against
//! the embedded demo server's `/socket.io/`.

mod support;

use std::path::Path;

use serde_json::Value;
use support::cli::{Run, sockscope};
use support::demo;

fn path_str(path: &Path) -> String {
    path.to_str().expect("a UTF-8 temp path").to_owned()
}

fn summary_of(run: &Run) -> &Value {
    run.lines
        .iter()
        .find(|line| line["event"] == "replay-summary")
        .expect("a replay-summary line")
}

/// The incoming message lines whose unit is (or is not) housekeeping.
fn incoming(run: &Run, housekeeping: bool) -> Vec<&Value> {
    run.lines
        .iter()
        .filter(|line| line["event"] == "message" && line["dir"] == "in")
        .filter(|line| (line["protocol"]["housekeeping"] == true) == housekeeping)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socketio_recording_replays_with_a_fresh_handshake_and_matches() {
    let server = demo().await;
    let dir = tempfile::tempdir().unwrap();
    let record = path_str(&dir.path().join("sio.session.ron"));
    let address = server.url("/").replacen("ws://", "http://", 1);
    let run = sockscope(&[
        "connect",
        &address,
        "--protocol",
        "socketio",
        "--op",
        r#"{"type":"event","event":"chat","args":["hello",{"n":1}],"ack":true}"#,
        "--wait",
        "300",
        "--record",
        &record,
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let recorded_sid: Vec<&Value> = incoming(&run, true);
    assert!(
        recorded_sid
            .iter()
            .any(|line| line["protocol"]["type"] == "open"),
        "the Engine.IO open packet is housekeeping: {:?}",
        run.lines
    );
    let user = incoming(&run, false);
    assert!(
        user.iter().any(|line| line["protocol"]["event"] == "chat"),
        "the echo came back: {user:?}"
    );
    assert!(
        user.iter().any(|line| line["protocol"]["type"] == "ack"),
        "the ack came back: {user:?}"
    );
    let saved = std::fs::read_to_string(&record).unwrap();
    assert!(saved.contains("socketio"), "the protocol is saved: {saved}");

    for speed in [&["--speed", "1"][..], &["--fast"][..]] {
        let mut args = vec!["replay", record.as_str()];
        args.extend(speed);
        let replayed = sockscope(&args).await;
        let summary = summary_of(&replayed);
        assert_eq!(replayed.status, 0, "{summary}\n{}", replayed.stderr);
        assert_eq!(summary["expected"], user.len(), "{summary}");
        assert_eq!(summary["matched"], user.len(), "{summary}");
        // A fresh session: the open packet carries another session id, and it is shown
        // (as housekeeping) but not compared.
        let fresh = incoming(&replayed, true);
        let open = fresh
            .iter()
            .find(|line| line["protocol"]["type"] == "open")
            .expect("the new run's open packet, decoded");
        let old = recorded_sid
            .iter()
            .find(|line| line["protocol"]["type"] == "open")
            .expect("the recorded open packet");
        assert_ne!(open["text"], old["text"], "a new Engine.IO session");
        let sent: Vec<&Value> = replayed
            .lines
            .iter()
            .filter(|line| line["event"] == "message" && line["dir"] == "out")
            .collect();
        assert_eq!(
            sent.iter()
                .filter(|line| line["protocol"]["event"] == "chat")
                .count(),
            1,
            "the user's event is sent once, after the new handshake: {sent:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socketio_example_session_replays_against_the_demo_server() {
    let server = demo().await;
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("saved_sessions")
        .join("socketio.session.ron");
    let address = server.url("/").replacen("ws://", "http://", 1);
    let run = sockscope(&["replay", &path_str(&example), "--url", &address, "--fast"]).await;
    let summary = summary_of(&run);
    assert_eq!(run.status, 0, "{summary}\n{}", run.stderr);
    assert_eq!(summary["expected"], 5, "{summary}");
    assert_eq!(summary["matched"], 5, "{summary}");
    // The event in /admin was sent again through the new session, which joined /admin
    // for it first.
    let sent: Vec<&Value> = run
        .lines
        .iter()
        .filter(|line| line["event"] == "message" && line["dir"] == "out")
        .collect();
    let join = sent
        .iter()
        .position(|line| {
            line["protocol"]["type"] == "connect" && line["protocol"]["namespace"] == "/admin"
        })
        .expect("a join of /admin");
    let status = sent
        .iter()
        .position(|line| line["protocol"]["event"] == "status")
        .expect("the event in /admin");
    assert!(join < status, "{sent:?}");
}

//! `sockscope connect --echo`: the connection task sends every message back before it
//! reads the next frame, so the echo of a valid message reaches the server before a later
//! invalid frame fails the connection (Autobahn|Testsuite cases 3.2, 4.1.3, 5.15 …).

mod support;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use support::cli::{messages, sockscope};

/// A server that, once a client is in, writes `raw` frames straight onto the socket in one
/// write, then returns what the client sent until it closed (text messages as `text:…`,
/// close frames as `close:CODE`).
async fn raw_server(raw: Vec<u8>) -> (String, tokio::task::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("a client");
        let mut ws = tokio_tungstenite::accept_async(tcp)
            .await
            .expect("the handshake");
        ws.get_mut().write_all(&raw).await.expect("the frames go");
        let mut got = Vec::new();
        while let Some(Ok(message)) = ws.next().await {
            match message {
                Message::Text(text) => got.push(format!("text:{text}")),
                Message::Binary(bytes) => got.push(format!("binary:{}", bytes.len())),
                Message::Close(frame) => {
                    let code = frame.map_or(1005, |frame| u16::from(frame.code));
                    got.push(format!("close:{code}"));
                }
                _ => {}
            }
        }
        got
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_echo_of_a_valid_message_goes_before_a_bad_frame_fails_the_connection() {
    // A text frame "hello", then a frame with the reserved opcode 3, back to back.
    let mut raw = vec![0x81, 5];
    raw.extend_from_slice(b"hello");
    raw.extend_from_slice(&[0x83, 0]);
    let (url, server) = raw_server(raw).await;
    let run = sockscope(&["connect", &url, "--echo", "--wait", "inf"]).await;
    let got = server.await.expect("the server task");
    assert_eq!(
        got,
        ["text:hello", "close:1002"],
        "what the server received"
    );
    // The command line still prints the echo as a message going out, after the one in.
    let incoming = messages(&run, "in");
    let outgoing = messages(&run, "out");
    assert_eq!(incoming.len(), 1, "{:#?}", run.lines);
    assert_eq!(outgoing.len(), 1, "{:#?}", run.lines);
    assert_eq!(incoming[0]["text"], "hello");
    assert_eq!(outgoing[0]["text"], "hello");
    assert!(incoming[0]["seq"].as_u64() < outgoing[0]["seq"].as_u64());
    let close = run.lines.last().expect("a close line");
    assert_eq!(close["event"], "close");
    assert_eq!(close["code"], 1002, "{close}");
    assert_eq!(close["was_clean"], false, "{close}");
    assert_ne!(run.status, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_of_a_burst_is_echoed_in_order_before_a_fragment_error() {
    // Three texts and a binary message, then a continuation frame that continues nothing
    // (Autobahn 5.15's shape), all in one write.
    let mut raw = Vec::new();
    for text in ["one", "two", "three"] {
        raw.extend_from_slice(&[0x81, text.len() as u8]);
        raw.extend_from_slice(text.as_bytes());
    }
    raw.extend_from_slice(&[0x82, 4, 1, 2, 3, 4]);
    raw.extend_from_slice(&[0x80, 2, b'n', b'o']);
    let (url, server) = raw_server(raw).await;
    let run = sockscope(&["connect", &url, "--echo", "--wait", "inf"]).await;
    let got = server.await.expect("the server task");
    assert_eq!(
        got,
        [
            "text:one",
            "text:two",
            "text:three",
            "binary:4",
            "close:1002"
        ]
    );
    assert_eq!(messages(&run, "out").len(), 4, "{:#?}", run.lines);
}

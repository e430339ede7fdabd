//! The proxy's events handed over in batches (`proxy::start_batched`, what `sockscope
//! proxy` prints from): each connection's events stay in order, numbered without gaps,
//! both legs of every message there; and a reader that stops taking batches holds the
//! relay back once the bytes waiting reach the bound, then lets it go on.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sockscope::engine::{Direction, EventKind, Leg, Payload};
use sockscope::proxy::{self, EVENT_QUEUE_BYTES, EventBatch, ProxyConfig, ProxyServer};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// A tokio-tungstenite upstream: `/flood/COUNT/SIZE` sends COUNT text messages of SIZE
/// bytes and closes with 1000; any other path echoes what it gets.
// tungstenite's handshake callback returns its error response by value.
#[allow(clippy::result_large_err)]
async fn upstream() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut path = String::new();
                let callback = |request: &Request, response: Response| {
                    path = request.uri().path().to_string();
                    Ok(response)
                };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
                    return;
                };
                if let Some(rest) = path.strip_prefix("/flood/") {
                    let (count, size) = rest.split_once('/').unwrap();
                    let text: tokio_tungstenite::tungstenite::Utf8Bytes =
                        "x".repeat(size.parse().unwrap()).into();
                    for _ in 0..count.parse::<usize>().unwrap() {
                        if ws.send(Message::Text(text.clone())).await.is_err() {
                            return;
                        }
                    }
                    let _ = ws.close(None).await;
                    while let Some(Ok(_)) = ws.next().await {}
                    return;
                }
                while let Some(Ok(message)) = ws.next().await {
                    if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    format!("ws://{addr}")
}

async fn start(upstream: &str, queue: usize) -> (ProxyServer, mpsc::Receiver<EventBatch>) {
    let config = ProxyConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: upstream.parse().unwrap(),
        add_headers: Vec::new(),
        strip_headers: Vec::new(),
        tls: None,
    };
    let (sender, batches) = mpsc::channel(queue);
    let server = proxy::start_batched(config, sender)
        .await
        .expect("the proxy starts");
    (server, batches)
}

/// Takes batches until both legs of connection 1 have closed (at most 20 s); what `keep`
/// makes of each.
async fn until_closed<T>(
    batches: &mut mpsc::Receiver<EventBatch>,
    mut keep: impl FnMut(EventBatch) -> T,
) -> Vec<T> {
    let mut taken = Vec::new();
    let mut closes = 0;
    while closes < 2 {
        let batch = tokio::time::timeout(Duration::from_secs(20), batches.recv())
            .await
            .expect("both closes within 20 s")
            .expect("the proxy runs");
        closes += batch
            .events
            .iter()
            .filter(|(_, event)| matches!(event.kind, EventKind::Close(_)))
            .count();
        taken.push(keep(batch));
    }
    taken
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_keep_a_connections_events_in_order_with_both_legs_of_every_message() {
    const COUNT: usize = 3000;
    let upstream = upstream().await;
    let (server, mut batches) = start(&upstream, 256).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("{}/echo", server.url()))
        .await
        .expect("the proxy accepts");
    for index in 0..COUNT {
        ws.feed(Message::text(format!("m{index}"))).await.unwrap();
    }
    ws.flush().await.unwrap();
    let mut echoed = 0;
    while echoed < COUNT {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                assert_eq!(text.as_str(), format!("m{echoed}"));
                echoed += 1;
            }
            other => panic!("an echo, not {other:?}"),
        }
    }
    ws.close(None).await.unwrap();
    while ws.next().await.is_some() {}
    let taken = until_closed(&mut batches, |batch| batch).await;
    let events: Vec<_> = taken
        .iter()
        .inspect(|batch| assert_eq!(batch.conn, 1))
        .flat_map(|batch| batch.events.iter())
        .collect();
    // Numbered without a gap or a swap, across batches and both directions.
    for (at, (_, event)) in events.iter().enumerate() {
        assert_eq!(event.seq, at as u64, "{:?}", event.kind);
    }
    // Every message on both legs, each leg's in order; a message's `in` before its `out`.
    let mut legs: [[Vec<String>; 2]; 2] = Default::default();
    for (leg, event) in &events {
        if let EventKind::Message {
            dir,
            payload: Payload::Text(text),
        } = &event.kind
        {
            let way = usize::from(*dir == Direction::Out);
            legs[leg.index()][way].push(text.to_string());
        }
    }
    let expected: Vec<String> = (0..COUNT).map(|index| format!("m{index}")).collect();
    for leg in &legs {
        assert_eq!(leg[0], expected);
        assert_eq!(leg[1], expected);
    }
    let position = |leg: Leg, dir: Direction, text: &str| {
        events.iter().position(|(l, event)| {
            *l == leg
                && matches!(&event.kind, EventKind::Message { dir: d, payload: Payload::Text(t) }
                    if *d == dir && t.as_str() == text)
        })
    };
    for text in ["m0", "m1499", "m2999"] {
        let client_in = position(Leg::Client, Direction::In, text).unwrap();
        let upstream_out = position(Leg::Upstream, Direction::Out, text).unwrap();
        let upstream_in = position(Leg::Upstream, Direction::In, text).unwrap();
        let client_out = position(Leg::Client, Direction::Out, text).unwrap();
        assert!(client_in < upstream_out && upstream_out < upstream_in);
        assert!(upstream_in < client_out);
    }
    // The messages came in bursts, and a burst's events came together.
    assert!(
        taken.len() < events.len() / 2,
        "{} batches for {} events",
        taken.len(),
        events.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_taking_batches_holds_the_relay_back_then_lets_it_go_on() {
    const COUNT: usize = 100;
    const SIZE: usize = 1 << 20;
    let upstream = upstream().await;
    let (server, mut batches) = start(&upstream, 256).await;
    let url = format!("{}/flood/{COUNT}/{SIZE}", server.url());
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("the proxy accepts");
    // Nobody takes batches: the client gets what the relay passed on before it had to wait.
    let mut got = 0;
    while let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(2), ws.next()).await
    {
        got += usize::from(message.is_text());
    }
    assert!(
        got < COUNT / 2,
        "{got} of {COUNT} messages went through while nobody took the events"
    );
    let mut waiting = 0;
    let mut held = Vec::new();
    let messages = |batch: &EventBatch| {
        batch
            .events
            .iter()
            .filter(|(_, event)| matches!(event.kind, EventKind::Message { .. }))
            .count()
    };
    while let Ok(batch) = batches.try_recv() {
        waiting += batch
            .events
            .iter()
            .map(|(_, event)| event.queued_bytes())
            .sum::<usize>();
        held.push(batch);
    }
    assert!(
        waiting <= EVENT_QUEUE_BYTES,
        "{waiting} bytes of events waited (bound {EVENT_QUEUE_BYTES})"
    );
    assert!(
        waiting > EVENT_QUEUE_BYTES / 2,
        "only {waiting} bytes waited"
    );
    let before: usize = held.iter().map(messages).sum();
    drop(held);
    // Taken again: the rest arrives, and every message is on both legs.
    // (Counted and dropped as they come: holding them would stop the relay again.)
    let reading =
        tokio::spawn(async move { until_closed(&mut batches, |batch| messages(&batch)).await });
    while let Some(Ok(message)) = ws.next().await {
        got += usize::from(message.is_text());
    }
    assert_eq!(got, COUNT);
    let after: usize = reading.await.unwrap().iter().sum();
    assert_eq!(before + after, 2 * COUNT, "in and out of each");
}

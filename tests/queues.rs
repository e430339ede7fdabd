//! The engine's outgoing queue is bounded: a server that never reads fills it, and then a
//! send is refused with a clear error instead of growing memory.

mod support;

use sockscope::engine::{ReadyState, SEND_QUEUE_BYTES, SendError};

#[tokio::test]
async fn sends_to_a_server_that_never_reads_are_refused_once_the_queue_is_full() {
    let addr = support::servers::deaf().await;
    let mut handle = support::connect(&format!("ws://{addr}/"));
    support::until(&mut handle, "open").await;
    assert_eq!(handle.ready_state(), ReadyState::Open);
    let message = "z".repeat(64 * 1024);
    let mut accepted = 0usize;
    let refusal = loop {
        match handle.send_text(message.as_str()) {
            Ok(()) => accepted += message.len(),
            Err(error) => break error,
        }
        assert!(
            accepted < 64 * SEND_QUEUE_BYTES,
            "{accepted} bytes were taken for a server that reads nothing"
        );
        // Let the writer hand what it can to the socket.
        tokio::task::yield_now().await;
    };
    let SendError::QueueFull { queued, limit } = refusal else {
        panic!("refused for another reason: {refusal}");
    };
    assert_eq!(limit, SEND_QUEUE_BYTES);
    assert!(
        queued >= limit && queued <= limit + message.len(),
        "{queued}"
    );
    assert!(
        refusal
            .to_string()
            .contains("the server is not reading them"),
        "{refusal}"
    );
    let room = handle.send_room();
    assert!(!room.available());
    handle.abort();
}

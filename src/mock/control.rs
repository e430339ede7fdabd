//! Driving the mock server by hand (the window's Server tab): per client, send a message,
//! close with any code and reason, drop abruptly, or stop reading (to test a client's
//! backpressure); for the whole server, send to every client, and answer the NEXT
//! handshake with a chosen HTTP status, headers and body, or a chosen subprotocol.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};

use super::rules::Rules;
use crate::engine::Payload;

/// Commands waiting to reach one client; past it a command is refused.
const COMMAND_QUEUE: usize = 64;

/// How the next handshake is answered, instead of by the rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HandshakeAnswer {
    /// Refuse with this HTTP status (300-599); `None`: accept.
    pub status: Option<u16>,
    /// Headers of the refusal (or added to the 101 answer).
    pub headers: Vec<(String, String)>,
    /// The refusal's body.
    pub body: String,
    /// Accept with this subprotocol, offered or not.
    pub subprotocol: Option<String>,
}

/// What one client is told to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientCommand {
    /// Send this message.
    Send(Payload),
    /// Start the closing handshake with this code and reason.
    Close(u16, String),
    /// Drop the connection without a close frame.
    Drop,
    /// Stop reading the client's messages (true) or read again (false).
    StopReading(bool),
}

/// Why a command did not reach its client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MockControlError {
    /// The client's connection ended.
    #[error("the connection has ended")]
    Ended,
    /// Too many commands are waiting; try again.
    #[error("the connection is busy; try again")]
    Busy,
}

/// The mock server's hand controls, shared by its connections.
#[derive(Debug)]
pub struct MockControl {
    clients: Mutex<HashMap<u64, mpsc::Sender<ClientCommand>>>,
    next_answer: Mutex<Option<HandshakeAnswer>>,
    /// The auto-responses in force; every connection watches them.
    rules: watch::Sender<Arc<Rules>>,
}

impl MockControl {
    /// The controls of a server answering by `rules`.
    pub fn new(rules: Rules) -> Self {
        Self {
            clients: Mutex::default(),
            next_answer: Mutex::default(),
            rules: watch::Sender::new(Arc::new(rules)),
        }
    }

    /// Puts `rules` in force while the server runs: the next handshakes are answered by
    /// them, and each connected client's next message, its `every` texts (counted from
    /// now) and its close-after count follow them too (`on_open` texts go to new clients
    /// only: the others have opened already).
    pub fn set_rules(&self, rules: Rules) {
        self.rules.send_replace(Arc::new(rules));
    }

    /// The auto-responses in force, and their changes from now.
    pub(super) fn watch_rules(&self) -> watch::Receiver<Arc<Rules>> {
        self.rules.subscribe()
    }

    /// Sends `command` to client `conn`.
    pub fn command(&self, conn: u64, command: ClientCommand) -> Result<(), MockControlError> {
        let sender = self
            .lock_clients()
            .get(&conn)
            .cloned()
            .ok_or(MockControlError::Ended)?;
        sender.try_send(command).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => MockControlError::Busy,
            mpsc::error::TrySendError::Closed(_) => MockControlError::Ended,
        })
    }

    /// Sends `payload` to every connected client; how many it reached.
    pub fn send_all(&self, payload: &Payload) -> usize {
        let clients: Vec<_> = self.lock_clients().values().cloned().collect();
        clients
            .iter()
            .filter(|sender| {
                sender
                    .try_send(ClientCommand::Send(payload.clone()))
                    .is_ok()
            })
            .count()
    }

    /// The connected clients' numbers, in order.
    pub fn clients(&self) -> Vec<u64> {
        let mut clients: Vec<u64> = self.lock_clients().keys().copied().collect();
        clients.sort_unstable();
        clients
    }

    /// Answers the next handshake with `answer` (once), or as the rules say (`None`).
    pub fn answer_next(&self, answer: Option<HandshakeAnswer>) {
        *self.next_answer.lock().unwrap_or_else(|p| p.into_inner()) = answer;
    }

    /// The answer waiting for the next handshake, if one is set.
    pub fn next_answer(&self) -> Option<HandshakeAnswer> {
        self.next_answer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Takes the answer for the handshake that arrives now.
    pub(super) fn take_next_answer(&self) -> Option<HandshakeAnswer> {
        self.next_answer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// A client's command channel, registered under `conn`.
    pub(super) fn register(&self, conn: u64) -> mpsc::Receiver<ClientCommand> {
        let (sender, receiver) = mpsc::channel(COMMAND_QUEUE);
        self.lock_clients().insert(conn, sender);
        receiver
    }

    pub(super) fn unregister(&self, conn: u64) {
        self.lock_clients().remove(&conn);
    }

    fn lock_clients(&self) -> std::sync::MutexGuard<'_, HashMap<u64, mpsc::Sender<ClientCommand>>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }
}

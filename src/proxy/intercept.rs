//! Intercept: what the window (or a test) does to the messages going through the proxy.
//! [`Intercept`] is shared by every connection: which directions are paused and the
//! rules. [`ConnControl`] reaches one connection: its held messages (a paused direction
//! holds them, visibly, in a bounded queue: when it is full the proxy stops reading that
//! side, so the sender feels backpressure) and the commands that release (as they came or
//! edited), drop or inject messages.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::rules::ProxyRules;
use crate::engine::{Leg, Payload};

/// The most messages a paused direction holds before it stops reading.
pub const MAX_HELD_MESSAGES: usize = 256;

/// The most payload bytes a paused direction holds before it stops reading (one message
/// may go beyond it).
pub const MAX_HELD_BYTES: usize = 16 << 20;

/// Commands waiting to reach one connection's direction; past it a command is refused.
const COMMAND_QUEUE: usize = 64;

/// What every connection of one proxy shares: paused directions and rules.
#[derive(Debug)]
pub struct Intercept {
    /// By the leg messages arrive on: `[client → upstream, upstream → client]`.
    paused: [watch::Sender<bool>; 2],
    rules: RwLock<Arc<ProxyRules>>,
    connections: Mutex<HashMap<u64, ConnControl>>,
}

impl Default for Intercept {
    fn default() -> Self {
        Self {
            paused: [watch::channel(false).0, watch::channel(false).0],
            rules: RwLock::default(),
            connections: Mutex::default(),
        }
    }
}

impl Intercept {
    /// Pauses (or resumes) the messages arriving on `from` (`Client`: client → upstream)
    /// for every connection. Resuming releases what was held, in order.
    pub fn set_paused(&self, from: Leg, paused: bool) {
        self.paused[from.index()].send_replace(paused);
    }

    /// Whether the messages arriving on `from` are paused.
    pub fn is_paused(&self, from: Leg) -> bool {
        *self.paused[from.index()].borrow()
    }

    /// Replaces the rules (for every connection, from the next message on).
    pub fn set_rules(&self, rules: ProxyRules) {
        let mut current = self.rules.write().unwrap_or_else(|p| p.into_inner());
        *current = Arc::new(rules);
    }

    /// The rules now.
    pub(super) fn rules(&self) -> Arc<ProxyRules> {
        Arc::clone(&self.rules.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// A watch of whether `from` is paused.
    pub(super) fn paused_watch(&self, from: Leg) -> watch::Receiver<bool> {
        self.paused[from.index()].subscribe()
    }

    /// The control of connection `conn`, while it relays.
    pub fn connection(&self, conn: u64) -> Option<ConnControl> {
        self.lock_connections().get(&conn).cloned()
    }

    pub(super) fn register(&self, conn: u64, control: ConnControl) {
        self.lock_connections().insert(conn, control);
    }

    pub(super) fn unregister(&self, conn: u64) {
        self.lock_connections().remove(&conn);
    }

    fn lock_connections(&self) -> std::sync::MutexGuard<'_, HashMap<u64, ConnControl>> {
        self.connections.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A message held by a paused direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldMessage {
    /// Its number within the connection (for release and drop).
    pub id: u64,
    /// What it says (after the rules).
    pub payload: Payload,
    /// When it arrived, from the connection's start.
    pub offset: Duration,
}

/// What one direction of one connection holds.
#[derive(Debug, Default)]
pub(super) struct HeldQueue {
    pub(super) messages: VecDeque<HeldMessage>,
    pub(super) bytes: usize,
}

impl HeldQueue {
    /// Room for one more: below both bounds.
    pub(super) fn has_room(&self) -> bool {
        self.messages.len() < MAX_HELD_MESSAGES && self.bytes < MAX_HELD_BYTES
    }

    pub(super) fn push(&mut self, message: HeldMessage) {
        self.bytes += message.payload.len();
        self.messages.push_back(message);
    }

    pub(super) fn take(&mut self, id: u64) -> Option<HeldMessage> {
        let at = self.messages.iter().position(|m| m.id == id)?;
        let message = self.messages.remove(at)?;
        self.bytes -= message.payload.len();
        Some(message)
    }

    pub(super) fn take_first(&mut self) -> Option<HeldMessage> {
        let message = self.messages.pop_front()?;
        self.bytes -= message.payload.len();
        Some(message)
    }
}

/// What one direction of a connection is told to do.
#[derive(Debug)]
pub(super) enum DirCommand {
    /// Pass a held message on, as it came or with this payload.
    Release(u64, Option<Payload>),
    /// Forget a held message.
    Drop(u64),
    /// Pass every held message on, in order.
    ReleaseAll,
    /// Send this to the leg this direction writes to.
    Inject(Payload),
}

/// Why a command did not reach its connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// The connection ended.
    #[error("the connection has ended")]
    Ended,
    /// Too many commands are waiting; try again.
    #[error("the connection is busy; try again")]
    Busy,
}

/// One connection's intercept: its held messages and the commands that act on them.
#[derive(Clone, Debug)]
pub struct ConnControl {
    /// By the leg messages arrive on (the direction that reads it).
    commands: [mpsc::Sender<DirCommand>; 2],
    held: [Arc<Mutex<HeldQueue>>; 2],
}

/// The receiving ends a connection's two directions keep.
pub(super) struct DirSide {
    pub(super) commands: mpsc::Receiver<DirCommand>,
    pub(super) held: Arc<Mutex<HeldQueue>>,
}

impl ConnControl {
    /// A control and the two sides it reaches: `[from client, from upstream]`.
    pub(super) fn new() -> (Self, [DirSide; 2]) {
        let (client_tx, client_rx) = mpsc::channel(COMMAND_QUEUE);
        let (upstream_tx, upstream_rx) = mpsc::channel(COMMAND_QUEUE);
        let held = [Arc::default(), Arc::default()];
        let sides = [
            DirSide {
                commands: client_rx,
                held: Arc::clone(&held[0]),
            },
            DirSide {
                commands: upstream_rx,
                held: Arc::clone(&held[1]),
            },
        ];
        let control = Self {
            commands: [client_tx, upstream_tx],
            held,
        };
        (control, sides)
    }

    /// The messages held from `from`, oldest first.
    pub fn held(&self, from: Leg) -> Vec<HeldMessage> {
        let queue = self.held[from.index()]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        queue.messages.iter().cloned().collect()
    }

    /// Passes held message `id` from `from` on, as it came (`None`) or as `edited`.
    pub fn release(&self, from: Leg, id: u64, edited: Option<Payload>) -> Result<(), ControlError> {
        self.send(from, DirCommand::Release(id, edited))
    }

    /// Forgets held message `id` from `from`: it never reaches the other side.
    pub fn drop_held(&self, from: Leg, id: u64) -> Result<(), ControlError> {
        self.send(from, DirCommand::Drop(id))
    }

    /// Passes every message held from `from` on, in order.
    pub fn release_all(&self, from: Leg) -> Result<(), ControlError> {
        self.send(from, DirCommand::ReleaseAll)
    }

    /// Sends `payload` to the peer on leg `into` (`Upstream`: to the server, as if the
    /// client had sent it), whether or not anything is paused.
    pub fn inject(&self, into: Leg, payload: Payload) -> Result<(), ControlError> {
        self.send(into.other(), DirCommand::Inject(payload))
    }

    fn send(&self, from: Leg, command: DirCommand) -> Result<(), ControlError> {
        self.commands[from.index()]
            .try_send(command)
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => ControlError::Busy,
                mpsc::error::TrySendError::Closed(_) => ControlError::Ended,
            })
    }
}

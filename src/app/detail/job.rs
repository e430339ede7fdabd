//! A view derived from a payload on a thread of its own (a pretty text, a tree, a line
//! index), so that selecting a large message never holds up a frame.

use std::sync::{Arc, mpsc};

/// A derived view: made, or being made on a thread of its own.
pub enum Job<T> {
    /// Made.
    Ready(T),
    /// Being made; the thread sends it here.
    Running(mpsc::Receiver<T>),
    /// The thread stopped without an answer (it panicked: never expected).
    Lost,
}

/// Why a lost job's view is missing.
pub const LOST: &str = "not formatted: the formatting thread stopped without an answer";

impl<T: Send + 'static> Job<T> {
    /// Starts making `make(&input)` on a thread, which asks `ctx` for a frame when it is
    /// done; makes it in this frame when no thread can be started.
    pub fn start<I: Send + Sync + 'static>(
        ctx: &egui::Context,
        input: I,
        make: fn(&I) -> T,
    ) -> Self {
        let input = Arc::new(input);
        let (sender, receiver) = mpsc::channel();
        let (shared, ctx) = (Arc::clone(&input), ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("sockscope-format".to_owned())
            .spawn(move || {
                // The selection may have moved on: then nobody waits for this.
                let _unwanted = sender.send(make(&shared)).is_err();
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => Job::Running(receiver),
            Err(_) => Job::Ready(make(&input)),
        }
    }

    /// The result once there is one: `Some(None)` when the thread was lost.
    pub fn ready(&mut self) -> Option<Option<&T>> {
        if let Job::Running(receiver) = self {
            match receiver.try_recv() {
                Ok(result) => *self = Job::Ready(result),
                Err(mpsc::TryRecvError::Empty) => return None,
                Err(mpsc::TryRecvError::Disconnected) => *self = Job::Lost,
            }
        }
        match self {
            Job::Ready(result) => Some(Some(result)),
            Job::Lost => Some(None),
            Job::Running(_) => None,
        }
    }
}

//! The command line's output: one JSON value per line on stdout, flushed as it happens, with
//! one running `seq` over every attempt, noticing when nobody reads any more.

use std::io::Write;

use serde_json::{Value, json};

/// Prints JSON lines in order.
pub(super) struct JsonLines {
    stdout: std::io::StdoutLock<'static>,
    seq: u64,
    gone: bool,
}

impl JsonLines {
    /// Lines to this process's stdout, numbered from 0.
    pub(super) fn stdout() -> Self {
        Self {
            stdout: std::io::stdout().lock(),
            seq: 0,
            gone: false,
        }
    }

    /// Adds the next `seq` and `attempt` to an event's object (after its own fields).
    pub(super) fn number(&mut self, event: &mut Value, attempt: u32) {
        if let Value::Object(map) = event {
            map.insert("seq".into(), json!(self.seq));
            map.insert("attempt".into(), json!(attempt));
        }
        self.seq += 1;
    }

    /// Prints `value` on a line of its own; false once nobody reads stdout any more.
    pub(super) fn line(&mut self, value: &Value) -> bool {
        if !self.gone {
            self.gone = writeln!(self.stdout, "{value}")
                .and_then(|()| self.stdout.flush())
                .is_err();
        }
        !self.gone
    }

    /// True once a line could not be written (the reader went away).
    pub(super) fn gone(&self) -> bool {
        self.gone
    }
}

//! The command line's output: one JSON value per line on stdout, flushed as it happens, with
//! one running `seq` over every attempt, noticing when nobody reads any more.

use std::io::Write;

use serde_json::{Value, json};

/// Prints JSON lines in order.
pub(super) struct JsonLines {
    stdout: std::io::StdoutLock<'static>,
    seq: u64,
    gone: bool,
    /// While holding: the lines kept back, each with whether it takes a `seq`.
    held: Option<Vec<HeldLine>>,
    /// `number` was called on the line `line` is about to hold.
    number_due: bool,
}

/// A line kept back by [`JsonLines::hold`], printed (and numbered) later.
pub(super) struct HeldLine {
    value: Value,
    numbered: bool,
}

/// Lines taken out of [`JsonLines`] after holding, to print a part at a time
/// ([`JsonLines::print_held`]).
#[derive(Default)]
pub(super) struct HeldLines {
    lines: std::collections::VecDeque<HeldLine>,
}

impl JsonLines {
    /// Lines to this process's stdout, numbered from 0.
    pub(super) fn stdout() -> Self {
        Self {
            stdout: std::io::stdout().lock(),
            seq: 0,
            gone: false,
            held: None,
            number_due: false,
        }
    }

    /// Adds the next `seq` and `attempt` to an event's object (after its own fields). While
    /// holding, the `seq` is given when the line is printed (its place in the object is
    /// kept).
    pub(super) fn number(&mut self, event: &mut Value, attempt: u32) {
        let held = self.held.is_some();
        if let Value::Object(map) = event {
            map.insert(
                "seq".into(),
                if held { Value::Null } else { json!(self.seq) },
            );
            map.insert("attempt".into(), json!(attempt));
        }
        if held {
            self.number_due = true;
        } else {
            self.seq += 1;
        }
    }

    /// From now on lines are kept back instead of printed, until [`take_held`]
    /// (Self::take_held): a script's lines can then be printed between them.
    pub(super) fn hold(&mut self) {
        self.held.get_or_insert_with(Vec::new);
    }

    /// How many lines are held so far.
    pub(super) fn held(&self) -> usize {
        self.held.as_ref().map_or(0, Vec::len)
    }

    /// Stops holding; the lines held, for [`print_held`](Self::print_held).
    pub(super) fn take_held(&mut self) -> HeldLines {
        self.number_due = false;
        HeldLines {
            lines: self.held.take().unwrap_or_default().into(),
        }
    }

    /// Prints the next `count` lines of `held`, numbering those that take a `seq` now.
    pub(super) fn print_held(&mut self, held: &mut HeldLines, count: usize) {
        for _ in 0..count {
            let Some(HeldLine {
                mut value,
                numbered,
            }) = held.lines.pop_front()
            else {
                return;
            };
            if numbered {
                if let Value::Object(map) = &mut value {
                    map.insert("seq".into(), json!(self.seq));
                }
                self.seq += 1;
            }
            self.line(&value);
        }
    }

    /// Prints `value` on a line of its own (or holds it); false once nobody reads stdout
    /// any more.
    pub(super) fn line(&mut self, value: &Value) -> bool {
        if let Some(held) = &mut self.held {
            let numbered = std::mem::take(&mut self.number_due);
            held.push(HeldLine {
                value: value.clone(),
                numbered,
            });
            return !self.gone;
        }
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

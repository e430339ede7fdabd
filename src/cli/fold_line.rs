//! With `--fold`: one attempt's incoming messages folded into a state. A message that does
//! not apply gets `"fold_error"` on its line; the state is printed as
//! `{"event":"state","value":...,"after":N}` every `--fold-every` messages and before the
//! close line. `after` is the index (from 0, over the attempt's messages in both
//! directions) of the last message that took part, `null` before any.

use serde_json::{Value, json};

use super::fold_args::FoldPlan;
use crate::engine::{Direction, Payload};
use crate::model::fold::{Fold, Step};
use crate::model::redact::Redactor;

/// One attempt's fold.
pub(super) struct LineFold {
    fold: Fold,
    every: Option<u64>,
    /// Messages seen in this attempt, both directions.
    messages: u64,
    /// The index of the last message that took part.
    after: Option<u64>,
}

impl LineFold {
    /// A fresh fold (a new connection starts from the rule's initial state).
    pub(super) fn new(plan: &FoldPlan) -> Self {
        Self {
            fold: Fold::new(plan.spec.clone()),
            every: plan.every,
            messages: 0,
            after: None,
        }
    }

    /// Folds a message (incoming only); `line` is its printed line, if any, which gains
    /// `fold_error` when it did not apply. True when a state line is due after it.
    pub(super) fn message(
        &mut self,
        line: Option<&mut Value>,
        dir: Direction,
        payload: &Payload,
        redactor: &Redactor,
    ) -> bool {
        let index = self.messages;
        self.messages += 1;
        if dir != Direction::In {
            return false;
        }
        let decoded = line
            .as_deref()
            .and_then(|line| line.get("decoded"))
            .and_then(|decoded| decoded.get("value"));
        let step = match (payload, decoded) {
            (Payload::Text(text), _) => self.fold.fold_text(text.as_str()),
            (Payload::Binary(_), Some(value)) => self.fold.fold_value(value),
            (Payload::Binary(_), None) if self.fold.spec().filter.is_some() => Step::Skipped,
            (Payload::Binary(_), None) => {
                Step::Failed("a binary message is not JSON (--decode can read it as JSON)".into())
            }
        };
        if step == Step::Skipped {
            return false;
        }
        self.after = Some(index);
        if let (Step::Failed(reason), Some(Value::Object(fields))) = (step, line) {
            let mut reason = Value::String(reason);
            redactor.json_strings(&mut reason);
            fields.insert("fold_error".into(), reason);
        }
        self.every
            .is_some_and(|every| self.fold.folded().is_multiple_of(every))
    }

    /// `{"event":"state","value":...,"after":N}`, redacted.
    pub(super) fn state_line(&self, redactor: &Redactor) -> Value {
        let mut value = self.fold.state().clone();
        redactor.json_strings(&mut value);
        json!({"event": "state", "value": value, "after": self.after})
    }
}

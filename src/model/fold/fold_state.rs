//! The running fold: the state so far and how each message changed it.

use serde_json::Value;

use super::apply::apply;
use super::changes::{ChangeRef, diff, touched};
use super::spec::FoldSpec;

/// Where a fold reports the changes a message made, when asked to.
pub type ChangeSink<'s> = Option<&'s mut dyn FnMut(ChangeRef<'_>)>;

/// What a row gives the fold.
#[derive(Clone, Copy, Debug)]
pub enum FoldInput<'a> {
    /// A text message.
    Text(&'a str),
    /// A message read as a JSON value (a decoded binary payload).
    Value(&'a Value),
    /// A message that cannot be read as JSON (binary, not decoded), and why.
    NotJson(&'a str),
    /// Not a message that takes part (another event, the other direction).
    Other,
}

/// What one message did to the state.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// The filter left it out (or it is not JSON while a filter is set).
    Skipped,
    /// It changed (or kept) the state.
    Applied,
    /// It took part but did not apply; the state is unchanged. The text says why.
    Failed(String),
}

/// A fold in progress.
#[derive(Clone, Debug)]
pub struct Fold {
    spec: FoldSpec,
    state: Value,
    folded: u64,
}

impl Fold {
    /// An empty fold: the rule's initial state, nothing folded yet.
    pub fn new(spec: FoldSpec) -> Self {
        Self {
            state: spec.rule.initial_state(),
            spec,
            folded: 0,
        }
    }

    /// A fold that goes on from `state`, after `folded` messages (a checkpoint).
    pub fn resume(spec: FoldSpec, state: Value, folded: u64) -> Self {
        Self {
            spec,
            state,
            folded,
        }
    }

    /// Folds one row's input (see [`FoldInput`]); `None` for [`FoldInput::Other`].
    pub fn fold_input(&mut self, input: FoldInput<'_>) -> Option<Step> {
        self.fold_input_observed(input, None)
    }

    /// Folds one row's input, reporting each change it made to `sink` (the paths its
    /// part touched, compared before and after: the cost follows the message, not the
    /// state). A message that did not apply reports nothing.
    pub fn fold_input_observed(
        &mut self,
        input: FoldInput<'_>,
        sink: ChangeSink<'_>,
    ) -> Option<Step> {
        match input {
            FoldInput::Text(text) => Some(self.fold_text_observed(text, sink)),
            FoldInput::Value(value) => Some(self.fold_value_observed(value, sink)),
            FoldInput::NotJson(why) => {
                if self.spec.filter.is_some() {
                    return Some(Step::Skipped);
                }
                self.folded += 1;
                Some(Step::Failed(why.to_owned()))
            }
            FoldInput::Other => None,
        }
    }

    /// The state after the messages folded so far.
    pub fn state(&self) -> &Value {
        &self.state
    }

    /// How many messages took part (applied or failed).
    pub fn folded(&self) -> u64 {
        self.folded
    }

    /// The settings.
    pub fn spec(&self) -> &FoldSpec {
        &self.spec
    }

    /// Folds a text message. A text that is not JSON fails (or is skipped when a filter is
    /// set: the filter only passes JSON).
    pub fn fold_text(&mut self, text: &str) -> Step {
        self.fold_text_observed(text, None)
    }

    fn fold_text_observed(&mut self, text: &str, sink: ChangeSink<'_>) -> Step {
        if let Some(filter) = &self.spec.filter
            && !filter.matches(text)
        {
            return Step::Skipped;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(message) => self.fold_parsed(message, sink),
            Err(error) => {
                self.folded += 1;
                Step::Failed(format!("not JSON: {error}"))
            }
        }
    }

    /// Folds a message already read as a JSON value (a decoded binary payload).
    pub fn fold_value(&mut self, message: &Value) -> Step {
        self.fold_value_observed(message, None)
    }

    fn fold_value_observed(&mut self, message: &Value, sink: ChangeSink<'_>) -> Step {
        if let Some(filter) = &self.spec.filter
            && !filter_passes(filter, message)
        {
            return Step::Skipped;
        }
        self.fold_parsed(message.clone(), sink)
    }

    /// Folds a message the filter passed.
    fn fold_parsed(&mut self, message: Value, sink: ChangeSink<'_>) -> Step {
        self.folded += 1;
        let delete = self
            .spec
            .delete
            .as_ref()
            .is_some_and(|condition| filter_passes(condition, &message));
        let select = &self.spec.select;
        let part = if select.is_root() {
            message
        } else {
            match select.take(message) {
                Some(part) => part,
                None => return Step::Failed(format!("nothing at {select}")),
            }
        };
        let Some(sink) = sink else {
            return match apply(&self.spec.rule, &mut self.state, part, delete) {
                Ok(()) => Step::Applied,
                Err(reason) => Step::Failed(reason),
            };
        };
        let places = touched(&self.spec.rule, &self.state, &part);
        let before: Vec<Option<Value>> = places
            .iter()
            .map(|place| self.state.pointer(place).cloned())
            .collect();
        if let Err(reason) = apply(&self.spec.rule, &mut self.state, part, delete) {
            return Step::Failed(reason);
        }
        for (mut place, old) in places.into_iter().zip(before) {
            let new = self.state.pointer(&place);
            diff(&mut place, old.as_ref(), new, sink);
        }
        Step::Applied
    }
}

/// A filter tested on a value already parsed (the same answer as on its text).
fn filter_passes(filter: &crate::model::json_filter::JsonPredicate, message: &Value) -> bool {
    filter.matches_value(message)
}

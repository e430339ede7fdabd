//! Live state: a stream of messages folded into the document it describes (issue 24).
//!
//! A [`FoldSpec`] says how: a [`FoldRule`] (replace, merge patch, JSON Patch, keyed or
//! path/data events), a filter choosing which messages take part, a path selecting the part
//! of each message that is applied and, for the keyed rule, a delete condition. A
//! [`Fold`] keeps the state and folds one message at a time; a message that does not apply
//! gives the reason and leaves the state as it was, and folding goes on.

mod apply;
mod fold_state;
mod history;
mod path;
mod rule;
mod settings;
mod spec;

pub use fold_state::{Fold, FoldInput, Step};
pub use history::FoldHistory;
pub use path::JsonPath;
pub use rule::FoldRule;
pub use settings::FoldSettings;
pub use spec::FoldSpec;

#[cfg(test)]
mod tests_fold;
#[cfg(test)]
mod tests_history;
#[cfg(test)]
mod tests_rfc;

//! Live state: a stream of messages folded into the document it describes (issue 24).
//!
//! A [`FoldSpec`] says how: a [`FoldRule`] (replace, merge patch, JSON Patch, keyed or
//! path/data events), a filter choosing which messages take part, a path selecting the part
//! of each message that is applied and, for the keyed rule, a delete condition. A
//! [`Fold`] keeps the state and folds one message at a time; a message that does not apply
//! gives the reason and leaves the state as it was, and folding goes on. A fold can report
//! what each message changed ([`ChangeRef`]), from the places the message touches, so the
//! updates per place ([`UpdateCounts`]) are kept one message at a time.

mod apply;
mod changes;
mod counts;
mod fold_state;
mod history;
mod path;
mod row_change;
mod rule;
mod settings;
mod spec;

pub use changes::{ChangeKind, ChangeRef, escape_token};
pub use counts::{RowPaths, UpdateCounts};
pub use fold_state::{ChangeSink, Fold, FoldInput, Step};
pub use history::{FoldHistory, RowView};
pub use path::JsonPath;
pub use row_change::{Change, MAX_LISTED, PREVIEW_CHARS, RowChange, preview};
pub use rule::FoldRule;
pub use settings::FoldSettings;
pub use spec::FoldSpec;

#[cfg(test)]
mod tests_fold;
#[cfg(test)]
mod tests_history;
#[cfg(test)]
mod tests_rfc;

//! A tab's live state (issue 24): the fold settings typed in the State view, and the
//! fold of the tab's incoming messages with checkpoints, kept up with the timeline a few
//! milliseconds per frame.

use std::time::Instant;

use serde_json::Value;

use crate::engine::{Direction, EventKind, Payload};
use crate::format::json_tree::{self, Node};
use crate::model::fold::{FoldHistory, FoldInput, FoldSettings};
use crate::model::timeline::Timeline;

/// Rows between checkpoints: showing any row refolds at most this many.
pub const CHECKPOINT_EVERY: usize = 1024;

/// The rules the State view offers, as the command line names them (keyed takes a path).
pub const RULES: [&str; 5] = ["replace", "merge", "patch", "keyed", "pathdata"];

/// What the user typed in the State view.
#[derive(Clone, Debug)]
pub struct FoldForm {
    /// One of [`RULES`].
    pub rule: String,
    /// The keyed rule's key path.
    pub key: String,
    /// The part of each message applied (empty: the whole message).
    pub select: String,
    /// Which messages take part (empty: every JSON message).
    pub filter: String,
    /// The keyed rule's delete condition (empty: none).
    pub delete: String,
}

impl Default for FoldForm {
    fn default() -> Self {
        Self {
            rule: "merge".into(),
            key: "$.id".into(),
            select: String::new(),
            filter: String::new(),
            delete: String::new(),
        }
    }
}

impl FoldForm {
    /// The form showing saved `settings`.
    pub fn from_settings(settings: &FoldSettings) -> Self {
        let mut form = Self {
            rule: settings.rule.clone(),
            select: settings.select.clone(),
            filter: settings.filter.clone(),
            delete: settings.delete.clone(),
            ..Self::default()
        };
        if let Some(key) = settings.rule.strip_prefix("keyed:") {
            form.rule = "keyed".into();
            form.key = key.to_owned();
        }
        form
    }

    /// The form as settings to save (the keyed rule's path in its rule, as the command
    /// line writes it).
    pub fn settings(&self) -> FoldSettings {
        let keyed = self.rule == "keyed";
        FoldSettings {
            rule: if keyed {
                format!("keyed:{}", self.key.trim())
            } else {
                self.rule.clone()
            },
            select: self.select.trim().to_owned(),
            filter: self.filter.trim().to_owned(),
            delete: if keyed {
                self.delete.trim().to_owned()
            } else {
                String::new()
            },
        }
    }
}

/// A tab's fold: the form, and the fold it made.
#[derive(Debug, Default)]
pub struct TabFold {
    /// The State view is shown.
    pub open: bool,
    /// The settings being typed.
    pub form: FoldForm,
    /// Why the last settings applied did not parse.
    pub error: Option<String>,
    history: Option<FoldHistory>,
    /// The tree last shown: the state after a row never changes once that row is folded,
    /// so it is made again only for another row or a new fold.
    shown: Option<Shown>,
}

/// A state made into a tree for the view.
#[derive(Debug)]
struct Shown {
    row: usize,
    tree: Result<Node, String>,
}

impl TabFold {
    /// A tab's fold as its saved settings left it: folding by them (the view closed), or
    /// nothing yet without settings.
    pub fn from_settings(settings: Option<&FoldSettings>) -> Self {
        let mut fold = Self::default();
        if let Some(settings) = settings {
            fold.form = FoldForm::from_settings(settings);
            fold.apply();
        }
        fold
    }

    /// Starts folding by the form's settings, from the timeline's first row; returns them
    /// to save with the tab, or `None` (and [`TabFold::error`] says why) when they do not
    /// parse.
    pub fn apply(&mut self) -> Option<FoldSettings> {
        let settings = self.form.settings();
        match settings.spec() {
            Ok(spec) => {
                self.history = Some(FoldHistory::new(spec, CHECKPOINT_EVERY));
                self.error = None;
                self.shown = None;
                Some(settings)
            }
            Err(error) => {
                self.error = Some(error);
                None
            }
        }
    }

    /// Folds again from the first row (the timeline was cleared).
    pub fn restart(&mut self) {
        if let Some(history) = &mut self.history {
            *history = FoldHistory::new(history.spec().clone(), CHECKPOINT_EVERY);
        }
        self.shown = None;
    }

    /// The fold, once settings were applied.
    pub fn history(&self) -> Option<&FoldHistory> {
        self.history.as_ref()
    }

    /// Folds the rows that arrived since, until `deadline`; true when rows are left for
    /// the next frame. A timeline that was cleared starts the fold over.
    pub fn catch_up(&mut self, timeline: &Timeline, deadline: Instant) -> bool {
        let Some(history) = &mut self.history else {
            return false;
        };
        if history.rows() > timeline.len() {
            *history = FoldHistory::new(history.spec().clone(), CHECKPOINT_EVERY);
            self.shown = None;
        }
        let mut row = history.rows();
        while row < timeline.len() {
            history.push(input(timeline, row));
            row += 1;
            if row.is_multiple_of(1024) && Instant::now() >= deadline {
                return row < timeline.len();
            }
        }
        false
    }

    /// The state right after `row` (refolded from the nearest checkpoint).
    pub fn state_after(&self, timeline: &Timeline, row: usize) -> Option<Value> {
        self.history
            .as_ref()?
            .state_after(row, |earlier| input(timeline, earlier))
    }
}

impl TabFold {
    /// The state right after `row` as a bounded JSON tree (made once per row shown), or
    /// why it cannot be shown; `None` before that row was folded.
    pub fn tree_after(&mut self, timeline: &Timeline, row: usize) -> Option<&Result<Node, String>> {
        if self.shown.as_ref().is_none_or(|shown| shown.row != row) {
            let state = self.state_after(timeline, row)?;
            let tree = json_tree::parse(&state.to_string()).map_err(|e| e.to_string());
            self.shown = Some(Shown { row, tree });
        }
        self.shown.as_ref().map(|shown| &shown.tree)
    }
}

/// What row `row` gives the fold: incoming messages take part.
fn input(timeline: &Timeline, row: usize) -> FoldInput<'_> {
    match timeline.kind(row) {
        Some(EventKind::Message {
            dir: Direction::In,
            payload,
        }) => match payload {
            Payload::Text(text) => FoldInput::Text(text.as_str()),
            Payload::Binary(_) => FoldInput::NotJson("a binary message is not JSON"),
        },
        _ => FoldInput::Other,
    }
}

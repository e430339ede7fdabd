//! A tab's live state (issue 24): the fold settings typed in the State view, and the
//! fold of the tab's incoming messages with checkpoints, kept up with the timeline a few
//! milliseconds per frame. What a row shows (its tree, the updates per place, its change
//! and the places changed just before it) is made once per row shown.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::engine::{Direction, EventKind, Payload};
use crate::format::json_tree::{self, Node};
use crate::model::fold::{FoldHistory, FoldInput, FoldSettings, RowChange, UpdateCounts};
use crate::model::timeline::Timeline;

/// Rows between checkpoints: showing any row refolds at most this many (and
/// [`RECENT_ROWS`]).
pub const CHECKPOINT_EVERY: usize = 1024;

/// While scrubbing, the places changed by the selected row and this many rows before it
/// (counting it) are highlighted, the older ones fainter.
pub const RECENT_ROWS: usize = 20;

/// In the live state, a changed place stays highlighted this long, fading.
pub const FADE: Duration = Duration::from_secs(2);

/// While rows arrive, the live tree is made again at most this often.
pub const LIVE_REFRESH: Duration = Duration::from_millis(100);

/// Rows folded between looks at the clock while catching up.
const CATCH_UP_CHECK: usize = 1024;

/// Places timed for the live highlight at most.
const MAX_LIVE_MARKS: usize = 4096;

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
    /// When the newest rows last changed each place (for the live highlight).
    live_marks: HashMap<String, Instant>,
}

/// A state made into a tree for the view.
#[derive(Debug)]
struct Shown {
    row: usize,
    tree: Result<Node, String>,
    change: RowChange,
    /// `None` for the latest row (the live counts and highlight are used).
    scrubbed: Option<Scrubbed>,
    made: Instant,
}

/// What a row before the latest one shows besides its tree.
#[derive(Debug)]
struct Scrubbed {
    counts: UpdateCounts,
    recent: HashMap<String, usize>,
}

/// What the State view draws for a row.
#[derive(Debug)]
pub struct StateShown<'a> {
    /// The row whose state this is.
    pub row: usize,
    /// The state right after it, as a bounded tree (or why it cannot be shown).
    pub tree: &'a Result<Node, String>,
    /// Updates per place up to that row.
    pub counts: &'a UpdateCounts,
    /// What the row changed.
    pub change: &'a RowChange,
    /// Which places to highlight, and how strongly.
    pub marks: Marks<'a>,
}

/// The places changed lately: by wall time for the latest row, by rows while scrubbing.
#[derive(Debug)]
pub enum Marks<'a> {
    /// When each place last changed, and now.
    Live(&'a HashMap<String, Instant>, Instant),
    /// The last row (up to the shown one) that changed each place, and the shown row.
    Rows(&'a HashMap<String, usize>, usize),
}

impl Marks<'_> {
    /// How strongly `path` is highlighted: 1 just changed, fading to 0.
    pub fn heat(&self, path: &str) -> f32 {
        match self {
            Marks::Live(marks, now) => marks.get(path).map_or(0.0, |at| {
                let age = now.saturating_duration_since(*at).as_secs_f32();
                (1.0 - age / FADE.as_secs_f32()).max(0.0)
            }),
            Marks::Rows(marks, row) => marks.get(path).map_or(0.0, |changed| {
                let age = row.saturating_sub(*changed) as f32;
                1.0 - age / RECENT_ROWS as f32
            }),
        }
    }

    /// True while a live highlight is still fading (the view repaints until it is gone).
    pub fn fading(&self) -> bool {
        match self {
            Marks::Live(marks, now) => marks
                .values()
                .any(|at| now.saturating_duration_since(*at) < FADE),
            Marks::Rows(..) => false,
        }
    }
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
                self.live_marks.clear();
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
        self.live_marks.clear();
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
        let now = Instant::now();
        if row < timeline.len() && self.live_marks.len() > MAX_LIVE_MARKS / 2 {
            self.live_marks
                .retain(|_, at| now.saturating_duration_since(*at) < FADE);
        }
        while row < timeline.len() {
            // The rows this loop may stop after keep their change, for the live view.
            if row + 1 == timeline.len() || (row + 1).is_multiple_of(CATCH_UP_CHECK) {
                history.push_shown(input(timeline, row));
            } else {
                history.push(input(timeline, row));
            }
            mark(&mut self.live_marks, history, now);
            row += 1;
            if row.is_multiple_of(CATCH_UP_CHECK) && Instant::now() >= deadline {
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

/// Times the places the latest row changed, at `now`; new places are left out while
/// [`MAX_LIVE_MARKS`] are timed (the faded ones are dropped before each catch-up).
fn mark(marks: &mut HashMap<String, Instant>, history: &FoldHistory, now: Instant) {
    for path in &history.last_paths().touched {
        if let Some(at) = marks.get_mut(path) {
            *at = now;
        } else if marks.len() < MAX_LIVE_MARKS {
            marks.insert(path.clone(), now);
        }
    }
}

impl TabFold {
    /// What the State view shows for `row`: made once per row shown (the latest row's
    /// again at most every [`LIVE_REFRESH`] while rows arrive, showing the last one made
    /// meanwhile); `None` before that row was folded.
    pub fn shown(&mut self, timeline: &Timeline, row: usize) -> Option<StateShown<'_>> {
        let history = self.history.as_ref()?;
        let latest = history.rows().checked_sub(1)?;
        let now = Instant::now();
        let stale = match &self.shown {
            None => true,
            Some(shown) if shown.row == row => false,
            Some(shown) => {
                let was_live = shown.scrubbed.is_none();
                !(was_live && row == latest && now.duration_since(shown.made) < LIVE_REFRESH)
            }
        };
        // The latest row's change is kept when a catch-up stopped at it; otherwise (a
        // restored fold) the row is shown like any other.
        let live_change = history.last_change().filter(|_| row == latest);
        if stale {
            self.shown = Some(if let Some(change) = live_change {
                Shown {
                    row,
                    tree: tree_of(history.state()),
                    change: change.clone(),
                    scrubbed: None,
                    made: now,
                }
            } else {
                let view =
                    history.view_after(row, RECENT_ROWS, |earlier| input(timeline, earlier))?;
                Shown {
                    row,
                    tree: tree_of(&view.state),
                    change: view.change,
                    scrubbed: Some(Scrubbed {
                        counts: view.counts,
                        recent: view.recent,
                    }),
                    made: now,
                }
            });
        }
        let shown = self.shown.as_ref()?;
        let history = self.history.as_ref()?;
        Some(match &shown.scrubbed {
            None => StateShown {
                row: shown.row,
                tree: &shown.tree,
                counts: history.counts(),
                change: &shown.change,
                marks: Marks::Live(&self.live_marks, now),
            },
            Some(scrubbed) => StateShown {
                row: shown.row,
                tree: &shown.tree,
                counts: &scrubbed.counts,
                change: &shown.change,
                marks: Marks::Rows(&scrubbed.recent, shown.row),
            },
        })
    }
}

/// A state as a bounded tree for the view.
fn tree_of(state: &Value) -> Result<Node, String> {
    json_tree::from_value(state).map_err(|e| e.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_fade_over_two_seconds_live_and_over_the_recent_rows_when_scrubbing() {
        let now = Instant::now();
        let mut times = HashMap::new();
        times.insert("/a".to_owned(), now);
        times.insert("/b".to_owned(), now - Duration::from_secs(1));
        times.insert("/c".to_owned(), now - Duration::from_secs(3));
        let live = Marks::Live(&times, now);
        assert_eq!(live.heat("/a"), 1.0);
        assert!((live.heat("/b") - 0.5).abs() < 0.01);
        assert_eq!(live.heat("/c"), 0.0);
        assert_eq!(live.heat("/d"), 0.0);
        assert!(live.fading());
        let rows: HashMap<String, usize> = [
            ("/a".to_owned(), 100),
            ("/b".to_owned(), 90),
            ("/c".to_owned(), 81),
        ]
        .into();
        let scrubbed = Marks::Rows(&rows, 100);
        assert_eq!(scrubbed.heat("/a"), 1.0);
        assert!((scrubbed.heat("/b") - 0.5).abs() < 0.01);
        assert!(scrubbed.heat("/c") > 0.0 && scrubbed.heat("/c") < 0.1);
        assert!(!scrubbed.fading());
    }
}

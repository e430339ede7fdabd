//! Scrubbing: the state right after any row, on long streams. The live fold keeps a copy
//! of its state every `every` rows (a checkpoint); the state after row `i` is refolded
//! from the nearest checkpoint at or before it, so it costs at most `every` rows' folding
//! whatever the stream's length. Rows that did not apply keep their reason.
//!
//! Each row's changes are counted per place as it is folded ([`UpdateCounts`]), and the
//! checkpoints keep the counts too, so the counts after any row come the same way. The
//! latest row's change is kept to show; an earlier row's is found while refolding.
//!
//! The checkpoints are bounded in bytes (their states' approximate size): past the budget,
//! every other one is dropped and the spacing doubles, so a big state on a long stream
//! costs more refolding per row shown, never unbounded memory.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::changes::ChangeRef;
use super::counts::{RowPaths, UpdateCounts};
use super::fold_state::{Fold, FoldInput, Step};
use super::row_change::RowChange;
use super::spec::FoldSpec;

/// The checkpoints' bytes unless told: 128 MiB (a keyed state of 1,000 whole messages on a
/// million-row stream keeps a checkpoint every 4,096 rows within it, so any row is shown
/// after refolding at most that many).
pub const DEFAULT_CHECKPOINT_BUDGET: usize = 128 << 20;

/// A checkpoint: the state before row `row` (after all the rows before it).
#[derive(Clone, Debug)]
struct Checkpoint {
    row: usize,
    state: Value,
    folded: u64,
    counts: UpdateCounts,
    bytes: usize,
}

/// The state right after a row, as the State view shows it.
#[derive(Clone, Debug)]
pub struct RowView {
    /// The row.
    pub row: usize,
    /// The state right after it.
    pub state: Value,
    /// Updates per place up to and including it.
    pub counts: UpdateCounts,
    /// What it changed.
    pub change: RowChange,
    /// The places changed by it and the rows just before it (see
    /// [`FoldHistory::view_after`]), each with the last row that changed it.
    pub recent: HashMap<String, usize>,
}

/// A fold over a timeline's rows, with checkpoints to show any row's state.
#[derive(Clone, Debug)]
pub struct FoldHistory {
    live: Fold,
    /// Rows folded so far (the next row to fold).
    rows: usize,
    every: usize,
    checkpoints: Vec<Checkpoint>,
    /// The checkpoints' approximate bytes, and their limit.
    checkpoint_bytes: usize,
    budget: usize,
    /// Why rows did not apply; a reason repeated row after row (a flood of text that is
    /// not JSON) is held once.
    errors: BTreeMap<usize, Arc<str>>,
    counts: UpdateCounts,
    /// The places the latest row changed, and its change to show.
    last_paths: RowPaths,
    last_change: Option<RowChange>,
}

impl FoldHistory {
    /// An empty history with a checkpoint every `every` rows (at least 1).
    pub fn new(spec: FoldSpec, every: usize) -> Self {
        let live = Fold::new(spec);
        let state = live.state().clone();
        let bytes = approx_bytes(&state);
        let start = Checkpoint {
            row: 0,
            state,
            folded: 0,
            counts: UpdateCounts::default(),
            bytes,
        };
        Self {
            live,
            rows: 0,
            every: every.max(1),
            checkpoints: vec![start],
            checkpoint_bytes: bytes,
            budget: DEFAULT_CHECKPOINT_BUDGET,
            errors: BTreeMap::new(),
            counts: UpdateCounts::default(),
            last_paths: RowPaths::default(),
            last_change: None,
        }
    }

    /// The same history with its checkpoints bounded by `bytes` instead.
    pub fn with_checkpoint_budget(mut self, bytes: usize) -> Self {
        self.budget = bytes;
        self
    }

    /// Rows between checkpoints now (doubled each time the budget was reached).
    pub fn checkpoint_every(&self) -> usize {
        self.every
    }

    /// The checkpoints' approximate bytes.
    pub fn checkpoint_bytes(&self) -> usize {
        self.checkpoint_bytes
    }

    /// The settings.
    pub fn spec(&self) -> &FoldSpec {
        self.live.spec()
    }

    /// How many rows were folded (the timeline's rows seen so far).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The state after every row folded so far.
    pub fn state(&self) -> &Value {
        self.live.state()
    }

    /// Why row `row` did not apply, if it did not.
    pub fn error(&self, row: usize) -> Option<&str> {
        self.errors.get(&row).map(|reason| &**reason)
    }

    /// Updates per place after every row folded so far.
    pub fn counts(&self) -> &UpdateCounts {
        &self.counts
    }

    /// The places the latest row changed (and those around them).
    pub fn last_paths(&self) -> &RowPaths {
        &self.last_paths
    }

    /// What the latest row changed, when it was folded by [`FoldHistory::push_shown`].
    pub fn last_change(&self) -> Option<&RowChange> {
        self.last_change.as_ref()
    }

    /// Folds the next row.
    pub fn push(&mut self, input: FoldInput<'_>) {
        self.push_row(input, false);
    }

    /// Folds the next row and keeps its change to show ([`FoldHistory::last_change`]): the
    /// previews cost more, so only the rows a view may stop at are folded so.
    pub fn push_shown(&mut self, input: FoldInput<'_>) {
        self.push_row(input, true);
    }

    fn push_row(&mut self, input: FoldInput<'_>, shown: bool) {
        let row = self.rows;
        let mut paths = RowPaths::default();
        let mut change = shown.then(RowChange::default);
        let step = self.live.fold_input_observed(
            input,
            Some(&mut |c: ChangeRef<'_>| {
                paths.add(c);
                if let Some(change) = &mut change {
                    change.add(c);
                }
            }),
        );
        if let Some(Step::Failed(reason)) = step {
            let shared = match self.errors.values().next_back() {
                Some(last) if **last == *reason => Arc::clone(last),
                _ => Arc::from(reason),
            };
            self.errors.insert(row, shared);
        }
        self.counts.record(&paths);
        self.last_paths = paths;
        self.last_change = change;
        self.rows += 1;
        if self.rows.is_multiple_of(self.every) {
            let state = self.live.state().clone();
            let counts = self.counts.clone();
            let bytes = approx_bytes(&state) + counts.approx_bytes();
            self.checkpoint_bytes += bytes;
            self.checkpoints.push(Checkpoint {
                row: self.rows,
                state,
                folded: self.live.folded(),
                counts,
                bytes,
            });
            while self.checkpoint_bytes > self.budget && self.checkpoints.len() > 1 {
                self.thin_out();
            }
        }
    }

    /// Doubles the spacing: keeps the checkpoints at multiples of it (row 0 always).
    fn thin_out(&mut self) {
        self.every = self.every.saturating_mul(2);
        let every = self.every;
        self.checkpoints
            .retain(|checkpoint| checkpoint.row.is_multiple_of(every));
        self.checkpoint_bytes = self.checkpoints.iter().map(|c| c.bytes).sum();
    }

    /// The state right after row `row` (`None` past the rows folded so far). `input` gives
    /// any earlier row's input again, as [`FoldHistory::push`] was given it.
    pub fn state_after<'a>(
        &self,
        row: usize,
        input: impl Fn(usize) -> FoldInput<'a>,
    ) -> Option<Value> {
        if row >= self.rows {
            return None;
        }
        if row + 1 == self.rows {
            return Some(self.live.state().clone());
        }
        let at = self
            .checkpoints
            .partition_point(|checkpoint| checkpoint.row <= row + 1);
        let checkpoint = &self.checkpoints[at.saturating_sub(1)];
        let mut fold = Fold::resume(
            self.live.spec().clone(),
            checkpoint.state.clone(),
            checkpoint.folded,
        );
        for earlier in checkpoint.row..=row {
            fold.fold_input(input(earlier));
        }
        Some(fold.state().clone())
    }
}

impl FoldHistory {
    /// The state right after row `row` with its counts, its change and the places changed
    /// by the `recent` rows ending with it (`None` past the rows folded so far); `input`
    /// as for [`FoldHistory::state_after`]. It refolds from the checkpoint before the
    /// first of those rows: at most `recent` rows more than a checkpoint's spacing.
    pub fn view_after<'a>(
        &self,
        row: usize,
        recent: usize,
        input: impl Fn(usize) -> FoldInput<'a>,
    ) -> Option<RowView> {
        if row >= self.rows {
            return None;
        }
        let first_recent = (row + 1).saturating_sub(recent.max(1));
        let at = self
            .checkpoints
            .partition_point(|checkpoint| checkpoint.row <= first_recent);
        let checkpoint = &self.checkpoints[at.saturating_sub(1)];
        let mut fold = Fold::resume(
            self.live.spec().clone(),
            checkpoint.state.clone(),
            checkpoint.folded,
        );
        let mut counts = checkpoint.counts.clone();
        let mut recent_places = HashMap::new();
        let mut change = RowChange::default();
        for earlier in checkpoint.row..=row {
            let mut paths = RowPaths::default();
            let last = earlier == row;
            fold.fold_input_observed(
                input(earlier),
                Some(&mut |c: ChangeRef<'_>| {
                    paths.add(c);
                    if last {
                        change.add(c);
                    }
                }),
            );
            counts.record(&paths);
            if earlier >= first_recent {
                for place in paths.touched {
                    recent_places.insert(place, earlier);
                }
            }
        }
        Some(RowView {
            row,
            state: fold.state().clone(),
            counts,
            change,
            recent: recent_places,
        })
    }
}

/// About how many bytes a value holds: its strings and keys, and a few words per node.
fn approx_bytes(value: &Value) -> usize {
    const NODE: usize = 32;
    match value {
        Value::String(text) => NODE + text.len(),
        Value::Array(items) => NODE + items.iter().map(approx_bytes).sum::<usize>(),
        Value::Object(map) => {
            NODE + map
                .iter()
                .map(|(key, item)| NODE + key.len() + approx_bytes(item))
                .sum::<usize>()
        }
        _ => NODE,
    }
}

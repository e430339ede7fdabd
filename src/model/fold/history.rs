//! Scrubbing: the state right after any row, on long streams. The live fold keeps a copy
//! of its state every `every` rows (a checkpoint); the state after row `i` is refolded
//! from the nearest checkpoint at or before it, so it costs at most `every` rows' folding
//! whatever the stream's length. Rows that did not apply keep their reason.

use std::collections::BTreeMap;

use serde_json::Value;

use super::fold_state::{Fold, FoldInput, Step};
use super::spec::FoldSpec;

/// A checkpoint: the state before row `row` (after all the rows before it).
#[derive(Clone, Debug)]
struct Checkpoint {
    row: usize,
    state: Value,
    folded: u64,
}

/// A fold over a timeline's rows, with checkpoints to show any row's state.
#[derive(Clone, Debug)]
pub struct FoldHistory {
    live: Fold,
    /// Rows folded so far (the next row to fold).
    rows: usize,
    every: usize,
    checkpoints: Vec<Checkpoint>,
    errors: BTreeMap<usize, String>,
}

impl FoldHistory {
    /// An empty history with a checkpoint every `every` rows (at least 1).
    pub fn new(spec: FoldSpec, every: usize) -> Self {
        let live = Fold::new(spec);
        let start = Checkpoint {
            row: 0,
            state: live.state().clone(),
            folded: 0,
        };
        Self {
            live,
            rows: 0,
            every: every.max(1),
            checkpoints: vec![start],
            errors: BTreeMap::new(),
        }
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
        self.errors.get(&row).map(String::as_str)
    }

    /// Folds the next row.
    pub fn push(&mut self, input: FoldInput<'_>) {
        let row = self.rows;
        if let Some(Step::Failed(reason)) = self.live.fold_input(input) {
            self.errors.insert(row, reason);
        }
        self.rows += 1;
        if self.rows.is_multiple_of(self.every) {
            self.checkpoints.push(Checkpoint {
                row: self.rows,
                state: self.live.state().clone(),
                folded: self.live.folded(),
            });
        }
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

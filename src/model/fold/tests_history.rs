//! Scrubbing: the state after row i, from checkpoints, equals folding the first i + 1 rows.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{Fold, FoldHistory, FoldInput, FoldSpec};

/// A row: a merge patch as text, a row that is not a message, or a text that is not JSON.
fn row() -> impl Strategy<Value = Option<String>> {
    let key = prop::sample::select(vec!["a", "b", "c", "d"]);
    let value = prop_oneof![
        Just(Value::Null),
        (0..5i64).prop_map(|n| json!(n)),
        Just(json!({"x": 1})),
        Just(json!({"x": null, "y": [1]})),
    ];
    prop_oneof![
        8 => prop::collection::vec((key, value), 0..3).prop_map(|pairs| {
            let object: serde_json::Map<String, Value> =
                pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            Some(Value::Object(object).to_string())
        }),
        1 => Just(None),
        1 => Just(Some("not json".to_owned())),
    ]
}

fn input(rows: &[Option<String>], i: usize) -> FoldInput<'_> {
    match &rows[i] {
        Some(text) => FoldInput::Text(text),
        None => FoldInput::Other,
    }
}

proptest! {
    #[test]
    fn scrubbing_to_row_i_equals_folding_the_first_i_rows(
        rows in prop::collection::vec(row(), 1..80),
        every in 1usize..12,
        rule in prop::sample::select(vec!["merge", "replace", "keyed:$.a"]),
    ) {
        let spec = FoldSpec::parse(rule, None, None, None).unwrap();
        let mut history = FoldHistory::new(spec.clone(), every);
        for i in 0..rows.len() {
            history.push(input(&rows, i));
        }
        for i in 0..rows.len() {
            let mut fold = Fold::new(spec.clone());
            for j in 0..=i {
                fold.fold_input(input(&rows, j));
            }
            let scrubbed = history.state_after(i, |j| input(&rows, j));
            prop_assert_eq!(scrubbed.as_ref(), Some(fold.state()), "row {}", i);
            let failed = rows[i].as_deref() == Some("not json")
                || (rule.starts_with("keyed") && rows[i].as_deref().is_some_and(|t| !t.contains("\"a\"")));
            prop_assert_eq!(history.error(i).is_some(), failed, "row {}", i);
        }
        prop_assert_eq!(history.state_after(rows.len(), |j| input(&rows, j)), None);
    }
}

#[test]
fn a_row_is_shown_by_refolding_at_most_a_checkpoint_interval() {
    let rows: Vec<Option<String>> = (0..10_000)
        .map(|i| Some(format!(r#"{{"k{}":{i}}}"#, i % 7)))
        .collect();
    let spec = FoldSpec::parse("merge", None, None, None).unwrap();
    let mut history = FoldHistory::new(spec, 100);
    for i in 0..rows.len() {
        history.push(input(&rows, i));
    }
    let asked = std::cell::Cell::new(0);
    let state = history.state_after(5_050, |j| {
        asked.set(asked.get() + 1);
        input(&rows, j)
    });
    assert!(asked.get() <= 100, "refolded {} rows", asked.get());
    // Row 5050 (5050 % 7 == 3) set k3 last.
    assert_eq!(state.unwrap()["k3"], json!(5_050));
}

#[test]
fn checkpoints_stay_within_their_budget_and_rows_still_show_right() {
    // Each state grows by a 1 KB string: 300 rows would be ~45 MB of checkpoints unbounded.
    let rows: Vec<Option<String>> = (0..300)
        .map(|i| Some(format!(r#"{{"k{i}":"{}"}}"#, "x".repeat(1000))))
        .collect();
    let spec = FoldSpec::parse("merge", None, None, None).unwrap();
    let budget = 200_000;
    let mut history = FoldHistory::new(spec.clone(), 4).with_checkpoint_budget(budget);
    for i in 0..rows.len() {
        history.push(input(&rows, i));
        assert!(history.checkpoint_bytes() <= budget, "row {i}");
    }
    assert!(history.checkpoint_every() > 4, "the spacing grew");
    for i in [0, 1, 77, 150, 298, 299] {
        let mut fold = Fold::new(spec.clone());
        for j in 0..=i {
            fold.fold_input(input(&rows, j));
        }
        let scrubbed = history.state_after(i, |j| input(&rows, j));
        assert_eq!(scrubbed.as_ref(), Some(fold.state()), "row {i}");
    }
}

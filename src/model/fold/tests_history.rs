//! Scrubbing: the state after row i, from checkpoints, equals folding the first i + 1 rows.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{ChangeKind, Fold, FoldHistory, FoldInput, FoldSpec, RowPaths, UpdateCounts};

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

    #[test]
    fn the_view_of_row_i_has_the_counts_of_the_first_i_rows(
        rows in prop::collection::vec(row(), 1..60),
        every in 1usize..9,
        recent in 1usize..6,
        rule in prop::sample::select(vec!["merge", "replace", "keyed:$.a"]),
    ) {
        let spec = FoldSpec::parse(rule, None, None, None).unwrap();
        let mut history = FoldHistory::new(spec.clone(), every);
        for i in 0..rows.len() {
            history.push(input(&rows, i));
        }
        let mut fold = Fold::new(spec.clone());
        let mut counts = UpdateCounts::default();
        for i in 0..rows.len() {
            let mut paths = RowPaths::default();
            let mut seen = Vec::new();
            let before = fold.state().clone();
            fold.fold_input_observed(
                input(&rows, i),
                Some(&mut |c| {
                    paths.add(c);
                    seen.push((c.path.to_owned(), c.kind));
                }),
            );
            counts.record(&paths);
            // The places a message touches give the same changes as comparing whole states.
            let mut whole = Vec::new();
            super::changes::diff(&mut String::new(), Some(&before), Some(fold.state()), &mut |c| {
                whole.push((c.path.to_owned(), c.kind));
            });
            seen.sort_by(|a, b| a.0.cmp(&b.0));
            whole.sort_by(|a, b| a.0.cmp(&b.0));
            prop_assert_eq!(seen, whole, "row {}", i);
            let view = history.view_after(i, recent, |j| input(&rows, j)).unwrap();
            prop_assert_eq!(&view.state, fold.state(), "row {}", i);
            prop_assert_eq!(&view.counts, &counts, "row {}", i);
            // Its own changes are the most recent ones.
            for place in &paths.touched {
                prop_assert_eq!(view.recent.get(place), Some(&i));
            }
            prop_assert!(view.recent.values().all(|&r| r <= i && r + recent > i));
        }
        prop_assert_eq!(history.counts(), &counts);
        prop_assert_eq!(history.last_change(), None, "pushed without its change");
        let mut shown = FoldHistory::new(spec.clone(), every);
        for i in 0..rows.len() {
            if i + 1 == rows.len() {
                shown.push_shown(input(&rows, i));
            } else {
                shown.push(input(&rows, i));
            }
        }
        let last = history.view_after(rows.len() - 1, 1, |j| input(&rows, j)).unwrap();
        prop_assert_eq!(Some(&last.change), shown.last_change());
    }
}

#[test]
fn a_row_shows_what_it_changed_and_each_place_counts_its_updates() {
    let rows: Vec<Option<String>> = [
        r#"{"bids":{"10":1,"9":2},"asks":{"11":1}}"#,
        r#"{"bids":{"10":null,"8":5}}"#,
        r#"{"bids":{"9":3}}"#,
    ]
    .iter()
    .map(|text| Some((*text).to_owned()))
    .collect();
    let spec = FoldSpec::parse("merge", None, None, None).unwrap();
    let mut history = FoldHistory::new(spec, 2);
    for i in 0..rows.len() {
        history.push_shown(input(&rows, i));
    }
    let view = history.view_after(1, 8, |j| input(&rows, j)).unwrap();
    let listed: Vec<_> = view
        .change
        .listed
        .iter()
        .map(|c| (c.path.as_str(), c.kind, c.old.as_deref(), c.new.as_deref()))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("/bids/10", ChangeKind::Removed, Some("1"), None),
            ("/bids/8", ChangeKind::Added, None, Some("5")),
        ]
    );
    assert_eq!(view.counts.get("/bids"), 2);
    assert_eq!(
        view.counts.get("/bids/9"),
        0,
        "not yet changed since it was added"
    );
    assert_eq!(view.counts.get("/asks"), 1);
    assert_eq!(view.recent.get("/bids/8"), Some(&1));
    assert_eq!(view.recent.get("/asks"), Some(&0));
    assert_eq!(history.counts().get("/bids/9"), 1);
    assert_eq!(history.counts().get("/bids"), 3);
    assert_eq!(history.counts().get(""), 3);
    let last = &history.last_change().expect("kept").listed;
    assert_eq!(last.len(), 1);
    assert_eq!(
        (last[0].old.as_deref(), last[0].new.as_deref()),
        (Some("2"), Some("3"))
    );
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

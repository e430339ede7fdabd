//! Folding streams: each rule, the select path, the filter, and errors that do not stop it.

use serde_json::json;

use super::{Fold, FoldSpec, Step};

fn fold(rule: &str, select: Option<&str>, filter: Option<&str>, delete: Option<&str>) -> Fold {
    Fold::new(FoldSpec::parse(rule, select, filter, delete).unwrap())
}

#[test]
fn replace_keeps_the_last_message() {
    let mut f = fold("replace", None, None, None);
    assert_eq!(f.state(), &json!(null));
    assert_eq!(f.fold_text(r#"{"n":1}"#), Step::Applied);
    assert_eq!(f.fold_text(r#"{"n":2}"#), Step::Applied);
    assert_eq!(f.state(), &json!({"n":2}));
    assert_eq!(f.folded(), 2);
}

#[test]
fn merge_with_select_and_filter() {
    let mut f = fold("merge", Some("$.book"), Some(r#"$.type != "final""#), None);
    f.fold_text(r#"{"type":"snapshot","book":{"bids":{"10":1,"9":2}}}"#);
    f.fold_text(r#"{"type":"delta","book":{"bids":{"10":null,"8":5}}}"#);
    assert_eq!(
        f.fold_text(r#"{"type":"final","book":{}}"#),
        Step::Skipped,
        "the filter leaves it out"
    );
    assert_eq!(f.fold_text("heartbeat"), Step::Skipped);
    assert_eq!(f.state(), &json!({"bids":{"9":2,"8":5}}));
    assert_eq!(f.folded(), 2);
}

#[test]
fn patch_errors_are_reported_and_folding_goes_on() {
    let mut f = fold("patch", None, None, None);
    f.fold_text(r#"[{"op":"add","path":"/a","value":1}]"#);
    let Step::Failed(reason) = f.fold_text(r#"[{"op":"replace","path":"/nope","value":2}]"#) else {
        panic!("a missing path fails");
    };
    assert!(reason.contains("/nope"), "{reason}");
    assert_eq!(
        f.fold_text(r#"{"op":"add","path":"/b","value":3}"#),
        Step::Applied
    );
    assert!(matches!(f.fold_text("not json"), Step::Failed(r) if r.contains("not JSON")));
    assert!(matches!(f.fold_text("42"), Step::Failed(r) if r.contains("array")));
    assert_eq!(f.state(), &json!({"a":1,"b":3}));
}

#[test]
fn keyed_keeps_the_latest_per_key_and_deletes() {
    let mut f = fold("keyed:$.id", None, None, Some(r#"$.op == "delete""#));
    f.fold_text(r#"{"id":"ada","op":"join","x":1}"#);
    f.fold_text(r#"{"id":7,"op":"join"}"#);
    f.fold_text(r#"{"id":"ada","op":"move","x":2}"#);
    assert_eq!(
        f.state(),
        &json!({"ada":{"id":"ada","op":"move","x":2},"7":{"id":7,"op":"join"}})
    );
    f.fold_text(r#"{"id":"ada","op":"delete"}"#);
    assert_eq!(f.state(), &json!({"7":{"id":7,"op":"join"}}));
    assert!(matches!(f.fold_text(r#"{"op":"join"}"#), Step::Failed(r) if r.contains("$.id")));
}

#[test]
fn keyed_reads_the_key_in_the_selected_part() {
    let mut f = fold(
        "keyed:$.id",
        Some("$.data"),
        None,
        Some(r#"$.type == "leave""#),
    );
    f.fold_text(r#"{"type":"join","data":{"id":1,"name":"a"}}"#);
    f.fold_text(r#"{"type":"join","data":{"id":2,"name":"b"}}"#);
    f.fold_text(r#"{"type":"leave","data":{"id":1}}"#);
    assert_eq!(f.state(), &json!({"2":{"id":2,"name":"b"}}));
    assert!(matches!(f.fold_text(r#"{"type":"join"}"#), Step::Failed(r) if r.contains("$.data")));
}

#[test]
fn path_data_sets_values_at_pointers() {
    let mut f = fold("pathdata", None, None, None);
    f.fold_text(r#"{"path":"","data":{"users":{"a":{"n":1}},"list":[1]}}"#);
    f.fold_text(r#"{"path":"/users/b/n","data":2}"#);
    f.fold_text(r#"{"path":"/list/-","data":2}"#);
    f.fold_text(r#"{"path":"/list/0","data":0}"#);
    f.fold_text(r#"{"path":"/a~1b","data":true}"#);
    assert_eq!(
        f.state(),
        &json!({"users":{"a":{"n":1},"b":{"n":2}},"list":[0,2],"a/b":true})
    );
    for (bad, why) in [
        (r#"{"path":"/list/5","data":1}"#, "past"),
        (r#"{"path":"/users/a/n/deep","data":1}"#, "inside"),
        (r#"{"path":"nope","data":1}"#, "pointer"),
        (r#"{"path":"/x"}"#, "data"),
        (r#"{"data":1}"#, "path"),
    ] {
        let before = f.state().clone();
        assert!(
            matches!(f.fold_text(bad), Step::Failed(ref r) if r.contains(why)),
            "{bad}"
        );
        assert_eq!(f.state(), &before);
    }
}

#[test]
fn a_decoded_value_folds_like_text() {
    let mut f = fold("merge", None, Some("$.a"), None);
    assert_eq!(f.fold_value(&json!({"a":1})), Step::Applied);
    assert_eq!(f.fold_value(&json!({"b":1})), Step::Skipped);
    assert_eq!(f.state(), &json!({"a":1}));
}

#[test]
fn bad_settings_are_refused_with_the_reason() {
    assert!(FoldSpec::parse("merge", None, None, Some("$.op == 1")).is_err());
    assert!(FoldSpec::parse("merge", Some("data"), None, None).is_err());
    assert!(FoldSpec::parse("merge", None, Some("$.a ~ 1"), None).is_err());
}

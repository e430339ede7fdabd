//! The RFCs' own examples: RFC 7386 appendix A and RFC 6902 appendix A.

use serde_json::{Value, json};

use super::apply::apply;
use super::rule::FoldRule;
use super::{Fold, FoldInput, FoldSpec};

/// `target` with `patch` applied by `rule`: the result, or the error.
fn applied(rule: &FoldRule, target: Value, patch: Value) -> Result<Value, String> {
    let mut state = target;
    apply(rule, &mut state, patch, false).map(|()| state)
}

/// The changes the fold reports from the places the patch touches, and those found by
/// comparing the whole documents: the same, sorted by path.
fn reported_and_whole_changes(rule: &FoldRule, target: &Value, patch: &Value) -> [Vec<String>; 2] {
    let mut fold = Fold::resume(FoldSpec::new(rule.clone()), target.clone(), 0);
    let mut reported = Vec::new();
    fold.fold_input_observed(
        FoldInput::Value(patch),
        Some(&mut |c| reported.push(format!("{} {:?}", c.path, c.kind))),
    );
    let mut whole = Vec::new();
    super::changes::diff(
        &mut String::new(),
        Some(target),
        Some(fold.state()),
        &mut |c| {
            whole.push(format!("{} {:?}", c.path, c.kind));
        },
    );
    reported.sort();
    whole.sort();
    [reported, whole]
}

#[test]
fn rfc7386_appendix_a() {
    let table = [
        (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
        (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
        (json!({"a":"b"}), json!({"a":null}), json!({})),
        (
            json!({"a":"b","b":"c"}),
            json!({"a":null}),
            json!({"b":"c"}),
        ),
        (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
        (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
        (
            json!({"a":{"b":"c"}}),
            json!({"a":{"b":"d","c":null}}),
            json!({"a":{"b":"d"}}),
        ),
        (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
        (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
        (json!({"a":"b"}), json!(["c"]), json!(["c"])),
        (json!({"a":"foo"}), json!(null), json!(null)),
        (json!({"a":"foo"}), json!("bar"), json!("bar")),
        (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
        (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
        (
            json!({}),
            json!({"a":{"bb":{"ccc":null}}}),
            json!({"a":{"bb":{}}}),
        ),
    ];
    for (target, patch, result) in table {
        let got = applied(&FoldRule::Merge, target.clone(), patch.clone());
        assert_eq!(got, Ok(result), "{target} merged with {patch}");
        let [reported, whole] = reported_and_whole_changes(&FoldRule::Merge, &target, &patch);
        assert_eq!(reported, whole, "{target} merged with {patch}");
    }
}

#[test]
fn rfc6902_appendix_a_successes() {
    let cases = [
        // A.1 Adding an Object Member
        (
            json!({"foo":"bar"}),
            json!([{"op":"add","path":"/baz","value":"qux"}]),
            json!({"baz":"qux","foo":"bar"}),
        ),
        // A.2 Adding an Array Element
        (
            json!({"foo":["bar","baz"]}),
            json!([{"op":"add","path":"/foo/1","value":"qux"}]),
            json!({"foo":["bar","qux","baz"]}),
        ),
        // A.3 Removing an Object Member
        (
            json!({"baz":"qux","foo":"bar"}),
            json!([{"op":"remove","path":"/baz"}]),
            json!({"foo":"bar"}),
        ),
        // A.4 Removing an Array Element
        (
            json!({"foo":["bar","qux","baz"]}),
            json!([{"op":"remove","path":"/foo/1"}]),
            json!({"foo":["bar","baz"]}),
        ),
        // A.5 Replacing a Value
        (
            json!({"baz":"qux","foo":"bar"}),
            json!([{"op":"replace","path":"/baz","value":"boo"}]),
            json!({"baz":"boo","foo":"bar"}),
        ),
        // A.6 Moving a Value
        (
            json!({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}),
            json!([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]),
            json!({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}),
        ),
        // A.7 Moving an Array Element
        (
            json!({"foo":["all","grass","cows","eat"]}),
            json!([{"op":"move","from":"/foo/1","path":"/foo/3"}]),
            json!({"foo":["all","cows","eat","grass"]}),
        ),
        // A.8 Testing a Value: Success
        (
            json!({"baz":"qux","foo":["a",2,"c"]}),
            json!([{"op":"test","path":"/baz","value":"qux"},
                   {"op":"test","path":"/foo/1","value":2}]),
            json!({"baz":"qux","foo":["a",2,"c"]}),
        ),
        // A.10 Adding a Nested Member Object
        (
            json!({"foo":"bar"}),
            json!([{"op":"add","path":"/child","value":{"grandchild":{}}}]),
            json!({"foo":"bar","child":{"grandchild":{}}}),
        ),
        // A.11 Ignoring Unrecognized Elements
        (
            json!({"foo":"bar"}),
            json!([{"op":"add","path":"/baz","value":"qux","xyz":123}]),
            json!({"foo":"bar","baz":"qux"}),
        ),
        // A.14 ~ Escape Ordering
        (
            json!({"/":9,"~1":10}),
            json!([{"op":"test","path":"/~01","value":10}]),
            json!({"/":9,"~1":10}),
        ),
        // A.16 Adding an Array Value
        (
            json!({"foo":["bar"]}),
            json!([{"op":"add","path":"/foo/-","value":["abc","def"]}]),
            json!({"foo":["bar",["abc","def"]]}),
        ),
    ];
    for (target, patch, result) in cases {
        let got = applied(&FoldRule::Patch, target.clone(), patch.clone());
        assert_eq!(got, Ok(result), "{target} patched with {patch}");
        let [reported, whole] = reported_and_whole_changes(&FoldRule::Patch, &target, &patch);
        assert_eq!(reported, whole, "{target} patched with {patch}");
    }
}

#[test]
fn rfc6902_appendix_a_errors_leave_the_document_unchanged() {
    let cases = [
        // A.9 Testing a Value: Error
        (
            json!({"baz":"qux"}),
            json!([{"op":"test","path":"/baz","value":"bar"}]),
        ),
        // A.12 Adding to a Nonexistent Target
        (
            json!({"foo":"bar"}),
            json!([{"op":"add","path":"/baz/bat","value":"qux"}]),
        ),
        // A.15 Comparing Strings and Numbers
        (
            json!({"/":9,"~1":10}),
            json!([{"op":"test","path":"/~01","value":"10"}]),
        ),
        // Not in the appendix: a later failing operation undoes the earlier ones.
        (
            json!({"a":1}),
            json!([{"op":"add","path":"/b","value":2},
                   {"op":"remove","path":"/missing"}]),
        ),
    ];
    for (target, patch) in cases {
        let mut state = target.clone();
        let result = apply(&FoldRule::Patch, &mut state, patch.clone(), false);
        assert!(result.is_err(), "{patch} should fail on {target}");
        assert_eq!(state, target, "{patch} changed the document");
    }
}

#[test]
fn rfc6902_a12_says_where_it_failed() {
    let result = applied(
        &FoldRule::Patch,
        json!({"foo":"bar"}),
        json!([{"op":"add","path":"/baz/bat","value":"qux"}]),
    );
    let reason = result.unwrap_err();
    assert!(reason.contains("/baz/bat"), "{reason}");
}

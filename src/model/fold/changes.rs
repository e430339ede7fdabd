//! What one message changed in the state: the places its part touches (from the part and
//! the rule, never by comparing whole documents), and the difference at each of them
//! between the state before and after, as added, removed and changed JSON pointers.

use serde_json::Value;

use super::apply::key_text;
use super::rule::FoldRule;

/// How deep the difference goes; deeper, a changed subtree is one change.
const MAX_DIFF_DEPTH: usize = 128;

/// What happened at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// The path was not there before.
    Added,
    /// The path is gone.
    Removed,
    /// The value at the path is another one.
    Changed,
}

/// One change, as the fold reports it: the path (an RFC 6901 JSON pointer, `""` for the
/// whole state) and the values before and after.
#[derive(Clone, Copy, Debug)]
pub struct ChangeRef<'a> {
    /// The JSON pointer of the value that changed.
    pub path: &'a str,
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// The value before (`None` when added).
    pub old: Option<&'a Value>,
    /// The value after (`None` when removed).
    pub new: Option<&'a Value>,
}

/// `name` as one JSON pointer token (`~` → `~0`, `/` → `~1`).
pub fn escape_token(name: &str) -> std::borrow::Cow<'_, str> {
    if name.contains(['~', '/']) {
        name.replace('~', "~0").replace('/', "~1").into()
    } else {
        name.into()
    }
}

/// The places a message's `part` touches in `state` under `rule` (JSON pointers, none
/// inside another), read before it is applied; `delete` as for the keyed rule.
pub(super) fn touched(rule: &FoldRule, state: &Value, part: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match rule {
        FoldRule::Replace => out.push(String::new()),
        FoldRule::Merge => merge_touched(state, part, &mut String::new(), &mut out),
        FoldRule::Patch => patch_touched(state, part, &mut out),
        FoldRule::Keyed(key) => {
            if let Some(found) = key.get(part) {
                let pointer = format!("/{}", escape_token(&key_text(found)));
                out.push(first_missing(state, &pointer));
            }
        }
        FoldRule::PathData => {
            if let Some(Value::String(pointer)) = part.get("path") {
                out.push(first_missing(state, pointer));
            }
        }
    }
    outermost(out)
}

/// RFC 7386: a patch object merges into an object member by member; anything else
/// replaces the value where it lands.
fn merge_touched(state: &Value, patch: &Value, path: &mut String, out: &mut Vec<String>) {
    match (state, patch) {
        (Value::Object(target), Value::Object(members)) => {
            for (name, value) in members {
                let len = path.len();
                path.push('/');
                path.push_str(&escape_token(name));
                match target.get(name) {
                    Some(inner) => merge_touched(inner, value, path, out),
                    None if value.is_null() => {}
                    None => out.push(path.clone()),
                }
                path.truncate(len);
            }
        }
        _ => out.push(path.clone()),
    }
}

/// RFC 6902: each operation's `path` (and a move's `from`); an operation that inserts into
/// or removes from an array shifts its items, so the array is the place touched.
fn patch_touched(state: &Value, part: &Value, out: &mut Vec<String>) {
    let ops = match part {
        Value::Array(ops) => ops.as_slice(),
        single => std::slice::from_ref(single),
    };
    for op in ops {
        let name = op.get("op").and_then(Value::as_str).unwrap_or_default();
        if name == "test" {
            continue;
        }
        let shifts = matches!(name, "add" | "remove" | "move" | "copy");
        let mut paths = vec![op.get("path")];
        if name == "move" {
            paths.push(op.get("from"));
        }
        for pointer in paths.into_iter().flatten().filter_map(Value::as_str) {
            let parent = pointer.rfind('/').map(|at| &pointer[..at]);
            let in_array = parent
                .is_some_and(|parent| shifts && state.pointer(parent).is_some_and(Value::is_array));
            match parent {
                Some(parent) if in_array => out.push(parent.to_owned()),
                _ => out.push(first_missing(state, pointer)),
            }
        }
    }
}

/// The pointer cut after its first token that `state` does not have (or at a scalar on
/// the way, which becomes an object), so that a value made on the way is one addition.
fn first_missing(state: &Value, pointer: &str) -> String {
    let Some(tokens) = pointer.strip_prefix('/') else {
        return String::new();
    };
    let mut current = state;
    let mut end = 0;
    for token in tokens.split('/') {
        let name = token.replace("~1", "/").replace("~0", "~");
        let next = match current {
            Value::Object(map) => map.get(&name),
            Value::Array(items) => name.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => return pointer[..end].to_owned(),
        };
        end += 1 + token.len();
        match next {
            Some(next) => current = next,
            None => return pointer[..end].to_owned(),
        }
    }
    pointer.to_owned()
}

/// The paths without duplicates and without any inside another one kept (each path's
/// outer paths looked up: the cost follows the paths' depth, not their number squared).
fn outermost(mut paths: Vec<String>) -> Vec<String> {
    if paths.len() < 2 {
        return paths;
    }
    // Shorter first: an outer path is seen before the paths inside it.
    paths.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    paths.dedup();
    let mut kept: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut keep = vec![false; paths.len()];
    for (at, path) in paths.iter().enumerate() {
        let inside = kept.contains("")
            || path
                .match_indices('/')
                .skip(1)
                .any(|(end, _)| kept.contains(&path[..end]));
        if !inside {
            kept.insert(path.as_str());
            keep[at] = true;
        }
    }
    let mut out: Vec<String> = paths
        .into_iter()
        .zip(keep)
        .filter_map(|(path, keep)| keep.then_some(path))
        .collect();
    out.sort();
    out
}

/// Reports the differences between `old` and `new` at `path`: members and items are
/// compared one by one, so a changed leaf is reported at its own path.
pub(super) fn diff(
    path: &mut String,
    old: Option<&Value>,
    new: Option<&Value>,
    sink: &mut dyn FnMut(ChangeRef<'_>),
) {
    diff_at(path, old, new, 0, sink);
}

fn diff_at(
    path: &mut String,
    old: Option<&Value>,
    new: Option<&Value>,
    depth: usize,
    sink: &mut dyn FnMut(ChangeRef<'_>),
) {
    let kind = match (old, new) {
        (None, None) => return,
        (None, Some(_)) => ChangeKind::Added,
        (Some(_), None) => ChangeKind::Removed,
        (Some(Value::Object(before)), Some(Value::Object(after))) if depth < MAX_DIFF_DEPTH => {
            for (name, was) in before {
                let len = path.len();
                path.push('/');
                path.push_str(&escape_token(name));
                diff_at(path, Some(was), after.get(name), depth + 1, sink);
                path.truncate(len);
            }
            for (name, is) in after {
                if !before.contains_key(name) {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&escape_token(name));
                    diff_at(path, None, Some(is), depth + 1, sink);
                    path.truncate(len);
                }
            }
            return;
        }
        (Some(Value::Array(before)), Some(Value::Array(after))) if depth < MAX_DIFF_DEPTH => {
            for index in 0..before.len().max(after.len()) {
                let len = path.len();
                path.push('/');
                path.push_str(&index.to_string());
                diff_at(path, before.get(index), after.get(index), depth + 1, sink);
                path.truncate(len);
            }
            return;
        }
        (Some(before), Some(after)) if before == after => return,
        (Some(_), Some(_)) => ChangeKind::Changed,
    };
    sink(ChangeRef {
        path,
        kind,
        old,
        new,
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn changes(old: &Value, new: &Value) -> Vec<(String, ChangeKind)> {
        let mut out = Vec::new();
        diff(&mut String::new(), Some(old), Some(new), &mut |change| {
            out.push((change.path.to_owned(), change.kind));
        });
        out
    }

    #[test]
    fn only_the_outermost_places_are_kept() {
        let paths = ["/a/b", "/a", "/a-x", "/a/b/c", "/b", "/a-x/y", "/a"];
        assert_eq!(
            outermost(paths.iter().map(|p| (*p).to_owned()).collect()),
            vec!["/a", "/a-x", "/b"]
        );
        assert_eq!(
            outermost(vec!["/a".into(), String::new()]),
            vec![String::new()]
        );
    }

    #[test]
    fn differences_are_reported_at_their_leaves() {
        let old = json!({"a": 1, "b": {"c": [1, 2]}, "gone": true, "s/t": 0});
        let new = json!({"a": 2, "b": {"c": [1]}, "new": null, "s/t": 0});
        assert_eq!(
            changes(&old, &new),
            vec![
                ("/a".into(), ChangeKind::Changed),
                ("/b/c/1".into(), ChangeKind::Removed),
                ("/gone".into(), ChangeKind::Removed),
                ("/new".into(), ChangeKind::Added),
            ]
        );
        assert_eq!(
            changes(&json!({"x": {"y": 1}}), &json!({"x": 5})),
            vec![("/x".into(), ChangeKind::Changed)]
        );
        assert!(changes(&old, &old).is_empty());
    }

    #[test]
    fn touched_places_come_from_the_part_and_the_rule() {
        let state = json!({"bids": {"10": 1}, "list": [1, 2], "n": null});
        let merge = "merge".parse().unwrap();
        assert_eq!(
            touched(
                &merge,
                &state,
                &json!({"bids": {"10": null, "9": 2}, "x": {"y": 1}})
            ),
            vec!["/bids/10", "/bids/9", "/x"]
        );
        assert_eq!(touched(&merge, &state, &json!([1])), vec![""]);
        let patch = "patch".parse().unwrap();
        assert_eq!(
            touched(
                &patch,
                &state,
                &json!([
                    {"op": "add", "path": "/list/0", "value": 0},
                    {"op": "replace", "path": "/bids/10", "value": 3},
                    {"op": "test", "path": "/n", "value": null},
                    {"op": "add", "path": "/list/-", "value": 9}
                ])
            ),
            vec!["/bids/10", "/list"]
        );
        let pathdata = "pathdata".parse().unwrap();
        assert_eq!(
            touched(&pathdata, &state, &json!({"path": "/n/deep/er", "data": 1})),
            vec!["/n"],
            "the null becomes an object"
        );
        assert_eq!(
            touched(&pathdata, &state, &json!({"path": "/new/deep", "data": 1})),
            vec!["/new"]
        );
        let keyed = "keyed:$.id".parse().unwrap();
        assert_eq!(
            touched(&keyed, &state, &json!({"id": "a/b"})),
            vec!["/a~1b"]
        );
    }
}

//! A three-way merge of template lists, by name: what this window last read from a file
//! (`base`), what it wants to write (`ours`) and what the file holds now (`theirs`, written
//! meanwhile by another window). Used so that two windows sharing one template library do
//! not undo each other's changes.
//!
//! Per template: a change on one side only is taken; a change on both sides goes to the
//! last writer (ours) and is reported; a deletion is respected unless the other side
//! changed the template meanwhile (then the changed template is kept, as nothing should be
//! lost silently). Templates added by the other window keep their place after the
//! template they followed there.

use std::collections::HashSet;

use super::template::Template;

/// The merged list and what happened to the other window's changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    /// The templates to keep, in order.
    pub templates: Vec<Template>,
    /// Templates both sides changed differently; ours was kept.
    pub replaced: Vec<String>,
    /// Templates that one side deleted while the other changed them; the changed one was
    /// kept.
    pub kept_despite_deletion: Vec<String>,
}

impl Merged {
    /// One sentence on what a user should know about the merge, or `None` when the other
    /// side's changes were all taken as they were.
    pub fn summary(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.replaced.is_empty() {
            parts.push(format!(
                "your version of {} replaced the one saved by another window",
                quoted(&self.replaced)
            ));
        }
        if !self.kept_despite_deletion.is_empty() {
            parts.push(format!(
                "{} deleted on one side but changed on the other, so kept",
                quoted(&self.kept_despite_deletion)
            ));
        }
        if parts.is_empty() {
            None
        } else {
            Some(parts.join("; "))
        }
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("{name:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn by_name<'a>(list: &'a [Template], name: &str) -> Option<&'a Template> {
    list.iter().find(|t| t.name == name)
}

/// Merges `ours` and `theirs`, both derived from `base` (see the module documentation).
pub fn merge(base: &[Template], ours: &[Template], theirs: &[Template]) -> Merged {
    let mut merged = Merged::default();
    let mut seen: HashSet<&str> = HashSet::new();
    for mine in ours {
        if !seen.insert(mine.name.as_str()) {
            // A repeated name (a hand-edited file): the first one counts, as in lookups.
            continue;
        }
        let old = by_name(base, &mine.name);
        let other = by_name(theirs, &mine.name);
        let unchanged_by_us = old == Some(mine);
        match (unchanged_by_us, other) {
            // Untouched here: whatever the other window did wins (a change or a deletion).
            (true, Some(other)) => merged.templates.push(other.clone()),
            (true, None) => {}
            (false, Some(other)) => {
                if other != mine && old != Some(other) {
                    merged.replaced.push(mine.name.clone());
                }
                merged.templates.push(mine.clone());
            }
            (false, None) => {
                if old.is_some() {
                    merged.kept_despite_deletion.push(mine.name.clone());
                }
                merged.templates.push(mine.clone());
            }
        }
    }
    // What only the other side has: added there (kept), or deleted here (dropped unless
    // the other side changed it since).
    let mut after: Option<&str> = None;
    for other in theirs {
        let name = other.name.as_str();
        if seen.contains(name) {
            after = Some(name);
            continue;
        }
        seen.insert(name);
        let keep = match by_name(base, name) {
            None => true,
            Some(old) if old != other => {
                merged.kept_despite_deletion.push(other.name.clone());
                true
            }
            Some(_) => false,
        };
        if keep {
            let at = after
                .and_then(|prev| merged.templates.iter().position(|t| t.name == prev))
                .map_or(0, |i| i + 1);
            merged.templates.insert(at, other.clone());
            after = Some(name);
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::template::MessageFormat;

    fn t(name: &str, body: &str) -> Template {
        Template::new(name, MessageFormat::Text, body)
    }

    fn names(merged: &Merged) -> Vec<(&str, &str)> {
        merged
            .templates
            .iter()
            .map(|t| (t.name.as_str(), t.body.as_str()))
            .collect()
    }

    #[test]
    fn nothing_changed_elsewhere_keeps_ours() {
        let base = [t("a", "1"), t("b", "2")];
        let ours = [t("b", "2"), t("a", "one"), t("c", "3")];
        let merged = merge(&base, &ours, &base);
        assert_eq!(names(&merged), [("b", "2"), ("a", "one"), ("c", "3")]);
        assert_eq!(merged.summary(), None);
    }

    #[test]
    fn additions_on_both_sides_are_kept_in_place() {
        let base = [t("a", "1"), t("b", "2")];
        let ours = [t("a", "1"), t("b", "2"), t("mine", "m")];
        let theirs = [t("a", "1"), t("theirs", "x"), t("b", "2")];
        let merged = merge(&base, &ours, &theirs);
        assert_eq!(
            names(&merged),
            [("a", "1"), ("theirs", "x"), ("b", "2"), ("mine", "m")]
        );
        assert_eq!(merged.summary(), None);
    }

    #[test]
    fn changes_and_deletions_on_one_side_are_taken() {
        let base = [t("a", "1"), t("b", "2"), t("c", "3"), t("d", "4")];
        // We changed a and deleted c; they changed b and deleted d.
        let ours = [t("a", "ours"), t("b", "2"), t("d", "4")];
        let theirs = [t("a", "1"), t("b", "theirs"), t("c", "3")];
        let merged = merge(&base, &ours, &theirs);
        assert_eq!(names(&merged), [("a", "ours"), ("b", "theirs")]);
        assert_eq!(merged.summary(), None);
    }

    #[test]
    fn conflicts_go_to_the_last_writer_and_are_reported() {
        let base = [t("a", "1"), t("b", "2"), t("c", "3")];
        // Both changed a; we deleted b which they changed; they deleted c which we changed.
        let ours = [t("a", "ours"), t("c", "ours")];
        let theirs = [t("a", "theirs"), t("b", "theirs")];
        let merged = merge(&base, &ours, &theirs);
        assert_eq!(
            names(&merged),
            [("a", "ours"), ("b", "theirs"), ("c", "ours")]
        );
        assert_eq!(merged.replaced, ["a"]);
        assert_eq!(merged.kept_despite_deletion, ["c", "b"]);
        let summary = merged.summary().unwrap();
        assert!(summary.contains("\"a\""), "{summary}");
        assert!(summary.contains("\"b\", \"c\"") || summary.contains("\"c\", \"b\""));
    }

    #[test]
    fn the_same_name_added_on_both_sides_is_a_conflict() {
        let merged = merge(&[], &[t("n", "ours")], &[t("n", "theirs")]);
        assert_eq!(names(&merged), [("n", "ours")]);
        assert_eq!(merged.replaced, ["n"]);
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        let base = [t("a", "1")];
        let both = [t("a", "2"), t("new", "n")];
        let merged = merge(&base, &both, &both);
        assert_eq!(names(&merged), [("a", "2"), ("new", "n")]);
        assert_eq!(merged.summary(), None);
    }

    #[test]
    fn repeated_names_keep_the_first() {
        let ours = [t("a", "1"), t("a", "2")];
        let theirs = [t("b", "1"), t("b", "2")];
        let merged = merge(&[], &ours, &theirs);
        assert_eq!(names(&merged), [("b", "1"), ("a", "1")]);
    }
}

//! How many messages changed each place of the state: a count per JSON pointer, kept up
//! one message at a time from the changes the fold reports (a message counts once for a
//! place and for each place around it). A removed place loses its count and the counts
//! inside it, so the counts hold no more places than the state has had at once.

use std::collections::{BTreeMap, HashSet};

use super::changes::{ChangeKind, ChangeRef};

/// Updates per place (JSON pointer; `""` is the whole state).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdateCounts {
    counts: BTreeMap<String, u64>,
}

impl UpdateCounts {
    /// How many messages changed `path` or something inside it.
    pub fn get(&self, path: &str) -> u64 {
        self.counts.get(path).copied().unwrap_or(0)
    }

    /// How many places have a count.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// True when no place has a count.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// About how many bytes the counts hold.
    pub fn approx_bytes(&self) -> usize {
        self.counts.keys().map(|path| 48 + path.len()).sum()
    }

    /// Counts one message's changes.
    pub fn record(&mut self, changes: &RowPaths) {
        for path in &changes.gone {
            self.forget_inside(path, true);
        }
        for path in &changes.reshaped {
            self.forget_inside(path, false);
        }
        for path in &changes.touched {
            match self.counts.get_mut(path) {
                Some(count) => *count += 1,
                None => {
                    self.counts.insert(path.clone(), 1);
                }
            }
        }
    }

    /// Drops the counts inside `path` (and its own when `itself`).
    fn forget_inside(&mut self, path: &str, itself: bool) {
        if itself {
            self.counts.remove(path);
        }
        let prefix = format!("{path}/");
        let inside: Vec<String> = self
            .counts
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .map(|(key, _)| key.clone())
            .collect();
        for key in inside {
            self.counts.remove(&key);
        }
    }
}

/// The places one message changed: each changed path and every path around it, once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowPaths {
    /// Changed places and the places around them.
    pub touched: HashSet<String>,
    /// Places removed.
    pub gone: Vec<String>,
    /// Places whose value became another kind (what was inside them is gone).
    pub reshaped: Vec<String>,
}

impl RowPaths {
    /// Adds one change the fold reported.
    pub fn add(&mut self, change: ChangeRef<'_>) {
        let path = change.path;
        match change.kind {
            ChangeKind::Removed => self.gone.push(path.to_owned()),
            ChangeKind::Changed => {
                let container = |value: Option<&serde_json::Value>| {
                    value.is_some_and(|v| v.is_object() || v.is_array())
                };
                if container(change.old) {
                    self.reshaped.push(path.to_owned());
                }
                self.touched.insert(path.to_owned());
            }
            ChangeKind::Added => {
                self.touched.insert(path.to_owned());
            }
        }
        let mut end = path.len();
        while let Some(at) = path[..end].rfind('/') {
            if !self.touched.insert(path[..at].to_owned()) {
                return;
            }
            end = at;
        }
    }

    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.touched.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn row(changes: &[(&str, ChangeKind)]) -> RowPaths {
        let value = json!(1);
        let object = json!({"x": 1});
        let mut paths = RowPaths::default();
        for (path, kind) in changes {
            paths.add(ChangeRef {
                path,
                kind: *kind,
                old: Some(if path.ends_with('o') { &object } else { &value }),
                new: Some(&value),
            });
        }
        paths
    }

    #[test]
    fn a_message_counts_once_for_each_place_and_the_places_around_it() {
        let mut counts = UpdateCounts::default();
        counts.record(&row(&[
            ("/bids/10", ChangeKind::Added),
            ("/bids/9", ChangeKind::Changed),
        ]));
        counts.record(&row(&[("/bids/9", ChangeKind::Changed)]));
        assert_eq!(counts.get("/bids/9"), 2);
        assert_eq!(counts.get("/bids/10"), 1);
        assert_eq!(counts.get("/bids"), 2);
        assert_eq!(counts.get(""), 2);
        assert_eq!(counts.get("/asks"), 0);
        counts.record(&row(&[("/bids", ChangeKind::Removed)]));
        assert_eq!(counts.get("/bids/9"), 0, "gone with its place");
        assert_eq!(counts.get("/bids"), 0);
        assert_eq!(counts.get(""), 3);
        assert_eq!(counts.len(), 1);
    }

    #[test]
    fn a_container_become_a_scalar_loses_the_counts_inside() {
        let mut counts = UpdateCounts::default();
        counts.record(&row(&[("/o/x", ChangeKind::Changed)]));
        counts.record(&row(&[("/o", ChangeKind::Changed)]));
        assert_eq!((counts.get("/o"), counts.get("/o/x")), (2, 0));
    }
}

//! The change one row made, to show: its first changes with short previews of the values
//! before and after (bounded whatever the state's size), and how many there were.

use std::io::{self, Write};

use serde_json::Value;

use super::changes::{ChangeKind, ChangeRef};

/// How many changes a row lists; the others are counted.
pub const MAX_LISTED: usize = 50;

/// How many characters a value's preview keeps (a cut one ends in `…`).
pub const PREVIEW_CHARS: usize = 80;

/// One change, to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The JSON pointer of the place (`""` for the whole state).
    pub path: String,
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// The value before, as short JSON (`None` when added).
    pub old: Option<String>,
    /// The value after, as short JSON (`None` when removed).
    pub new: Option<String>,
}

/// What one row changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowChange {
    /// The first [`MAX_LISTED`] changes, in the order the fold found them.
    pub listed: Vec<Change>,
    /// How many changes the row made in all.
    pub total: usize,
}

impl RowChange {
    /// Adds one change the fold reported (listed while fewer than [`MAX_LISTED`] are).
    pub fn add(&mut self, change: ChangeRef<'_>) {
        self.total += 1;
        if self.listed.len() < MAX_LISTED {
            self.listed.push(Change {
                path: change.path.to_owned(),
                kind: change.kind,
                old: change.old.map(preview),
                new: change.new.map(preview),
            });
        }
    }
}

/// A value as JSON, cut to [`PREVIEW_CHARS`] characters without writing the rest.
pub fn preview(value: &Value) -> String {
    let mut out = Limited {
        bytes: Vec::new(),
        limit: PREVIEW_CHARS * 4 + 4,
    };
    // The writer stops a long value with an error once it has enough.
    let _ = serde_json::to_writer(&mut out, value);
    let text = String::from_utf8_lossy(&out.bytes);
    let cut = out.bytes.len() >= out.limit;
    let shown = crate::format::preview::ellipsize(&text, PREVIEW_CHARS);
    if cut && !shown.ends_with('…') {
        format!("{shown}…")
    } else {
        shown.into_owned()
    }
}

/// A writer that takes up to `limit` bytes, then refuses.
struct Limited {
    bytes: Vec<u8>,
    limit: usize,
}

impl Write for Limited {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.limit.saturating_sub(self.bytes.len());
        if room == 0 {
            return Err(io::Error::other("enough for a preview"));
        }
        let taken = buf.len().min(room);
        self.bytes.extend_from_slice(&buf[..taken]);
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn previews_are_short_whatever_the_value() {
        assert_eq!(preview(&json!({"a": [1, "x"]})), r#"{"a":[1,"x"]}"#);
        let big = json!((0..100_000).collect::<Vec<_>>());
        let text = preview(&big);
        assert_eq!(text.chars().count(), PREVIEW_CHARS + 1);
        assert!(text.starts_with("[0,1,2,") && text.ends_with('…'), "{text}");
    }

    #[test]
    fn a_row_lists_its_first_changes_and_counts_all() {
        let mut row = RowChange::default();
        let value = json!(1);
        for i in 0..(MAX_LISTED + 7) {
            row.add(ChangeRef {
                path: &format!("/{i}"),
                kind: ChangeKind::Added,
                old: None,
                new: Some(&value),
            });
        }
        assert_eq!((row.listed.len(), row.total), (MAX_LISTED, MAX_LISTED + 7));
        assert_eq!(row.listed[3].new.as_deref(), Some("1"));
    }
}

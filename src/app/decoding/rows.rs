//! What decoding made of each binary message of a tab, by entry index, and the count of
//! decoded text kept against its bound. Plain data shared with the filter's threads.

use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::model::filter::DecodedLookup;

/// What decoding made of one binary message.
#[derive(Clone, Debug, PartialEq)]
pub struct RowDecode {
    /// The chain applied (given or detected), e.g. `gzip+json`; for an error, the chain
    /// that was tried.
    pub format: String,
    /// Why auto-detection chose it (`None` for a chain the user chose).
    pub reason: Option<String>,
    /// The row's choice for this one message, when it overrides the tab's.
    pub overridden: bool,
    /// What came out.
    pub outcome: Outcome,
}

/// The result of decoding one message.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Decoded: the size after every decompression and the value as compact JSON text (or
    /// the text a compression produced, `json` false).
    Decoded {
        /// The size of the bytes the last step read.
        unpacked_size: usize,
        /// Compact JSON text (or plain text when `json` is false).
        text: Utf8Bytes,
        /// True when `text` is a JSON value.
        json: bool,
    },
    /// Decoded, but its text was over the tab's bound for decoded text: not kept.
    NotKept {
        /// The size of the bytes the last step read.
        unpacked_size: usize,
        /// How long the text would have been.
        text_len: usize,
    },
    /// The chain did not fit the message.
    Error(String),
}

impl RowDecode {
    /// The decoded text, when there is some.
    pub fn text(&self) -> Option<&Utf8Bytes> {
        match &self.outcome {
            Outcome::Decoded { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The decoded size (after every decompression), when decoding worked.
    pub fn unpacked_size(&self) -> Option<usize> {
        match self.outcome {
            Outcome::Decoded { unpacked_size, .. } | Outcome::NotKept { unpacked_size, .. } => {
                Some(unpacked_size)
            }
            Outcome::Error(_) => None,
        }
    }

    /// The size of the decoded text (compact JSON), when decoding worked: the decoded size a
    /// row shows beside the wire size.
    pub fn decoded_size(&self) -> Option<usize> {
        match &self.outcome {
            Outcome::Decoded { text, .. } => Some(text.len()),
            Outcome::NotKept { text_len, .. } => Some(*text_len),
            Outcome::Error(_) => None,
        }
    }

    /// The decoded text's bytes counted against the bound.
    fn kept_bytes(&self) -> usize {
        self.text().map_or(0, |text| text.len())
    }
}

/// The decoded rows of a timeline, in index order, and where decoding has got to. While a
/// new choice is being applied, rows not yet decoded again read as they were before.
#[derive(Debug, Default)]
pub struct DecodedRows {
    rows: Vec<(usize, RowDecode)>,
    /// The rows of the previous choice, read past `cursor` until decoding catches up.
    previous: Vec<(usize, RowDecode)>,
    /// Entries before this one are decoded with the current choice.
    cursor: usize,
    /// Changes with every new choice (see [`DecodedLookup::generation`]).
    generation: u64,
    /// Decoded text bytes kept in `rows`.
    kept: usize,
    /// Messages decoded but not kept (the bound was reached).
    not_kept: usize,
}

impl DecodedRows {
    /// What decoding made of the entry at `index`, if anything (a row of the previous
    /// choice while decoding catches up).
    pub fn get(&self, index: usize) -> Option<&RowDecode> {
        let rows = if index < self.cursor {
            &self.rows
        } else {
            &self.previous
        };
        let at = rows.binary_search_by_key(&index, |(i, _)| *i).ok()?;
        rows.get(at).map(|(_, row)| row)
    }

    /// Changes with every new choice.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Entries before this index are decoded with the current choice.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Decoded text bytes kept.
    pub fn kept_bytes(&self) -> usize {
        self.kept
    }

    /// Messages whose decoded text was not kept (over the bound).
    pub fn not_kept(&self) -> usize {
        self.not_kept
    }

    /// How many rows hold a decoding (for tests and the status line).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no row holds a decoding.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Decoding starts again from the first entry (a new choice): the rows decoded so far
    /// are read until their entries are decoded again.
    pub fn restart(&mut self) {
        self.previous = std::mem::take(&mut self.rows);
        self.cursor = 0;
        self.kept = 0;
        self.not_kept = 0;
        self.generation += 1;
    }

    /// Forgets every row (the timeline was cleared).
    pub fn clear(&mut self) {
        *self = DecodedRows {
            generation: self.generation + 1,
            ..DecodedRows::default()
        };
    }

    /// Entries up to `cursor` are decoded: drops the previous choice's rows once caught up
    /// with `len` entries.
    pub fn advance(&mut self, cursor: usize, len: usize) {
        self.cursor = cursor;
        if cursor >= len {
            self.previous = Vec::new();
        }
    }

    /// Records `row` for the entry at `index` (at or past the last recorded one), keeping
    /// its text only while the kept text stays within `bound` bytes.
    pub fn push(&mut self, index: usize, row: RowDecode, bound: usize) {
        let row = self.bounded(row, bound);
        self.kept += row.kept_bytes();
        match self.rows.last_mut() {
            Some((last, old)) if *last == index => {
                self.kept = self.kept.saturating_sub(old.kept_bytes());
                *old = row;
            }
            _ => self.rows.push((index, row)),
        }
    }

    /// Replaces (or adds) the row of the entry at `index`, already decoded (a choice for
    /// one message); `None` removes it. Filters test everything again.
    pub fn replace(&mut self, index: usize, row: Option<RowDecode>, bound: usize) {
        let found = self.rows.binary_search_by_key(&index, |(i, _)| *i);
        if let Ok(at) = found {
            let (_, old) = self.rows.remove(at);
            self.kept = self.kept.saturating_sub(old.kept_bytes());
        }
        if let Some(row) = row {
            let row = self.bounded(row, bound);
            self.kept += row.kept_bytes();
            let at = self.rows.partition_point(|(i, _)| *i < index);
            self.rows.insert(at, (index, row));
        }
        self.generation += 1;
    }

    /// `row`, its text dropped when keeping it would pass `bound`.
    fn bounded(&mut self, row: RowDecode, bound: usize) -> RowDecode {
        match row.outcome {
            Outcome::Decoded {
                unpacked_size,
                ref text,
                ..
            } if self.kept.saturating_add(text.len()) > bound => {
                self.not_kept += 1;
                RowDecode {
                    outcome: Outcome::NotKept {
                        unpacked_size,
                        text_len: text.len(),
                    },
                    ..row
                }
            }
            _ => row,
        }
    }
}

impl DecodedLookup for DecodedRows {
    fn decoded_text(&self, index: usize) -> Option<&str> {
        self.get(index)?.text().map(|text| text.as_str())
    }

    fn settled(&self) -> usize {
        self.cursor
    }

    fn generation(&self) -> u64 {
        self.generation
    }
}

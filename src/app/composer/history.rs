//! The messages sent in a tab, newest last, walked with Up and Down in an empty composer as
//! in a shell.

use std::collections::VecDeque;

use crate::app::action::Draft;

/// How many sent messages a tab remembers.
pub const HISTORY_LIMIT: usize = 100;

/// The last [`HISTORY_LIMIT`] messages sent, and where Up/Down browsing stands.
#[derive(Clone, Debug, Default)]
pub struct History {
    entries: VecDeque<Draft>,
    /// While browsing: how far back, 0 being the newest entry.
    browsing: Option<usize>,
}

impl History {
    /// Remembers a sent message (a repeat of the newest entry is not stored twice) and
    /// stops browsing.
    pub fn push(&mut self, draft: Draft) {
        if self.entries.back() != Some(&draft) {
            self.entries.push_back(draft);
            while self.entries.len() > HISTORY_LIMIT {
                self.entries.pop_front();
            }
        }
        self.browsing = None;
    }

    /// How many messages are remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was sent yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The remembered messages, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &Draft> {
        self.entries.iter()
    }

    /// True while Up/Down walk the history.
    pub fn is_browsing(&self) -> bool {
        self.browsing.is_some()
    }

    /// Leaves browsing (the user edited the recalled text).
    pub fn stop(&mut self) {
        self.browsing = None;
    }

    /// Up: one message further back (the newest one when not browsing yet); `None` when
    /// there is nothing older.
    pub fn older(&mut self) -> Option<&Draft> {
        let next = self.browsing.map_or(0, |back| back + 1);
        if next >= self.entries.len() {
            return None;
        }
        self.browsing = Some(next);
        self.entries.get(self.entries.len() - 1 - next)
    }

    /// Down: one message forward. `Some(None)` means past the newest: browsing ends and the
    /// composer is empty again. `None` when not browsing.
    pub fn newer(&mut self) -> Option<Option<&Draft>> {
        let back = self.browsing?;
        if back == 0 {
            self.browsing = None;
            return Some(None);
        }
        self.browsing = Some(back - 1);
        Some(self.entries.get(self.entries.len() - back))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::template::MessageFormat;

    fn text(body: &str) -> Draft {
        Draft::new(MessageFormat::Text, body)
    }

    #[test]
    fn walks_back_and_forth_like_a_shell() {
        let mut history = History::default();
        assert!(history.older().is_none());
        assert!(history.newer().is_none());
        history.push(text("a"));
        history.push(text("b"));
        history.push(text("b"));
        history.push(Draft::new(MessageFormat::Hex, "0a"));
        assert_eq!(history.len(), 3, "a repeat is stored once");
        assert_eq!(history.older().unwrap().body, "0a");
        assert_eq!(history.older().unwrap().body, "b");
        assert_eq!(history.older().unwrap().body, "a");
        assert!(history.older().is_none(), "the oldest stays");
        assert!(history.is_browsing());
        assert_eq!(history.newer().unwrap().unwrap().body, "b");
        assert_eq!(history.newer().unwrap().unwrap().body, "0a");
        assert_eq!(history.newer(), Some(None), "past the newest: empty again");
        assert!(!history.is_browsing());
        history.older();
        history.stop();
        assert_eq!(
            history.older().unwrap().body,
            "0a",
            "starts at the newest again"
        );
    }

    #[test]
    fn keeps_the_last_hundred() {
        let mut history = History::default();
        for i in 0..150 {
            history.push(text(&i.to_string()));
        }
        assert_eq!(history.len(), HISTORY_LIMIT);
        assert_eq!(history.entries().next().unwrap().body, "50");
        assert_eq!(history.older().unwrap().body, "149");
    }
}

//! Why a tab asked for by number or name (`--tab`) is not in a session file.

/// The error of [`SessionFile::find_tab`](super::session::SessionFile::find_tab).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FindTabError {
    /// The session file has no tab at all.
    #[error("the session has no tabs")]
    NoTabs,
    /// No tab has that number or name; the file's tabs are listed.
    #[error("no tab {selector:?}; the session has {}", .tabs.join(", "))]
    TabNotFound {
        /// The number or name asked for, trimmed.
        selector: String,
        /// The tabs there are, labelled as the window labels them (`tab 1 "echo"`).
        tabs: Vec<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::FindTabError;
    use crate::model::session::{SessionFile, SessionTab};

    #[test]
    fn a_missing_tab_is_typed_and_said_as_before() {
        let tab = SessionTab {
            name: "echo".into(),
            ..SessionTab::default()
        };
        let file = SessionFile::new(vec![tab]);
        let error = file.find_tab(" 2 ").unwrap_err();
        assert_eq!(
            error,
            FindTabError::TabNotFound {
                selector: "2".into(),
                tabs: vec!["tab 1 \"echo\"".into()],
            }
        );
        assert_eq!(
            error.to_string(),
            "no tab \"2\"; the session has tab 1 \"echo\""
        );
        let error = SessionFile::default().find_tab("1").unwrap_err();
        assert_eq!(error, FindTabError::NoTabs);
        assert_eq!(error.to_string(), "the session has no tabs");
    }
}

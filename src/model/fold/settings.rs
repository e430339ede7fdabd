//! A tab's fold settings as a session saves them: the command line's words, as typed.

use serde::{Deserialize, Serialize};

use super::spec::FoldSpec;

/// The fold a tab shows in its State view, saved with the tab.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FoldSettings {
    /// `replace`, `merge`, `patch`, `keyed:PATH` or `pathdata`.
    pub rule: String,
    /// The part of each message applied; empty for the whole message.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub select: String,
    /// Which messages take part; empty for every JSON message.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub filter: String,
    /// The keyed rule's delete condition; empty for none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub delete: String,
}

impl FoldSettings {
    /// The settings checked, or why not (a file may hold anything).
    pub fn spec(&self) -> Result<FoldSpec, String> {
        let given = |text: &str| (!text.trim().is_empty()).then(|| text.trim().to_owned());
        FoldSpec::parse(
            &self.rule,
            given(&self.select).as_deref(),
            given(&self.filter).as_deref(),
            given(&self.delete).as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_ron_and_are_checked() {
        let settings = FoldSettings {
            rule: "keyed:$.id".into(),
            select: "$.data".into(),
            filter: String::new(),
            delete: r#"$.op == "delete""#.into(),
        };
        let text = ron::to_string(&settings).unwrap();
        assert!(
            !text.contains("filter"),
            "empty fields are left out: {text}"
        );
        let back: FoldSettings = ron::from_str(&text).unwrap();
        assert_eq!(back, settings);
        assert!(back.spec().is_ok());
        let bad = FoldSettings {
            rule: "sum".into(),
            ..FoldSettings::default()
        };
        assert!(bad.spec().unwrap_err().contains("unknown fold rule"));
    }
}

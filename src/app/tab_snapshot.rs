//! A tab's saved form in two steps: a cheap copy taken on the UI thread
//! ([`TabSnapshot::of`], payloads shared, not copied) and the conversion to a
//! [`SessionTab`] (base64, scrubbing secrets), which may run on a background thread.

use crate::engine::ConnectionConfig;
use crate::model::memory_budget;
use crate::model::redact::Redactor;
use crate::model::session::{LiveTab, PinnedRow, SavedTabKind, SecretHeader, SessionTab};
use crate::model::template::Template;
use crate::model::timeline::TimelineEntry;

use super::tab::{Tab, TabKind};

/// What a tab saves, copied out of the tab.
pub struct TabSnapshot {
    name: String,
    config: ConnectionConfig,
    templates: Vec<Template>,
    variables: Vec<(String, String)>,
    secret_headers: Vec<SecretHeader>,
    kind: SavedTabKind,
    memory_budget: usize,
    entries: Vec<TimelineEntry>,
    not_kept: Vec<(usize, usize)>,
    pins: Vec<PinnedRow>,
    redactor: Redactor,
}

impl TabSnapshot {
    /// A copy of `tab`; `with_timeline` false leaves the timeline and its pins out (what the
    /// window keeps between runs).
    pub fn of(tab: &Tab, with_timeline: bool) -> Self {
        let (entries, not_kept, pins) = if with_timeline {
            (
                tab.timeline.to_entries(),
                tab.timeline.not_kept_rows().to_vec(),
                tab.pins
                    .iter()
                    .map(|pin| PinnedRow {
                        index: pin.index,
                        note: pin.note.clone(),
                    })
                    .collect(),
            )
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        Self {
            name: tab.title(),
            config: tab.config.clone(),
            templates: tab.templates.clone(),
            variables: tab.variables.clone(),
            secret_headers: tab.secret_headers.clone(),
            kind: match tab.kind {
                TabKind::WebSocket => SavedTabKind::WebSocket,
                TabKind::Sse => SavedTabKind::Sse,
            },
            memory_budget: tab.timeline.memory_budget(),
            entries,
            not_kept,
            pins,
            redactor: (*tab.redactor).clone(),
        }
    }

    /// The timeline as JSON lines, as `connect` prints events, through the tab's
    /// [`Redactor`]. A message whose payload was not kept says so with
    /// `"not_kept": <its size in bytes>` (its payload is empty).
    pub fn json_lines(&self) -> String {
        let mut out = String::new();
        let mut not_kept = self.not_kept.iter().peekable();
        let mut redactor = self.redactor.learned_from(&self.entries);
        redactor.add_config(&self.config, &self.secret_headers);
        for (index, entry) in self.entries.iter().enumerate() {
            let mut line = redactor.json_line(&entry.event);
            if let Some((_, len)) = not_kept.next_if(|(at, _)| *at == index)
                && let Some(fields) = line.as_object_mut()
            {
                fields.insert("not_kept".into(), (*len).into());
            }
            out.push_str(&line.to_string());
            out.push('\n');
        }
        out
    }

    /// The saved form.
    pub fn to_session(&self) -> SessionTab {
        let mut saved = SessionTab::from_live(LiveTab {
            name: &self.name,
            config: &self.config,
            templates: &self.templates,
            variables: &self.variables,
            secret_headers: &self.secret_headers,
            timeline: &self.entries,
            not_kept: &self.not_kept,
            redactor: &self.redactor,
        });
        saved.kind = self.kind;
        saved.pins = self.pins.clone();
        saved.memory_budget_mib = (self.memory_budget != memory_budget::DEFAULT_LIMIT)
            .then_some((self.memory_budget >> 20) as u64);
        saved
    }
}

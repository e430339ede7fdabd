//! The filter bar and the search row above a tab's timeline, and the state behind them:
//! which entries pass the filter (kept up to date in `App::logic`, within a time budget) and
//! which of those match the search.

use std::time::Instant;

use egui::{Key, RichText, text::LayoutJob};

use super::commands::{self, CommandId, Scope};
use super::protocol_groups;
use super::protocol_rows::GroupCount;
use crate::engine::EventKind;
use crate::model::filter::{
    DecodedLookup, FilterSpec, FilteredView, NoDecoding, TextMatch, searchable_text,
};
use crate::model::stats::Stats;
use crate::model::timeline::Timeline;

/// The search reads the clock after this many entries...
const SEARCH_CHECK_ENTRIES: usize = 4096;
/// ...or this many bytes of text searched, whichever comes first.
const SEARCH_CHECK_BYTES: usize = 1 << 20;

/// The JSON filter syntax, shown on hover.
pub const JSON_HELP: &str = "JSON filter on a path of each text message (and decoded binary message):\n\
  $.type == \"trade\"   equal (\"text\", numbers, true, false, null)\n\
  $.status != \"ok\"    not equal\n\
  $.price > 100        >, >=, <, <= compare numbers\n\
  $.user.name contains \"ada\"   text contains (or array holds the value)\n\
  $.items[0].id == 7   [n] picks an array element, [\"odd key\"] a member\n\
  $.error              the path exists\n\
A filter that does not parse is shown in red and not applied.";

/// A tab's filter, search and statistics: what the timeline shows and finds.
#[derive(Debug, Default)]
pub struct TimelineState {
    /// The filter as edited in the bar.
    pub spec: FilterSpec,
    /// The entries passing the compiled filter.
    pub view: FilteredView,
    /// The search row.
    pub search: SearchState,
    /// Counters and rates.
    pub stats: Stats,
    /// The decoding generation the view and search were tested with.
    decoded_generation: u64,
}

/// The search: a text, the matching entries (among those the filter shows) and the current one.
#[derive(Debug, Default)]
pub struct SearchState {
    /// What is searched for (plain text, case-sensitive).
    pub query: String,
    /// Matching entry indices, in order.
    pub matches: Vec<usize>,
    /// The match last jumped to (an index into `matches`).
    pub current: Option<usize>,
    searched: String,
    tested: usize,
}

impl TimelineState {
    /// Starts over on a timeline whose rows were cleared: the same filter and search, tested
    /// again from the first entry; statistics from zero (time connected carries on).
    pub fn restart(&mut self) {
        self.view = FilteredView::new(self.view.filter().clone());
        self.search.restart();
        self.stats.restart();
    }

    /// True when the filter lets everything through (the timeline shows every entry).
    pub fn shows_everything(&self) -> bool {
        self.view.filter().is_everything()
    }

    /// Brings the filter view, the search and the statistics up to date with `timeline`,
    /// until `deadline`. Returns true when work is left (the caller asks for another frame).
    pub fn refresh(&mut self, timeline: &Timeline, deadline: Instant) -> bool {
        self.refresh_decoded(timeline, &NoDecoding, deadline)
    }

    /// As [`TimelineState::refresh`], binary messages read as their decoded text from
    /// `decoded` (a new decoding choice tests everything again).
    pub fn refresh_decoded(
        &mut self,
        timeline: &Timeline,
        decoded: &dyn DecodedLookup,
        deadline: Instant,
    ) -> bool {
        if self.decoded_generation != decoded.generation() {
            self.decoded_generation = decoded.generation();
            self.view = FilteredView::new(self.view.filter().clone());
            self.search.restart();
        }
        if self.view.filter().spec != self.spec {
            self.view.set_filter(self.spec.compile());
            self.search.restart();
        }
        self.stats.update(timeline);
        let mut more = false;
        if !self.shows_everything() {
            more = self.view.update_decoded(timeline, decoded, Some(deadline));
        }
        if self.search.searched != self.search.query {
            self.search.restart();
            self.search.searched = self.search.query.clone();
        }
        if !self.search.query.is_empty() {
            let filter = self.view.filter();
            let len = timeline.len();
            if len < self.search.tested {
                self.search.restart();
            }
            let everything = self.shows_everything();
            let needle = self.search.query.as_str();
            // Test only what the filter has tested, so the two stay in step.
            let limit = if everything {
                len.min(decoded.settled().max(self.search.tested))
            } else {
                self.view.tested()
            };
            // The clock is read every 4096 entries or 1 MiB of text searched, whichever
            // comes first, so a few huge messages cannot hold up a frame either.
            let (mut entries, mut bytes) = (0usize, 0usize);
            let from = self.search.tested.min(limit);
            for (index, kind) in timeline.kinds(from..limit) {
                if everything || filter.matches_in(kind, index, decoded) {
                    let text = match kind {
                        EventKind::Message { payload, .. } => decoded
                            .decoded_text(index)
                            .or_else(|| payload.as_text())
                            .map(std::borrow::Cow::Borrowed),
                        _ => searchable_text(kind),
                    };
                    bytes += text.as_ref().map_or(0, |t| t.len());
                    if text.is_some_and(|t| t.contains(needle)) {
                        self.search.matches.push(index);
                    }
                }
                self.search.tested = index + 1;
                entries += 1;
                if entries >= SEARCH_CHECK_ENTRIES || bytes >= SEARCH_CHECK_BYTES {
                    (entries, bytes) = (0, 0);
                    if Instant::now() >= deadline {
                        more |= self.search.tested < limit;
                        break;
                    }
                }
            }
        }
        more
    }

    /// How many rows the timeline shows.
    pub fn row_count(&self, timeline: &Timeline) -> usize {
        if self.shows_everything() {
            timeline.len()
        } else {
            self.view.matching().len()
        }
    }

    /// The entry index shown in `row`.
    pub fn entry_of_row(&self, row: usize) -> Option<usize> {
        if self.shows_everything() {
            Some(row)
        } else {
            self.view.matching().get(row).copied()
        }
    }

    /// The row that shows entry `index`, if the filter shows it.
    pub fn row_of_entry(&self, index: usize) -> Option<usize> {
        if self.shows_everything() {
            Some(index)
        } else {
            self.view.matching().binary_search(&index).ok()
        }
    }
}

impl SearchState {
    fn restart(&mut self) {
        self.matches.clear();
        self.tested = 0;
        self.current = None;
    }

    /// The match after (`forward`) or before the current one, wrapping; its entry index.
    pub fn step(&mut self, forward: bool, selected: Option<usize>) -> Option<usize> {
        if self.matches.is_empty() {
            return None;
        }
        let n = self.matches.len();
        let next = match (self.current, selected) {
            (Some(current), _) if current < n => {
                if forward {
                    (current + 1) % n
                } else {
                    (current + n - 1) % n
                }
            }
            (_, Some(selected)) => {
                let after = self.matches.partition_point(|&m| m <= selected);
                if forward {
                    after % n
                } else {
                    let before = self.matches.partition_point(|&m| m < selected);
                    (before + n - 1) % n
                }
            }
            (_, None) => {
                if forward {
                    0
                } else {
                    n - 1
                }
            }
        };
        self.current = Some(next);
        Some(self.matches[next])
    }
}

/// Draws the filter bar of a tab (direction, kinds, text or regex, JSON path) and reports
/// progress and "N of M events".
/// `protocol` names the tab's protocol when it speaks one, with its groups: its handshake
/// and heartbeat messages get a toggle of their own, and its groups a menu.
pub fn filter_ui(
    ui: &mut egui::Ui,
    state: &mut TimelineState,
    total: usize,
    protocol: Option<(&str, &[GroupCount])>,
) {
    let spec = &mut state.spec;
    ui.horizontal_wrapped(|ui| {
        ui.label("Show:");
        ui.checkbox(&mut spec.incoming, "in")
            .on_hover_text("Received from the server");
        ui.checkbox(&mut spec.outgoing, "out")
            .on_hover_text("Sent by us");
        ui.separator();
        ui.checkbox(&mut spec.text, "text");
        ui.checkbox(&mut spec.binary, "binary");
        ui.checkbox(&mut spec.ping_pong, "ping/pong");
        ui.checkbox(&mut spec.lifecycle, "open/close/error");
        if let Some((protocol, groups)) = protocol {
            ui.checkbox(&mut spec.housekeeping, "housekeeping")
                .on_hover_text(format!(
                    "{protocol}'s handshake and heartbeats, which Sockscope answers by itself"
                ));
            protocol_groups::menu(ui, &mut spec.group, groups);
        }
        ui.separator();
        let label = ui.label("Filter text");
        ui.add(
            egui::TextEdit::singleline(&mut spec.query)
                .desired_width(140.0)
                .hint_text("contains…"),
        )
        .labelled_by(label.id);
        ui.checkbox(&mut spec.regex, "regex")
            .on_hover_text("Read the filter text as a regular expression");
        let label = ui.label("JSON filter").on_hover_text(JSON_HELP);
        ui.add(
            egui::TextEdit::singleline(&mut spec.json)
                .desired_width(180.0)
                .hint_text("$.type == \"trade\"")
                .code_editor(),
        )
        .labelled_by(label.id)
        .on_hover_text(JSON_HELP);
    });
    let compiled = state.view.filter();
    for error in [&compiled.text_error, &compiled.json_error]
        .into_iter()
        .flatten()
    {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    if !state.shows_everything() {
        let tested = state.view.tested();
        let shown = state.view.matching().len();
        if tested < total {
            let percent = tested as f64 * 100.0 / total.max(1) as f64;
            ui.label(format!("Filtering… {percent:.0}% ({shown} found so far)"));
        }
    }
}

/// Draws the search row. Ctrl+F focuses it; Enter, F3 and "Next" go to the next match,
/// Shift+F3 and "Previous" to the previous one. Returns the entry to jump to.
pub fn search_ui(
    ui: &mut egui::Ui,
    state: &mut TimelineState,
    selected: Option<usize>,
) -> Option<usize> {
    let pressed = commands::pressed(ui.ctx(), Scope::Search);
    let focus = pressed.contains(&CommandId::FocusSearch);
    let mut next = pressed.contains(&CommandId::NextMatch);
    let mut previous = pressed.contains(&CommandId::PreviousMatch);
    let search = &mut state.search;
    ui.horizontal(|ui| {
        let label = ui.label(CommandId::FocusSearch.label());
        let hint = CommandId::FocusSearch
            .hover_text(ui.ctx())
            .unwrap_or_default();
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut search.query)
                    .desired_width(200.0)
                    .hint_text(hint),
            )
            .labelled_by(label.id);
        if focus {
            field.request_focus();
        }
        if field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
            next = true;
            field.request_focus();
        }
        if !search.query.is_empty() {
            let count = search.matches.len();
            let text = match search.current {
                Some(current) if current < count => format!("{} of {count} matches", current + 1),
                _ => format!("{count} matches"),
            };
            ui.label(text);
        }
        let found = !search.matches.is_empty();
        previous |= CommandId::PreviousMatch.enabled_button(ui, found).clicked();
        next |= CommandId::NextMatch.enabled_button(ui, found).clicked();
    });
    if next {
        search.step(true, selected)
    } else if previous {
        search.step(false, selected)
    } else {
        None
    }
}

/// `text` as a label layout with the search matches on a highlight background.
pub fn highlighted(ui: &egui::Ui, text: &str, needle: &str) -> LayoutJob {
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let color = ui.visuals().text_color();
    let plain = egui::TextFormat::simple(font.clone(), color);
    let marked = egui::TextFormat {
        background: egui::Color32::from_rgb(200, 160, 40),
        color: egui::Color32::BLACK,
        ..egui::TextFormat::simple(font, color)
    };
    let mut job = LayoutJob::default();
    let mut at = 0;
    for range in TextMatch::Contains(needle.to_owned()).find_ranges(text) {
        job.append(&text[at..range.start], 0.0, plain.clone());
        job.append(&text[range.clone()], 0.0, marked.clone());
        at = range.end;
    }
    job.append(&text[at..], 0.0, plain);
    job.wrap.max_rows = 1;
    job.wrap.break_anywhere = true;
    job.wrap.overflow_character = Some('…');
    job
}

/// The "N of M events" heading.
pub fn count_text(shown: usize, total: usize, everything: bool) -> RichText {
    if everything {
        RichText::new(format!("Timeline: {total} events")).strong()
    } else {
        RichText::new(format!("{shown} of {total} events")).strong()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Direction, Event};

    #[test]
    fn search_through_huge_messages_looks_at_the_deadline() {
        // Eight 2 MiB messages: a frame whose deadline has passed searches one, not all.
        let mut timeline = Timeline::default();
        let big = "x".repeat(2 << 20);
        for _ in 0..8 {
            timeline.push(1, Event::text_for_test(Direction::In, &big));
        }
        let mut state = TimelineState::default();
        state.search.query = "y".into();
        assert!(state.refresh(&timeline, Instant::now()), "work is left");
        assert_eq!(state.search.tested, 1);
        while state.refresh(&timeline, Instant::now()) {}
        assert_eq!(state.search.tested, 8);
        assert!(state.search.matches.is_empty());
    }
}

//! Replay in the window: the menu entry and dialog that start one (speed, ignored JSON
//! paths), the run feeding its own tab's timeline, and the comparison the user walks
//! through when it is over (items colour-coded by status, expected against actual, diff).

use std::time::Duration;

use egui::{Color32, RichText};

use super::action::{Action, TabAction};
use super::commands::CommandId;
use super::tab::Tab;
use crate::engine::{Leg, Payload, WakeFn};
use crate::format::head;
use crate::format::json_path::JsonPath;
use crate::model::tab_setup::TabKind;
use crate::replay::{
    CompareOptions, ComparisonItem, MessageRef, Replay, ReplayHandle, ReplayOptions, ReplayReport,
    Speed,
};

/// How fast a replay runs, as offered in the dialog.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SpeedChoice {
    /// At the recorded offsets.
    #[default]
    RealTime,
    /// Ten times faster.
    Ten,
    /// Everything at once, in order.
    Fast,
}

impl SpeedChoice {
    /// The engine's speed.
    pub fn speed(self) -> Speed {
        match self {
            SpeedChoice::RealTime => Speed::Factor(1.0),
            SpeedChoice::Ten => Speed::Factor(10.0),
            SpeedChoice::Fast => Speed::Fast,
        }
    }

    /// How the speed is named in the window.
    pub fn label(self) -> &'static str {
        match self {
            SpeedChoice::RealTime => "x1 (recorded timing)",
            SpeedChoice::Ten => "x10",
            SpeedChoice::Fast => "As fast as possible",
        }
    }
}

/// A replay command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayAction {
    /// Replay the tab's recorded timeline in a new tab.
    Start {
        /// How fast.
        speed: SpeedChoice,
        /// JSON paths left out of the comparison (already checked).
        ignore: Vec<String>,
        /// Whose sends a proxy recording plays ([`Leg::Client`] for any other tab).
        leg: Leg,
    },
    /// Stop the tab's replay (what arrived is still compared).
    Cancel,
}

/// The replay dialog's fields.
#[derive(Debug, Default)]
pub struct ReplayDialog {
    open: bool,
    speed: SpeedChoice,
    ignore: String,
    /// Plays what the proxy passed upstream rather than what the client sent.
    upstream_sends: bool,
    error: Option<String>,
}

impl ReplayDialog {
    /// Shows the dialog.
    pub fn open(&mut self) {
        self.open = true;
        self.error = None;
    }

    /// The dialog, while open: speed, ignored paths, Start and Cancel.
    pub fn ui(&mut self, ctx: &egui::Context, source: Option<&Tab>, actions: &mut Vec<Action>) {
        if !self.open {
            return;
        }
        let Some(source) = source else {
            self.open = false;
            return;
        };
        let mut start = false;
        let mut cancel = false;
        let modal = egui::Modal::new(egui::Id::unique("replay-dialog")).show(ctx, |ui| {
            ui.set_width(460.0);
            ui.heading("Replay");
            let shown = source.proxy.as_ref().and_then(|proxy| proxy.shown);
            match shown {
                Some(conn) if source.setup.kind == TabKind::Proxy => ui.label(format!(
                    "Dials the real server as the proxy did for connection #{conn} (its \
                     path, subprotocol offer and headers), re-sends its recorded messages \
                     and compares what arrives with what the server sent."
                )),
                _ => ui.label(format!(
                    "Connects with {}'s config, re-sends its recorded messages and compares \
                     what arrives with what was recorded.",
                    source.title()
                )),
            };
            ui.add_space(6.0);
            ui.label("Speed");
            for choice in [SpeedChoice::RealTime, SpeedChoice::Ten, SpeedChoice::Fast] {
                ui.radio_value(&mut self.speed, choice, choice.label());
            }
            if source.timeline.has_legs() {
                ui.add_space(6.0);
                ui.label("Sends (a proxied connection: the replay dials the real server again)");
                ui.radio_value(
                    &mut self.upstream_sends,
                    false,
                    "What the client sent (as it reached the proxy)",
                );
                ui.radio_value(
                    &mut self.upstream_sends,
                    true,
                    "What the proxy passed on (edits, drops and injections included)",
                );
            }
            ui.add_space(6.0);
            let label = ui.label("Ignored JSON paths (one per line, e.g. $.timestamp)");
            ui.add(
                egui::TextEdit::multiline(&mut self.ignore)
                    .desired_rows(3)
                    .desired_width(f32::INFINITY)
                    .code_editor(),
            )
            .labelled_by(label.id);
            if let Some(error) = &self.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            ui.horizontal(|ui| {
                start = ui.button("Start replay").clicked();
                cancel = ui.button("Cancel").clicked();
            });
        });
        if cancel || (modal.should_close() && !start) {
            self.open = false;
            return;
        }
        if start {
            let paths: Vec<String> = self
                .ignore
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect();
            match paths.iter().find_map(|p| JsonPath::parse(p).err()) {
                Some(error) => self.error = Some(error.to_string()),
                None => {
                    self.open = false;
                    let leg = if source.timeline.has_legs() && self.upstream_sends {
                        Leg::Upstream
                    } else {
                        Leg::Client
                    };
                    let start = ReplayAction::Start {
                        speed: self.speed,
                        ignore: paths,
                        leg,
                    };
                    actions.push(Action::Tab(source.id, TabAction::Replay(start)));
                }
            }
        }
    }
}

/// The Replay menu of the menu bar.
pub fn menu(ui: &mut egui::Ui, active: Option<&Tab>, actions: &mut Vec<Action>) {
    ui.menu_button("Replay", |ui| {
        let recorded = active.is_some_and(|tab| !tab.timeline.is_empty());
        let button = CommandId::ReplayTab
            .menu_item(ui, recorded)
            .on_disabled_hover_text("The tab has no recorded timeline yet");
        if button.clicked() {
            actions.push(Action::OpenReplayDialog);
        }
        let running = active.filter(|tab| tab.is_replaying());
        if CommandId::CancelReplay
            .menu_item(ui, running.is_some())
            .clicked()
            && let Some(tab) = running
        {
            actions.push(Action::Tab(tab.id, TabAction::Replay(ReplayAction::Cancel)));
        }
    });
}

/// A replay run in a tab (its run is the tab's live source), and where the user is in
/// its comparison.
#[derive(Debug)]
pub struct ReplayState {
    /// The recorded tab's id.
    pub source: u64,
    /// The recorded tab's title.
    pub source_title: String,
    /// How fast it runs.
    pub speed: SpeedChoice,
    /// The report, once the run is over.
    pub report: Option<Box<ReplayReport>>,
    /// Why the replay could not run.
    pub error: Option<String>,
    /// The comparison item the user selected.
    pub selected: Option<usize>,
}

impl ReplayState {
    /// Starts `replay` of `source` on `runtime`: the state for the tab that shows it, and
    /// the run, whose events that tab drains.
    pub fn start(
        replay: Replay,
        speed: SpeedChoice,
        ignore: Vec<JsonPath>,
        source: &Tab,
        runtime: &tokio::runtime::Handle,
        wake: WakeFn,
    ) -> (Self, ReplayHandle) {
        let options = ReplayOptions {
            speed: speed.speed(),
            compare: CompareOptions { ignore },
            grace: None,
        };
        let state = Self {
            source: source.id,
            source_title: source.title(),
            speed,
            report: None,
            error: None,
            selected: None,
        };
        (state, ReplayHandle::spawn(replay, options, runtime, wake))
    }
}

const MATCHED: Color32 = Color32::from_rgb(80, 170, 100);
const DIFFERENT: Color32 = Color32::from_rgb(220, 150, 40);
const MISSING: Color32 = Color32::from_rgb(220, 80, 80);
const UNEXPECTED: Color32 = Color32::from_rgb(150, 120, 230);

fn status_color(item: &ComparisonItem) -> Color32 {
    match item {
        ComparisonItem::Matched { .. } => MATCHED,
        ComparisonItem::Different { .. } => DIFFERENT,
        ComparisonItem::Missing { .. } => MISSING,
        ComparisonItem::Unexpected { .. } => UNEXPECTED,
    }
}

/// The replay panel of a replay tab: progress, then the comparison.
pub fn ui(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<Action>) {
    let running = tab.is_replaying();
    let tab_id = tab.id;
    let Some(state) = &mut tab.replay else {
        return;
    };
    ui.add_space(4.0);
    ui.heading(format!("Replay of {}", state.source_title));
    if running {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("Replaying at {}...", state.speed.label()));
        });
        if CommandId::CancelReplay.button(ui, |text| text).clicked() {
            actions.push(Action::Tab(tab_id, TabAction::Replay(ReplayAction::Cancel)));
        }
        return;
    }
    if let Some(error) = &state.error {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!("The replay could not run: {error}"),
        );
        return;
    }
    let Some(report) = &state.report else {
        return;
    };
    let comparison = &report.comparison;
    if !report.opened {
        ui.colored_label(ui.visuals().error_fg_color, "The connection never opened.");
    }
    let verdict = if report.all_match() {
        RichText::new("Everything matched").color(MATCHED).strong()
    } else {
        RichText::new("Differences found").color(DIFFERENT).strong()
    };
    ui.label(verdict);
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{} expected", comparison.expected()));
        ui.label(RichText::new(format!("{} matched", comparison.matched())).color(MATCHED));
        ui.label(RichText::new(format!("{} different", comparison.different())).color(DIFFERENT));
        ui.label(RichText::new(format!("{} missing", comparison.missing())).color(MISSING));
        ui.label(
            RichText::new(format!("{} unexpected", comparison.unexpected())).color(UNEXPECTED),
        );
    });
    let close = match &comparison.close {
        None => RichText::new("Close not compared (the recording has none)").weak(),
        Some(close) => {
            let expected = format!("{} {:?}", close.expected.code, close.expected.reason);
            match (&close.actual, close.matches) {
                (_, true) => RichText::new(format!("Close matches: {expected}")).color(MATCHED),
                (Some(actual), false) => RichText::new(format!(
                    "Close differs: expected {expected}, got {} {:?}",
                    actual.code, actual.reason
                ))
                .color(DIFFERENT),
                (None, false) => {
                    RichText::new(format!("Close missing: expected {expected}")).color(MISSING)
                }
            }
        }
    };
    ui.label(close);
    if report.cancelled {
        ui.label(RichText::new("The replay was cancelled.").weak());
    }
    ui.separator();
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .id_salt(("replay-items", tab.id))
        .max_height((ui.available_height() * 0.5).max(120.0))
        .auto_shrink([false, true])
        .show(ui, |ui| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
            for (index, item) in comparison.items.iter().enumerate() {
                let message = item.expected().or(item.actual());
                let preview = message.map(|m| preview(&m.payload)).unwrap_or_default();
                let text =
                    RichText::new(format!("{:>3} {:<10} {preview}", index + 1, item.status()))
                        .monospace()
                        .color(status_color(item));
                if ui
                    .selectable_label(state.selected == Some(index), text)
                    .clicked()
                {
                    clicked = Some(index);
                }
            }
        });
    if let Some(index) = clicked {
        state.selected = Some(index);
        if let Some(item) = comparison.items.get(index) {
            if let Some(actual) = item.actual() {
                tab.selected = Some(actual.index);
                tab.follow = false;
            }
            if let Some(expected) = item.expected() {
                let row = TabAction::ShowRow(expected.index);
                actions.push(Action::Tab(state.source, row));
            }
        }
    }
    let Some(item) = state.selected.and_then(|i| comparison.items.get(i)) else {
        ui.label(RichText::new("Select an item to compare it.").weak());
        return;
    };
    ui.separator();
    egui::ScrollArea::vertical()
        .id_salt(("replay-item", tab.id))
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.label(
                RichText::new(item.status())
                    .color(status_color(item))
                    .strong(),
            );
            message_ui(ui, "Expected", "recorded row", item.expected());
            message_ui(ui, "Actual", "row", item.actual());
            if let ComparisonItem::Different { diff, .. } = item {
                ui.label(RichText::new("Differences").strong());
                for line in diff.lines() {
                    ui.label(RichText::new(line).monospace());
                }
            }
        });
}

fn message_ui(ui: &mut egui::Ui, side: &str, row: &str, message: Option<&MessageRef>) {
    match message {
        Some(message) => {
            ui.label(
                RichText::new(format!(
                    "{side} ({row} {}, +{})",
                    message.index + 1,
                    seconds(message.offset)
                ))
                .strong(),
            );
            let text = match message.payload.as_text() {
                Some(text) => head(text, 4000).to_owned(),
                None => format!("binary, {} bytes", message.payload.len()),
            };
            ui.label(RichText::new(text).monospace());
        }
        None => {
            ui.label(RichText::new(format!("{side}: none")).strong());
        }
    }
}

fn seconds(offset: Duration) -> String {
    format!("{:.3} s", offset.as_secs_f64())
}

fn preview(payload: &Payload) -> String {
    match payload.as_text() {
        Some(text) => head(text, 80).replace(['\n', '\r'], " "),
        None => format!("binary, {} bytes", payload.len()),
    }
}

//! The timeline: one row per event, virtualized so a frame lays out only visible rows,
//! with follow-latest that steps aside when the user scrolls up.

use chrono::{DateTime, Local};
use egui::text::LayoutJob;
use egui::{Align, Key, RichText};
use egui_extras::{Column, TableBuilder};

use super::action::TabAction;
use super::commands::CommandId;
use super::decoding::menu::MenuContext;
use super::decoding::{Outcome, RowDecode};
use super::protocol_rows::ProtocolRow;
use super::row_menu::{self, RowMenuContext};
use super::tab::Tab;
use super::{filter_bar, pins, stats_strip, style};
use crate::engine::{Direction, EventKind, Leg, ReadyState};
use crate::format::preview::{hex_preview, text_preview};
use crate::model::stats;
use crate::model::tab_setup::TabKind;
use crate::model::timeline::EntryRef;

const ROW_HEIGHT: f32 = 20.0;
/// About how wide the buttons at the right of the timeline's count line are (Clear, State,
/// Script, Follow latest).
const TIMELINE_BUTTONS_WIDTH: f32 = 260.0;

/// Draws the filter bar, search, statistics, plots, pins and the timeline of `tab`, and
/// handles selection by click (Ctrl+click picks a second row) and arrow keys. Rows are the
/// entries passing the filter; selection always holds the real entry index. A row's
/// context menu copies it, or pushes a [`row_menu::RowCommand`] (pin, edit, send again).
pub fn ui(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<TabAction>) {
    let total = tab.timeline.len();
    let protocol = tab
        .protocol
        .is_active()
        .then(|| (tab.protocol.kind().label(), tab.protocol.groups()));
    filter_bar::filter_ui(ui, &mut tab.finding, total, protocol);
    let mut jump = filter_bar::search_ui(ui, &mut tab.finding, tab.selected);
    stats_strip::strip_ui(ui, &tab.finding.stats, tab.timeline.last_round_trip());
    stats_strip::not_kept_ui(ui, tab.timeline.not_kept(), tab.timeline.memory_budget());
    decoding_status(ui, tab);
    egui::CollapsingHeader::new("Plots")
        .id_salt(("plots", tab.id))
        .show(ui, |ui| {
            stats_strip::plots_ui(ui, tab.id, &tab.finding.stats)
        });
    egui::CollapsingHeader::new(format!("Pins ({})", tab.setup.pins.len()))
        .id_salt(("pins", tab.id))
        .show(ui, |ui| {
            if let Some(index) = pins::ui(ui, &mut tab.setup.pins, tab.selected) {
                jump = Some(index);
            }
        });
    let count = tab.finding.row_count(&tab.timeline);
    let everything = tab.finding.shows_everything();
    ui.horizontal(|ui| {
        ui.label(filter_bar::count_text(count, total, everything));
        if let (Some(a), Some(b)) = (tab.selected, tab.second_selection)
            && let Some(delta) = stats::time_between(&tab.timeline, a, b)
        {
            let (first, second) = (a.min(b), a.max(b));
            ui.separator();
            ui.label(format!(
                "Δ {:.3} s between #{first} and #{second}",
                delta.as_secs_f64()
            ));
        } else if tab.selected.is_some() && ui.available_width() > TIMELINE_BUTTONS_WIDTH + 200.0 {
            // Only where it does not run under the buttons on the right.
            ui.weak("Ctrl+click: time between rows");
        }
        ui.with_layout(egui::Layout::right_to_left(Align::Center), |ui| {
            let clearable = total > 0 && tab.replay.is_none();
            let clear = CommandId::ClearTimeline
                .enabled_button(ui, clearable)
                .on_disabled_hover_text(if tab.replay.is_some() {
                    "A replay's timeline is kept whole: its comparison points into it"
                } else {
                    "Nothing to clear"
                });
            if clear.clicked() {
                actions.push(TabAction::ClearTimeline);
            }
            ui.toggle_value(&mut tab.fold.open, "State")
                .on_hover_text("The document the incoming messages describe, row by row");
            let (passed, failed) = tab.script.counts();
            let script_label = if failed > 0 {
                format!("Script: {failed} failed")
            } else if passed > 0 {
                format!("Script: {passed} passed")
            } else {
                "Script".to_owned()
            };
            ui.toggle_value(&mut tab.script.open, script_label)
                .on_hover_text("The tab's script: its hooks, tests and log");
            let was = tab.follow;
            ui.toggle_value(&mut tab.follow, "Follow latest")
                .on_hover_text("Keep the newest event in view; scrolling up turns this off");
            if tab.follow && !was {
                tab.selected = None;
                tab.second_selection = None;
            }
        });
    });
    if count == 0 {
        ui.add_space(24.0);
        ui.vertical_centered(|ui| {
            let live = matches!(
                tab.ready_state(),
                ReadyState::Connecting | ReadyState::Open | ReadyState::Closing
            );
            let hint = if total == 0 && live {
                match tab.setup.kind {
                    TabKind::Proxy | TabKind::Server => {
                        "No connection shown yet: a client's events appear here once it connects."
                    }
                    _ => "No events yet: new ones appear here as they arrive.",
                }
            } else if total == 0 {
                match tab.setup.kind {
                    TabKind::Proxy => "Nothing yet. Start the proxy, then point a client at it.",
                    TabKind::Server => "Nothing yet. Start the server, then connect a client.",
                    _ => {
                        "Nothing yet. Press Connect (or Enter in the URL field) to open the connection."
                    }
                }
            } else {
                "No event matches the filter."
            };
            ui.label(RichText::new(hint).weak());
        });
        return;
    }
    let mut scroll_to = None;
    if let Some(index) = jump {
        tab.selected = Some(index);
        tab.second_selection = None;
        tab.follow = false;
        scroll_to = tab.finding.row_of_entry(index);
    }
    let selected_row = tab.selected.and_then(|i| tab.finding.row_of_entry(i));
    if ui.ctx().egui_wants_keyboard_input() {
        // Arrow keys belong to the focused text field.
    } else {
        let (up, down) = ui.input(|i| (i.key_pressed(Key::ArrowUp), i.key_pressed(Key::ArrowDown)));
        if up || down {
            let current = selected_row.unwrap_or(if up { count } else { 0 });
            let next = if up {
                current.saturating_sub(1)
            } else {
                (current + 1).min(count - 1)
            };
            let next = if selected_row.is_none() && down {
                0
            } else {
                next
            };
            tab.selected = tab.finding.entry_of_row(next);
            tab.follow = false;
            scroll_to = Some(next);
        }
    }
    // Labels in rows must not take the click for text selection: a click selects the row.
    ui.style_mut().interaction.selectable_labels = false;
    let mut table = TableBuilder::new(ui)
        .id_salt(("timeline", tab.id))
        .striped(true)
        .sense(egui::Sense::click())
        .resizable(true)
        .stick_to_bottom(tab.follow)
        .column(Column::exact(96.0))
        .column(Column::exact(78.0))
        .column(Column::exact(if tab.timeline.has_legs() {
            40.0
        } else {
            22.0
        }))
        .column(Column::exact(64.0))
        // As wide as the visible sizes need ("22 B", "103 B (45 B wire)"), so that a
        // narrow timeline leaves its room to the preview.
        .column(Column::auto().at_least(48.0).at_most(130.0))
        .column(Column::remainder().at_least(60.0).clip(true))
        .auto_shrink([false, false]);
    if let Some(row) = scroll_to {
        table = table.scroll_to_row(row, Some(Align::Center));
    } else if tab.follow && count > 0 {
        table = table.scroll_to_row(count - 1, Some(Align::BOTTOM));
    }
    let mut clicked = None;
    let mut row_command = None;
    let needle = tab.finding.search.query.clone();
    let send_off = tab.send_off_reason();
    let redactor = &tab.redactor;
    let compose = (tab.setup.kind == TabKind::WebSocket).then_some(RowMenuContext {
        send_off: send_off.as_deref(),
    });
    let decoding = &tab.decoding;
    let protocol = &tab.protocol;
    let fold = &tab.fold;
    let output = table
        .header(ROW_HEIGHT, |mut header| {
            for title in ["Time", "+since open", "", "Kind", "Size", "Preview"] {
                header.col(|ui| {
                    ui.label(RichText::new(title).strong());
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, count, |mut row| {
                let Some(index) = tab.finding.entry_of_row(row.index()) else {
                    return;
                };
                let Some(entry) = tab.timeline.get(index) else {
                    return;
                };
                row.set_selected(
                    tab.selected == Some(index) || tab.second_selection == Some(index),
                );
                let since_open = tab.timeline.since_open(index);
                let not_kept = tab.timeline.not_kept_len(index);
                // A frame the tab's protocol reads is shown as its unit, not as a payload
                // format guessed from its bytes.
                let unit = protocol.row(index);
                let decoded = decoding.row(index).filter(|_| unit.is_none());
                let cells = RowCells {
                    since_open,
                    not_kept,
                    decoded,
                    unit,
                    needle: &needle,
                    fold_error: fold.history().and_then(|history| history.error(index)),
                };
                row_cells(&mut row, entry, &cells);
                let response = row.response();
                if response.clicked() {
                    let ctrl = response.ctx.input(|i| i.modifiers.command);
                    clicked = Some((index, ctrl));
                } else if response.secondary_clicked() {
                    // The menu acts on this row: show it in the detail pane too.
                    clicked = Some((index, false));
                }
                let decode = is_binary(entry.kind).then(|| MenuContext {
                    tab_spec: decoding.spec(),
                    message_spec: decoding.override_of(index),
                    row: decoded,
                    has_proto: decoding.has_proto(),
                });
                response.context_menu(|ui| {
                    if let Some(command) =
                        row_menu::ui(ui, entry, index, not_kept, compose, decode, redactor)
                    {
                        row_command = Some(command);
                    }
                });
            });
        });
    if let Some(command) = row_command {
        actions.push(TabAction::Row(command));
    }
    match clicked {
        Some((index, true)) if tab.selected.is_some_and(|s| s != index) => {
            tab.second_selection = Some(index);
            tab.follow = false;
        }
        Some((index, _)) => {
            tab.selected = Some(index);
            tab.second_selection = None;
            tab.follow = false;
        }
        None => {}
    }
    let at_bottom = output.state.clamped_offset().y + output.inner_rect.height()
        >= output.content_size.y - ROW_HEIGHT;
    let user_scrolled = output
        .inner_rect
        .contains(ui.input(|i| i.pointer.hover_pos()).unwrap_or_default())
        && ui.input(|i| i.smooth_scroll_delta.y != 0.0 || i.pointer.primary_down());
    if user_scrolled && scroll_to.is_none() && clicked.is_none() {
        if tab.follow && !at_bottom {
            tab.follow = false;
        } else if !tab.follow && at_bottom && ui.input(|i| i.smooth_scroll_delta.y < 0.0) {
            tab.follow = true;
        }
    }
}

/// What the tab's decoding is doing, when there is something to say: decoding the
/// timeline again after a new choice, or decoded text past its bound.
fn decoding_status(ui: &mut egui::Ui, tab: &Tab) {
    let decoding = &tab.decoding;
    let total = tab.timeline.len();
    if decoding.is_redecoding(&tab.timeline) {
        let done = decoding.rows().cursor();
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!(
                "Decoding as {}: {done} of {total} events",
                decoding.spec()
            ));
        });
    }
    let not_kept = decoding.rows().not_kept();
    if not_kept > 0 {
        let plural = if not_kept == 1 { "" } else { "s" };
        ui.label(
            RichText::new(format!(
                "{not_kept} decoded message{plural} not kept: decoded text reached the tab's \
                 memory budget ({}); they show their format and size, and their bytes as hex",
                style::format_size(tab.timeline.memory_budget())
            ))
            .color(ui.visuals().warn_fg_color),
        );
    }
}

fn is_binary(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Message { payload, .. } if payload.as_text().is_none())
}

/// The badge of a decoded binary message: its format, or the format that did not fit.
fn decode_badge(ui: &mut egui::Ui, decoded: &RowDecode) {
    let (text, color, hover) = match &decoded.outcome {
        Outcome::Decoded { .. } => (
            decoded.format.clone(),
            ui.visuals().hyperlink_color,
            decoded.reason.clone(),
        ),
        Outcome::NotKept { text_len, .. } => (
            decoded.format.clone(),
            ui.visuals().warn_fg_color,
            Some(format!(
                "Decoded text ({}) not kept: over the tab's memory budget",
                style::format_size(*text_len)
            )),
        ),
        Outcome::Error(error) => (
            format!("{} failed", decoded.format),
            ui.visuals().error_fg_color,
            Some(error.clone()),
        ),
    };
    let label = ui.label(
        RichText::new(text)
            .small()
            .monospace()
            .color(color)
            .background_color(color.gamma_multiply(0.15)),
    );
    if let Some(hover) = hover {
        label.on_hover_text(hover);
    }
}

/// What a row shows besides its event.
struct RowCells<'a> {
    since_open: Option<std::time::Duration>,
    not_kept: Option<usize>,
    decoded: Option<&'a RowDecode>,
    unit: Option<&'a ProtocolRow>,
    needle: &'a str,
    /// Why the tab's live state could not apply this message.
    fold_error: Option<&'a str>,
}

/// The colour of a protocol unit's badge: red when it carries the protocol's own error,
/// weak for housekeeping.
fn badge_color(ui: &egui::Ui, unit: &ProtocolRow) -> egui::Color32 {
    if unit.problem.is_some() {
        ui.visuals().error_fg_color
    } else if unit.housekeeping {
        ui.visuals().weak_text_color()
    } else {
        ui.visuals().hyperlink_color
    }
}

/// What hovering a unit says: its problem, else its group.
fn unit_hover(label: egui::Response, unit: &ProtocolRow) {
    let hover = match (&unit.problem, &unit.group) {
        (Some(problem), _) => Some(problem.clone()),
        (None, Some(group)) => Some(format!("in {group}")),
        (None, None) => None,
    };
    if let Some(hover) = hover {
        label.on_hover_text(hover);
    }
}

/// The badge of a protocol unit: its type, on its own (beside a highlighted preview).
fn unit_badge(ui: &mut egui::Ui, unit: &ProtocolRow) {
    let color = badge_color(ui, unit);
    let label = ui.label(
        RichText::new(&unit.kind)
            .small()
            .monospace()
            .color(color)
            .background_color(color.gamma_multiply(0.15)),
    );
    unit_hover(label, unit);
}

/// A unit's row text as one label: its type as a badge, then `text` (a summary that
/// starts with the type, as most do, shows it once: `event chat ["hi"]`, not
/// `event event chat ["hi"]`).
fn unit_label(ui: &mut egui::Ui, unit: &ProtocolRow, text: &str) {
    let color = badge_color(ui, unit);
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let rest = text
        .strip_prefix(unit.kind.as_str())
        .filter(|rest| rest.starts_with(' '))
        .map_or_else(|| format!(" {text}"), str::to_owned);
    let mut job = LayoutJob::default();
    job.append(
        &unit.kind,
        0.0,
        egui::TextFormat {
            font_id: egui::FontId::monospace(font.size * 0.85),
            color,
            background: color.gamma_multiply(0.15),
            valign: Align::Center,
            ..Default::default()
        },
    );
    let rest_color = if unit.housekeeping {
        ui.visuals().weak_text_color()
    } else {
        ui.visuals().text_color()
    };
    job.append(&rest, 0.0, egui::TextFormat::simple(font, rest_color));
    let label = ui.add(egui::Label::new(job).truncate());
    unit_hover(label, unit);
}

fn row_cells(row: &mut egui_extras::TableRow<'_, '_>, event: EntryRef<'_>, cells: &RowCells<'_>) {
    let RowCells {
        since_open,
        not_kept,
        decoded,
        ..
    } = *cells;
    let color = style::kind_color(event.kind);
    row.col(|ui| {
        let time: DateTime<Local> = event.wall_time.into();
        ui.label(RichText::new(time.format("%H:%M:%S%.3f").to_string()).monospace());
    });
    row.col(|ui| {
        let text = since_open.map_or_else(String::new, |d| format!("+{:.3}s", d.as_secs_f64()));
        ui.label(RichText::new(text).monospace().weak());
    });
    row.col(|ui| {
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 2.0;
            if let Some(leg) = event.leg {
                leg_marker(ui, leg);
            }
            ui.label(
                RichText::new(direction_arrow(event.kind))
                    .color(color)
                    .strong()
                    .monospace(),
            );
        });
    });
    row.col(|ui| {
        ui.label(RichText::new(kind_name(event.kind)).color(color).strong());
    });
    row.col(|ui| {
        let size = not_kept.map_or_else(|| size_text(event.kind), style::format_size);
        // permessage-deflate: the compressed size beside the message's own.
        let size = match event.wire {
            Some(wire) => format!("{size} ({} wire)", style::format_size(wire.size)),
            None => size,
        };
        let size = match decoded.and_then(RowDecode::decoded_size) {
            Some(unpacked) => format!("{size} → {}", style::format_size(unpacked)),
            None => size,
        };
        ui.label(RichText::new(size).monospace().weak())
            .on_hover_text(
                "Size of the message; \"wire\": compressed on the wire (permessage-deflate); \
             → the decoded JSON",
            );
    });
    row.col(|ui| match cells.fold_error {
        // A message the tab's live state could not apply: a badge says why.
        Some(reason) => {
            ui.horizontal(|ui| {
                let color = ui.visuals().error_fg_color;
                ui.label(
                    RichText::new("not applied")
                        .small()
                        .monospace()
                        .color(color)
                        .background_color(color.gamma_multiply(0.15)),
                )
                .on_hover_text(format!("Not applied to the state: {reason}"));
                preview_cell(ui, event, cells);
            });
        }
        None => preview_cell(ui, event, cells),
    });
}

/// The Preview cell: the payload's preview, its decoded reading or its protocol unit.
fn preview_cell(ui: &mut egui::Ui, event: EntryRef<'_>, cells: &RowCells<'_>) {
    let RowCells {
        not_kept,
        decoded,
        unit,
        needle,
        ..
    } = *cells;
    if not_kept.is_some() {
        let color = ui.visuals().warn_fg_color;
        ui.label(RichText::new(NOT_KEPT).italics().color(color));
        return;
    }
    let text = match (unit, decoded.and_then(|row| row.text())) {
        (Some(unit), _) if matches!(event.kind, EventKind::Message { .. }) => unit.summary.clone(),
        // A close or a refused upgrade keeps its own preview; the protocol's reading
        // follows it.
        (Some(unit), _) => format!("{} · {}", preview(event.kind), unit.summary),
        (None, Some(decoded)) => text_preview(decoded),
        (None, None) => preview(event.kind),
    };
    let weak = unit.is_some_and(|unit| unit.housekeeping);
    let preview_label = |ui: &mut egui::Ui| {
        if !needle.is_empty() && text.contains(needle) {
            ui.add(egui::Label::new(filter_bar::highlighted(ui, &text, needle)).truncate());
        } else {
            let mut rich = RichText::new(&text).monospace();
            if weak {
                rich = rich.weak();
            }
            ui.add(egui::Label::new(rich).truncate());
        }
    };
    if let Some(unit) = unit {
        if needle.is_empty() {
            unit_label(ui, unit, &text);
        } else {
            ui.horizontal(|ui| {
                unit_badge(ui, unit);
                preview_label(ui);
            });
        }
        return;
    }
    match decoded {
        // The badge, then the preview on the same line.
        Some(decoded) => {
            ui.horizontal(|ui| {
                decode_badge(ui, decoded);
                preview_label(ui);
            });
        }
        None => preview_label(ui),
    }
}

/// The leg of a proxied connection's row: `C` (client leg) or `U` (upstream leg), each
/// in its own colour, with what it means on hover.
pub fn leg_marker(ui: &mut egui::Ui, leg: Leg) {
    let color = style::leg_color(leg);
    let hover = match leg {
        Leg::Client => "Client leg: between the client and Sockscope (in: from the client)",
        Leg::Upstream => "Upstream leg: between Sockscope and the server (in: from the server)",
    };
    ui.label(
        RichText::new(leg.marker())
            .monospace()
            .strong()
            .color(color)
            .background_color(color.gamma_multiply(0.15)),
    )
    .on_hover_text(hover);
}

fn direction_arrow(kind: &EventKind) -> &'static str {
    let dir = match kind {
        EventKind::Message { dir, .. }
        | EventKind::Ping { dir, .. }
        | EventKind::Pong { dir, .. } => *dir,
        _ => return "",
    };
    match dir {
        Direction::Out => "↑",
        Direction::In => "↓",
    }
}

/// The kind column: open, text, binary, ping, pong, error, close (and connecting).
pub fn kind_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Message { payload, .. } if payload.as_text().is_some() => "text",
        EventKind::Message { .. } => "binary",
        other => other.name(),
    }
}

/// What a row whose payload was not kept shows instead of a preview.
pub const NOT_KEPT: &str = "not kept: over the memory budget";

fn size_text(kind: &EventKind) -> String {
    match kind {
        EventKind::Message { payload, .. } => style::format_size(payload.len()),
        EventKind::Ping { payload, .. } | EventKind::Pong { payload, .. } => {
            style::format_size(payload.len())
        }
        _ => String::new(),
    }
}

/// A one-line preview of an event, from at most
/// [`PREVIEW_BYTES`](crate::format::preview::PREVIEW_BYTES) of its payload (or message).
pub fn preview(kind: &EventKind) -> String {
    match kind {
        EventKind::Connecting { url } => url.clone(),
        EventKind::Open(open) => {
            let protocol = open.subprotocol.as_deref().unwrap_or("no subprotocol");
            format!(
                "{} Switching Protocols, {protocol}, {} ms",
                open.status,
                open.handshake.as_millis()
            )
        }
        EventKind::Message { payload, .. } => match payload.as_text() {
            Some(text) => text_preview(text),
            None => hex_preview(payload.as_bytes()),
        },
        EventKind::Ping { payload, .. } | EventKind::Pong { payload, .. } => hex_preview(payload),
        EventKind::Error(error) => format!("{}: {}", error.category, text_preview(&error.message)),
        EventKind::Close(close) => {
            let info = crate::engine::close_code::describe(close.code);
            let clean = if close.was_clean {
                "clean"
            } else {
                "not clean"
            };
            let reason = if close.reason.is_empty() {
                String::new()
            } else {
                format!(" \"{}\"", text_preview(&close.reason))
            };
            format!("{info}{reason}, {clean}, by {}", close.initiator.as_str())
        }
        EventKind::Sse(sse) => text_preview(sse.text()),
        EventKind::Token(token) => text_preview(&crate::engine::oauth2::describe_exchange(token)),
        EventKind::Script(note) => text_preview(&note.line()),
        EventKind::Dropped(dropped) => dropped.line(),
    }
}

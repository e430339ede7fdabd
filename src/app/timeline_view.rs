//! The timeline: one row per event, virtualized so a frame lays out only visible rows,
//! with follow-latest that steps aside when the user scrolls up.

use chrono::{DateTime, Local};
use egui::{Align, Key, RichText};
use egui_extras::{Column, TableBuilder};

use super::style;
use super::tab::Tab;
use crate::engine::{Direction, EventKind};
use crate::model::timeline::TimelineEntry;

const ROW_HEIGHT: f32 = 20.0;
/// How much of a payload a preview shows; the rest is in the detail pane.
const PREVIEW_BYTES: usize = 160;

/// Draws the timeline of `tab` and handles selection by click and arrow keys.
pub fn ui(ui: &mut egui::Ui, tab: &mut Tab) {
    let count = tab.timeline.len();
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Timeline: {count} events")).strong());
        ui.with_layout(egui::Layout::right_to_left(Align::Center), |ui| {
            let was = tab.follow;
            ui.toggle_value(&mut tab.follow, "Follow latest")
                .on_hover_text("Keep the newest event in view; scrolling up turns this off");
            if tab.follow && !was {
                tab.selected = None;
            }
        });
    });
    if count == 0 {
        ui.add_space(24.0);
        ui.vertical_centered(|ui| {
            ui.label(RichText::new("Nothing yet. Press Connect (or Enter in the URL field) to open the connection.").weak());
        });
        return;
    }
    let mut scroll_to = None;
    if ui.ctx().egui_wants_keyboard_input() {
        // Arrow keys belong to the focused text field.
    } else if count > 0 {
        let (up, down) = ui.input(|i| (i.key_pressed(Key::ArrowUp), i.key_pressed(Key::ArrowDown)));
        if up || down {
            let current = tab.selected.unwrap_or(if up { count } else { 0 });
            let next = if up {
                current.saturating_sub(1)
            } else {
                (current + 1).min(count - 1)
            };
            let next = if tab.selected.is_none() && down {
                0
            } else {
                next
            };
            tab.selected = Some(next);
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
        .column(Column::exact(22.0))
        .column(Column::exact(64.0))
        .column(Column::exact(76.0))
        .column(Column::remainder().clip(true))
        .auto_shrink([false, false]);
    if let Some(row) = scroll_to {
        table = table.scroll_to_row(row, None);
    } else if tab.follow && count > 0 {
        table = table.scroll_to_row(count - 1, Some(Align::BOTTOM));
    }
    let mut clicked = None;
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
                let index = row.index();
                let Some(entry) = tab.timeline.get(index) else {
                    return;
                };
                row.set_selected(tab.selected == Some(index));
                let since_open = tab.timeline.since_open(index);
                row_cells(&mut row, entry, since_open);
                if row.response().clicked() {
                    clicked = Some(index);
                }
            });
        });
    if let Some(index) = clicked {
        tab.selected = Some(index);
        tab.follow = false;
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

fn row_cells(
    row: &mut egui_extras::TableRow<'_, '_>,
    entry: &TimelineEntry,
    since_open: Option<std::time::Duration>,
) {
    let event = &entry.event;
    let color = style::kind_color(&event.kind);
    row.col(|ui| {
        let time: DateTime<Local> = event.wall_time.into();
        ui.label(RichText::new(time.format("%H:%M:%S%.3f").to_string()).monospace());
    });
    row.col(|ui| {
        let text = since_open.map_or_else(String::new, |d| format!("+{:.3}s", d.as_secs_f64()));
        ui.label(RichText::new(text).monospace().weak());
    });
    row.col(|ui| {
        ui.label(
            RichText::new(direction_arrow(&event.kind))
                .color(color)
                .strong()
                .monospace(),
        );
    });
    row.col(|ui| {
        ui.label(RichText::new(kind_name(&event.kind)).color(color).strong());
    });
    row.col(|ui| {
        ui.label(RichText::new(size_text(&event.kind)).monospace().weak());
    });
    row.col(|ui| {
        ui.add(egui::Label::new(RichText::new(preview(&event.kind)).monospace()).truncate());
    });
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

fn size_text(kind: &EventKind) -> String {
    match kind {
        EventKind::Message { payload, .. } => style::format_size(payload.len()),
        EventKind::Ping { payload, .. } | EventKind::Pong { payload, .. } => {
            style::format_size(payload.len())
        }
        _ => String::new(),
    }
}

/// A one-line preview of an event, from at most [`PREVIEW_BYTES`] of its payload.
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
            Some(text) => one_line(head(text, PREVIEW_BYTES)),
            None => hex_preview(payload.as_bytes()),
        },
        EventKind::Ping { payload, .. } | EventKind::Pong { payload, .. } => hex_preview(payload),
        EventKind::Error(error) => format!("{}: {}", error.category, error.message),
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
                format!(" \"{}\"", close.reason)
            };
            format!("{info}{reason}, {clean}, by {}", close.initiator.as_str())
        }
        EventKind::Sse(sse) => one_line(head(sse.text(), PREVIEW_BYTES)),
    }
}

fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn hex_preview(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(PREVIEW_BYTES / 3)];
    let mut text: Vec<String> = shown.iter().map(|b| format!("{b:02x}")).collect();
    if shown.len() < bytes.len() {
        text.push("…".to_owned());
    }
    text.join(" ")
}

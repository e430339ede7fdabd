//! The error event: its category, its message and, for a rejected handshake, what the
//! server answered (status, headers, body).

use egui::{RichText, ScrollArea, Ui};

use super::binary::BinaryState;
use super::widgets::{self, BAD};
use crate::engine::ErrorInfo;
use crate::format::base64::to_base64;
use crate::model::timeline::EntryRef;

/// Shows an error event; `body` caches the rejected handshake's body check.
pub fn ui(
    ui: &mut Ui,
    event: &EntryRef<'_>,
    error: &ErrorInfo,
    body: &mut BinaryState,
    fresh: bool,
) {
    ui.horizontal_wrapped(|ui| {
        widgets::title(ui, "Error", BAD);
        widgets::badge(ui, error.category.as_str(), BAD);
        widgets::time_labels(ui, event.wall_time, event.offset, event.seq);
    });
    ui.separator();
    let Some(http) = &error.http else {
        ScrollArea::vertical()
            .id_salt("detail-error")
            .auto_shrink([false, false])
            .show(ui, |ui| message(ui, &error.message));
        return;
    };
    // The top part scrolls on its own, so the body below keeps room for its line view.
    let top_height = (ui.available_height() * 0.5).max(120.0);
    ScrollArea::vertical()
        .id_salt("detail-error")
        .max_height(top_height)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            message(ui, &error.message);
            ui.add_space(6.0);
            widgets::fact(
                ui,
                "HTTP status",
                &widgets::status_text(http.status),
                Some(BAD),
            );
            ui.add_space(6.0);
            widgets::headers_section(
                ui,
                "Response headers",
                "detail-error-headers",
                &http.headers,
            );
        });
    ui.add_space(6.0);
    let is_text = body.utf8_index(&http.body).is_some();
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("Body ({})", widgets::size_text(http.body.len()))).strong());
        if !http.body.is_empty() {
            if is_text {
                widgets::copy_button(ui, "Copy body", || {
                    String::from_utf8_lossy(&http.body).into_owned()
                });
            } else {
                ui.label(RichText::new("not UTF-8, shown in hex").weak());
                widgets::copy_bytes_button(ui, "Copy body as base64", &http.body, to_base64);
            }
        }
    });
    if http.body.is_empty() {
        ui.label(RichText::new("(empty body)").weak());
    } else {
        body.body_ui(ui, &http.body, fresh);
    }
}

fn message(ui: &mut Ui, message: &str) {
    ui.add(egui::Label::new(RichText::new(message).strong()).wrap());
}

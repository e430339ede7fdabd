//! The open event: what the opening handshake established, and both header lists.

use egui::{RichText, ScrollArea, Ui};

use super::widgets::{self, GOOD};
use crate::engine::OpenInfo;
use crate::model::timeline::EntryRef;

/// Shows an open event.
pub fn ui(ui: &mut Ui, event: &EntryRef<'_>, open: &OpenInfo) {
    ui.horizontal_wrapped(|ui| {
        widgets::title(ui, "Open", GOOD);
        widgets::time_labels(ui, event.wall_time, event.offset, event.seq);
    });
    ui.separator();
    ScrollArea::vertical()
        .id_salt("detail-open")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let status = widgets::status_text(open.status);
            let handshake = widgets::millis_text(open.handshake);
            let subprotocol = open.subprotocol.as_deref().unwrap_or("none");
            let extensions = open.extensions.as_deref().unwrap_or("none");
            widgets::key_value_grid(
                ui,
                "detail-open-facts",
                [
                    ("HTTP status", status.as_str()),
                    ("Handshake", handshake.as_str()),
                    ("Subprotocol", subprotocol),
                    ("Extensions", extensions),
                ],
            );
            ui.label(
                RichText::new("Handshake: from the start of the attempt (DNS, TCP, TLS, HTTP) to the 101 answer.")
                    .small()
                    .weak(),
            );
            ui.add_space(8.0);
            widgets::headers_section(
                ui,
                "Request headers",
                "detail-request-headers",
                &open.request_headers,
            );
            ui.add_space(8.0);
            widgets::headers_section(
                ui,
                "Response headers",
                "detail-response-headers",
                &open.response_headers,
            );
        });
}

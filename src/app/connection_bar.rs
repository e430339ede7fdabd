//! The connection bar: URL, Connect/Disconnect and the readyState badge, with the request
//! section (headers, subprotocols, timeouts, TLS) below it.

use egui::{Key, RichText};

use super::action::Action;
use super::request_panel;
use super::style;
use super::tab::Tab;
use crate::engine::ReadyState;

/// Draws the bar for `tab`; Enter in the URL field connects.
pub fn ui(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<Action>) {
    let state = tab.ready_state();
    let locked = state != ReadyState::Closed;
    ui.horizontal(|ui| {
        let url_label = ui.label(RichText::new("URL").strong());
        let button_width = 110.0;
        let badge_width = 110.0;
        let url_width = (ui.available_width() - button_width - badge_width).max(120.0);
        let response = ui
            .add_enabled(
                !locked,
                egui::TextEdit::singleline(&mut tab.config.url)
                    .hint_text("ws://host:port/path")
                    .desired_width(url_width)
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(url_label.id);
        if response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) && !locked {
            actions.push(Action::Connect);
        }
        let (text, action) = match state {
            ReadyState::Closed => ("Connect", Action::Connect),
            ReadyState::Connecting => ("Cancel", Action::Disconnect),
            ReadyState::Open => ("Disconnect", Action::Disconnect),
            ReadyState::Closing => ("Drop now", Action::Disconnect),
        };
        let hover = match state {
            ReadyState::Closed => "Open a connection with these settings (Enter)",
            ReadyState::Connecting => "Abandon the opening handshake",
            ReadyState::Open => "Close with 1000 Normal Closure",
            ReadyState::Closing => {
                "Stop waiting for the closing handshake: drop the TCP connection"
            }
        };
        if ui
            .add_sized(
                [button_width - 10.0, 22.0],
                egui::Button::new(RichText::new(text).strong()),
            )
            .on_hover_text(hover)
            .clicked()
        {
            actions.push(action);
        }
        style::state_badge(ui, state, tab.last_close_clean());
    });
    if let Some(error) = &tab.input_error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    egui::CollapsingHeader::new("Request: headers, subprotocols, timeouts, TLS")
        .id_salt(("request", tab.id))
        .default_open(false)
        .show(ui, |ui| {
            if locked {
                ui.label(
                    RichText::new(
                        "Request settings are locked while connected. Disconnect to edit them.",
                    )
                    .italics()
                    .weak(),
                );
            }
            ui.add_enabled_ui(!locked, |ui| request_panel::ui(ui, tab));
        });
}

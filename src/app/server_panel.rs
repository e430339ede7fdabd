//! A server tab's own panels: the bar (listen address, subprotocol, start and stop), and
//! on the left the clients (each with its path and offered subprotocols, state or close),
//! the shown client's hand controls, the next handshake's answer and the auto-responses.
//! They draw and push actions; no I/O.

use egui::RichText;

use super::action::TabAction;
use super::proxy_panel::{ServingPanels, listening_status, push, serving_panels, start_stop};
use super::proxy_tab::ProxyAction;
use super::server_tab::ServerCommand;
use super::tab::Tab;
use crate::engine::ReadyState;
use crate::mock::control::ClientCommand;
use crate::model::server_setup::ServerSetup;

/// The example shown in an empty auto-responses editor.
const RULES_HINT: &str = "(\n    on_open: [\"welcome\"],\n    replies: [(when: Contains(\"ping\"), reply: \"pong\")],\n    echo: false,\n)";

/// Adds the server tab's bar (top) and its side (left).
pub fn panels(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<TabAction>) {
    serving_panels(
        ui,
        tab,
        actions,
        ServingPanels {
            id: "server",
            list_title: "Clients",
            empty_hint: "Start the server, then connect a client.",
            bar,
            controls,
        },
    );
}

fn bar(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<TabAction>) {
    let state = tab.ready_state();
    let locked = state != ReadyState::Closed;
    let setup = tab.setup.server.get_or_insert_with(ServerSetup::default);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Server").strong());
        let label = ui.label("Listen");
        ui.add_enabled(
            !locked,
            egui::TextEdit::singleline(&mut setup.listen)
                .desired_width(140.0)
                .hint_text("127.0.0.1:9003"),
        )
        .labelled_by(label.id);
        let label = ui.label("Subprotocol");
        ui.add_enabled(
            !locked,
            egui::TextEdit::singleline(&mut setup.subprotocol)
                .desired_width(140.0)
                .hint_text("accepted when offered"),
        )
        .labelled_by(label.id);
        start_stop(ui, state, "server", "Close every client with 1001", actions);
    });
    listening_status(ui, tab.proxy.as_deref());
}

fn command(actions: &mut Vec<TabAction>, command: ClientCommand) {
    push(actions, ProxyAction::Server(ServerCommand::Client(command)));
}

/// The shown client's controls, where the composer sends, the next handshake, and the
/// auto-responses.
fn controls(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<TabAction>) {
    let running = tab.ready_state() == ReadyState::Open;
    let state = tab.proxy_state();
    let shown = state.shown;
    let server = &mut state.server;
    ui.heading("This client");
    ui.add_enabled_ui(running && shown.is_some(), |ui| {
        ui.horizontal(|ui| {
            let label = ui.label("Close code");
            ui.add(egui::DragValue::new(&mut server.close_code).range(1000..=4999))
                .labelled_by(label.id);
            let label = ui.label("Reason");
            ui.add(egui::TextEdit::singleline(&mut server.close_reason).desired_width(100.0))
                .labelled_by(label.id);
            if ui.button("Close client").clicked() {
                let reason = server.close_reason.clone();
                command(actions, ClientCommand::Close(server.close_code, reason));
            }
        });
        ui.horizontal(|ui| {
            if ui
                .button("Drop abruptly")
                .on_hover_text(
                    "Close the TCP connection with no close frame (the client sees 1006)",
                )
                .clicked()
            {
                command(actions, ClientCommand::Drop);
            }
            let mut stopped = shown.is_some_and(|conn| server.not_reading.contains(&conn));
            if ui
                .checkbox(&mut stopped, "Stop reading")
                .on_hover_text(
                    "Leave the client's messages unread: its sends back up (backpressure)",
                )
                .changed()
            {
                command(actions, ClientCommand::StopReading(stopped));
            }
        });
    });
    ui.label(RichText::new("The composer sends to").strong());
    ui.horizontal(|ui| {
        ui.radio_value(&mut server.send_to_all, false, "this client");
        ui.radio_value(&mut server.send_to_all, true, "all clients");
    });
    ui.separator();
    ui.heading("Next handshake");
    ui.horizontal(|ui| {
        let label = ui.label("HTTP status");
        ui.add(egui::DragValue::new(&mut server.next_status).range(0..=599))
            .labelled_by(label.id)
            .on_hover_text("300-599 refuses the handshake; anything else accepts it");
        let label = ui.label("Subprotocol");
        ui.add(egui::TextEdit::singleline(&mut server.next_subprotocol).desired_width(90.0))
            .labelled_by(label.id);
    });
    let label = ui.label("Headers (Name: value a line)");
    ui.add(egui::TextEdit::multiline(&mut server.next_headers).desired_rows(2))
        .labelled_by(label.id);
    let label = ui.label("Body");
    ui.add(egui::TextEdit::multiline(&mut server.next_body).desired_rows(2))
        .labelled_by(label.id);
    ui.add_enabled_ui(running, |ui| {
        ui.horizontal(|ui| {
            if ui.button("Answer the next handshake so").clicked() {
                let answer = server.next_answer();
                push(
                    actions,
                    ProxyAction::Server(ServerCommand::AnswerNext(Some(answer))),
                );
            }
            if server.armed.is_some() && ui.button("Disarm").clicked() {
                push(
                    actions,
                    ProxyAction::Server(ServerCommand::AnswerNext(None)),
                );
            }
        });
    });
    match &server.armed {
        Some(answer) => {
            let what = match (answer.status, &answer.subprotocol) {
                (Some(status), _) => format!("Armed: the next handshake is refused with {status}"),
                (None, Some(protocol)) => format!("Armed: the next handshake gets {protocol}"),
                (None, None) => "Armed: the next handshake gets these headers".into(),
            };
            ui.colored_label(ui.visuals().warn_fg_color, what);
        }
        None => {
            ui.label(RichText::new("Handshakes are answered as the settings say.").weak());
        }
    }
    ui.separator();
    let applied = server.applied_rules.clone();
    let error = state.rules_error.clone();
    let setup = tab.setup.server.get_or_insert_with(ServerSetup::default);
    egui::CollapsingHeader::new("Auto-responses (listen --rules format)")
        .id_salt(("server-rules", tab.id))
        .show(ui, |ui| {
            ui.label(RichText::new("Saved with the tab.").weak());
            let label = ui.label("Auto-responses");
            ui.add(
                egui::TextEdit::multiline(&mut setup.rules)
                    .code_editor()
                    .desired_rows(6)
                    .desired_width(f32::INFINITY)
                    .hint_text(RULES_HINT),
            )
            .labelled_by(label.id);
            if running {
                let edited = applied.as_deref() != Some(setup.rules.as_str());
                ui.horizontal(|ui| {
                    let apply = ui
                        .add_enabled(edited, egui::Button::new("Apply to the running server"))
                        .on_hover_text(
                            "New clients get them from their handshake; connected clients \
                             from their next message (on_open texts go to new clients only)",
                        );
                    if apply.clicked() {
                        push(actions, ProxyAction::Server(ServerCommand::ApplyRules));
                    }
                    let status = if edited {
                        "Edited: not in force yet"
                    } else {
                        "In force"
                    };
                    ui.label(RichText::new(status).weak());
                });
            } else {
                ui.label(RichText::new("They are put in force when the server starts.").weak());
            }
            if let Some(error) = error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
        });
}

//! A proxy tab's own panels: the bar (listen address, upstream, header changes, start and
//! stop), the connection list (one row per client, each leg's state and close), and the
//! intercept (pause a direction, the held messages to edit, drop or release, the rules,
//! and which leg the composer injects into). They draw and push actions; no I/O.

use egui::RichText;

use super::action::TabAction;
use super::proxy_tab::{ConnView, HeldEdit, LegView, ProxyAction, ProxyTabState};
use super::style;
use super::tab::Tab;
use super::timeline_view::leg_marker;
use crate::engine::{Leg, Payload, ReadyState};
use crate::format::preview::ellipsize;
use crate::model::proxy_setup::ProxySetup;

/// Adds the proxy tab's bar (top), and on the left its connection list above the
/// intercept.
pub fn panels(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<TabAction>) {
    serving_panels(
        ui,
        tab,
        actions,
        ServingPanels {
            id: "proxy",
            list_title: "Connections",
            empty_hint: "Start the proxy, then connect a client to it.",
            bar,
            controls: intercept,
        },
    );
}

/// What differs between a proxy tab's panels and a server tab's.
pub(super) struct ServingPanels {
    /// The panels' id prefix ("proxy", "server").
    pub(super) id: &'static str,
    /// The heading of the connection list.
    pub(super) list_title: &'static str,
    /// What the empty list says.
    pub(super) empty_hint: &'static str,
    /// The bar at the top.
    pub(super) bar: fn(&mut egui::Ui, &mut Tab, &mut Vec<TabAction>),
    /// What goes under the connection list.
    pub(super) controls: fn(&mut egui::Ui, &mut Tab, &mut Vec<TabAction>),
}

/// A serving tab's bar (top), and on the left its connection list above its controls.
pub(super) fn serving_panels(
    ui: &mut egui::Ui,
    tab: &mut Tab,
    actions: &mut Vec<TabAction>,
    panels: ServingPanels,
) {
    let id = panels.id;
    egui::Panel::top(format!("{id}-bar")).show(ui, |ui| {
        ui.add_space(4.0);
        (panels.bar)(ui, tab, actions);
        ui.add_space(2.0);
    });
    egui::Panel::left(format!("{id}-side"))
        .resizable(true)
        .default_size(330.0)
        .min_size(260.0)
        .show(ui, |ui| {
            client_list(ui, tab, actions, panels.list_title, panels.empty_hint);
            ui.separator();
            egui::ScrollArea::vertical()
                .id_salt(format!("{id}-side-scroll"))
                .auto_shrink([false, false])
                .show(ui, |ui| (panels.controls)(ui, tab, actions));
        });
}

/// The Start/Stop button of a serving tab (`noun`: "proxy", "server"; `stop_hover`: what
/// stopping does) and its state badge.
pub(super) fn start_stop(
    ui: &mut egui::Ui,
    state: ReadyState,
    noun: &str,
    stop_hover: &str,
    actions: &mut Vec<TabAction>,
) {
    if state != ReadyState::Closed {
        if ui
            .button(format!("Stop {noun}"))
            .on_hover_text(stop_hover)
            .clicked()
        {
            push(actions, ProxyAction::Stop);
        }
    } else if ui.button(format!("Start {noun}")).clicked() {
        push(actions, ProxyAction::Start);
    }
    style::state_badge(ui, state, None);
}

/// Where a serving tab listens (once it does), or why it could not start.
pub(super) fn listening_status(ui: &mut egui::Ui, proxy: Option<&ProxyTabState>) {
    if let Some(addr) = proxy.and_then(|p| p.listening) {
        ui.label(
            RichText::new(format!("listening on ws://{addr}: point your client here")).monospace(),
        );
    }
    if let Some(error) = proxy.and_then(|p| p.error.as_deref()) {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
}

/// Pushes a proxy (or server) tab's action.
pub(super) fn push(actions: &mut Vec<TabAction>, action: ProxyAction) {
    actions.push(TabAction::Proxy(action));
}

/// Listen address, upstream URL, Start/Stop, where it listens, header changes.
fn bar(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<TabAction>) {
    let state = tab.ready_state();
    let locked = state != ReadyState::Closed;
    let setup = tab.setup.proxy.get_or_insert_with(ProxySetup::default);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Proxy").strong());
        let label = ui.label("Listen");
        ui.add_enabled(
            !locked,
            egui::TextEdit::singleline(&mut setup.listen)
                .desired_width(140.0)
                .hint_text("127.0.0.1:9002"),
        )
        .labelled_by(label.id);
        let label = ui.label("Upstream");
        ui.add_enabled(
            !locked,
            egui::TextEdit::singleline(&mut setup.upstream)
                .desired_width(ui.available_width() - 260.0)
                .hint_text("ws://host:port/base"),
        )
        .labelled_by(label.id);
        start_stop(
            ui,
            state,
            "proxy",
            "Close every connection's legs with 1001",
            actions,
        );
    });
    listening_status(ui, tab.proxy.as_deref());
    egui::CollapsingHeader::new("Header changes")
        .id_salt(("proxy-headers", tab.id))
        .show(ui, |ui| {
            ui.add_enabled_ui(!locked, |ui| {
                ui.horizontal(|ui| {
                    let label = ui.label("Add (Name: value a line)");
                    ui.add(
                        egui::TextEdit::multiline(&mut setup.add_headers)
                            .desired_rows(2)
                            .desired_width(260.0),
                    )
                    .labelled_by(label.id);
                    let label = ui.label("Strip (a name a line)");
                    ui.add(
                        egui::TextEdit::multiline(&mut setup.strip_headers)
                            .desired_rows(2)
                            .desired_width(180.0),
                    )
                    .labelled_by(label.id);
                });
            });
        });
}

/// One row per client connection: number, path, each leg's state or close (a server
/// tab's clients: their offered subprotocols and their one side's state or close).
fn client_list(
    ui: &mut egui::Ui,
    tab: &mut Tab,
    actions: &mut Vec<TabAction>,
    heading: &str,
    empty: &str,
) {
    ui.heading(heading);
    let legs: &[Leg] = if tab.setup.kind == crate::model::tab_setup::TabKind::Server {
        &[]
    } else {
        &[Leg::Client, Leg::Upstream]
    };
    let Some(proxy) = tab.proxy.as_deref() else {
        ui.label(RichText::new(empty).weak());
        return;
    };
    if proxy.conns.is_empty() {
        ui.label(RichText::new("No client has connected yet.").weak());
        return;
    }
    egui::ScrollArea::vertical()
        .id_salt("proxy-connections-scroll")
        .max_height(230.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            for view in proxy.conns.iter().rev() {
                let shown = proxy.shown == Some(view.conn);
                if connection_row(ui, view, shown, legs).clicked() {
                    push(actions, ProxyAction::Show(view.conn));
                }
            }
        });
}

fn connection_row(ui: &mut egui::Ui, view: &ConnView, shown: bool, legs: &[Leg]) -> egui::Response {
    let fill = if shown {
        ui.visuals().selection.bg_fill.gamma_multiply(0.5)
    } else {
        ui.visuals().faint_bg_color
    };
    let frame = egui::Frame::new()
        .fill(fill)
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(6, 3))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            let title = format!("#{} {}", view.conn, view.target);
            let title = ui.selectable_label(shown, RichText::new(title).strong());
            for leg in legs {
                ui.horizontal(|ui| {
                    leg_marker(ui, *leg);
                    leg_state(ui, &view.legs[leg.index()]);
                });
            }
            if legs.is_empty() {
                let offers = if view.offers.is_empty() {
                    "no subprotocol offered".to_string()
                } else {
                    format!("offers {}", view.offers)
                };
                ui.label(RichText::new(offers).small().weak());
                leg_state(ui, &view.legs[Leg::Client.index()]);
            }
            title
        });
    ui.add_space(2.0);
    frame.inner
}

/// A leg's readyState, or its close forensics: code, name, clean or not, who began.
fn leg_state(ui: &mut egui::Ui, leg: &LegView) {
    let state = leg.state();
    let clean = leg.close.as_ref().map(|c| c.was_clean);
    let color = style::state_color(state, clean);
    let text = match &leg.close {
        Some(close) => {
            let clean = if close.was_clean {
                "clean"
            } else {
                "not clean"
            };
            let reason = if close.reason.is_empty() {
                String::new()
            } else {
                format!(" \"{}\"", ellipsize(&close.reason, 24))
            };
            format!(
                "{}{reason}, {clean}, by {}",
                close.code,
                close.initiator.as_str()
            )
        }
        None => state.as_str().to_string(),
    };
    let label = ui.label(RichText::new(text).monospace().small().color(color));
    if let Some(error) = &leg.error {
        label.on_hover_text(error);
    }
}

/// Pause toggles, held messages, the edit, the injection leg and the rules.
fn intercept(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<TabAction>) {
    ui.heading("Intercept");
    let running = tab.ready_state() == ReadyState::Open;
    for (from, name) in [
        (Leg::Client, "Pause client -> upstream"),
        (Leg::Upstream, "Pause upstream -> client"),
    ] {
        let mut paused = tab.proxy_paused(from);
        let toggle = ui.add_enabled(running, egui::Checkbox::new(&mut paused, name));
        if toggle
            .on_hover_text("Hold this direction's messages here (resuming releases them in order)")
            .changed()
        {
            push(actions, ProxyAction::Pause(from, paused));
        }
    }
    let state = tab.proxy_state();
    ui.separator();
    for from in [Leg::Client, Leg::Upstream] {
        held_list(ui, from, state, actions);
    }
    ui.separator();
    ui.label(RichText::new("The composer sends into").strong());
    ui.horizontal(|ui| {
        let mut leg = state.inject_leg();
        ui.radio_value(&mut leg, Leg::Upstream, "upstream leg (to the server)");
        ui.radio_value(&mut leg, Leg::Client, "client leg (to the client)");
        state.inject_into = Some(leg);
    });
    ui.separator();
    super::proxy_rules_panel::ui(ui, tab, actions);
}

/// The messages held from `from`, with Edit, Release and Drop each, and Release all.
fn held_list(
    ui: &mut egui::Ui,
    from: Leg,
    state: &mut super::proxy_tab::ProxyTabState,
    actions: &mut Vec<TabAction>,
) {
    let held = state.held[from.index()].clone();
    let direction = match from {
        Leg::Client => "client -> upstream",
        Leg::Upstream => "upstream -> client",
    };
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("Held {direction}: {}", held.len())).strong());
        if !held.is_empty() && ui.button("Release all").clicked() {
            push(actions, ProxyAction::ReleaseAll(from));
        }
    });
    for message in &held {
        let editing = state
            .editing
            .as_ref()
            .is_some_and(|e| e.from == from && e.id == message.id);
        ui.horizontal(|ui| {
            let preview = match &message.payload {
                Payload::Text(text) => ellipsize(text.as_str(), 40).into_owned(),
                Payload::Binary(bytes) => format!("binary, {} B", bytes.len()),
            };
            ui.label(RichText::new(preview).monospace());
            if !editing && ui.small_button("Edit").clicked() {
                state.editing = Some(HeldEdit::of(from, message));
            }
            if ui.small_button("Release").clicked() {
                let id = message.id;
                push(
                    actions,
                    ProxyAction::Release {
                        from,
                        id,
                        edited: None,
                    },
                );
            }
            if ui.small_button("Drop").clicked() {
                push(actions, ProxyAction::DropHeld(from, message.id));
            }
        });
        if editing {
            edit_held(ui, state, actions);
        }
    }
}

/// The held message being edited: as text, JSON (checked) or hex (sent as binary).
fn edit_held(
    ui: &mut egui::Ui,
    state: &mut super::proxy_tab::ProxyTabState,
    actions: &mut Vec<TabAction>,
) {
    let Some(edit) = state.editing.as_mut() else {
        return;
    };
    let mut as_json = false;
    ui.horizontal(|ui| {
        ui.radio_value(&mut edit.as_hex, false, "Text");
        ui.radio_value(&mut edit.as_hex, true, "Hex");
    });
    let label = ui.label("Edited message");
    ui.add(
        egui::TextEdit::multiline(&mut edit.text)
            .code_editor()
            .desired_rows(4)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    let mut release = false;
    let mut cancel = false;
    ui.horizontal(|ui| {
        release = ui.button("Release edited").clicked();
        if !edit.as_hex
            && ui
                .button("Release as JSON")
                .on_hover_text("Checked as JSON first")
                .clicked()
        {
            release = true;
            as_json = true;
        }
        cancel = ui.button("Cancel").clicked();
    });
    if let Some(error) = &edit.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    if release {
        match edit.payload(as_json) {
            Ok(payload) => push(
                actions,
                ProxyAction::Release {
                    from: edit.from,
                    id: edit.id,
                    edited: Some(payload),
                },
            ),
            Err(error) => edit.error = Some(error),
        }
    }
    if cancel {
        state.editing = None;
    }
}

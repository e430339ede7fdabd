//! The connection bar: URL, Connect/Disconnect and the readyState badge, with the tab's
//! set-up below it in one strip of sections: Params, Auth, Headers & connection, Decode.

use egui::{Key, RichText};

use super::action::TabAction;
use super::commands::CommandId;
use super::style;
use super::tab::Tab;
use super::{auth_panel, decode_panel, params_table, protocol_panel, request_panel};
use crate::engine::ReadyState;
use crate::model::tab_setup::TabKind;

/// Draws the bar for `tab`; Enter in the URL field connects.
pub fn ui(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<TabAction>) {
    let state = tab.ready_state();
    let locked = state != ReadyState::Closed;
    ui.horizontal(|ui| {
        kind_selector(ui, tab, locked);
        if tab.setup.kind.is_websocket() {
            protocol_panel::picker(ui, &mut tab.setup.config.protocol, tab.id, locked);
        }
        let url_label = ui.label(RichText::new("URL").strong());
        let button_width = 110.0;
        let badge_width = 110.0;
        let url_width = (ui.available_width() - button_width - badge_width).max(120.0);
        let hint = match tab.setup.kind {
            TabKind::WebSocket | TabKind::Proxy | TabKind::Server => "ws://host:port/path",
            TabKind::Sse => "http://host:port/events",
        };
        let response = ui
            .add_enabled(
                !locked,
                egui::TextEdit::singleline(&mut tab.setup.config.url)
                    .hint_text(hint)
                    .desired_width(url_width)
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(url_label.id);
        if response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) && !locked {
            actions.push(TabAction::Connect);
        }
        let waiting = tab.reconnect_due().is_some();
        let (text, action) = match state {
            ReadyState::Closed if waiting => ("Stop", TabAction::Disconnect),
            ReadyState::Closed => (CommandId::Connect.label(), TabAction::Connect),
            ReadyState::Connecting => ("Cancel", TabAction::Disconnect),
            ReadyState::Open => ("Disconnect", TabAction::Disconnect),
            ReadyState::Closing => ("Drop now", TabAction::Disconnect),
        };
        let hover = match state {
            ReadyState::Closed if waiting => "Stop reconnecting",
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
    status_line(ui, tab);
    if let Some(error) = &tab.input_error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    setup_sections(ui, tab, locked, actions);
}

/// The tab's set-up, one section open at a time (none at first), chosen from a strip as
/// in Postman: Params, Auth, Headers and the rest of the request, Decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Params,
    Auth,
    Request,
    Decode,
    Protocol,
}

fn setup_sections(ui: &mut egui::Ui, tab: &mut Tab, locked: bool, actions: &mut Vec<TabAction>) {
    let memory = egui::Id::unique(("setup-section", tab.id));
    let mut open: Option<Section> = ui.data(|d| d.get_temp(memory)).flatten();
    let websocket = tab.setup.kind.is_websocket();
    let protocol = websocket && !tab.setup.config.protocol.is_raw();
    if (open == Some(Section::Auth) && !websocket) || (open == Some(Section::Protocol) && !protocol)
    {
        open = None;
    }
    ui.horizontal_wrapped(|ui| {
        let mut entry = |ui: &mut egui::Ui, section: Section, title: String, hover: &str| {
            let selected = open == Some(section);
            if ui
                .selectable_label(selected, title)
                .on_hover_text(hover)
                .clicked()
            {
                open = if selected { None } else { Some(section) };
            }
        };
        entry(
            ui,
            Section::Params,
            params_table::title(&tab.setup),
            "The URL's query parameters as a table",
        );
        if websocket {
            entry(
                ui,
                Section::Auth,
                auth_panel::title(&tab.setup.config.auth),
                "Basic, Bearer or an API key, added to every handshake",
            );
        }
        entry(
            ui,
            Section::Request,
            REQUEST_TITLE.to_owned(),
            "Headers, subprotocols, timeouts, TLS, proxy, compression, keepalive, reconnect, memory",
        );
        if protocol {
            entry(
                ui,
                Section::Protocol,
                protocol_panel::title(&tab.setup.config.protocol),
                "The protocol's own settings: namespace, login, client id, …",
            );
        }
        entry(
            ui,
            Section::Decode,
            decode_panel::title(tab),
            "How binary payloads are read (MessagePack, CBOR, Protobuf, compressed)",
        );
    });
    ui.data_mut(|d| d.insert_temp(memory, open));
    let Some(section) = open else { return };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        if locked && section != Section::Decode {
            ui.label(
                RichText::new(
                    "Request settings are locked while connected. Disconnect to edit them.",
                )
                .italics()
                .weak(),
            );
        }
        match section {
            Section::Params => {
                ui.add_enabled_ui(!locked, |ui| params_table::ui(ui, &mut tab.setup, tab.id));
            }
            Section::Auth => {
                ui.add_enabled_ui(!locked, |ui| {
                    auth_panel::ui(ui, &mut tab.setup.config.auth, tab.id);
                });
            }
            Section::Request => {
                ui.add_enabled_ui(!locked, |ui| request_panel::ui(ui, tab));
            }
            Section::Protocol => {
                ui.add_enabled_ui(!locked, |ui| {
                    protocol_panel::ui(ui, &mut tab.setup.config.protocol, tab.id);
                });
            }
            // Decoding is a view: it may change while connected.
            Section::Decode => decode_panel::ui(ui, tab, actions),
        }
    });
}

/// The request section's entry in the strip.
const REQUEST_TITLE: &str = "Headers & connection";

/// "WebSocket" / "SSE": what the tab connects with, locked while connected.
fn kind_selector(ui: &mut egui::Ui, tab: &mut Tab, locked: bool) {
    ui.add_enabled_ui(!locked, |ui| {
        for kind in [TabKind::WebSocket, TabKind::Sse] {
            let hover = match kind {
                TabKind::WebSocket | TabKind::Proxy | TabKind::Server => {
                    "A WebSocket: http(s):// URLs mean ws(s)://"
                }
                TabKind::Sse => "Server-Sent Events (EventSource): a GET that only receives",
            };
            ui.selectable_value(&mut tab.setup.kind, kind, kind.label())
                .on_hover_text(hover)
                .on_disabled_hover_text("Locked while connected");
        }
    });
}

/// A line of facts under the URL, when there are any: the reconnect countdown, the latest
/// ping round trip, an SSE tab's comment count, and a warning while certificates are not
/// verified.
fn status_line(ui: &mut egui::Ui, tab: &Tab) {
    let countdown = tab.reconnect_due();
    let rtt = tab.timeline.last_round_trip();
    let scheme = if tab.setup.kind == TabKind::Sse {
        "https"
    } else {
        "wss"
    };
    let unverified = tab.setup.config.tls.accept_invalid_certs
        && tab.setup.config.url.trim_start().starts_with(scheme);
    let comments = match tab.setup.kind {
        TabKind::Sse => tab.sse_stats().map(|stats| stats.comments),
        TabKind::WebSocket | TabKind::Proxy | TabKind::Server => None,
    };
    let token = tab.oauth.status();
    if countdown.is_none()
        && rtt.is_none()
        && comments.is_none()
        && token.is_none()
        && !unverified
        && tab.attempts() < 2
    {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        if let Some(token) = token {
            ui.label(RichText::new(token).weak());
        }
        if let Some((due, attempt)) = countdown {
            let left = due.saturating_duration_since(std::time::Instant::now());
            ui.label(
                RichText::new(format!(
                    "Reconnecting in {:.1} s (attempt {attempt})",
                    left.as_secs_f64()
                ))
                .color(ui.visuals().warn_fg_color),
            );
        } else if tab.attempts() >= 2 {
            ui.label(RichText::new(format!("Attempt {}", tab.attempts())).weak());
        }
        if let Some(comments) = comments {
            ui.label(RichText::new(format!("{comments} comments / keep-alives")).weak())
                .on_hover_text("Comment lines the server sent; counted, not shown as rows");
        }
        if let Some(rtt) = rtt {
            ui.label(
                RichText::new(format!("RTT {:.1} ms", rtt.as_secs_f64() * 1000.0)).monospace(),
            )
            .on_hover_text("Round trip of the latest answered ping");
        }
        if unverified {
            egui::Frame::new()
                .fill(ui.visuals().error_fg_color.gamma_multiply(0.2))
                .corner_radius(4.0)
                .inner_margin(egui::Margin::symmetric(6, 1))
                .show(ui, |ui| {
                    ui.label(
                        RichText::new("TLS certificates are not verified")
                            .color(ui.visuals().error_fg_color)
                            .strong(),
                    );
                });
        }
    });
}

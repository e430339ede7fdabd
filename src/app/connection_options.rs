//! The request section's connection options: pinned server certificate, client
//! certificate, proxy, compression (permessage-deflate), keepalive,
//! reconnect and the tab's memory budget. Plain fields over the tab; nothing here does I/O.

use std::path::PathBuf;
use std::time::Duration;

use egui::RichText;

use super::tab::Tab;
use crate::engine::proxy::ProxyMode;
use crate::engine::{Keepalive, MissingPong, ReconnectDelay};

/// Draws the options of `tab`'s config.
pub fn ui(ui: &mut egui::Ui, tab: &mut Tab) {
    pinned_certificate(ui, tab);
    client_certificate(ui, tab);
    proxy(ui, tab);
    super::deflate_option::ui(ui, tab);
    keepalive(ui, tab);
    reconnect(ui, tab);
    memory_budget(ui, tab);
}

/// How many payload bytes the tab keeps before it stops keeping payloads.
fn memory_budget(ui: &mut egui::Ui, tab: &mut Tab) {
    ui.horizontal(|ui| {
        let label = ui.label("Memory budget");
        let mut mib = tab.timeline.memory_budget() >> 20;
        if ui
            .add(
                egui::DragValue::new(&mut mib)
                    .range(1..=1 << 20)
                    .suffix(" MiB"),
            )
            .labelled_by(label.id)
            .on_hover_text(
                "Payload bytes this tab keeps. Past it, new payloads are not kept (their rows, \
                 times and sizes are) and the tab says how much was not kept.",
            )
            .changed()
        {
            tab.set_memory_budget(mib << 20);
        }
        ui.label(
            RichText::new(format!(
                "{} kept",
                super::style::format_size(tab.timeline.kept_bytes())
            ))
            .weak(),
        );
    });
}

fn path_field(ui: &mut egui::Ui, label: &str, hint: &str, value: &mut Option<PathBuf>) {
    let label = ui.label(label);
    let mut text = value
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if ui
        .add(
            egui::TextEdit::singleline(&mut text)
                .hint_text(hint)
                .desired_width(200.0),
        )
        .labelled_by(label.id)
        .changed()
    {
        *value = (!text.trim().is_empty()).then(|| text.trim().into());
    }
}

/// The exact server certificate to accept (and nothing else), e.g. a self-signed one.
fn pinned_certificate(ui: &mut egui::Ui, tab: &mut Tab) {
    ui.horizontal(|ui| {
        path_field(
            ui,
            "Pinned certificate (PEM)",
            "/path/to/server.pem",
            &mut tab.setup.config.tls.pinned_cert,
        );
    })
    .response
    .on_hover_text(
        "Accept only this server certificate, byte for byte (the server must hold its key); \
         its CA, host name and dates are not checked. For self-signed servers.",
    );
}

fn client_certificate(ui: &mut egui::Ui, tab: &mut Tab) {
    ui.horizontal(|ui| {
        path_field(
            ui,
            "Client certificate (PEM)",
            "/path/to/client.pem",
            &mut tab.setup.config.tls.client_cert,
        );
        path_field(
            ui,
            "Client key (PEM)",
            "/path/to/client.key",
            &mut tab.setup.config.tls.client_key,
        );
    });
}

fn proxy(ui: &mut egui::Ui, tab: &mut Tab) {
    ui.horizontal(|ui| {
        let label = ui.label("Proxy");
        let current = match &tab.setup.config.proxy {
            ProxyMode::FromEnvironment => "From environment",
            ProxyMode::Direct => "None",
            ProxyMode::Url(_) => "This proxy",
        };
        egui::ComboBox::from_id_salt(("proxy-mode", tab.id))
            .selected_text(current)
            .show_ui(ui, |ui| {
                let proxy = &mut tab.setup.config.proxy;
                if ui.selectable_label(matches!(proxy, ProxyMode::FromEnvironment), "From environment").clicked() {
                    *proxy = ProxyMode::FromEnvironment;
                }
                if ui.selectable_label(matches!(proxy, ProxyMode::Direct), "None").clicked() {
                    *proxy = ProxyMode::Direct;
                }
                if ui.selectable_label(matches!(proxy, ProxyMode::Url(_)), "This proxy").clicked()
                    && !matches!(proxy, ProxyMode::Url(_))
                {
                    *proxy = ProxyMode::Url(String::new());
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(
                "From environment: HTTPS_PROXY (wss), HTTP_PROXY (ws) or ALL_PROXY, except NO_PROXY hosts and loopback. This proxy: http:// (CONNECT), socks5:// or socks5h:// (the proxy resolves names)",
            );
        if let ProxyMode::Url(url) = &mut tab.setup.config.proxy {
            let url_label = ui.label("Proxy URL");
            ui.add(
                egui::TextEdit::singleline(url)
                    .hint_text("http://user:pass@proxy:3128 or socks5h://proxy:1080")
                    .desired_width(240.0),
            )
            .labelled_by(url_label.id);
        }
    });
}

fn keepalive(ui: &mut egui::Ui, tab: &mut Tab) {
    ui.horizontal(|ui| {
        let mut on = tab.setup.config.keepalive.is_some();
        if ui
            .checkbox(&mut on, "Keepalive pings")
            .on_hover_text("Ping while open; the round trip of each pong is shown")
            .changed()
        {
            tab.setup.config.keepalive = on.then(Keepalive::default);
        }
        let Some(keepalive) = &mut tab.setup.config.keepalive else {
            return;
        };
        millis(ui, "every", &mut keepalive.interval);
        millis(ui, "pong timeout", &mut keepalive.pong_timeout);
        let label = ui.label("missing pong");
        egui::ComboBox::from_id_salt(("missing-pong", tab.id))
            .selected_text(match keepalive.on_missing_pong {
                MissingPong::Warn => "warns",
                MissingPong::Close => "closes",
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut keepalive.on_missing_pong, MissingPong::Warn, "warns");
                ui.selectable_value(&mut keepalive.on_missing_pong, MissingPong::Close, "closes");
            })
            .response
            .labelled_by(label.id);
    });
}

fn reconnect(ui: &mut egui::Ui, tab: &mut Tab) {
    ui.horizontal(|ui| {
        let policy = &mut tab.setup.config.reconnect;
        let label = ui.label("Reconnect");
        let kind = match policy.delay {
            ReconnectDelay::Off => "Off",
            ReconnectDelay::Fixed(_) => "Fixed interval",
            ReconnectDelay::Backoff { .. } => "Exponential backoff",
        };
        egui::ComboBox::from_id_salt(("reconnect", tab.id))
            .selected_text(kind)
            .show_ui(ui, |ui| {
                if ui.selectable_label(kind == "Off", "Off").clicked() {
                    policy.delay = ReconnectDelay::Off;
                }
                if ui
                    .selectable_label(kind == "Fixed interval", "Fixed interval")
                    .clicked()
                {
                    policy.delay = ReconnectDelay::Fixed(Duration::from_secs(1));
                }
                if ui
                    .selectable_label(kind == "Exponential backoff", "Exponential backoff")
                    .clicked()
                {
                    policy.delay = ReconnectDelay::Backoff {
                        initial: Duration::from_millis(500),
                        max: Duration::from_secs(30),
                    };
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(
                "After a failure or a close we did not ask for; Disconnect stops the loop",
            );
        match &mut policy.delay {
            ReconnectDelay::Off => return,
            ReconnectDelay::Fixed(delay) => millis(ui, "every", delay),
            ReconnectDelay::Backoff { initial, max } => {
                millis(ui, "from", initial);
                millis(ui, "up to", max);
                ui.label(RichText::new("with jitter").weak());
            }
        }
        let attempts = ui.label("at most");
        ui.add(
            egui::DragValue::new(&mut policy.max_reconnects)
                .range(0..=10_000)
                .custom_formatter(|n, _| {
                    if n == 0.0 {
                        "unlimited".into()
                    } else {
                        format!("{n}")
                    }
                }),
        )
        .labelled_by(attempts.id);
        ui.label("reconnects");
    });
}

fn millis(ui: &mut egui::Ui, label: &str, value: &mut Duration) {
    let label = ui.label(label);
    let mut ms = u64::try_from(value.as_millis()).unwrap_or(u64::MAX);
    if ui
        .add(
            egui::DragValue::new(&mut ms)
                .range(10..=3_600_000)
                .suffix(" ms"),
        )
        .labelled_by(label.id)
        .changed()
    {
        *value = Duration::from_millis(ms);
    }
}

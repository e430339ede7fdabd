//! The request section: headers (name, value, enabled), subprotocols, timeouts and TLS.

use std::time::Duration;

use egui::RichText;

use super::tab::Tab;
use crate::engine::HeaderEntry;
use crate::engine::limits::{MAX_MESSAGE_CEILING, clamp_note};
use crate::format::variables;
use crate::model::session::SecretHeader;

/// Draws the editable request settings of `tab`.
pub fn ui(ui: &mut egui::Ui, tab: &mut Tab) {
    let config = &mut tab.setup.config;
    let secrets = &mut tab.setup.secret_headers;
    let env_access = &mut tab.env_access;
    ui.label(RichText::new("Headers").strong());
    let mut remove = None;
    egui::Grid::new(("headers", tab.id))
        .num_columns(5)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            if config.headers.is_empty() {
                return;
            }
            let send = ui.label(RichText::new("Send").weak()).id;
            let name = ui.label(RichText::new("Name").weak()).id;
            let value = ui.label(RichText::new("Value").weak()).id;
            let secret = ui
                .label(RichText::new("Secret").weak())
                .on_hover_text(
                    "A secret header is saved only as {{env.NAME}}, never its value; at connect \
                     time the value comes from that environment variable",
                )
                .id;
            ui.end_row();
            for (index, header) in config.headers.iter_mut().enumerate() {
                ui.checkbox(&mut header.enabled, "")
                    .labelled_by(send)
                    .on_hover_text("Send this header");
                ui.add(
                    egui::TextEdit::singleline(&mut header.name)
                        .hint_text("Name")
                        .desired_width(160.0),
                )
                .labelled_by(name);
                ui.add(
                    egui::TextEdit::singleline(&mut header.value)
                        .hint_text("Value")
                        .desired_width(240.0),
                )
                .labelled_by(value);
                if secret_cell(ui, secrets, &header.name, secret) {
                    // Marked by the user here: its variable may be read even in a tab
                    // that came from a file.
                    env_access.mark_secret(header.name.trim());
                }
                if ui
                    .small_button("×")
                    .on_hover_text("Remove this header")
                    .clicked()
                {
                    remove = Some(index);
                }
                ui.end_row();
            }
        });
    if let Some(index) = remove {
        config.headers.remove(index);
    }
    if ui.button("+ Add header").clicked() {
        config.headers.push(HeaderEntry::new("", ""));
    }
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let label = ui.label("Subprotocols");
        let mut joined = config.subprotocols.join(", ");
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut joined)
                    .hint_text("comma-separated, in order of preference")
                    .desired_width(300.0),
            )
            .labelled_by(label.id);
        if response.changed() {
            config.subprotocols = joined
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
        }
    });
    ui.horizontal(|ui| {
        duration_ms(ui, "Handshake timeout", &mut config.handshake_timeout);
        duration_ms(ui, "Close timeout", &mut config.close_timeout);
        ui.label("Max message");
        let mut mib = (config.max_message_size >> 20).max(1);
        if ui
            .add(
                egui::DragValue::new(&mut mib)
                    .range(1..=MAX_MESSAGE_CEILING >> 20)
                    // A larger limit from a session stays as it is, with the note below.
                    .clamp_existing_to_range(false)
                    .suffix(" MiB"),
            )
            .changed()
        {
            config.max_message_size = mib << 20;
        }
        // A session file may hold any limit; the engine clamps it and this says so.
        if let Some(note) = clamp_note("Max message", config.max_message_size) {
            ui.colored_label(ui.visuals().warn_fg_color, note);
        }
    });
    ui.horizontal(|ui| {
        let mut verify = !config.tls.accept_invalid_certs;
        if ui
            .checkbox(&mut verify, "Verify TLS certificates")
            .on_hover_text("Turn off only for test servers with self-signed certificates")
            .changed()
        {
            config.tls.accept_invalid_certs = !verify;
        }
        let label = ui.label("Extra CA file (PEM)");
        let mut path = config
            .tls
            .ca_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if ui
            .add(
                egui::TextEdit::singleline(&mut path)
                    .hint_text("/path/to/ca.pem")
                    .desired_width(220.0),
            )
            .labelled_by(label.id)
            .changed()
        {
            config.tls.ca_file = (!path.trim().is_empty()).then(|| path.trim().into());
        }
    });
    super::connection_options::ui(ui, tab);
}

fn duration_ms(ui: &mut egui::Ui, label: &str, value: &mut Duration) {
    ui.label(label);
    let mut ms = u64::try_from(value.as_millis()).unwrap_or(u64::MAX);
    if ui
        .add(
            egui::DragValue::new(&mut ms)
                .range(1..=600_000)
                .suffix(" ms"),
        )
        .changed()
    {
        *value = Duration::from_millis(ms);
    }
}

/// The "secret" checkbox of a header row, and the environment variable it reads from;
/// true when the user marked the header or edited its variable's name.
fn secret_cell(
    ui: &mut egui::Ui,
    secrets: &mut Vec<SecretHeader>,
    name: &str,
    label: egui::Id,
) -> bool {
    let mut marked = false;
    let position = secrets
        .iter()
        .position(|s| !name.is_empty() && s.name.eq_ignore_ascii_case(name));
    ui.horizontal(|ui| {
        let mut secret = position.is_some();
        let toggled = ui
            .add_enabled(
                !name.trim().is_empty(),
                egui::Checkbox::without_text(&mut secret),
            )
            .labelled_by(label)
            .changed();
        match (toggled, secret, position) {
            (true, true, None) => {
                let env: String = name
                    .trim()
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_uppercase()
                        } else {
                            '_'
                        }
                    })
                    .collect();
                // A name may not start with a digit.
                let env = if env.starts_with(|c: char| c.is_ascii_digit()) {
                    format!("_{env}")
                } else {
                    env
                };
                secrets.push(SecretHeader::new(name.trim(), env));
                marked = true;
            }
            (true, false, Some(index)) => {
                secrets.remove(index);
            }
            _ => {}
        }
        if let Some(entry) = secrets
            .iter_mut()
            .find(|s| !name.is_empty() && s.name.eq_ignore_ascii_case(name))
        {
            let env_label = ui.label("from env");
            marked |= ui
                .add(
                    egui::TextEdit::singleline(&mut entry.env)
                        .hint_text("ENV_VAR")
                        .desired_width(110.0),
                )
                .labelled_by(env_label.id)
                .changed();
            if let Err(error) = variables::check_env_name(&entry.env) {
                ui.colored_label(ui.visuals().error_fg_color, "invalid name")
                    .on_hover_text(error.to_string());
            }
        }
    });
    marked
}

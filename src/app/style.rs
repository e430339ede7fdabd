//! Colours and small shared widgets: one place decides how kinds and states look.

use egui::{Color32, RichText};

use crate::engine::{EventKind, Leg, ReadyState, ScriptNote};

/// The colour of a readyState badge and tab dot.
pub fn state_color(state: ReadyState, last_clean: Option<bool>) -> Color32 {
    match state {
        ReadyState::Connecting => Color32::from_rgb(230, 180, 40),
        ReadyState::Open => Color32::from_rgb(70, 190, 90),
        ReadyState::Closing => Color32::from_rgb(230, 130, 40),
        ReadyState::Closed if last_clean == Some(false) => Color32::from_rgb(220, 70, 70),
        ReadyState::Closed => Color32::GRAY,
    }
}

/// The colour of a timeline row's kind.
pub fn kind_color(kind: &EventKind) -> Color32 {
    match kind {
        EventKind::Connecting { .. } => Color32::from_rgb(150, 150, 160),
        EventKind::Open(_) => Color32::from_rgb(70, 190, 90),
        EventKind::Message { payload, .. } if payload.as_text().is_some() => {
            Color32::from_rgb(110, 160, 240)
        }
        EventKind::Message { .. } => Color32::from_rgb(190, 130, 230),
        EventKind::Ping { .. } | EventKind::Pong { .. } => Color32::from_rgb(130, 170, 170),
        EventKind::Error(_) => Color32::from_rgb(230, 80, 80),
        EventKind::Close(close) if close.was_clean => Color32::from_rgb(200, 170, 90),
        EventKind::Close(_) => Color32::from_rgb(230, 80, 80),
        EventKind::Sse(_) => Color32::from_rgb(110, 160, 240),
        EventKind::Token(token) if token.answer.is_err() => Color32::from_rgb(230, 80, 80),
        EventKind::Token(_) => Color32::from_rgb(150, 150, 160),
        EventKind::Script(note) => match **note {
            ScriptNote::Log(_) => Color32::from_rgb(170, 150, 210),
            ScriptNote::Test { passed: true, .. } => Color32::from_rgb(70, 190, 90),
            ScriptNote::Error(_) | ScriptNote::Test { .. } => Color32::from_rgb(230, 80, 80),
        },
        EventKind::Dropped(_) => Color32::from_rgb(230, 150, 60),
    }
}

/// The colour of a proxy leg's marker: teal for the client leg, amber for the upstream.
pub fn leg_color(leg: Leg) -> Color32 {
    match leg {
        Leg::Client => Color32::from_rgb(60, 180, 190),
        Leg::Upstream => Color32::from_rgb(230, 150, 60),
    }
}

/// A readyState badge: the state's name on its colour.
pub fn state_badge(ui: &mut egui::Ui, state: ReadyState, last_clean: Option<bool>) {
    let color = state_color(state, last_clean);
    egui::Frame::new()
        .fill(color.gamma_multiply(0.25))
        .stroke(egui::Stroke::new(1.0, color))
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(6, 2))
        .show(ui, |ui| {
            ui.label(
                RichText::new(state.as_str())
                    .color(color)
                    .strong()
                    .monospace(),
            );
        });
}

/// A small filled circle in `color`, e.g. a tab's state.
pub fn state_dot(ui: &mut egui::Ui, color: Color32) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.5, color);
    response
}

/// Human-readable byte count: `512 B`, `1.5 KiB`, `64.0 MiB`.
pub fn format_size(bytes: usize) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b < KIB {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else if b < KIB * KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else {
        format!("{:.2} GiB", b / (KIB * KIB * KIB))
    }
}

#[cfg(test)]
mod tests {
    use super::format_size;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(64 << 20), "64.0 MiB");
    }
}

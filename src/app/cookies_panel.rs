//! The cookie manager: every cookie the window's jar keeps (set by handshake answers, sent
//! with later handshakes to matching hosts), to look at, delete one by one or clear.

use egui::RichText;

use crate::model::cookie_jar::{CookieRow, SharedJar};

/// Whether the manager window is open.
#[derive(Debug, Default)]
pub struct CookiesPanel {
    /// The window is open.
    pub open: bool,
}

/// The longest part of a value the table shows.
const SHOWN_VALUE_CHARS: usize = 40;

impl CookiesPanel {
    /// The button that opens the manager (drawn into a right-to-left row).
    pub fn button(&mut self, ui: &mut egui::Ui, jar: &SharedJar) {
        let count = jar.lock().map(|jar| jar.len()).unwrap_or(0);
        if ui
            .button(format!("Cookies ({count})"))
            .on_hover_text("The cookies handshakes have set, sent with later handshakes")
            .clicked()
        {
            self.open = true;
        }
    }

    /// The manager window, when open.
    pub fn window(&mut self, ctx: &egui::Context, jar: &SharedJar) {
        let mut open = self.open;
        egui::Window::new("Cookies")
            .open(&mut open)
            .default_width(720.0)
            .show(ctx, |ui| contents(ui, jar));
        self.open = open;
    }
}

fn contents(ui: &mut egui::Ui, jar: &SharedJar) {
    let Ok(mut jar) = jar.lock() else {
        ui.label("The cookie jar is not available.");
        return;
    };
    let rows = jar.rows();
    ui.label(
        RichText::new(
            "Kept from Set-Cookie in handshake answers, by RFC 6265's rules, and sent as Cookie \
             to matching hosts and paths (Secure ones only over wss:// or to loopback). Kept \
             between runs in cookies.txt (curl's format), readable by you only.",
        )
        .weak()
        .small(),
    );
    if rows.is_empty() {
        ui.label(RichText::new("No cookies yet.").italics().weak());
        return;
    }
    let mut delete: Option<CookieRow> = None;
    egui::ScrollArea::vertical()
        .max_height(360.0)
        .show(ui, |ui| {
            egui::Grid::new("cookies")
                .num_columns(7)
                .striped(true)
                .spacing([10.0, 4.0])
                .show(ui, |ui| {
                    for heading in ["Domain", "Path", "Name", "Value", "Expires", "Flags", ""] {
                        ui.label(RichText::new(heading).weak());
                    }
                    ui.end_row();
                    for row in &rows {
                        let domain = if row.host_only {
                            row.domain.clone()
                        } else {
                            format!(".{} (and subdomains)", row.domain)
                        };
                        ui.label(domain);
                        ui.label(&row.path);
                        ui.label(RichText::new(&row.name).monospace());
                        let shown: String = row.value.chars().take(SHOWN_VALUE_CHARS).collect();
                        let cut = shown.len() < row.value.len();
                        ui.label(
                            RichText::new(if cut { format!("{shown}…") } else { shown })
                                .monospace(),
                        );
                        ui.label(expiry(row.expires));
                        let mut flags = Vec::new();
                        if row.secure {
                            flags.push("Secure");
                        }
                        if row.http_only {
                            flags.push("HttpOnly");
                        }
                        ui.label(flags.join(" "));
                        if ui
                            .small_button("×")
                            .on_hover_text("Delete this cookie")
                            .clicked()
                        {
                            delete = Some(row.clone());
                        }
                        ui.end_row();
                    }
                });
        });
    if let Some(row) = delete {
        jar.remove(&row.domain, &row.path, &row.name);
    }
    if ui.button("Delete all cookies").clicked() {
        for row in &rows {
            jar.remove(&row.domain, &row.path, &row.name);
        }
    }
}

/// `session`, or the expiry as a UTC date and time.
fn expiry(expires: Option<i64>) -> String {
    let Some(at) = expires else {
        return "session".into();
    };
    chrono::DateTime::from_timestamp(at, 0)
        .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| at.to_string())
}

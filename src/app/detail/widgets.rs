//! Small pieces the detail views share: the header line, key/value grids, copy buttons,
//! badges, view switches and the virtualized monospace line view.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Local};
use egui::text::LayoutJob;
use egui::{Color32, FontId, Label, RichText, ScrollArea, TextFormat, TextStyle, Ui, Vec2};

use crate::app::style;
use crate::engine::Direction;
use crate::model::redact::Redactor;

/// Green for good news (a clean close).
pub const GOOD: Color32 = Color32::from_rgb(70, 190, 90);
/// Red for bad news (an unclean close, an error).
pub const BAD: Color32 = Color32::from_rgb(220, 70, 70);

/// The longest line segment a line view lays out in one row; longer lines continue on the
/// next rows, so one megabyte-long line never becomes one giant galley.
pub const MAX_ROW_BYTES: usize = 1000;

/// `↑ out` or `↓ in`; show it in monospace, whose font has the arrows.
pub fn direction_text(dir: Direction) -> &'static str {
    match dir {
        Direction::Out => "↑ out",
        Direction::In => "↓ in",
    }
}

/// `17 bytes`, or `1.5 KiB (1536 bytes)` from 1 KiB on.
pub fn size_text(bytes: usize) -> String {
    match bytes {
        1 => "1 byte".to_owned(),
        0..1024 => format!("{bytes} bytes"),
        _ => format!("{} ({bytes} bytes)", style::format_size(bytes)),
    }
}

/// A duration in milliseconds: `0.4 ms`, `12.5 ms`, `250 ms`, `12000 ms`.
pub fn millis_text(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// An HTTP status with its reason phrase when it is a common one, e.g. `401 Unauthorized`.
pub fn status_text(status: u16) -> String {
    let reason = match status {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => return status.to_string(),
    };
    format!("{status} {reason}")
}

/// The local wall-clock time with milliseconds, e.g. `14:03:07.250`.
pub fn time_text(time: SystemTime) -> String {
    DateTime::<Local>::from(time)
        .format("%H:%M:%S%.3f")
        .to_string()
}

/// The time since the attempt started, e.g. `+1.250 s`.
pub fn offset_text(offset: Duration) -> String {
    format!("+{:.3} s", offset.as_secs_f64())
}

/// The event's time, weak, after whatever the caller put on the line: `14:03:07.250`,
/// `+1.250 s` and `#seq`.
pub fn time_labels(ui: &mut Ui, wall_time: SystemTime, offset: Duration, seq: u64) {
    ui.label(RichText::new(time_text(wall_time)).weak())
        .on_hover_text("Local time the engine saw it");
    ui.label(RichText::new(offset_text(offset)).weak())
        .on_hover_text("Time since the connection attempt started");
    ui.label(RichText::new(format!("#{seq}")).weak())
        .on_hover_text("Position in the attempt's events");
}

/// A title for an event kind, strong and in the kind's colour.
pub fn title(ui: &mut Ui, text: &str, color: Color32) {
    ui.label(RichText::new(text).strong().size(16.0).color(color));
}

/// A small coloured badge with `text` on it.
pub fn badge(ui: &mut Ui, text: &str, color: Color32) {
    egui::Frame::new()
        .fill(color.gamma_multiply(0.25))
        .stroke(egui::Stroke::new(1.0, color))
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(6, 2))
        .show(ui, |ui| {
            ui.label(RichText::new(text).color(color).strong().monospace());
        });
}

/// A label whose text is `name: value`, the value in `color` and strong, so tests and
/// screen readers see one sentence.
pub fn fact(ui: &mut Ui, name: &str, value: &str, color: Option<Color32>) {
    let font = TextStyle::Body.resolve(ui.style());
    let plain = ui.visuals().text_color();
    let strong = ui.visuals().strong_text_color();
    let mut job = LayoutJob::default();
    job.append(
        &format!("{name}: "),
        0.0,
        TextFormat::simple(font.clone(), plain),
    );
    job.append(
        value,
        0.0,
        TextFormat::simple(font, color.unwrap_or(strong)),
    );
    ui.add(Label::new(job).wrap());
}

/// A two-column grid of names (weak) and values (selectable, wrapped).
pub fn key_value_grid<'a>(
    ui: &mut Ui,
    id_salt: &str,
    rows: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    egui::Grid::new(id_salt)
        .num_columns(2)
        .striped(true)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for (name, value) in rows {
                ui.label(RichText::new(name).weak());
                ui.add(Label::new(value).wrap());
                ui.end_row();
            }
        });
}

/// A heading for a list of headers, its count, a copy button (as `Name: value` lines) and
/// the grid; `(none)` when empty.
pub fn headers_section(ui: &mut Ui, heading: &str, id_salt: &str, headers: &[(String, String)]) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("{heading} ({})", headers.len())).strong());
        if !headers.is_empty() {
            let redactor = clipboard_redactor(ui.ctx());
            copy_button(ui, &format!("Copy {}", heading.to_lowercase()), || {
                let redacted = redactor.headers(headers);
                headers_text(redacted.as_deref().unwrap_or(headers))
            });
        }
    });
    if headers.is_empty() {
        ui.label(RichText::new("(none)").weak());
    } else {
        key_value_grid(
            ui,
            id_salt,
            headers
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        );
    }
}

/// Headers as HTTP writes them: one `Name: value` per line.
pub fn headers_text(headers: &[(String, String)]) -> String {
    headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\n"))
        .collect()
}

/// A small button that copies `make()` to the clipboard when clicked, through the tab's
/// redactor ([`set_clipboard_redactor`]); the text is only built on click.
pub fn copy_button(ui: &mut Ui, label: &str, make: impl FnOnce() -> String) {
    if ui
        .small_button(label)
        .on_hover_text("Copy to the clipboard")
        .clicked()
    {
        let text = make();
        let redacted = clipboard_redactor(ui.ctx()).url(&text).into_owned();
        ui.ctx().copy_text(redacted);
    }
}

/// A small button that copies `bytes` encoded by `encode` (hex, base64), their secret
/// values replaced first (see [`copy_button`]).
pub fn copy_bytes_button(ui: &mut Ui, label: &str, bytes: &[u8], encode: fn(&[u8]) -> String) {
    let ctx = ui.ctx().clone();
    copy_button(ui, label, || match clipboard_redactor(&ctx).bytes(bytes) {
        Some(redacted) => encode(&redacted),
        None => encode(bytes),
    });
}

fn redactor_id() -> egui::Id {
    egui::Id::unique("sockscope-clipboard-redactor")
}

/// Sets the redactor the copy buttons drawn after it in this frame use: the shown tab's.
pub fn set_clipboard_redactor(ctx: &egui::Context, redactor: Arc<Redactor>) {
    ctx.data_mut(|data| data.insert_temp(redactor_id(), redactor));
}

/// The redactor [`set_clipboard_redactor`] set (one without secret values if none was).
pub fn clipboard_redactor(ctx: &egui::Context) -> Arc<Redactor> {
    ctx.data(|data| data.get_temp::<Arc<Redactor>>(redactor_id()))
        .unwrap_or_default()
}

/// A row of toggles choosing one of `options` (the disabled ones greyed out).
pub fn view_switch<T: PartialEq + Copy>(ui: &mut Ui, current: &mut T, options: &[(T, &str, bool)]) {
    for &(value, label, enabled) in options {
        ui.add_enabled_ui(enabled, |ui| {
            ui.selectable_value(current, value, label);
        });
    }
}

/// The monospace font of code views.
pub fn mono_font(ui: &Ui) -> FontId {
    TextStyle::Monospace.resolve(ui.style())
}

/// A scrolling view of `count` monospace rows that lays out only the visible ones, so its
/// cost per frame does not depend on `count`. `row` draws row `i` on one line of monospace
/// text (a line that is taller breaks the scrolling arithmetic, not the program).
/// `reset` scrolls back to the top (for a newly selected event).
pub fn rows_view(
    ui: &mut Ui,
    id_salt: &str,
    count: usize,
    reset: bool,
    mut row: impl FnMut(&mut Ui, usize),
) {
    ui.scope(|ui| {
        let height = tight_rows(ui);
        let mut area = ScrollArea::both()
            .id_salt(id_salt)
            .auto_shrink([false, false]);
        if reset {
            area = area.scroll_offset(Vec2::ZERO);
        }
        area.show_rows(ui, height, count, |ui, range| {
            for i in range {
                ui.horizontal(|ui| row(ui, i));
            }
        });
    });
}

/// Makes `ui`'s rows exactly one line of monospace high, with a pixel between them, and
/// returns that height: a `horizontal` row is otherwise as tall as a button, which both
/// wastes space and breaks `show_rows`' arithmetic.
pub fn tight_rows(ui: &mut Ui) -> f32 {
    let height = ui.text_style_height(&TextStyle::Monospace);
    let spacing = ui.spacing_mut();
    spacing.item_spacing.y = 1.0;
    spacing.interact_size.y = height;
    height
}

/// A weak, right-aligned line number for a gutter `digits` wide (`↪` for a continued
/// line).
pub fn gutter(ui: &mut Ui, number: Option<usize>, digits: usize) {
    let text = match number {
        Some(n) => format!("{n:>digits$}"),
        None => format!("{:>digits$}", "↪"),
    };
    ui.add(Label::new(RichText::new(text).monospace().weak()).selectable(false));
}

/// How many digits the largest line number of `count` lines has.
pub fn digits(count: usize) -> usize {
    count.max(1).ilog10() as usize + 1
}

/// Text as one line of monospace, not wrapped.
pub fn mono_line(ui: &mut Ui, text: &str) {
    ui.add(Label::new(RichText::new(text).monospace()).extend());
}

pub use crate::format::preview::ellipsize;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_times_read_naturally() {
        assert_eq!(size_text(0), "0 bytes");
        assert_eq!(size_text(1), "1 byte");
        assert_eq!(size_text(1023), "1023 bytes");
        assert_eq!(size_text(1536), "1.5 KiB (1536 bytes)");
        assert_eq!(millis_text(Duration::from_micros(420)), "0.4 ms");
        assert_eq!(millis_text(Duration::from_millis(250)), "250 ms");
        assert_eq!(offset_text(Duration::from_millis(1250)), "+1.250 s");
    }

    #[test]
    fn helpers_do_not_panic_on_edges() {
        assert_eq!(status_text(401), "401 Unauthorized");
        assert_eq!(status_text(599), "599");
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(ellipsize("héllo", 2), "hé…");
        assert_eq!(ellipsize("héllo", 5), "héllo");
        assert_eq!(
            headers_text(&[("A".into(), "1".into()), ("b".into(), "2".into())]),
            "A: 1\nb: 2\n"
        );
    }
}

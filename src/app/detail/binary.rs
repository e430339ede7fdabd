//! Binary payloads: a hex dump that formats only the visible rows, and a UTF-8 view when
//! the bytes happen to be UTF-8 (checked once per selected event, on a thread of its own
//! for a long payload, while the hex dump is already shown).

use bytes::Bytes;
use egui::text::LayoutJob;
use egui::{Label, RichText, TextFormat, Ui};

use super::job::Job;
use super::text::{FORMAT_IN_BACKGROUND_BYTES, raw_lines_view};
use super::widgets::{self, MAX_ROW_BYTES};
use crate::app::commands::CommandId;
use crate::format::base64::to_base64;
use crate::format::hex::to_hex;
use crate::format::hex_dump;
use crate::format::json::LineIndex;

/// Text bodies up to this size are shown wrapped, in one label.
const WRAPPED_BODY_BYTES: usize = 16 * 1024;

/// Which view of a binary payload is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BinaryView {
    /// Offset, hex and ASCII columns.
    #[default]
    Hex,
    /// The bytes decoded as UTF-8.
    Utf8,
}

/// The binary view's choice (kept across selections) and the selected payload's UTF-8 check.
#[derive(Default)]
pub struct BinaryState {
    view: BinaryView,
    /// The UTF-8 check: `Some(None)` when the bytes are not UTF-8, `Some(Some(index))`
    /// when they are, with their line index.
    utf8: Option<Job<Option<LineIndex>>>,
}

/// The line index of `bytes` as UTF-8 text, or `None` when they are not UTF-8.
fn utf8_lines(bytes: &[u8]) -> Option<LineIndex> {
    std::str::from_utf8(bytes)
        .ok()
        .map(|text| LineIndex::with_max_line_bytes(text, MAX_ROW_BYTES))
}

impl BinaryState {
    /// Forgets the derived views (the selection changed).
    pub fn reset(&mut self) {
        self.utf8 = None;
    }

    /// The line index of `bytes` as UTF-8 text, or `None` when they are not UTF-8; checked
    /// once, then cached until [`BinaryState::reset`].
    pub fn utf8_index(&mut self, bytes: &[u8]) -> Option<&LineIndex> {
        let job = self
            .utf8
            .get_or_insert_with(|| Job::Ready(utf8_lines(bytes)));
        job.ready().flatten().and_then(Option::as_ref)
    }

    /// [`BinaryState::utf8_index`] for a payload that may be long: checked on a thread from
    /// [`FORMAT_IN_BACKGROUND_BYTES`] on (`None` meanwhile), so no frame waits for it.
    fn utf8_index_soon(&mut self, ctx: &egui::Context, bytes: &Bytes) -> Option<&LineIndex> {
        if bytes.len() >= FORMAT_IN_BACKGROUND_BYTES && self.utf8.is_none() {
            self.utf8 = Some(Job::start(ctx, bytes.clone(), |bytes| utf8_lines(bytes)));
        }
        self.utf8_index(bytes)
    }

    /// Shows a binary message's payload: the view switch, copy buttons and the chosen view
    /// (the hex dump while a long payload's UTF-8 check is still running).
    pub fn ui(&mut self, ui: &mut Ui, bytes: &Bytes, fresh: bool) {
        let is_utf8 = !bytes.is_empty() && self.utf8_index_soon(ui.ctx(), bytes).is_some();
        let mut view = if is_utf8 { self.view } else { BinaryView::Hex };
        ui.horizontal_wrapped(|ui| {
            widgets::view_switch(
                ui,
                &mut view,
                &[
                    (BinaryView::Hex, "Hex", true),
                    (BinaryView::Utf8, "UTF-8", is_utf8),
                ],
            );
            ui.separator();
            widgets::copy_bytes_button(ui, CommandId::CopyHex.label(), bytes, to_hex);
            widgets::copy_bytes_button(ui, CommandId::CopyBase64.label(), bytes, to_base64);
        });
        if is_utf8 {
            self.view = view;
        }
        if bytes.is_empty() {
            ui.label(RichText::new("(empty message)").weak());
            return;
        }
        match (view, self.utf8_index_soon(ui.ctx(), bytes)) {
            (BinaryView::Utf8, Some(index)) => {
                raw_lines_view(ui, "detail-utf8", bytes, index, fresh);
            }
            _ => hex_view(ui, "detail-hex", bytes, fresh),
        }
    }

    /// Shows a body that is usually text (an HTTP error page): as text when it is UTF-8,
    /// as a hex dump otherwise.
    /// A short text body is wrapped like prose; a long one gets the virtualized line view.
    pub fn body_ui(&mut self, ui: &mut Ui, bytes: &[u8], fresh: bool) {
        match self.utf8_index(bytes) {
            Some(_) if bytes.len() <= WRAPPED_BODY_BYTES => {
                let text = std::str::from_utf8(bytes).unwrap_or_default();
                let mut area = egui::ScrollArea::vertical()
                    .id_salt("detail-body-wrapped")
                    .auto_shrink([false, false]);
                if fresh {
                    area = area.scroll_offset(egui::Vec2::ZERO);
                }
                area.show(ui, |ui| {
                    ui.add(Label::new(RichText::new(text).monospace()).wrap());
                });
            }
            Some(index) => raw_lines_view(ui, "detail-body", bytes, index, fresh),
            None => hex_view(ui, "detail-body-hex", bytes, fresh),
        }
    }
}

/// A hex dump of `bytes` that formats only the rows in view, so a 64 MiB payload costs the
/// same per frame as a small one.
pub fn hex_view(ui: &mut Ui, id_salt: &str, bytes: &[u8], fresh: bool) {
    let rows = hex_dump::row_count(bytes.len());
    ui.scope(|ui| {
        fit_rows_to_width(ui);
        widgets::rows_view(ui, id_salt, rows, fresh, |ui, i| hex_row(ui, bytes, i));
    });
}

/// The smallest monospace size a hex dump shrinks to before it scrolls sideways.
const MIN_HEX_FONT_SIZE: f32 = 9.0;

/// Shrinks `ui`'s monospace font (down to [`MIN_HEX_FONT_SIZE`]) so that a whole row
/// (offset, hex and ASCII) fits the width: the ASCII column stays in view in a narrow pane.
fn fit_rows_to_width(ui: &mut Ui) {
    let font = widgets::mono_font(ui);
    // Offset, two spaces, hex, two spaces, ASCII (see `hex_row`).
    let columns = 8 + 2 + hex_dump::HEX_WIDTH + 2 + hex_dump::BYTES_PER_ROW;
    let gaps = ui.spacing().scroll.bar_width + 4.0;
    let char_width = ui.fonts_mut(|fonts| fonts.glyph_width(&font, '0'));
    let needed = char_width * columns as f32;
    let available = ui.available_width() - gaps;
    if needed > available && needed > 0.0 {
        // Half-point steps, so resizing the pane does not re-lay out rows at every pixel.
        let size = (font.size * available / needed * 2.0).floor() / 2.0;
        ui.style_mut().text_styles.insert(
            egui::TextStyle::Monospace,
            egui::FontId::monospace(size.max(MIN_HEX_FONT_SIZE)),
        );
    }
}

/// All rows of a short hex dump (a control frame's payload), without scrolling.
pub fn hex_rows(ui: &mut Ui, bytes: &[u8]) {
    ui.scope(|ui| {
        fit_rows_to_width(ui);
        widgets::tight_rows(ui);
        for i in 0..hex_dump::row_count(bytes.len()) {
            ui.horizontal(|ui| hex_row(ui, bytes, i));
        }
    });
}

/// One hex dump row as one line of text, as xxd prints it: offset (weak), hex, ASCII. One
/// label per row rather than one per column: a third of the widgets and galleys to lay out
/// while scrolling (a 64 MiB dump flung through: 2.2-3.2 ms per frame instead of 2.7-5.0),
/// and a selected row copies whole.
fn hex_row(ui: &mut Ui, bytes: &[u8], i: usize) {
    let row = hex_dump::row(bytes, i);
    let font = widgets::mono_font(ui);
    let (weak, strong) = (ui.visuals().weak_text_color(), ui.visuals().text_color());
    let mut job = LayoutJob::default();
    for (text, color) in [
        (row.offset.as_str(), weak),
        ("  ", weak),
        (row.hex.as_str(), strong),
        ("  ", weak),
        (row.ascii.as_str(), strong),
    ] {
        job.append(text, 0.0, TextFormat::simple(font.clone(), color));
    }
    ui.add(Label::new(job).extend());
}

/// The payload as text when it is UTF-8 made of printable characters (and line breaks or
/// tabs), as a control frame's payload often is.
pub fn printable_text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok().filter(|text| {
        !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_is_recognised() {
        assert_eq!(printable_text(b"keepalive 42"), Some("keepalive 42"));
        assert_eq!(printable_text("héllo\n".as_bytes()), Some("héllo\n"));
        assert_eq!(printable_text(b"\x00\x01"), None);
        assert_eq!(printable_text(b"\xff"), None);
    }

    #[test]
    fn utf8_is_checked_once_and_reset() {
        let mut state = BinaryState::default();
        assert!(state.utf8_index(b"a\nb").is_some());
        // Cached: the answer for the first payload stands until reset.
        assert_eq!(state.utf8_index(b"\xff").map(LineIndex::len), Some(2));
        state.reset();
        assert!(state.utf8_index(b"\xff").is_none());
    }
}

//! The message editor's colouring: `{{variables}}` stand out, unknown ones in the error
//! colour, so a typo shows before Send says so.

use std::sync::Arc;

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, Stroke, TextStyle};

use crate::format::variables;

/// The colour of a known variable reference.
const VARIABLE: Color32 = Color32::from_rgb(230, 160, 60);

/// Lays out `text` in the monospace font, colouring variable references: known ones
/// (`known(var)`) in amber, others underlined in the error colour.
pub fn layout(
    ui: &egui::Ui,
    text: &str,
    wrap_width: f32,
    known: &dyn Fn(&variables::VarRef) -> bool,
) -> Arc<egui::Galley> {
    let font_id = TextStyle::Monospace.resolve(ui.style());
    let plain = TextFormat::simple(font_id.clone(), ui.visuals().text_color());
    let mut job = LayoutJob::default();
    let mut done = 0;
    if variables::has_variables(text) {
        for var in variables::referenced(text) {
            let (start, end) = (var.bytes.start, var.bytes.end);
            if start < done
                || end > text.len()
                || !text.is_char_boundary(start)
                || !text.is_char_boundary(end)
            {
                continue;
            }
            job.append(&text[done..start], 0.0, plain.clone());
            let format = if known(&var) {
                TextFormat::simple(font_id.clone(), VARIABLE)
            } else {
                let error = ui.visuals().error_fg_color;
                TextFormat {
                    underline: Stroke::new(1.0, error),
                    ..TextFormat::simple(font_id.clone(), error)
                }
            };
            job.append(&text[start..end], 0.0, format);
            done = end;
        }
    }
    job.append(&text[done..], 0.0, plain);
    job.wrap.max_width = wrap_width;
    ui.fonts_mut(|fonts| fonts.layout_job(job))
}

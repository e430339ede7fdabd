//! The State view's JSON tree: each key with the number of messages that changed it
//! (`bids ×12`), and the places changed lately on a background that fades. Only open
//! nodes are laid out, of a tree bounded by [`json_tree`](crate::format::json_tree).

use egui::text::LayoutJob;
use egui::{CollapsingHeader, Color32, Id, Label, RichText, TextFormat, Ui};

use super::detail::text::Palette;
use super::tab_fold::Marks;
use crate::format::json_tree::{self, Node};
use crate::format::preview::ellipsize;
use crate::model::fold::{UpdateCounts, escape_token};

/// What every node of one tree is drawn with.
pub(super) struct Look<'a> {
    /// Updates per place.
    pub counts: &'a UpdateCounts,
    /// The places changed lately.
    pub marks: &'a Marks<'a>,
    /// Syntax colours.
    pub palette: &'a Palette,
}

/// Draws `root` (the state) open, its children closed until opened.
pub(super) fn tree(ui: &mut Ui, root: &Node, id: Id, look: &Look<'_>) {
    node(ui, None, root, &mut String::new(), id, true, look);
}

/// The highlight behind a place changed lately, `heat` from 1 (just now) to 0.
pub fn highlight(ui: &Ui, heat: f32) -> Color32 {
    let base = if ui.visuals().dark_mode {
        Color32::from_rgb(150, 120, 20)
    } else {
        Color32::from_rgb(255, 220, 90)
    };
    base.gamma_multiply(heat.clamp(0.0, 1.0) * 0.55)
}

fn node(
    ui: &mut Ui,
    name: Option<&str>,
    value: &Node,
    path: &mut String,
    id: Id,
    open: bool,
    look: &Look<'_>,
) {
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let heat = look.marks.heat(path);
    let background = if heat > 0.0 {
        highlight(ui, heat)
    } else {
        Color32::TRANSPARENT
    };
    let format = |color: Color32| TextFormat {
        background,
        ..TextFormat::simple(font.clone(), color)
    };
    let mut job = LayoutJob::default();
    let count = look.counts.get(path);
    if let Some(name) = name {
        job.append(name, 0.0, format(look.palette.key));
        if count > 0 {
            let small = egui::FontId::new(font.size * 0.85, font.family.clone());
            job.append(
                &format!(" ×{count}"),
                0.0,
                TextFormat {
                    background,
                    ..TextFormat::simple(small, ui.visuals().text_color())
                },
            );
        }
        job.append(": ", 0.0, format(look.palette.punct));
    }
    let hover = (count > 0).then(|| {
        let plural = if count == 1 { "" } else { "s" };
        format!("changed by {count} message{plural}")
    });
    let (summary, len, kept) = match value {
        Node::Object { members, len } => (count_text('{', *len, "key", '}'), *len, members.len()),
        Node::Array { items, len } => (count_text('[', *len, "item", ']'), *len, items.len()),
        Node::Scalar { text, kind } => {
            let text = ellipsize(text, json_tree::MAX_CHARS);
            job.append(&text, 0.0, format(look.palette.of_scalar(*kind)));
            let response = ui.add(Label::new(job).extend());
            if let Some(hover) = hover {
                response.on_hover_text(hover);
            }
            return;
        }
    };
    job.append(&summary, 0.0, format(look.palette.punct));
    if len == 0 {
        let response = ui.add(Label::new(job).extend());
        if let Some(hover) = hover {
            response.on_hover_text(hover);
        }
        return;
    }
    let header = CollapsingHeader::new(job)
        .id_salt(id)
        .default_open(open)
        .show(ui, |ui| {
            match value {
                Node::Object { members, .. } => {
                    for (i, (key, child)) in members.iter().enumerate() {
                        let at = path.len();
                        path.push('/');
                        path.push_str(&escape_token(key));
                        node(ui, Some(key), child, path, id.with(i), false, look);
                        path.truncate(at);
                    }
                }
                Node::Array { items, .. } => {
                    for (i, child) in items.iter().enumerate() {
                        let at = path.len();
                        let index = i.to_string();
                        path.push('/');
                        path.push_str(&index);
                        node(ui, Some(&index), child, path, id.with(i), false, look);
                        path.truncate(at);
                    }
                }
                Node::Scalar { .. } => {}
            }
            if len > kept {
                ui.label(RichText::new(format!("… {} more", len - kept)).weak());
            }
        });
    if let Some(hover) = hover {
        header.header_response.on_hover_text(hover);
    }
}

/// `{3 keys}`, `[1 item]`.
fn count_text(open: char, count: usize, noun: &str, close: char) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{open}{count} {noun}{plural}{close}")
}

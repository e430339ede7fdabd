//! Text messages: the text as received, and when it is JSON a pretty, syntax-coloured view
//! and a collapsible tree. Derived views are built once per selected event and cached; the
//! line views lay out only the visible lines.
//!
//! Every view is bounded whatever the text: the pretty view refuses nesting deeper than
//! [`json::MAX_DEPTH`] and output past [`json::MAX_PRETTY_BYTES`] (the text is then shown
//! raw, with a note saying why), the tree keeps a bounded number of nodes, and each view of
//! a long text is made on a thread of its own, so no frame waits for it.

use egui::text::LayoutJob;
use egui::{CollapsingHeader, Color32, Id, Label, RichText, ScrollArea, TextFormat, Ui};

use super::job::{Job, LOST};
use super::widgets::{self, MAX_ROW_BYTES};
use crate::app::commands::CommandId;
use crate::app::style::format_size;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::format::json::{self, JsonError, JsonToken, LineIndex, Lines, PrettyError};
use crate::format::json_tree::{self, Node, ScalarKind};

/// How many characters of a string value a tree row shows.
const TREE_STRING_CHARS: usize = json_tree::MAX_CHARS;

/// Texts at least this long are pretty-printed, parsed into a tree and indexed on a thread
/// of their own, so selecting one never holds up a frame (16 MiB takes 100-150 ms); shorter
/// ones are done in the frame (each view's work is linear in the text, so below this it
/// takes a few milliseconds whatever the text holds).
pub const FORMAT_IN_BACKGROUND_BYTES: usize = 1 << 20;

/// The most bytes "Copy pretty JSON" puts on the clipboard; a larger pretty text (deep
/// nesting spelled out as indentation) is not copied.
pub const MAX_COPY_BYTES: usize = 64 << 20;

/// Which view of a text message is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TextView {
    /// Pretty-printed, coloured JSON.
    #[default]
    Pretty,
    /// A collapsible JSON tree.
    Tree,
    /// The text as received.
    Raw,
}

/// The text view's choice (kept across selections) and the selected text's derived views.
#[derive(Default)]
pub struct TextState {
    view: TextView,
    derived: Option<Derived>,
}

/// The text a view shows: a message's payload, shared by reference count (a formatting
/// thread takes it without a copy), or other text (an SSE event's data).
#[derive(Clone, Copy)]
pub enum Shown<'a> {
    /// A text message's payload.
    Message(&'a Utf8Bytes),
    /// Any other text.
    Other(&'a str),
}

impl<'a> Shown<'a> {
    fn as_str(self) -> &'a str {
        match self {
            Shown::Message(text) => text.as_str(),
            Shown::Other(text) => text,
        }
    }

    /// The text for another thread: a reference for a message, a copy otherwise.
    fn to_shared(self) -> Utf8Bytes {
        match self {
            Shown::Message(text) => text.clone(),
            Shown::Other(text) => Utf8Bytes::from(text),
        }
    }
}

/// Pretty-printed JSON and its line index, or why there is none.
type PrettyResult = Result<Lines, PrettyError>;

fn pretty_lines(text: &str) -> PrettyResult {
    json::pretty_lines(text, MAX_ROW_BYTES)
}

/// Why a view of the text is not there.
#[derive(Clone, Debug, thiserror::Error)]
enum Unshown {
    /// No pretty view (not JSON, too deep, too large).
    #[error(transparent)]
    Pretty(#[from] PrettyError),
    /// No tree.
    #[error(transparent)]
    Tree(#[from] JsonError),
    /// The thread making the view ended without an answer.
    #[error("{LOST}")]
    Lost,
}

/// The bounded tree, or why it cannot be shown.
type TreeResult = Result<Node, Unshown>;

fn tree(text: &str) -> TreeResult {
    Ok(json_tree::parse(text)?)
}

fn raw_index(text: &str) -> LineIndex {
    LineIndex::with_max_line_bytes(text, MAX_ROW_BYTES)
}

/// Starts making `make(text)`: in this frame when the text is short, on a thread when it
/// is long.
fn derive<T: Send + 'static>(shown: Shown<'_>, ctx: &egui::Context, make: fn(&str) -> T) -> Job<T> {
    let text = shown.as_str();
    if text.len() < FORMAT_IN_BACKGROUND_BYTES {
        return Job::Ready(make(text));
    }
    Job::start(ctx, (shown.to_shared(), make), |(text, make)| {
        make(text.as_str())
    })
}

/// What is derived from one text, each part at most once.
struct Derived {
    /// Pretty-printed JSON and its line index, or why there is none.
    pretty: Job<PrettyResult>,
    /// Nothing of the text has been shown yet (its pretty view is being made): the first
    /// frame that shows it starts at the top, as a new selection does.
    unseen: bool,
    /// The raw text's line index, made when the raw view is first shown.
    raw: Option<Job<LineIndex>>,
    /// The bounded tree, made when the tree view is first shown.
    tree: Option<Job<TreeResult>>,
}

impl TextState {
    /// Forgets the derived views (the selection changed).
    pub fn reset(&mut self) {
        self.derived = None;
    }

    /// Shows the text: the view switch, copy buttons, a note when it is not JSON, then the
    /// chosen view filling the rest. `fresh` is true on the first frame of a selection.
    pub fn ui(&mut self, ui: &mut Ui, shown: Shown<'_>, fresh: bool) {
        let text = shown.as_str();
        let derived = self.derived.get_or_insert_with(|| Derived {
            pretty: derive(shown, ui.ctx(), pretty_lines),
            unseen: true,
            raw: None,
            tree: None,
        });
        let Some(pretty) = derived.pretty.ready() else {
            working(
                ui,
                &format!("Formatting {} of JSON…", format_size(text.len())),
            );
            return;
        };
        let pretty = match pretty {
            Some(Ok(lines)) => Ok(lines),
            Some(Err(err)) => Err(Unshown::Pretty(err.clone())),
            None => Err(Unshown::Lost),
        };
        let fresh = fresh || std::mem::take(&mut derived.unseen);
        let is_json = pretty.is_ok();
        let mut view = if is_json { self.view } else { TextView::Raw };
        ui.horizontal_wrapped(|ui| {
            widgets::view_switch(
                ui,
                &mut view,
                &[
                    (TextView::Pretty, "Pretty", is_json),
                    (TextView::Tree, "Tree", is_json),
                    (TextView::Raw, "Raw", true),
                ],
            );
            ui.separator();
            widgets::copy_button(ui, CommandId::CopyText.label(), || text.to_owned());
            if let Ok(lines) = pretty {
                copy_pretty_button(ui, lines);
            }
        });
        if is_json {
            self.view = view;
        }
        if text.is_empty() {
            ui.label(RichText::new("(empty message)").weak());
            return;
        }
        match &pretty {
            // Not JSON: raw is all there is, and the note says where it failed.
            Err(err @ Unshown::Pretty(PrettyError::NotJson(_))) => {
                ui.label(RichText::new(err.to_string()).small().weak());
            }
            // JSON that is too deep or too large to format: say so, as a warning.
            Err(err) => {
                ui.label(
                    RichText::new(format!("{err}; showing raw")).color(ui.visuals().warn_fg_color),
                );
            }
            Ok(_) => {}
        }
        let palette = Palette::of(ui);
        match (view, pretty) {
            (TextView::Pretty, Ok(lines)) => pretty_view(ui, lines, &palette, fresh),
            (TextView::Tree, Ok(_)) => {
                let job = derived
                    .tree
                    .get_or_insert_with(|| derive(shown, ui.ctx(), tree));
                match job.ready() {
                    None => working(ui, "Reading the tree…"),
                    Some(Some(tree)) => tree_view(ui, tree, &palette, fresh),
                    Some(None) => tree_view(ui, &Err(Unshown::Lost), &palette, fresh),
                }
            }
            _ => {
                let job = derived
                    .raw
                    .get_or_insert_with(|| derive(shown, ui.ctx(), raw_index));
                match job.ready() {
                    None => working(ui, "Finding lines…"),
                    Some(Some(index)) => {
                        raw_lines_view(ui, "detail-raw-text", text.as_bytes(), index, fresh);
                    }
                    Some(None) => {
                        ui.label(LOST);
                    }
                }
            }
        }
    }
}

/// A spinner and what is being made.
fn working(ui: &mut Ui, what: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(what);
    });
}

/// "Copy pretty JSON": the text with its indentation spelled out, unless that would be
/// more than [`MAX_COPY_BYTES`] (then the button is off and says why).
fn copy_pretty_button(ui: &mut Ui, lines: &Lines) {
    let len = lines.indented_len();
    if len <= MAX_COPY_BYTES {
        widgets::copy_button(ui, CommandId::CopyPrettyJson.label(), || lines.indented());
    } else {
        ui.add_enabled(false, egui::Button::new(CommandId::CopyPrettyJson.label()))
            .on_disabled_hover_text(format!(
                "The pretty text would be {}; use Copy text",
                format_size(len)
            ));
    }
}

/// Lines of text in monospace with line numbers, virtualized; used for raw text and for
/// binary payloads that are UTF-8 (`bytes` are the bytes `index` was built from, valid
/// UTF-8; each visible line is checked again on its own, which is cheap).
pub fn raw_lines_view(ui: &mut Ui, id_salt: &str, bytes: &[u8], index: &LineIndex, fresh: bool) {
    let digits = widgets::digits(index.line_number(index.len().saturating_sub(1)));
    widgets::rows_view(ui, id_salt, index.len(), fresh, |ui, i| {
        let number = (!index.is_continuation(i)).then(|| index.line_number(i));
        widgets::gutter(ui, number, digits);
        let line = bytes
            .get(index.range(bytes, i))
            .and_then(|line| std::str::from_utf8(line).ok())
            .unwrap_or_default();
        widgets::mono_line(ui, line);
    });
}

fn pretty_view(ui: &mut Ui, lines: &Lines, palette: &Palette, fresh: bool) {
    let digits = widgets::digits(lines.line_number(lines.len().saturating_sub(1)));
    let font = widgets::mono_font(ui);
    widgets::rows_view(ui, "detail-pretty", lines.len(), fresh, |ui, i| {
        let continued = lines.is_continuation(i);
        widgets::gutter(ui, (!continued).then(|| lines.line_number(i)), digits);
        let line = lines.line(i);
        let mut job = LayoutJob::default();
        // The indentation is kept as a depth per line and spelled out only here, for the
        // visible lines (at most MAX_DEPTH indents each).
        let indent = lines.indent(i);
        if indent > 0 {
            job.append(
                &json::INDENT.repeat(indent),
                0.0,
                TextFormat::simple(font.clone(), palette.of_token(JsonToken::Space)),
            );
        }
        if continued {
            // The middle of a cut long line (a long string): no token boundaries to trust.
            job.append(line, 0.0, TextFormat::simple(font.clone(), palette.string));
        } else {
            for (range, token) in json::tokens(line) {
                let piece = line.get(range).unwrap_or_default();
                job.append(
                    piece,
                    0.0,
                    TextFormat::simple(font.clone(), palette.of_token(token)),
                );
            }
        }
        ui.add(Label::new(job).extend());
    });
}

fn tree_view(ui: &mut Ui, tree: &TreeResult, palette: &Palette, fresh: bool) {
    let value = match tree {
        Ok(value) => value,
        Err(err) => {
            ui.label(format!("The tree cannot be shown: {err}"));
            return;
        }
    };
    let mut area = ScrollArea::both()
        .id_salt("detail-tree")
        .auto_shrink([false, false]);
    if fresh {
        area = area.scroll_offset(egui::Vec2::ZERO);
    }
    area.show(ui, |ui| {
        let root = Id::unique("detail-tree-root");
        node(ui, None, value, root, true, palette);
    });
}

/// One node of the tree: a collapsible header for objects and arrays (their children shown
/// only while open: those the bounded tree kept, at most [`json_tree::MAX_CHILDREN`]), a coloured
/// line for the rest. Recursion follows the tree, at most [`json::MAX_DEPTH`] levels.
pub(in crate::app) fn node(
    ui: &mut Ui,
    name: Option<&str>,
    value: &Node,
    id: Id,
    open: bool,
    palette: &Palette,
) {
    let font = widgets::mono_font(ui);
    let mut job = LayoutJob::default();
    if let Some(name) = name {
        job.append(name, 0.0, TextFormat::simple(font.clone(), palette.key));
        job.append(": ", 0.0, TextFormat::simple(font.clone(), palette.punct));
    }
    if let Some(bytes) = bytes_text(value) {
        job.append(&bytes, 0.0, TextFormat::simple(font, palette.literal));
        ui.add(Label::new(job).extend());
        return;
    }
    let (summary, count, kept) = match value {
        Node::Object { members, len } => (count_text('{', *len, "key", '}'), *len, members.len()),
        Node::Array { items, len } => (count_text('[', *len, "item", ']'), *len, items.len()),
        Node::Scalar { text, kind } => {
            let text = widgets::ellipsize(text, TREE_STRING_CHARS);
            job.append(
                &text,
                0.0,
                TextFormat::simple(font, palette.of_scalar(*kind)),
            );
            ui.add(Label::new(job).extend());
            return;
        }
    };
    job.append(&summary, 0.0, TextFormat::simple(font, palette.punct));
    if count == 0 {
        ui.add(Label::new(job).extend());
        return;
    }
    CollapsingHeader::new(job)
        .id_salt(id)
        .default_open(open)
        .show(ui, |ui| {
            match value {
                Node::Object { members, .. } => {
                    for (i, (key, child)) in members.iter().enumerate() {
                        node(ui, Some(key), child, id.with(i), false, palette);
                    }
                }
                Node::Array { items, .. } => {
                    for (i, child) in items.iter().enumerate() {
                        node(ui, Some(&i.to_string()), child, id.with(i), false, palette);
                    }
                }
                Node::Scalar { .. } => {}
            }
            if count > kept {
                ui.label(RichText::new(format!("… {} more", count - kept)).weak());
            }
        });
}

/// A decoded value's bytes, `{"$bytes": "0a0b"}`, as `0a 0b (2 bytes)`; `None` for any
/// other node. The tree keeps the first [`json_tree::MAX_CHARS`] hex digits of long bytes:
/// those say "more than N bytes" (Pretty and Raw show all of them).
fn bytes_text(value: &Node) -> Option<String> {
    let Node::Object { members, len: 1 } = value else {
        return None;
    };
    let [(key, Node::Scalar { text, kind })] = members.as_slice() else {
        return None;
    };
    if key != "$bytes" || *kind != ScalarKind::String {
        return None;
    }
    let (hex, cut) = match text.strip_suffix("\"…") {
        Some(kept) => (kept.strip_prefix('"')?, true),
        None => (text.strip_prefix('"')?.strip_suffix('"')?, false),
    };
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let pairs: Vec<&str> = hex
        .as_bytes()
        .chunks(2)
        .filter_map(|pair| std::str::from_utf8(pair).ok())
        .collect();
    let n = pairs.len();
    let plural = if n == 1 { "" } else { "s" };
    Some(if cut {
        format!("{}… (more than {n} bytes)", pairs.join(" "))
    } else {
        format!("{} ({n} byte{plural})", pairs.join(" "))
    })
}

/// `{3 keys}`, `[1 item]`.
fn count_text(open: char, count: usize, noun: &str, close: char) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{open}{count} {noun}{plural}{close}")
}

/// Syntax colours for JSON, for dark and light themes.
pub struct Palette {
    /// Object keys.
    pub key: Color32,
    /// String values.
    pub string: Color32,
    /// Numbers.
    pub number: Color32,
    /// `true`, `false`, `null`.
    pub literal: Color32,
    /// Brackets, commas, colons.
    pub punct: Color32,
}

impl Palette {
    /// The palette that suits `ui`'s theme.
    pub fn of(ui: &Ui) -> Self {
        if ui.visuals().dark_mode {
            Palette {
                key: Color32::from_rgb(120, 180, 250),
                string: Color32::from_rgb(220, 160, 120),
                number: Color32::from_rgb(170, 210, 150),
                literal: Color32::from_rgb(200, 140, 230),
                punct: Color32::from_gray(160),
            }
        } else {
            Palette {
                key: Color32::from_rgb(20, 70, 170),
                string: Color32::from_rgb(160, 60, 20),
                number: Color32::from_rgb(20, 120, 60),
                literal: Color32::from_rgb(130, 40, 170),
                punct: Color32::from_gray(90),
            }
        }
    }

    /// The colour of a tree's scalar.
    pub fn of_scalar(&self, kind: ScalarKind) -> Color32 {
        match kind {
            ScalarKind::String => self.string,
            ScalarKind::Number => self.number,
            ScalarKind::Bool | ScalarKind::Null => self.literal,
        }
    }

    /// The colour of a token.
    pub fn of_token(&self, token: JsonToken) -> Color32 {
        match token {
            JsonToken::Key => self.key,
            JsonToken::String => self.string,
            JsonToken::Number => self.number,
            JsonToken::Bool | JsonToken::Null => self.literal,
            JsonToken::Punct | JsonToken::Space => self.punct,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_a_decoded_value_read_as_hex_with_their_length() {
        let tree = |text: &str| json_tree::parse(text).expect("JSON");
        let shown = |text: &str| bytes_text(&tree(text));
        assert_eq!(
            shown(r#"{"$bytes":"0a0bff"}"#).as_deref(),
            Some("0a 0b ff (3 bytes)")
        );
        assert_eq!(shown(r#"{"$bytes":"00"}"#).as_deref(), Some("00 (1 byte)"));
        let long = format!(r#"{{"$bytes":"{}"}}"#, "ab".repeat(1000));
        let text = shown(&long).expect("bytes");
        assert!(text.ends_with("… (more than 150 bytes)"), "{text}");
        assert_eq!(shown(r#"{"$bytes":"zz"}"#), None, "not hex");
        assert_eq!(shown(r#"{"$bytes":"00","x":1}"#), None);
        assert_eq!(shown(r#"{"bytes":"00"}"#), None);
    }
}

//! Text messages: the text as received, and when it is JSON a pretty, syntax-coloured view
//! and a collapsible tree. Derived views are built once per selected event and cached; the
//! line views lay out only the visible lines.

use std::sync::mpsc;

use egui::text::LayoutJob;
use egui::{CollapsingHeader, Color32, Id, Label, RichText, ScrollArea, TextFormat, Ui};
use serde_json::Value;

use super::widgets::{self, MAX_ROW_BYTES};
use crate::app::style::format_size;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::format::json::{self, JsonError, JsonToken, LineIndex, Lines};

/// How many children of an object or array the tree shows before "… N more".
pub const TREE_CHILDREN: usize = 500;

/// How many characters of a string value a tree row shows.
const TREE_STRING_CHARS: usize = 300;

/// Texts at least this long are pretty-printed on a thread of their own, so selecting one
/// never holds up a frame (16 MiB takes 100-150 ms); shorter ones are done in the frame.
pub const FORMAT_IN_BACKGROUND_BYTES: usize = 1 << 20;

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

/// Pretty-printed JSON and its line index, or why there is none ("not JSON: …").
type PrettyResult = Result<Lines, String>;

fn pretty_lines(text: &str) -> PrettyResult {
    json::pretty_lines(text, MAX_ROW_BYTES).map_err(|err| format!("not JSON: {err}"))
}

/// The pretty view of a text: made, or being made on a thread of its own.
enum Pretty {
    Ready(PrettyResult),
    Formatting(mpsc::Receiver<PrettyResult>),
}

impl Pretty {
    /// Starts pretty-printing `text`: in this frame when it is short, on a thread when it is
    /// long (the thread asks `ctx` for a frame when it is done).
    fn start(shown: Shown<'_>, ctx: &egui::Context) -> Self {
        let text = shown.as_str();
        if text.len() < FORMAT_IN_BACKGROUND_BYTES {
            return Pretty::Ready(pretty_lines(text));
        }
        let (sender, receiver) = mpsc::channel();
        let (owned, ctx) = (shown.to_shared(), ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("sockscope-format".to_owned())
            .spawn(move || {
                // The selection may have moved on: then nobody waits for this.
                let _unwanted = sender.send(pretty_lines(&owned)).is_err();
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => Pretty::Formatting(receiver),
            Err(_) => Pretty::Ready(pretty_lines(text)),
        }
    }

    /// The result, once there is one.
    fn ready(&mut self) -> Option<&PrettyResult> {
        if let Pretty::Formatting(receiver) = self {
            match receiver.try_recv() {
                Ok(result) => *self = Pretty::Ready(result),
                Err(mpsc::TryRecvError::Empty) => return None,
                Err(mpsc::TryRecvError::Disconnected) => {
                    *self = Pretty::Ready(Err(
                        "not formatted: the formatting thread stopped without an answer".to_owned(),
                    ));
                }
            }
        }
        match self {
            Pretty::Ready(result) => Some(result),
            Pretty::Formatting(_) => None,
        }
    }
}

/// What is derived from one text, each part at most once.
struct Derived {
    /// Pretty-printed JSON and its line index, or why the text is not JSON.
    pretty: Pretty,
    /// Nothing of the text has been shown yet (its pretty view is being made): the first
    /// frame that shows it starts at the top, as a new selection does.
    unseen: bool,
    /// The raw text's line index, built when the raw view is first shown.
    raw: Option<LineIndex>,
    /// The parsed tree, built when the tree view is first shown.
    tree: Option<Result<Value, String>>,
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
            pretty: Pretty::start(shown, ui.ctx()),
            unseen: true,
            raw: None,
            tree: None,
        });
        let Some(pretty) = derived.pretty.ready() else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Formatting {} of JSON…", format_size(text.len())));
            });
            return;
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
            widgets::copy_button(ui, "Copy text", || text.to_owned());
            if let Ok(lines) = pretty {
                widgets::copy_button(ui, "Copy pretty JSON", || lines.text().to_owned());
            }
        });
        if is_json {
            self.view = view;
        }
        if text.is_empty() {
            ui.label(RichText::new("(empty message)").weak());
            return;
        }
        if let Err(err) = pretty {
            ui.label(RichText::new(err).small().weak());
        }
        let palette = Palette::of(ui);
        match (view, pretty) {
            (TextView::Pretty, Ok(lines)) => pretty_view(ui, lines, &palette, fresh),
            (TextView::Tree, Ok(_)) => {
                let tree = derived.tree.get_or_insert_with(|| {
                    serde_json::from_str::<Value>(text).map_err(|e| JsonError::from(e).to_string())
                });
                tree_view(ui, tree, &palette, fresh);
            }
            _ => {
                let index = derived
                    .raw
                    .get_or_insert_with(|| LineIndex::with_max_line_bytes(text, MAX_ROW_BYTES));
                raw_lines_view(ui, "detail-raw-text", text.as_bytes(), index, fresh);
            }
        }
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

fn tree_view(ui: &mut Ui, tree: &Result<Value, String>, palette: &Palette, fresh: bool) {
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
/// only while open, at most [`TREE_CHILDREN`] of them), a coloured line for the rest.
fn node(ui: &mut Ui, name: Option<&str>, value: &Value, id: Id, open: bool, palette: &Palette) {
    let font = widgets::mono_font(ui);
    let mut job = LayoutJob::default();
    if let Some(name) = name {
        job.append(name, 0.0, TextFormat::simple(font.clone(), palette.key));
        job.append(": ", 0.0, TextFormat::simple(font.clone(), palette.punct));
    }
    let (summary, count) = match value {
        Value::Object(map) => (count_text('{', map.len(), "key", '}'), map.len()),
        Value::Array(items) => (count_text('[', items.len(), "item", ']'), items.len()),
        scalar => {
            let (text, color) = scalar_text(scalar, palette);
            job.append(&text, 0.0, TextFormat::simple(font, color));
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
                Value::Object(map) => {
                    for (i, (key, child)) in map.iter().take(TREE_CHILDREN).enumerate() {
                        node(ui, Some(key), child, id.with(i), false, palette);
                    }
                }
                Value::Array(items) => {
                    for (i, child) in items.iter().take(TREE_CHILDREN).enumerate() {
                        node(ui, Some(&i.to_string()), child, id.with(i), false, palette);
                    }
                }
                _ => {}
            }
            if count > TREE_CHILDREN {
                ui.label(RichText::new(format!("… {} more", count - TREE_CHILDREN)).weak());
            }
        });
}

/// `{3 keys}`, `[1 item]`.
fn count_text(open: char, count: usize, noun: &str, close: char) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{open}{count} {noun}{plural}{close}")
}

/// A scalar as JSON spells it (strings quoted and escaped, long ones cut) and its colour.
fn scalar_text(value: &Value, palette: &Palette) -> (String, Color32) {
    match value {
        Value::String(s) => {
            let quoted = serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"));
            (
                widgets::ellipsize(&quoted, TREE_STRING_CHARS).into_owned(),
                palette.string,
            )
        }
        Value::Number(n) => (n.to_string(), palette.number),
        Value::Bool(b) => (b.to_string(), palette.literal),
        Value::Null => ("null".to_owned(), palette.literal),
        Value::Object(_) | Value::Array(_) => (String::new(), palette.punct),
    }
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

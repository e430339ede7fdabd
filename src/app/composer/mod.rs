//! The composer: the message editor with its format (text, JSON, hex, base64, a file), the
//! preview of its variables, Send and "Save as template", the sent-message history (Up and
//! Down in an empty editor), and the Close and Ping controls.
//!
//! The body is checked (variables expanded, encoded) only when the text, the format, the
//! tab's variables or its counter change; the size of a file to send is looked up in the
//! background (`TabAction::CheckFile`). Nothing here does I/O.

mod check;
mod controls;
mod editor;
mod history;
pub mod repeat_controls;
mod save_dialog;

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use egui::{Align, Id, Key, Modifiers, RichText};

pub use check::{Check, CheckEncoding, Outcome};
pub use history::{HISTORY_LIMIT, History};
pub use save_dialog::TemplateLists;

use self::check::CheckKey;
use self::save_dialog::{DialogEnd, SaveDialog};
use super::action::{Draft, TabAction, TemplateAction, TemplateScope};
use super::background::{FileInfo, FileSendError, NO_DIALOG_WITHIN};
use super::commands::{self, CommandId, Scope};
use super::proto_schema::SchemaState;
use super::style;
use crate::engine::ReadyState;
use crate::format::decode::Limits;
use crate::format::json;
use crate::format::variables::{self, VarContext, VarRef};
use crate::model::template::MessageFormat;

/// What the composer needs to know about its tab.
pub struct ComposerContext<'a> {
    /// The tab's id (for widget ids).
    pub tab_id: u64,
    /// The tab's readyState: Send needs OPEN.
    pub state: ReadyState,
    /// The tab only receives (an SSE tab): Send, Close and Ping are off whatever the state.
    pub receive_only: bool,
    /// The tab sends messages only (a proxy or server tab, whose closes are its own
    /// panel's): no Close and Ping controls.
    pub messages_only: bool,
    /// The tab's user variables.
    pub variables: &'a [(String, String)],
    /// The tab's next `{{counter}}`.
    pub counter: u64,
    /// The templates a new one is saved beside.
    pub templates: TemplateLists<'a>,
    /// Whether the templates and variables panel is shown (a toggle in the heading).
    pub show_templates: &'a mut bool,
    /// The tab's running repeat, if any.
    pub repeating: Option<repeat_controls::Repeating>,
    /// What the binary encodings need: the tab's schema and type, its size limit.
    pub encoding: EncodingContext<'a>,
}

/// What the composer encodes with, from its tab.
#[derive(Clone, Copy)]
pub struct EncodingContext<'a> {
    /// The tab's compiled Protobuf schema (or its state).
    pub schema: &'a SchemaState,
    /// The tab's message type (the Decode section's), used when the composer names none.
    pub tab_message: Option<&'a str>,
    /// The tab's max message size.
    pub limits: Limits,
    /// The tab's protocol, which an operation is checked against.
    pub protocol: &'a crate::protocol::ProtocolSettings,
}

impl EncodingContext<'_> {
    fn hash(&self, own_message: Option<&str>) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (
            self.schema.generation(),
            self.tab_message,
            own_message,
            self.limits.max_output,
            self.limits.max_depth,
        )
            .hash(&mut hasher);
        format!("{:?}", self.protocol).hash(&mut hasher);
        hasher.finish()
    }
}

/// The size lookup of a File body's file.
#[derive(Clone, Debug)]
struct FileStatus {
    path: PathBuf,
    /// `None` while the lookup runs.
    info: Option<Result<FileInfo, FileSendError>>,
}

/// What the user is composing in a tab.
#[derive(Clone, Debug)]
pub struct ComposerState {
    format: MessageFormat,
    text: String,
    file_path: String,
    /// Goes up on every change of text, path or format.
    revision: u64,
    check: Option<Check>,
    file: Option<FileStatus>,
    history: History,
    /// The template last loaded, proposed as the name when saving.
    loaded_name: Option<String>,
    /// The text was loaded from a file (a library template): sending it reads only the
    /// environment variables allowed for the tab.
    from_file: bool,
    /// The Protobuf message type chosen beside the format; `None` uses the tab's.
    message: Option<String>,
    save_scope: TemplateScope,
    save_dialog: Option<SaveDialog>,
    /// Give the editor the keyboard focus back once the dialog's layer is gone.
    refocus_editor: bool,
    /// A refused or failed send, shown under Send until the next edit or send.
    pub send_error: Option<String>,
    /// A passing remark (a template was loaded, no file dialog is available).
    pub note: Option<String>,
    /// The close code to send.
    pub close_code: u16,
    /// The close reason to send.
    pub close_reason: String,
    /// The ping payload (sent as UTF-8).
    pub ping_payload: String,
    /// The interval a repeat is started with.
    pub repeat_every: Duration,
}

impl Default for ComposerState {
    fn default() -> Self {
        Self {
            format: MessageFormat::Text,
            text: String::new(),
            file_path: String::new(),
            revision: 0,
            check: None,
            file: None,
            history: History::default(),
            loaded_name: None,
            from_file: false,
            message: None,
            save_scope: TemplateScope::Library,
            save_dialog: None,
            refocus_editor: false,
            send_error: None,
            note: None,
            close_code: 1000,
            close_reason: String::new(),
            ping_payload: String::new(),
            repeat_every: Duration::from_secs(1),
        }
    }
}

impl ComposerState {
    /// The selected format.
    pub fn format(&self) -> MessageFormat {
        self.format
    }

    /// The editor's text (the body of every format but File).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The path typed for the File format.
    pub fn file_path(&self) -> &str {
        &self.file_path
    }

    /// The body that Send sends: the path for File, the editor's text otherwise.
    pub fn body(&self) -> &str {
        match self.format {
            MessageFormat::File => &self.file_path,
            _ => &self.text,
        }
    }

    /// The Protobuf message type chosen in the composer (`None`: the tab's).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Chooses the Protobuf message type (`None`: the tab's).
    pub fn set_message(&mut self, message: Option<String>) {
        if self.message != message {
            self.message = message;
            self.changed();
        }
    }

    /// The format and body, as Send would send them (with the composer's Protobuf type
    /// for a Protobuf body).
    pub fn draft(&self) -> Draft {
        Draft {
            from_file: self.from_file,
            message: match self.format {
                MessageFormat::Protobuf => self.message.clone(),
                _ => None,
            },
            ..Draft::new(self.format, self.body())
        }
    }

    /// Replaces the format and body (a template loaded, a test); leaves history browsing.
    pub fn set_draft(&mut self, draft: Draft) {
        self.history.stop();
        self.show_draft(draft);
        self.loaded_name = None;
    }

    /// Loads a template's draft, remembering its name for "Save as template".
    pub fn load_template(&mut self, name: &str, draft: Draft) {
        self.set_draft(draft);
        self.loaded_name = Some(name.to_owned());
        self.note = Some(format!("Loaded template {name:?}."));
    }

    /// The messages sent from this composer.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Remembers a message that was sent, for Up/Down.
    pub fn record_sent(&mut self, draft: Draft) {
        self.history.push(draft);
        self.send_error = None;
        self.note = None;
    }

    /// The latest check of the body, if it ran.
    pub fn check(&self) -> Option<&Check> {
        self.check.as_ref()
    }

    /// The background lookup of a File body's file finished.
    pub fn file_checked(&mut self, path: &Path, result: Result<FileInfo, FileSendError>) {
        if let Some(status) = &mut self.file
            && status.path == path
        {
            status.info = Some(result);
        }
    }

    /// The file dialog ended: a chosen file becomes the path; no answer at once means
    /// there is no dialog, and the user is told to type the path.
    pub fn file_picked(&mut self, path: Option<PathBuf>, open_for: Duration) {
        match path {
            Some(path) => {
                self.format = MessageFormat::File;
                self.file_path = path.display().to_string();
                self.changed();
                self.note = None;
            }
            None if open_for < NO_DIALOG_WITHIN => {
                self.note = Some("No file dialog is available: type the path.".into());
            }
            None => {}
        }
    }

    /// True when the body as checked can be sent (a File body once its file was found).
    pub fn is_sendable(&self) -> bool {
        match self.check.as_ref().map(|c| &c.outcome) {
            Some(Outcome::Ready { .. } | Outcome::Deferred { .. }) => true,
            Some(Outcome::File(path)) => self
                .file
                .as_ref()
                .is_some_and(|status| status.path == *path && matches!(status.info, Some(Ok(_)))),
            _ => false,
        }
    }

    fn show_draft(&mut self, draft: Draft) {
        self.format = draft.format;
        self.from_file = draft.from_file;
        if draft.format == MessageFormat::Protobuf {
            self.message = draft.message;
        }
        match draft.format {
            MessageFormat::File => self.file_path = draft.body,
            _ => self.text = draft.body,
        }
        self.changed();
    }

    fn changed(&mut self) {
        self.revision += 1;
        self.send_error = None;
    }

    /// Redoes the check when what it depends on changed; returns a file to look up.
    fn ensure_check(
        &mut self,
        variables: &[(String, String)],
        counter: u64,
        encoding: EncodingContext<'_>,
    ) -> Option<PathBuf> {
        let key = CheckKey {
            revision: self.revision,
            format: self.format,
            variables: check::variables_hash(variables),
            counter,
            encoding: encoding.hash(self.message.as_deref()),
        };
        if self.check.as_ref().is_none_or(|c| c.key != key) {
            let valid: Vec<(String, String)> = variables
                .iter()
                .filter(|(name, _)| variables::check_user_name(name).is_ok())
                .cloned()
                .collect();
            let ctx = VarContext {
                counter,
                user: &valid,
                env: &variables::preview_env,
                // The preview stays on this screen (and shows secrets as [secret]); sending from a tab that came from a
                // file asks before any variable is read for the network (Tab::send_draft).
                env_policy: variables::EnvPolicy::Any,
            };
            let proto = match self.format {
                MessageFormat::Protobuf => encoding
                    .schema
                    .required_type(encoding.tab_message, self.message.as_deref())
                    .map(Some)
                    .map_err(|error| error.to_string()),
                _ => Ok(None),
            };
            let with = CheckEncoding {
                proto: proto.as_ref().map(Option::as_ref).map_err(Clone::clone),
                limits: encoding.limits,
                protocol: Some(encoding.protocol),
            };
            self.check = Some(check::check(key, self.body(), &ctx, &with));
        }
        match self.check.as_ref().map(|c| &c.outcome) {
            Some(Outcome::File(path)) if self.file.as_ref().is_none_or(|f| f.path != *path) => {
                self.file = Some(FileStatus {
                    path: path.clone(),
                    info: None,
                });
                Some(path.clone())
            }
            _ => None,
        }
    }

    /// Up and Down in the focused, empty (or recalled) editor walk the history.
    fn walk_history(&mut self, ui: &egui::Ui, editor_id: Id) {
        if !ui.memory(|m| m.has_focus(editor_id))
            || !(self.body().is_empty() || self.history.is_browsing())
        {
            return;
        }
        let (up, down) = ui.input_mut(|i| {
            (
                i.consume_key(Modifiers::NONE, Key::ArrowUp),
                i.consume_key(Modifiers::NONE, Key::ArrowDown),
            )
        });
        let recalled = if up {
            self.history.older().cloned()
        } else if down {
            match self.history.newer() {
                Some(Some(draft)) => Some(draft.clone()),
                Some(None) => Some(Draft::new(self.format, "")),
                None => None,
            }
        } else {
            None
        };
        if let Some(draft) = recalled {
            self.show_draft(draft);
            let end = egui::text::CCursor::new(self.body().chars().count());
            if let Some(mut state) = egui::TextEdit::load_state(ui.ctx(), editor_id) {
                state
                    .cursor
                    .set_char_range(Some(egui::text::CCursorRange::one(end)));
                state.store(ui.ctx(), editor_id);
            }
        }
    }
}

/// Draws the composer for a tab; pushes what the user asked for.
pub fn ui(
    ui: &mut egui::Ui,
    composer: &mut ComposerState,
    mut cx: ComposerContext<'_>,
    actions: &mut Vec<TabAction>,
) {
    let open = cx.state == ReadyState::Open && !cx.receive_only;
    let editor_id = Id::unique(("composer-editor", cx.tab_id));
    let dialog_open = composer.save_dialog.is_some();
    let shortcut_pressed =
        !dialog_open && commands::pressed(ui.ctx(), Scope::Composer).contains(&CommandId::Send);
    if !dialog_open {
        if composer.refocus_editor && ui.memory(|m| m.top_modal_layer().is_none()) {
            ui.memory_mut(|m| m.request_focus(editor_id));
            composer.refocus_editor = false;
        }
        composer.walk_history(ui, editor_id);
    }
    if let Some(path) = composer.ensure_check(cx.variables, cx.counter, cx.encoding) {
        actions.push(TabAction::CheckFile(path));
    }

    let heading = heading_row(ui, composer, &mut cx);
    if composer.format == MessageFormat::File {
        file_row(ui, composer, editor_id, actions);
    } else {
        let variables = cx.variables;
        let known =
            |var: &VarRef| var.is_builtin() || variables.iter().any(|(name, _)| *name == var.name);
        let mut layouter = |ui: &egui::Ui, buf: &dyn egui::TextBuffer, wrap_width: f32| {
            editor::layout(ui, buf.as_str(), wrap_width, &known)
        };
        let response = egui::ScrollArea::vertical()
            .id_salt(("composer-editor-scroll", cx.tab_id))
            .max_height(180.0)
            .show(ui, |ui| {
                ui.add(
                    egui::TextEdit::multiline(&mut composer.text)
                        .id(editor_id)
                        .hint_text(format!(
                            "Type a message ({} sends; Up recalls the last one). \
                             {{{{variables}}}} are expanded when sent.",
                            CommandId::Send.shortcut_text(ui.ctx())
                        ))
                        .desired_rows(4)
                        .desired_width(f32::INFINITY)
                        .code_editor()
                        .layouter(&mut layouter),
                )
                .labelled_by(heading.id)
            })
            .inner;
        if response.changed() {
            composer.history.stop();
            composer.changed();
        }
    }
    if let Some(path) = composer.ensure_check(cx.variables, cx.counter, cx.encoding) {
        actions.push(TabAction::CheckFile(path));
    }
    preview(ui, composer);

    let can_send = open && composer.is_sendable();
    let send_clicked = ui
        .horizontal(|ui| {
            let send = ui.add_enabled(
                can_send,
                egui::Button::new(RichText::new(CommandId::Send.label()).strong()),
            );
            let send = CommandId::Send.with_hover(send);
            let send = if cx.receive_only {
                send.on_disabled_hover_text("An SSE tab only receives")
            } else if open {
                send.on_disabled_hover_text("Fix the message first: see the error beside Send")
            } else {
                send.on_disabled_hover_text(format!(
                    "Not connected: the connection is {}",
                    cx.state
                ))
            };
            if ui
                .button("Save as template…")
                .on_hover_text("Keep this message as a named template, in this tab or the library")
                .clicked()
            {
                let name = composer.loaded_name.clone().unwrap_or_default();
                composer.save_dialog = Some(SaveDialog::new(name, composer.save_scope));
            }
            status(ui, composer);
            if !cx.receive_only {
                ui.separator();
                repeat_controls::ui(ui, composer, cx.repeating, can_send, actions);
            }
            send.clicked()
        })
        .inner;
    if can_send && (send_clicked || shortcut_pressed) {
        actions.push(TabAction::Send(composer.draft()));
    }
    if let Some(error) = &composer.send_error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    } else if let Some(note) = &composer.note {
        ui.label(RichText::new(note).weak().italics());
    }
    ui.separator();
    if !cx.messages_only {
        controls::close_and_ping(ui, composer, open, actions);
    }

    // A Protobuf template keeps the type it was composed with, the tab's if none was
    // chosen here, so that it sends the same from another tab or the library.
    let draft = composer.save_dialog.is_some().then(|| {
        let mut draft = composer.draft();
        if draft.format == MessageFormat::Protobuf && draft.message.is_none() {
            draft.message = cx.encoding.tab_message.map(str::to_owned);
        }
        draft
    });
    if let (Some(dialog), Some(draft)) = (&mut composer.save_dialog, draft) {
        match save_dialog::show(ui.ctx(), dialog, &draft, cx.templates) {
            DialogEnd::Open => {}
            DialogEnd::Cancelled => {
                composer.save_dialog = None;
                composer.refocus_editor = true;
            }
            DialogEnd::Save(scope, template) => {
                composer.save_scope = scope;
                composer.loaded_name = Some(template.name.clone());
                composer.save_dialog = None;
                composer.refocus_editor = true;
                actions.push(TabAction::Template(TemplateAction::Save(scope, template)));
            }
        }
    }
}

/// "Message", the format picker, Pretty-print and Minify for JSON, and the panel toggle.
/// Returns the "Message" label (the editor is labelled by it).
fn heading_row(
    ui: &mut egui::Ui,
    composer: &mut ComposerState,
    cx: &mut ComposerContext<'_>,
) -> egui::Response {
    let open = cx.state == ReadyState::Open;
    ui.horizontal(|ui| {
        let heading = ui.label(RichText::new("Message").strong());
        let format_label = ui.label("Format");
        let before = composer.format;
        egui::ComboBox::from_id_salt(("message-format", cx.tab_id))
            .selected_text(composer.format.label())
            .width(180.0)
            .height(400.0)
            .show_ui(ui, |ui| {
                let protocol = cx.encoding.protocol;
                for (index, (group, formats)) in FORMAT_GROUPS.iter().enumerate() {
                    // Operations are for a tab that speaks a protocol.
                    if formats.contains(&MessageFormat::Op) && protocol.is_raw() {
                        continue;
                    }
                    if index > 0 {
                        ui.add_space(4.0);
                    }
                    ui.label(RichText::new(*group).weak().small());
                    for &format in *formats {
                        let item =
                            ui.selectable_value(&mut composer.format, format, format.label());
                        if item.clicked() {
                            // Also when chosen through accessibility, not only by pointer.
                            ui.close();
                        }
                    }
                }
            })
            .response
            .labelled_by(format_label.id);
        if composer.format != before {
            composer.changed();
        }
        if composer.format == MessageFormat::Protobuf {
            message_type_picker(ui, composer, cx);
        }
        if composer.format.takes_json() {
            json_buttons(ui, composer);
        }
        if composer.format == MessageFormat::Op {
            op_examples(ui, composer, cx.encoding.protocol.kind);
        }
        if cx.receive_only {
            ui.label(
                RichText::new("An SSE tab only receives: sending is off.")
                    .weak()
                    .italics(),
            );
        } else if !open && cx.messages_only {
            ui.label(
                RichText::new("Send is off until it runs: start it, then a client connects.")
                    .weak()
                    .italics(),
            );
        } else if !open {
            ui.label(
                RichText::new(format!(
                    "Send is off: the connection is {}. Connect first.",
                    cx.state
                ))
                .weak()
                .italics(),
            );
        }
        ui.with_layout(egui::Layout::right_to_left(Align::Center), |ui| {
            ui.toggle_value(cx.show_templates, "Templates and variables")
                .on_hover_text("Show or hide the templates and variables panel");
        });
        heading
    })
    .inner
}

/// The format selector's groups, in order; together they hold every format once.
const FORMAT_GROUPS: &[(&str, &[MessageFormat])] = &[
    ("Text message", &[MessageFormat::Text, MessageFormat::Json]),
    (
        "Binary, as written",
        &[
            MessageFormat::Hex,
            MessageFormat::Base64,
            MessageFormat::File,
        ],
    ),
    (
        "Binary, encoded from JSON",
        &[
            MessageFormat::Msgpack,
            MessageFormat::Cbor,
            MessageFormat::Protobuf,
        ],
    ),
    (
        "Binary, compressed text",
        &[
            MessageFormat::Gzip,
            MessageFormat::Zlib,
            MessageFormat::Deflate,
        ],
    ),
    ("The tab's protocol", &[MessageFormat::Op]),
];

/// The Protobuf message type of the composed message: the tab's (from the Decode section)
/// or one of the schema's.
fn message_type_picker(ui: &mut egui::Ui, composer: &mut ComposerState, cx: &ComposerContext<'_>) {
    let label = ui.label("Type");
    let tab_type = match cx.encoding.tab_message {
        Some(name) => format!("the tab's ({name})"),
        None => "the tab's (none chosen)".to_owned(),
    };
    let selected = composer.message.clone().unwrap_or_else(|| tab_type.clone());
    let mut chosen = composer.message.clone();
    egui::ComboBox::from_id_salt(("message-type", cx.tab_id))
        .selected_text(selected)
        .width(180.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut chosen, None, tab_type);
            let names = cx.encoding.schema.message_names();
            if names.is_empty() {
                ui.label(
                    RichText::new("No schema: add .proto files under Decode")
                        .weak()
                        .italics(),
                );
            }
            for name in names {
                ui.selectable_value(&mut chosen, Some(name.clone()), name.as_str());
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text("The Protobuf message type this JSON is encoded as");
    composer.set_message(chosen);
}

/// The most bytes Pretty-print writes into the editor: indentation grows with depth times
/// lines, so a deeply nested message (loaded with Edit in composer) could need gigabytes.
const PRETTY_PRINT_MAX_BYTES: usize = 8 << 20;

/// Pretty-print and Minify, enabled when the body (expanded) is valid JSON. Variables are
/// kept as written, so what is sent stays exactly what is shown.
/// "Examples": operations of the tab's protocol to start from.
fn op_examples(
    ui: &mut egui::Ui,
    composer: &mut ComposerState,
    kind: crate::protocol::ProtocolKind,
) {
    let examples = crate::protocol::example_ops(kind);
    if examples.is_empty() {
        return;
    }
    ui.menu_button("Examples", |ui| {
        for (what, op) in examples {
            if ui.button(*what).on_hover_text(*op).clicked() {
                composer.text = json::reformat(op, true);
                composer.changed();
                ui.close();
            }
        }
    })
    .response
    .on_hover_text(format!("{} operations to start from", kind.label()));
}

fn json_buttons(ui: &mut egui::Ui, composer: &mut ComposerState) {
    let valid = composer.check.as_ref().is_some_and(|c| c.json_valid);
    let why = "Fix the JSON first";
    if ui
        .add_enabled(valid, egui::Button::new("Pretty-print"))
        .on_hover_text("Indent the JSON, one value per line")
        .on_disabled_hover_text(why)
        .clicked()
    {
        match json::reformat_within(&composer.text, true, PRETTY_PRINT_MAX_BYTES) {
            Some(text) => {
                composer.text = text;
                composer.changed();
            }
            None => {
                composer.note = Some(format!(
                    "Not pretty-printed: nested {} levels deep, the indented JSON would pass {}",
                    json::nesting_depth(composer.text.as_bytes()),
                    style::format_size(PRETTY_PRINT_MAX_BYTES)
                ));
            }
        }
    }
    if ui
        .add_enabled(valid, egui::Button::new("Minify"))
        .on_hover_text("Remove all white space between JSON tokens")
        .on_disabled_hover_text(why)
        .clicked()
    {
        composer.text = json::reformat(&composer.text, false);
        composer.changed();
    }
}

/// The File format's editor: a typed path and Browse.
fn file_row(
    ui: &mut egui::Ui,
    composer: &mut ComposerState,
    editor_id: Id,
    actions: &mut Vec<TabAction>,
) {
    ui.horizontal(|ui| {
        let label = ui.label("File path");
        let width = (ui.available_width() - 90.0).max(120.0);
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut composer.file_path)
                    .id(editor_id)
                    .hint_text("/path/to/payload.bin ({{variables}} allowed)")
                    .desired_width(width)
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(label.id);
        if response.changed() {
            composer.history.stop();
            composer.changed();
        }
        if ui
            .button("Browse…")
            .on_hover_text("Choose the file in a file dialog")
            .clicked()
        {
            actions.push(TabAction::BrowseFile);
        }
    });
}

/// The expanded body, when it has variables.
fn preview(ui: &mut egui::Ui, composer: &ComposerState) {
    let Some(check) = &composer.check else {
        return;
    };
    let Some(preview) = &check.preview else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!(
                "Preview, as expanded now ({} bytes):",
                preview.bytes
            ))
            .weak(),
        );
        if check.volatile {
            ui.label(
                RichText::new("uuid, now, now_ms and random_int take new values when sent.")
                    .weak()
                    .italics(),
            );
        }
    });
    egui::ScrollArea::vertical()
        .id_salt("composer-preview")
        .max_height(64.0)
        .show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(&preview.text).monospace()).wrap());
            if preview.is_cut() {
                ui.label(
                    RichText::new(format!(
                        "… and {} more bytes",
                        preview.bytes - preview.text.len()
                    ))
                    .weak(),
                );
            }
        });
}

/// The size of what Send would send, or why it cannot be sent.
fn status(ui: &mut egui::Ui, composer: &ComposerState) {
    let Some(check) = &composer.check else {
        return;
    };
    let error = ui.visuals().error_fg_color;
    match &check.outcome {
        Outcome::Ready { bytes, binary } => {
            let text = match (composer.format, binary) {
                (MessageFormat::Json, _) => format!("Valid JSON, {bytes} bytes, text message"),
                (_, false) => format!("{bytes} bytes, text message"),
                (_, true) => match &check.encoded_as {
                    Some(encoding) => format!("{bytes} bytes {encoding}, binary message"),
                    None => format!("{bytes} bytes, binary message"),
                },
            };
            ui.label(RichText::new(text).weak());
        }
        Outcome::Deferred { body_bytes } => {
            let what = if composer.format.takes_json() {
                "Valid JSON"
            } else {
                "Text"
            };
            let encoding = check.encoded_as.as_deref().unwrap_or("binary");
            ui.label(
                RichText::new(format!(
                    "{what}, {}: encoded as {encoding} when sent, binary message",
                    style::format_size(*body_bytes)
                ))
                .weak(),
            )
            .on_hover_text(format!(
                "Bodies over {} are encoded when sent, not at each change; a field that \
                 does not fit refuses the send with the reason",
                style::format_size(check::ENCODE_WHILE_TYPING_MAX)
            ));
        }
        Outcome::Invalid(why) => {
            ui.colored_label(error, why);
        }
        Outcome::Incomplete(what) => {
            ui.label(RichText::new(what).weak().italics());
        }
        Outcome::File(path) => match composer.file.as_ref().and_then(|f| f.info.as_ref()) {
            Some(Ok(info)) => {
                let size = usize::try_from(info.size).unwrap_or(usize::MAX);
                ui.label(
                    RichText::new(format!(
                        "{}: {} ({} bytes), binary message",
                        info.name,
                        style::format_size(size),
                        info.size
                    ))
                    .weak(),
                );
            }
            Some(Err(why)) => {
                ui.colored_label(error, why.to_string());
            }
            None => {
                ui.label(RichText::new(format!("Looking up {}…", path.display())).weak());
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_groups_hold_every_format_once() {
        let grouped: Vec<MessageFormat> = FORMAT_GROUPS
            .iter()
            .flat_map(|(_, formats)| formats.iter().copied())
            .collect();
        assert_eq!(grouped, MessageFormat::ALL);
    }
}

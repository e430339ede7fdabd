//! The Decode section of a tab: how its binary messages are read (auto-detect, off, or a
//! chain such as `gzip+json`), the `.proto` files and import directories of its Protobuf
//! schema, and the message type. Everything is written to `tab.setup.decode`, so it is
//! saved with sessions and the workspace. Nothing here does I/O: a `.proto` file is chosen
//! in a background dialog (or typed), and the schema compiles in the background
//! ([`super::tab::Tab::poll_schema`]). Decoding is a view, so the section stays editable
//! while connected.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use egui::RichText;

use super::action::TabAction;
use super::background::NO_DIALOG_WITHIN;
use super::proto_schema::SchemaStatus;
use super::tab::Tab;
use crate::format::decode::DecodeSpec;

/// The specs the picker offers, with what each means; any other chain can be typed.
pub const COMMON_SPECS: &[(&str, &str)] = &[
    ("auto", "Auto-detect, with the reason shown"),
    ("none", "Off: payloads as received"),
    ("json", "JSON text"),
    ("msgpack", "MessagePack"),
    ("cbor", "CBOR"),
    ("protobuf", "Protobuf with the schema below"),
    ("protobuf-raw", "Protobuf without a schema"),
    ("gzip+json", "gzip, then JSON"),
    ("zlib+json", "zlib, then JSON"),
    ("deflate+json", "raw deflate, then JSON"),
    ("zlib+msgpack", "zlib, then MessagePack"),
    (
        "zlib-stream+json",
        "one zlib stream per connection, then JSON",
    ),
];

/// What the Decode section holds between frames: text being typed.
#[derive(Clone, Debug, Default)]
pub struct DecodeUi {
    /// A spec being typed; `None` shows the tab's spec.
    spec_text: Option<String>,
    /// A `.proto` path being typed.
    proto_path: String,
    /// An import directory being typed.
    import_dir: String,
    /// A passing remark (no file dialog is available).
    note: Option<String>,
}

/// The title of the section's header, e.g. "Decode: auto · 3 message types".
pub fn title(tab: &Tab) -> String {
    let spec = &tab.setup.decode.spec;
    match tab.schema.status() {
        SchemaStatus::NoFiles => format!("Decode: {spec}"),
        SchemaStatus::Failed(_) => format!("Decode: {spec} · the .proto files do not compile"),
        SchemaStatus::NotAllowed => {
            format!("Decode: {spec} · .proto files wait for your permission")
        }
        _ => format!("Decode: {spec} · {}", tab.schema.summary()),
    }
}

/// The file dialog for a `.proto` file ended: a chosen file joins the schema; no answer
/// at once means there is no dialog, and the user is told to type the path.
pub fn proto_picked(tab: &mut Tab, path: Option<PathBuf>, open_for: Duration) {
    match path {
        Some(path) => {
            tab.schema.allow(std::slice::from_ref(&path));
            add_unique(&mut tab.setup.decode.proto_files, path);
            tab.decode_ui.note = None;
        }
        None if open_for < NO_DIALOG_WITHIN => {
            tab.decode_ui.note =
                Some("No file dialog is available: type the path and press Add.".into());
        }
        None => {}
    }
}

fn add_unique(list: &mut Vec<PathBuf>, path: PathBuf) {
    if !list.contains(&path) {
        list.push(path);
    }
}

/// Draws the Decode section of `tab`.
pub fn ui(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<TabAction>) {
    spec_row(ui, tab);
    ui.add_space(4.0);
    proto_files(ui, tab, actions);
    import_dirs(ui, tab);
    message_row(ui, tab);
    if matches!(tab.schema.status(), SchemaStatus::NotAllowed) {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "This tab came from a file, which names the .proto files above: they are \
                 not read until you allow it.",
            );
            if ui
                .button("Read these .proto files")
                .on_hover_text("Compile the files listed above for this tab")
                .clicked()
            {
                let files = tab.setup.decode.proto_files.clone();
                tab.schema.allow(&files);
            }
        });
    }
    if let Some(note) = &tab.decode_ui.note {
        ui.label(RichText::new(note).weak().italics());
    }
}

/// The spec: a picker of common ones and a field for any chain, checked as typed.
fn spec_row(ui: &mut egui::Ui, tab: &mut Tab) {
    let mut changed = false;
    let mut problem = None;
    ui.horizontal(|ui| {
        let label = ui.label("Decode messages as");
        let current = tab.setup.decode.spec.to_string();
        let shown = COMMON_SPECS
            .iter()
            .find(|(spec, _)| *spec == current)
            .map_or_else(
                || format!("{current} (typed)"),
                |(spec, what)| format!("{spec}: {what}"),
            );
        egui::ComboBox::from_id_salt(("decode-spec", tab.id))
            .selected_text(shown)
            .width(280.0)
            .show_ui(ui, |ui| {
                for (spec, what) in COMMON_SPECS {
                    let item = ui.selectable_label(current == *spec, format!("{spec}: {what}"));
                    if item.clicked() {
                        if let Ok(parsed) = DecodeSpec::from_str(spec) {
                            tab.setup.decode.spec = parsed;
                            tab.decode_ui.spec_text = None;
                            changed = true;
                        }
                        ui.close();
                    }
                }
            })
            .response
            .labelled_by(label.id);
        let chain_label = ui.label("or a chain");
        let mut text = tab
            .decode_ui
            .spec_text
            .clone()
            .unwrap_or_else(|| current.clone());
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .hint_text("e.g. gzip+msgpack")
                    .desired_width(160.0)
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(chain_label.id)
            .on_hover_text(
                "Steps joined by +: gzip, zlib, deflate, zlib-stream (first), then json, \
                 msgpack, cbor, protobuf or protobuf-raw (last). Or auto, or none.",
            );
        if response.changed() {
            match DecodeSpec::from_str(text.trim()) {
                Ok(parsed) => {
                    if parsed != tab.setup.decode.spec {
                        tab.setup.decode.spec = parsed;
                        changed = true;
                    }
                }
                Err(error) => problem = Some(error.to_string()),
            }
            tab.decode_ui.spec_text = Some(text);
        } else if let Some(typed) = &tab.decode_ui.spec_text
            && let Err(error) = DecodeSpec::from_str(typed.trim())
        {
            problem = Some(error.to_string());
        }
        if response.lost_focus() && problem.is_none() {
            tab.decode_ui.spec_text = None;
        }
    });
    if let Some(problem) = problem {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!(
                "Not a decode chain: {problem}. The tab keeps {}.",
                tab.setup.decode.spec
            ),
        );
    }
    if changed {
        tab.decoding_changed();
    }
}

/// The `.proto` files: each with a remove button, then a typed path with Add and Browse.
fn proto_files(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<TabAction>) {
    ui.label(RichText::new("Protobuf schema").strong());
    let mut remove = None;
    for (index, file) in tab.setup.decode.proto_files.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.label(RichText::new(file.display().to_string()).monospace());
            if ui
                .small_button("×")
                .accessible_name(format!("Remove {}", file.display()))
                .on_hover_text("Remove this .proto file from the schema")
                .clicked()
            {
                remove = Some(index);
            }
        });
    }
    if let Some(index) = remove {
        tab.setup.decode.proto_files.remove(index);
    }
    ui.horizontal(|ui| {
        let label = ui.label(".proto file");
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut tab.decode_ui.proto_path)
                    .hint_text("/path/to/messages.proto")
                    .desired_width(260.0),
            )
            .labelled_by(label.id);
        let typed = tab.decode_ui.proto_path.trim().to_owned();
        let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let add = ui
            .add_enabled(!typed.is_empty(), egui::Button::new("Add .proto"))
            .on_hover_text("Add this file to the tab's schema");
        if !typed.is_empty() && (add.clicked() || enter) {
            let path = PathBuf::from(typed);
            // Added by the user here: read even in a tab that came from a file.
            tab.schema.allow(std::slice::from_ref(&path));
            add_unique(&mut tab.setup.decode.proto_files, path);
            tab.decode_ui.proto_path.clear();
            tab.decode_ui.note = None;
        }
        if ui
            .button("Browse…")
            .on_hover_text("Choose a .proto file in a file dialog")
            .clicked()
        {
            actions.push(TabAction::BrowseProto);
        }
    });
}

/// The directories imports are looked up in (each file's own folder always is).
fn import_dirs(ui: &mut egui::Ui, tab: &mut Tab) {
    let mut remove = None;
    for (index, dir) in tab.setup.decode.proto_paths.iter().enumerate() {
        ui.horizontal(|ui| {
            ui.label(RichText::new("imports from").weak());
            ui.label(RichText::new(dir.display().to_string()).monospace());
            if ui
                .small_button("×")
                .accessible_name(format!("Remove import directory {}", dir.display()))
                .on_hover_text("Remove this import directory")
                .clicked()
            {
                remove = Some(index);
            }
        });
    }
    if let Some(index) = remove {
        tab.setup.decode.proto_paths.remove(index);
    }
    ui.horizontal(|ui| {
        let label = ui.label("Import directory");
        ui.add(
            egui::TextEdit::singleline(&mut tab.decode_ui.import_dir)
                .hint_text("where `import \"…\";` files are (optional)")
                .desired_width(260.0),
        )
        .labelled_by(label.id);
        let typed = tab.decode_ui.import_dir.trim().to_owned();
        if ui
            .add_enabled(!typed.is_empty(), egui::Button::new("Add directory"))
            .clicked()
        {
            add_unique(&mut tab.setup.decode.proto_paths, PathBuf::from(typed));
            tab.decode_ui.import_dir.clear();
        }
    });
}

/// The message type, from the compiled schema, and what the compile said.
fn message_row(ui: &mut egui::Ui, tab: &mut Tab) {
    let mut changed = false;
    ui.horizontal(|ui| {
        let label = ui.label("Message type");
        let names = tab.schema.message_names();
        let selected = tab
            .setup
            .decode
            .message
            .clone()
            .unwrap_or_else(|| "(none)".into());
        ui.add_enabled_ui(
            !names.is_empty() || tab.setup.decode.message.is_some(),
            |ui| {
                egui::ComboBox::from_id_salt(("decode-message", tab.id))
                    .selected_text(selected)
                    .width(200.0)
                    .show_ui(ui, |ui| {
                        let message = &mut tab.setup.decode.message;
                        changed |= ui.selectable_value(message, None, "(none)").clicked();
                        for name in names {
                            changed |= ui
                                .selectable_value(message, Some(name.clone()), name.as_str())
                                .clicked();
                        }
                    })
                    .response
                    .labelled_by(label.id)
                    .on_disabled_hover_text("Add .proto files first");
            },
        );
        let error = ui.visuals().error_fg_color;
        match tab.schema.status() {
            SchemaStatus::Failed(_) => {
                ui.colored_label(error, tab.schema.summary());
            }
            _ => {
                ui.label(RichText::new(tab.schema.summary()).weak());
            }
        }
        // A saved type the files no longer define, say (looked up in the sorted names,
        // not through the schema's error, which lists them: this runs every frame).
        if let (SchemaStatus::Ready(_), Some(name)) =
            (tab.schema.status(), tab.setup.decode.message.as_deref())
            && tab
                .schema
                .message_names()
                .binary_search_by(|n| n.as_str().cmp(name))
                .is_err()
        {
            ui.colored_label(error, format!("no message {name} in the .proto files"));
        }
        let compiled = matches!(
            tab.schema.status(),
            SchemaStatus::Ready(_) | SchemaStatus::Failed(_)
        );
        if compiled
            && ui
                .small_button("Reload")
                .on_hover_text("Compile the .proto files again (after editing them)")
                .clicked()
        {
            tab.schema.reload();
        }
    });
    if changed {
        tab.decoding_changed();
    }
}

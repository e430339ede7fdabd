//! A tab's compiled Protobuf schema: the `.proto` files of its decoder settings, compiled
//! by a background job (never in a frame) whenever the files or import directories change,
//! including when the tab comes back from a session or the workspace. The window reads the
//! state to show "3 message types" or the error, and to find the message type a send, the
//! composer's check or the timeline's decoding uses.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::format::decode::{ProtoSchema, ProtoType, SchemaError};
use crate::model::decode_settings::DecodeSettings;

/// What a compile was asked for: the files and the import directories, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchemaInputs {
    /// The `.proto` files.
    pub files: Vec<PathBuf>,
    /// The directories imports are looked up in.
    pub paths: Vec<PathBuf>,
}

impl SchemaInputs {
    /// The inputs of `settings`.
    pub fn of(settings: &DecodeSettings) -> Self {
        Self {
            files: settings.proto_files.clone(),
            paths: settings.proto_paths.clone(),
        }
    }
}

/// Where a tab's schema is.
#[derive(Clone, Debug, Default)]
pub enum SchemaStatus {
    /// The tab has no `.proto` files.
    #[default]
    NoFiles,
    /// The tab came from a file (a session someone shared) naming `.proto` files the user
    /// has not allowed yet: nothing is read until they do.
    NotAllowed,
    /// A background job compiles them.
    Compiling,
    /// Compiled.
    Ready(Arc<ProtoSchema>),
    /// They did not compile (the error names the file and the place).
    Failed(SchemaError),
}

/// A tab's schema and the compile that made (or makes) it.
#[derive(Clone, Debug, Default)]
pub struct SchemaState {
    status: SchemaStatus,
    /// What the latest compile was asked for (`None`: nothing asked yet).
    requested: Option<SchemaInputs>,
    /// The latest compile's number; older results are dropped.
    seq: u64,
    /// Goes up each time a compile's result is taken: what depends on the schema (the
    /// composer's check) is redone when it changes.
    generation: u64,
    /// The schema's message types, sorted, listed once per compile (not per frame).
    names: Arc<[String]>,
    /// Files the user added or allowed in this window: a tab from a file reads only these.
    allowed: Vec<PathBuf>,
}

impl SchemaState {
    /// The schema's status.
    pub fn status(&self) -> &SchemaStatus {
        &self.status
    }

    /// The compiled schema, when there is one.
    pub fn schema(&self) -> Option<&ProtoSchema> {
        match &self.status {
            SchemaStatus::Ready(schema) => Some(schema),
            _ => None,
        }
    }

    /// The message types the schema defines, sorted (empty without one): what a picker
    /// lists.
    pub fn message_names(&self) -> &[String] {
        &self.names
    }

    /// Goes up with every compile result taken.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// When `settings` name other files or import directories than the latest compile
    /// was asked for (or none was asked yet), the compile to start now: its number and
    /// inputs. Without files, the status becomes [`SchemaStatus::NoFiles`] at once and
    /// nothing needs compiling. With `from_file` (the tab came from a file), files the
    /// user did not add or allow here are not read: the status becomes
    /// [`SchemaStatus::NotAllowed`] until [`SchemaState::allow`].
    pub fn wanted(
        &mut self,
        settings: &DecodeSettings,
        from_file: bool,
    ) -> Option<(u64, SchemaInputs)> {
        // Called every frame: compared in place, copied only when they changed.
        if let Some(asked) = &self.requested
            && asked.files == settings.proto_files
            && asked.paths == settings.proto_paths
        {
            return None;
        }
        let inputs = SchemaInputs::of(settings);
        self.requested = Some(inputs.clone());
        self.seq += 1;
        self.names = Arc::from([]);
        let status = if inputs.files.is_empty() {
            SchemaStatus::NoFiles
        } else if from_file && !inputs.files.iter().all(|f| self.allowed.contains(f)) {
            SchemaStatus::NotAllowed
        } else {
            self.status = SchemaStatus::Compiling;
            return Some((self.seq, inputs));
        };
        self.status = status;
        self.generation += 1;
        None
    }

    /// The user added `file` in this window, or allowed the files a tab from a file names.
    pub fn allow(&mut self, files: &[PathBuf]) {
        for file in files {
            if !self.allowed.contains(file) {
                self.allowed.push(file.clone());
            }
        }
        // Asked again at the next poll.
        self.requested = None;
    }

    /// Compiles again what was asked last (the files changed on disk): the next
    /// [`SchemaState::wanted`] starts it.
    pub fn reload(&mut self) {
        self.requested = None;
    }

    /// A compile finished; a result older than the latest request is dropped.
    pub fn compiled(&mut self, seq: u64, result: Result<Option<ProtoSchema>, SchemaError>) {
        if seq != self.seq {
            return;
        }
        self.names = match &result {
            Ok(Some(schema)) => schema.message_names().into(),
            _ => Arc::from([]),
        };
        self.status = match result {
            Ok(Some(schema)) => SchemaStatus::Ready(Arc::new(schema)),
            Ok(None) => SchemaStatus::NoFiles,
            Err(error) => SchemaStatus::Failed(error),
        };
        self.generation += 1;
    }

    /// The message type called `name` (a template's own), else the tab's `tab_message`;
    /// `Ok(None)` when neither names one, an error in words when the schema is missing,
    /// compiling, broken or lacks the type.
    pub fn proto_type(
        &self,
        tab_message: Option<&str>,
        name: Option<&str>,
    ) -> Result<Option<ProtoType>, ProtoTypeError> {
        let Some(wanted) = name.or(tab_message) else {
            return Ok(None);
        };
        match &self.status {
            SchemaStatus::NoFiles => Err(ProtoTypeError::NoFiles),
            SchemaStatus::NotAllowed => Err(ProtoTypeError::NotAllowed),
            SchemaStatus::Compiling => Err(ProtoTypeError::Compiling),
            SchemaStatus::Failed(error) => Err(ProtoTypeError::Broken(error.clone())),
            SchemaStatus::Ready(schema) => schema
                .message(wanted)
                .map(Some)
                .map_err(ProtoTypeError::Unknown),
        }
    }

    /// The message type a Protobuf message is encoded with: like
    /// [`SchemaState::proto_type`], but a type is required.
    pub fn required_type(
        &self,
        tab_message: Option<&str>,
        name: Option<&str>,
    ) -> Result<ProtoType, ProtoTypeError> {
        match self.proto_type(tab_message, name)? {
            Some(ty) => Ok(ty),
            None if matches!(self.status, SchemaStatus::NoFiles) => Err(ProtoTypeError::NoFiles),
            None => Err(ProtoTypeError::NoType),
        }
    }

    /// What the Decode section says about the schema, e.g. "3 message types".
    pub fn summary(&self) -> String {
        match &self.status {
            SchemaStatus::NoFiles => "No .proto files".into(),
            SchemaStatus::NotAllowed => ".proto files not read yet".into(),
            SchemaStatus::Compiling => "Compiling the .proto files…".into(),
            SchemaStatus::Failed(error) => error.to_string(),
            SchemaStatus::Ready(_) => match self.names.len() {
                1 => "1 message type".into(),
                n => format!("{n} message types"),
            },
        }
    }
}

/// Why no Protobuf message type is at hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtoTypeError {
    /// The tab has no `.proto` files.
    NoFiles,
    /// They came with a file and the user has not allowed reading them yet.
    NotAllowed,
    /// They are being compiled.
    Compiling,
    /// They did not compile.
    Broken(SchemaError),
    /// The schema has no message of that name.
    Unknown(SchemaError),
    /// No message type was chosen.
    NoType,
}

impl fmt::Display for ProtoTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtoTypeError::NoFiles => {
                f.write_str("no schema yet (add .proto files under Decode, above the timeline)")
            }
            ProtoTypeError::NotAllowed => f.write_str(
                "the tab's .proto files came with a file and are not read until you allow it \
                 (under Decode)",
            ),
            ProtoTypeError::Compiling => f.write_str("the .proto files are still compiling"),
            ProtoTypeError::Broken(error) | ProtoTypeError::Unknown(error) => error.fmt(f),
            ProtoTypeError::NoType => {
                f.write_str("no message type chosen (pick one beside the format, or under Decode)")
            }
        }
    }
}

impl std::error::Error for ProtoTypeError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> ProtoSchema {
        ProtoSchema::from_sources(&[(
            "t.proto",
            "syntax = \"proto3\"; package p; message A { int32 x = 1; } message B { string y = 1; }",
        )])
        .unwrap()
    }

    impl SchemaState {
        fn wanted_here(&mut self, settings: &DecodeSettings) -> Option<(u64, SchemaInputs)> {
            self.wanted(settings, false)
        }
    }

    fn settings(files: &[&str]) -> DecodeSettings {
        DecodeSettings {
            proto_files: files.iter().map(PathBuf::from).collect(),
            ..DecodeSettings::default()
        }
    }

    #[test]
    fn a_compile_is_asked_once_per_change_and_old_results_are_dropped() {
        let mut state = SchemaState::default();
        assert!(state.wanted_here(&settings(&[])).is_none());
        assert!(matches!(state.status(), SchemaStatus::NoFiles));
        let (first, inputs) = state.wanted_here(&settings(&["a.proto"])).unwrap();
        assert_eq!(inputs.files, [PathBuf::from("a.proto")]);
        assert!(
            state.wanted_here(&settings(&["a.proto"])).is_none(),
            "asked already"
        );
        assert_eq!(state.summary(), "Compiling the .proto files…");
        let (second, _) = state
            .wanted_here(&settings(&["a.proto", "b.proto"]))
            .unwrap();
        state.compiled(first, Ok(None));
        assert!(matches!(state.status(), SchemaStatus::Compiling), "stale");
        let before = state.generation();
        state.compiled(second, Ok(Some(schema())));
        assert_eq!(state.summary(), "2 message types");
        assert_eq!(state.message_names(), ["p.A", "p.B"]);
        assert!(state.generation() > before);
        state.reload();
        assert!(
            state
                .wanted_here(&settings(&["a.proto", "b.proto"]))
                .is_some()
        );
    }

    #[test]
    fn a_tab_from_a_file_reads_only_the_files_the_user_allowed() {
        let mut state = SchemaState::default();
        let named = settings(&["/home/u/.ssh/id_rsa"]);
        assert!(state.wanted(&named, true).is_none(), "nothing is read");
        assert!(matches!(state.status(), SchemaStatus::NotAllowed));
        assert_eq!(
            state.required_type(Some("p.A"), None),
            Err(ProtoTypeError::NotAllowed)
        );
        assert!(state.wanted(&named, true).is_none(), "asked once");
        state.allow(&named.proto_files);
        let (_, inputs) = state.wanted(&named, true).expect("allowed now");
        assert_eq!(inputs.files, named.proto_files);
        // A further file from the file is held again; one the user adds is read.
        let more = settings(&["/home/u/.ssh/id_rsa", "/etc/other.proto"]);
        assert!(state.wanted(&more, true).is_none());
        assert!(
            state.wanted(&more, false).is_none(),
            "unchanged: not asked again"
        );
        state.allow(&["/etc/other.proto".into()]);
        assert!(state.wanted(&more, true).is_some());
    }

    #[test]
    fn types_come_from_the_template_then_the_tab_and_errors_say_why() {
        let mut state = SchemaState::default();
        assert_eq!(state.proto_type(None, None), Ok(None));
        assert_eq!(
            state.required_type(Some("p.A"), None),
            Err(ProtoTypeError::NoFiles)
        );
        let (seq, _) = state.wanted_here(&settings(&["t.proto"])).unwrap();
        assert_eq!(
            state.required_type(Some("p.A"), None),
            Err(ProtoTypeError::Compiling)
        );
        state.compiled(seq, Ok(Some(schema())));
        let tab = state.required_type(Some("p.A"), None).unwrap();
        assert_eq!(tab.name(), "p.A");
        let own = state.required_type(Some("p.A"), Some("p.B")).unwrap();
        assert_eq!(own.name(), "p.B");
        let missing = state.required_type(None, Some("p.C")).unwrap_err();
        assert!(missing.to_string().contains("no message p.C"), "{missing}");
        assert_eq!(state.required_type(None, None), Err(ProtoTypeError::NoType));
        let (seq, _) = state.wanted_here(&settings(&["broken.proto"])).unwrap();
        state.compiled(
            seq,
            Err(SchemaError::Compile("broken.proto:1:1: oops".into())),
        );
        let broken = state.required_type(Some("p.A"), None).unwrap_err();
        assert!(broken.to_string().contains("broken.proto:1:1"), "{broken}");
        assert!(state.summary().contains("broken.proto"));
    }
}

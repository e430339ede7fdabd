//! Protobuf with a schema: the user's `.proto` files compiled at run time (`protox`), and
//! messages read and written through their descriptors (`prost-reflect`).
//!
//! A decoded message is an object keyed by the `.proto` field names, holding the fields that
//! are set: 64-bit integers as JSON numbers (exact), bytes as `{"$bytes": hex}`, enums by
//! name (by number when the schema has no name for it), maps as objects (keys sorted),
//! `google.protobuf.Any` as `{"@type": url, …fields}` when the type is in the schema (else
//! `{"@type": url, "value": {"$bytes": hex}}`). Fields the schema does not know are kept
//! under `"$unknown"`, read as [`super::decode_protobuf_raw`] reads them.
//!
//! Encoding takes the same shape; field names may also be their JSON (lowerCamelCase)
//! names, 64-bit integers may be strings, `null` leaves a field unset. A field that does
//! not fit is an [`super::EncodeError::Field`] naming it, e.g. `items[2].price`.

mod prescan;
mod read;
mod write;

use std::path::{Path, PathBuf};

use prost_reflect::{DescriptorPool, MessageDescriptor};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

pub use read::decode_protobuf;
pub use write::encode_protobuf;

/// The step's name in errors.
const FORMAT: &str = "protobuf";
/// The message that holds a message of any type, resolved by its `type_url`.
const ANY: &str = "google.protobuf.Any";

/// Why a schema did not compile, or has no such message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// protox refused the files (syntax, a missing import, a file outside the include paths).
    #[error("the .proto files do not compile: {0}")]
    Compile(String),
    /// The message type is not in the compiled files.
    #[error("no message {name} in the .proto files (they have: {known})")]
    UnknownMessage {
        /// The name asked for.
        name: String,
        /// The names the schema has, comma-separated (at most 20).
        known: String,
    },
}

/// Compiled `.proto` files: every message type they (and their imports) define.
#[derive(Clone, Debug)]
pub struct ProtoSchema {
    pool: DescriptorPool,
}

/// One message type of a [`ProtoSchema`], what a tab or template decodes and encodes with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtoType {
    desc: MessageDescriptor,
}

impl ProtoSchema {
    /// Compiles `files`, finding imports in `include_dirs`, then in each file's own folder,
    /// then among Google's well-known types.
    pub fn compile(files: &[PathBuf], include_dirs: &[PathBuf]) -> Result<Self, SchemaError> {
        let mut includes: Vec<PathBuf> = include_dirs.to_vec();
        for file in files {
            let parent = match file.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => Path::new(".").to_path_buf(),
            };
            if !includes.iter().any(|dir| file.starts_with(dir)) {
                includes.push(parent);
            }
        }
        let compile = || -> Result<DescriptorPool, protox::Error> {
            let mut compiler = protox::Compiler::new(&includes)?;
            compiler.include_imports(true).open_files(files)?;
            Ok(compiler.descriptor_pool())
        };
        compile()
            .map(|pool| ProtoSchema { pool })
            .map_err(|err| SchemaError::Compile(err.to_string()))
    }

    /// Compiles `.proto` sources held in memory, as `(file name, text)` (the demo server's
    /// schema, tests). Imports resolve among them and Google's well-known types.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<Self, SchemaError> {
        let mut resolver = ChainFileResolver::new();
        resolver.add(Sources(
            sources
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect(),
        ));
        resolver.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_imports(true);
        for (name, _) in sources {
            compiler
                .open_file(name)
                .map_err(|err| SchemaError::Compile(err.to_string()))?;
        }
        Ok(ProtoSchema {
            pool: compiler.descriptor_pool(),
        })
    }

    /// The message type with this full name (`pkg.Type`).
    pub fn message(&self, name: &str) -> Result<ProtoType, SchemaError> {
        match self.pool.get_message_by_name(name) {
            Some(desc) => Ok(ProtoType { desc }),
            None => Err(SchemaError::UnknownMessage {
                name: name.to_owned(),
                known: self
                    .message_names()
                    .into_iter()
                    .take(20)
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// The full names of the message types the schema defines (not Google's own), sorted:
    /// what a picker lists.
    pub fn message_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .pool
            .all_messages()
            .filter(|desc| {
                !desc.full_name().starts_with("google.protobuf.") && !desc.is_map_entry()
            })
            .map(|desc| desc.full_name().to_owned())
            .collect();
        names.sort();
        names
    }
}

impl ProtoType {
    /// The full name, e.g. `demo.Tick`.
    pub fn name(&self) -> &str {
        self.desc.full_name()
    }
}

/// In-memory `.proto` files for [`ProtoSchema::from_sources`].
struct Sources(Vec<(String, String)>);

impl FileResolver for Sources {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.0.iter().find(|(file, _)| file == name) {
            Some((_, text)) => File::from_source(name, text),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

//! How a tab reads (and writes) binary payloads: the decoding spec and the Protobuf schema.
//! Saved with the tab; decoding is a view, so changing these never changes a recorded byte.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::format::decode::{DecodeSpec, ProtoSchema, ProtoType, SchemaError};

/// A tab's decoder settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecodeSettings {
    /// `none`, `auto` (what a new tab uses) or a chain such as `gzip+json`.
    pub spec: DecodeSpec,
    /// `.proto` files compiled for Protobuf messages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub proto_files: Vec<PathBuf>,
    /// Directories `import`s are looked up in (the files' own directories are always used).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub proto_paths: Vec<PathBuf>,
    /// The full name of the Protobuf message type of the tab's messages, e.g. `pkg.Tick`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Default for DecodeSettings {
    /// Auto-detection, no schema.
    fn default() -> Self {
        DecodeSettings {
            spec: DecodeSpec::Auto,
            proto_files: Vec::new(),
            proto_paths: Vec::new(),
            message: None,
        }
    }
}

impl DecodeSettings {
    /// True when nothing differs from a new tab's settings (then nothing is saved).
    pub fn is_default(&self) -> bool {
        *self == DecodeSettings::default()
    }

    /// True when a schema is set up (at least one `.proto` file).
    pub fn has_schema(&self) -> bool {
        !self.proto_files.is_empty()
    }

    /// Compiles the `.proto` files; `Ok(None)` when there are none. Reads files: call it
    /// off the window's frame.
    pub fn compile_schema(&self) -> Result<Option<ProtoSchema>, SchemaError> {
        if self.proto_files.is_empty() {
            return Ok(None);
        }
        ProtoSchema::compile(&self.proto_files, &self.proto_paths).map(Some)
    }

    /// The message type to use with `schema`: `name` when given (a template's own type),
    /// else the tab's; `Ok(None)` when neither names one.
    pub fn proto_type(
        &self,
        schema: &ProtoSchema,
        name: Option<&str>,
    ) -> Result<Option<ProtoType>, SchemaError> {
        match name.or(self.message.as_deref()) {
            Some(name) => schema.message(name).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::decode::Step;

    #[test]
    fn settings_round_trip_as_ron_with_the_spec_as_text() {
        let settings = DecodeSettings {
            spec: DecodeSpec::Chain(vec![Step::Gzip, Step::Json]),
            proto_files: vec!["a.proto".into()],
            proto_paths: vec!["protos".into()],
            message: Some("pkg.Tick".into()),
        };
        let text = ron::to_string(&settings).unwrap();
        assert!(text.contains("spec:\"gzip+json\""), "{text}");
        let back: DecodeSettings = ron::from_str(&text).unwrap();
        assert_eq!(back, settings);
        let empty: DecodeSettings = ron::from_str("()").unwrap();
        assert!(empty.is_default());
        assert_eq!(empty.spec, DecodeSpec::Auto);
    }

    #[test]
    fn a_bad_spec_in_a_file_is_an_error_that_names_it() {
        let error = ron::from_str::<DecodeSettings>("(spec: \"msgpak\")").unwrap_err();
        assert!(error.to_string().contains("msgpak"), "{error}");
    }

    #[test]
    fn a_template_type_overrides_the_tab_type() {
        let schema = ProtoSchema::from_sources(&[(
            "t.proto",
            "syntax = \"proto3\"; package p; message A { int32 x = 1; } message B { string y = 1; }",
        )])
        .unwrap();
        let settings = DecodeSettings {
            message: Some("p.A".into()),
            ..DecodeSettings::default()
        };
        let tab = settings.proto_type(&schema, None).unwrap().unwrap();
        assert_eq!(tab.name(), "p.A");
        let own = settings.proto_type(&schema, Some("p.B")).unwrap().unwrap();
        assert_eq!(own.name(), "p.B");
        assert!(settings.proto_type(&schema, Some("p.C")).is_err());
        assert!(
            DecodeSettings::default()
                .proto_type(&schema, None)
                .unwrap()
                .is_none()
        );
    }
}

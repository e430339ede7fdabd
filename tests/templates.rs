//! Template files on disk: RON round-trips, versions, error positions, and every example in
//! `saved_sessions/` parses (and every shipped template can be sent).

use std::path::{Path, PathBuf};

use sockscope::format::variables::{EnvPolicy, VarContext};
use sockscope::model::storage::FileError;
use sockscope::model::template::{EncodeWith, MessageFormat, Outgoing, Template, TemplateFile};

fn saved_sessions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("saved_sessions")
}

fn every_format() -> TemplateFile {
    let mut described = Template::new("json", MessageFormat::Json, "{\n  \"a\": \"x\\\"y\"\n}");
    described.description = "with a description".into();
    TemplateFile::new(vec![
        Template::new("text", MessageFormat::Text, "hello {{counter}}"),
        described,
        Template::new("hex", MessageFormat::Hex, "0a 0b"),
        Template::new("b64", MessageFormat::Base64, "aGk="),
        Template::new("file", MessageFormat::File, "/tmp/payload.bin"),
        Template::new("tricky", MessageFormat::Text, "r#\"\"## \\{{x}} \t\r\n é ✓"),
    ])
}

#[test]
fn ron_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("templates.ron");
    let file = every_format();
    file.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("version: 1"), "{text}");
    assert!(text.contains("format: Json"), "{text}");
    assert!(!text.contains("TemplateFile"), "no struct names: {text}");
    assert_eq!(TemplateFile::load(&path).unwrap(), file);
    assert_eq!(TemplateFile::parse(&path, &text).unwrap(), file);
    // Saving again replaces the file.
    let smaller = TemplateFile::new(vec![Template::new("only", MessageFormat::Text, "x")]);
    smaller.save(&path).unwrap();
    assert_eq!(TemplateFile::load(&path).unwrap(), smaller);
}

#[test]
fn description_is_optional() {
    let text = r#"(version: 1, templates: [(name: "a", format: Hex, body: "00")])"#;
    let file = TemplateFile::parse(Path::new("t.ron"), text).unwrap();
    assert_eq!(file.templates[0].description, "");
    assert_eq!(file.find("a").map(|t| t.format), Some(MessageFormat::Hex));
    assert!(file.find("b").is_none());
}

#[test]
fn every_saved_file_parses() {
    let mut checked = 0;
    for entry in std::fs::read_dir(saved_sessions()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("ron") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("templates") {
            let file = TemplateFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(!file.templates.is_empty(), "{name} has templates");
        } else {
            // Other kinds (sessions) have their own tests; here they must at least be RON.
            let text = std::fs::read_to_string(&path).unwrap();
            ron::from_str::<ron::Value>(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        checked += 1;
    }
    assert!(checked >= 1, "saved_sessions/ has RON files");
}

#[test]
fn shipped_templates_can_be_sent() {
    let file = TemplateFile::load(&saved_sessions().join("templates.ron")).unwrap();
    let env = |_: &str| None;
    let ctx = VarContext {
        counter: 1,
        user: &[],
        env: &env,
        env_policy: EnvPolicy::Any,
    };
    let mut formats = Vec::new();
    for template in &file.templates {
        let outgoing = template
            .prepare(&ctx, &EncodeWith::default())
            .unwrap_or_else(|e| panic!("{}: {e}", template.name));
        assert!(!outgoing.is_empty(), "{}", template.name);
        formats.push(template.format);
    }
    for format in [
        MessageFormat::Json,
        MessageFormat::Hex,
        MessageFormat::Base64,
    ] {
        assert!(formats.contains(&format), "an example in {format}");
    }
    let bodies: String = file.templates.iter().map(|t| t.body.as_str()).collect();
    for variable in ["{{counter}}", "{{now}}", "{{uuid}}"] {
        assert!(bodies.contains(variable), "an example uses {variable}");
    }
    let hello = file
        .find("hello")
        .unwrap()
        .prepare(&ctx, &EncodeWith::default())
        .unwrap();
    assert!(matches!(hello, Outgoing::Text(text) if text.contains("hello")));
}

#[test]
fn wrong_version_is_an_error_naming_the_file() {
    let text = r#"(version: 2, templates: [])"#;
    let error = TemplateFile::parse(Path::new("dir/templates.ron"), text).unwrap_err();
    assert!(matches!(error, FileError::Invalid { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "dir/templates.ron: template file version 2 is not supported (expected 1)"
    );
    let missing = TemplateFile::parse(Path::new("t.ron"), "(templates: [])").unwrap_err();
    assert!(missing.to_string().contains("version"), "{missing}");
}

#[test]
fn malformed_file_gives_path_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("templates.ron");
    let text = "(\n    version: 1,\n    templates: [\n        (name: \"a\", format: Morse, body: \"x\"),\n    ],\n)\n";
    std::fs::write(&path, text).unwrap();
    let error = TemplateFile::load(&path).unwrap_err();
    let (line, column) = error.line_column().expect("a parse error");
    assert_eq!(line, 4, "{error}");
    assert!(column > 1, "{error}");
    let message = error.to_string();
    let prefix = format!("{}:4:{column}: ", path.display());
    assert!(message.starts_with(&prefix), "{message}");
    assert!(message.contains("Morse"), "{message}");

    let error = TemplateFile::load(&dir.path().join("missing.ron")).unwrap_err();
    assert!(matches!(error, FileError::Io { .. }));
    assert!(error.to_string().contains("missing.ron"), "{error}");
}

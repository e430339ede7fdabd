//! A session tab as one flat record on disk: `name`, the [`TabSetup`]'s fields and
//! `timeline` side by side, as version 1 files have always had them. (serde's `flatten`
//! would do this, but RON writes flattened structs as maps, which would change the format.)

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{SecretHeader, SessionTab};
use crate::engine::ConnectionConfig;
use crate::format::query::QueryParam;
use crate::model::decode_settings::DecodeSettings;
use crate::model::fold::FoldSettings;
use crate::model::proxy_setup::ProxySetup;
use crate::model::recorded::RecordedEvent;
use crate::model::server_setup::ServerSetup;
use crate::model::tab_setup::{Pin, TabKind, TabSetup};
use crate::model::template::Template;

/// The record as written: borrowed from the tab, so saving copies nothing.
#[derive(Serialize)]
#[serde(rename = "SessionTab")]
struct FlatRef<'a> {
    name: &'a str,
    config: &'a ConnectionConfig,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    templates: &'a [Template],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    variables: &'a [(String, String)],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    secret_headers: &'a [SecretHeader],
    timeline: &'a [RecordedEvent],
    #[serde(skip_serializing_if = "TabKind::is_websocket")]
    kind: TabKind,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pins: &'a [Pin],
    #[serde(skip_serializing_if = "Option::is_none")]
    memory_budget_mib: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    demo_path: Option<&'a str>,
    #[serde(skip_serializing_if = "DecodeSettings::is_default")]
    decode: &'a DecodeSettings,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    disabled_params: &'a [(usize, QueryParam)],
    #[serde(skip_serializing_if = "Option::is_none")]
    fold: Option<&'a FoldSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    proxy: Option<&'a ProxySetup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<&'a ServerSetup>,
    #[serde(skip_serializing_if = "str::is_empty")]
    script: &'a str,
}

/// The record as read.
#[derive(Deserialize)]
#[serde(rename = "SessionTab")]
struct FlatTab {
    name: String,
    #[serde(default)]
    config: ConnectionConfig,
    #[serde(default)]
    templates: Vec<Template>,
    #[serde(default)]
    variables: Vec<(String, String)>,
    #[serde(default)]
    secret_headers: Vec<SecretHeader>,
    #[serde(default)]
    timeline: Vec<RecordedEvent>,
    #[serde(default)]
    kind: TabKind,
    #[serde(default)]
    pins: Vec<Pin>,
    #[serde(default)]
    memory_budget_mib: Option<u64>,
    #[serde(default)]
    demo_path: Option<String>,
    #[serde(default)]
    decode: DecodeSettings,
    #[serde(default)]
    disabled_params: Vec<(usize, QueryParam)>,
    #[serde(default)]
    fold: Option<FoldSettings>,
    #[serde(default)]
    proxy: Option<ProxySetup>,
    #[serde(default)]
    server: Option<ServerSetup>,
    #[serde(default)]
    script: String,
}

impl Serialize for SessionTab {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let setup = &self.setup;
        FlatRef {
            name: &self.name,
            config: &setup.config,
            templates: &setup.templates,
            variables: &setup.variables,
            secret_headers: &setup.secret_headers,
            timeline: &self.timeline,
            kind: setup.kind,
            pins: &setup.pins,
            memory_budget_mib: setup.memory_budget_mib,
            demo_path: setup.demo_path.as_deref(),
            decode: &setup.decode,
            disabled_params: &setup.disabled_params,
            fold: setup.fold.as_ref(),
            proxy: setup.proxy.as_ref(),
            server: setup.server.as_ref(),
            script: &setup.script,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SessionTab {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let flat = FlatTab::deserialize(deserializer)?;
        Ok(SessionTab {
            name: flat.name,
            setup: TabSetup {
                kind: flat.kind,
                config: flat.config,
                templates: flat.templates,
                variables: flat.variables,
                secret_headers: flat.secret_headers,
                pins: flat.pins,
                memory_budget_mib: flat.memory_budget_mib,
                demo_path: flat.demo_path,
                decode: flat.decode,
                disabled_params: flat.disabled_params,
                fold: flat.fold,
                proxy: flat.proxy,
                server: flat.server,
                script: flat.script,
            },
            timeline: flat.timeline,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::session::SessionFile;
    use std::path::Path;

    /// Every field of a tab, none at its default.
    fn full_tab() -> SessionTab {
        let mut config = ConnectionConfig::new("ws://127.0.0.1:9/echo");
        config.subprotocols.push("chat".into());
        SessionTab {
            name: "full".into(),
            setup: TabSetup {
                kind: TabKind::Sse,
                config,
                templates: vec![Template::new(
                    "hi",
                    crate::model::template::MessageFormat::Text,
                    "hello",
                )],
                variables: vec![("room".into(), "lobby".into())],
                secret_headers: vec![SecretHeader::new("Authorization", "API_TOKEN")],
                pins: vec![Pin {
                    index: 0,
                    note: "first".into(),
                }],
                memory_budget_mib: Some(64),
                demo_path: Some("/echo".into()),
                decode: DecodeSettings {
                    spec: crate::format::decode::DecodeSpec::None,
                    proto_files: vec!["feed.proto".into()],
                    proto_paths: vec!["protos".into()],
                    message: Some("feed.Tick".into()),
                },
                disabled_params: vec![(1, QueryParam::new("debug", "1"))],
                fold: Some(FoldSettings {
                    rule: "keyed:$.id".into(),
                    select: "$.data".into(),
                    filter: r#"$.type == "update""#.into(),
                    delete: r#"$.op == "delete""#.into(),
                }),
                proxy: Some(ProxySetup {
                    rules: vec![crate::proxy::ProxyRuleSpec {
                        from: None,
                        when: crate::proxy::RuleMatch::Regex("^a".into()),
                        then: crate::proxy::RuleAction::Replace("b".into()),
                        enabled: true,
                    }],
                    ..ProxySetup::new("ws://up/")
                }),
                server: Some(ServerSetup {
                    listen: "127.0.0.1:0".into(),
                    subprotocol: "chat".into(),
                    rules: "(echo: true)".into(),
                }),
                script: "test('ok', () => expect(1).toBe(1));".into(),
            },
            timeline: Vec::new(),
        }
    }

    #[test]
    fn a_tab_is_one_flat_record_that_reads_back_the_same() {
        let file = SessionFile::new(vec![full_tab()]);
        let text = file.to_ron().unwrap();
        // The setup's fields sit beside the name, not in a nested record.
        assert!(!text.contains("setup"), "{text}");
        assert!(text.contains("kind: Sse"), "{text}");
        assert!(text.contains("memory_budget_mib: Some(64)"), "{text}");
        let back = SessionFile::parse(Path::new("t.ron"), &text).unwrap();
        assert_eq!(back, file);
    }

    #[test]
    fn defaults_are_left_out_as_before() {
        let tab = SessionTab {
            name: "plain".into(),
            setup: TabSetup::new("ws://h/"),
            timeline: Vec::new(),
        };
        let text = SessionFile::new(vec![tab]).to_ron().unwrap();
        for absent in [
            "templates",
            "variables",
            "secret_headers",
            "kind",
            "pins",
            "memory_budget_mib",
            "demo_path",
            "fold",
            "script",
        ] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        assert!(text.contains("timeline: []"), "{text}");
    }
}

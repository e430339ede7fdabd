//! A tab's setup makes the whole trip unchanged: window → session file (File > Save As) →
//! another window (File > Open), every field of [`TabSetup`] set to something that is not
//! its default. And a tab on the embedded demo server comes back on the port of the
//! window that opens it, from a session file and from the workspace kept between runs.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sockscope::app::env_consent::EnvAccess;
use sockscope::app::{AppOptions, Pin, SockscopeApp, TabKind, TabSetup};
use sockscope::engine::proxy::ProxyMode;
use sockscope::engine::{
    Auth, ConnectionConfig, HeaderEntry, Keepalive, KeyPlace, MissingPong, ReadyState,
    ReconnectDelay, ReconnectPolicy, TlsOptions,
};
use sockscope::format::decode::{DecodeSpec, Step};
use sockscope::format::query::QueryParam;
use sockscope::model::decode_settings::DecodeSettings;
use sockscope::model::session::SecretHeader;
use sockscope::model::template::{MessageFormat, Template};
use support::window::{Window, menu, type_path, wait_for};

fn window(config_dir: &Path, restore: Option<sockscope::app::session_menu::Workspace>) -> Window {
    let options = AppOptions {
        config_dir: Some(config_dir.to_owned()),
        restore,
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1400.0, 860.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"))
}

/// A setup with every field away from its default. Written without `..Default::default()`
/// on purpose: a field added to `TabSetup` or `ConnectionConfig` must be added here, and
/// so is round-tripped too.
fn full_setup(url: String) -> TabSetup {
    TabSetup {
        kind: TabKind::Sse,
        config: ConnectionConfig {
            url,
            headers: vec![
                HeaderEntry::new("X-Team", "a b"),
                HeaderEntry {
                    name: "X-Off".into(),
                    value: "later".into(),
                    enabled: false,
                },
                // A secret header is saved as its environment reference: written as one
                // here, it makes the trip unchanged.
                HeaderEntry::new("Authorization", "{{env.API_TOKEN}}"),
            ],
            subprotocols: vec!["chat.v2".into(), "json".into()],
            handshake_timeout: Duration::from_millis(7_000),
            close_timeout: Duration::from_millis(3_000),
            max_message_size: 5 << 20,
            tls: TlsOptions {
                ca_file: Some(PathBuf::from("/etc/ssl/ca.pem")),
                pinned_cert: Some(PathBuf::from("/etc/ssl/pinned.pem")),
                accept_invalid_certs: true,
                client_cert: Some(PathBuf::from("/etc/ssl/me.pem")),
                client_key: Some(PathBuf::from("/etc/ssl/me.key")),
            },
            proxy: ProxyMode::Url("http://proxy.local:3128".into()),
            keepalive: Some(Keepalive {
                interval: Duration::from_millis(15_000),
                pong_timeout: Duration::from_millis(4_000),
                on_missing_pong: MissingPong::Close,
            }),
            reconnect: ReconnectPolicy {
                delay: ReconnectDelay::Backoff {
                    initial: Duration::from_millis(250),
                    max: Duration::from_millis(8_000),
                },
                max_reconnects: 7,
            },
            // A typed key would be saved as [redacted]; a reference makes the trip.
            auth: Auth::ApiKey {
                name: "api_key".into(),
                value: "{{key}}".into(),
                place: KeyPlace::Query,
            },
            protocol: sockscope::protocol::ProtocolSettings::new(
                sockscope::protocol::ProtocolKind::Stomp,
            ),
            deflate: sockscope::engine::DeflateSetting::Params(
                "server_no_context_takeover; client_max_window_bits=10".into(),
            ),
        },
        templates: vec![
            Template {
                description: "says hello".into(),
                ..Template::new("hello", MessageFormat::Json, r#"{"hi": "{{room}}"}"#)
            },
            Template::new("raw", MessageFormat::Hex, "00 ff"),
        ],
        variables: vec![("room".into(), "lobby".into()), ("n".into(), "3".into())],
        secret_headers: vec![SecretHeader::new("Authorization", "API_TOKEN")],
        pins: vec![
            Pin {
                index: 0,
                note: "connecting".into(),
            },
            Pin {
                index: 1,
                note: "the handshake".into(),
            },
        ],
        memory_budget_mib: Some(64),
        demo_path: None,
        disabled_params: vec![(0, QueryParam::new("debug", "1"))],
        decode: DecodeSettings {
            spec: DecodeSpec::Chain(vec![Step::Zlib, Step::Msgpack]),
            proto_files: vec!["feed.proto".into()],
            proto_paths: vec!["protos".into()],
            message: Some("feed.Tick".into()),
        },
        fold: Some(sockscope::model::fold::FoldSettings {
            rule: "keyed:$.id".into(),
            select: "$.data".into(),
            filter: r#"$.type == "update""#.into(),
            delete: r#"$.op == "delete""#.into(),
        }),
        proxy: Some(sockscope::model::proxy_setup::ProxySetup {
            listen: "127.0.0.1:9102".into(),
            upstream: "wss://api.example/ws".into(),
            add_headers: "X-Debug: 1".into(),
            strip_headers: "Cookie".into(),
            rules: vec![sockscope::proxy::ProxyRuleSpec {
                from: Some(sockscope::engine::Leg::Upstream),
                when: sockscope::proxy::RuleMatch::Json(r#"$.type == "noise""#.into()),
                then: sockscope::proxy::RuleAction::DelayMs(250),
                enabled: true,
            }],
        }),
        server: Some(sockscope::model::server_setup::ServerSetup {
            listen: "127.0.0.1:9103".into(),
            subprotocol: "chat.v1".into(),
            rules: "(on_open: [\"welcome\"])".into(),
        }),
        script: "test('up', () => expect(1).toBe(1));".into(),
    }
}

/// Connects the first tab to the demo server's /echo and closes it, so that it has rows
/// to pin.
fn record_rows(harness: &mut Window) {
    harness.get_by_label("Connect").click();
    wait_for(harness, "OPEN", |h| {
        h.state().tabs()[0].ready_state() == ReadyState::Open
    });
    harness.get_by_label("Disconnect").click();
    wait_for(harness, "CLOSED", |h| {
        h.state().tabs()[0].last_close_clean().is_some()
    });
}

#[test]
fn every_field_of_a_tab_setup_survives_window_to_file_to_window() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = window(dir.path(), None);
    record_rows(&mut first);
    let first_demo = first
        .state()
        .demo_url("/echo?room=1")
        .expect("a demo server");
    let rows = first.state().tabs()[0].timeline.len();
    first.state_mut().tab_mut(0).unwrap().setup = full_setup(first_demo.clone());
    first.step();
    let path = dir.path().join("full.session.ron");
    menu(&mut first, "File", "Save As...");
    type_path(&mut first, &path);
    wait_for(&mut first, "the save", |h| {
        h.state().sessions().path().is_some() && !h.state().sessions().is_dirty()
    });
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("demo_path: Some(\"/echo?room=1\")"), "{text}");

    // Another window, with its own demo server on another port, opens the file.
    let mut second = window(dir.path(), None);
    let second_demo = second
        .state()
        .demo_url("/echo?room=1")
        .expect("a demo server");
    assert_ne!(first_demo, second_demo, "two demo servers, two ports");
    menu(&mut second, "File", "Open...");
    type_path(&mut second, &path);
    wait_for(&mut second, "the reopened tab", |h| {
        h.state().sessions().path() == Some(path.as_path())
    });
    let reopened = &second.state().tabs()[0];
    assert_eq!(
        reopened.setup,
        full_setup(second_demo),
        "every field, unchanged"
    );
    assert_eq!(reopened.timeline.len(), rows, "and the recorded timeline");
    assert_eq!(reopened.timeline.memory_budget(), 64 << 20);
    assert!(
        !second.state().sessions().is_dirty(),
        "a reopened session is not unsaved"
    );
}

#[test]
fn a_restored_workspace_points_demo_tabs_at_this_runs_demo_server() {
    let dir = tempfile::tempdir().unwrap();
    let first = window(dir.path(), None);
    let first_demo = first.state().demo_url("/close/4001").unwrap();
    let mut workspace = first.state().workspace();
    let mut setup = full_setup(first_demo);
    setup.kind = TabKind::WebSocket;
    workspace.tabs = vec![setup.clone()];
    workspace.tabs[0].mark_demo(first.state().demo_url("").as_deref());
    workspace.env_access = vec![EnvAccess::default()];

    // Through the workspace file, as between two runs.
    let text = workspace.to_text().unwrap();
    assert!(text.contains("demo_path: Some(\"/close/4001\")"), "{text}");
    let workspace =
        sockscope::app::session_menu::Workspace::parse(Path::new("workspace.ron"), &text).unwrap();
    let second = window(dir.path(), Some(workspace));
    let second_demo = second.state().demo_url("/close/4001").unwrap();
    let restored = &second.state().tabs()[0];
    assert_eq!(restored.setup.config.url, second_demo);
    // The workspace keeps no timeline, so no pins; everything else comes back.
    let expected = TabSetup {
        config: ConnectionConfig {
            url: second_demo,
            ..setup.config
        },
        pins: Vec::new(),
        ..setup
    };
    assert_eq!(restored.setup, expected);
}

//! A tab opened from a session file reads no environment variable until the user allows
//! it: Connect shows a prompt naming each variable and the host its value would go to, and
//! nothing is dialed until Allow. Driven through egui_kittest.

mod support;

use std::path::Path;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sockscope::app::{AppOptions, SockscopeApp};
use sockscope::engine::ReadyState;
use support::recording::{RecordingServer, crafted_session};
use support::window::{Window, copied, has_label, has_label_containing, menu, type_path, wait_for};

fn window(config_dir: &Path) -> Window {
    let options = AppOptions {
        config_dir: Some(config_dir.to_owned()),
        no_demo_server: true,
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1400.0, 860.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"))
}

/// File > Open, answering the typed-path prompt (no file dialog exists here) with `path`.
fn open_session(harness: &mut Window, path: &Path) {
    menu(harness, "File", "Open");
    type_path(harness, path);
}

/// A window with a crafted session (its header `{{env.HOME}}`, its URL `path` on `server`)
/// opened through File > Open; the temporary folder holds the file and the config.
fn open_crafted_session(server: &RecordingServer, path: &str) -> (tempfile::TempDir, Window) {
    let dir = tempfile::tempdir().expect("tempdir");
    let session = crafted_session(dir.path(), &server.url(path), "{{env.HOME}}");
    let mut harness = window(dir.path());
    open_session(&mut harness, &session);
    wait_for(&mut harness, "the session's tab", |h| {
        h.state()
            .tabs()
            .iter()
            .any(|t| t.setup.config.url.contains(path))
    });
    (dir, harness)
}

/// Steps a few frames, as time passing with the window idle.
fn idle(harness: &mut Window) {
    for _ in 0..20 {
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn a_session_tab_asks_before_sending_an_environment_variable_and_sends_nothing_until_allowed() {
    let home = std::env::var("HOME").expect("HOME is set");
    let server = RecordingServer::start();
    let (_dir, mut harness) = open_crafted_session(&server, "/collect");
    let active = harness.state().active_tab();
    assert!(
        harness.state().tabs()[active]
            .setup
            .config
            .url
            .contains("/collect")
    );
    let recorded = harness.state().tabs()[active].timeline.len();
    let host = server.addr.to_string();

    // Connect: the prompt names the variable and the host; nothing is dialed.
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the prompt", |h| {
        has_label(h, "Allow environment variables?")
    });
    assert!(has_label_containing(&harness, &format!("HOME → {host}")));
    idle(&mut harness);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    let tab = &harness.state().tabs()[active];
    assert_eq!(tab.ready_state(), ReadyState::Closed);
    assert_eq!(tab.timeline.len(), recorded, "no attempt started");

    // Cancel: still nothing sent, and the tab says why.
    harness.get_by_label("Cancel").click();
    harness.step();
    harness.step();
    assert!(!has_label(&harness, "Allow environment variables?"));
    assert!(has_label_containing(
        &harness,
        "Not connected: environment variable HOME is not allowed for this tab"
    ));
    idle(&mut harness);
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    // Connect again and Allow: now the value goes, and the tab remembers the answer.
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the prompt again", |h| {
        has_label(h, "Allow environment variables?")
    });
    assert!(server.requests().is_empty());
    harness.get_by_label("Allow").click();
    wait_for(&mut harness, "the request", |_| {
        !server.requests().is_empty()
    });
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(
        requests[0].contains(&format!("x-leak: {home}")),
        "{}",
        requests[0]
    );
    let tab = &harness.state().tabs()[active];
    assert_eq!(tab.env_access.allowed, ["HOME"]);
    let workspace = harness.state().workspace();
    assert_eq!(workspace.env_access[active].allowed, ["HOME"]);
    assert!(workspace.env_access[active].from_file);
}

#[test]
fn replaying_a_session_tab_asks_first_and_starts_once_allowed() {
    let home = std::env::var("HOME").expect("HOME is set");
    let server = RecordingServer::start();
    let (_dir, mut harness) = open_crafted_session(&server, "/replayed");
    let tabs = harness.state().tabs().len();

    menu(&mut harness, "Replay", "Replay this tab");
    wait_for(&mut harness, "the replay dialog", |h| {
        has_label(h, "Start replay")
    });
    harness.get_by_label("Start replay").click();
    wait_for(&mut harness, "the prompt", |h| {
        has_label(h, "Allow environment variables?")
    });
    assert!(has_label_containing(
        &harness,
        "Replaying this tab would read"
    ));
    assert!(has_label_containing(
        &harness,
        &format!("HOME → {}", server.addr)
    ));
    idle(&mut harness);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert_eq!(harness.state().tabs().len(), tabs, "no replay tab yet");

    harness.get_by_label("Allow").click();
    wait_for(&mut harness, "the replay's request", |_| {
        !server.requests().is_empty()
    });
    assert!(
        server.requests()[0].contains(&format!("x-leak: {home}")),
        "{}",
        server.requests()[0]
    );
    assert_eq!(harness.state().tabs().len(), tabs + 1, "the replay's tab");
}

#[test]
fn a_tab_the_user_created_reads_the_environment_without_asking() {
    let home = std::env::var("HOME").expect("HOME is set");
    let server = RecordingServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut harness = window(dir.path());
    harness.step();
    let tab = harness.state_mut().tab_mut(0).expect("a tab");
    tab.setup.config.url = server.url("/typed");
    tab.setup.config.headers = vec![sockscope::engine::HeaderEntry::new(
        "X-Home",
        "{{env.HOME}}",
    )];
    harness.step();
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the request", |_| {
        !server.requests().is_empty()
    });
    assert!(!has_label(&harness, "Allow environment variables?"));
    assert!(server.requests()[0].contains(&format!("x-home: {home}")));
}

/// The text messages of the first tab's timeline that went `dir`.
fn texts(harness: &Window, dir: sockscope::engine::Direction) -> Vec<String> {
    harness.state().tabs()[0]
        .timeline
        .iter()
        .filter_map(|entry| match entry.kind {
            sockscope::engine::EventKind::Message { dir: d, payload } if *d == dir => {
                payload.as_text().map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_library_template_asks_before_sending_an_environment_variable() {
    use sockscope::engine::Direction;
    let home = std::env::var("HOME").expect("HOME is set");
    let config = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        config.path().join("templates.ron"),
        r#"(version: 1, templates: [(name: "leak", format: Text, body: "home={{env.HOME}}")])"#,
    )
    .expect("write the library");
    let options = AppOptions {
        config_dir: Some(config.path().to_owned()),
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 860.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"));
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "OPEN", |h| has_label(h, "OPEN"));

    harness.get_by_label("Send library template leak").click();
    wait_for(&mut harness, "the prompt", |h| {
        has_label(h, "Allow environment variables?")
    });
    assert!(has_label_containing(&harness, "template library"));
    assert!(has_label_containing(&harness, "HOME → 127.0.0.1:"));
    idle(&mut harness);
    assert!(
        texts(&harness, Direction::Out).is_empty(),
        "nothing was sent"
    );

    harness.get_by_label("Allow").click();
    let expected = format!("home={home}");
    wait_for(&mut harness, "the echo", |h| {
        texts(h, Direction::In).contains(&expected)
    });
    assert_eq!(texts(&harness, Direction::Out), [expected]);
}

#[test]
fn a_restored_tab_keeps_what_was_allowed_and_an_unknown_one_counts_as_from_a_file() {
    use sockscope::app::env_consent::EnvAccess;
    use sockscope::app::session_menu::Workspace;
    let server = RecordingServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = sockscope::engine::ConnectionConfig::new(server.url("/restored"));
    config.headers = vec![sockscope::engine::HeaderEntry::new(
        "X-Home",
        "{{env.HOME}}",
    )];
    let tab = sockscope::app::TabSetup::with_config(config);
    let start = |env_access: Vec<EnvAccess>| {
        let options = AppOptions {
            config_dir: Some(dir.path().to_owned()),
            no_demo_server: true,
            restore: Some(Workspace {
                tabs: vec![tab.clone()],
                env_access,
                ..Workspace::default()
            }),
            ..AppOptions::default()
        };
        Harness::builder()
            .with_size(egui::vec2(1400.0, 860.0))
            .build_eframe(move |cc| {
                SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts")
            })
    };

    // A workspace from before consent existed: its tabs ask.
    let mut harness = start(Vec::new());
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the prompt", |h| {
        has_label(h, "Allow environment variables?")
    });
    idle(&mut harness);
    assert!(server.requests().is_empty());
    drop(harness);

    // Allowed in an earlier run: connects without asking.
    let allowed = EnvAccess {
        allowed: vec!["HOME".into()],
        ..EnvAccess::from_file()
    };
    let mut harness = start(vec![allowed]);
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the request", |_| {
        !server.requests().is_empty()
    });
    assert!(!has_label(&harness, "Allow environment variables?"));
}

#[test]
fn copy_as_command_line_refuses_a_crafted_environment_name_and_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut harness = window(dir.path());
    harness.step();
    let tab = harness.state_mut().tab_mut(0).expect("a tab");
    tab.setup.config.url = "ws://127.0.0.1:9/".into();
    tab.setup.config.headers = vec![sockscope::engine::HeaderEntry::new(
        "X-Token",
        "{{env.X:-$(touch /tmp/sockscope-pwned)}}",
    )];
    harness.step();
    harness.get_by_label("File").click();
    wait_for(&mut harness, "the File menu", |h| {
        has_label(h, "Copy tab as command line")
    });
    harness.get_by_label("Copy tab as command line").click();
    harness.step();
    assert_eq!(copied(&mut harness), None, "nothing reaches the clipboard");
    assert!(has_label_containing(
        &harness,
        "Not copied: header \"X-Token\": {{env.X:-$(touch /tmp/sockscope-pwned)}} at position 0"
    ));
    assert!(has_label_containing(
        &harness,
        "is not a valid environment variable name"
    ));
}

//! Keychain secrets in the window: the environments manager moves a secret value into the
//! OS keychain (a real Secret Service on a private D-Bus, see `support::keyring`) and keeps
//! `{{secret.NAME}}`, which a later run reads back off the UI thread; without a keychain
//! the window says so, and reads `SOCKSCOPE_SECRET_NAME` only once the user allowed it.

mod support;

use std::sync::Mutex;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sockscope::app::AppOptions;
use sockscope::engine::{Direction, EventKind, ReadyState};
use sockscope::model::environments::{EnvVar, Environments};
use support::keyring::SecretService;
use support::recording::{RecordingServer, crafted_session};
use support::window::{Window, has_label, has_label_containing, menu, open, type_path, wait_for};

const SECRET: &str = "kc-window-s3cret-77";

/// The tests change this process's environment (D-Bus address, fallback variable): one at
/// a time.
static ENV: Mutex<()> = Mutex::new(());

fn texts(harness: &Window, dir: Direction) -> Vec<String> {
    harness.state().tabs()[0]
        .timeline
        .iter()
        .filter_map(|entry| match entry.kind {
            EventKind::Message { dir: d, payload } if *d == dir => {
                payload.as_text().map(str::to_owned)
            }
            _ => None,
        })
        .collect()
}

fn send(harness: &mut Window, text: &str) {
    harness.get_by_label("Message").focus();
    harness.step();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.key_press(Key::Backspace);
    harness.step();
    harness.get_by_label("Message").type_text(text);
    harness.step();
    harness.step();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    harness.step();
}

fn connected(config: &std::path::Path, environments: Environments) -> Window {
    let mut harness = open(AppOptions {
        config_dir: Some(config.to_owned()),
        ..AppOptions::default()
    });
    *harness.state_mut().environments_mut() = environments;
    harness.step();
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "OPEN", |h| {
        h.state().tabs()[0].ready_state() == ReadyState::Open
    });
    harness
}

fn open_manager(harness: &mut Window) {
    harness.get_by_label("Environments…").click();
    // A window is laid out unseen in its first frame.
    for _ in 0..3 {
        harness.step();
    }
}

#[test]
fn a_secret_moves_to_the_keychain_and_is_read_back_after_a_restart() {
    let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    let Some(service) = SecretService::start("a_secret_moves_to_the_keychain") else {
        return;
    };
    // SAFETY: the tests of this binary that touch the environment hold ENV.
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &service.address) };
    let config = service.dir.path().join("sockscope");
    let envs = Environments {
        globals: vec![EnvVar {
            secret: true,
            ..EnvVar::new("api-token", SECRET)
        }],
        ..Environments::default()
    };
    let mut harness = connected(&config, envs);
    open_manager(&mut harness);
    harness.get_by_label("To keychain").click();
    wait_for(&mut harness, "the value stored in the keychain", |h| {
        has_label_containing(h, "is in the keychain as {{secret.api_token}}")
    });
    let kept = harness.state_mut().environments_mut().globals[0].clone();
    assert_eq!(kept.value, "{{secret.api_token}}");
    assert!(kept.secret);
    let index = std::fs::read_to_string(config.join("secret-names.ron")).expect("the index");
    assert!(
        index.contains("api_token") && !index.contains(SECRET),
        "{index}"
    );
    let workspace = ron::to_string(&harness.state().workspace()).unwrap();
    assert!(workspace.contains("{{secret.api_token}}") && !workspace.contains(SECRET));
    drop(harness);

    // A new window knows only the reference: the value comes from the keychain.
    let restarted = Environments {
        globals: vec![kept],
        ..Environments::default()
    };
    let mut harness = connected(&config, restarted);
    send(&mut harness, "token={{api-token}}");
    wait_for(&mut harness, "the echo", |h| {
        texts(h, Direction::In).len() == 1
    });
    assert_eq!(texts(&harness, Direction::Out), [format!("token={SECRET}")]);
    let lines = harness.state().tabs()[0].recording(true).json_lines();
    assert!(!lines.contains(SECRET), "{lines}");
    assert!(lines.contains("token=[redacted]"), "{lines}");
    unsafe { std::env::remove_var("DBUS_SESSION_BUS_ADDRESS") };
}

#[test]
fn without_a_keychain_the_window_says_so_and_falls_back_only_when_allowed() {
    let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    // SAFETY: the tests of this binary that touch the environment hold ENV.
    unsafe {
        std::env::remove_var("DBUS_SESSION_BUS_ADDRESS");
        std::env::set_var("SOCKSCOPE_SECRET_FALLBACK_TOKEN", SECRET);
    }
    let config = tempfile::tempdir().unwrap();
    let mut harness = connected(config.path(), Environments::default());
    send(&mut harness, "{{secret.FALLBACK_TOKEN}}");
    wait_for(&mut harness, "the refusal", |h| {
        has_label_containing(h, "no keychain is available")
    });
    assert!(has_label_containing(
        &harness,
        "SOCKSCOPE_SECRET_FALLBACK_TOKEN"
    ));
    assert!(
        texts(&harness, Direction::Out).is_empty(),
        "nothing was sent"
    );

    open_manager(&mut harness);
    // The switch, flipped from the keyboard.
    harness
        .get_by_label_contains("read {{secret.NAME}} from SOCKSCOPE_SECRET_NAME")
        .focus();
    harness.step();
    harness.key_press(Key::Space);
    harness.step();
    harness.step();
    send(&mut harness, "{{secret.FALLBACK_TOKEN}}");
    wait_for(&mut harness, "the echo", |h| {
        texts(h, Direction::In).len() == 1
    });
    assert_eq!(texts(&harness, Direction::Out), [SECRET.to_owned()]);
    let lines = harness.state().tabs()[0].recording(true).json_lines();
    assert!(!lines.contains(SECRET), "{lines}");
    unsafe { std::env::remove_var("SOCKSCOPE_SECRET_FALLBACK_TOKEN") };
}

#[test]
fn a_session_file_asks_before_reading_a_secret() {
    let _env = ENV.lock().unwrap_or_else(|p| p.into_inner());
    // SAFETY: the tests of this binary that touch the environment hold ENV.
    unsafe {
        std::env::remove_var("DBUS_SESSION_BUS_ADDRESS");
        std::env::set_var("SOCKSCOPE_SECRET_FILE_TOKEN", SECRET);
    }
    let server = RecordingServer::start();
    let dir = tempfile::tempdir().unwrap();
    let session = crafted_session(dir.path(), &server.url("/collect"), "{{secret.FILE_TOKEN}}");
    let mut harness = open(AppOptions {
        config_dir: Some(dir.path().to_owned()),
        no_demo_server: true,
        ..AppOptions::default()
    });
    menu(&mut harness, "File", "Open");
    type_path(&mut harness, &session);
    wait_for(&mut harness, "the session's tab", |h| {
        h.state()
            .tabs()
            .iter()
            .any(|t| t.setup.config.url.contains("/collect"))
    });
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the prompt", |h| {
        has_label(h, "Allow environment variables and secrets?")
    });
    let host = server.addr.to_string();
    assert!(has_label_containing(
        &harness,
        &format!("secret FILE_TOKEN (keychain) → {host}")
    ));
    assert!(server.requests().is_empty());
    harness.get_by_label("Allow").click();
    // Allowed, but there is no keychain and no consent to the fallback yet.
    wait_for(&mut harness, "the refusal", |h| {
        has_label_containing(h, "no keychain is available")
    });
    assert!(server.requests().is_empty(), "{:?}", server.requests());

    open_manager(&mut harness);
    harness
        .get_by_label_contains("read {{secret.NAME}} from SOCKSCOPE_SECRET_NAME")
        .focus();
    harness.step();
    harness.key_press(Key::Space);
    harness.step();
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the request", |_| {
        !server.requests().is_empty()
    });
    let requests = server.requests();
    assert!(
        requests[0].contains(&format!("x-leak: {SECRET}")),
        "{}",
        requests[0]
    );
    let active = harness.state().active_tab();
    assert_eq!(
        harness.state().tabs()[active].env_access.allowed,
        ["secret.FILE_TOKEN"]
    );
    unsafe { std::env::remove_var("SOCKSCOPE_SECRET_FILE_TOKEN") };
}

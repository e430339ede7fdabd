//! Environments as a user meets them: the switcher in the tab strip's row picks the active
//! set; `{{name}}` in a message resolves from the tab's variables, then the active
//! environment, then the globals; a secret value is sent but redacted in exports and never
//! kept in the workspace.

mod support;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sockscope::app::AppOptions;
use sockscope::engine::{Direction, EventKind, ReadyState};
use sockscope::model::environments::{EnvVar, Environment, Environments};
use support::window::{Window, open, wait_for};

const SECRET: &str = "stg-s3cret-token-42";

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

fn choose_environment(harness: &mut Window, name: &str) {
    harness.get_by_label("Environment").click();
    harness.step();
    harness.step();
    harness.get_all_by_label(name).last().expect(name).click();
    harness.step();
    harness.step();
}

#[test]
fn the_active_environment_fills_variables_under_the_tab_and_keeps_its_secrets() {
    let config = tempfile::tempdir().unwrap();
    let mut harness = open(AppOptions {
        config_dir: Some(config.path().to_owned()),
        ..AppOptions::default()
    });
    *harness.state_mut().environments_mut() = Environments {
        globals: vec![
            EnvVar::new("room", "global-room"),
            EnvVar::new("who", "ada"),
        ],
        sets: vec![
            Environment {
                name: "staging".into(),
                variables: vec![
                    EnvVar::new("room", "staging-room"),
                    EnvVar {
                        secret: true,
                        ..EnvVar::new("token", SECRET)
                    },
                ],
            },
            Environment {
                name: "production".into(),
                variables: vec![
                    EnvVar::new("room", "prod-room"),
                    // A reference the user wrote reads the environment (PATH is always
                    // set; nothing here changes it).
                    EnvVar {
                        secret: true,
                        ..EnvVar::new("from_env", "{{env.PATH}}")
                    },
                ],
            },
        ],
        active: None,
    };
    harness.step();
    {
        let tab = harness.state_mut().tab_mut(0).expect("a tab");
        tab.setup.variables.push(("who".into(), "grace".into()));
    }
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "OPEN", |h| {
        h.state().tabs()[0].ready_state() == ReadyState::Open
    });

    send(&mut harness, "{{room}} {{who}}");
    choose_environment(&mut harness, "staging");
    send(&mut harness, "{{room}} {{who}} {{token}}");
    choose_environment(&mut harness, "production");
    send(&mut harness, "{{room}} {{from_env}}");
    wait_for(&mut harness, "three echoes", |h| {
        texts(h, Direction::In).len() == 3
    });
    assert_eq!(
        texts(&harness, Direction::Out),
        [
            "global-room grace".to_owned(),
            format!("staging-room grace {SECRET}"),
            format!("prod-room {}", std::env::var("PATH").unwrap()),
        ],
        "the tab's own variable wins; the active environment over the globals"
    );

    // Exports say [redacted]; the workspace keeps the set, not the secret.
    let lines = harness.state().tabs()[0].recording(true).json_lines();
    assert!(!lines.contains(SECRET), "{lines}");
    assert!(lines.contains("staging-room grace [redacted]"), "{lines}");
    assert!(lines.contains("prod-room [redacted]"), "{lines}");
    let workspace = harness.state().workspace();
    assert_eq!(workspace.environments.active.as_deref(), Some("production"));
    let text = ron::to_string(&workspace).unwrap();
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("staging-room"), "{text}");
}

#[test]
fn a_new_environment_is_made_and_activated_in_the_manager() {
    let config = tempfile::tempdir().unwrap();
    let mut harness = open(AppOptions {
        config_dir: Some(config.path().to_owned()),
        no_demo_server: true,
        ..AppOptions::default()
    });
    harness.get_by_label("Environments…").click();
    // A window is laid out unseen in its first frame.
    for _ in 0..3 {
        harness.step();
    }
    harness.get_by_label("+ New environment").click();
    harness.step();
    harness.step();
    harness.get_by_label("Make active").click();
    harness.step();
    harness.step();
    let envs = harness.state_mut().environments_mut().clone();
    assert_eq!(envs.sets.len(), 1);
    assert_eq!(envs.active.as_deref(), Some("environment 1"));
    assert!(
        harness
            .query_by_label_contains("environment 1 (active)")
            .is_some()
    );
}

//! The window's Params table and Auth section, as a user meets them: a parameter added in
//! the table appears encoded in the URL and reaches the server; a Bearer token typed into
//! Auth reaches it as `Authorization` (what files keep of it is tested with the redactor).

mod support;

use egui_kittest::kittest::Queryable;
use serde_json::Value;
use sockscope::app::AppOptions;
use sockscope::engine::{Auth, Direction, EventKind, Payload, ReadyState};
use support::window::{Window, open, wait_for};

/// Types into the `index`th field labelled `label` (a table's rows, top to bottom).
fn type_into(harness: &mut Window, label: &str, index: usize, text: &str) {
    let found = harness.get_all_by_label(label).count();
    let field = || {
        harness
            .get_all_by_label(label)
            .nth(index)
            .unwrap_or_else(|| panic!("{label} #{index} of {found}"))
    };
    field().focus();
    harness.step();
    harness
        .get_all_by_label(label)
        .nth(index)
        .expect("the field")
        .type_text(text);
    harness.step();
    harness.step();
}

/// The first text message the server sent: `/headers` describes the request it got.
fn described_request(harness: &Window) -> Option<Value> {
    let timeline = &harness.state().tabs()[0].timeline;
    timeline
        .kinds(0..timeline.len())
        .find_map(|(_, kind)| match kind {
            EventKind::Message {
                dir: Direction::In,
                payload: Payload::Text(text),
            } => serde_json::from_str(text.as_str()).ok(),
            _ => None,
        })
}

#[test]
fn a_parameter_and_a_token_set_in_the_window_reach_the_server() {
    let config = tempfile::tempdir().unwrap();
    let mut harness = open(AppOptions {
        config_dir: Some(config.path().to_owned()),
        ..AppOptions::default()
    });
    harness.step();
    {
        let tab = harness.state_mut().tab_mut(0).expect("a tab");
        tab.setup.config.url = tab.setup.config.url.replace("/echo", "/headers?typed=a+b");
    }
    harness.step();
    harness.get_by_label_contains("Params (1)").click();
    harness.step();
    harness.get_by_label("+ Add parameter").click();
    harness.step();
    harness.step();
    type_into(&mut harness, "Name", 1, "q");
    type_into(&mut harness, "Value", 1, "a b&c=d");
    let url = harness.state().tabs()[0].setup.config.url.clone();
    assert!(url.ends_with("/headers?typed=a+b&q=a%20b%26c%3Dd"), "{url}");
    assert!(harness.query_by_label_contains("Params (2)").is_some());

    harness.get_by_label("Auth").click();
    harness.step();
    harness.get_by_label("Type").click();
    harness.step();
    harness.step();
    harness.get_by_label("Bearer token").click();
    harness.step();
    harness.step();
    type_into(&mut harness, "Token", 0, "tok-from-the-window-1");
    assert_eq!(
        harness.state().tabs()[0].setup.config.auth,
        Auth::Bearer {
            token: "tok-from-the-window-1".into()
        }
    );
    assert!(
        harness
            .query_by_label_contains("Auth: Bearer token")
            .is_some()
    );

    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the request's description", |h| {
        described_request(h).is_some()
    });
    let request = described_request(&harness).unwrap();
    assert_eq!(request["query"], "typed=a+b&q=a%20b%26c%3Dd", "{request}");
    assert_eq!(
        request["headers"]["authorization"], "Bearer tok-from-the-window-1",
        "{request}"
    );
    assert_eq!(harness.state().tabs()[0].ready_state(), ReadyState::Open);
}

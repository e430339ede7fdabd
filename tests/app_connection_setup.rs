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

#[test]
fn an_oauth2_token_is_fetched_from_oauthlib_before_the_handshake() {
    use std::io::BufRead;
    let Some(python) = support::python::env(
        "an_oauth2_token_is_fetched_from_oauthlib_before_the_handshake",
        support::python::DECODE_PACKAGES,
    ) else {
        return;
    };
    let mut endpoint = python.spawn(
        "oauth/token_server.py",
        &["window client", "window-secret-77", "3600"],
    );
    let mut lines = std::io::BufReader::new(endpoint.stdout.take().unwrap()).lines();
    let port: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let token_url = format!("http://127.0.0.1:{}/token", port["port"]);
    // The WebSocket server runs on a runtime of its own (the window has another).
    let (addr, mut seen) = support::servers::on_own_runtime(support::servers::request_recorder);
    let config = tempfile::tempdir().unwrap();
    let mut harness = open(AppOptions {
        config_dir: Some(config.path().to_owned()),
        no_demo_server: true,
        url: Some(format!("ws://{addr}/")),
        ..AppOptions::default()
    });
    harness
        .state_mut()
        .tab_mut(0)
        .expect("a tab")
        .setup
        .config
        .auth = Auth::OAuth2(sockscope::engine::oauth2::ClientCredentials {
        token_url,
        client_id: "window client".into(),
        client_secret: "window-secret-77".into(),
        scope: "read".into(),
    });
    harness.step();
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the server's close", |h| {
        h.state().tabs()[0].timeline.len() > 2
            && h.state().tabs()[0].ready_state() == ReadyState::Closed
    });
    let issued: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let token = issued["issued"].as_str().unwrap();
    let request = seen.try_recv().expect("a handshake");
    assert_eq!(request.header("authorization"), [format!("Bearer {token}")]);
    assert!(
        harness
            .query_by_label_contains("OAuth 2.0 token: expires in")
            .is_some()
    );
    let lines_out = harness.state().tabs()[0].recording(true).json_lines();
    assert!(!lines_out.contains(token), "{lines_out}");
    // The token request and its answer are on the timeline, first, without the secret or
    // the token.
    assert!(
        harness
            .query_by_label_contains("OAuth 2.0 token from http://127.0.0.1")
            .is_some()
    );
    let first = lines_out.lines().next().unwrap_or_default();
    let first: Value = serde_json::from_str(first).unwrap();
    assert_eq!(first["event"], "oauth-token", "{lines_out}");
    assert_eq!(first["client_id"], "window client");
    assert_eq!(first["status"], 200);
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 3600);
    assert!(!lines_out.contains("window-secret-77"), "{lines_out}");
    let _ = endpoint.kill();
    let _ = endpoint.wait();
}

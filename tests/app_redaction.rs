//! What leaves the window holds no secret, driven through egui_kittest: a tab restored
//! from the workspace (its Authorization header a Secret `{{env.NAME}}` reference, so its
//! config holds no value to compare with) connects to a server on 127.0.0.1 that reflects
//! the token; the saved session, the JSON-lines export, the row menu's copies, the
//! workspace and "Copy tab as command line" then hold none of it (nor a proxy's password).

#[path = "support/reflector.rs"]
mod reflector;
mod support;

use egui::Key;
use egui_kittest::kittest::Queryable;
use reflector::{AUTHORIZATION, TOKEN, binary_with, reflector};
use sockscope::app::env_consent::EnvAccess;
use sockscope::app::session_menu::Workspace;
use sockscope::app::{AppOptions, TabSetup};
use sockscope::engine::proxy::ProxyMode;
use sockscope::engine::{ConnectionConfig, EventKind, HeaderEntry};
use sockscope::format::base64::to_base64;
use sockscope::format::hex::to_hex;
use sockscope::model::session::{SecretHeader, SessionFile};
use support::window::{Window, copied, has_label_containing, menu, open, type_path, wait_for};

const MARKER: &str = "[redacted]";

/// The environment variable the restored tab's secret header reads (set by the one test of
/// this binary, before the window starts).
const ENV: &str = "SOCKSCOPE_APP_REDACTION_TOKEN";

const PROXY_PASSWORD: &str = "pr0xy-pa55w0rd";

fn assert_clean(text: &str, what: &str) {
    for secret in [TOKEN, PROXY_PASSWORD] {
        assert!(
            !text.contains(secret),
            "{secret:?} leaks in {what}:\n{text}"
        );
    }
}

/// Right-clicks a row previewing `preview` (the detail pane may show the same text, so
/// each match is tried, the last first, until a menu opens) and chooses `entry` in its menu.
fn copy_from_row(harness: &mut Window, preview: &str, entry: &str) -> String {
    let matches = harness.query_all_by_label_contains(preview).count();
    for index in (0..matches).rev() {
        let Some(node) = harness.query_all_by_label_contains(preview).nth(index) else {
            continue;
        };
        node.click_secondary();
        harness.step();
        harness.step();
        let Some(item) = harness.query_all_by_label(entry).last() else {
            harness.key_press(Key::Escape);
            harness.step();
            continue;
        };
        item.click();
        harness.step();
        return copied(harness).unwrap_or_else(|| panic!("{entry} copied something"));
    }
    panic!("no row previewing {preview:?} has a menu entry {entry:?}")
}

/// Selects the first row whose event `is`, and clicks the detail pane's `button`.
fn copy_from_detail(harness: &mut Window, is: impl Fn(&EventKind) -> bool, button: &str) -> String {
    let tab = &harness.state().tabs()[0];
    let index = (0..tab.timeline.len())
        .find(|&i| tab.timeline.get(i).is_some_and(|entry| is(entry.kind)))
        .expect("such a row");
    harness.state_mut().tab_mut(0).expect("the tab").selected = Some(index);
    harness.step();
    harness.step();
    harness.get_by_label(button).click();
    harness.step();
    copied(harness).unwrap_or_else(|| panic!("{button} copied something"))
}

#[test]
fn a_restored_tab_exports_no_reflected_token_and_no_proxy_password() {
    // SAFETY: the only test of this binary sets it before the window (and its threads)
    // start; nothing else here reads or writes the environment concurrently.
    unsafe { std::env::set_var(ENV, AUTHORIZATION) };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let addr = runtime.block_on(reflector());
    let dir = tempfile::tempdir().unwrap();

    let mut config = ConnectionConfig::new(format!("ws://{addr}/reflect"));
    config.headers.push(HeaderEntry::new(
        "Authorization",
        format!("{{{{env.{ENV}}}}}"),
    ));
    config.proxy = ProxyMode::Direct;
    let restored = TabSetup {
        config,
        secret_headers: vec![SecretHeader::new("Authorization", ENV)],
        ..TabSetup::default()
    };
    let mut harness = open(AppOptions {
        no_demo_server: true,
        config_dir: Some(dir.path().to_owned()),
        restore: Some(Workspace {
            tabs: vec![restored],
            // The user marked the header Secret in this tab, so its variable may be read.
            env_access: vec![EnvAccess {
                marked_secrets: vec!["Authorization".to_owned()],
                ..EnvAccess::from_file()
            }],
            ..Workspace::default()
        }),
        ..AppOptions::default()
    });
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the server's close", |h| {
        h.state().tabs()[0].last_close_clean().is_some()
    });
    assert!(
        has_label_containing(&harness, TOKEN),
        "the window itself shows what the server sent"
    );

    // The saved session.
    let saved = SessionFile::new(vec![harness.state().tabs()[0].to_session(true)])
        .to_ron()
        .expect("RON");
    assert_clean(&saved, "the saved session");
    assert!(saved.contains(&format!("you sent {MARKER}")), "{saved}");
    assert!(saved.contains(&format!("{{{{env.{ENV}}}}}")), "{saved}");

    // Export tab as JSON lines.
    let path = dir.path().join("tab.jsonl");
    menu(&mut harness, "File", "Export tab as JSON lines");
    type_path(&mut harness, &path);
    wait_for(&mut harness, "the export", |_| path.exists());
    // The notice that follows moves the rows down: let it come before clicking them.
    wait_for(&mut harness, "the export's notice", |h| {
        has_label_containing(h, "Exported")
    });
    let lines = std::fs::read_to_string(&path).expect("the export");
    assert_clean(&lines, "the JSON-lines export");
    assert!(
        lines.contains(&format!("\"reason\":\"bye {MARKER}\"")),
        "{lines}"
    );

    // The row menu's copies.
    let text = copy_from_row(&mut harness, "you sent", "Copy text");
    assert_eq!(text, format!("you sent {MARKER}"));
    let line = copy_from_row(&mut harness, "you sent", "Copy as JSON line");
    assert_clean(&line, "Copy as JSON line");
    assert!(line.contains(MARKER), "{line}");

    let base64 = copy_from_row(&mut harness, "00 01 42", "Copy as base64");
    assert_eq!(
        base64,
        to_base64(&binary_with(MARKER)),
        "the binary message"
    );

    // The detail pane's copy buttons.
    let text = copy_from_detail(
        &mut harness,
        |kind| matches!(kind, EventKind::Message { payload, .. } if payload.as_text().is_some()),
        "Copy text",
    );
    assert_eq!(text, format!("you sent {MARKER}"));
    let hex = copy_from_detail(
        &mut harness,
        |kind| matches!(kind, EventKind::Message { payload, .. } if payload.as_text().is_none()),
        "Copy as hex",
    );
    assert_eq!(hex, to_hex(&binary_with(MARKER)));
    let headers = copy_from_detail(
        &mut harness,
        |kind| matches!(kind, EventKind::Open(_)),
        "Copy request headers",
    );
    assert_clean(&headers, "Copy request headers");
    assert!(headers.contains(&format!(": {MARKER}")), "{headers}");

    // A proxy with a password: the workspace and the copied command line keep its user only.
    harness
        .state_mut()
        .tab_mut(0)
        .expect("the tab")
        .setup
        .config
        .proxy = ProxyMode::Url(format!("http://user:{PROXY_PASSWORD}@127.0.0.1:9"));
    harness.step();
    let workspace = format!("{:?}", harness.state().workspace());
    assert_clean(&workspace, "the workspace");
    assert!(
        workspace.contains(&format!("user:{MARKER}@")),
        "{workspace}"
    );
    menu(&mut harness, "File", "Copy tab as command line");
    let command = copied(&mut harness).expect("a command line");
    assert_clean(&command, "the copied command line");
    assert!(command.contains(&format!("\"${{{ENV}}}\"")), "{command}");
    assert!(command.contains(&format!("user:{MARKER}@")), "{command}");
}

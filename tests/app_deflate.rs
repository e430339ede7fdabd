//! The window's compression option: off, on as browsers offer it, or parameters, chosen in
//! the request settings and used by the next connection (the open row shows the answer).

mod support;

use egui_kittest::kittest::Queryable;
use sockscope::app::AppOptions;
use sockscope::engine::{DeflateSetting, EventKind, ReadyState};
use support::window::{Window, open, wait_for};

/// The extensions the open event of the tab's timeline reported.
fn answered(harness: &Window) -> Option<Option<String>> {
    let timeline = &harness.state().tabs()[0].timeline;
    timeline
        .kinds(0..timeline.len())
        .find_map(|(_, kind)| match kind {
            EventKind::Open(open) => Some(open.extensions.clone()),
            _ => None,
        })
}

/// Each received message's size and wire size.
fn wire_sizes(harness: &Window) -> Vec<(usize, Option<usize>)> {
    let timeline = &harness.state().tabs()[0].timeline;
    (0..timeline.len())
        .filter_map(|index| timeline.get(index))
        .filter_map(|entry| match entry.kind {
            EventKind::Message { payload, .. } => {
                Some((payload.len(), entry.wire.map(|wire| wire.size)))
            }
            _ => None,
        })
        .collect()
}

fn choose(harness: &mut Window, option: &str) {
    harness.get_by_label("Compression").click();
    harness.step();
    harness.step();
    harness.get_by_label(option).click();
    harness.step();
    harness.step();
}

#[test]
fn the_compression_option_changes_what_the_next_connection_offers() {
    let config = tempfile::tempdir().unwrap();
    let mut harness = open(AppOptions {
        config_dir: Some(config.path().to_owned()),
        ..AppOptions::default()
    });
    harness.step();
    assert_eq!(
        harness.state().tabs()[0].setup.config.deflate,
        DeflateSetting::On,
        "on by default, as in a browser"
    );
    harness.get_by_label("Headers & connection").click();
    harness.step();
    harness.step();
    choose(&mut harness, "permessage-deflate with parameters");
    let params = "permessage-deflate; server_no_context_takeover; client_max_window_bits=10";
    assert_eq!(
        harness.state().tabs()[0]
            .setup
            .config
            .deflate
            .offer()
            .unwrap()
            .unwrap()
            .to_string(),
        params
    );
    {
        let tab = harness.state_mut().tab_mut(0).expect("a tab");
        tab.setup.config.url = tab.setup.config.url.replace("/echo", "/json?count=2");
    }
    harness.step();
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "two ticks", |h| wire_sizes(h).len() == 2);
    assert_eq!(answered(&harness), Some(Some(params.to_owned())));
    // Each tick came compressed: its row shows the size on the wire beside its own.
    // (Small ticks with a fresh context each may even grow a little.)
    assert!(wire_sizes(&harness).iter().all(|(_, wire)| wire.is_some()));
    harness.get_by_label("Headers & connection").click();
    harness.step();
    harness.step();
    let rows = harness.query_all_by_label_contains(" wire)").count();
    assert!(rows >= 2, "{rows} rows show a wire size");
    // The server closes after its two ticks.
    wait_for(&mut harness, "the close", |h| {
        h.state().tabs()[0].ready_state() == ReadyState::Closed
    });

    harness.get_by_label("Headers & connection").click();
    harness.step();
    harness.step();
    choose(&mut harness, "Off");
    assert_eq!(
        harness.state().tabs()[0].setup.config.deflate,
        DeflateSetting::Off
    );
    harness
        .state_mut()
        .tab_mut(0)
        .expect("a tab")
        .timeline
        .clear();
    harness.get_by_label("Connect").click();
    wait_for(&mut harness, "the open event", |h| answered(h).is_some());
    assert_eq!(answered(&harness), Some(None));
}

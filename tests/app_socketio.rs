//! The window speaks Socket.IO with the embedded demo server's `/socket.io/` path: a tab set
//! to Socket.IO connects from the plain http:// address, joins `/` and shows the server's
//! `welcome` event as a decoded row, while the Engine.IO open and the namespace join stay
//! hidden as housekeeping until the filter asks for them.

mod support;

use egui_kittest::kittest::Queryable;
use sockscope::app::AppOptions;
use sockscope::engine::ReadyState;
use sockscope::protocol::{ProtocolKind, ProtocolSettings};
use support::window::{has_label_containing, open, wait_for};

#[test]
fn a_socket_io_tab_shows_events_and_hides_housekeeping() {
    let dir = tempfile::tempdir().unwrap();
    let mut window = open(AppOptions {
        config_dir: Some(dir.path().to_owned()),
        ..AppOptions::default()
    });
    let address = window
        .state()
        .demo_url("")
        .expect("a demo server")
        .replace("ws://", "http://");
    {
        let tab = window.state_mut().tab_mut(0).expect("a first tab");
        tab.setup.config.url = address;
        tab.setup.config.protocol = ProtocolSettings::new(ProtocolKind::SocketIo);
        tab.setup.demo_path = None;
    }
    window.step();
    window.get_by_label("Connect").click();
    wait_for(&mut window, "OPEN", |w| {
        w.state().tabs()[0].ready_state() == ReadyState::Open
    });
    wait_for(&mut window, "the welcome event", |w| {
        has_label_containing(w, "event welcome [{\"namespace\":\"/\"")
    });
    assert!(
        !has_label_containing(&window, "open sid"),
        "the Engine.IO open is housekeeping, hidden by default"
    );
    assert!(!has_label_containing(&window, "connect / sid"));
    // Asked for, they show.
    window.get_by_label("housekeeping").click();
    wait_for(&mut window, "the housekeeping rows", |w| {
        has_label_containing(w, "open sid") && has_label_containing(w, "connect / sid")
    });
}

//! Driving the real window headless with egui_kittest, against its embedded demo server.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sockscope::app::{AppOptions, SockscopeApp};
use sockscope::model::template::MessageFormat;

/// The whole app in a kittest harness.
pub type Window = Harness<'static, SockscopeApp>;

/// Opens the app at 1280x800 with `options`.
pub fn open(options: AppOptions) -> Window {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"))
}

/// Steps the window until `done` holds (at most 20 s): network events and file jobs arrive
/// in real time.
pub fn wait_for(harness: &mut Window, what: &str, done: impl Fn(&Window) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        harness.step();
        if done(harness) {
            harness.step();
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// What the last frame put on the clipboard, if anything; then steps a frame.
pub fn copied(harness: &mut Window) -> Option<String> {
    let text = harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|command| match command {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        });
    harness.step();
    text
}

/// Whether a label reads exactly `text`.
pub fn has_label(harness: &Window, text: &str) -> bool {
    harness.query_by_label(text).is_some()
}

/// Whether any label contains `text`.
pub fn has_label_containing(harness: &Window, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

/// Picks `format` in the active tab's composer, as a user does, through the Format box.
pub fn choose_format(harness: &mut Window, format: MessageFormat) {
    harness.get_by_label("Format").click();
    harness.step();
    harness.step();
    harness.get_by_label(format.label()).click();
    harness.step();
    harness.step();
    let active = harness.state().active_tab();
    assert_eq!(harness.state().tabs()[active].composer.format(), format);
}

/// Opens a menu of the menu bar and clicks one of its entries (an entry with a shortcut is
/// labelled with it too, "Open... Ctrl+O", so it is found by what its label contains).
pub fn menu(harness: &mut Window, menu: &str, entry: &str) {
    harness.get_by_label(menu).click();
    wait_for(harness, entry, |h| has_label_containing(h, entry));
    harness.get_by_label_contains(entry).click();
    harness.step();
}

/// Answers the typed-path prompt (shown because no file dialog exists here) with `path`.
pub fn type_path(harness: &mut Window, path: &std::path::Path) {
    wait_for(harness, "the path prompt", |h| has_label(h, "Path"));
    harness.get_by_label("Path").focus();
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.step();
    harness
        .get_by_label("Path")
        .type_text(&path.display().to_string());
    harness.step();
    harness.key_press(egui::Key::Enter);
    harness.step();
}

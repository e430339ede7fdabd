//! The command table in the window: every shortcut it lists does what the command's menu
//! entry or button does, and the entry or its hover text shows the keys that are handled.
//! (Other tests press some of these too: Ctrl+T and Ctrl+W in app_window's
//! `tabs_open_close_and_keep_their_own_connections`, Ctrl+Enter in app_composer, Ctrl+F,
//! F3 and Shift+F3 in app_filters' `search_counts_matches_and_f3_selects_the_next`.)

mod support;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sockscope::app::commands::CommandId;
use sockscope::app::{AppOptions, SockscopeApp};
use support::window::{Window, has_label, menu, wait_for};

/// The window, with its library in `config`, its first tab on the demo server's `path`.
fn window(config: &tempfile::TempDir, path: &str) -> Window {
    let options = AppOptions {
        config_dir: Some(config.path().to_owned()),
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| SockscopeApp::new(&cc.egui_ctx, options).expect("the app starts"));
    let url = harness.state().demo_url(path).expect("the demo server");
    harness
        .state_mut()
        .tab_mut(0)
        .expect("a tab")
        .setup
        .config
        .url = url;
    harness.step();
    harness
}

/// Presses the command's shortcut, as the table gives it.
fn press(harness: &mut Window, command: CommandId) {
    let shortcut = command.shortcut().expect("a command with a shortcut");
    harness.key_press_modifiers(shortcut.modifiers, shortcut.logical_key);
    harness.step();
    harness.step();
}

/// The command's shortcut as the window writes it.
fn keys(harness: &Window, command: CommandId) -> String {
    let shortcut = command.shortcut().expect("a command with a shortcut");
    harness.ctx.format_shortcut(&shortcut)
}

/// Hovers the widget labelled `label` and waits for its hover text to read `text`.
fn hover_shows(harness: &mut Window, label: &str, text: &str) {
    harness.get_by_label(label).hover();
    wait_for(harness, text, |h| has_label(h, text));
}

fn tab_count(harness: &Window) -> usize {
    harness.state().tabs().len()
}

fn new_tab(harness: &mut Window) {
    let shown = format!("New tab ({})", keys(harness, CommandId::NewTab));
    hover_shows(harness, CommandId::NewTab.label(), &shown);
    let before = tab_count(harness);
    press(harness, CommandId::NewTab);
    assert_eq!(tab_count(harness), before + 1);
    assert_eq!(
        harness.state().active_tab(),
        before,
        "the new tab is active"
    );
    harness.get_by_label(CommandId::NewTab.label()).click();
    harness.step();
    assert_eq!(tab_count(harness), before + 2, "+ does the same");
}

fn close_tab(harness: &mut Window) {
    new_tab(harness);
    let closing = harness.state().tabs()[harness.state().active_tab()].id;
    let before = tab_count(harness);
    press(harness, CommandId::CloseTab);
    assert_eq!(tab_count(harness), before - 1);
    assert!(
        harness.state().tabs().iter().all(|tab| tab.id != closing),
        "the active tab was closed"
    );
    // A pointer on × shows what it does and its keys; a click there closes that tab
    // (not the active one), as Ctrl+W closes the active one.
    let shown = format!("Close tab ({})", keys(harness, CommandId::CloseTab));
    let first = harness.state().tabs()[0].id;
    harness
        .get_all_by_label(CommandId::CloseTab.label())
        .next()
        .expect("a × button")
        .hover();
    wait_for(harness, &shown, |h| has_label(h, &shown));
    harness
        .get_all_by_label(CommandId::CloseTab.label())
        .next()
        .expect("a × button")
        .click();
    harness.step();
    harness.step();
    assert_eq!(tab_count(harness), before - 2, "× closes its tab");
    assert!(harness.state().tabs().iter().all(|tab| tab.id != first));
    // A click on a tab's title still selects it.
    let title = harness.state().tabs()[0].title();
    harness.get_by_label(&title).click();
    harness.step();
    assert_eq!(harness.state().active_tab(), 0);
}

/// The File menu's entry for `command` shows its keys; they and the entry open the same
/// prompt (no file dialog exists here), headed `heading`.
fn file_prompt(harness: &mut Window, command: CommandId, heading: &str) {
    let entry = format!("{} {}", command.label(), keys(harness, command));
    harness.get_by_label("File").click();
    wait_for(harness, &entry, |h| has_label(h, &entry));
    harness.key_press(egui::Key::Escape);
    harness.step();
    press(harness, command);
    wait_for(harness, heading, |h| has_label(h, heading));
    harness.get_by_label("Cancel").click();
    wait_for(harness, "no prompt", |h| !has_label(h, heading));
    menu(harness, "File", &entry);
    wait_for(harness, heading, |h| has_label(h, heading));
}

/// A tab that received the demo server's ticker: 9 events, 6 of them "tick" messages.
fn ticker(config: &tempfile::TempDir) -> Window {
    let mut harness = window(config, "/json?count=6");
    harness.get_by_label(CommandId::Connect.label()).click();
    wait_for(&mut harness, "the ticks", |h| {
        h.state().tabs()[0].timeline.len() == 9
    });
    harness
}

fn send(config: &tempfile::TempDir) {
    let mut harness = window(config, "/echo");
    harness.get_by_label(CommandId::Connect.label()).click();
    wait_for(&mut harness, "OPEN", |h| has_label(h, "OPEN"));
    harness.get_by_label("Message").type_text("hello");
    harness.step();
    let shown = format!("Send the message ({})", keys(&harness, CommandId::Send));
    hover_shows(&mut harness, CommandId::Send.label(), &shown);
    let echoes = |h: &Window| h.state().tabs()[0].timeline.len();
    let before = echoes(&harness);
    press(&mut harness, CommandId::Send);
    wait_for(&mut harness, "the echo", |h| echoes(h) == before + 2);
    harness.get_by_label(CommandId::Send.label()).click();
    wait_for(&mut harness, "the second echo", |h| echoes(h) == before + 4);
}

fn focus_search(config: &tempfile::TempDir) {
    let mut harness = window(config, "/echo");
    // The field's hint (not in the accessibility tree) is the shortcut.
    let hint = CommandId::FocusSearch.hover_text(&harness.ctx);
    assert_eq!(hint, Some(keys(&harness, CommandId::FocusSearch)));
    let field = CommandId::FocusSearch.label();
    assert!(!harness.get_by_label(field).is_focused());
    press(&mut harness, CommandId::FocusSearch);
    assert!(harness.get_by_label(field).is_focused());
}

/// F3 and Next, Shift+F3 and Previous step through the matches alike.
fn step_search(config: &tempfile::TempDir, command: CommandId, button_after: Option<usize>) {
    let mut harness = ticker(config);
    let hover = command.hover_text(&harness.ctx).expect("a hover text");
    assert!(hover.contains(&keys(&harness, command)));
    press(&mut harness, CommandId::FocusSearch);
    harness
        .get_by_label(CommandId::FocusSearch.label())
        .type_text("tick");
    wait_for(&mut harness, "the count", |h| has_label(h, "6 matches"));
    // Rows 2..=7 match; from none selected, the next is 2 and the previous wraps to 7.
    let selected = |h: &Window| h.state().tabs()[0].selected;
    press(&mut harness, CommandId::NextMatch);
    press(&mut harness, CommandId::NextMatch);
    assert_eq!(selected(&harness), Some(3));
    press(&mut harness, command);
    let by_key = selected(&harness);
    harness.get_by_label(command.label()).click();
    harness.step();
    assert_eq!(selected(&harness), button_after, "the button steps on");
    assert_eq!(
        by_key,
        if command == CommandId::NextMatch {
            Some(4)
        } else {
            Some(2)
        }
    );
    hover_shows(&mut harness, command.label(), &hover);
}

#[test]
fn every_shortcut_in_the_table_does_what_its_entry_does_and_is_shown() {
    let config = tempfile::tempdir().expect("a config dir");
    for command in CommandId::ALL {
        if command.shortcut().is_none() {
            continue;
        }
        match command {
            CommandId::NewTab => new_tab(&mut window(&config, "/echo")),
            CommandId::CloseTab => close_tab(&mut window(&config, "/echo")),
            CommandId::OpenSession => {
                file_prompt(&mut window(&config, "/echo"), command, "Open session");
            }
            CommandId::SaveSession => {
                file_prompt(&mut window(&config, "/echo"), command, "Save session as");
            }
            CommandId::Send => send(&config),
            CommandId::FocusSearch => focus_search(&config),
            CommandId::NextMatch => step_search(&config, command, Some(5)),
            CommandId::PreviousMatch => step_search(&config, command, Some(7)),
            other => panic!("{other:?} has a shortcut and no check here: add one"),
        }
    }
}

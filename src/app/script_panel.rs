//! The Script panel of a tab (issue 22): the script's editor with JavaScript highlighting
//! and its compile error at its line, the Tests (pass or fail each, why, and the row that
//! decided it), the script's log, and Run again. No I/O: the tab runs the script.

use egui::{Color32, RichText};

use super::action::TabAction;
use super::tab::Tab;
use super::tab_script::ScriptLine;
use crate::engine::ReadyState;

/// Draws the panel; what it asks for goes to `actions`.
pub fn ui(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<TabAction>) {
    ui.horizontal(|ui| {
        ui.heading("Script");
        let state = tab.ready_state();
        let idle = state == ReadyState::Closed;
        let rerun = ui
            .add_enabled(idle, egui::Button::new("Run again"))
            .on_hover_text("Connect again and run the script from the start")
            .on_disabled_hover_text("The script runs with the connection: disconnect first");
        if rerun.clicked() {
            actions.push(TabAction::Connect);
        }
        if ui
            .button("Check")
            .on_hover_text("Compile the script and show its first error")
            .clicked()
        {
            tab.check_script();
        }
        if tab.script.running() {
            ui.label(RichText::new("running").color(ok_color(ui)));
        }
    });
    ui.separator();
    editor(ui, tab);
    if let Some(error) = &tab.script.load_error {
        let text = match error.position {
            Some((line, column)) => format!("Line {line}, column {column}: {}", error.message),
            None => error.message.clone(),
        };
        ui.colored_label(ui.visuals().error_fg_color, text);
    }
    ui.separator();
    tests(ui, tab);
    ui.separator();
    log(ui, tab);
}

fn ok_color(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(110, 200, 120)
    } else {
        Color32::from_rgb(30, 130, 50)
    }
}

/// The code editor: highlighted as JavaScript, the error's line marked in its gutter.
fn editor(ui: &mut egui::Ui, tab: &mut Tab) {
    let theme = egui_extras::syntax_highlighting::CodeTheme::from_style(ui.style());
    let error_line = tab
        .script
        .load_error
        .as_ref()
        .and_then(|error| error.position)
        .map(|(line, _)| line);
    let mut layouter = |ui: &egui::Ui, text: &dyn egui::TextBuffer, wrap_width: f32| {
        let mut job = egui_extras::syntax_highlighting::highlight(
            ui.ctx(),
            ui.style(),
            &theme,
            text.as_str(),
            "js",
        );
        // Not wrapped, so that the gutter's numbers stay beside their lines.
        let _ = wrap_width;
        job.wrap.max_width = f32::INFINITY;
        ui.fonts_mut(|fonts| fonts.layout_job(job))
    };
    egui::ScrollArea::both()
        .id_salt(("script-editor", tab.id))
        .max_height(ui.available_height() * 0.5)
        .show(ui, |ui| {
            ui.horizontal_top(|ui| {
                let lines = tab.setup.script.lines().count().max(1);
                let gutter: String = (1..=lines)
                    .map(|n| {
                        if Some(n as u32) == error_line {
                            format!("> {n}\n")
                        } else {
                            format!("{n}\n")
                        }
                    })
                    .collect();
                ui.label(RichText::new(gutter).monospace().weak());
                ui.add(
                    egui::TextEdit::multiline(&mut tab.setup.script)
                        .id_salt(("script-text", tab.id))
                        .code_editor()
                        .desired_rows(12)
                        .desired_width(f32::INFINITY)
                        .hint_text("function onMessage(msg) { … }  test(\"name\", () => expect(1).toBe(1));")
                        .layouter(&mut layouter),
                );
            });
        });
}

/// The Tests: one row per test, pass or fail, why, and the row that decided it.
fn tests(ui: &mut egui::Ui, tab: &mut Tab) {
    let (passed, failed) = tab.script.counts();
    ui.horizontal(|ui| {
        ui.strong("Tests");
        if tab.script.ran {
            ui.label(format!("{passed} passed, {failed} failed"));
        }
    });
    if tab.script.results.is_empty() {
        ui.label(RichText::new("No test has finished yet.").weak());
        return;
    }
    let mut select = None;
    egui::ScrollArea::vertical()
        .id_salt(("script-tests", tab.id))
        .max_height(160.0)
        .show(ui, |ui| {
            for result in &tab.script.results {
                ui.horizontal_wrapped(|ui| {
                    if result.passed {
                        ui.colored_label(ok_color(ui), format!("PASS {}", result.name));
                    } else {
                        let error = ui.visuals().error_fg_color;
                        ui.colored_label(error, format!("FAIL {}", result.name));
                    }
                    ui.label(RichText::new(format!("{:.0} ms", result.time_ms)).weak());
                    if let Some(row) = result.decided_by
                        && ui
                            .small_button(format!("#{row}"))
                            .on_hover_text("Select the message that decided it")
                            .clicked()
                    {
                        select = Some(row as usize);
                    }
                });
                if let Some(message) = &result.message {
                    ui.label(RichText::new(message).color(ui.visuals().error_fg_color));
                }
            }
        });
    if let Some(row) = select {
        tab.selected = Some(row);
        tab.follow = false;
    }
}

/// The script's log and errors.
fn log(ui: &mut egui::Ui, tab: &Tab) {
    ui.strong("Log");
    if tab.script.lines.is_empty() {
        ui.label(RichText::new("Nothing logged.").weak());
        return;
    }
    egui::ScrollArea::vertical()
        .id_salt(("script-log", tab.id))
        .stick_to_bottom(true)
        .show(ui, |ui| {
            for line in &tab.script.lines {
                match line {
                    ScriptLine::Log(text) => {
                        ui.label(RichText::new(text).monospace());
                    }
                    ScriptLine::Error(text) => {
                        ui.label(RichText::new(text).color(ui.visuals().error_fg_color));
                    }
                }
            }
        });
}

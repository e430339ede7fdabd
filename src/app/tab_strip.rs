//! The tab strip: one tab per connection with a state dot, × to close, + to add.

use egui::{RichText, Sense};

use super::action::{Action, TabAction};
use super::commands::CommandId;
use super::style;
use super::tab::Tab;

/// Draws the strip; clicking a tab selects it.
pub fn ui(ui: &mut egui::Ui, tabs: &[Tab], active: usize, actions: &mut Vec<Action>) {
    egui::ScrollArea::horizontal()
        .id_salt("tab-strip")
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                for (index, tab) in tabs.iter().enumerate() {
                    tab_button(ui, tab, index == active, actions);
                }
                if CommandId::NewTab.button(ui, |text| text.strong()).clicked() {
                    actions.push(Action::NewTab);
                }
                if CommandId::NewProxyTab.button(ui, |text| text).clicked() {
                    actions.push(Action::NewProxyTab);
                }
                if CommandId::NewServerTab.button(ui, |text| text).clicked() {
                    actions.push(Action::NewServerTab);
                }
            });
        });
}

fn tab_button(ui: &mut egui::Ui, tab: &Tab, selected: bool, actions: &mut Vec<Action>) {
    let fill = if selected {
        ui.visuals().selection.bg_fill.gamma_multiply(0.6)
    } else {
        ui.visuals().faint_bg_color
    };
    // The tab's background senses clicks through its Ui, registered before the widgets
    // inside, so × and the title stay on top of it and get their own clicks and hovers.
    let background = ui.scope_builder(egui::UiBuilder::new().sense(Sense::click()), |ui| {
        egui::Frame::new()
            .fill(fill)
            .corner_radius(4.0)
            .inner_margin(egui::Margin::symmetric(8, 3))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let color = style::state_color(tab.ready_state(), tab.last_close_clean());
                    style::state_dot(ui, color).on_hover_text(tab.ready_state().as_str());
                    let title = ui.add(
                        egui::Label::new(RichText::new(tab.title()).strong())
                            .sense(Sense::click())
                            .truncate(),
                    );
                    if title.clicked() {
                        actions.push(Action::Tab(tab.id, TabAction::Select));
                    }
                    let close = ui.small_button(CommandId::CloseTab.label());
                    if CommandId::CloseTab.with_hover(close).clicked() {
                        actions.push(Action::Tab(tab.id, TabAction::CloseTab));
                    }
                });
            });
    });
    if background.response.clicked() {
        actions.push(Action::Tab(tab.id, TabAction::Select));
    }
}

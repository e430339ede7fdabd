//! A proxy tab's rule editor: each rule's switch, the leg its messages come from, how it
//! matches (contains, regex, JSON filter) and what it does (replace, drop, delay). A change
//! asks for the rules to be compiled and applied; they are saved with the tab.

use egui::RichText;

use super::action::TabAction;
use super::proxy_panel::push;
use super::proxy_tab::ProxyAction;
use super::tab::Tab;
use crate::engine::Leg;
use crate::model::proxy_setup::ProxySetup;
use crate::proxy::{ProxyRuleSpec, RuleAction, RuleMatch};

/// The rules: from which leg, match by contains/regex/JSON, then replace/drop/delay.
pub(super) fn ui(ui: &mut egui::Ui, tab: &mut Tab, actions: &mut Vec<TabAction>) {
    ui.label(RichText::new("Rules (run without pausing)").strong());
    let id = tab.id;
    let error = tab.proxy.as_ref().and_then(|p| p.rules_error.clone());
    let setup = tab.setup.proxy.get_or_insert_with(ProxySetup::default);
    let mut changed = false;
    let mut remove = None;
    for (at, rule) in setup.rules.iter_mut().enumerate() {
        ui.push_id(("proxy-rule", id, at), |ui| {
            ui.horizontal(|ui| {
                changed |= ui.checkbox(&mut rule.enabled, "Rule on").changed();
                changed |= from_picker(ui, &mut rule.from);
                changed |= match_picker(ui, &mut rule.when);
            });
            ui.horizontal(|ui| {
                ui.add_space(24.0);
                changed |= action_picker(ui, &mut rule.then);
                if ui
                    .small_button("×")
                    .on_hover_text("Remove this rule")
                    .clicked()
                {
                    remove = Some(at);
                }
            });
        });
    }
    if let Some(at) = remove {
        setup.rules.remove(at);
        changed = true;
    }
    if ui.button("Add rule").clicked() {
        setup.rules.push(ProxyRuleSpec {
            from: Some(Leg::Client),
            when: RuleMatch::Contains(String::new()),
            then: RuleAction::Drop,
            enabled: false,
        });
    }
    if let Some(error) = error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    if changed {
        push(actions, ProxyAction::ApplyRules);
    }
}

fn from_picker(ui: &mut egui::Ui, from: &mut Option<Leg>) -> bool {
    let name = |from: Option<Leg>| match from {
        Some(Leg::Client) => "client -> upstream",
        Some(Leg::Upstream) => "upstream -> client",
        None => "both ways",
    };
    let before = *from;
    egui::ComboBox::from_id_salt("from")
        .selected_text(name(*from))
        .width(130.0)
        .show_ui(ui, |ui| {
            for choice in [Some(Leg::Client), Some(Leg::Upstream), None] {
                ui.selectable_value(from, choice, name(choice));
            }
        });
    *from != before
}

fn match_picker(ui: &mut egui::Ui, when: &mut RuleMatch) -> bool {
    let mut kind = when.kind_name();
    let mut pattern = when.pattern().to_string();
    egui::ComboBox::from_id_salt("match")
        .selected_text(kind)
        .width(80.0)
        .show_ui(ui, |ui| {
            for choice in ["contains", "regex", "json"] {
                ui.selectable_value(&mut kind, choice, choice);
            }
        });
    let hint = match kind {
        "json" => "$.type == \"ping\"",
        "regex" => "^sub:\\w+$",
        _ => "text",
    };
    let label = ui.label("Match");
    ui.add(
        egui::TextEdit::singleline(&mut pattern)
            .hint_text(hint)
            .desired_width(ui.available_width()),
    )
    .labelled_by(label.id);
    let new = match kind {
        "regex" => RuleMatch::Regex(pattern),
        "json" => RuleMatch::Json(pattern),
        _ => RuleMatch::Contains(pattern),
    };
    let changed = new != *when;
    *when = new;
    changed
}

fn action_picker(ui: &mut egui::Ui, then: &mut RuleAction) -> bool {
    let kind = match then {
        RuleAction::Replace(_) => "replace with",
        RuleAction::Drop => "drop",
        RuleAction::DelayMs(_) => "delay (ms)",
    };
    let mut chosen = kind;
    egui::ComboBox::from_id_salt("action")
        .selected_text(kind)
        .width(100.0)
        .show_ui(ui, |ui| {
            for choice in ["replace with", "drop", "delay (ms)"] {
                ui.selectable_value(&mut chosen, choice, choice);
            }
        });
    let before = then.clone();
    if chosen != kind {
        *then = match chosen {
            "replace with" => RuleAction::Replace(String::new()),
            "delay (ms)" => RuleAction::DelayMs(100),
            _ => RuleAction::Drop,
        };
    }
    match then {
        RuleAction::Replace(with) => {
            let label = ui.label("With");
            ui.add(egui::TextEdit::singleline(with).desired_width(140.0))
                .labelled_by(label.id);
        }
        RuleAction::DelayMs(ms) => {
            ui.add(egui::DragValue::new(ms).range(0..=600_000).suffix(" ms"));
        }
        RuleAction::Drop => {}
    }
    *then != before
}

//! "Decode as ▸": the one click that changes a wrong guess, for one message or for the
//! whole tab. Shown in a timeline row's context menu and in the detail pane.

use egui::Ui;

use super::{Outcome, RowDecode};
use crate::format::decode::{DecodeSpec, Step};

/// What the user chose in a "Decode as" menu.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeChoice {
    /// Decode this one message by the spec (`None`: by the tab's choice again).
    Message(Option<DecodeSpec>),
    /// Decode every message of the tab by the spec (saved with the tab).
    Tab(DecodeSpec),
}

/// The chains offered for one message (`zlib-stream` needs every message of the
/// connection, so it is offered for the whole tab only).
const MESSAGE_CHAINS: &[&[Step]] = &[
    &[Step::Msgpack],
    &[Step::Cbor],
    &[Step::Protobuf],
    &[Step::ProtobufRaw],
    &[Step::Json],
    &[Step::Gzip, Step::Json],
    &[Step::Gzip, Step::Msgpack],
    &[Step::Gzip],
    &[Step::Zlib, Step::Json],
    &[Step::Zlib, Step::Msgpack],
    &[Step::Zlib],
    &[Step::Deflate, Step::Json],
    &[Step::Deflate],
];

/// The chains offered for the whole tab.
const TAB_CHAINS: &[&[Step]] = &[&[Step::ZlibStream, Step::Json], &[Step::ZlibStream]];

/// Every choice for one message: auto, none and the chains.
pub fn message_choices() -> Vec<DecodeSpec> {
    let mut choices = vec![DecodeSpec::Auto, DecodeSpec::None];
    choices.extend(
        MESSAGE_CHAINS
            .iter()
            .map(|steps| DecodeSpec::Chain(steps.to_vec())),
    );
    choices
}

/// Every choice for the tab: those for a message and the `zlib-stream` chains.
pub fn tab_choices() -> Vec<DecodeSpec> {
    let mut choices = message_choices();
    choices.extend(
        TAB_CHAINS
            .iter()
            .map(|steps| DecodeSpec::Chain(steps.to_vec())),
    );
    choices
}

/// What the menu knows of the message and its tab.
#[derive(Clone, Copy, Debug)]
pub struct MenuContext<'a> {
    /// The tab's choice.
    pub tab_spec: &'a DecodeSpec,
    /// The choice made for this message, if one was.
    pub message_spec: Option<&'a DecodeSpec>,
    /// What decoding made of the message, if anything.
    pub row: Option<&'a RowDecode>,
    /// True when the tab has a Protobuf message type (else `protobuf` is off).
    pub has_proto: bool,
}

/// The "Decode as" submenu: the message's choices, then "Use … for the whole tab" and a
/// "Whole tab" submenu. Returns what was chosen (the menu closes).
pub fn decode_as_menu(ui: &mut Ui, cx: MenuContext<'_>) -> Option<DecodeChoice> {
    let mut choice = None;
    ui.menu_button("Decode as", |ui| {
        choice = choices_ui(ui, cx);
    });
    choice
}

/// The choices themselves, for a menu already open (the detail pane's button).
pub fn choices_ui(ui: &mut Ui, cx: MenuContext<'_>) -> Option<DecodeChoice> {
    let mut choice = None;
    let tab_label = format!("The tab's choice ({})", cx.tab_spec);
    if ui
        .radio(cx.message_spec.is_none(), tab_label)
        .on_hover_text("Decode this message as the rest of the tab")
        .clicked()
    {
        choice = Some(DecodeChoice::Message(None));
    }
    for spec in message_choices() {
        let name = spec.to_string();
        let enabled = cx.has_proto || !needs_proto(&spec);
        let chosen = cx.message_spec == Some(&spec);
        let response = ui
            .add_enabled(enabled, egui::RadioButton::new(chosen, name))
            .on_disabled_hover_text("Needs a Protobuf schema and message type (tab settings)");
        if response.clicked() {
            choice = Some(DecodeChoice::Message(Some(spec)));
        }
    }
    ui.separator();
    let current = cx.message_spec.cloned().or_else(|| {
        cx.row
            .filter(|row| !matches!(row.outcome, Outcome::Error(_)))
            .and_then(|row| row.format.parse().ok())
    });
    if let Some(spec) = current.filter(|spec| spec != cx.tab_spec) {
        let label = format!("Use {spec} for the whole tab");
        if ui
            .button(label)
            .on_hover_text("Decode every message of the tab this way (saved with the tab)")
            .clicked()
        {
            choice = Some(DecodeChoice::Tab(spec));
        }
    }
    ui.menu_button("Whole tab", |ui| {
        for spec in tab_choices() {
            let enabled = cx.has_proto || !needs_proto(&spec);
            let response = ui.add_enabled(
                enabled,
                egui::RadioButton::new(&spec == cx.tab_spec, spec.to_string()),
            );
            if response.clicked() {
                choice = Some(DecodeChoice::Tab(spec));
            }
        }
    });
    if choice.is_some() {
        ui.close();
    }
    choice
}

/// True when `spec` cannot run without a Protobuf message type.
fn needs_proto(spec: &DecodeSpec) -> bool {
    matches!(spec, DecodeSpec::Chain(steps) if steps.contains(&Step::Protobuf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_prints_as_a_spec_that_parses_back() {
        for spec in tab_choices() {
            let text = spec.to_string();
            assert_eq!(text.parse::<DecodeSpec>().ok(), Some(spec), "{text}");
        }
        assert!(
            !message_choices()
                .iter()
                .any(|spec| spec.to_string().contains("zlib-stream")),
            "zlib-stream needs the whole connection"
        );
    }
}

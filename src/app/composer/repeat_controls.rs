//! The repeat controls beside Send: `Repeat every [1000 ms] [Start]`, or while running,
//! `Sending every 1000 ms: 12 sent [Stop]`.

use std::time::Duration;

use egui::RichText;

use super::ComposerState;
use crate::app::action::TabAction;
use crate::app::repeat::{MAX_EVERY, MIN_EVERY};

/// A running repeat as the composer shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repeating {
    /// The interval.
    pub every: Duration,
    /// Sends so far.
    pub sent: u64,
}

/// Draws the repeat controls into the (horizontal) `ui`; Start needs what Send needs
/// (`can_send`).
pub fn ui(
    ui: &mut egui::Ui,
    composer: &mut ComposerState,
    repeating: Option<Repeating>,
    can_send: bool,
    actions: &mut Vec<TabAction>,
) {
    if let Some(Repeating { every, sent }) = repeating {
        ui.label(
            RichText::new(format!(
                "Sending every {} ms: {sent} sent",
                every.as_millis()
            ))
            .strong(),
        );
        if ui
            .button("Stop")
            .on_hover_text("Stop sending the message again")
            .clicked()
        {
            actions.push(TabAction::StopRepeat);
        }
        return;
    }
    let label = ui.label("Repeat every");
    let mut ms = u64::try_from(composer.repeat_every.as_millis()).unwrap_or(u64::MAX);
    let min = u64::try_from(MIN_EVERY.as_millis()).unwrap_or(10);
    let max = u64::try_from(MAX_EVERY.as_millis()).unwrap_or(u64::MAX);
    ui.add(egui::DragValue::new(&mut ms).range(min..=max).suffix(" ms"))
        .labelled_by(label.id);
    composer.repeat_every = Duration::from_millis(ms);
    let start = ui
        .add_enabled(can_send, egui::Button::new("Start"))
        .on_hover_text(
            "Send this message now and again at this interval (variables are expanded \
             each time) until Stop, a failed send, or the connection closes",
        )
        .on_disabled_hover_text("Start needs what Send needs");
    if start.clicked() {
        actions.push(TabAction::StartRepeat(composer.draft()));
    }
}

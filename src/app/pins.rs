//! Pins: rows the user marked with a note, listed for quick jumps.

pub use crate::model::tab_setup::Pin;

/// Pins `index` (once); returns true when it was not pinned before.
pub fn pin(pins: &mut Vec<Pin>, index: usize) -> bool {
    if pins.iter().any(|p| p.index == index) {
        return false;
    }
    let at = pins.partition_point(|p| p.index < index);
    pins.insert(
        at,
        Pin {
            index,
            note: String::new(),
        },
    );
    true
}

/// Draws the pins list: a note field, "Go to" and "Unpin" per pin. Returns the entry to jump to.
pub fn ui(ui: &mut egui::Ui, pins: &mut Vec<Pin>, selected: Option<usize>) -> Option<usize> {
    let mut jump = None;
    let mut remove = None;
    ui.horizontal(|ui| {
        if ui
            .add_enabled(selected.is_some(), egui::Button::new("Pin selected row"))
            .clicked()
            && let Some(index) = selected
        {
            pin(pins, index);
        }
        if pins.is_empty() {
            ui.weak("No pins yet: pin a row here or from its right-click menu.");
        }
    });
    for (n, pin) in pins.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            if ui.button(format!("Go to #{}", pin.index)).clicked() {
                jump = Some(pin.index);
            }
            let label = ui.label(format!("Note for #{}", pin.index));
            ui.add(egui::TextEdit::singleline(&mut pin.note).desired_width(260.0))
                .labelled_by(label.id);
            if ui.small_button("Unpin").clicked() {
                remove = Some(n);
            }
        });
    }
    if let Some(n) = remove {
        pins.remove(n);
    }
    jump
}

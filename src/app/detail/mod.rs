//! The detail pane for the selected timeline event.
//! (TEMPORARY STUB written by the lead so the crate compiles; the detail-pane helper
//! replaces this whole file freely.)

/// The selected event and a key that changes whenever the selection does.
pub struct Selected<'a> {
    /// Cache key.
    pub key: u64,
    /// The event.
    pub event: &'a crate::engine::Event,
}

/// The detail pane.
#[derive(Default)]
pub struct DetailPane {}

impl DetailPane {
    /// Draws the pane.
    pub fn ui(&mut self, ui: &mut egui::Ui, selected: Option<Selected<'_>>) {
        if let Some(selected) = selected {
            ui.label(format!("{:?}", selected.event.kind.name()));
        }
    }
}

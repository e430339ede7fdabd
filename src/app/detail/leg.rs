//! Which leg of a proxied connection the selected event happened on, and which way it went
//! there, in words: a proxy's timeline holds both legs, and `↓ in` alone does not say from
//! whom.

use egui::{RichText, Ui};

use crate::engine::{Direction, EventKind, Leg};

/// `Client leg · from the client to Sockscope`, or `Upstream leg (Sockscope ↔ the server)`
/// for an event that has no direction.
pub fn leg_text(leg: Leg, kind: &EventKind) -> String {
    let dir = match kind {
        EventKind::Message { dir, .. }
        | EventKind::Ping { dir, .. }
        | EventKind::Pong { dir, .. } => Some(*dir),
        _ => None,
    };
    let (name, peer) = match leg {
        Leg::Client => ("Client leg", "the client"),
        Leg::Upstream => ("Upstream leg", "the server"),
    };
    match dir {
        Some(Direction::In) => format!("{name} · from {peer} to Sockscope"),
        Some(Direction::Out) => format!("{name} · from Sockscope to {peer}"),
        None => format!("{name} (Sockscope ↔ {peer})"),
    }
}

/// The leg line, above the event's own details.
pub fn ui(ui: &mut Ui, leg: Leg, kind: &EventKind) {
    ui.label(RichText::new(leg_text(leg, kind)).strong());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Payload;

    #[test]
    fn says_the_leg_and_who_sent_it() {
        let message = |dir| EventKind::Message {
            dir,
            payload: Payload::Text("x".into()),
        };
        assert_eq!(
            leg_text(Leg::Client, &message(Direction::In)),
            "Client leg · from the client to Sockscope"
        );
        assert_eq!(
            leg_text(Leg::Upstream, &message(Direction::Out)),
            "Upstream leg · from Sockscope to the server"
        );
        assert_eq!(
            leg_text(
                Leg::Upstream,
                &EventKind::Connecting {
                    url: "ws://x".into()
                }
            ),
            "Upstream leg (Sockscope ↔ the server)"
        );
    }
}

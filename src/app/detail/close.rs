//! The close event, the forensics people come for: the code and its name, what it means,
//! the reason, whether the close was clean, who closed, how long the closing handshake took,
//! and what happened in plain English.

use egui::{Label, RichText, ScrollArea, Ui};

use super::widgets::{self, BAD, GOOD};
use crate::engine::close_code::describe;
use crate::engine::{CloseInfo, Initiator};
use crate::model::timeline::EntryRef;

/// Shows a close event.
pub fn ui(ui: &mut Ui, event: &EntryRef<'_>, close: &CloseInfo) {
    let verdict = if close.was_clean { GOOD } else { BAD };
    ui.horizontal_wrapped(|ui| {
        widgets::title(ui, "Close", verdict);
        widgets::time_labels(ui, event.wall_time, event.offset, event.seq);
    });
    ui.separator();
    ScrollArea::vertical()
        .id_salt("detail-close")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let info = describe(close.code);
            ui.add(Label::new(RichText::new(info.to_string()).size(24.0).strong()).wrap());
            widgets::fact(ui, "Meaning", info.meaning, None);
            ui.add_space(6.0);
            widgets::fact(ui, "Reason", &reason_text(&close.reason), None);
            widgets::fact(
                ui,
                "Clean close",
                if close.was_clean { "yes" } else { "no" },
                Some(verdict),
            );
            widgets::fact(ui, "Closed by", closed_by_text(close.initiator), None);
            let handshake = close
                .closing_handshake
                .map_or_else(|| "—".to_owned(), widgets::millis_text);
            widgets::fact(ui, "Closing handshake", &handshake, None);
            ui.add_space(10.0);
            ui.label(RichText::new("What happened").strong());
            ui.add(Label::new(explain(close)).wrap());
        });
}

/// The reason in quotes (so spaces show), or `(no reason)`.
pub fn reason_text(reason: &str) -> String {
    if reason.is_empty() {
        "(no reason)".to_owned()
    } else {
        format!("\"{reason}\"")
    }
}

/// `client`, `server` or `nobody (connection dropped)`.
pub fn closed_by_text(initiator: Initiator) -> &'static str {
    match initiator {
        Initiator::Client => "client",
        Initiator::Server => "server",
        Initiator::None => "nobody (connection dropped)",
    }
}

/// What happened, in a sentence or two of plain English.
pub fn explain(close: &CloseInfo) -> String {
    let code = describe(close.code);
    match (close.code, close.initiator, close.was_clean) {
        (1006, ..) => "The connection ended without a close frame: the TCP connection was \
                       dropped or the handshake failed. No closing handshake took place, so \
                       the close is not clean."
            .to_owned(),
        (1015, ..) => "The TLS handshake failed, so no WebSocket connection was made.".to_owned(),
        (1005, initiator, clean) => {
            let whose = match initiator {
                Initiator::Server => "The server's close frame",
                Initiator::Client => "Sockscope's close frame",
                Initiator::None => "The close frame",
            };
            let then = if clean {
                "The closing handshake completed in both directions."
            } else {
                "The connection ended before the closing handshake completed."
            };
            format!("{whose} carried no status code. {then}")
        }
        (1002 | 1007 | 1009, Initiator::Client, false) => {
            let because = match close.code {
                1002 => {
                    "the server broke the WebSocket protocol (the error event before this one says how)"
                }
                1007 => "the server sent a text message that was not valid UTF-8",
                _ => "the server sent a message bigger than the maximum message size",
            };
            format!("Sockscope failed the connection because {because}.")
        }
        (_, Initiator::Client, true) => format!(
            "Sockscope started the closing handshake with {code}; the server answered with its \
             own close frame and the connection ended cleanly."
        ),
        (_, Initiator::Server, true) => format!(
            "The server started the closing handshake with {code}; Sockscope answered with \
             its own close frame and the connection ended cleanly."
        ),
        (_, Initiator::Client, false) => format!(
            "Sockscope started the close with {code}, but the connection ended before the \
             server answered with its close frame."
        ),
        (_, Initiator::Server, false) => format!(
            "The server sent a close frame with {code}, but the connection ended before the \
             closing handshake completed."
        ),
        (_, Initiator::None, _) => {
            "The connection ended without a complete closing handshake.".to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn close(code: u16, initiator: Initiator, was_clean: bool) -> CloseInfo {
        CloseInfo {
            code,
            reason: String::new(),
            was_clean,
            initiator,
            closing_handshake: Some(Duration::from_millis(3)),
        }
    }

    #[test]
    fn explains_the_usual_endings() {
        assert!(explain(&close(1006, Initiator::None, false)).starts_with(
            "The connection ended without a close frame: the TCP connection was dropped"
        ));
        assert!(
            explain(&close(1005, Initiator::Server, true))
                .starts_with("The server's close frame carried no status code.")
        );
        assert_eq!(
            explain(&close(1009, Initiator::Client, false)),
            "Sockscope failed the connection because the server sent a message bigger than the \
             maximum message size."
        );
        assert!(explain(&close(1007, Initiator::Client, false)).contains("not valid UTF-8"));
        assert!(
            explain(&close(1000, Initiator::Server, true))
                .starts_with("The server started the closing handshake with 1000 Normal Closure")
        );
        assert!(
            explain(&close(4001, Initiator::Client, false)).contains("before the server answered")
        );
    }

    #[test]
    fn texts_for_reason_and_initiator() {
        assert_eq!(reason_text(""), "(no reason)");
        assert_eq!(reason_text("bye"), "\"bye\"");
        assert_eq!(
            closed_by_text(Initiator::None),
            "nobody (connection dropped)"
        );
    }
}

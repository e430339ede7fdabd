//! The detail pane for the selected timeline event: everything about one event, in views
//! that stay fast for payloads of many megabytes.
//!
//! Derived views (pretty JSON and its line index, a JSON tree, a UTF-8 check and line
//! index) are built at most once per selected event, on first need, and dropped when the
//! selection changes. Every long view is virtualized: a frame lays out only visible lines.

mod binary;
mod close;
mod control;
mod decoded;
mod error;
mod job;
mod leg;
mod open;
pub(super) mod text;
mod unit;
mod widgets;
mod wire;

pub(crate) use widgets::set_clipboard_redactor;

use egui::{RichText, Ui};

use crate::app::decoding::RowDecode;
use crate::app::decoding::menu::MenuContext;
use crate::app::protocol_rows::ProtocolRow;
use crate::app::row_menu::{self, RowCommand, RowMenuContext};
use crate::app::style;
use crate::engine::{Direction, EventKind, Payload};
use crate::model::timeline::EntryRef;

/// The selected event and a key that changes whenever the selection does (used for caching).
pub struct Selected<'a> {
    /// Changes whenever the selection does.
    pub key: u64,
    /// The selected event.
    pub event: EntryRef<'a>,
    /// The payload's size when the tab did not keep it (its memory budget was reached).
    pub not_kept: Option<usize>,
    /// The event's index in its timeline, for the commands the pane offers.
    pub index: usize,
    /// Whether and how a message can be edited or sent again from its tab; `None` where
    /// nothing is sent (an SSE tab, a view without a connection).
    pub compose: Option<RowMenuContext<'a>>,
    /// How the tab decoded a binary message, and what "Decode as" needs; `None` where
    /// nothing is decoded.
    pub decode: Option<DecodeView<'a>>,
    /// The message as the tab's protocol reads it, with the protocol's name.
    pub unit: Option<(&'static str, &'a ProtocolRow)>,
}

/// How the tab decoded the selected binary message.
#[derive(Clone, Copy, Debug)]
pub struct DecodeView<'a> {
    /// What decoding made of it (`None`: nothing, as `none` or an `auto` with no match).
    pub row: Option<&'a RowDecode>,
    /// The tab's and the message's choices, for "Decode as".
    pub menu: MenuContext<'a>,
    /// Changes whenever the tab's decoding does (the pane's caches are made again).
    pub generation: u64,
}

/// The detail pane; keeps caches of derived views (pretty JSON, line index, UTF-8 check) for
/// the selected event only.
#[derive(Default)]
pub struct DetailPane {
    /// The event the caches belong to.
    shown: Option<Identity>,
    /// The text view's choice and the selected text's derived views.
    text: text::TextState,
    /// The binary view's choice and the selected payload's (or error body's) UTF-8 check.
    binary: binary::BinaryState,
    /// A binary message's choice between its decoded value and its bytes.
    binary_view: decoded::BinaryView,
    /// The protocol unit's indented fields.
    unit: unit::UnitView,
}

/// What identifies the shown event: the caller's key, plus the event's own sequence number,
/// kind and size, so that a reused key cannot show a stale cache for another event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity {
    key: u64,
    seq: u64,
    kind: &'static str,
    len: usize,
    /// The decoding's generation and the decoded text's length, if any.
    decoded: Option<(u64, usize)>,
}

impl Identity {
    fn of(selected: &Selected<'_>) -> Self {
        let event = &selected.event;
        let len = match event.kind {
            EventKind::Message { payload, .. } => payload.len(),
            EventKind::Ping { payload, .. } | EventKind::Pong { payload, .. } => payload.len(),
            EventKind::Error(error) => error.http.as_ref().map_or(0, |http| http.body.len()),
            _ => 0,
        };
        Identity {
            key: selected.key,
            seq: event.seq,
            kind: event.kind.name(),
            len,
            decoded: selected.decode.map(|decode| {
                let text = decode.row.and_then(RowDecode::text).map_or(0, |t| t.len());
                (decode.generation, text)
            }),
        }
    }
}

impl DetailPane {
    /// Draws the details of `selected` (or a hint when nothing is selected) in all of `ui`;
    /// returns a command for a message (edit it, send it again) when one was chosen.
    pub fn ui(&mut self, ui: &mut Ui, selected: Option<Selected<'_>>) -> Option<RowCommand> {
        let Some(selected) = selected else {
            self.forget();
            ui.centered_and_justified(|ui| {
                ui.label(
                    RichText::new("Select an event in the timeline to see its details").weak(),
                );
            });
            return None;
        };
        let identity = Identity::of(&selected);
        let fresh = self.shown != Some(identity);
        if fresh {
            self.forget();
            self.shown = Some(identity);
        }
        let event = &selected.event;
        let mut command = None;
        if let Some(leg) = event.leg {
            leg::ui(ui, leg, event.kind);
        }
        match event.kind {
            EventKind::Connecting { url } => connecting(ui, event, url),
            EventKind::Open(open) => open::ui(ui, event, open),
            EventKind::Message { dir, payload } => {
                message_header(ui, event, *dir, payload, selected.not_kept);
                if let (Some(cx), None) = (selected.compose, selected.not_kept) {
                    command = ui
                        .horizontal(|ui| row_menu::compose_buttons(ui, payload, selected.index, cx))
                        .inner;
                }
                if let Some(form) = event.wire {
                    wire::ui(ui, form, payload.len(), fresh);
                }
                ui.separator();
                if let Some(len) = selected.not_kept {
                    not_kept(ui, len);
                    return command;
                }
                if let Some((protocol, unit)) = selected.unit {
                    self.unit.ui(ui, protocol, unit);
                    ui.separator();
                    ui.label(RichText::new("Frame, as sent on the wire").strong());
                }
                match payload {
                    Payload::Text(text) => self.text.ui(ui, text::Shown::Message(text), fresh),
                    Payload::Binary(bytes) if selected.unit.is_some() => {
                        // The protocol read the frame; its bytes are shown as they were.
                        self.binary.ui(ui, bytes, fresh);
                    }
                    Payload::Binary(bytes) => match &selected.decode {
                        Some(decode) => {
                            let choice = decoded::ui(
                                ui,
                                &mut self.binary_view,
                                &mut self.text,
                                &mut self.binary,
                                bytes,
                                decode,
                                fresh,
                            );
                            if let Some(choice) = choice {
                                command = Some(row_menu::decode_command(selected.index, choice));
                            }
                        }
                        None => self.binary.ui(ui, bytes, fresh),
                    },
                }
            }
            EventKind::Ping { dir, payload } => {
                control::ui(ui, event, control::Control::Ping, *dir, payload);
            }
            EventKind::Pong { dir, payload, auto } => {
                control::ui(
                    ui,
                    event,
                    control::Control::Pong { auto: *auto },
                    *dir,
                    payload,
                );
            }
            EventKind::Error(error) => {
                error::ui(ui, event, error, &mut self.binary, fresh);
                self.ending_unit(ui, &selected);
            }
            EventKind::Close(close) => {
                close::ui(ui, event, close);
                self.ending_unit(ui, &selected);
            }
            EventKind::Sse(_) if selected.not_kept.is_some() => {
                not_kept(ui, selected.not_kept.unwrap_or_default());
            }
            EventKind::Sse(sse) => self.text.ui(ui, text::Shown::Other(sse.text()), fresh),
            EventKind::Token(token) => oauth_token(ui, event, token),
            EventKind::Script(note) => script_note(ui, event, note),
            EventKind::Dropped(info) => dropped(ui, event, info),
        }
        command
    }

    /// What the tab's protocol made of a close or a refused upgrade, under its forensics.
    fn ending_unit(&mut self, ui: &mut egui::Ui, selected: &Selected<'_>) {
        if let Some((protocol, unit)) = selected.unit {
            ui.separator();
            self.unit.ui(ui, protocol, unit);
        }
    }

    /// Drops the caches of the previously shown event.
    fn forget(&mut self) {
        self.shown = None;
        self.text.reset();
        self.binary.reset();
        self.unit.reset();
    }
}

/// `↓ in  text  1.5 KiB (1536 bytes)  14:03:07.250  +1.250 s  #12`.
fn message_header(
    ui: &mut Ui,
    event: &EntryRef<'_>,
    dir: Direction,
    payload: &Payload,
    not_kept: Option<usize>,
) {
    let kind = if payload.as_text().is_some() {
        "text"
    } else {
        "binary"
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(widgets::direction_text(dir))
                .monospace()
                .strong(),
        );
        widgets::badge(ui, kind, style::kind_color(event.kind));
        ui.label(widgets::size_text(not_kept.unwrap_or(payload.len())));
        widgets::time_labels(ui, event.wall_time, event.offset, event.seq);
    });
}

/// In place of a payload the tab did not keep.
fn not_kept(ui: &mut Ui, len: usize) {
    ui.label(
        RichText::new(format!(
            "The payload ({}) was not kept: the tab's memory budget was reached when it \
             arrived. Its time, direction and size are exact. Raise the budget in the request \
             options, or clear the timeline, to keep what arrives next.",
            widgets::size_text(len)
        ))
        .color(ui.visuals().warn_fg_color),
    );
}

/// A row the tab's script wrote: a log, an error or a test's result.
fn script_note(ui: &mut Ui, event: &EntryRef<'_>, note: &crate::engine::ScriptNote) {
    ui.horizontal_wrapped(|ui| {
        widgets::title(ui, "Script", style::kind_color(event.kind));
        widgets::time_labels(ui, event.wall_time, event.offset, event.seq);
    });
    ui.separator();
    ui.label(note.line());
}

/// A proxied message that was not passed on, and who dropped it.
fn dropped(ui: &mut Ui, event: &EntryRef<'_>, dropped: &crate::engine::DroppedMessage) {
    ui.horizontal_wrapped(|ui| {
        widgets::title(ui, "Dropped", style::kind_color(event.kind));
        widgets::time_labels(ui, event.wall_time, event.offset, event.seq);
    });
    ui.separator();
    ui.label(dropped.line());
    ui.label(
        RichText::new(
            "It was not passed on to this leg. Its arrival, with the payload, is the \
             message row before this one on the other leg.",
        )
        .weak(),
    );
}

/// An OAuth 2.0 token request and its answer; the client secret and the token are never
/// kept, so they show as redacted.
fn oauth_token(ui: &mut Ui, event: &EntryRef<'_>, token: &crate::engine::TokenExchange) {
    ui.horizontal_wrapped(|ui| {
        widgets::title(ui, "OAuth 2.0 token", style::kind_color(event.kind));
        widgets::time_labels(ui, event.wall_time, event.offset, event.seq);
    });
    ui.separator();
    ui.label(RichText::new("Request").strong());
    widgets::fact(ui, "POST", &token.url, None);
    widgets::fact(ui, "grant_type", "client_credentials", None);
    widgets::fact(ui, "client_id", &token.client_id, None);
    widgets::fact(ui, "client_secret", crate::format::userinfo::MARKER, None);
    if !token.scope.is_empty() {
        widgets::fact(ui, "scope", &token.scope, None);
    }
    ui.separator();
    ui.label(RichText::new("Answer").strong());
    match &token.answer {
        Ok(granted) => {
            widgets::fact(ui, "Status", &granted.status.to_string(), None);
            widgets::fact(ui, "access_token", crate::format::userinfo::MARKER, None);
            widgets::fact(ui, "token_type", &granted.token_type, None);
            let expires = granted
                .expires_in
                .map_or_else(|| "not given".to_owned(), |s| format!("{s} s"));
            widgets::fact(ui, "expires_in", &expires, None);
            if let Some(scope) = &granted.scope {
                widgets::fact(ui, "scope", scope, None);
            }
        }
        Err(error) => widgets::fact(ui, "Error", error, None),
    }
}

/// The attempt started: its URL.
fn connecting(ui: &mut Ui, event: &EntryRef<'_>, url: &str) {
    ui.horizontal_wrapped(|ui| {
        widgets::title(ui, "Connecting", style::kind_color(event.kind));
        widgets::time_labels(ui, event.wall_time, event.offset, event.seq);
    });
    ui.separator();
    widgets::fact(ui, "URL", url, None);
    widgets::copy_button(ui, "Copy URL", || url.to_owned());
    ui.label(
        RichText::new(
            "DNS, TCP, TLS and the HTTP upgrade follow; the open or error event says how it went.",
        )
        .small()
        .weak(),
    );
}

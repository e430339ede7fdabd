//! What a tab does with single messages: send one from the timeline again, put one into
//! the composer, and run the composer's repeat.

use std::time::Instant;

use super::action::Draft;
use super::background::{Background, JobDone};
use super::repeat::Repeat;
use super::row_menu;
use super::style::format_size;
use super::tab::Tab;
use crate::engine::{EventKind, Payload, ReadyState, SendError};
use crate::format::hex::to_hex_lines;
use crate::format::json;
use crate::format::variables;
use crate::model::template::MessageFormat;

impl Tab {
    /// Sends the repeat's message when it is due at `now`, and ends the repeat when the
    /// connection left OPEN or a send failed (saying why under Send). Returns when the
    /// next send is due, while the repeat runs.
    pub fn run_repeat(&mut self, now: Instant, jobs: &Background<JobDone>) -> Option<Instant> {
        let state = self.ready_state();
        let repeat = self.repeat.as_mut()?;
        if state != ReadyState::Open {
            let sent = repeat.sent;
            self.repeat = None;
            self.composer.note = Some(format!(
                "Repeat stopped after {sent} sends: the connection is {state}."
            ));
            return None;
        }
        if repeat.take_due(now) {
            let draft = repeat.draft.clone();
            self.send_draft(draft, jobs);
            if self.composer.send_error.is_some() {
                self.repeat = None;
                return None;
            }
            if let Some(repeat) = &mut self.repeat {
                repeat.sent += 1;
            }
        }
        self.repeat.as_ref().map(Repeat::next_due)
    }

    /// Sends the message at timeline entry `index` again, byte for byte (nothing in it is
    /// expanded). A refusal, or a payload the memory budget did not keep, shows under Send.
    pub fn send_again(&mut self, index: usize) {
        let payload = match self.kept_message(index) {
            Ok(payload) => payload,
            Err(error) => {
                self.composer.send_error = Some(format!("not sent: {error}"));
                return;
            }
        };
        let result = match (self.connection(), payload) {
            (Some(handle), Payload::Text(text)) => handle.send_text(text.as_str()),
            (Some(handle), Payload::Binary(bytes)) => handle.send_binary(bytes),
            (None, _) => Err(SendError::NotOpen(ReadyState::Closed)),
        };
        match result {
            Ok(()) => {
                self.composer.send_error = None;
                self.composer.note = Some(format!("Sent #{index} again."));
            }
            Err(error) => self.composer.send_error = Some(error.to_string()),
        }
    }

    /// Puts the message at timeline entry `index` into the composer, to edit and send:
    /// JSON objects and arrays as JSON, other text as Text, binary as hex. Its `{{` are
    /// escaped, so sending it unedited sends the same bytes.
    pub fn edit_message(&mut self, index: usize) {
        let payload = match self.kept_message(index) {
            Ok(payload) if payload.len() > row_menu::EDIT_MAX_BYTES => {
                self.composer.send_error = Some(format!(
                    "#{index} is too large to edit ({}); copy it or send it again",
                    format_size(payload.len())
                ));
                return;
            }
            Ok(payload) => payload,
            Err(error) => {
                self.composer.send_error = Some(format!("not loaded: {error}"));
                return;
            }
        };
        let draft = match &payload {
            Payload::Text(text) => {
                let trimmed = text.trim_start();
                let structured = trimmed.starts_with('{') || trimmed.starts_with('[');
                let format = if structured && json::validate(text).is_ok() {
                    MessageFormat::Json
                } else {
                    MessageFormat::Text
                };
                Draft::new(format, variables::escape(text))
            }
            Payload::Binary(bytes) => Draft::new(MessageFormat::Hex, to_hex_lines(bytes)),
        };
        self.composer.set_draft(draft);
        self.composer.send_error = None;
        self.composer.note = Some(format!("#{index} is in the composer: edit it, then Send."));
    }

    /// The payload of the message at entry `index`, if the timeline kept it.
    fn kept_message(&self, index: usize) -> Result<Payload, NoMessage> {
        if let Some(len) = self.timeline.not_kept_len(index) {
            return Err(NoMessage::NotKept { index, len });
        }
        match self.timeline.kind(index) {
            Some(EventKind::Message { payload, .. }) => Ok(payload.clone()),
            Some(_) => Err(NoMessage::NotAMessage(index)),
            None => Err(NoMessage::NoRow(index)),
        }
    }
}

/// Why a row's message cannot be sent again or edited.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
enum NoMessage {
    /// The memory budget did not keep its payload.
    #[error(
        "the payload of #{index} ({}) was not kept: the tab's memory budget was full",
        format_size(*len)
    )]
    NotKept {
        /// The row.
        index: usize,
        /// The payload's size in bytes.
        len: usize,
    },
    /// The row is another kind of event.
    #[error("#{0} is not a message")]
    NotAMessage(usize),
    /// There is no such row.
    #[error("there is no #{0}")]
    NoRow(usize),
}

//! The command table: every command a person invokes by name (a menu entry, a button, a
//! key) with its label, its keyboard shortcut and its hover text, written once. Menus and
//! buttons take their labels from here, the one shortcut handler ([`pressed`]) consumes the
//! shortcuts listed here, and hover texts that name a shortcut format it from here, so a
//! shortcut shown cannot drift from the one handled.

use egui::{Context, Key, KeyboardShortcut, Modifiers, Response, RichText, Ui};

/// A command a person can invoke from a menu, a button or a key. What it does is an
/// [`Action`](super::action::Action) that the panel showing it pushes (with the tab it is
/// for); this names it, for its label and shortcut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommandId {
    /// Open a new tab.
    NewTab,
    /// Open a new proxy tab.
    NewProxyTab,
    /// Open a new server tab.
    NewServerTab,
    /// Close the active tab.
    CloseTab,
    /// Close every tab and start an empty session.
    NewSession,
    /// Open a session file.
    OpenSession,
    /// Save the session.
    SaveSession,
    /// Save the session to a file the user picks.
    SaveSessionAs,
    /// Add a HAR file's WebSocket entries as tabs.
    ImportHar,
    /// Write the active tab as HAR.
    ExportHar,
    /// Write the active tab's events as JSON lines.
    ExportJsonLines,
    /// Put the active tab's connection on the clipboard as a command line.
    CopyCommandLine,
    /// Open the replay dialog for the active tab.
    ReplayTab,
    /// Stop the active tab's replay.
    CancelReplay,
    /// Connect the tab.
    Connect,
    /// Send the composer's message.
    Send,
    /// Send a ping.
    Ping,
    /// Empty the tab's timeline.
    ClearTimeline,
    /// Put the keyboard focus in the timeline's search field.
    FocusSearch,
    /// Go to the previous search match.
    PreviousMatch,
    /// Go to the next search match.
    NextMatch,
    /// Copy a text payload (copies are made by the panel itself, redacted).
    CopyText,
    /// Copy a binary payload as hex.
    CopyHex,
    /// Copy a binary payload as base64.
    CopyBase64,
    /// Copy a JSON payload pretty-printed.
    CopyPrettyJson,
    /// Pin a timeline row.
    PinRow,
    /// Put a message into the composer.
    EditInComposer,
    /// Send a message again, byte for byte.
    SendAgain,
}

/// Where a command's shortcut is handled: the window's handles it at the start of every
/// frame; a panel's only while that panel is drawn (and wants it), at the point it is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Anywhere in the window.
    Window,
    /// While the composer is drawn and no dialog of its own is open.
    Composer,
    /// While the timeline's search row is drawn (a tab is open).
    Search,
}

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandSpec {
    /// The text of its menu entry or button.
    pub label: &'static str,
    /// The keys that invoke it, if any.
    pub shortcut: Option<KeyboardShortcut>,
    /// Where the shortcut is handled.
    pub scope: Scope,
    /// Its hover text (for a field, its hint); `{key}` stands for the shortcut as the
    /// platform writes it.
    pub hover: Option<&'static str>,
}

impl CommandSpec {
    const fn new(label: &'static str) -> Self {
        Self {
            label,
            shortcut: None,
            scope: Scope::Window,
            hover: None,
        }
    }

    const fn key(self, modifiers: Modifiers, key: Key, scope: Scope) -> Self {
        Self {
            shortcut: Some(KeyboardShortcut::new(modifiers, key)),
            scope,
            ..self
        }
    }

    const fn hover(self, hover: &'static str) -> Self {
        Self {
            hover: Some(hover),
            ..self
        }
    }
}

impl CommandId {
    /// Every command, in the order the shortcut handler tries them: within a scope, a
    /// shortcut with more modifiers comes before one with fewer on the same key (egui
    /// matches Shift loosely, so F3 would also take Shift+F3).
    pub const ALL: [CommandId; 28] = [
        CommandId::NewTab,
        CommandId::NewProxyTab,
        CommandId::NewServerTab,
        CommandId::CloseTab,
        CommandId::NewSession,
        CommandId::OpenSession,
        CommandId::SaveSession,
        CommandId::SaveSessionAs,
        CommandId::ImportHar,
        CommandId::ExportHar,
        CommandId::ExportJsonLines,
        CommandId::CopyCommandLine,
        CommandId::ReplayTab,
        CommandId::CancelReplay,
        CommandId::Connect,
        CommandId::Send,
        CommandId::Ping,
        CommandId::ClearTimeline,
        CommandId::FocusSearch,
        CommandId::PreviousMatch,
        CommandId::NextMatch,
        CommandId::CopyText,
        CommandId::CopyHex,
        CommandId::CopyBase64,
        CommandId::CopyPrettyJson,
        CommandId::PinRow,
        CommandId::EditInComposer,
        CommandId::SendAgain,
    ];

    /// The command's row of the table.
    pub const fn spec(self) -> CommandSpec {
        use Scope::{Composer, Search, Window};
        const CMD: Modifiers = Modifiers::COMMAND;
        match self {
            CommandId::NewTab => CommandSpec::new("+")
                .key(CMD, Key::T, Window)
                .hover("New tab ({key})"),
            CommandId::NewProxyTab => CommandSpec::new("New proxy tab...").hover(
                "Stand between a client and its server: every connection's two legs, \
                 intercept and rules",
            ),
            CommandId::NewServerTab => CommandSpec::new("New server tab...")
                .hover("A WebSocket server to try a client against: send, close, drop, refuse"),
            CommandId::CloseTab => CommandSpec::new("×")
                .key(CMD, Key::W, Window)
                .hover("Close tab ({key})"),
            CommandId::NewSession => CommandSpec::new("New session"),
            CommandId::OpenSession => CommandSpec::new("Open...").key(CMD, Key::O, Window),
            CommandId::SaveSession => CommandSpec::new("Save").key(CMD, Key::S, Window),
            CommandId::SaveSessionAs => CommandSpec::new("Save As..."),
            CommandId::ImportHar => CommandSpec::new("Import HAR..."),
            CommandId::ExportHar => CommandSpec::new("Export tab as HAR..."),
            CommandId::ExportJsonLines => CommandSpec::new("Export tab as JSON lines..."),
            CommandId::CopyCommandLine => CommandSpec::new("Copy tab as command line").hover(
                "The sockscope command that connects as this tab does, for a shell; \
                 secret headers and {{env.…}} stay references to the environment",
            ),
            CommandId::ReplayTab => CommandSpec::new("Replay this tab..."),
            CommandId::CancelReplay => CommandSpec::new("Cancel replay"),
            CommandId::Connect => CommandSpec::new("Connect"),
            CommandId::Send => CommandSpec::new("Send")
                .key(CMD, Key::Enter, Composer)
                .hover("Send the message ({key})"),
            CommandId::Ping => CommandSpec::new("Ping"),
            CommandId::ClearTimeline => CommandSpec::new("Clear")
                .hover("Remove every event from this tab's timeline; the connection goes on"),
            CommandId::FocusSearch => CommandSpec::new("Search timeline")
                .key(CMD, Key::F, Search)
                .hover("{key}"),
            CommandId::PreviousMatch => CommandSpec::new("Previous")
                .key(Modifiers::SHIFT, Key::F3, Search)
                .hover("{key}"),
            CommandId::NextMatch => CommandSpec::new("Next")
                .key(Modifiers::NONE, Key::F3, Search)
                .hover("{key} or Enter"),
            CommandId::CopyText => CommandSpec::new("Copy text"),
            CommandId::CopyHex => CommandSpec::new("Copy as hex"),
            CommandId::CopyBase64 => CommandSpec::new("Copy as base64"),
            CommandId::CopyPrettyJson => CommandSpec::new("Copy pretty JSON"),
            CommandId::PinRow => CommandSpec::new("Pin this row"),
            CommandId::EditInComposer => CommandSpec::new("Edit in composer"),
            CommandId::SendAgain => CommandSpec::new("Send again"),
        }
    }

    /// The text of its menu entry or button.
    pub const fn label(self) -> &'static str {
        self.spec().label
    }

    /// The keys that invoke it, if any.
    pub const fn shortcut(self) -> Option<KeyboardShortcut> {
        self.spec().shortcut
    }

    /// Its shortcut as the platform writes it ("Ctrl+T"), or "" without one.
    pub fn shortcut_text(self, ctx: &Context) -> String {
        self.shortcut()
            .map(|shortcut| ctx.format_shortcut(&shortcut))
            .unwrap_or_default()
    }

    /// Its hover text, with its shortcut written in.
    pub fn hover_text(self, ctx: &Context) -> Option<String> {
        let hover = self.spec().hover?;
        Some(hover.replace("{key}", &self.shortcut_text(ctx)))
    }

    /// A button with its label (in `style`) and hover text.
    pub fn button(self, ui: &mut Ui, style: impl FnOnce(RichText) -> RichText) -> Response {
        let response = ui.button(style(RichText::new(self.label())));
        self.with_hover(response)
    }

    /// A button with its label that is off unless `enabled`, and its hover text.
    pub fn enabled_button(self, ui: &mut Ui, enabled: bool) -> Response {
        let response = ui.add_enabled(enabled, egui::Button::new(self.label()));
        self.with_hover(response)
    }

    /// A menu entry: its label, its shortcut on the right, its hover text; off unless
    /// `enabled`.
    pub fn menu_item(self, ui: &mut Ui, enabled: bool) -> Response {
        let mut button = egui::Button::new(self.label());
        if self.shortcut().is_some() {
            button = button.shortcut_text(self.shortcut_text(ui.ctx()));
        }
        let response = ui.add_enabled(enabled, button);
        self.with_hover(response)
    }

    /// `response` with the command's hover text, if it has one.
    pub fn with_hover(self, response: Response) -> Response {
        match self.hover_text(&response.ctx) {
            Some(text) => response.on_hover_text(text),
            None => response,
        }
    }
}

/// The one shortcut handler: consumes the shortcuts of the commands handled in `scope`
/// that were pressed this frame and returns those commands, in table order.
pub fn pressed(ctx: &Context, scope: Scope) -> Vec<CommandId> {
    ctx.input_mut(|input| {
        CommandId::ALL
            .into_iter()
            .filter(|id| id.spec().scope == scope)
            .filter(|id| {
                id.shortcut()
                    .is_some_and(|shortcut| input.consume_shortcut(&shortcut))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lists_every_command_once_in_declaration_order() {
        for (index, id) in CommandId::ALL.into_iter().enumerate() {
            assert_eq!(id as usize, index, "{id:?}");
        }
        assert_eq!(CommandId::ALL.len(), CommandId::SendAgain as usize + 1);
    }

    #[test]
    fn no_shortcut_hides_another() {
        // Shift and Alt are matched loosely: a shortcut listed earlier in the same scope on
        // the same key must have at least the modifiers of a later one, or it takes its keys.
        let keyed: Vec<_> = CommandId::ALL
            .into_iter()
            .filter_map(|id| Some((id, id.shortcut()?, id.spec().scope)))
            .collect();
        for (i, (first, a, scope_a)) in keyed.iter().enumerate() {
            for (second, b, scope_b) in &keyed[i + 1..] {
                if scope_a == scope_b && a.logical_key == b.logical_key {
                    assert!(
                        a.modifiers != b.modifiers && a.modifiers.contains(b.modifiers),
                        "{first:?} hides {second:?}"
                    );
                }
            }
        }
    }

    /// Runs one frame in which `shortcut` is pressed, and returns what the handler of
    /// `scope` saw.
    fn press(ctx: &Context, shortcut: KeyboardShortcut, scope: Scope) -> Vec<CommandId> {
        let input = egui::RawInput {
            events: vec![egui::Event::Key {
                key: shortcut.logical_key,
                physical_key: None,
                pressed: true,
                repeat: false,
                modifiers: shortcut.modifiers,
            }],
            ..Default::default()
        };
        let mut seen = Vec::new();
        let mut output = ctx.run_ui(input, |ui| seen = pressed(ui.ctx(), scope));
        output.textures_delta.clear();
        seen
    }

    #[test]
    fn every_shortcut_shown_is_the_one_handled() {
        let ctx = Context::default();
        for id in CommandId::ALL {
            let Some(shortcut) = id.shortcut() else {
                assert!(
                    !id.spec().hover.unwrap_or_default().contains("{key}"),
                    "{id:?} names a shortcut it has not"
                );
                continue;
            };
            let shown = ctx.format_shortcut(&shortcut);
            // What its menu entry shows on the right, and its hover text.
            assert_eq!(id.shortcut_text(&ctx), shown, "{id:?}");
            let hover = id.hover_text(&ctx).unwrap_or_default();
            let menu_only = matches!(id, CommandId::OpenSession | CommandId::SaveSession);
            assert!(
                menu_only || hover.contains(&shown),
                "{id:?}: {hover:?} does not show {shown:?}"
            );
            // The handler of its scope reacts to those keys with this command, and to
            // nothing else.
            assert_eq!(press(&ctx, shortcut, id.spec().scope), [id], "{id:?}");
        }
    }

    #[test]
    fn shortcuts_read_as_before_on_linux() {
        let ctx = Context::default();
        ctx.set_os(egui::os::OperatingSystem::Nix);
        let texts: Vec<_> = CommandId::ALL
            .into_iter()
            .filter(|id| id.shortcut().is_some())
            .map(|id| id.shortcut_text(&ctx))
            .collect();
        assert_eq!(
            texts,
            [
                "Ctrl+T",
                "Ctrl+W",
                "Ctrl+O",
                "Ctrl+S",
                "Ctrl+Enter",
                "Ctrl+F",
                "Shift+F3",
                "F3"
            ]
        );
        assert_eq!(
            CommandId::NextMatch.hover_text(&ctx).as_deref(),
            Some("F3 or Enter")
        );
    }
}

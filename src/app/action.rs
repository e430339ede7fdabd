//! What panels ask for. Panels only draw and push actions; the app runs them after layout,
//! so no side effect happens in the middle of drawing.

use std::path::PathBuf;

use super::replay_view::ReplayAction;
use super::row_menu::RowCommand;
use super::session_menu::FileAction;
use crate::model::template::{MessageFormat, Template};

/// A request from a panel (or a shortcut), carried out by the app after the frame's layout.
/// Which labels and keys invoke these is written once, in [`super::commands`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Open a new tab on the demo server's /echo (or an empty URL without it).
    NewTab,
    /// Open a new proxy tab (upstream: the demo server, when it runs).
    NewProxyTab,
    /// Open a new server tab (a mock server).
    NewServerTab,
    /// Something done to or in the tab with this id ([`Tab::id`](super::tab::Tab::id));
    /// nothing happens when that tab is gone.
    Tab(u64, TabAction),
    /// A File-menu command: sessions, import, export.
    File(FileAction),
    /// Open the replay dialog for the active tab.
    OpenReplayDialog,
}

/// What an [`Action::Tab`] does to its tab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TabAction {
    /// Make the tab the active one.
    Select,
    /// Close the tab (its connection closes cleanly).
    CloseTab,
    /// Connect.
    Connect,
    /// Disconnect (close, cancel or drop, by state).
    Disconnect,
    /// Send a message as typed: its variables are expanded and its body encoded when the
    /// app runs this (a file is read in the background first).
    Send(Draft),
    /// Send a ping with this payload.
    Ping(Vec<u8>),
    /// Start the closing handshake with this code and reason.
    Close {
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// Look up the name and size of the file a File body names (in the background).
    CheckFile(PathBuf),
    /// Open the native file dialog for the tab's File body (in the background).
    BrowseFile,
    /// Open the native file dialog for a `.proto` file of the tab's schema (in the
    /// background).
    BrowseProto,
    /// Change or use a template of the tab or of the global library.
    Template(TemplateAction),
    /// Start or cancel a replay of the tab.
    Replay(ReplayAction),
    /// Select this row of the tab and stop following (the recorded side of a replay's
    /// comparison item).
    ShowRow(usize),
    /// Send this message now and then at the composer's repeat interval.
    StartRepeat(Draft),
    /// Stop the repeat.
    StopRepeat,
    /// Empty the timeline (the connection goes on).
    ClearTimeline,
    /// Put the tab's connection on the clipboard as a `sockscope` command line.
    CopyCommandLine,
    /// A command from a timeline row's menu.
    Row(RowCommand),
    /// The answer to the tab's environment prompt: allow the variables it names and go on
    /// (true), or cancel (false).
    AnswerEnvPrompt(bool),
    /// Something for a proxy tab's proxy: start, stop, show a connection, intercept.
    Proxy(super::proxy_tab::ProxyAction),
}

/// A message as the user wrote it: a format and a body before variable expansion (for
/// [`MessageFormat::File`], the body is the path).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Draft {
    /// How the body is read.
    pub format: MessageFormat,
    /// The body as typed.
    pub body: String,
    /// The body came from a file (a template of the library), not from the user's typing:
    /// it reads only the environment variables allowed for the tab.
    pub from_file: bool,
    /// For a Protobuf body, its own message type (a template's); `None` uses the tab's.
    pub message: Option<String>,
}

impl Draft {
    /// A draft of `body` in `format`.
    pub fn new(format: MessageFormat, body: impl Into<String>) -> Self {
        Self {
            format,
            body: body.into(),
            from_file: false,
            message: None,
        }
    }

    /// This draft, marked as coming from a file (see [`Draft::from_file`]).
    pub fn came_from_file(self) -> Self {
        Self {
            from_file: true,
            ..self
        }
    }

    /// The draft a template holds.
    pub fn of_template(template: &Template) -> Self {
        Self {
            message: template.message.clone(),
            ..Self::new(template.format, template.body.clone())
        }
    }
}

/// Which list of templates an action is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TemplateScope {
    /// The active tab's templates (saved with its session).
    Tab,
    /// The global library in the user's config directory.
    Library,
}

impl TemplateScope {
    /// The other list (for "copy to").
    pub fn other(self) -> Self {
        match self {
            TemplateScope::Tab => TemplateScope::Library,
            TemplateScope::Library => TemplateScope::Tab,
        }
    }

    /// How the list is named in the window.
    pub fn label(self) -> &'static str {
        match self {
            TemplateScope::Tab => "this tab",
            TemplateScope::Library => "the library",
        }
    }
}

/// Something done to or with a template. Indices are into the scope's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateAction {
    /// Put the template's format and body into the composer.
    Load(TemplateScope, usize),
    /// Send the template at once (variables expanded).
    Send(TemplateScope, usize),
    /// Add a template, or replace the one with the same name.
    Save(TemplateScope, Template),
    /// Give a template a new (unique) name.
    Rename {
        /// The list.
        scope: TemplateScope,
        /// The template.
        index: usize,
        /// The new name.
        name: String,
    },
    /// Add a copy named "name (copy)" right after the template.
    Duplicate(TemplateScope, usize),
    /// Remove the template.
    Delete(TemplateScope, usize),
    /// Move the template one place up (`up`) or down.
    Move {
        /// The list.
        scope: TemplateScope,
        /// The template.
        index: usize,
        /// Towards the top of the list.
        up: bool,
    },
    /// Copy the template into the other list.
    CopyToOther(TemplateScope, usize),
}

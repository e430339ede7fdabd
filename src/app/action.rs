//! What panels ask for. Panels only draw and push actions; the app runs them after layout,
//! so no side effect happens in the middle of drawing.

/// A request from a panel, carried out by the app after the frame's layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Open a new tab on the demo server's /echo (or an empty URL without it).
    NewTab,
    /// Close the tab at this index (its connection closes cleanly).
    CloseTab(usize),
    /// Make the tab at this index the active one.
    SelectTab(usize),
    /// Connect the active tab.
    Connect,
    /// Disconnect the active tab (close, cancel or drop, by state).
    Disconnect,
    /// Send the active tab's composer text.
    SendText(String),
    /// Send a ping with this payload.
    Ping(Vec<u8>),
    /// Start the closing handshake with this code and reason.
    Close {
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
}

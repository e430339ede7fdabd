//! What a script asks of its host: lines for the timeline (logs, test results, errors) and
//! commands for the connection (sends, a close), in the order the script made them.

use bytes::Bytes;

/// One thing a script did that its host acts on.
#[derive(Clone, Debug, PartialEq)]
pub enum ScriptOutput {
    /// `log(...)`: a script row on the timeline.
    Log(String),
    /// A `test(name, fn)` came to its result.
    Test(TestResult),
    /// The script failed: an exception out of a hook or timer, or a limit that stopped it.
    Error(String),
    /// `ws.send(text or object)`: a text message to send.
    SendText(String),
    /// `ws.send(bytes)`: a binary message to send.
    SendBinary(Bytes),
    /// `vars.set(name, value)`: the window sets the tab's variable (for `{{name}}`).
    SetVar {
        /// The variable's name.
        name: String,
        /// Its new value.
        value: String,
    },
    /// `ws.close(code, reason)`.
    Close {
        /// The close code (1000, or 3000-4999).
        code: u16,
        /// The reason, at most 123 bytes of UTF-8.
        reason: String,
    },
}

/// The result of one `test(name, fn)`.
#[derive(Clone, Debug, PartialEq)]
pub struct TestResult {
    /// The test's name, as the script gave it.
    pub name: String,
    /// True when the function returned (or its promise resolved) without a failed `expect`.
    pub passed: bool,
    /// Why it failed (the failed expectation or the error); `None` when it passed.
    pub message: Option<String>,
    /// How long the test took, in milliseconds (for an async test, until it settled).
    pub time_ms: f64,
    /// The engine `seq` of the message that decided it: the one a `waitFor` resolved with,
    /// else the last message the script had seen; `None` before any message.
    pub decided_by: Option<u64>,
}

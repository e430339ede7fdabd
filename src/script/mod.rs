//! Scripts and assertions (issue 22): JavaScript per tab, run by an embedded QuickJS.
//!
//! A script has hooks (`onOpen`, `onMessage`, `onClose`, `beforeSend`), timers, `ws.send`
//! and `ws.close`, `vars`, `log`, and tests (`test`, `expect`, `waitFor`). It reaches
//! nothing else: no file system, no network, and only the environment variables the user
//! allowed. Every call is bounded in time, the runtime in memory and stack. The engine and
//! this module never import egui; a host (the command line's loop, the window's tab) feeds
//! a [`ScriptRunner`] the connection's events and acts on its [`ScriptOutput`]s.

pub mod batch;
mod call_clock;
pub mod error_text;
pub mod host;
pub mod junit;
pub mod limits;
pub mod output;
pub mod runner;
pub mod thread;

pub use batch::ScriptMessage;
pub use error_text::LoadError;
pub use host::EnvGrant;
pub use limits::ScriptLimits;
pub use output::{ScriptOutput, TestResult};
pub use runner::{MessageViews, ScriptRunner, ScriptSetup, SendVerdict};
pub use thread::{ScriptInput, ScriptThread};

//! Exit statuses, a public interface: 0 success, 1 failure, 2 usage error, and 3 for a
//! replay that ran but did not match its recording. A command returns its [`Outcome`] or a
//! [`CliError`]; [`finish`] is the one place that turns either into the status (and says
//! the error on stderr).

use std::process::ExitCode;

use super::error::{CliError, Outcome};

/// The connection failed or ended uncleanly.
pub const FAILED: u8 = 1;
/// A bad argument or input file; nothing was sent.
pub const USAGE: u8 = 2;
/// `replay`: the run did not match the recording.
pub const DIFFERENT: u8 = 3;

/// The exit status of a command's result: the outcome's, or the error's after printing it
/// as one line on stderr (`sockscope: ...`).
pub fn finish(result: Result<Outcome, CliError>) -> ExitCode {
    match result {
        Ok(outcome) => outcome.exit_code(),
        Err(error) => {
            eprintln!("sockscope: {error}");
            error.exit_code()
        }
    }
}

//! Exit statuses, a public interface: 0 success, 1 failure, 2 usage error.

use std::process::ExitCode;

/// The connection failed or ended uncleanly.
pub const FAILED: u8 = 1;
/// A bad argument or input file; nothing was sent.
pub const USAGE: u8 = 2;

/// Prints one line on stderr and returns the usage-error status.
pub fn usage(message: &str) -> ExitCode {
    eprintln!("sockscope: {message}");
    ExitCode::from(USAGE)
}

/// Prints one line on stderr and returns the failure status.
pub fn failed(message: &str) -> ExitCode {
    eprintln!("sockscope: {message}");
    ExitCode::from(FAILED)
}

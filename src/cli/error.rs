//! What a headless command comes to: an [`Outcome`] when it ran to its end, a [`CliError`]
//! when it could not. The exit status is chosen from the variant, never from the text.

use std::process::ExitCode;

use super::exit::{DIFFERENT, FAILED, USAGE};
use crate::model::storage::FileError;

/// How a command that ran to its end came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went as asked (status 0).
    Success,
    /// The connection failed, ended uncleanly or lost sends; its events said why (status 1).
    Failed,
    /// `replay`: the run did not match the recording (status 3).
    Different,
}

impl Outcome {
    /// The exit status.
    pub fn status(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Failed => FAILED,
            Outcome::Different => DIFFERENT,
        }
    }

    /// The exit status, for `main`.
    pub fn exit_code(self) -> ExitCode {
        ExitCode::from(self.status())
    }
}

/// Any error a command meets, kept with its type.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Why a command stopped before its work was done: its variant decides the exit status, its
/// text is the one line printed after `sockscope: `.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An argument, flag value or input file cannot be used, so nothing was sent
    /// (status 2).
    #[error("{context}{error}{hint}")]
    Usage {
        /// What the command was doing, e.g. `replay FILE: ` (may be empty).
        context: String,
        /// What went wrong.
        #[source]
        error: Cause,
        /// What to do about it, e.g. `; pass --allow-env NAME ...` (may be empty).
        hint: String,
    },
    /// The command could not start or finish its work: no runtime, a port taken, a file not
    /// written, no window (status 1).
    #[error("{context}{error}")]
    Failed {
        /// What the command was doing, e.g. `--record: ` (may be empty).
        context: String,
        /// What went wrong.
        #[source]
        error: Cause,
    },
}

impl CliError {
    /// A usage error: `context` then the error's text.
    pub fn usage(context: impl Into<String>, error: impl Into<Cause>) -> Self {
        CliError::Usage {
            context: context.into(),
            error: error.into(),
            hint: String::new(),
        }
    }

    /// A usage error for an input or output file, said on one line (`path:line:col:
    /// message` where known).
    pub fn file(error: FileError) -> Self {
        Self::usage("", OneLine(error))
    }

    /// A failure: `context` then the error's text.
    pub fn failed(context: impl Into<String>, error: impl Into<Cause>) -> Self {
        CliError::Failed {
            context: context.into(),
            error: error.into(),
        }
    }

    /// The same error with `hint` said after it (a usage error only; a failure has none).
    pub fn with_hint(self, hint: String) -> Self {
        match self {
            CliError::Usage { context, error, .. } => CliError::Usage {
                context,
                error,
                hint,
            },
            failed @ CliError::Failed { .. } => failed,
        }
    }

    /// The exit status: 2 for a usage error, 1 for a failure.
    pub fn status(&self) -> u8 {
        match self {
            CliError::Usage { .. } => USAGE,
            CliError::Failed { .. } => FAILED,
        }
    }

    /// The exit status, for `main`.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.status())
    }
}

/// A file error on one line: a parser's message may hold line breaks, stderr gets one line.
#[derive(Debug, thiserror::Error)]
#[error("{}", one_line(&.0.to_string()))]
pub struct OneLine(#[source] pub FileError);

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::cli::plan::UsageError;

    #[test]
    fn each_variant_has_its_public_exit_status() {
        assert_eq!(Outcome::Success.status(), 0);
        assert_eq!(Outcome::Failed.status(), 1);
        assert_eq!(Outcome::Different.status(), 3);
        let usage = CliError::usage("replay: ", UsageError("--speed 0: bad".into()));
        assert_eq!(usage.status(), 2);
        let file = CliError::file(FileError::Invalid {
            path: PathBuf::from("a.ron"),
            message: "no".into(),
        });
        assert_eq!(file.status(), 2);
        let failed = CliError::failed("cannot listen on 127.0.0.1:1: ", "taken");
        assert_eq!(failed.status(), 1);
        assert_eq!(failed.with_hint("; ignored".into()).status(), 1);
    }

    #[test]
    fn the_text_is_context_error_hint_on_one_line() {
        let usage = CliError::usage("replay x.ron: ", UsageError("bad".into()))
            .with_hint("; pass --allow-env A".into());
        assert_eq!(usage.to_string(), "replay x.ron: bad; pass --allow-env A");
        let file = CliError::file(FileError::Parse {
            path: PathBuf::from("s.ron"),
            line: 2,
            column: 3,
            message: "expected\n  a comma".into(),
        });
        assert_eq!(file.to_string(), "s.ron:2:3: expected a comma");
        let failed = CliError::failed("--record: ", "disk full");
        assert_eq!(failed.to_string(), "--record: disk full");
        assert!(std::error::Error::source(&failed).is_some());
    }
}

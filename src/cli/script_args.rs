//! The flags of scripts and their tests: `connect --script FILE.js`, and
//! `sockscope test FILE.session.ron`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::script::ScriptLimits;
use crate::script::limits::{DEFAULT_CALL_TIME_MS, DEFAULT_MEMORY_MIB};

/// `connect`'s script flags.
#[derive(Debug, Args)]
pub struct ScriptArgs {
    /// Run this JavaScript file with the connection: its hooks (onOpen, onMessage, onClose,
    /// beforeSend) see the events, its test(...)s print `test` lines. A script that does not
    /// compile: exit 2 (FILE:LINE:COLUMN on stderr), nothing sent. A failed test or a script
    /// error: exit 3.
    #[arg(long = "script", value_name = "FILE.js")]
    pub script: Option<PathBuf>,
    /// Limits and the report.
    #[command(flatten)]
    pub run: ScriptRunArgs,
}

/// The limits of a script and its JUnit report (`connect` and `test`).
#[derive(Debug, Args)]
pub struct ScriptRunArgs {
    /// Write a JUnit XML report of the tests (one testcase per test(...)) to FILE.
    #[arg(long = "junit", value_name = "FILE.xml")]
    pub junit: Option<PathBuf>,
    /// How long one call into the script (a hook, a timer) may run before the script is
    /// stopped (an error line; the connection goes on), in milliseconds.
    #[arg(long = "script-time-limit", value_name = "MS", default_value_t = DEFAULT_CALL_TIME_MS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub time_limit: u64,
    /// The script's memory, in MiB; past it the script is stopped.
    #[arg(long = "script-memory-limit", value_name = "MIB", default_value_t = DEFAULT_MEMORY_MIB as u64,
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub memory_limit: u64,
}

impl ScriptRunArgs {
    /// The limits these flags ask for.
    pub fn limits(&self) -> ScriptLimits {
        ScriptLimits {
            call_time: Duration::from_millis(self.time_limit),
            memory: usize::try_from(self.memory_limit << 20).unwrap_or(usize::MAX),
            ..ScriptLimits::default()
        }
    }
}

/// `sockscope test FILE.session.ron [options]`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The session file: every tab that has a script is run.
    #[arg(value_name = "FILE.ron")]
    pub file: PathBuf,
    /// Connect every tab to this URL instead of its own.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// How long to keep listening after open before closing: milliseconds, or `inf` to
    /// wait until the server (or the script, with ws.close) closes. A test still waiting
    /// (waitFor) keeps the connection open until it ends.
    #[arg(long = "wait", value_name = "MS|inf", default_value = "1000")]
    pub wait: String,
    /// Let the session file (its tabs and scripts) read the environment variable NAME
    /// (repeatable).
    #[arg(long = "allow-env", value_name = "NAME")]
    pub allow_env: Vec<String>,
    /// Limits and the report.
    #[command(flatten)]
    pub run: ScriptRunArgs,
}

//! How much a script may take: time per call, memory and stack per tab.

use std::time::Duration;

/// A script's limits. An endless loop, a runaway allocation or a deep recursion meets one
/// of them, and the script stops with an error; the connection goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScriptLimits {
    /// How long one call into the script may run: a hook, a timer, the top level, with the
    /// promise jobs it starts.
    pub call_time: Duration,
    /// The tab's script heap, in bytes.
    pub memory: usize,
    /// The script's stack, in bytes (deep recursion ends in a RangeError below it).
    pub stack: usize,
}

/// `--script-time-limit`'s default, in milliseconds.
pub const DEFAULT_CALL_TIME_MS: u64 = 1_000;
/// `--script-memory-limit`'s default, in MiB.
pub const DEFAULT_MEMORY_MIB: usize = 64;

impl Default for ScriptLimits {
    fn default() -> Self {
        Self {
            call_time: Duration::from_millis(DEFAULT_CALL_TIME_MS),
            memory: DEFAULT_MEMORY_MIB << 20,
            stack: 512 << 10,
        }
    }
}

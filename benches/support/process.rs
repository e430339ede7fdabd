//! What the benches read of a process from /proc (Linux): its CPU time and resident memory,
//! 0 where there is no /proc. Included with `#[path]` by the benches that need it (the rest
//! of `support` needs the window).

// Each bench uses a part of it.
#![allow(dead_code)]

use std::fmt::Display;

/// CPU time (user + system) process `pid` (a number, or `self`) has used so far, in clock
/// ticks (1/100 s on Linux).
pub fn cpu_ticks(pid: impl Display) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name in parentheses: state is field 3, utime 14 and stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    field(14).unwrap_or(0) + field(15).unwrap_or(0)
}

/// The resident memory of process `pid` (a number, or `self`), in KiB.
pub fn rss_kib(pid: impl Display) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

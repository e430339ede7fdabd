//! `connect --fold RULE [--fold-select PATH] [--fold-filter EXPR] [--fold-delete EXPR]
//! [--fold-every N]`: the live state of the incoming messages (issue 24), checked before
//! any traffic.

use clap::Args;

use super::plan::UsageError;
use crate::model::fold::FoldSpec;

/// The fold flags of `connect`.
#[derive(Debug, Args)]
pub struct FoldArgs {
    /// Fold the incoming messages into a state: replace (each message is the state), merge
    /// (RFC 7386 merge patch), patch (RFC 6902 JSON Patch), keyed:PATH (an object from each
    /// message's key at PATH, as text, to its latest message) or pathdata ({"path": JSON
    /// pointer, "data": value} events). Prints {"event":"state","value":...,"after":N}
    /// before the close line; a message that does not apply gets "fold_error".
    #[arg(long = "fold", value_name = "RULE")]
    pub fold: Option<String>,
    /// The part of each message that is applied, e.g. $.data (default: the whole message).
    #[arg(long = "fold-select", value_name = "PATH", requires = "fold")]
    pub fold_select: Option<String>,
    /// Only messages matching this JSON filter take part, e.g. '$.type == "delta"'.
    #[arg(long = "fold-filter", value_name = "EXPR", requires = "fold")]
    pub fold_filter: Option<String>,
    /// With --fold keyed:PATH: a message matching this JSON filter removes its key, e.g.
    /// '$.op == "delete"'.
    #[arg(long = "fold-delete", value_name = "EXPR", requires = "fold")]
    pub fold_delete: Option<String>,
    /// Also print the state after every N messages that took part.
    #[arg(long = "fold-every", value_name = "N", requires = "fold",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub fold_every: Option<u64>,
}

/// A checked `--fold`.
#[derive(Clone, Debug)]
pub struct FoldPlan {
    /// The rule, select path, filter and delete condition.
    pub spec: FoldSpec,
    /// `--fold-every`.
    pub every: Option<u64>,
}

impl FoldPlan {
    /// The plan of the flags: `None` without `--fold`, a usage error naming the bad flag.
    pub fn from_args(args: &FoldArgs) -> Result<Option<Self>, UsageError> {
        let Some(rule) = &args.fold else {
            return Ok(None);
        };
        let spec = FoldSpec::parse(
            rule,
            args.fold_select.as_deref(),
            args.fold_filter.as_deref(),
            args.fold_delete.as_deref(),
        )
        .map_err(|e| UsageError(format!("--fold: {e}")))?;
        Ok(Some(Self {
            spec,
            every: args.fold_every,
        }))
    }
}

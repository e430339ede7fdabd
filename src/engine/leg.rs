//! Which side of a proxied connection an event happened on: the client leg (Sockscope is
//! the server) or the upstream leg (Sockscope is the client of the real server). Events of
//! a connection Sockscope dials itself belong to no leg.

use serde::{Deserialize, Serialize};

/// Which side of the proxy an event happened on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Leg {
    /// Between the client and Sockscope (Sockscope is the server).
    Client,
    /// Between Sockscope and the upstream server (Sockscope is the client).
    Upstream,
}

impl Leg {
    /// `"client"` or `"upstream"`, as the JSON lines and session files say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Leg::Client => "client",
            Leg::Upstream => "upstream",
        }
    }

    /// The other leg.
    pub fn other(self) -> Leg {
        match self {
            Leg::Client => Leg::Upstream,
            Leg::Upstream => Leg::Client,
        }
    }

    /// 0 for the client leg, 1 for the upstream leg (for per-leg arrays).
    pub fn index(self) -> usize {
        match self {
            Leg::Client => 0,
            Leg::Upstream => 1,
        }
    }

    /// The one-letter marker a timeline row shows: `C` or `U`.
    pub fn marker(self) -> &'static str {
        match self {
            Leg::Client => "C",
            Leg::Upstream => "U",
        }
    }

    /// Parses `client` or `upstream`.
    pub fn parse(text: &str) -> Option<Leg> {
        match text {
            "client" => Some(Leg::Client),
            "upstream" => Some(Leg::Upstream),
            _ => None,
        }
    }
}

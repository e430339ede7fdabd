//! `sockscope proxy --record FILE.ron`: each client connection's two legs saved as two
//! tabs of one session file, `conn N upstream` (Sockscope as the client of the real
//! server: what the client sent goes `out`, so `sockscope replay --tab "conn N upstream"`
//! replays the client's side against the real server) and `conn N client` (Sockscope as
//! the server: the client's messages go `in`). The file is rewritten (atomically) each time
//! a connection ends, and when the proxy stops, so it is whole at any moment.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::engine::{ConnectionConfig, HeaderEntry};
use crate::model::redact::Redactor;
use crate::model::session::{SessionFile, SessionTab, TabRecording};
use crate::model::storage::FileError;
use crate::model::timeline::Timeline;
use crate::proxy::request_head::RequestHead;
use crate::proxy::{Leg, ProxyConfig, ProxyEvent, upstream};

/// Request headers the handshake makes itself, left out of a recorded tab's headers.
const HANDSHAKE_HEADERS: &[&str] = &[
    "host",
    "connection",
    "upgrade",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "sec-websocket-protocol",
];

/// The recorded connections.
pub(super) struct ProxyRecorder {
    path: PathBuf,
    config: ProxyConfig,
    /// `ws://ADDR` of the proxy itself (the client leg's URL).
    listening: String,
    /// Finished connections, in the order they ended.
    done: Vec<SessionTab>,
    /// Connections still going: their two timelines.
    live: HashMap<u64, [Timeline; 2]>,
}

impl ProxyRecorder {
    pub(super) fn new(path: PathBuf, config: ProxyConfig, listening: String) -> Self {
        Self {
            path,
            config,
            listening,
            done: Vec::new(),
            live: HashMap::new(),
        }
    }

    /// Adds one event to its connection's leg.
    pub(super) fn event(&mut self, event: &ProxyEvent) {
        let timelines = self.live.entry(event.conn).or_default();
        let index = match event.leg {
            Leg::Client => 0,
            Leg::Upstream => 1,
        };
        timelines[index].push(1, event.event.clone());
    }

    /// Connection `conn` ended: its two tabs join the file, which is saved.
    pub(super) fn finish(
        &mut self,
        conn: u64,
        request: &RequestHead,
        redactor: &Redactor,
    ) -> Result<(), FileError> {
        self.close_out(conn, request, redactor);
        self.save()
    }

    /// Saves what there is, connections still going included (as far as they got).
    pub(super) fn save_all(
        &mut self,
        requests: &[(u64, RequestHead, Redactor)],
    ) -> Result<(), FileError> {
        for (conn, request, redactor) in requests {
            self.close_out(*conn, request, redactor);
        }
        self.save()
    }

    fn close_out(&mut self, conn: u64, request: &RequestHead, redactor: &Redactor) {
        let Some([client, upstream_leg]) = self.live.remove(&conn) else {
            return;
        };
        let up_url = upstream::upstream_url(&self.config.upstream, &request.target);
        let up_headers = upstream::upstream_headers(&self.config, request);
        let tabs = [
            (
                format!("conn {conn} upstream"),
                config_for(up_url.as_str(), &up_headers),
                upstream_leg,
            ),
            (
                format!("conn {conn} client"),
                config_for(
                    &format!("{}{}", self.listening, request.target),
                    &request.headers,
                ),
                client,
            ),
        ];
        for (name, config, timeline) in tabs {
            let mut recording = TabRecording::new(name, config, timeline.to_entries());
            recording.not_kept = timeline.not_kept_rows().to_vec();
            recording.redactor = redactor.clone();
            self.done.push(recording.to_session());
        }
    }

    fn save(&self) -> Result<(), FileError> {
        SessionFile::new(self.done.clone()).save(&self.path)
    }
}

/// A tab's connection settings: the URL, the offered subprotocols and the other headers.
fn config_for(url: &str, headers: &[(String, String)]) -> ConnectionConfig {
    let mut config = ConnectionConfig::new(url);
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if lower == "sec-websocket-protocol" {
            config.subprotocols.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            );
        }
        if !HANDSHAKE_HEADERS.contains(&lower.as_str()) {
            config.headers.push(HeaderEntry::new(name, value));
        }
    }
    config
}

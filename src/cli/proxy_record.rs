//! `sockscope proxy --record FILE.ron`: each client connection saved as one tab of one
//! session file, `conn N`, whose timeline holds both legs in the order they happened, each
//! event marked with its leg (`leg: Some(client)` / `Some(upstream)`). The tab connects as
//! the upstream leg did (the upstream URL with the client's path, and the headers sent
//! upstream), so `sockscope replay --tab "conn N"` plays the client's messages against the
//! real server and compares with what the server sent (see `replay --leg`). The file is
//! rewritten (atomically) each time a connection ends, and when the proxy stops, so it is
//! whole at any moment. (Files written before legs existed hold two tabs per connection,
//! `conn N upstream` and `conn N client`; they still load and replay.)

use std::collections::HashMap;
use std::path::PathBuf;

use crate::engine::Event;
use crate::model::redact::Redactor;
use crate::model::session::{SessionFile, SessionTab, TabRecording};
use crate::model::storage::FileError;
use crate::model::timeline::Timeline;
use crate::proxy::replay_config::upstream_config;
use crate::proxy::request_head::RequestHead;
use crate::proxy::{Leg, ProxyConfig};

/// The recorded connections.
pub(super) struct ProxyRecorder {
    path: PathBuf,
    config: ProxyConfig,
    /// Finished connections, in the order they ended.
    done: Vec<SessionTab>,
    /// Connections still going: their timelines, both legs in one.
    live: HashMap<u64, Timeline>,
}

impl ProxyRecorder {
    pub(super) fn new(path: PathBuf, config: ProxyConfig) -> Self {
        Self {
            path,
            config,
            done: Vec::new(),
            live: HashMap::new(),
        }
    }

    /// Adds one event to its connection's timeline, marked with its leg.
    pub(super) fn event(&mut self, conn: u64, leg: Leg, event: &Event) {
        let timeline = self.live.entry(conn).or_default();
        timeline.push_on(1, Some(leg), event.clone());
    }

    /// Connection `conn` ended: its tab joins the file, which is saved.
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
        let Some(timeline) = self.live.remove(&conn) else {
            return;
        };
        let config = upstream_config(&self.config, request);
        let mut recording =
            TabRecording::new(format!("conn {conn}"), config, timeline.to_entries());
        recording.not_kept = timeline.not_kept_rows().to_vec();
        recording.redactor = redactor.clone();
        // The client's own request (its headers may hold secrets too) is learnt as well.
        for (name, value) in &request.headers {
            recording.redactor.add_header(name, value);
        }
        self.done.push(recording.to_session());
    }

    fn save(&self) -> Result<(), FileError> {
        SessionFile::new(self.done.clone()).save(&self.path)
    }
}

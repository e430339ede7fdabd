//! Traffic statistics of a timeline: counters, per-second rates, time connected and ping
//! round trips. Updated incrementally (only new entries are read), cheap to query per frame.

use std::time::{Duration, SystemTime};

use super::timeline::Timeline;
use crate::engine::{Direction, EventKind};

/// Messages and bytes of one second, in each direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    /// Messages received.
    pub msgs_in: u64,
    /// Messages sent.
    pub msgs_out: u64,
    /// Payload bytes received.
    pub bytes_in: u64,
    /// Payload bytes sent.
    pub bytes_out: u64,
}

impl Bucket {
    /// Messages in both directions.
    pub fn msgs(&self) -> u64 {
        self.msgs_in + self.msgs_out
    }
}

/// Running statistics of one timeline.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    read: usize,
    /// Totals over the whole timeline.
    pub total: Bucket,
    /// One bucket per second since the first event (index = whole seconds after `start`).
    pub seconds: Vec<Bucket>,
    /// Wall time of the first event.
    pub start: Option<SystemTime>,
    /// When the current attempt opened, while it is open.
    open_since: Option<SystemTime>,
    /// Time connected in attempts that have ended.
    connected_before: Duration,
    /// Round trips read so far: (seconds after `start`, round-trip time).
    pub rtts: Vec<(f64, Duration)>,
    rtts_read: usize,
}

impl Stats {
    /// Reads the entries (and round trips) added since the last call. A cleared timeline
    /// starts the statistics again.
    pub fn update(&mut self, timeline: &Timeline) {
        if timeline.len() < self.read {
            *self = Self::default();
        }
        for (index, event) in (self.read..).zip(timeline.range(self.read..timeline.len())) {
            let start = *self.start.get_or_insert(event.wall_time);
            let second = event
                .wall_time
                .duration_since(start)
                .unwrap_or_default()
                .as_secs() as usize;
            match event.kind {
                EventKind::Message { dir, payload } => {
                    if self.seconds.len() <= second {
                        self.seconds.resize(second + 1, Bucket::default());
                    }
                    let len = timeline.not_kept_len(index).unwrap_or(payload.len()) as u64;
                    for bucket in [&mut self.seconds[second], &mut self.total] {
                        match dir {
                            Direction::In => {
                                bucket.msgs_in += 1;
                                bucket.bytes_in += len;
                            }
                            Direction::Out => {
                                bucket.msgs_out += 1;
                                bucket.bytes_out += len;
                            }
                        }
                    }
                }
                EventKind::Open(_) => self.open_since = Some(event.wall_time),
                EventKind::Close(_) => {
                    if let Some(opened) = self.open_since.take() {
                        self.connected_before +=
                            event.wall_time.duration_since(opened).unwrap_or_default();
                    }
                }
                _ => {}
            }
        }
        self.read = timeline.len();
        let trips = timeline.round_trips();
        for (index, rtt) in &trips[self.rtts_read.min(trips.len())..] {
            let at = timeline
                .get(*index)
                .zip(self.start)
                .and_then(|(e, start)| e.wall_time.duration_since(start).ok())
                .unwrap_or_default();
            self.rtts.push((at.as_secs_f64(), *rtt));
        }
        self.rtts_read = trips.len();
    }

    /// Messages per second now: the last complete second before `now` (both directions).
    pub fn current_rate(&self, now: SystemTime) -> u64 {
        let Some(start) = self.start else {
            return 0;
        };
        let elapsed = now.duration_since(start).unwrap_or_default().as_secs() as usize;
        elapsed
            .checked_sub(1)
            .and_then(|second| self.seconds.get(second))
            .map_or(0, Bucket::msgs)
    }

    /// The highest messages per second of any second so far.
    pub fn peak_rate(&self) -> u64 {
        self.seconds.iter().map(Bucket::msgs).max().unwrap_or(0)
    }

    /// Time connected, over every attempt, up to `now` for an attempt still open.
    pub fn connected_for(&self, now: SystemTime) -> Duration {
        self.connected_before
            + self.open_since.map_or(Duration::ZERO, |opened| {
                now.duration_since(opened).unwrap_or_default()
            })
    }

    /// Starts counting again after the timeline's rows were cleared
    /// ([`Timeline::clear_rows`]): counters, rates and round trips from zero, while the time
    /// connected (the connection did not end) carries on.
    pub fn restart(&mut self) {
        *self = Self {
            open_since: self.open_since,
            connected_before: self.connected_before,
            ..Self::default()
        };
    }

    /// True while the latest attempt is open.
    pub fn is_open(&self) -> bool {
        self.open_since.is_some()
    }
}

/// The time between two entries: by monotonic offsets within one attempt, by wall time
/// across attempts. Always positive.
pub fn time_between(timeline: &Timeline, a: usize, b: usize) -> Option<Duration> {
    let (first, second) = (timeline.get(a)?, timeline.get(b)?);
    if first.attempt == second.attempt {
        let (x, y) = (first.offset, second.offset);
        Some(x.abs_diff(y))
    } else {
        let (x, y) = (first.wall_time, second.wall_time);
        Some(
            x.duration_since(y)
                .or_else(|_| y.duration_since(x))
                .unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::engine::{CloseInfo, Event, Initiator, OpenInfo, Payload};

    fn at(base: SystemTime, ms: u64, kind: EventKind) -> Event {
        Event {
            wire: None,
            seq: 0,
            wall_time: base + Duration::from_millis(ms),
            offset: Duration::from_millis(ms),
            kind,
        }
    }

    fn msg(dir: Direction, n: usize) -> EventKind {
        EventKind::Message {
            dir,
            payload: Payload::Binary(Bytes::from(vec![0u8; n])),
        }
    }

    #[test]
    fn counts_rates_and_connected_time() {
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut timeline = Timeline::default();
        let mut stats = Stats::default();
        timeline.push(1, at(base, 0, EventKind::open(OpenInfo::default())));
        timeline.push(1, at(base, 100, msg(Direction::Out, 10)));
        timeline.push(1, at(base, 200, msg(Direction::In, 30)));
        timeline.push(1, at(base, 300, msg(Direction::In, 5)));
        stats.update(&timeline);
        timeline.push(1, at(base, 1500, msg(Direction::In, 1)));
        stats.update(&timeline);
        assert_eq!(stats.total.msgs_in, 3);
        assert_eq!(stats.total.msgs_out, 1);
        assert_eq!(stats.total.bytes_in, 36);
        assert_eq!(stats.total.bytes_out, 10);
        assert_eq!(stats.peak_rate(), 3);
        assert_eq!(stats.current_rate(base + Duration::from_millis(1200)), 3);
        assert_eq!(stats.current_rate(base + Duration::from_millis(2100)), 1);
        assert_eq!(stats.current_rate(base + Duration::from_secs(9)), 0);
        assert!(stats.is_open());
        assert_eq!(
            stats.connected_for(base + Duration::from_secs(2)),
            Duration::from_secs(2)
        );
        let close = CloseInfo {
            code: 1000,
            reason: String::new(),
            was_clean: true,
            initiator: Initiator::Client,
            closing_handshake: None,
        };
        timeline.push(1, at(base, 3000, EventKind::Close(Box::new(close))));
        stats.update(&timeline);
        assert_eq!(
            stats.connected_for(base + Duration::from_secs(60)),
            Duration::from_secs(3)
        );
        assert_eq!(
            time_between(&timeline, 4, 1),
            Some(Duration::from_millis(1400))
        );
    }

    #[test]
    fn a_restart_counts_from_zero_and_keeps_the_time_connected() {
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let mut timeline = Timeline::default();
        let mut stats = Stats::default();
        timeline.push(1, at(base, 0, EventKind::open(OpenInfo::default())));
        timeline.push(1, at(base, 100, msg(Direction::In, 10)));
        stats.update(&timeline);
        timeline.clear_rows();
        stats.restart();
        timeline.push(1, at(base, 4200, msg(Direction::Out, 7)));
        stats.update(&timeline);
        assert_eq!((stats.total.msgs_in, stats.total.msgs_out), (0, 1));
        assert_eq!(stats.total.bytes_out, 7);
        assert_eq!(stats.peak_rate(), 1);
        assert!(stats.is_open(), "still connected");
        assert_eq!(
            stats.connected_for(base + Duration::from_secs(5)),
            Duration::from_secs(5)
        );
    }
}

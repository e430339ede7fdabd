//! [`FilteredView`]: the indices of a timeline's entries that pass a filter, kept up to
//! date incrementally (only entries not yet tested are tested). A backlog — a new filter
//! over a long timeline — is tested on every core: workers claim chunks of entries in
//! order, so a slow chunk never leaves a core waiting, and the chunks done before a
//! deadline always form a prefix of the backlog.

use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::filter::{CompiledFilter, DecodedLookup, FilterSpec, NoDecoding};
use super::timeline::Timeline;
use crate::engine::EventKind;

/// Entries tested between two looks at the deadline, and the unit workers claim.
const CHUNK: usize = 4096;

/// Bytes of payload tested between two looks at the deadline within a chunk, so a chunk of
/// huge messages cannot hold up a frame: a chunk stopped at the deadline counts up to
/// where it stopped when it is the next one due, and is tested again from its start when not.
const CHECK_BYTES: usize = 1 << 20;

/// From this many untested entries on, testing is spread over every core; fewer (the few
/// new entries of a live feed) are tested on the calling thread.
const PARALLEL_FROM: usize = 4 * CHUNK;

/// The indices of a timeline's entries that pass a filter, kept up to date incrementally.
#[derive(Debug)]
pub struct FilteredView {
    filter: CompiledFilter,
    matching: Vec<usize>,
    tested: usize,
}

impl Default for FilteredView {
    fn default() -> Self {
        Self::new(FilterSpec::default().compile())
    }
}

impl FilteredView {
    /// A view that has tested nothing yet.
    pub fn new(filter: CompiledFilter) -> Self {
        Self {
            filter,
            matching: Vec::new(),
            tested: 0,
        }
    }

    /// The filter in use.
    pub fn filter(&self) -> &CompiledFilter {
        &self.filter
    }

    /// Replaces the filter; everything is tested again (from [`FilteredView::update`]).
    pub fn set_filter(&mut self, filter: CompiledFilter) {
        *self = Self::new(filter);
    }

    /// The matching entry indices found so far, in order.
    pub fn matching(&self) -> &[usize] {
        &self.matching
    }

    /// How many entries have been tested.
    pub fn tested(&self) -> usize {
        self.tested
    }

    /// Tests the entries not yet tested, stopping at `deadline` (looked at after every
    /// 4096 entries or 1 MiB of payload a thread tests, so each thread tests at least one
    /// entry). A backlog is
    /// spread over every core; a few new entries are tested on this thread. Returns true
    /// when entries are left to test. A cleared (shorter) timeline starts the view again.
    pub fn update(&mut self, timeline: &Timeline, deadline: Option<Instant>) -> bool {
        self.update_decoded(timeline, &NoDecoding, deadline)
    }

    /// As [`FilteredView::update`], binary messages read as their decoded text from
    /// `decoded`; only the entries `decoded` has settled are tested.
    pub fn update_decoded(
        &mut self,
        timeline: &Timeline,
        decoded: &dyn DecodedLookup,
        deadline: Option<Instant>,
    ) -> bool {
        if timeline.len() < self.tested {
            self.matching.clear();
            self.tested = 0;
        }
        let len = timeline.len().min(decoded.settled().max(self.tested));
        let backlog = self.tested..len;
        let threads = if backlog.len() >= PARALLEL_FROM {
            cores()
        } else {
            1
        };
        let tested = test_in_chunks(
            timeline,
            &self.filter,
            decoded,
            backlog,
            threads,
            deadline,
            &mut self.matching,
        );
        self.tested = tested;
        self.tested < len
    }
}

/// Filters every entry at once on `threads` threads (this one included), for benchmarks
/// and one-off passes. Returns the matching indices in order.
pub fn filter_parallel(timeline: &Timeline, filter: &CompiledFilter, threads: usize) -> Vec<usize> {
    let mut matching = Vec::new();
    test_in_chunks(
        timeline,
        filter,
        &NoDecoding,
        0..timeline.len(),
        threads,
        None,
        &mut matching,
    );
    matching
}

/// The cores this process may use (looked up once: on Linux the lookup reads files).
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

/// Tests `range` in chunks of [`CHUNK`] entries that `threads` workers claim in order,
/// until everything is tested or `deadline` passes; appends the matches to `matching` in
/// order and returns where testing stopped (every entry before it was tested).
fn test_in_chunks(
    timeline: &Timeline,
    filter: &CompiledFilter,
    decoded: &dyn DecodedLookup,
    range: Range<usize>,
    threads: usize,
    deadline: Option<Instant>,
    matching: &mut Vec<usize>,
) -> usize {
    let chunks = range.len().div_ceil(CHUNK);
    let next_chunk = AtomicUsize::new(0);
    let past_deadline = || deadline.is_some_and(|d| Instant::now() >= d);
    // Each chunk done: its number, its matches and where testing stopped (its end unless
    // the deadline passed inside it).
    let work = |filter: &CompiledFilter| -> Vec<(usize, Vec<usize>, usize)> {
        let mut done = Vec::new();
        loop {
            let chunk = next_chunk.fetch_add(1, Ordering::Relaxed);
            if chunk >= chunks {
                break;
            }
            let start = range.start + chunk * CHUNK;
            let end = (start + CHUNK).min(range.end);
            let (mut found, mut reached, mut bytes) = (Vec::new(), start, 0);
            for (index, kind) in timeline.kinds(start..end) {
                if filter.matches_in(kind, index, decoded) {
                    found.push(index);
                }
                reached = index + 1;
                bytes += tested_bytes(kind);
                if bytes >= CHECK_BYTES {
                    bytes = 0;
                    if past_deadline() {
                        break;
                    }
                }
            }
            done.push((chunk, found, reached));
            if reached < end || past_deadline() {
                break;
            }
        }
        done
    };
    let mut done = std::thread::scope(|scope| {
        // No helper for one thread or one chunk (a live feed's few new entries).
        let helpers: Vec<_> = (1..threads.min(chunks))
            .map(|_| {
                // A worker's own copy: a regex shared between threads hands its scratch
                // space around through a lock; a copy has its own.
                let own = filter.clone();
                scope.spawn(move || work(&own))
            })
            .collect();
        let mut done = work(filter);
        for helper in helpers {
            // A worker that panicked (never expected) leaves a gap; the prefix before the
            // gap counts and the rest is tested again.
            done.extend(helper.join().unwrap_or_default());
        }
        done
    });
    done.sort_unstable_by_key(|(chunk, _, _)| *chunk);
    let mut tested = range.start;
    for (chunk, found, reached) in done {
        if range.start + chunk * CHUNK != tested {
            break;
        }
        matching.extend(found);
        tested = reached;
        if reached < (range.start + (chunk + 1) * CHUNK).min(range.end) {
            break;
        }
    }
    tested
}

/// About how many bytes testing `kind` reads (a text or JSON filter reads the payload).
fn tested_bytes(kind: &EventKind) -> usize {
    match kind {
        EventKind::Message { payload, .. } => payload.len(),
        EventKind::Ping { payload, .. } | EventKind::Pong { payload, .. } => payload.len(),
        EventKind::Sse(sse) => sse.text().len(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::engine::{Direction, Event};

    fn msg(dir: Direction, text: &str) -> Event {
        Event::text_for_test(dir, text)
    }

    #[test]
    fn the_view_tests_only_new_entries() {
        let mut timeline = Timeline::default();
        let mut view = FilteredView::new(
            FilterSpec {
                query: "x".into(),
                ..FilterSpec::default()
            }
            .compile(),
        );
        timeline.push(1, msg(Direction::In, "x1"));
        timeline.push(1, msg(Direction::In, "y"));
        assert!(!view.update(&timeline, None));
        assert_eq!(view.matching(), &[0]);
        timeline.push(1, msg(Direction::In, "x2"));
        view.update(&timeline, None);
        assert_eq!(view.matching(), &[0, 2]);
        assert_eq!(view.tested(), 3);
        let all = filter_parallel(&timeline, view.filter(), 2);
        assert_eq!(all, vec![0, 2]);
    }

    #[test]
    fn a_backlog_split_over_two_threads_keeps_every_match_in_order() {
        let mut timeline = Timeline::default();
        let count = 40_000;
        for n in 0..count {
            let dir = if n % 3 == 0 {
                Direction::In
            } else {
                Direction::Out
            };
            let mut event = msg(dir, &format!("{{\"n\":{n}}}"));
            event.seq = n as u64;
            timeline.push(1, event);
        }
        let spec = FilterSpec {
            outgoing: false,
            json: "$.n >= 10".into(),
            ..FilterSpec::default()
        };
        let mut view = FilteredView::new(spec.compile());
        assert!(!view.update(&timeline, None), "everything tested");
        let expected: Vec<usize> = (0..count).filter(|n| n % 3 == 0 && *n >= 10).collect();
        assert_eq!(view.matching(), expected.as_slice());
        assert_eq!(view.tested(), count);
        assert_eq!(filter_parallel(&timeline, view.filter(), 3), expected);
    }

    #[test]
    fn a_passed_deadline_still_makes_progress_and_keeps_a_prefix() {
        let mut timeline = Timeline::default();
        let count = 100_000;
        for n in 0..count {
            timeline.push(1, msg(Direction::In, &format!("{{\"n\":{n}}}")));
        }
        let spec = FilterSpec {
            json: "$.n < 50000".into(),
            ..FilterSpec::default()
        };
        let mut view = FilteredView::new(spec.compile());
        assert!(view.update(&timeline, Some(Instant::now())), "work is left");
        let tested = view.tested();
        assert!(tested >= CHUNK && tested < count, "tested {tested}");
        let expected: Vec<usize> = (0..tested.min(50_000)).collect();
        assert_eq!(view.matching(), expected.as_slice());
        let mut frames = 1;
        while view.update(&timeline, Some(Instant::now())) {
            frames += 1;
        }
        assert!(frames > 1);
        assert_eq!(view.matching(), (0..50_000).collect::<Vec<_>>().as_slice());
        assert_eq!(view.tested(), count);
    }

    #[test]
    fn huge_messages_are_not_all_tested_after_the_deadline() {
        // Eight 2 MiB messages fit in one chunk; a frame whose deadline has passed tests
        // one (progress), not all eight: the deadline is looked at every CHECK_BYTES.
        let mut timeline = Timeline::default();
        let big = format!("{{\"n\":\"{}\"}}", "x".repeat(2 << 20));
        for _ in 0..8 {
            timeline.push(1, msg(Direction::In, &big));
        }
        let spec = FilterSpec {
            query: "y".into(),
            ..FilterSpec::default()
        };
        let mut view = FilteredView::new(spec.compile());
        assert!(view.update(&timeline, Some(Instant::now())), "work is left");
        assert_eq!(view.tested(), 1);
        while view.update(&timeline, Some(Instant::now())) {}
        assert_eq!(view.tested(), 8);
        assert!(view.matching().is_empty());
    }
}

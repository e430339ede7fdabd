//! [`FilteredView`]: the indices of a timeline's entries that pass a filter, kept up to
//! date incrementally (only entries not yet tested are tested). A backlog — a new filter
//! over a long timeline — is tested on every core: workers claim chunks of entries in
//! order, so a slow chunk never leaves a core waiting, and the chunks done before a
//! deadline always form a prefix of the backlog.

use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::filter::{CompiledFilter, FilterSpec};
use super::timeline::Timeline;

/// Entries tested between two looks at the deadline, and the unit workers claim.
const CHUNK: usize = 4096;

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
    /// 4096 entries a thread tests, so each thread tests at least that many). A backlog is
    /// spread over every core; a few new entries are tested on this thread. Returns true
    /// when entries are left to test. A cleared (shorter) timeline starts the view again.
    pub fn update(&mut self, timeline: &Timeline, deadline: Option<Instant>) -> bool {
        let len = timeline.len();
        if len < self.tested {
            self.matching.clear();
            self.tested = 0;
        }
        let backlog = self.tested..len;
        let threads = if backlog.len() >= PARALLEL_FROM {
            cores()
        } else {
            1
        };
        let tested = test_in_chunks(
            timeline,
            &self.filter,
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
    range: Range<usize>,
    threads: usize,
    deadline: Option<Instant>,
    matching: &mut Vec<usize>,
) -> usize {
    let chunks = range.len().div_ceil(CHUNK);
    let next_chunk = AtomicUsize::new(0);
    let work = |filter: &CompiledFilter| -> Vec<(usize, Vec<usize>)> {
        let mut done = Vec::new();
        loop {
            let chunk = next_chunk.fetch_add(1, Ordering::Relaxed);
            if chunk >= chunks {
                break;
            }
            let start = range.start + chunk * CHUNK;
            let found = timeline
                .kinds(start..(start + CHUNK).min(range.end))
                .filter(|(_, kind)| filter.matches(kind))
                .map(|(index, _)| index)
                .collect();
            done.push((chunk, found));
            if deadline.is_some_and(|d| Instant::now() >= d) {
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
    done.sort_unstable_by_key(|(chunk, _)| *chunk);
    let mut tested_chunks = 0;
    for (chunk, found) in done {
        if chunk != tested_chunks {
            break;
        }
        matching.extend(found);
        tested_chunks += 1;
    }
    (range.start + tested_chunks * CHUNK).min(range.end)
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
}

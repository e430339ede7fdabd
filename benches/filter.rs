//! Filtering a million messages: a JSON path predicate and a regex, over a timeline of
//! ticker-like text messages, on one thread and as the window's pass (a backlog spread over
//! every core).
//!
//!   cargo bench --bench filter            (release build; prints a Markdown table)
//!   cargo bench --bench filter -- price   (only the cases whose name contains "price")

use std::time::{Duration, Instant, SystemTime};

use sockscope::engine::{Direction, Event, EventKind, Payload};
use sockscope::model::filter::{FilterSpec, FilteredView, filter_parallel};
use sockscope::model::timeline::Timeline;

const COUNT: usize = 1_000_000;
const ROUNDS: usize = 5;
/// The filtering budget of one frame in the window (`App::logic`).
const FRAME_BUDGET: Duration = Duration::from_millis(8);

fn timeline() -> Timeline {
    let mut timeline = Timeline::default();
    let started = SystemTime::now();
    let kinds = ["trade", "quote", "tick", "book"];
    for n in 0..COUNT {
        let text = format!(
            r#"{{"type":"{}","price":{}.{:02},"user":{{"name":"user{}"}},"seq":{n}}}"#,
            kinds[n % kinds.len()],
            n % 200,
            n % 100,
            n % 1000
        );
        timeline.push(
            1,
            Event {
                wire: None,
                seq: n as u64,
                wall_time: started + Duration::from_micros(n as u64),
                offset: Duration::from_micros(n as u64),
                kind: EventKind::Message {
                    dir: if n % 2 == 0 {
                        Direction::In
                    } else {
                        Direction::Out
                    },
                    payload: Payload::Text(text.into()),
                },
            },
        );
    }
    timeline
}

fn best(mut run: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut found = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        found = std::hint::black_box(run());
        best = best.min(started.elapsed());
    }
    (best, found)
}

fn main() {
    let timeline = timeline();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cases = [
        (
            "JSON `$.type == \"trade\"`",
            FilterSpec {
                json: r#"$.type == "trade""#.into(),
                ..FilterSpec::default()
            },
        ),
        (
            "JSON `$.price > 100`",
            FilterSpec {
                json: "$.price > 100".into(),
                ..FilterSpec::default()
            },
        ),
        (
            "JSON `$..price > 100` (descendant: parses each message)",
            FilterSpec {
                json: "$..price > 100".into(),
                ..FilterSpec::default()
            },
        ),
        (
            "JSON `$.user.* == \"user42\"` (wildcard)",
            FilterSpec {
                json: r#"$.user.* == "user42""#.into(),
                ..FilterSpec::default()
            },
        ),
        (
            "regex `\"price\":1\\d\\d\\.`",
            FilterSpec {
                query: r#""price":1\d\d\."#.into(),
                regex: true,
                ..FilterSpec::default()
            },
        ),
        (
            "contains `user42\"`",
            FilterSpec {
                query: "user42\"".into(),
                ..FilterSpec::default()
            },
        ),
    ];
    println!("Filtering {COUNT} text messages (~90 B each), best of {ROUNDS}, {threads} threads\n");
    println!(
        "| filter | matches | one thread | the window's pass ({threads} threads) | in 8 ms frame budgets |"
    );
    println!("|---|---:|---:|---:|---:|");
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    for (name, spec) in cases {
        if !only.is_empty() && !only.iter().any(|wanted| name.contains(wanted.as_str())) {
            continue;
        }
        let filter = spec.compile();
        let (single, found) = best(|| filter_parallel(&timeline, &filter, 1).len());
        let (window, found_window) = best(|| {
            let mut view = FilteredView::new(filter.clone());
            view.update(&timeline, None);
            view.matching().len()
        });
        // As the window runs it: one call per frame, each stopping at an 8 ms budget.
        let mut frames = 0;
        let (sliced, found_sliced) = best(|| {
            let mut view = FilteredView::new(filter.clone());
            frames = 1;
            while view.update(&timeline, Some(Instant::now() + FRAME_BUDGET)) {
                frames += 1;
            }
            view.matching().len()
        });
        assert_eq!(found, found_window, "both passes agree");
        assert_eq!(found, found_sliced, "slicing loses nothing");
        println!(
            "| {name} | {found} | {:.1} ms | {:.1} ms | {:.1} ms over {frames} frames |",
            single.as_secs_f64() * 1000.0,
            window.as_secs_f64() * 1000.0,
            sliced.as_secs_f64() * 1000.0
        );
    }
}

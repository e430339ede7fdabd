//! The window's decoding of binary messages: how fast a tab decodes what arrives (or a new
//! choice over the whole timeline), and a JSON filter over decoded MessagePack beside the
//! same filter over the same values sent as text.
//!
//!   cargo bench --bench decode_view            (release build; prints a Markdown table)

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use serde_json::json;
use sockscope::app::decoding::TabDecoding;
use sockscope::engine::{Direction, Event, EventKind, Payload};
use sockscope::format::decode::{Content, DecodeSpec, Limits, encode};
use sockscope::model::decode_settings::DecodeSettings;
use sockscope::model::filter::{FilterSpec, FilteredView};
use sockscope::model::timeline::Timeline;

const COUNT: usize = 200_000;
const ROUNDS: usize = 3;
const MAX: usize = 16 << 20;

fn value(n: usize) -> serde_json::Value {
    let kinds = ["trade", "quote", "tick", "book"];
    json!({"type": kinds[n % 4], "price": (n % 200) as f64 + 0.25, "user": {"name": format!("user{}", n % 1000)}, "seq": n})
}

fn timeline(chain: Option<&str>) -> Timeline {
    let mut timeline = Timeline::default();
    let started = SystemTime::now();
    let spec: Option<DecodeSpec> = chain.map(|c| c.parse().expect("a spec"));
    for n in 0..COUNT {
        let payload = match &spec {
            Some(spec) => {
                let bytes = encode(spec, &Content::Value(value(n)), None, Limits::new(MAX))
                    .expect("encoded");
                Payload::Binary(Bytes::from(bytes))
            }
            None => Payload::Text(value(n).to_string().into()),
        };
        timeline.push(
            1,
            Event {
                wire: None,
                seq: n as u64,
                wall_time: started + Duration::from_micros(n as u64),
                offset: Duration::from_micros(n as u64),
                kind: EventKind::Message {
                    dir: Direction::In,
                    payload,
                },
            },
        );
    }
    timeline
}

fn decoded(timeline: &Timeline, spec: &str) -> (TabDecoding, Duration) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..ROUNDS {
        let mut decoding = TabDecoding::new(&DecodeSettings {
            spec: spec.parse().expect("a spec"),
            ..DecodeSettings::default()
        });
        let started = Instant::now();
        while decoding.catch_up(timeline, MAX, Instant::now() + Duration::from_secs(60)) {}
        best = best.min(started.elapsed());
        last = Some(decoding);
    }
    (last.expect("a round"), best)
}

fn filter_time(timeline: &Timeline, decoding: &TabDecoding) -> (Duration, usize) {
    let filter = FilterSpec {
        json: "$.price > 100".into(),
        ..FilterSpec::default()
    }
    .compile();
    let mut best = Duration::MAX;
    let mut found = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let mut view = FilteredView::new(filter.clone());
        view.update_decoded(timeline, decoding.rows(), None);
        found = view.matching().len();
        best = best.min(started.elapsed());
    }
    (best, found)
}

fn main() {
    println!("Decoding {COUNT} messages (~90 B of JSON each) in the window, best of {ROUNDS}\n");
    println!("| messages | tab's choice | decode all | per message | `$.price > 100` filter |");
    println!("|---|---|---:|---:|---:|");
    let cases = [
        (None, "auto"),
        (Some("msgpack"), "auto"),
        (Some("msgpack"), "msgpack"),
        (Some("cbor"), "cbor"),
        (Some("gzip+json"), "auto"),
        (Some("gzip+json"), "gzip+json"),
    ];
    for (sent, spec) in cases {
        let timeline = timeline(sent);
        let (decoding, took) = decoded(&timeline, spec);
        let (filtered, found) = filter_time(&timeline, &decoding);
        println!(
            "| {} | {spec} | {:.1} ms | {:.2} µs | {:.1} ms ({found} found) |",
            sent.unwrap_or("text JSON"),
            took.as_secs_f64() * 1000.0,
            took.as_secs_f64() * 1e6 / COUNT as f64,
            filtered.as_secs_f64() * 1000.0,
        );
    }
}

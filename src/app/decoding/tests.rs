//! The decoding state on timelines built by hand: decoding in order, a new choice applied
//! in slices, choices for one message, the bound on decoded text.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use serde_json::json;

use super::*;
use crate::engine::Event;
use crate::format::decode::{ZlibStreamEncoder, encode};
use crate::model::filter::{DecodedLookup, FilterSpec, FilteredView};

const MAX: usize = 1 << 20;

fn spec(text: &str) -> DecodeSpec {
    text.parse().expect("a spec")
}

fn packed(chain: &str, value: serde_json::Value) -> Vec<u8> {
    encode(&spec(chain), &Content::Value(value), None, Limits::new(MAX)).expect("encoded")
}

fn binary(dir: Direction, bytes: Vec<u8>) -> Event {
    Event {
        wire: None,
        seq: 0,
        wall_time: SystemTime::now(),
        offset: Duration::ZERO,
        kind: EventKind::Message {
            dir,
            payload: Payload::Binary(Bytes::from(bytes)),
        },
    }
}

fn decoding(text: &str) -> TabDecoding {
    TabDecoding::new(&DecodeSettings {
        spec: spec(text),
        ..DecodeSettings::default()
    })
}

/// Decodes everything there is, however many frames it takes.
fn settle(decoding: &mut TabDecoding, timeline: &Timeline) {
    while decoding.catch_up(timeline, MAX, Instant::now() + Duration::from_secs(5)) {}
}

fn text_of(decoding: &TabDecoding, index: usize) -> Option<&str> {
    decoding.rows().decoded_text(index)
}

#[test]
fn auto_decodes_binary_messages_and_leaves_text_alone() {
    let mut timeline = Timeline::default();
    timeline.push(1, binary(Direction::In, packed("msgpack", json!({"a": 1}))));
    timeline.push(1, Event::text_for_test(Direction::In, r#"{"b":2}"#));
    timeline.push(1, binary(Direction::In, packed("gzip+json", json!([1, 2]))));
    timeline.push(1, binary(Direction::In, vec![0xc1]));
    let mut decoding = TabDecoding::new(&DecodeSettings::default());
    settle(&mut decoding, &timeline);
    let row = decoding.row(0).expect("row 0 decoded");
    assert_eq!(row.format, "msgpack");
    assert!(
        row.reason
            .as_deref()
            .is_some_and(|r| r.contains("MessagePack"))
    );
    assert_eq!(text_of(&decoding, 0), Some(r#"{"a":1}"#));
    assert_eq!(decoding.row(1), None, "a text message is not decoded");
    assert_eq!(
        decoding.row(2).map(|r| r.format.as_str()),
        Some("gzip+json")
    );
    assert_eq!(decoding.row(2).and_then(RowDecode::unpacked_size), Some(5));
    assert_eq!(
        decoding.row(3),
        None,
        "auto: nothing matched, nothing to say"
    );
    assert_eq!(decoding.rows().settled(), 4);
}

#[test]
fn an_explicit_chain_that_does_not_fit_keeps_the_error() {
    let mut timeline = Timeline::default();
    timeline.push(1, binary(Direction::In, b"\x01\x02".to_vec()));
    let mut decoding = decoding("gzip+json");
    settle(&mut decoding, &timeline);
    let row = decoding.row(0).expect("a row");
    assert_eq!(row.format, "gzip+json");
    assert!(matches!(&row.outcome, Outcome::Error(e) if e.starts_with("not gzip")));
    assert_eq!(text_of(&decoding, 0), None);
}

#[test]
fn a_new_choice_decodes_again_in_slices_reading_the_old_rows_meanwhile() {
    let mut timeline = Timeline::default();
    for n in 0..5 {
        timeline.push(1, binary(Direction::In, packed("msgpack", json!({"n": n}))));
    }
    let mut decoding = TabDecoding::new(&DecodeSettings::default());
    settle(&mut decoding, &timeline);
    let generation = decoding.rows().generation();
    decoding.set_spec(spec("protobuf-raw"));
    assert_ne!(
        decoding.rows().generation(),
        generation,
        "filters test again"
    );
    // A frame whose deadline has passed still decodes one message.
    assert!(decoding.catch_up(&timeline, MAX, Instant::now()));
    assert_eq!(decoding.rows().settled(), 1);
    assert!(decoding.is_redecoding(&timeline));
    assert_ne!(decoding.row(0).map(|r| r.format.as_str()), Some("msgpack"));
    assert_eq!(
        decoding.row(4).map(|r| r.format.as_str()),
        Some("msgpack"),
        "not reached yet: read as before"
    );
    let mut frames = 1;
    loop {
        frames += 1;
        if !decoding.catch_up(&timeline, MAX, Instant::now()) {
            break;
        }
    }
    assert_eq!(frames, 5, "one message per frame past its deadline");
    assert!(!decoding.is_redecoding(&timeline));
    decoding.set_spec(DecodeSpec::None);
    settle(&mut decoding, &timeline);
    assert!(decoding.rows().is_empty(), "none decodes nothing");
}

#[test]
fn a_choice_for_one_message_changes_that_message_only() {
    let mut timeline = Timeline::default();
    timeline.push(1, binary(Direction::In, packed("msgpack", json!({"a": 1}))));
    timeline.push(1, binary(Direction::In, packed("msgpack", json!({"b": 2}))));
    let mut decoding = TabDecoding::new(&DecodeSettings::default());
    settle(&mut decoding, &timeline);
    decoding.set_override(&timeline, 0, Some(DecodeSpec::None), MAX);
    assert_eq!(decoding.row(0), None, "none: shown as bytes");
    assert_eq!(text_of(&decoding, 1), Some(r#"{"b":2}"#));
    assert_eq!(decoding.override_of(0), Some(&DecodeSpec::None));
    decoding.set_override(&timeline, 0, Some(spec("cbor")), MAX);
    let row = decoding.row(0).expect("a row");
    assert!(row.overridden && matches!(row.outcome, Outcome::Error(_)));
    decoding.set_override(&timeline, 0, None, MAX);
    assert_eq!(text_of(&decoding, 0), Some(r#"{"a":1}"#));
    assert!(!decoding.row(0).is_some_and(|r| r.overridden));
    // A choice survives the tab's new choice; messages after it get theirs as they come.
    decoding.set_override(&timeline, 1, Some(DecodeSpec::None), MAX);
    decoding.set_spec(spec("msgpack"));
    settle(&mut decoding, &timeline);
    assert_eq!(decoding.row(1), None);
    timeline.push(1, binary(Direction::In, packed("msgpack", json!(3))));
    decoding.set_override(&timeline, 2, Some(DecodeSpec::None), MAX);
    settle(&mut decoding, &timeline);
    assert_eq!(
        decoding.row(2),
        None,
        "a choice made before the message was decoded"
    );
}

#[test]
fn decoded_text_stops_at_the_memory_budget_and_says_so() {
    let mut timeline = Timeline::default();
    timeline.set_memory_budget(1000);
    // 2000 zeros gzip to a few dozen bytes: the payloads fit, their text does not.
    let big = json!("0".repeat(400));
    for _ in 0..4 {
        timeline.push(1, binary(Direction::In, packed("gzip+json", big.clone())));
    }
    assert_eq!(timeline.not_kept().messages, 0, "the payloads are kept");
    let mut decoding = TabDecoding::new(&DecodeSettings::default());
    settle(&mut decoding, &timeline);
    assert_eq!(decoding.rows().not_kept(), 2);
    assert!(decoding.rows().kept_bytes() <= 1000);
    assert!(text_of(&decoding, 1).is_some());
    let row = decoding.row(2).expect("a row");
    assert_eq!(row.format, "gzip+json");
    assert!(matches!(
        row.outcome,
        Outcome::NotKept {
            unpacked_size: 402,
            text_len: 402
        }
    ));
    assert_eq!(row.unpacked_size(), Some(402));
}

#[test]
fn zlib_stream_decodes_each_direction_in_order_and_a_new_attempt_starts_over() {
    let mut timeline = Timeline::default();
    let mut server = ZlibStreamEncoder::new();
    let mut client = ZlibStreamEncoder::new();
    for n in 0..3 {
        let text = json!({"op": n}).to_string();
        timeline.push(1, binary(Direction::In, server.push(text.as_bytes())));
        let text = json!({"out": n}).to_string();
        timeline.push(1, binary(Direction::Out, client.push(text.as_bytes())));
    }
    let mut again = ZlibStreamEncoder::new();
    timeline.push(2, binary(Direction::In, again.push(br#"{"op":9}"#)));
    let mut decoding = decoding("zlib-stream+json");
    settle(&mut decoding, &timeline);
    let texts: Vec<_> = (0..7).map(|i| text_of(&decoding, i)).collect();
    assert_eq!(
        texts,
        [
            Some(r#"{"op":0}"#),
            Some(r#"{"out":0}"#),
            Some(r#"{"op":1}"#),
            Some(r#"{"out":1}"#),
            Some(r#"{"op":2}"#),
            Some(r#"{"out":2}"#),
            Some(r#"{"op":9}"#),
        ]
    );
    // Decoding again (a new choice and back) goes through the stream in order again.
    decoding.set_spec(DecodeSpec::None);
    settle(&mut decoding, &timeline);
    decoding.set_spec(spec("zlib-stream+json"));
    while decoding.catch_up(&timeline, MAX, Instant::now()) {}
    assert_eq!(text_of(&decoding, 4), Some(r#"{"op":2}"#));
}

#[test]
fn a_filter_reads_the_decoded_value_and_tests_again_after_a_new_choice() {
    let mut timeline = Timeline::default();
    timeline.push(
        1,
        binary(Direction::In, packed("msgpack", json!({"type": "trade"}))),
    );
    timeline.push(
        1,
        Event::text_for_test(Direction::In, r#"{"type":"trade"}"#),
    );
    timeline.push(
        1,
        binary(Direction::In, packed("cbor", json!({"type": "quote"}))),
    );
    let mut decoding = TabDecoding::new(&DecodeSettings::default());
    let filter = FilterSpec {
        json: r#"$.type == "trade""#.into(),
        ..FilterSpec::default()
    };
    let mut view = FilteredView::new(filter.compile());
    view.update_decoded(&timeline, decoding.rows(), None);
    assert_eq!(view.tested(), 0, "nothing is tested before it is decoded");
    settle(&mut decoding, &timeline);
    view.update_decoded(&timeline, decoding.rows(), None);
    assert_eq!(view.matching(), &[0, 1]);
    let search = FilterSpec {
        query: "quote".into(),
        ..FilterSpec::default()
    };
    let mut found = FilteredView::new(search.compile());
    found.update_decoded(&timeline, decoding.rows(), None);
    assert_eq!(found.matching(), &[2], "search reads the decoded value too");
}

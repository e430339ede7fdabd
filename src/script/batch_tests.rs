//! A batch of messages in one call behaves as a call per message: same lines, in the same
//! order, each message's outputs told apart, its own time limit, its own promise jobs.

use std::time::Duration;

use super::*;
use crate::script::{ScriptLimits, ScriptOutput, ScriptRunner, ScriptSetup};

fn load(source: &str, call_time_ms: u64) -> ScriptRunner {
    let setup = ScriptSetup {
        limits: ScriptLimits {
            call_time: Duration::from_millis(call_time_ms),
            memory: 16 << 20,
            stack: 256 << 10,
        },
        ..ScriptSetup::default()
    };
    match ScriptRunner::load(source, "t.js", setup) {
        Ok(runner) => runner,
        Err(error) => panic!("does not load: {error}"),
    }
}

fn texts(texts: &[&str]) -> Vec<Payload> {
    texts
        .iter()
        .map(|text| Payload::Text((*text).to_owned().into()))
        .collect()
}

fn batch(payloads: &[Payload]) -> Vec<ScriptMessage<'_>> {
    payloads
        .iter()
        .enumerate()
        .map(|(seq, payload)| ScriptMessage {
            seq: seq as u64 + 1,
            dir: Direction::In,
            payload,
            offset: None,
            views: MessageViews::default(),
        })
        .collect()
}

/// The outputs as lines, grouped by the message that caused them.
fn grouped(runner: &mut ScriptRunner, ends: &[usize]) -> Vec<Vec<String>> {
    let outputs = runner.take_outputs();
    let mut start = 0;
    ends.iter()
        .map(|&end| {
            let group = outputs[start..end].iter().map(line).collect();
            start = end;
            group
        })
        .collect()
}

fn line(output: &ScriptOutput) -> String {
    match output {
        ScriptOutput::Log(text) => text.clone(),
        ScriptOutput::Error(text) => format!("error: {text}"),
        ScriptOutput::SendText(text) => format!("send: {text}"),
        ScriptOutput::Test(t) => format!("test {}: {} {:?}", t.name, t.passed, t.decided_by),
        other => format!("{other:?}"),
    }
}

#[test]
fn each_message_of_a_batch_has_its_own_outputs_in_order() {
    let mut runner = load(
        "function onMessage(m) { log('got', m.text); if (m.text === 'b') { log('again'); ws.send('x'); } }",
        200,
    );
    let payloads = texts(&["a", "b", "c"]);
    let ends = runner.on_messages(&batch(&payloads));
    assert_eq!(ends, [1, 4, 5]);
    // ws.send refuses before the open: its error is b's too.
    let groups = grouped(&mut runner, &ends);
    assert_eq!(groups[0], ["got a"]);
    assert_eq!(groups[1][0], "got b");
    assert_eq!(groups[1][1], "again");
    assert!(groups[1][2].starts_with("error: onMessage: "), "{groups:?}");
    assert_eq!(groups[2], ["got c"]);
}

#[test]
fn an_exception_ends_one_message_and_the_batch_goes_on() {
    let mut runner = load(
        "function onMessage(m) {\n  if (m.text.startsWith('bad')) null.x;\n  log('ok', m.text);\n}",
        200,
    );
    let payloads = texts(&["a", "bad1", "b", "bad2", "c"]);
    let ends = runner.on_messages(&batch(&payloads));
    let groups = grouped(&mut runner, &ends);
    assert_eq!(groups[0], ["ok a"]);
    assert_eq!(groups[1].len(), 1);
    assert!(
        groups[1][0].starts_with("error: onMessage: TypeError: ")
            && groups[1][0].contains("(at t.js:2:"),
        "{groups:?}"
    );
    assert_eq!(groups[2], ["ok b"]);
    assert!(
        groups[3][0].starts_with("error: onMessage: TypeError: "),
        "{groups:?}"
    );
    assert_eq!(groups[4], ["ok c"]);
    assert!(!runner.stopped());
}

#[test]
fn an_endless_loop_in_the_third_message_stops_the_script_there() {
    let mut runner = load(
        "function onMessage(m) { log('saw', m.text); if (m.text === '3') while (true) {} }",
        200,
    );
    let payloads = texts(&["1", "2", "3", "4", "5"]);
    let started = std::time::Instant::now();
    let ends = runner.on_messages(&batch(&payloads));
    assert!(started.elapsed() < Duration::from_secs(5));
    let groups = grouped(&mut runner, &ends);
    assert_eq!(groups[0], ["saw 1"]);
    assert_eq!(groups[1], ["saw 2"]);
    assert_eq!(
        groups[2],
        [
            "saw 3",
            "error: onMessage: the script ran longer than 200 ms (an endless loop?), and was \
             stopped; the connection goes on"
        ]
    );
    assert!(groups[3].is_empty() && groups[4].is_empty(), "{groups:?}");
    assert!(runner.stopped());
}

#[test]
fn the_time_limit_is_per_message_not_per_batch() {
    // Each message takes 60% of the limit: a batch of four takes 2.4 limits, and passes.
    let mut runner = load(
        "function onMessage(m) { const t = Date.now(); while (Date.now() - t < 120) {} log('done', m.text); }",
        200,
    );
    let payloads = texts(&["1", "2", "3", "4"]);
    let ends = runner.on_messages(&batch(&payloads));
    let groups = grouped(&mut runner, &ends);
    assert_eq!(groups, [["done 1"], ["done 2"], ["done 3"], ["done 4"]]);
    assert!(!runner.stopped());
}

#[test]
fn promise_jobs_run_after_their_own_message() {
    let mut runner = load(
        "async function onMessage(m) { log('before', m.text); await null; log('after', m.text); }",
        200,
    );
    let payloads = texts(&["a", "b"]);
    let ends = runner.on_messages(&batch(&payloads));
    let groups = grouped(&mut runner, &ends);
    assert_eq!(groups, [["before a", "after a"], ["before b", "after b"]]);
}

#[test]
fn wait_for_sees_every_message_of_a_batch_in_order() {
    // The second waitFor starts in a promise job of the first's message: it must still see
    // the very next message of the same batch.
    let mut runner = load(
        "test('two in a row', async () => {
           await waitFor(m => m.text === 'first');
           const m = await waitFor(m => true);
           expect(m.text).toBe('second');
         });",
        200,
    );
    let payloads = texts(&["zero", "first", "second", "third"]);
    let ends = runner.on_messages(&batch(&payloads));
    let groups = grouped(&mut runner, &ends);
    assert_eq!(groups[2], ["test two in a row: true Some(3)"], "{groups:?}");
    assert!(groups[0].is_empty() && groups[1].is_empty() && groups[3].is_empty());
}

#[test]
fn binary_decoded_and_protocol_parts_reach_their_own_message() {
    let mut runner = load(
        "const kept = [];
         function onMessage(m) {
           kept.push(m);
           log(m.type, m.dir, m.text, m.bytes.length, JSON.stringify(m.decoded), JSON.stringify(m.protocol));
         }
         function onClose() { log(kept.map(m => m.text).join(','), kept[0] !== kept[2]); }",
        200,
    );
    let payloads = vec![
        Payload::Text("a".to_owned().into()),
        Payload::Binary(vec![1, 2, 3].into()),
        Payload::Text("é".to_owned().into()),
    ];
    let mut messages = batch(&payloads);
    messages[1].dir = Direction::Out;
    messages[1].views.decoded = Some("{\"k\":1}");
    messages[2].views.protocol = Some("[2]");
    let ends = runner.on_messages(&messages);
    runner.on_close(&crate::engine::CloseInfo {
        code: 1000,
        reason: String::new(),
        was_clean: true,
        initiator: crate::engine::Initiator::Server,
        closing_handshake: None,
    });
    let lines: Vec<String> = runner.take_outputs().iter().map(line).collect();
    assert_eq!(ends, [1, 2, 3]);
    assert_eq!(
        lines,
        [
            "text in a 1 undefined undefined",
            "binary out undefined 3 {\"k\":1} undefined",
            "text in é 2 undefined [2]",
            "a,,é true"
        ]
    );
}

#[test]
fn a_batch_of_one_is_a_message_of_its_own() {
    let mut runner = load("function onMessage(m) { log(m.text); }", 200);
    let payloads = texts(&["solo"]);
    assert_eq!(runner.on_messages(&batch(&payloads)), [1]);
    assert_eq!(runner.on_messages(&[]), Vec::<usize>::new());
    let payloads = texts(&["next"]);
    assert_eq!(runner.on_messages(&batch(&payloads)), [2]);
    let lines: Vec<String> = runner.take_outputs().iter().map(line).collect();
    assert_eq!(lines, ["solo", "next"]);
}

#[test]
fn a_message_reads_and_changes_like_a_plain_object_of_its_own() {
    let mut runner = load(
        "const kept = [];
         function onMessage(m) {
           kept.push(m);
           if (kept.length === 1) { m.dir = 'changed'; m.text = 'mine'; m.extra = 1; }
           if (kept.length === 2) {
             const keys = []; for (const k in kept[1]) if (!k.startsWith('_')) keys.push(k);
             log(kept[0].dir, kept[0].text, kept[0].extra, kept[1].dir, kept[1].type, kept[1].text,
                 keys.sort().join(','), JSON.stringify(kept[1]), kept[1] instanceof Object);
           }
         }",
        200,
    );
    let payloads = texts(&["a", "b"]);
    runner.on_messages(&batch(&payloads));
    let lines: Vec<String> = runner.take_outputs().iter().map(line).collect();
    assert_eq!(
        lines,
        [
            "changed mine 1 in text b dir,text,time,type {\"dir\":\"in\",\"type\":\"text\",\"text\":\"b\",\"time\":0} true"
        ]
    );
}

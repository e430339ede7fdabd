//! The script thread takes the inputs that have already arrived together and keeps their
//! order: every message's lines, and a user's send between messages, come out as one call
//! per input made them.

use std::time::{Duration, SystemTime};

use super::*;

fn message(row: u64, text: &str) -> ScriptInput {
    ScriptInput::Event {
        row,
        event: Event {
            seq: row,
            wall_time: SystemTime::now(),
            offset: Duration::from_millis(row),
            kind: EventKind::Message {
                dir: crate::engine::Direction::In,
                payload: Payload::Text(text.to_owned().into()),
            },
            wire: None,
        },
        decoded: None,
        protocol: None,
    }
}

#[test]
fn a_burst_keeps_every_line_and_a_send_in_its_place() {
    let source = "function onMessage(m) { log('saw ' + m.text); }
                  function beforeSend(m) { log('sending ' + m.text); }";
    let Ok(mut thread) = ScriptThread::start(
        source.into(),
        "t.js".into(),
        ScriptSetup::default(),
        Arc::new(|| {}),
    ) else {
        panic!("does not load")
    };
    let mut expected = Vec::new();
    for row in 0..2000u64 {
        let input = if row == 1000 {
            expected.push(ScriptOutput::Log("sending hi".into()));
            expected.push(ScriptOutput::SendText("hi".into()));
            ScriptInput::UserSend(Payload::Text("hi".to_owned().into()))
        } else {
            expected.push(ScriptOutput::Log(format!("saw {row}")));
            message(row, &row.to_string())
        };
        let mut input = Some(input);
        while let Some(offered) = input.take() {
            // The queue is full while the script catches up: offer it again.
            if !thread.offer(clone_input(&offered)) {
                std::thread::sleep(Duration::from_millis(1));
                input = Some(offered);
            }
        }
    }
    thread.end();
    assert_eq!(thread.take_outputs(), expected);
}

fn clone_input(input: &ScriptInput) -> ScriptInput {
    match input {
        ScriptInput::Event {
            row,
            event,
            decoded,
            protocol,
        } => ScriptInput::Event {
            row: *row,
            event: event.clone(),
            decoded: decoded.clone(),
            protocol: protocol.clone(),
        },
        ScriptInput::UserSend(payload) => ScriptInput::UserSend(payload.clone()),
    }
}

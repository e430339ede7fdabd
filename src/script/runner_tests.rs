//! The runner without a network: hooks, API, tests and limits, fed events by hand.

use std::time::Duration;

use super::*;
use crate::engine::Initiator;

fn open_info() -> OpenInfo {
    OpenInfo {
        status: 101,
        request_headers: Vec::new(),
        response_headers: vec![("X-Server".into(), "demo".into())],
        subprotocol: Some("chat".into()),
        extensions: None,
        handshake: Duration::ZERO,
    }
}

fn close_info() -> CloseInfo {
    CloseInfo {
        code: 1000,
        reason: "bye".into(),
        was_clean: true,
        initiator: Initiator::Server,
        closing_handshake: None,
    }
}

fn quick() -> ScriptSetup {
    ScriptSetup {
        limits: ScriptLimits {
            call_time: Duration::from_millis(200),
            memory: 16 << 20,
            stack: 256 << 10,
        },
        ..ScriptSetup::default()
    }
}

fn load(source: &str) -> ScriptRunner {
    match ScriptRunner::load(source, "t.js", quick()) {
        Ok(runner) => runner,
        Err(error) => panic!("does not load: {error}"),
    }
}

fn text(s: &str) -> Payload {
    Payload::Text(s.to_owned().into())
}

fn logs(runner: &mut ScriptRunner) -> Vec<String> {
    runner
        .take_outputs()
        .into_iter()
        .map(|output| match output {
            ScriptOutput::Log(text) => text,
            ScriptOutput::Error(text) => format!("error: {text}"),
            ScriptOutput::SendText(text) => format!("send: {text}"),
            ScriptOutput::SendBinary(bytes) => format!("send bytes: {bytes:?}"),
            ScriptOutput::Close { code, reason } => format!("close: {code} {reason}"),
            ScriptOutput::SetVar { name, value } => format!("set: {name}={value}"),
            ScriptOutput::Test(t) => format!(
                "test {}: {} {}",
                t.name,
                if t.passed { "passed" } else { "failed" },
                t.message.unwrap_or_default()
            ),
        })
        .collect()
}

#[test]
fn hooks_see_open_messages_and_close() {
    let mut runner = load(
        "function onOpen(o) { log(o.status, o.subprotocol, o.headers['x-server']); }
         function onMessage(m) { log(m.dir, m.type, m.text, m.json && m.json.a, typeof m.time, m.bytes.length); }
         function onClose(c) { log(c.code, c.reason, c.wasClean, c.initiator); }",
    );
    runner.on_open(&open_info());
    runner.on_message(3, Direction::In, &text("{\"a\":7}"));
    runner.on_message(4, Direction::Out, &Payload::Binary(vec![1, 2, 3].into()));
    runner.on_close(&close_info());
    assert_eq!(
        logs(&mut runner),
        [
            "101 chat demo",
            "in text {\"a\":7} 7 number 7",
            "out binary undefined undefined number 3",
            "1000 bye true server"
        ]
    );
}

#[test]
fn sends_and_closes_go_to_the_host_and_refuse_before_open() {
    let mut runner = load(
        "try { ws.send('early'); } catch (e) { log(e.message); }
         function onOpen() { ws.send('hi'); ws.send({a: 1}); ws.send(new Uint8Array([0, 255])); ws.close(4000, 'done'); }",
    );
    runner.on_open(&open_info());
    assert_eq!(
        logs(&mut runner),
        [
            "ws.send: the connection is not open",
            "send: hi",
            "send: {\"a\":1}",
            "send bytes: b\"\\0\\xff\"",
            "close: 4000 done"
        ]
    );
}

#[test]
fn a_forbidden_close_code_is_a_script_error() {
    let mut runner = load("function onOpen() { ws.close(1006, 'x'); }");
    runner.on_open(&open_info());
    let lines = logs(&mut runner);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("error: onOpen: RangeError: ws.close: "),
        "{lines:?}"
    );
}

#[test]
fn vars_are_read_and_set() {
    let mut setup = quick();
    setup.vars.insert("user".into(), "ann".into());
    let Ok(mut runner) = ScriptRunner::load(
        "log(vars.get('user'), vars.get('nope')); vars.set('token', 'abc'); vars.set('n', 5);",
        "t.js",
        setup,
    ) else {
        panic!("does not load")
    };
    assert_eq!(
        logs(&mut runner),
        ["ann undefined", "set: token=abc", "set: n=5"]
    );
    let vars = runner.vars();
    assert_eq!(vars.get("token").map(String::as_str), Some("abc"));
    assert_eq!(vars.get("n").map(String::as_str), Some("5"));
}

#[test]
fn before_send_keeps_changes_or_cancels() {
    let mut runner = load(
        "function beforeSend(m) { if (m.text === 'drop') return false;
                                  if (m.text === 'up') return m.text.toUpperCase();
                                  if (m.text === 'obj') return {wrapped: m.text}; }",
    );
    assert_eq!(runner.before_send(&text("keep")), SendVerdict::Keep);
    assert_eq!(runner.before_send(&text("drop")), SendVerdict::Cancel);
    assert_eq!(
        runner.before_send(&text("up")),
        SendVerdict::Replace(text("UP"))
    );
    assert_eq!(
        runner.before_send(&text("obj")),
        SendVerdict::Replace(text("{\"wrapped\":\"obj\"}"))
    );
}

#[test]
fn matchers_pass_and_fail_with_their_message() {
    let mut runner = load(
        "test('all pass', () => {
           expect(1).toBe(1); expect({a: [1, {b: 2}]}).toEqual({a: [1, {b: 2}]});
           expect('hello').toMatch(/ell/); expect([1, 2]).toContain(2); expect('abc').toContain('b');
           expect(3).toBeGreaterThan(2); expect(1).toBeLessThan(2); expect('x').toBeTruthy();
           expect(1).not.toBe(2); expect(0).not.toBeTruthy();
         });
         test('toBe fails', () => expect(1).toBe(2));
         test('not fails', () => expect([1]).not.toContain(1));
         test('throws', () => { null.x; });",
    );
    let lines = logs(&mut runner);
    assert_eq!(lines[0], "test all pass: passed ");
    assert_eq!(lines[1], "test toBe fails: failed expected 1 to be 2");
    assert_eq!(
        lines[2],
        "test not fails: failed expected [1] not to contain 1"
    );
    assert!(
        lines[3].starts_with("test throws: failed TypeError: "),
        "{lines:?}"
    );
}

#[test]
fn wait_for_resolves_with_a_later_message_and_decides_the_test() {
    let mut runner = load(
        "test('welcome', async () => {
           const m = await waitFor(m => m.json && m.json.type === 'welcome', 1000);
           expect(m.json.user).toBe('ann');
         });",
    );
    assert!(runner.take_outputs().is_empty());
    assert_eq!(runner.pending_tests(), 1);
    runner.on_open(&open_info());
    runner.on_message(1, Direction::In, &text("{\"type\":\"other\"}"));
    runner.on_message(
        2,
        Direction::In,
        &text("{\"type\":\"welcome\",\"user\":\"ann\"}"),
    );
    let outputs = runner.take_outputs();
    let [ScriptOutput::Test(result)] = outputs.as_slice() else {
        panic!("{outputs:?}")
    };
    assert!(result.passed);
    assert_eq!(result.decided_by, Some(2));
    assert_eq!(runner.pending_tests(), 0);
}

#[test]
fn wait_for_times_out_through_the_timers() {
    let mut runner = load("test('never', async () => { await waitFor(m => false, 30); });");
    let due = runner.next_timer();
    assert!(due.is_some());
    std::thread::sleep(Duration::from_millis(40));
    runner.run_timers();
    assert_eq!(
        logs(&mut runner),
        ["test never: failed Error: waitFor: no message matched within 30 ms"]
    );
}

#[test]
fn the_end_fails_waiters_and_unfinished_tests() {
    let mut runner = load(
        "test('waits', async () => { await waitFor(m => false, 60000); });
         test('hangs', () => new Promise(() => {}));",
    );
    runner.end();
    assert_eq!(
        logs(&mut runner),
        [
            "test waits: failed Error: waitFor: the connection ended before a message matched",
            "test hangs: failed did not finish before the run ended"
        ]
    );
}

#[test]
fn timers_run_once_or_every_interval_and_clear() {
    let mut runner = load(
        "let n = 0; setTimeout((a) => log('once', a), 0, 'x');
         const id = setInterval(() => { n++; log('tick', n); if (n === 2) clearInterval(id); }, 1);
         const never = setTimeout(() => log('never'), 0); clearTimeout(never);",
    );
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(3));
        runner.run_timers();
    }
    assert_eq!(logs(&mut runner), ["once x", "tick 1", "tick 2"]);
    assert_eq!(runner.next_timer(), None);
}

#[test]
fn an_exception_in_a_hook_is_an_error_with_its_place_and_the_script_goes_on() {
    let mut runner =
        load("function onMessage(m) {\n  if (m.text === 'bad') null.x;\n  log('ok');\n}");
    runner.on_message(1, Direction::In, &text("bad"));
    runner.on_message(2, Direction::In, &text("good"));
    let lines = logs(&mut runner);
    assert!(
        lines[0].starts_with("error: onMessage: TypeError: "),
        "{lines:?}"
    );
    assert!(lines[0].contains("(at t.js:2:"), "{lines:?}");
    assert_eq!(lines[1], "ok");
    assert!(!runner.stopped());
}

#[test]
fn a_compile_error_has_file_line_and_column() {
    let Err(error) = ScriptRunner::load("let a = 1;\nlet b = ;\n", "bad.js", quick()) else {
        panic!("compiled")
    };
    assert_eq!(error.position, Some((2, 9)));
    assert!(
        error.to_string().starts_with("bad.js:2:9: SyntaxError: "),
        "{error}"
    );
}

#[test]
fn an_endless_loop_stops_the_script() {
    let mut runner = load("function onMessage() { while (true) {} }");
    let started = std::time::Instant::now();
    runner.on_message(1, Direction::In, &text("x"));
    assert!(started.elapsed() < Duration::from_secs(5));
    let lines = logs(&mut runner);
    assert_eq!(
        lines,
        [
            "error: onMessage: the script ran longer than 200 ms (an endless loop?), and was \
          stopped; the connection goes on"
        ]
    );
    assert!(runner.stopped());
    runner.on_message(2, Direction::In, &text("x"));
    assert!(runner.take_outputs().is_empty());
}

#[test]
fn runaway_allocation_stops_the_script() {
    let mut runner = load(
        "let keep = []; function onMessage() { while (true) keep.push('x'.repeat(100000) + keep.length); }",
    );
    runner.on_message(1, Direction::In, &text("x"));
    let lines = logs(&mut runner);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("ran out of memory (the limit is 16 MiB)"),
        "{lines:?}"
    );
    assert!(runner.stopped());
}

#[test]
fn deep_recursion_stops_the_script() {
    let mut runner =
        load("function down(n) { return down(n + 1) + 1; } function onMessage() { down(0); }");
    runner.on_message(1, Direction::In, &text("x"));
    let lines = logs(&mut runner);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("recursed too deeply"), "{lines:?}");
    assert!(runner.stopped());
}

#[test]
fn the_sandbox_has_no_file_network_or_process() {
    let mut runner = load(
        "log([typeof require, typeof process, typeof std, typeof os, typeof fetch,
              typeof XMLHttpRequest, typeof WebSocket].join(','));
         try { eval('import(\"os\")').catch(e => log('import:', e.message)); } catch (e) { log('import:', e.message); }",
    );
    let lines = logs(&mut runner);
    assert_eq!(
        lines[0],
        "undefined,undefined,undefined,undefined,undefined,undefined,undefined"
    );
    assert!(lines[1].starts_with("import:"), "{lines:?}");
}

#[test]
fn the_environment_needs_consent() {
    let mut setup = quick();
    setup.env = EnvGrant {
        allowed: vec!["ALLOWED".into()],
        lookup: Box::new(|name| Some(format!("value of {name}"))),
    };
    let Ok(mut runner) = ScriptRunner::load(
        "log(env.get('ALLOWED')); try { env.get('HOME'); } catch (e) { log(e.message); }",
        "t.js",
        setup,
    ) else {
        panic!("does not load")
    };
    assert_eq!(
        logs(&mut runner),
        [
            "value of ALLOWED",
            "env.get(\"HOME\"): this script may not read that environment variable; pass \
             --allow-env HOME to let it"
        ]
    );
}

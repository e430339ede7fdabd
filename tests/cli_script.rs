//! Scripts and assertions (issue 22) from the binary, as a CI job runs them: `connect
//! --script`, `sockscope test`, their JSON lines, JUnit reports and exit statuses, against
//! the demo server on a loopback port.

mod support;

use std::path::Path;

use serde_json::Value;
use support::cli::{Run, sockscope, sockscope_with_env};
use support::demo;

/// Writes `source` to a script file in `dir`.
fn script(dir: &tempfile::TempDir, name: &str, source: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, source).expect("write the script");
    path.display().to_string()
}

fn lines_of<'a>(run: &'a Run, event: &str) -> Vec<&'a Value> {
    run.lines
        .iter()
        .filter(|line| line["event"] == event)
        .collect()
}

fn logs(run: &Run) -> Vec<String> {
    lines_of(run, "log")
        .iter()
        .map(|line| line["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// `(name, passed, message)` of every test line, in order.
fn tests(run: &Run) -> Vec<(String, bool, Option<String>)> {
    lines_of(run, "test")
        .iter()
        .map(|line| {
            (
                line["name"].as_str().unwrap_or_default().to_owned(),
                line["passed"].as_bool().unwrap_or(false),
                line["message"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn script_errors(run: &Run) -> Vec<String> {
    lines_of(run, "error")
        .iter()
        .filter(|line| line["category"] == "script")
        .map(|line| line["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn texts(run: &Run, dir: &str) -> Vec<String> {
    lines_of(run, "message")
        .iter()
        .filter(|line| line["dir"] == dir)
        .map(|line| {
            line["text"]
                .as_str()
                .map(str::to_owned)
                .or_else(|| line["hex"].as_str().map(|hex| format!("hex:{hex}")))
                .unwrap_or_default()
        })
        .collect()
}

/// The close event (a script's onClose lines may follow it).
fn close_of(run: &Run) -> &Value {
    let closes = lines_of(run, "close");
    assert_eq!(closes.len(), 1, "{:?}", run.lines);
    closes[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_see_the_connection_and_the_api_sends_closes_and_keeps_variables() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = script(
        &dir,
        "hooks.js",
        r#"
        function onOpen(open) {
          log("open", open.status, open.subprotocol, typeof open.headers.upgrade);
          ws.send("plain");
          ws.send({ user: vars.get("user") });
          ws.send(new Uint8Array([0, 1, 255]));
        }
        let seen = 0;
        function onMessage(msg) {
          if (msg.dir !== "in") return;
          seen++;
          log("in", msg.type, msg.type === "text" ? msg.text : msg.bytes.length, msg.json && msg.json.user,
              msg.time >= 0);
          if (seen === 3) { vars.set("token", "t-" + seen); ws.close(4000, "script " + vars.get("token")); }
        }
        function onClose(close) { log("close", close.code, close.reason, close.wasClean, close.initiator); }
        "#,
    );
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--script",
        &file,
        "--var",
        "user=ann",
        "--wait",
        "5000",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        logs(&run),
        [
            "open 101 null string",
            "in text plain undefined true",
            "in text {\"user\":\"ann\"} ann true",
            "in binary 3 undefined true",
            "close 4000 script t-3 true client",
        ]
    );
    assert_eq!(
        texts(&run, "out"),
        ["plain", "{\"user\":\"ann\"}", "hex:0001ff"]
    );
    let close = close_of(&run);
    assert_eq!(close["code"], 4000);
    assert_eq!(close["reason"], "script t-3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_send_changes_or_cancels_the_runs_own_sends() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = script(
        &dir,
        "before.js",
        r#"
        function beforeSend(msg) {
          if (msg.text === "secret") return false;
          if (msg.text === "wrap") return { wrapped: msg.text, at: typeof msg.time };
          if (msg.type === "binary") return msg.text === undefined ? "was binary " + msg.bytes.length : msg;
        }
        "#,
    );
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--script",
        &file,
        "--send",
        "hello",
        "--send",
        "secret",
        "--send",
        "wrap",
        "--send-hex",
        "0a0b",
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        texts(&run, "out"),
        [
            "hello",
            "{\"wrapped\":\"wrap\",\"at\":\"number\"}",
            "was binary 2"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tests_pass_and_fail_with_every_matcher_and_a_failure_exits_3() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = script(
        &dir,
        "matchers.js",
        r#"
        test("every matcher", () => {
          expect(2).toBe(2);
          expect({ a: [1, { b: "c" }] }).toEqual({ a: [1, { b: "c" }] });
          expect("tick 42").toMatch(/tick \d+/);
          expect([1, 2, 3]).toContain(2);
          expect("abc").toContain("b");
          expect(5).toBeGreaterThan(4);
          expect(3).toBeLessThan(4);
          expect("yes").toBeTruthy();
          expect(1).not.toBe(2);
          expect({ a: 1 }).not.toEqual({ a: 2 });
          expect("x").not.toMatch(/y/);
          expect([1]).not.toContain(2);
          expect(1).not.toBeGreaterThan(2);
          expect(2).not.toBeLessThan(1);
          expect(0).not.toBeTruthy();
        });
        test("toEqual fails", () => expect({ a: 1 }).toEqual({ a: 2 }));
        test("not.toBe fails", () => expect(1).not.toBe(1));
        test("an error fails", () => { throw new Error("boom"); });
        "#,
    );
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--script",
        &file,
        "--wait",
        "0",
    ])
    .await;
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert_eq!(
        tests(&run),
        [
            ("every matcher".to_owned(), true, None),
            (
                "toEqual fails".to_owned(),
                false,
                Some("expected {\"a\":1} to equal {\"a\":2}".to_owned())
            ),
            (
                "not.toBe fails".to_owned(),
                false,
                Some("expected 1 not to be 1".to_owned())
            ),
            (
                "an error fails".to_owned(),
                false,
                Some("Error: boom".to_owned())
            ),
        ]
    );
    for line in lines_of(&run, "test") {
        assert!(
            line["time_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
            "{line}"
        );
    }
    // The connection itself was fine.
    assert_eq!(close_of(&run)["was_clean"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_holds_the_run_open_until_it_resolves_or_times_out() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = script(
        &dir,
        "wait.js",
        r#"
        function onOpen() { setTimeout(() => ws.send("late"), 400); }
        test("the late echo comes", async () => {
          const msg = await waitFor((m) => m.dir === "in" && m.text === "late", 3000);
          expect(msg.text).toBe("late");
        });
        test("nothing else comes", async () => {
          await waitFor((m) => m.text === "never", 700);
        });
        "#,
    );
    // --wait 0 would close at once: the waiting tests hold the connection open.
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--script",
        &file,
        "--wait",
        "0",
    ])
    .await;
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert_eq!(
        tests(&run),
        [
            ("the late echo comes".to_owned(), true, None),
            (
                "nothing else comes".to_owned(),
                false,
                Some("Error: waitFor: no message matched within 700 ms".to_owned())
            ),
        ]
    );
    let nothing = lines_of(&run, "test")[1];
    assert!(
        nothing["time_ms"].as_f64().is_some_and(|ms| ms >= 690.0),
        "{nothing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_and_intervals_run_with_the_connection() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = script(
        &dir,
        "timers.js",
        r#"
        let n = 0;
        function onOpen() {
          const id = setInterval(() => { n++; ws.send("beat " + n); if (n === 3) clearInterval(id); }, 50);
          const never = setTimeout(() => log("never"), 10);
          clearTimeout(never);
          setTimeout((what) => log("once", what), 20, "later");
        }
        "#,
    );
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--script",
        &file,
        "--wait",
        "600",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(texts(&run, "out"), ["beat 1", "beat 2", "beat 3"]);
    assert_eq!(logs(&run), ["once later"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_that_does_not_compile_exits_2_with_file_line_column_and_sends_nothing() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = script(&dir, "broken.js", "function onOpen() {\n  ws.send(;\n}\n");
    let run = sockscope(&["connect", &server.url("/echo"), "--script", &file]).await;
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.lines.is_empty(), "nothing connected: {:?}", run.lines);
    assert!(
        run.stderr.contains(&format!("{file}:2:11: SyntaxError: ")),
        "{}",
        run.stderr
    );
    let missing = dir.path().join("missing.js").display().to_string();
    let run = sockscope(&["connect", &server.url("/echo"), "--script", &missing]).await;
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--script "), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loop_an_allocation_or_a_recursion_stops_the_script_and_the_connection_goes_on() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        ("loop.js", "while (true) {}", "ran longer than 100 ms"),
        (
            "alloc.js",
            "const keep = []; while (true) keep.push('x'.repeat(65536) + keep.length);",
            "ran out of memory (the limit is 8 MiB)",
        ),
        (
            "recursion.js",
            "const down = (n) => down(n + 1) + 1; down(0);",
            "recursed too deeply",
        ),
    ];
    for (name, body, why) in cases {
        let file = script(
            &dir,
            name,
            &format!(
                "let calls = 0;\nfunction onMessage(msg) {{\n  if (msg.dir !== 'in') return;\n  \
                 calls++; log('call', calls);\n  {body}\n}}\n"
            ),
        );
        let run = sockscope(&[
            "connect",
            &server.url("/echo"),
            "--script",
            &file,
            "--script-time-limit",
            "100",
            "--script-memory-limit",
            "8",
            "--send",
            "one",
            "--send",
            "two",
            "--wait",
            "300",
        ])
        .await;
        // The script stopped at its first call and was not called again.
        assert_eq!(logs(&run), ["call 1"], "{name}");
        let errors = script_errors(&run);
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        assert!(
            errors[0].starts_with("onMessage: the script ")
                && errors[0].contains(why)
                && errors[0].ends_with("and was stopped; the connection goes on"),
            "{name}: {errors:?}"
        );
        // Both echoes still arrived and the connection closed cleanly.
        assert_eq!(texts(&run, "in"), ["one", "two"], "{name}");
        assert_eq!(close_of(&run)["was_clean"], true, "{name}");
        assert_eq!(run.status, 3, "{name}: a script error fails the run");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_has_no_files_network_or_environment_without_consent() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = script(
        &dir,
        "sandbox.js",
        r#"
        log([typeof require, typeof process, typeof std, typeof os, typeof fetch,
             typeof XMLHttpRequest, typeof WebSocket, typeof Deno].join(","));
        import("os").then(() => log("import: loaded"), (e) => log("import: refused"));
        try { log("home", env.get("HOME")); } catch (e) { log(e.message); }
        try { log("allowed", env.get("SOCKSCOPE_SCRIPT_VALUE")); } catch (e) { log(e.message); }
        "#,
    );
    let args = [
        "connect",
        &server.url("/echo"),
        "--script",
        &file,
        "--wait",
        "0",
    ];
    let env = [("SOCKSCOPE_SCRIPT_VALUE", "from the environment")];
    let run = sockscope_with_env(&args, &env).await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(
        logs(&run),
        [
            "undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined",
            "env.get(\"HOME\"): this script may not read that environment variable; pass \
             --allow-env HOME to let it",
            "env.get(\"SOCKSCOPE_SCRIPT_VALUE\"): this script may not read that environment \
             variable; pass --allow-env SOCKSCOPE_SCRIPT_VALUE to let it",
            "import: refused",
        ]
    );
    let mut allowed = args.to_vec();
    allowed.extend(["--allow-env", "SOCKSCOPE_SCRIPT_VALUE"]);
    let run = sockscope_with_env(&allowed, &env).await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(logs(&run)[2], "allowed from the environment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_fails_exits_1_and_its_waiting_tests_fail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = script(
        &dir,
        "refused.js",
        "test('a welcome', async () => { await waitFor((m) => true, 5000); });",
    );
    let url = format!("ws://127.0.0.1:{}/", support::closed_port());
    let junit = dir.path().join("report.xml");
    let run = sockscope(&[
        "connect",
        &url,
        "--script",
        &file,
        "--junit",
        &junit.display().to_string(),
    ])
    .await;
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(
        tests(&run),
        [(
            "a welcome".to_owned(),
            false,
            Some("Error: waitFor: the connection ended before a message matched".to_owned())
        )]
    );
    let xml = std::fs::read_to_string(&junit).expect("the report is written");
    assert!(xml.contains("failures=\"1\""), "{xml}");
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("saved_sessions")
        .join(name)
        .display()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_example_logs_in_subscribes_with_the_token_and_passes() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let junit = dir.path().join("login.xml");
    let run = sockscope(&[
        "test",
        &example("login-subscribe.session.ron"),
        "--url",
        &server.url("/login"),
        "--junit",
        &junit.display().to_string(),
    ])
    .await;
    assert_eq!(run.status, 0, "{}\n{:?}", run.stderr, run.lines);
    let first = &run.lines[0];
    assert_eq!(first["event"], "tab");
    assert_eq!(first["tab"], "tab 1 \"login and subscribe\"");
    let results = tests(&run);
    assert_eq!(results.len(), 8, "{results:?}");
    assert!(results.iter().all(|(_, passed, _)| *passed), "{results:?}");
    assert_eq!(logs(&run), ["logged in as ann"]);
    // The token the welcome carried went out in the subscription.
    let welcome = texts(&run, "in")
        .into_iter()
        .find(|text| text.contains("welcome"))
        .expect("a welcome");
    let token: Value = serde_json::from_str(&welcome).expect("JSON");
    let token = token["token"].as_str().expect("a token").to_owned();
    assert!(
        texts(&run, "out")
            .iter()
            .any(|text| text.contains("subscribe") && text.contains(&token)),
        "{:?}",
        texts(&run, "out")
    );
    for line in lines_of(&run, "test") {
        assert_eq!(line["tab"], "tab 1 \"login and subscribe\"");
    }
    validate_junit(&junit, 8, 0);
}

/// Reads the report with Python's junitparser (not ours) and checks its counts.
fn validate_junit(path: &Path, tests: usize, failures: usize) {
    let Some(python) = support::python::env("validate_junit", support::python::DECODE_PACKAGES)
    else {
        return;
    };
    let code = format!(
        "from junitparser import JUnitXml, Failure\n\
         xml = JUnitXml.fromfile({:?})\n\
         cases = [case for suite in xml for case in suite]\n\
         failed = [case for case in cases if any(isinstance(r, Failure) for r in case.result)]\n\
         print(len(cases), len(failed), sum(suite.tests for suite in xml), \
         sum(suite.failures for suite in xml))\n\
         for case in failed: print(case.name, '|', case.result[0].message)\n",
        path.display().to_string()
    );
    let out = python.run_code(&code);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some(format!("{tests} {failures} {tests} {failures}").as_str()),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockscope_test_runs_every_scripted_tab_and_reports_them_in_one_junit_file() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let session = dir.path().join("two.session.ron");
    let url = server.url("/echo");
    std::fs::write(
        &session,
        format!(
            r#"(version: 1, tabs: [
                (name: "no script", config: (url: "{url}"), timeline: []),
                (name: "passes", config: (url: "{url}"), timeline: [],
                 variables: [("word", "hi")],
                 script: "function onOpen() {{ ws.send(vars.get('word')); }}
                          test('echo', async () => {{ const m = await waitFor(m => m.dir === 'in', 2000); expect(m.text).toBe('hi'); }});"),
                (name: "fails", config: (url: "{url}"), timeline: [],
                 script: "test('a <wrong> & \"quoted\" value', () => expect('a').toBe('b'));"),
            ])"#
        ),
    )
    .expect("write the session");
    let junit = dir.path().join("report.xml");
    let run = sockscope(&[
        "test",
        &session.display().to_string(),
        "--wait",
        "100",
        "--junit",
        &junit.display().to_string(),
    ])
    .await;
    assert_eq!(run.status, 3, "{}", run.stderr);
    let tabs: Vec<&Value> = lines_of(&run, "tab")
        .into_iter()
        .map(|line| &line["tab"])
        .collect();
    assert_eq!(tabs, ["tab 2 \"passes\"", "tab 3 \"fails\""]);
    let results = tests(&run);
    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!(results[0], ("echo".to_owned(), true, None));
    assert_eq!(
        results[1],
        (
            "a <wrong> & \"quoted\" value".to_owned(),
            false,
            Some("expected \"a\" to be \"b\"".to_owned())
        )
    );
    validate_junit(&junit, 2, 1);
    if let Some(python) = support::python::env("junit_names", support::python::DECODE_PACKAGES) {
        let code = format!(
            "from junitparser import JUnitXml\n\
             for suite in JUnitXml.fromfile({:?}):\n    \
             for case in suite: print(suite.name, '|', case.name, '|', \
             case.result[0].message if case.result else 'ok')\n",
            junit.display().to_string()
        );
        let out = python.run_code(&code);
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [
                "tab 2 \"passes\" | echo | ok",
                "tab 3 \"fails\" | a <wrong> & \"quoted\" value | expected \"a\" to be \"b\"",
            ],
            "{out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockscope_test_exits_2_for_a_broken_script_or_no_script_and_1_for_a_failed_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let session = dir.path().join("broken.session.ron");
    std::fs::write(
        &session,
        r#"(version: 1, tabs: [(name: "b", config: (url: "ws://127.0.0.1:9/"), timeline: [],
             script: "let x = ;")])"#,
    )
    .expect("write");
    let run = sockscope(&["test", &session.display().to_string()]).await;
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "{}[tab 1 \"b\"]:1:9: SyntaxError",
            session.display()
        )),
        "{}",
        run.stderr
    );
    assert!(run.lines.is_empty(), "{:?}", run.lines);

    let none = dir.path().join("none.session.ron");
    std::fs::write(
        &none,
        r#"(version: 1, tabs: [(name: "n", config: (url: "ws://127.0.0.1:9/"), timeline: [])])"#,
    )
    .expect("write");
    let run = sockscope(&["test", &none.display().to_string()]).await;
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no tab has a script"), "{}", run.stderr);

    let refused = dir.path().join("refused.session.ron");
    let port = support::closed_port();
    std::fs::write(
        &refused,
        format!(
            r#"(version: 1, tabs: [(name: "r", config: (url: "ws://127.0.0.1:{port}/"),
                 timeline: [], script: "test('ok', () => expect(1).toBe(1));")])"#
        ),
    )
    .expect("write");
    let run = sockscope(&["test", &refused.display().to_string()]).await;
    assert_eq!(run.status, 1, "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msg_decoded_is_the_decoded_value_with_decode_and_undefined_without() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = script(
        &dir,
        "decoded.js",
        r#"
        function onMessage(msg) {
          if (msg.dir !== "in") return;
          const d = msg.decoded;
          log(msg.type, d === undefined ? "undefined" : d.symbol + " " + typeof d.price + " " + d.seq,
              msg.protocol === undefined);
        }
        test("a tick decodes", async () => {
          const tick = await waitFor((m) => m.decoded !== undefined && m.decoded.side !== undefined, 3000);
          expect(["BUY", "SELL"]).toContain(tick.decoded.side);
        });
        "#,
    );
    let url = server.url("/msgpack?count=2");
    let with = |decode: &'static str| {
        let (url, file) = (url.clone(), file.clone());
        async move {
            sockscope(&[
                "connect", &url, "--script", &file, "--decode", decode, "--wait", "inf",
            ])
            .await
        }
    };
    let run = with("msgpack").await;
    assert_eq!(run.status, 0, "{}\n{:?}", run.stderr, run.lines);
    let logged = logs(&run);
    assert_eq!(logged.len(), 2, "{logged:?}");
    // The line's `decoded` is {format, value}; the script gets the value itself.
    let first = &lines_of(&run, "message")[0]["decoded"]["value"];
    assert_eq!(
        logged[0],
        format!(
            "binary {} number {} true",
            first["symbol"].as_str().expect("a symbol"),
            first["seq"]
        )
    );
    assert_eq!(tests(&run), [("a tick decodes".to_owned(), true, None)]);

    // Without --decode the same script sees no decoded value, and its test fails (exit 3).
    let run = with("none").await;
    assert_eq!(run.status, 3, "{}\n{:?}", run.stderr, run.lines);
    assert_eq!(
        logs(&run),
        ["binary undefined true", "binary undefined true"]
    );
    assert!(!tests(&run)[0].1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msg_protocol_is_the_lines_protocol_unit_with_protocol() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = script(
        &dir,
        "protocol.js",
        r#"
        function onMessage(msg) {
          const p = msg.protocol;
          log(msg.dir, p === undefined ? "undefined" : p.type + " " + JSON.stringify(p.result ?? p.params),
              msg.decoded === undefined);
        }
        test("the sum comes back", async () => {
          const answer = await waitFor((m) => m.dir === "in" && m.protocol && m.protocol.type === "response");
          expect(answer.protocol.result).toBe(3);
        });
        "#,
    );
    let run = sockscope(&[
        "connect",
        &server.url("/jsonrpc"),
        "--protocol",
        "jsonrpc",
        "--script",
        &file,
        "--op",
        r#"{"type":"request","method":"sum","params":[1,2]}"#,
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "{}\n{:?}", run.stderr, run.lines);
    assert_eq!(tests(&run), [("the sum comes back".to_owned(), true, None)]);
    // What the script saw is what the lines say.
    let lines = lines_of(&run, "message");
    let seen: Vec<String> = lines
        .iter()
        .map(|line| {
            let unit = &line["protocol"];
            let data = if unit["result"].is_null() {
                &unit["params"]
            } else {
                &unit["result"]
            };
            format!(
                "{} {} {} true",
                line["dir"].as_str().unwrap_or_default(),
                unit["type"].as_str().unwrap_or_default(),
                data
            )
        })
        .collect();
    assert_eq!(logs(&run), seen);
    assert_eq!(seen.len(), 2, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_waits_for_the_variable_the_script_sets_and_carries_it() {
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = script(
        &dir,
        "login.js",
        r#"
        function onOpen() { ws.send({ type: "login", user: "ann", password: "pw" }); }
        function onMessage(msg) {
          if (msg.dir === "in" && msg.json && msg.json.type === "welcome") vars.set("token", msg.json.token);
        }
        "#,
    );
    let subscribe = r#"{"type":"subscribe","channel":"c","token":"{{token}}","n":{{counter}}}"#;
    let run = sockscope(&[
        "connect",
        &server.url("/login?count=1"),
        "--script",
        &file,
        "--send",
        subscribe,
        "--wait",
        "inf",
    ])
    .await;
    assert_eq!(run.status, 0, "{}\n{:?}", run.stderr, run.lines);
    let incoming = texts(&run, "in");
    let welcome: Value = serde_json::from_str(&incoming[0]).expect("the welcome is JSON");
    let token = welcome["token"].as_str().expect("a token");
    let out = texts(&run, "out");
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(
        out[1],
        format!(r#"{{"type":"subscribe","channel":"c","token":"{token}","n":1}}"#)
    );
    // The server took the token: it subscribed us and sent the tick.
    assert!(
        incoming.iter().any(|text| text.contains("subscribed")),
        "{incoming:?}"
    );

    // No script that sets variables: an unknown variable is a usage error before dialling.
    let quiet = script(&dir, "quiet.js", "function onOpen() {}");
    let run = sockscope(&[
        "connect",
        &server.url("/login"),
        "--script",
        &quiet,
        "--send",
        subscribe,
    ])
    .await;
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("token"), "{}", run.stderr);
    assert!(run.lines.is_empty(), "{:?}", run.lines);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_messages_prints_each_ones_script_lines_right_after_it() {
    // The flood arrives faster than it is printed: the script gets the messages that have
    // already arrived in one call, and the lines must still read as one call per message.
    let server = demo().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = script(
        &dir,
        "burst.js",
        r#"
        let n = 0;
        function onMessage(msg) {
          n++;
          log("saw " + msg.text.split(" ")[0]);
          if (n % 500 === 0) Promise.resolve(n).then((at) => log("later " + at));
          if (n % 1000 === 0) null.boom;
        }
        "#,
    );
    let count = 5000;
    let run = sockscope(&[
        "connect",
        &server.url(&format!("/flood?n={count}&size=40")),
        "--script",
        &file,
    ])
    .await;
    // The script's errors are the run's verdict.
    assert_eq!(run.status, 3, "{}", run.stderr);
    // One running seq over every line, in print order.
    for (index, line) in run.lines.iter().enumerate() {
        assert_eq!(line["seq"], index, "{line}");
    }
    let mut lines = run.lines.iter().peekable();
    let mut seen = 0;
    while let Some(line) = lines.next() {
        if line["event"] != "message" {
            continue;
        }
        seen += 1;
        let text = line["text"].as_str().unwrap_or_default();
        let number: String = text.chars().take_while(char::is_ascii_digit).collect();
        let mut expected = vec![format!("log saw {number}")];
        if seen % 500 == 0 {
            expected.push(format!("log later {seen}"));
        }
        if seen % 1000 == 0 {
            expected.push("error".to_owned());
        }
        for want in expected {
            let Some(next) = lines.next() else {
                panic!("message {seen}: no line after it, {want} expected");
            };
            let got = match next["event"].as_str() {
                Some("log") => format!("log {}", next["text"].as_str().unwrap_or_default()),
                Some("error") if next["category"] == "script" => {
                    let message = next["message"].as_str().unwrap_or_default();
                    assert!(message.starts_with("onMessage: TypeError: "), "{next}");
                    "error".to_owned()
                }
                _ => next.to_string(),
            };
            assert_eq!(got, want, "after message {seen} ({text})");
        }
    }
    assert_eq!(seen, count);
    assert_eq!(logs(&run).len(), count + count / 500);
}

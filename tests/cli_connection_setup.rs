//! Setting a connection up from the command line as Postman users do: `--query` parameters,
//! `--auth` (Basic, Bearer, API key in a header or the query) and `--env-file` variables.
//! A recording server checks what arrives; the lines printed must not show the secrets.

mod support;

use serde_json::Value;

use support::cli::{messages, sockscope};
use support::servers::{request_recorder, request_recorder_setting};

fn all_output(run: &support::cli::Run) -> String {
    let mut text: String = run.lines.iter().map(Value::to_string).collect();
    text.push_str(&run.stderr);
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_parameters_arrive_encoded_after_the_typed_query() {
    let (addr, mut seen) = request_recorder().await;
    let url = format!("ws://{addr}/feed?typed=1");
    let run = sockscope(&[
        "connect",
        &url,
        "--query",
        "q=a b&c=d#e",
        "--query",
        "city=Zürich",
        "--query",
        "flag=",
        "--wait",
        "inf",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let request = seen.recv().await.expect("a handshake");
    assert_eq!(
        request.target,
        "/feed?typed=1&q=a%20b%26c%3Dd%23e&city=Z%C3%BCrich&flag="
    );
    assert_eq!(
        run.lines[0]["url"],
        format!("ws://{addr}/feed?typed=1&q=a%20b%26c%3Dd%23e&city=Z%C3%BCrich&flag=")
    );
    let bad = sockscope(&["connect", &url, "--query", "novalue"]).await;
    assert_eq!(bad.status, 2);
    assert!(
        bad.stderr
            .contains("--query \"novalue\": expected NAME=VALUE"),
        "{}",
        bad.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_auth_kind_arrives_as_its_rfc_says_and_never_prints() {
    let cases = [
        (
            "basic:ada:open sesame-9",
            "authorization",
            "Basic YWRhOm9wZW4gc2VzYW1lLTk=",
        ),
        (
            "bearer:tok-123456789",
            "authorization",
            "Bearer tok-123456789",
        ),
        (
            "header:X-API-Key:key-123456789",
            "x-api-key",
            "key-123456789",
        ),
    ];
    for (spec, header, value) in cases {
        let (addr, mut seen) = request_recorder().await;
        let run = sockscope(&[
            "connect",
            &format!("ws://{addr}/"),
            "--auth",
            spec,
            "-H",
            "Authorization: Bearer typed-header-value",
            "--wait",
            "inf",
        ])
        .await;
        assert_eq!(run.status, 0, "{spec}: {}", run.stderr);
        let request = seen.recv().await.expect("a handshake");
        assert!(
            request.header(header).contains(&value),
            "{spec}: {request:?}"
        );
        if header == "authorization" {
            assert_eq!(
                request.header("authorization"),
                [value],
                "{spec}: auth replaces"
            );
        }
        let secret = spec.rsplit(':').next().unwrap();
        let printed = all_output(&run);
        assert!(!printed.contains(secret), "{spec}: {printed}");
        assert!(!printed.contains(value), "{spec}: {printed}");
        assert_eq!(run.lines[1]["event"], "open");
        assert_eq!(run.lines[1]["redacted"], true, "{spec}");
    }
    let (addr, mut seen) = request_recorder().await;
    let run = sockscope(&[
        "connect",
        &format!("ws://{addr}/p?x=1"),
        "--auth",
        "query:api_key:k&ey-123456789",
        "--wait",
        "inf",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let request = seen.recv().await.expect("a handshake");
    assert_eq!(request.target, "/p?x=1&api_key=k%26ey-123456789");
    let printed = all_output(&run);
    assert!(!printed.contains("ey-123456789"), "{printed}");
    for bad in ["digest:x", "bearer:", "basic:nopass"] {
        let run = sockscope(&["connect", "ws://127.0.0.1:9/", "--auth", bad]).await;
        assert_eq!(run.status, 2, "{bad}");
        assert!(run.stderr.contains("--auth: "), "{bad}: {}", run.stderr);
        assert!(run.lines.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_file_variables_fill_sends_and_secret_looking_ones_are_redacted() {
    let server = support::demo().await;
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join(".env");
    std::fs::write(
        &env,
        "# staging\nROOM=lobby\nexport API_TOKEN=\"tk-abcdef123\"\nWHO=ada\n",
    )
    .unwrap();
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--env-file",
        &env.display().to_string(),
        "--var",
        "WHO=grace",
        "--send",
        "{{ROOM}} {{WHO}} {{API_TOKEN}}",
        "--wait",
        "300",
    ])
    .await;
    assert_eq!(run.status, 0, "{}", run.stderr);
    let out = messages(&run, "out");
    assert_eq!(
        out[0]["text"], "lobby grace [redacted]",
        "--var wins; the token is redacted"
    );
    assert_eq!(
        out[0]["len"],
        "lobby grace tk-abcdef123".len(),
        "the real text was sent"
    );
    std::fs::write(&env, "A=1\nthis line is wrong\n").unwrap();
    let run = sockscope(&[
        "connect",
        &server.url("/echo"),
        "--env-file",
        &env.display().to_string(),
    ])
    .await;
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("line 2: expected NAME=value"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_jar_keeps_what_the_handshake_set_and_sends_it_next_time() {
    let (addr, mut seen) = request_recorder_setting(&[
        "sid=abc123xyz789; Path=/; HttpOnly",
        "pref=dark; Max-Age=3600",
        "evil=1; Domain=example.org",
        "scoped=1; Path=/other",
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let jar = dir.path().join("cookies.txt");
    let jar_arg = jar.display().to_string();
    let url = format!("ws://{addr}/feed");
    let first = sockscope(&["connect", &url, "--cookie-jar", &jar_arg, "--wait", "inf"]).await;
    assert_eq!(first.status, 0, "{}", first.stderr);
    let request = seen.recv().await.expect("a handshake");
    assert!(
        request.header("cookie").is_empty(),
        "an empty jar sends nothing"
    );
    let text = std::fs::read_to_string(&jar).unwrap();
    assert!(text.starts_with("# Netscape HTTP Cookie File"), "{text}");
    assert!(
        text.contains("#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsid\tabc123xyz789\n"),
        "{text}"
    );
    assert!(
        text.contains("\tpref\tdark\n") && !text.contains("evil"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&jar).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "cookies are credentials");
    }
    assert!(
        !all_output(&first).contains("abc123xyz789"),
        "{}",
        all_output(&first)
    );

    let second = sockscope(&["connect", &url, "--cookie-jar", &jar_arg, "--wait", "inf"]).await;
    assert_eq!(second.status, 0, "{}", second.stderr);
    let request = seen.recv().await.expect("a handshake");
    assert_eq!(request.header("cookie"), ["pref=dark; sid=abc123xyz789"]);
    assert!(!all_output(&second).contains("abc123xyz789"));

    // Python's http.cookiejar (the standard library's reader of curl's format) reads the
    // file we wrote, and we read the one it writes.
    let script = format!(
        "import http.cookiejar as c\n\
         j = c.MozillaCookieJar({jar:?}); j.load(ignore_discard=True, ignore_expires=True)\n\
         print(sorted((k.name, k.value, k.domain, k.path) for k in j))\n\
         n = c.MozillaCookieJar({out:?})\n\
         n.set_cookie(c.Cookie(0, 'py', 'v1', None, False, 'h.example', False, False, '/', True, True, 2**31, False, None, None, {{}}))\n\
         n.save(ignore_discard=True)",
        jar = jar_arg,
        out = dir.path().join("py.txt").display().to_string(),
    );
    let python = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3 runs");
    assert!(
        python.status.success(),
        "{}",
        String::from_utf8_lossy(&python.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&python.stdout).trim(),
        "[('pref', 'dark', '127.0.0.1', '/'), ('scoped', '1', '127.0.0.1', '/other'), \
         ('sid', 'abc123xyz789', '127.0.0.1', '/')]"
    );
    let from_python =
        sockscope::model::cookie_jar::CookieJar::load(&dir.path().join("py.txt")).unwrap();
    let url = url::Url::parse("wss://h.example/x").unwrap();
    assert_eq!(from_python.header_for(&url).as_deref(), Some("py=v1"));

    let broken = dir.path().join("broken.txt");
    std::fs::write(&broken, "not a cookie line\n").unwrap();
    let run = sockscope(&[
        "connect",
        "ws://127.0.0.1:9/",
        "--cookie-jar",
        &broken.display().to_string(),
    ])
    .await;
    assert_eq!(run.status, 2);
    assert!(
        run.stderr.contains("broken.txt:1: expected 7 fields"),
        "{}",
        run.stderr
    );
}

/// oauthlib's token endpoint on 127.0.0.1, killed when dropped.
struct TokenServer {
    child: std::process::Child,
    lines: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
    url: String,
}

impl TokenServer {
    fn start(python: &support::python::PythonEnv, expires_in: u32) -> Self {
        use std::io::BufRead;
        let mut child = python.spawn(
            "oauth/token_server.py",
            &[
                "sockscope client",
                "s3cret:with&odd chars",
                &expires_in.to_string(),
            ],
        );
        let stdout = child.stdout.take().expect("piped");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let first: Value =
            serde_json::from_str(&lines.next().expect("a port line").expect("text")).unwrap();
        let url = format!("http://127.0.0.1:{}/oauth/token", first["port"]);
        TokenServer { child, lines, url }
    }

    /// The next token issued: `(token, scope, Authorization header it came with)`.
    fn issued(&mut self) -> (String, String, String) {
        let line: Value =
            serde_json::from_str(&self.lines.next().expect("an issued line").expect("text"))
                .unwrap();
        let text = |key: &str| line[key].as_str().unwrap_or_default().to_owned();
        (text("issued"), text("scope"), text("authorization"))
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The client secret the token endpoint knows.
const SECRET: &str = "s3cret:with&odd chars";

/// `connect` to `addr` with a token from `token_url` for client "sockscope client" and
/// `secret`, reconnecting once after 50 ms, waiting for the server to close.
async fn oauth_connect(
    addr: std::net::SocketAddr,
    token_url: &str,
    secret: &str,
    extra: &[&str],
) -> support::cli::Run {
    let url = format!("ws://{addr}/");
    let mut args = vec![
        "connect",
        url.as_str(),
        "--oauth2",
        token_url,
        "--client-id",
        "sockscope client",
        "--client-secret",
        secret,
        "--reconnect",
        "1",
        "--reconnect-delay",
        "50",
        "--wait",
        "inf",
    ];
    args.extend(extra);
    sockscope(&args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_client_credentials_fetch_a_token_from_oauthlib_and_send_it_as_bearer() {
    let Some(python) = support::python::env(
        "oauth2_client_credentials_fetch_a_token_from_oauthlib_and_send_it_as_bearer",
        support::python::DECODE_PACKAGES,
    ) else {
        return;
    };
    // A token for an hour: one fetch serves the reconnect too.
    let mut tokens = TokenServer::start(&python, 3600);
    let (addr, mut seen) = request_recorder().await;
    let run = oauth_connect(addr, &tokens.url, SECRET, &["--scope", "read write"]).await;
    let (token, scope, basic) = tokens.issued();
    assert_eq!(scope, "read write");
    // RFC 6749 2.3.1: form-encoded, then Basic.
    assert_eq!(
        basic,
        "Basic c29ja3Njb3BlK2NsaWVudDpzM2NyZXQ6d2l0aCUyNm9kZCtjaGFycw=="
    );
    for _ in 0..2 {
        let request = seen.recv().await.expect("a handshake");
        assert_eq!(request.header("authorization"), [format!("Bearer {token}")]);
    }
    let fetches: Vec<&Value> = run
        .lines
        .iter()
        .filter(|l| l["event"] == "oauth-token")
        .collect();
    assert_eq!(fetches.len(), 1, "{:?}", run.lines);
    assert_eq!(fetches[0]["status"], 200);
    assert_eq!(fetches[0]["token_type"], "Bearer");
    assert_eq!(fetches[0]["expires_in"], 3600);
    let printed = all_output(&run);
    assert!(!printed.contains(&token), "{printed}");
    assert!(!printed.contains("s3cret"), "{printed}");

    // A token about to expire is fetched again for the reconnect.
    let mut short = TokenServer::start(&python, 5);
    let (addr, mut seen) = request_recorder().await;
    let run = oauth_connect(addr, &short.url, SECRET, &[]).await;
    let first = short.issued().0;
    let second = short.issued().0;
    assert_ne!(first, second);
    assert_eq!(
        seen.recv().await.unwrap().header("authorization"),
        [format!("Bearer {first}")]
    );
    assert_eq!(
        seen.recv().await.unwrap().header("authorization"),
        [format!("Bearer {second}")]
    );
    let fetches = run
        .lines
        .iter()
        .filter(|l| l["event"] == "oauth-token")
        .count();
    assert_eq!(fetches, 2);

    // A wrong secret: the endpoint refuses, the line says why, nothing connects, exit 1.
    let run = oauth_connect(addr, &short.url, "wrong-secret-123", &[]).await;
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert_eq!(run.lines.len(), 1, "{:?}", run.lines);
    let error = run.lines[0]["error"].as_str().expect("an error");
    assert!(
        error.contains("401") && error.contains("invalid_client"),
        "{error}"
    );
    assert!(!all_output(&run).contains("wrong-secret-123"));
}

//! Reference implementations in Python: a virtualenv under `target/pyenv` with pinned
//! packages from PyPI, made once and reused, and scripts from `tests/fixtures/` run in it.
//!
//! When PyPI cannot be reached, [`env`] prints a loud `SKIPPED: …` line on stderr and the
//! test returns; any other failure (no `python3`, a package that will not install for
//! another reason) fails the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The reference packages every Python-backed test uses (one list, so one virtualenv
/// serves them all): the decoding tests read and write payloads with msgpack, cbor2 and
/// protobuf (at or above the version `tests/fixtures/decode/reference_pb2.py` was generated
/// for, 6.31.1); the OAuth 2.0 tests run oauthlib's token endpoint; the proxy and mock
/// server tests run `websockets` clients and servers (tests/fixtures/ws_peer.py), and the
/// permessage-deflate tests a `websockets` server (tests/fixtures/deflate_server.py); the
/// script tests read the JUnit report with junitparser.
pub const DECODE_PACKAGES: &[&str] = &[
    "msgpack==1.1.2",
    "cbor2==5.6.5",
    "protobuf==6.33.6",
    "oauthlib==3.2.2",
    "websockets==17.4",
    "junitparser==5.0.3",
];

/// A virtualenv with the packages installed.
pub struct PythonEnv {
    python: PathBuf,
}

/// What pip prints when it cannot reach the index.
const OFFLINE_SIGNS: &[&str] = &[
    "Could not fetch URL",
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "No matching distribution found",
    "ConnectTimeoutError",
    "ProxyError",
];

/// The virtualenv at `target/pyenv` with `packages` installed, or `None` (after a
/// `SKIPPED:` line on stderr naming `test`) when PyPI is unreachable.
pub fn env(test: &str, packages: &[&str]) -> Option<PythonEnv> {
    // Tests of one binary share the virtualenv; one makes it at a time.
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    let _guard = LOCK
        .get_or_init(|| Mutex::new(()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyenv");
    let python = dir.join("bin/python");
    let stamp = dir.join("sockscope-packages.txt");
    let wanted = packages.join("\n");
    if std::fs::read_to_string(&stamp).is_ok_and(|have| have == wanted) && python.exists() {
        return Some(PythonEnv { python });
    }
    if !python.exists() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .output()
            .expect("python3 runs (the decoding tests need Python 3 with venv)");
        assert!(
            made.status.success(),
            "python3 -m venv {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&made.stderr)
        );
    }
    let pip = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--timeout", "20", "--retries", "1"])
        .args(packages)
        .output()
        .expect("pip runs");
    if !pip.status.success() {
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&pip.stdout),
            String::from_utf8_lossy(&pip.stderr)
        );
        if OFFLINE_SIGNS.iter().any(|sign| said.contains(sign)) {
            eprintln!(
                "\n**********\nSKIPPED: {test}: PyPI is unreachable, so {} could not be installed \
                 into {}.\npip said: {}\n**********\n",
                packages.join(" "),
                dir.display(),
                said.lines().last().unwrap_or_default()
            );
            return None;
        }
        panic!("pip install {} failed:\n{said}", packages.join(" "));
    }
    std::fs::write(&stamp, &wanted).expect("write the virtualenv's stamp");
    Some(PythonEnv { python })
}

impl PythonEnv {
    /// Runs `tests/fixtures/<script>` with `args`, feeding it `stdin`; returns its stdout,
    /// failing the test if it exits non-zero.
    pub fn run(&self, script: &str, args: &[&str], stdin: &str) -> String {
        use std::io::Write;
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(script);
        let mut child = Command::new(&self.python)
            .arg(&path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the script starts");
        let mut input = child.stdin.take().expect("stdin is piped");
        let stdin = stdin.to_owned();
        let writer = std::thread::spawn(move || {
            let _ = input.write_all(stdin.as_bytes());
        });
        let output = child.wait_with_output().expect("the script ends");
        let _ = writer.join();
        assert!(
            output.status.success(),
            "{} {args:?} failed:\n{}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("the script prints UTF-8")
    }

    /// Runs a few lines of Python (`python -c code`); returns its stdout, failing the test
    /// if it exits non-zero.
    #[allow(dead_code)] // Not every test binary that includes the support module uses it.
    pub fn run_code(&self, code: &str) -> String {
        let output = Command::new(&self.python)
            .args(["-c", code])
            .output()
            .expect("python runs");
        assert!(
            output.status.success(),
            "python -c failed:\n{code}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("python prints UTF-8")
    }

    /// Starts `tests/fixtures/<script>` with `args`, its stdout piped (killed when the
    /// child is dropped, with `kill_on_drop` semantics left to the caller).
    #[allow(dead_code)] // Not every test binary that includes the support module uses it.
    pub fn spawn(&self, script: &str, args: &[&str]) -> std::process::Child {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(script);
        Command::new(&self.python)
            .arg(&path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the script starts")
    }
}

//! Reference implementations in Node.js: the packages pinned by `tests/node/package.json`
//! and its lock file, installed once with `npm ci` into `tests/node/node_modules` (ignored
//! by git), and server scripts from `tests/node/` started on 127.0.0.1 port 0.
//!
//! When the npm registry cannot be reached, [`env`] prints a loud `SKIPPED: …` line on
//! stderr and the test returns; any other failure (no `node`/`npm`, a package that will not
//! install for another reason) fails the test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The installed packages.
pub struct NodeEnv {
    dir: PathBuf,
}

/// What npm prints when it cannot reach the registry.
const OFFLINE_SIGNS: &[&str] = &[
    "ENOTFOUND",
    "EAI_AGAIN",
    "ECONNREFUSED",
    "ETIMEDOUT",
    "ECONNRESET",
    "ENETUNREACH",
    "network request",
    "getaddrinfo",
];

/// `tests/node` with its packages installed, or `None` (after a `SKIPPED:` line on stderr
/// naming `test`) when the npm registry is unreachable.
pub fn env(test: &str) -> Option<NodeEnv> {
    // Tests of one binary share the install; one makes it at a time. Test binaries run
    // one after another under `cargo test`, so they do not race each other.
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    let _guard = LOCK
        .get_or_init(|| Mutex::new(()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    let lock = std::fs::read_to_string(dir.join("package-lock.json"))
        .expect("tests/node/package-lock.json is committed");
    let stamp = dir.join("node_modules/.sockscope-lock");
    if std::fs::read_to_string(&stamp).is_ok_and(|have| have == lock) {
        return Some(NodeEnv { dir });
    }
    let npm = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .args(["--fetch-retries=1", "--fetch-timeout=20000"])
        .current_dir(&dir)
        .output()
        .expect("npm runs (the protocol tests need Node.js and npm)");
    if !npm.status.success() {
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&npm.stdout),
            String::from_utf8_lossy(&npm.stderr)
        );
        if OFFLINE_SIGNS.iter().any(|sign| said.contains(sign)) {
            eprintln!(
                "\n**********\nSKIPPED: {test}: the npm registry is unreachable, so the \
                 packages of {} could not be installed.\nnpm said: {}\n**********\n",
                dir.join("package.json").display(),
                said.lines().last().unwrap_or_default()
            );
            return None;
        }
        panic!("npm ci in {} failed:\n{said}", dir.display());
    }
    std::fs::write(&stamp, &lock).expect("write the install's stamp");
    Some(NodeEnv { dir })
}

/// A Node.js server started by a test: killed when dropped.
pub struct NodeServer {
    child: Child,
    /// The port it listens on, from its first line of output.
    pub port: u16,
    /// The rest of its standard output, for scripts that report what they saw.
    pub stdout: BufReader<ChildStdout>,
}

impl NodeEnv {
    /// Starts `tests/node/<script>` with `args`. The script listens on 127.0.0.1 port 0 and
    /// prints `listening <port>` as its first line; this waits (at most 20 s) for it.
    pub fn server(&self, script: &str, args: &[&str]) -> NodeServer {
        let mut child = Command::new("node")
            .arg(self.dir.join(script))
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (lines, first) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let _ = lines.send(line);
            stdout
        });
        let line = first
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("{script} did not say where it listens within 20 s"));
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("{script} said {line:?}, not `listening <port>`"));
        let stdout = reader.join().expect("the reader thread ends");
        NodeServer {
            child,
            port,
            stdout,
        }
    }

    /// Runs `tests/node/<script>` with `args` to its end (at most 60 s is the caller's
    /// business); returns its stdout, failing the test if it exits non-zero.
    pub fn run(&self, script: &str, args: &[&str]) -> String {
        let output = Command::new("node")
            .arg(self.dir.join(script))
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .expect("node runs");
        assert!(
            output.status.success(),
            "node {script} {args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("the script prints UTF-8")
    }
}

impl NodeServer {
    /// The next line the server printed after `listening`, trimmed; `None` at its end.
    pub fn next_line(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end().to_owned()),
        }
    }
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

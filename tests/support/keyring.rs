//! A real Secret Service for the keychain tests: gnome-keyring's daemon on a private D-Bus
//! session bus (`tests/keyring/session`), unlocked with a known password, with HOME and the
//! XDG folders in a temporary directory, so the user's own keychain is never touched. The
//! Debian packages are installed by `tests/keyring/install-packages` when missing; when
//! the package registry cannot be reached, [`SecretService::start`] prints a loud
//! `SKIPPED: …` line and the test returns. Also runs the binary with a chosen environment.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::cli::{Run, parse};

/// A running private Secret Service: stopped when dropped.
pub struct SecretService {
    child: Child,
    /// `DBUS_SESSION_BUS_ADDRESS` of its bus.
    pub address: String,
    /// HOME, XDG folders and the config directory live here.
    pub dir: tempfile::TempDir,
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keyring")
        .join(name)
}

impl SecretService {
    /// Starts one, or `None` after a `SKIPPED:` line when its packages cannot be installed
    /// because the package registry is unreachable.
    pub fn start(test: &str) -> Option<SecretService> {
        let install = Command::new(script("install-packages"))
            .output()
            .expect("tests/keyring/install-packages runs");
        match install.status.code() {
            Some(0) => {}
            Some(75) => {
                eprintln!(
                    "\n**********\nSKIPPED: {test}: the Debian package registry is unreachable, \
                     so gnome-keyring could not be installed.\napt said: {}\n**********\n",
                    String::from_utf8_lossy(&install.stderr).trim()
                );
                return None;
            }
            _ => panic!(
                "tests/keyring/install-packages failed:\n{}",
                String::from_utf8_lossy(&install.stderr)
            ),
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        let runtime = dir.path().join("run");
        std::fs::create_dir_all(&runtime).expect("the runtime folder");
        set_private(&runtime);
        let mut child = Command::new(script("session"))
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("tests/keyring/session starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the session says its address");
        let address = line
            .trim()
            .strip_prefix("address ")
            .unwrap_or_else(|| panic!("the session printed {line:?}, not its address"))
            .to_owned();
        Some(SecretService {
            child,
            address,
            dir,
        })
    }

    /// The environment a `sockscope` run on this Secret Service gets.
    pub fn env(&self) -> Vec<(String, String)> {
        let dir = self.dir.path();
        vec![
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.address.clone()),
            ("HOME".into(), dir.display().to_string()),
            (
                "SOCKSCOPE_CONFIG_DIR".into(),
                dir.join("sockscope").display().to_string(),
            ),
        ]
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        // Closing its standard input ends the session, its bus and the daemon.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

#[cfg(unix)]
fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
        .expect("a private runtime folder");
}

#[cfg(not(unix))]
fn set_private(_: &Path) {}

/// Runs the binary with `args`, the environment `env` added and `DBUS_SESSION_BUS_ADDRESS`
/// removed unless `env` sets it, `input` on standard input (killed after 30 s).
pub async fn run(args: &[&str], env: &[(String, String)], input: &[u8]) -> Run {
    use tokio::io::AsyncWriteExt;
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sockscope"));
    command
        .args(args)
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("the binary runs");
    let mut stdin = child.stdin.take().expect("piped stdin");
    // A command that does not read its input may have exited already.
    let _ = stdin.write_all(input).await;
    drop(stdin);
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the binary ends within 30 s")
        .expect("the binary runs");
    parse(output)
}

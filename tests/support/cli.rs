//! Running the `sockscope` binary as a script would, and reading what it printed.

use serde_json::Value;

/// What one run of the binary printed and how it exited.
pub struct Run {
    /// Every stdout line, parsed as JSON.
    pub lines: Vec<Value>,
    /// Everything on stderr.
    pub stderr: String,
    /// The exit status.
    pub status: i32,
}

/// Runs the binary with `args` (killed after 30 s) and parses its JSON lines.
pub async fn sockscope(args: &[&str]) -> Run {
    sockscope_with_env(args, &[]).await
}

/// Like [`sockscope`], with extra environment variables for the child only.
pub async fn sockscope_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sockscope"));
    command.args(args).kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), command.output())
        .await
        .expect("the binary ends within 30 s")
        .expect("the binary runs");
    parse(output)
}

/// Runs the binary with `args`, writing each `(delay, bytes)` of `feed` to its standard
/// input after its delay, then closing it; parses what it printed (killed after 30 s).
pub async fn sockscope_fed(args: &[&str], feed: &[(std::time::Duration, &[u8])]) -> Run {
    use tokio::io::AsyncWriteExt;
    let mut child = spawn_piped(args);
    let mut stdin = child.stdin.take().expect("a piped stdin");
    for (delay, bytes) in feed {
        tokio::time::sleep(*delay).await;
        stdin
            .write_all(bytes)
            .await
            .expect("the binary reads its input");
    }
    drop(stdin);
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the binary ends within 30 s")
        .expect("the binary runs");
    parse(output)
}

/// Starts the binary with `args` and its standard input, output and error piped (killed
/// when dropped).
pub fn spawn_piped(args: &[&str]) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_sockscope"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary runs")
}

/// What a finished run printed, parsed.
pub fn parse(output: std::process::Output) -> Run {
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    let lines = stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}"))
        })
        .collect();
    Run {
        lines,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        status: output.status.code().expect("exited"),
    }
}

/// The `event` names, in order.
pub fn events(run: &Run) -> Vec<&str> {
    run.lines
        .iter()
        .map(|l| l["event"].as_str().unwrap_or("?"))
        .collect()
}

/// The `message` lines going `dir` ("in" or "out").
pub fn messages<'a>(run: &'a Run, dir: &str) -> Vec<&'a Value> {
    run.lines
        .iter()
        .filter(|l| l["event"] == "message" && l["dir"] == dir)
        .collect()
}

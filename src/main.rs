//! `sockscope`: parses the arguments and picks the face (window or a headless command).

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use sockscope::cli::error::{CliError, Outcome};
use sockscope::cli::{self, args::Cli};

/// mimalloc: an inspector allocates a buffer per message it keeps; with glibc's allocator
/// a flood spent a quarter of its time in malloc and page faults (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let result = match &cli.command {
        Some(command) => cli::run(command, &matches),
        None => open_window(&cli),
    };
    cli::exit::finish(result)
}

/// Opens the window (the face without a command).
#[cfg(feature = "gui")]
fn open_window(cli: &Cli) -> Result<Outcome, CliError> {
    use sockscope::app::{self, AppOptions};
    let options = AppOptions {
        url: cli.url.clone(),
        no_demo_server: cli.no_demo_server,
        ..AppOptions::default()
    };
    app::run(options)
        .map_err(|error| CliError::failed("the window could not open: ", error.to_string()))?;
    Ok(Outcome::Success)
}

/// Built without the window (`--no-default-features`): only the commands work.
#[cfg(not(feature = "gui"))]
fn open_window(_cli: &Cli) -> Result<Outcome, CliError> {
    Err(CliError::failed(
        "",
        "this build has no window (built without the gui feature); use a command such as `connect`",
    ))
}

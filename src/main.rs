//! `sockscope`: parses the arguments and picks the face (window or a headless command).

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use sockscope::cli::{self, args::Cli};

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    match &cli.command {
        Some(command) => cli::run(command, &matches),
        None => cli::exit::failed(
            "the window is not built yet: try `sockscope serve` and `sockscope connect`",
        ),
    }
}

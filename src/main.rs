//! `sockscope`: parses the arguments and picks the face (window or a headless command).

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use sockscope::app::{self, AppOptions};
use sockscope::cli::{self, args::Cli};

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    match &cli.command {
        Some(command) => cli::run(command, &matches),
        None => {
            let options = AppOptions {
                url: cli.url.clone(),
                no_demo_server: cli.no_demo_server,
                ..AppOptions::default()
            };
            match app::run(options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => cli::exit::failed(&format!("the window could not open: {error}")),
            }
        }
    }
}

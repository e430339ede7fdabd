//! The headless faces: `connect` prints a connection's events as JSON lines, `serve` runs
//! the demo server. Both drive the same engine as the window.

pub mod args;
mod connect;
pub mod exit;
pub mod json_lines;
pub mod plan;
mod serve;
mod summary;
pub mod template_args;

use std::process::ExitCode;

use clap::ArgMatches;

use args::CliCommand;

/// Runs a headless command on a fresh runtime and returns its exit status.
pub fn run(command: &CliCommand, matches: &ArgMatches) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return exit::failed(&format!("cannot start the async runtime: {error}")),
    };
    match command {
        CliCommand::Connect(args) => {
            let sub = matches.subcommand_matches("connect").unwrap_or(matches);
            match plan::Plan::from_args(args, sub) {
                Ok(plan) => runtime.block_on(connect::run(plan)),
                Err(error) => exit::usage(&format!("connect: {error}")),
            }
        }
        CliCommand::Serve(args) => runtime.block_on(serve::run(args)),
    }
}

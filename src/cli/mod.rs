//! The headless faces: `connect` prints a connection's events as JSON lines, `serve` runs
//! the demo server, `replay` re-runs a recorded session and compares, `import-har` and
//! `export-har` convert HAR files, `sse` prints a Server-Sent Events stream's events,
//! `secret` keeps secrets in the OS keychain, `proxy` stands between WebSocket clients and
//! their server and prints both legs' events, `listen` is a mock server that prints what
//! its clients send and answers by rules. All drive the same engine as the window.

pub mod args;
pub mod command_line;
mod connect;
pub mod decode_args;
pub mod error;
pub mod exit;
pub mod fold_args;
mod fold_line;
mod har_commands;
mod listen;
pub mod listen_args;
mod message_out;
mod output;
pub mod plan;
mod protocol_line;
mod proxy;
pub mod proxy_args;
mod proxy_record;
pub mod replay;
pub mod script_args;
pub mod script_run;
mod script_test;
mod secret;
mod serve;
pub mod sse;
mod stdin_lines;
mod summary;
pub mod template_args;

use clap::ArgMatches;

use args::CliCommand;
use error::{CliError, Outcome};

/// Runs a headless command on a fresh runtime; [`exit::finish`] turns what it came to into
/// the exit status.
pub fn run(command: &CliCommand, matches: &ArgMatches) -> Result<Outcome, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| CliError::failed("cannot start the async runtime: ", error))?;
    match command {
        CliCommand::Connect(args) => {
            let sub = matches.subcommand_matches("connect").unwrap_or(matches);
            let checked = plan::Plan::from_args(args, sub)
                .and_then(|plan| Ok((plan, replay::Recording::from_args(args)?)));
            let flag = "--max-message-size";
            if let Some(note) = crate::engine::limits::clamp_note(flag, args.max_message_size) {
                eprintln!("sockscope connect: {note}");
            }
            let (plan, record) = checked.map_err(|error| CliError::usage("connect: ", error))?;
            runtime.block_on(connect::run(plan, record))
        }
        CliCommand::Serve(args) => runtime.block_on(serve::run(args)),
        CliCommand::Proxy(args) => runtime.block_on(proxy::run(args)),
        CliCommand::Listen(args) => runtime.block_on(listen::run(args)),
        CliCommand::Replay(args) => runtime.block_on(replay::run(args)),
        CliCommand::ImportHar(args) => har_commands::import(args),
        CliCommand::ExportHar(args) => har_commands::export(args),
        CliCommand::Secret(command) => secret::run(command),
        CliCommand::Test(args) => runtime.block_on(script_test::run(args)),
        CliCommand::Sse(args) => {
            let flag = "--max-event-size";
            if let Some(note) = crate::engine::limits::clamp_note(flag, args.max_event_size) {
                eprintln!("sockscope sse: {note}");
            }
            runtime.block_on(sse::run(args))
        }
    }
}

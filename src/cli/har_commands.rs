//! `sockscope import-har` and `sockscope export-har`: HAR files to and from sessions. Each
//! prints one JSON line describing what it wrote; a file that cannot be read, parsed or
//! written is exit status 2 with one line on stderr (path:line:col where known).

use std::process::ExitCode;

use serde_json::json;

use super::args::{ExportHarArgs, ImportHarArgs};
use super::exit;
use crate::model::har;
use crate::model::session::{SessionFile, SessionTab};
use crate::model::storage::FileError;

fn file_error(error: &FileError) -> ExitCode {
    exit::usage(
        &error
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// `sockscope import-har FILE.har --out FILE.ron`.
pub fn import(args: &ImportHarArgs) -> ExitCode {
    let tabs = match har::load(&args.file) {
        Ok(tabs) => tabs,
        Err(error) => return file_error(&error),
    };
    // A DevTools HAR holds the browser's cookies and tokens: the session file does not.
    let tabs = match tabs
        .iter()
        .enumerate()
        .map(|(index, tab)| tab.redacted(&tab.label(index)))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(tabs) => tabs,
        Err(error) => return exit::usage(&format!("{}: {error}", args.file.display())),
    };
    let described: Vec<_> = tabs
        .iter()
        .map(
            |tab| json!({"name": tab.name, "url": tab.setup.config.url, "messages": tab.message_count()}),
        )
        .collect();
    if let Err(error) = SessionFile::new(tabs).save(&args.out) {
        return file_error(&error);
    }
    println!(
        "{}",
        json!({
            "event": "import-har",
            "file": args.file.display().to_string(),
            "out": args.out.display().to_string(),
            "tabs": described,
        })
    );
    ExitCode::SUCCESS
}

/// `sockscope export-har FILE.ron --out FILE.har [--tab N]`.
pub fn export(args: &ExportHarArgs) -> ExitCode {
    let file = match SessionFile::load(&args.file) {
        Ok(file) => file,
        Err(error) => return file_error(&error),
    };
    let tabs: Vec<(&SessionTab, String)> = match &args.tab {
        Some(selector) => match file.find_tab(selector) {
            Ok((index, tab)) => vec![(tab, tab.label(index))],
            Err(error) => return exit::usage(&format!("{}: {error}", args.file.display())),
        },
        None => file
            .tabs
            .iter()
            .enumerate()
            .map(|(index, tab)| (tab, tab.label(index)))
            .collect(),
    };
    let document = match har::export_tabs(&tabs) {
        Ok(document) => document,
        Err(error) => return exit::usage(&format!("{}: {error}", args.file.display())),
    };
    if let Err(error) = har::save(&args.out, &document) {
        return file_error(&error);
    }
    let entries = document["log"]["entries"].as_array().map_or(0, Vec::len);
    let messages: usize = tabs.iter().map(|(tab, _)| tab.message_count()).sum();
    println!(
        "{}",
        json!({
            "event": "export-har",
            "file": args.file.display().to_string(),
            "out": args.out.display().to_string(),
            "entries": entries,
            "messages": messages,
        })
    );
    ExitCode::SUCCESS
}

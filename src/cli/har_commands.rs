//! `sockscope import-har` and `sockscope export-har`: HAR files to and from sessions. Each
//! prints one JSON line describing what it wrote; a file that cannot be read, parsed or
//! written is exit status 2 with one line on stderr (path:line:col where known).

use serde_json::json;

use super::args::{ExportHarArgs, ImportHarArgs};
use super::error::{CliError, Outcome};
use crate::model::har;
use crate::model::session::{SessionFile, SessionTab};

/// `sockscope import-har FILE.har --out FILE.ron`.
pub fn import(args: &ImportHarArgs) -> Result<Outcome, CliError> {
    let tabs = har::load(&args.file).map_err(CliError::file)?;
    // A DevTools HAR holds the browser's cookies and tokens: the session file does not.
    let tabs = tabs
        .iter()
        .enumerate()
        .map(|(index, tab)| tab.redacted(&tab.label(index)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| CliError::usage(format!("{}: ", args.file.display()), error))?;
    let described: Vec<_> = tabs
        .iter()
        .map(
            |tab| json!({"name": tab.name, "url": tab.setup.config.url, "messages": tab.message_count()}),
        )
        .collect();
    SessionFile::new(tabs)
        .save(&args.out)
        .map_err(CliError::file)?;
    println!(
        "{}",
        json!({
            "event": "import-har",
            "file": args.file.display().to_string(),
            "out": args.out.display().to_string(),
            "tabs": described,
        })
    );
    Ok(Outcome::Success)
}

/// `sockscope export-har FILE.ron --out FILE.har [--tab N]`.
pub fn export(args: &ExportHarArgs) -> Result<Outcome, CliError> {
    let file = SessionFile::load(&args.file).map_err(CliError::file)?;
    let in_file = || format!("{}: ", args.file.display());
    let tabs: Vec<(&SessionTab, String)> = match &args.tab {
        Some(selector) => {
            let (index, tab) = file
                .find_tab(selector)
                .map_err(|error| CliError::usage(in_file(), error))?;
            vec![(tab, tab.label(index))]
        }
        None => file
            .tabs
            .iter()
            .enumerate()
            .map(|(index, tab)| (tab, tab.label(index)))
            .collect(),
    };
    let document = har::export_tabs(&tabs).map_err(|error| CliError::usage(in_file(), error))?;
    har::save(&args.out, &document).map_err(CliError::file)?;
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
    Ok(Outcome::Success)
}

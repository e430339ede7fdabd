//! `sockscope replay`: a recorded session tab replayed against a server, its events printed
//! as JSON lines like `connect`, then one `replay-summary` line. And `connect --record`'s
//! saving of a run as a session.

use crate::model::decode_settings::DecodeSettings;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use super::args::{ConnectArgs, ReplayArgs};
use super::error::{CliError, Outcome};
use super::exit;
use super::plan::UsageError;
use super::protocol_line::ProtocolLines;
use super::template_args::{self, not_allowed_hint, secret_not_allowed_hint};
use crate::engine::{ConnectionConfig, Event, Leg, Payload};
use crate::format::hex::to_hex;
use crate::format::json_path::JsonPath;
use crate::format::variables;
use crate::format::variables::process_env;
use crate::model::redact::Redactor;
use crate::model::session::{SecretHeader, SessionFile, TabRecording};
use crate::model::storage::FileError;
use crate::model::timeline::Timeline;
use crate::replay::{
    CloseSummary, CompareOptions, ComparisonItem, MessageRef, Replay, ReplayError, ReplayOptions,
    ReplayReport, Speed,
};
use crate::secrets::SecretResolver;

/// Exit status of a replay that ran but did not match the recording.
pub const DIFFERENT: u8 = exit::DIFFERENT;

/// `--memory-budget MIB` in bytes.
fn mib_to_bytes(mib: u64) -> usize {
    usize::try_from(mib)
        .unwrap_or(usize::MAX)
        .saturating_mul(1 << 20)
}

/// Runs `sockscope replay` and returns how it came out.
pub async fn run(args: &ReplayArgs) -> Result<Outcome, CliError> {
    let file = SessionFile::load(&args.file).map_err(CliError::file)?;
    let (index, tab) = file
        .find_tab(&args.tab)
        .map_err(|error| CliError::usage(format!("{}: ", args.file.display()), error))?;
    let options = options(args).map_err(|error| CliError::usage("replay: ", error))?;
    let mut allowed_env = template_args::parse_allow_env(&args.allow_env)
        .map_err(|error| CliError::usage("replay: ", error))?;
    allowed_env.extend(
        template_args::parse_allow_secret(&args.allow_secret)
            .map_err(|error| CliError::usage("replay: ", error))?,
    );
    let label = tab.label(index);
    let url = args.url.as_deref();
    let context = format!("replay {}: ", args.file.display());
    let secrets = SecretResolver::new(args.secrets_from_env);
    let lookup = secrets.lookup(&process_env);
    let play = match args.leg.as_deref() {
        None => Leg::Client,
        Some(name) => {
            if !tab.timeline.iter().any(|event| event.leg.is_some()) {
                let why = format!(
                    "--leg {name}: tab {label} is not a proxy recording (its events have no legs)"
                );
                return Err(CliError::usage("replay: ", UsageError(why)));
            }
            Leg::parse(name).unwrap_or(Leg::Client)
        }
    };
    let replay = Replay::from_tab_leg(tab, &label, None, play, url, &allowed_env, &lookup)
        .map_err(|error| {
            let hint = match &error {
                ReplayError::Resolve(error) => error
                    .env_not_allowed()
                    .map(not_allowed_hint)
                    .or_else(|| error.secret_not_allowed().map(secret_not_allowed_hint)),
                _ => None,
            };
            let hint = hint.or_else(|| {
                let failure = secrets.first_failure()?;
                let consent = if failure.needs_fallback_consent() {
                    " (pass --secrets-from-env to allow it)"
                } else {
                    ""
                };
                Some(format!(": {failure}{consent}"))
            });
            CliError::usage(context.clone(), error).with_hint(hint.unwrap_or_default())
        })?;
    let mut stdout = std::io::stdout().lock();
    let mut reading = true;
    // Printing blocks on a slow stdout, which holds the run (and its connection) back.
    let mut protocol = ProtocolLines::new(&replay.config.protocol);
    let on_event = |event: &Event| {
        let mut line = replay.redactor.json_line(event);
        if let Some(protocol) = &mut protocol {
            protocol.annotate(&mut line, event, &replay.redactor);
        }
        if reading && !print_line(&mut stdout, &line) {
            reading = false;
        }
        std::future::ready(())
    };
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let budget = mib_to_bytes(args.memory_budget);
    let report = replay
        .run_within(&options, budget, on_event, cancel)
        .await
        .map_err(|error| CliError::usage(context, error))?;
    for unsent in &report.unsent {
        eprintln!("sockscope replay: not sent: {unsent}");
    }
    let mut summary = summary_json(&report);
    replay.redactor.json_strings(&mut summary);
    if let Value::Object(map) = &mut summary {
        map.insert("session".into(), json!(args.file.display().to_string()));
        map.insert("tab".into(), json!(label));
        map.insert("url".into(), json!(replay.redactor.url(&replay.config.url)));
    }
    print_line(&mut stdout, &summary);
    Ok(if !report.opened {
        Outcome::Failed
    } else if report.all_match() {
        Outcome::Success
    } else {
        Outcome::Different
    })
}

fn options(args: &ReplayArgs) -> Result<ReplayOptions, UsageError> {
    let speed = if args.fast {
        Speed::Fast
    } else if args.speed.is_finite() && args.speed > 0.0 {
        Speed::Factor(args.speed)
    } else {
        return Err(UsageError(format!(
            "--speed {}: expected a positive number such as 1 or 10",
            args.speed
        )));
    };
    let ignore = args
        .ignore
        .iter()
        .map(|path| JsonPath::parse(path).map_err(|e| UsageError(format!("--ignore: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ReplayOptions {
        speed,
        compare: CompareOptions { ignore },
        grace: args.grace.map(Duration::from_millis),
    })
}

/// Prints one line and flushes it; false when stdout is gone.
fn print_line(out: &mut impl Write, value: &Value) -> bool {
    writeln!(out, "{value}").and_then(|()| out.flush()).is_ok()
}

/// A message in the summary: its type, length and (cut to 1000 characters or 256 bytes)
/// content.
fn message_json(message: &MessageRef) -> Value {
    if let Some(len) = message.not_kept {
        return json!({"len": len, "not_kept": len});
    }
    match &message.payload {
        Payload::Text(text) => {
            let cut: String = text.chars().take(1000).collect();
            let truncated = cut.len() < text.len();
            json!({"type": "text", "len": text.len(), "text": cut, "truncated": truncated})
        }
        Payload::Binary(bytes) => {
            let shown = &bytes[..bytes.len().min(256)];
            json!({
                "type": "binary", "len": bytes.len(), "hex": to_hex(shown),
                "truncated": shown.len() < bytes.len(),
            })
        }
    }
}

fn close_json(close: &CloseSummary) -> Value {
    json!({
        "code": close.code,
        "reason": close.reason,
        "initiator": close.initiator.as_str(),
        "was_clean": close.was_clean,
    })
}

/// The `replay-summary` line: counts, the close comparison, and every item that did not
/// match.
pub fn summary_json(report: &ReplayReport) -> Value {
    let comparison = &report.comparison;
    let differences: Vec<Value> = comparison
        .items
        .iter()
        .filter(|item| !matches!(item, ComparisonItem::Matched { .. }))
        .map(|item| {
            let mut entry = json!({ "status": item.status() });
            if let Some(expected) = item.expected() {
                entry["expected_index"] = json!(expected.index);
                entry["expected"] = message_json(expected);
            }
            if let Some(actual) = item.actual() {
                entry["actual_seq"] = json!(report.events.get(actual.index).map(|e| e.seq));
                entry["actual"] = message_json(actual);
            }
            if let ComparisonItem::Different { diff, .. } = item {
                entry["diff"] = json!(diff.lines());
            }
            entry
        })
        .collect();
    let close = comparison.close.as_ref().map(|close| {
        json!({
            "expected": close_json(&close.expected),
            "actual": close.actual.as_ref().map(close_json),
            "matches": close.matches,
        })
    });
    json!({
        "event": "replay-summary",
        "expected": comparison.expected(),
        "matched": comparison.matched(),
        "different": comparison.different(),
        "missing": comparison.missing(),
        "unexpected": comparison.unexpected(),
        "close_matches": comparison.close_matches(),
        "received": comparison.received(),
        "opened": report.opened,
        "sent": report.sent,
        "unsent": report.unsent.len(),
        "cancelled": report.cancelled,
        "not_kept": {"messages": report.not_kept.messages, "bytes": report.not_kept.bytes},
        "close": close,
        "differences": differences,
    })
}

/// `connect --record FILE.ron [--secret NAME=ENV]...`: where to save the run.
#[derive(Debug)]
pub struct Recording {
    /// The session file to write.
    pub path: PathBuf,
    /// Headers saved as environment references.
    pub secrets: Vec<SecretHeader>,
    /// Payload bytes kept for the session (`--memory-budget`, in bytes).
    pub memory_budget: usize,
}

impl Recording {
    /// Checks `--record` and `--secret`; `None` without `--record`.
    pub fn from_args(args: &ConnectArgs) -> Result<Option<Self>, UsageError> {
        let Some(path) = &args.record else {
            return Ok(None);
        };
        let parent = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            return Err(UsageError(format!(
                "--record {}: the folder {} does not exist",
                path.display(),
                parent.display()
            )));
        }
        let secrets = args
            .secrets
            .iter()
            .map(|value| match value.split_once('=') {
                Some((name, env)) if !name.trim().is_empty() && !env.trim().is_empty() => {
                    variables::check_env_name(env.trim())
                        .map_err(|e| UsageError(format!("--secret {value:?}: {e}")))?;
                    Ok(SecretHeader::new(name.trim(), env.trim()))
                }
                _ => Err(UsageError(format!(
                    "--secret {value:?}: expected HEADER=ENV_VARIABLE"
                ))),
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(Self {
            path: path.clone(),
            secrets,
            memory_budget: mib_to_bytes(args.memory_budget),
        }))
    }

    /// Saves the run as a one-tab session named after its URL, through the run's
    /// `redactor`; the entries whose payload the budget did not keep say so (`not_kept`).
    pub fn save(
        &self,
        config: &ConnectionConfig,
        decode: &DecodeSettings,
        timeline: &Timeline,
        redactor: &Redactor,
    ) -> Result<(), FileError> {
        let mut recording =
            TabRecording::new(config.url.clone(), config.clone(), timeline.to_entries());
        recording.setup.secret_headers = self.secrets.clone();
        recording.setup.decode = decode.clone();
        recording.not_kept = timeline.not_kept_rows().to_vec();
        recording.redactor = redactor.clone();
        SessionFile::new(vec![recording.to_session()]).save(&self.path)
    }
}

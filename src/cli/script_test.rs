//! `sockscope test FILE.session.ron`: every tab that has a script connects with its own
//! settings (or `--url`), runs the script, and prints `connect`'s lines with the script's;
//! one JUnit report for all of them with `--junit`.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::json;

use super::connect;
use super::decode_args::DecodePlan;
use super::error::{CliError, Outcome};
use super::output::JsonLines;
use super::plan::{self, Plan};
use super::script_args::TestArgs;
use super::script_run::{self, ScriptPlan};
use super::template_args::{self, not_allowed_hint};
use crate::engine::ReconnectPolicy;
use crate::format::variables::{EnvPolicy, process_env};
use crate::model::redact::{self, Redactor};
use crate::model::session::{SessionFile, SessionTab, resolve_config};

/// Runs every scripted tab of the file, one after the other.
pub async fn run(args: &TestArgs) -> Result<Outcome, CliError> {
    let file = SessionFile::load(&args.file).map_err(CliError::file)?;
    let context = format!("test {}: ", args.file.display());
    let allowed_env = template_args::parse_allow_env(&args.allow_env)
        .map_err(|error| CliError::usage(context.clone(), error))?;
    let wait =
        plan::parse_wait(&args.wait).map_err(|error| CliError::usage(context.clone(), error))?;
    // Every tab's settings and script are checked before any traffic.
    let mut plans = Vec::new();
    for (index, tab) in file.tabs.iter().enumerate() {
        if tab.setup.script.trim().is_empty() {
            continue;
        }
        let label = tab.label(index);
        let plan = tab_plan(
            args,
            tab,
            &format!("{context}{label}: "),
            &label,
            &allowed_env,
            wait,
        )?;
        if let Some(script) = &plan.script {
            script.load()?;
        }
        plans.push((label, plan));
    }
    if plans.is_empty() {
        return Err(CliError::usage(
            context,
            "no tab has a script (a tab's `script` field, or the window's Script editor)",
        ));
    }
    let mut suites = Vec::new();
    let (mut failed, mut different) = (false, false);
    for (label, plan) in plans {
        let url = plan.redactor.url(&plan.config.url);
        let mut lines = JsonLines::stdout();
        lines.line(&json!({"event": "tab", "tab": label, "url": url}));
        drop(lines);
        let (outcome, suite) = connect::run_collecting(plan, None).await?;
        failed |= outcome == Outcome::Failed;
        different |= outcome == Outcome::Different;
        suites.extend(suite);
    }
    if let Some(path) = &args.run.junit {
        script_run::write_junit(path, &suites)?;
    }
    Ok(if failed {
        Outcome::Failed
    } else if different {
        Outcome::Different
    } else {
        Outcome::Success
    })
}

/// The plan of one tab: its settings resolved (variables, allowed environment), no sends,
/// its script.
fn tab_plan(
    args: &TestArgs,
    tab: &SessionTab,
    context: &str,
    label: &str,
    allowed_env: &[String],
    wait: plan::Wait,
) -> Result<Plan, CliError> {
    let mut config = tab.setup.config.clone();
    if let Some(url) = &args.url {
        config.url = url.clone();
    }
    let found = RefCell::new(Redactor::new());
    let env = redact::recording_env(&found, &process_env);
    let config = resolve_config(
        &config,
        &tab.setup.variables,
        &env,
        EnvPolicy::Only(allowed_env),
    )
    .map_err(|error| {
        let hint = error.env_not_allowed().map(not_allowed_hint);
        CliError::usage(context, error).with_hint(hint.unwrap_or_default())
    })?;
    config
        .prepare()
        .map_err(|error| CliError::usage(context, error))?;
    let mut redactor = found.take();
    redactor.add_config(&config, &[]);
    let vars: BTreeMap<String, String> = tab.setup.variables.iter().cloned().collect();
    let script = ScriptPlan {
        name: format!("{}[{label}]", args.file.display()),
        source: tab.setup.script.clone(),
        limits: args.run.limits(),
        vars,
        allowed_env: allowed_env.to_vec(),
        tab: Some(label.to_owned()),
        junit: None,
    };
    Ok(Plan {
        config,
        actions: Vec::new(),
        close: (1000, String::new()),
        wait,
        echo: false,
        stdin: false,
        summary: false,
        reconnect: ReconnectPolicy::default(),
        redactor,
        decode: DecodePlan::off(),
        cookie_jar: None,
        oauth2: None,
        fold: None,
        script: Some(script),
    })
}

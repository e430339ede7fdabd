//! Live state (issue 24): how fast each fold rule folds messages of about 100 B and 10 KB,
//! as the command line folds them (`Fold`: `connect --fold`) and as the window does
//! (`FoldHistory`: checkpoints, each row's changes and the updates per place); and the time
//! the State view takes to show any row of a million-message stream (the state right
//! after it, its change, the places changed in the rows before it and the tree).
//!
//!   cargo bench --bench fold            (prints Markdown tables)
//!
//! Each rate is the median of [`ROUNDS`] rounds; the keys cycle through [`KEYS`] names,
//! so the state stays the size of a busy order book or presence list.

/// The allocator the `sockscope` binary uses (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::{Duration, Instant};

use sockscope::format::json_tree;
use sockscope::model::fold::{Fold, FoldHistory, FoldInput, FoldSpec};

const ROUNDS: usize = 5;
/// Keys the messages cycle through.
const KEYS: usize = 1000;
/// Messages in the scrubbing case.
const SCRUB_ROWS: usize = 1_000_000;
/// As the window keeps them (src/app/tab_fold.rs).
const CHECKPOINT_EVERY: usize = 1024;
const RECENT_ROWS: usize = 20;

/// A string of `n` filler characters.
fn pad(n: usize) -> String {
    "x".repeat(n)
}

/// Message `i` of about `size` bytes for `rule`.
fn message(rule: &str, i: usize, size: usize) -> String {
    let key = i % KEYS;
    match rule {
        "replace" => {
            // A document of `fields` members, as a snapshot feed sends.
            let fields = (size / 9).max(1);
            let members: Vec<String> = (0..fields)
                .map(|f| format!(r#""f{f}":{}"#, (i + f) % 997))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        "merge" => {
            // A delta touching `count` of the book's levels.
            let count = (size.saturating_sub(11) / 10).max(1);
            let levels: Vec<String> = (0..count)
                .map(|c| format!(r#""k{}":{}"#, (key + c * 7) % KEYS, (i + c) % 50))
                .collect();
            format!(r#"{{"bids":{{{}}}}}"#, levels.join(","))
        }
        "patch" => {
            let count = (size / 40).max(1);
            let ops: Vec<String> = (0..count)
                .map(|c| {
                    format!(
                        r#"{{"op":"add","path":"/k{}","value":{}}}"#,
                        (key + c * 7) % KEYS,
                        (i + c) % 50
                    )
                })
                .collect();
            format!("[{}]", ops.join(","))
        }
        "keyed" => format!(
            r#"{{"id":"u{key}","op":"update","seq":{i},"name":"{}"}}"#,
            pad(size.saturating_sub(60))
        ),
        _ => format!(
            r#"{{"path":"/users/u{key}","data":{{"seq":{i},"name":"{}"}}}}"#,
            pad(size.saturating_sub(60))
        ),
    }
}

fn spec(rule: &str) -> FoldSpec {
    let name = if rule == "keyed" { "keyed:$.id" } else { rule };
    FoldSpec::parse(name, None, None, None).expect("a fold rule")
}

/// Messages per second: the median of the rounds.
fn rate(messages: &[String], mut round: impl FnMut(&[String])) -> f64 {
    let mut rates: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            round(messages);
            messages.len() as f64 / started.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[ROUNDS / 2]
}

fn human(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.2} M/s", rate / 1e6)
    } else if rate >= 1e4 {
        format!("{:.0} k/s", rate / 1e3)
    } else {
        format!("{rate:.0}/s")
    }
}

fn fold_rates() {
    println!("| rule | message | `Fold` (command line) | MB/s | `FoldHistory` (window) | MB/s |");
    println!("|---|---|---|---|---|---|");
    for (size, count) in [(100, 200_000), (10_000, 4_000)] {
        for rule in ["replace", "merge", "patch", "keyed", "pathdata"] {
            let messages: Vec<String> = (0..count).map(|i| message(rule, i, size)).collect();
            let bytes = messages.iter().map(String::len).sum::<usize>() as f64 / count as f64;
            let plain = rate(&messages, |messages| {
                let mut fold = Fold::new(spec(rule));
                for text in messages {
                    black_box(fold.fold_text(text));
                }
                black_box(fold.state());
            });
            let window = rate(&messages, |messages| {
                let mut history = FoldHistory::new(spec(rule), CHECKPOINT_EVERY);
                for (i, text) in messages.iter().enumerate() {
                    // As the window does: a row it may stop at keeps its change.
                    if (i + 1) % CHECKPOINT_EVERY == 0 {
                        history.push_shown(FoldInput::Text(text));
                    } else {
                        history.push(FoldInput::Text(text));
                    }
                }
                black_box(history.counts());
            });
            println!(
                "| {rule} | {bytes:.0} B | {} | {:.0} | {} | {:.0} |",
                human(plain),
                plain * bytes / 1e6,
                human(window),
                window * bytes / 1e6
            );
        }
    }
}

/// The State view's work for one row: the view (refolded from a checkpoint) and its tree.
fn show(history: &FoldHistory, messages: &[String], row: usize) -> Duration {
    let started = Instant::now();
    let view = history
        .view_after(row, RECENT_ROWS, |i| FoldInput::Text(&messages[i]))
        .expect("a folded row");
    black_box(json_tree::from_value(&view.state).ok());
    black_box(&view.counts);
    started.elapsed()
}

fn scrubbing() {
    for (rule, size) in [("merge", 100), ("keyed", 100)] {
        let messages: Vec<String> = (0..SCRUB_ROWS).map(|i| message(rule, i, size)).collect();
        let started = Instant::now();
        let mut history = FoldHistory::new(spec(rule), CHECKPOINT_EVERY);
        for text in &messages {
            history.push(FoldInput::Text(text));
        }
        let folded = started.elapsed();
        let every = history.checkpoint_every();
        // The worst rows are the last before a checkpoint; the others are cheaper.
        let mut worst = Vec::new();
        let mut any = Vec::new();
        let mut seed = 7u64;
        for k in 1..=20 {
            let checkpoint = (SCRUB_ROWS / 21) * k / every * every;
            worst.push(show(&history, &messages, checkpoint.max(every) - 1));
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            any.push(show(
                &history,
                &messages,
                (seed >> 33) as usize % SCRUB_ROWS,
            ));
        }
        worst.sort();
        any.sort();
        let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1e3);
        println!(
            "| {rule}, {size} B | {SCRUB_ROWS} | {:.1} s | every {every} rows, {:.1} MiB | {} | {} | {} |",
            folded.as_secs_f64(),
            history.checkpoint_bytes() as f64 / (1 << 20) as f64,
            ms(any[any.len() / 2]),
            ms(worst[worst.len() / 2]),
            ms(*worst.last().unwrap_or(&Duration::ZERO)),
        );
    }
}

fn main() {
    println!("Fold rate per rule (median of {ROUNDS} rounds):\n");
    fold_rates();
    println!(
        "\nShowing a row's state (view_after + tree) on {SCRUB_ROWS} messages, 20 rows each:\n"
    );
    println!(
        "| stream | messages | folding them (window) | checkpoints | any row (median) | row before a checkpoint (median) | worst |"
    );
    println!("|---|---|---|---|---|---|---|");
    scrubbing();
}

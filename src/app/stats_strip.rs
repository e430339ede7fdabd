//! The statistics strip and the traffic plots of a tab.

use std::time::SystemTime;

use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::style;
use crate::model::memory_budget::NotKept;
use crate::model::stats::Stats;

/// One line of counters: messages and bytes each way, current and peak rate, time
/// connected, last ping round trip.
pub fn strip_ui(ui: &mut egui::Ui, stats: &Stats, last_rtt: Option<std::time::Duration>) {
    let now = SystemTime::now();
    let t = &stats.total;
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "In: {} msgs, {}",
            t.msgs_in,
            style::format_size(t.bytes_in as usize)
        ));
        ui.separator();
        ui.label(format!(
            "Out: {} msgs, {}",
            t.msgs_out,
            style::format_size(t.bytes_out as usize)
        ));
        ui.separator();
        ui.label(format!(
            "Rate: {} msg/s (peak {} msg/s)",
            stats.current_rate(now),
            stats.peak_rate()
        ));
        ui.separator();
        ui.label(format!(
            "Connected: {:.1} s",
            stats.connected_for(now).as_secs_f64()
        ));
        ui.separator();
        ui.label(match last_rtt {
            Some(rtt) => format!("Ping RTT: {:.1} ms", rtt.as_secs_f64() * 1000.0),
            None => "Ping RTT: none yet".to_owned(),
        });
    });
    if stats.is_open() {
        // The rate and the time connected change with the clock.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(1));
    }
}

/// A warning line once the tab's memory budget was reached: how much was not kept, and
/// what to do about it. Nothing when everything was kept.
pub fn not_kept_ui(ui: &mut egui::Ui, not_kept: NotKept, budget: usize) {
    if not_kept.messages == 0 {
        return;
    }
    ui.label(
        egui::RichText::new(format!(
            "Memory budget of {} reached: {} messages ({}) were not kept (their rows, times and \
             sizes were). Raise the budget in the request options or clear the timeline.",
            style::format_size(budget),
            not_kept.messages,
            style::format_size(usize::try_from(not_kept.bytes).unwrap_or(usize::MAX)),
        ))
        .color(ui.visuals().warn_fg_color),
    );
}

/// Messages/s and bytes/s each way, and ping round trips, over time (seconds since the
/// first event).
pub fn plots_ui(ui: &mut egui::Ui, id: u64, stats: &Stats) {
    let series = |f: &dyn Fn(&crate::model::stats::Bucket) -> u64| -> PlotPoints<'static> {
        stats
            .seconds
            .iter()
            .enumerate()
            .map(|(s, b)| [s as f64, f(b) as f64])
            .collect()
    };
    ui.columns(3, |cols| {
        cols[0].label("Messages/s");
        Plot::new(("msgs-plot", id))
            .height(140.0)
            .legend(Legend::default())
            .allow_scroll(false)
            .show(&mut cols[0], |plot| {
                plot.line(Line::new("in", series(&|b| b.msgs_in)));
                plot.line(Line::new("out", series(&|b| b.msgs_out)));
            });
        cols[1].label("Bytes/s");
        Plot::new(("bytes-plot", id))
            .height(140.0)
            .legend(Legend::default())
            .allow_scroll(false)
            .show(&mut cols[1], |plot| {
                plot.line(Line::new("in", series(&|b| b.bytes_in)));
                plot.line(Line::new("out", series(&|b| b.bytes_out)));
            });
        cols[2].label("Ping RTT (ms)");
        Plot::new(("rtt-plot", id))
            .height(140.0)
            .allow_scroll(false)
            .show(&mut cols[2], |plot| {
                let points: PlotPoints<'static> = stats
                    .rtts
                    .iter()
                    .map(|(at, rtt)| [*at, rtt.as_secs_f64() * 1000.0])
                    .collect();
                plot.line(Line::new("rtt", points));
            });
    });
}

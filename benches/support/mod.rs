//! What the window benches share: timing a frame by the CPU time of the thread that ran it.

use std::time::{Duration, Instant};

/// The CPU time this thread has run for (`CLOCK_THREAD_CPUTIME_ID`, exact to the
/// nanosecond, unlike /proc's tick-rounded figures); `None` if the clock cannot be read.
pub fn thread_cpu() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the valid, exclusively borrowed `now`.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    (status == 0).then(|| Duration::new(now.tv_sec as u64, now.tv_nsec as u32))
}

/// How long `frame` took: on the CPU (what the targets are about; a VM's
/// preemptions do not count) and by the wall clock. The CPU time is the wall time where
/// the scheduler's account cannot be read.
pub fn timed(frame: impl FnOnce()) -> (Duration, Duration) {
    let (cpu_before, started) = (thread_cpu(), Instant::now());
    frame();
    let wall = started.elapsed();
    let cpu = match (cpu_before, thread_cpu()) {
        (Some(before), Some(after)) => after.saturating_sub(before),
        _ => wall,
    };
    (cpu, wall)
}

/// The median, 90th percentile and largest of `times` (which must not be empty).
pub fn spread(mut times: Vec<Duration>) -> [Duration; 3] {
    times.sort();
    let n = times.len();
    [times[n / 2], times[n * 9 / 10], times[n - 1]]
}

/// One whole frame of the window as the CPU pays for it: egui's pass over the app, then
/// tessellating what it drew into triangles (what eframe does before handing them to the
/// GPU); only the GPU's own work is left out.
pub fn frame<State>(harness: &mut egui_kittest::Harness<'_, State>) {
    harness.step();
    let output = harness.output();
    let primitives = harness
        .ctx
        .tessellate(output.shapes.clone(), output.pixels_per_point);
    std::hint::black_box(primitives);
}

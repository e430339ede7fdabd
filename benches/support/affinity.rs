//! Which CPUs a thread or a whole process may run on (Linux `sched_setaffinity`), for
//! benches that give each party of a measurement a core of its own. Included with `#[path]`.

// Each bench uses a part of it.
#![allow(dead_code)]

/// The calling thread's id, as `sched_setaffinity` takes it.
pub fn this_thread() -> i32 {
    // SAFETY: gettid(2) takes nothing and cannot fail.
    unsafe { libc::gettid() }
}

/// Lets thread `tid` run only on `cpus`; false if the kernel refused.
pub fn pin_thread(tid: i32, cpus: &[usize]) -> bool {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET writes inside it for CPU numbers
    // below its capacity (1024), and sched_setaffinity only reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus {
            libc::CPU_SET(cpu, &mut set);
        }
        libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

/// Lets every thread of process `pid` run only on `cpus` (threads it starts later inherit
/// the set of the thread that starts them); false if one could not be set.
pub fn pin_process(pid: u32, cpus: &[usize]) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    let mut all = true;
    for task in tasks.flatten() {
        if let Some(tid) = task.file_name().to_str().and_then(|n| n.parse().ok()) {
            all &= pin_thread(tid, cpus);
        }
    }
    all
}

/// How many CPUs this process may use.
pub fn available() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/**
 * CPU time of the calling thread, for the sweep's load-independent profile: on a machine shared
 * with other work, wall-clock runs/s measure the neighbours as much as the engine, while a
 * thread's own CPU time does not. Linux exposes it per thread in `/proc/thread-self/schedstat`
 * (first field: ns on a CPU, the scheduler's own accounting — the same clock `perf sched` uses);
 * Node 20 has no per-thread `cpuUsage`, and `process.cpuUsage()` in a worker is the whole
 * process's. Elsewhere (macOS, Windows) the profile is simply not available: null.
 * Granularity: procfs prints the task's `se.sum_exec_runtime` as last updated (at a tick, a
 * switch or a wakeup; fs/proc/base.c proc_pid_schedstat does not call update_curr), so one
 * reading may lag by up to a tick. The lag is the same at both ends of an interval, so sums over
 * many runs are right while a single short run may read 0: use it for totals, not for one run.
 */
import { readFileSync } from "node:fs";

let available: boolean | null = null;

/** ns this thread has spent on a CPU, or null where the kernel does not say. */
export function threadCpuNs(): number | null {
  if (available === false) return null;
  try {
    const ns = Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ", 1)[0]);
    // a kernel without sched_info prints "0 0 0"; a thread that runs this has used some CPU
    available ??= Number.isFinite(ns) && ns > 0;
    return available ? ns : null;
  } catch {
    available = false;
    return null;
  }
}

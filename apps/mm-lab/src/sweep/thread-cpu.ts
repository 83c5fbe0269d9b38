/**
 * CPU time of the calling thread, for the sweep's load-independent profile: on a machine shared
 * with other work, wall-clock runs/s measure the neighbours as much as the engine, while a
 * thread's own CPU time does not. Linux exposes it per thread in `/proc/thread-self/schedstat`
 * (first field: ns on a CPU, the scheduler's own accounting — the same clock `perf sched` uses);
 * Node 20 has no per-thread `cpuUsage`, and `process.cpuUsage()` in a worker is the whole
 * process's. Elsewhere (macOS, Windows) the profile is simply not available: null.
 */
import { readFileSync } from "node:fs";

let available: boolean | null = null;

/** ns this thread has spent on a CPU, or null where the kernel does not say. */
export function threadCpuNs(): number | null {
  if (available === false) return null;
  try {
    const ns = Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ", 1)[0]);
    available = Number.isFinite(ns);
    return available ? ns : null;
  } catch {
    available = false;
    return null;
  }
}

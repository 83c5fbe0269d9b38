/**
 * Output of the alloc-stall experiment: the comparison table and JSON lines. Pure functions of the
 * results, so equal runs print equal bytes.
 */
import Table from "cli-table3";
import { HZ, type ScenarioResult } from "./run.js";

function plainTable(head: string[], colAligns: ("left" | "right")[]): Table.Table {
  return new Table({ head, colAligns, style: { head: [], border: [], compact: true } });
}

function pct(n: number, d: number): string {
  return d === 0 ? "-" : `${((100 * n) / d).toFixed(0)}%`;
}

/** Seconds, "-" for none (NaN in results, null once they went through JSON). */
function secs(x: number | null): string {
  return x === null || Number.isNaN(x) ? "-" : x.toFixed(1);
}

function perMin(x: number, durationS: number): number {
  return (x * 60) / durationS;
}

/** One scenario's ground truth in a line. */
export function describeTruth(r: ScenarioResult): string {
  const states = Object.entries(r.stallsByState)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");
  return (
    `${r.scenario} (${r.durationS} s, ${r.tasks} tasks): ${r.summary}\n` +
    `  ground truth: ${r.stalls} stalls (slow path >= 10 s), longest ${r.longestStallS.toFixed(1)} s, ` +
    `OOM kills ${r.oomKills}; where each stood at 10 s: ${states === "" ? "-" : states}`
  );
}

/** The comparison table: every scenario x every policy. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const t = plainTable(
    ["scenario", "policy", "stalls", "stuck", "named", "named stuck", "while blocked", "seen", "latency med/max s", "stuck latency s", "lines/min", "KiB/min", "max report KiB", "stacks/min"],
    ["left", "left", "right", "right", "right", "right", "right", "right", "right", "right", "right", "right", "right", "right"],
  );
  for (const r of results) {
    for (const p of r.policies) {
      t.push([
        r.scenario,
        p.policy,
        String(p.stalls),
        String(p.stuck),
        `${p.named} (${pct(p.named, p.stalls)})`,
        `${p.namedStuck} (${pct(p.namedStuck, p.stuck)})`,
        `${p.namedWhileBlocked} (${pct(p.namedWhileBlocked, p.stuck)})`,
        `${p.seen} (${pct(p.seen, p.stalls)})`,
        `${secs(p.latencyMedianS)}/${secs(p.latencyMaxS)}`,
        secs(p.stuckLatencyMedianS),
        perMin(p.lines, r.durationS).toFixed(0),
        (perMin(p.bytes, r.durationS) / 1024).toFixed(1),
        (p.maxBurstBytes / 1024).toFixed(1),
        perMin(p.stackDumps, r.durationS).toFixed(0),
      ]);
    }
  }
  return t.toString();
}

function verdict(r: ScenarioResult): string {
  const warn = r.policies.find((p) => p.policy.startsWith("warn_alloc"));
  const wds = r.policies.filter((p) => !p.policy.startsWith("warn_alloc"));
  if (warn === undefined || wds.length === 0 || warn.stuck === 0) return "";
  // the watchdog that caught most stuck stalls while they were blocked, the earliest on ties
  const best = wds.reduce((a, b) =>
    b.namedWhileBlocked > a.namedWhileBlocked || (b.namedWhileBlocked === a.namedWhileBlocked && b.stuckLatencyMedianS < a.stuckLatencyMedianS) ? b : a,
  );
  return (
    `  ${r.scenario}: of ${warn.stuck} stalls stuck at 10 s, warn_alloc named ${warn.namedStuck} ` +
    `(${warn.namedWhileBlocked} while blocked, median ${secs(warn.stuckLatencyMedianS)} s late); ` +
    `${best.policy} named ${best.namedStuck} (${best.namedWhileBlocked} while blocked, median ${secs(best.stuckLatencyMedianS)} s late)`
  );
}

/** The person-readable report. */
export function formatReport(results: readonly ScenarioResult[], seed: number): string {
  const lines = [
    `alloc-stall: seed ${seed}, HZ ${HZ}; policies watch the same runs (printing does not change the model)`,
    "warn_alloc: the v4.9 stall line (4.10-4.14 add \", nodemask=(null)\" and a cpuset line); gfp and task flags in 4.9 numbering",
    ...results.map(describeTruth),
    formatTable(results),
    "stalls: slow-path allocations lasting >= 10 s (the model's ground truth); stuck: at 10 s the task was blocked",
    "  inside the allocator (I/O, the shrinker mutex, too_many_isolated throttling, an OOM notifier) rather than looping.",
    "named: a printed line named the allocation while it was in flight; while blocked: a stuck stall named before its",
    "  task got back to the retry loop; seen: named or counted in a bounded report's group line.",
    "latency: first naming minus (start + 10 s). KiB/min: message lines only; each warn_alloc line also carries a",
    "  dump_stack() and a show_mem(), each MemAlloc line a sched_show_task() (stacks/min), not printed here.",
    "kmallocwd scans every timeout s, walks tasks only if an allocation begun before its previous scan is still",
    "  in flight, and reports those stalled >= timeout/2; the bounded variant prints at most 16 tasks + 8 groups.",
    "verdict:",
    ...results.map(verdict).filter((v) => v !== ""),
  ];
  return `${lines.join("\n")}\n`;
}

/** JSON lines: one object per scenario (samples of the printed lines included). */
export function formatJson(results: readonly ScenarioResult[]): string {
  return results.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === "number" && Number.isNaN(v) ? null : v))).join("\n") + "\n";
}

/**
 * Output of the alloc-stall experiment: the comparison table and JSON lines. Pure functions of the
 * results, so equal runs print equal bytes.
 */
import { HZ, type ScenarioResult } from "./run.js";

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

const pad = (x: string, n: number): string => (x.length >= n ? x : x + " ".repeat(n - x.length));
const lpad = (x: string, n: number): string => (x.length >= n ? x : " ".repeat(n - x.length) + x);

/** The comparison table: every scenario x every policy, within 100 columns. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const cols: [string, number, boolean][] = [
    ["scenario", 13, false],
    ["policy", 25, false],
    ["stalls", 7, true],
    ["stuck", 6, true],
    ["named", 7, true],
    ["blocked", 8, true],
    ["seen", 6, true],
    ["lat med", 8, true],
    ["lines/m", 8, true],
    ["KiB/m", 7, true],
  ];
  const row = (cells: string[]): string => cells.map((c, i) => (cols[i][2] ? lpad(c, cols[i][1]) : pad(c, cols[i][1]))).join("").trimEnd();
  const out = [row(cols.map((c) => c[0]))];
  for (const r of results) {
    for (const p of r.policies) {
      out.push(
        row([
          r.scenario,
          p.policy,
          String(p.stalls),
          String(p.stuck),
          pct(p.named, p.stalls),
          pct(p.namedWhileBlocked, p.stuck),
          pct(p.seen, p.stalls),
          secs(p.stuckLatencyMedianS),
          perMin(p.lines, r.durationS).toFixed(0),
          (perMin(p.bytes, r.durationS) / 1024).toFixed(1),
        ]),
      );
    }
  }
  return out.join("\n");
}

/** A few lines of each mechanism's output, in dmesg's format, from the first scenario where it printed. */
export function formatDmesg(results: readonly ScenarioResult[]): string {
  const out: string[] = [];
  const shown = new Set<string>();
  for (const r of results) {
    for (const p of r.policies) {
      const kind = p.policy.startsWith("warn_alloc") ? p.policy : p.policy.includes("bounded") ? "kmallocwd bounded" : "kmallocwd";
      if (shown.has(kind) || p.sample.length === 0) continue;
      shown.add(kind);
      out.push(`dmesg, ${p.policy} (${r.scenario}):`);
      for (const l of p.sample.slice(0, 4)) out.push(`  ${l}`);
    }
  }
  return out.join("\n");
}

/** The person-readable report. */
export function formatReport(results: readonly ScenarioResult[], seed: number): string {
  const lines = [
    `alloc-stall: seed ${seed}, HZ ${HZ}; policies watch the same runs (printing does not change the model)`,
    "warn_alloc v4.9 and v4.11-4.13 differ in the line (nodemask, cpuset) and in whether __GFP_NOWARN",
    "  silences the stall line; the check itself sits at the same place of the retry loop in both.",
    ...results.map(describeTruth),
    formatTable(results),
    "stalls: slow-path allocations lasting >= 10 s (ground truth); stuck: blocked inside the allocator at",
    "  10 s (I/O, the shrinker mutex, too_many_isolated, an OOM notifier); named: a line named it in flight;",
    "  blocked: a stuck stall named before its task got back to the retry loop; seen: named or counted in a",
    "  bounded report's group line; lat med: median of first naming minus (start + 10 s), stuck stalls, s.",
    "mechanism, not a measurement: warn_alloc's check runs only when the stalling task comes back to the retry",
    "  loop, so its 'blocked' column is 0 by construction; kmallocwd reads per-task records from its own thread.",
    "like with like: kmallocwd 10s uses warn_alloc's threshold; kmallocwd 60s is its posted default. Both rows",
    "  are shown; neither is picked. kmallocwd scans every timeout s and reports tasks stalled >= timeout/2.",
    formatDmesg(results),
  ];
  return `${lines.join("\n")}\n`;
}

/** JSON lines: one object per scenario (samples of the printed lines included). */
export function formatJson(results: readonly ScenarioResult[]): string {
  return results.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === "number" && Number.isNaN(v) ? null : v))).join("\n") + "\n";
}

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

/** Whose printk format a policy's sample lines follow (for the dmesg excerpt's heading). */
export function formatSource(policy: string): string {
  if (policy.startsWith("warn_alloc v4.9")) return "warn_alloc of v4.9 (v4.10: same text, 4.10 gfp bits)";
  if (policy.startsWith("warn_alloc v4.11")) return "warn_alloc of v4.11 (nodemask, cpuset line)";
  if (policy.startsWith("warn_alloc")) return "warn_alloc of v4.12-v4.14";
  if (policy.includes("bounded")) return "this project's bounded report after kmallocwd's lines";
  return "kmallocwd v6, Tetsuo Handa, \"mm: Add memory allocation watchdog kernel thread\", linux-mm";
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
      out.push(`dmesg, ${p.policy} (${r.scenario}); format: ${formatSource(p.policy)}`);
      for (const l of p.sample.slice(0, 4)) out.push(`  ${l}`);
    }
  }
  return out.join("\n");
}

/** The person-readable report. */
export function formatReport(results: readonly ScenarioResult[], seed: number): string {
  const lines = [
    `alloc-stall: seed ${seed}, HZ ${HZ}; policies watch the same runs (printing does not change the model)`,
    "warn_alloc by release: 4.9-4.10 test the stall timer after a failed reclaim pass (just before",
    "  should_reclaim_retry); 4.11-4.14 at the top of every retry, before reclaim (moved by 9a67f6488eca).",
    "  4.11+ add the nodemask and cpuset lines; 4.12-4.14 pass gfp_mask & ~__GFP_NOWARN. Either site runs",
    "  only in the stalling task itself.",
    ...results.map(describeTruth),
    formatTable(results),
    "stalls: slow-path allocations lasting >= 10 s (ground truth); stuck: blocked inside the allocator at",
    "  10 s (I/O, the shrinker mutex, too_many_isolated, an OOM notifier); named: a line named it in flight;",
    "  blocked: a stuck stall named before its task got back to the retry loop; seen: named or counted in a",
    "  bounded report's group line; lat med: median of first naming minus (start + 10 s), stuck stalls, s.",
    "mechanism, not a measurement: warn_alloc's check (at either site) runs in the stalling task between reclaim",
    "  passes, so its 'blocked' column is 0 by construction; kmallocwd reads per-task records from its own thread.",
    "like with like: kmallocwd 10s uses warn_alloc's threshold; kmallocwd 60s is its posted default. Both rows",
    "  are shown; neither is picked. kmallocwd scans every timeout s and reports tasks stalled >= timeout/2.",
    formatDmesg(results),
  ];
  return `${lines.join("\n")}\n`;
}

/** JSON lines: one object per scenario, with its seed and the run's configuration (samples of the printed lines included). */
export function formatJson(results: readonly ScenarioResult[], config: { readonly scale: number; readonly policies: readonly string[]; readonly from: string | null }): string {
  const nan = (_k: string, v: unknown) => (typeof v === "number" && Number.isNaN(v) ? null : v);
  return results.map((r) => JSON.stringify({ experiment: "alloc-stall", config: { scenario: r.scenario, ...config }, ...r }, nan)).join("\n") + "\n";
}

/**
 * Output of the reporting A/B: the terminal table, JSON lines, the chart-ready series CSV and the
 * sweep matrix. Everything here is a pure function of the results, so equal runs print equal bytes.
 */
import Table from "cli-table3";
import type { AbConfig, PolicySummary, SweepCell } from "./ab.js";
import { SERIES_COLUMNS, type ScenarioConfig } from "./scenario.js";

const MiB = 1024 * 1024;

function mib(bytes: number, digits = 1): string {
  return (bytes / MiB).toFixed(digits);
}

/** No colours, so a TTY and a pipe get the same bytes. */
function plainTable(head: string[], colAligns: ("left" | "right")[]): Table.Table {
  return new Table({ head, colAligns, style: { head: [], border: [], compact: true } });
}

/** The workload and device, without guest size and order (the sweep varies those). */
export function describeWorkload(s: ScenarioConfig): string {
  return (
    `a service holding ${s.servicePct} % of memory restarts ${s.restarts}x, the new instance faults in at ` +
    `${s.rampMiBps[0]}-${s.rampMiBps[1]} MiB/s starting ${s.startDelayMs[0]}-${s.startDelayMs[1]} ms after the old one ` +
    `freed its memory; virtio-balloon ${s.perRequestUs} us/report + ${s.perMiBUs} us/MiB, refault ${s.refaultNsPerPage} ns/page`
  );
}

/** One line naming the scenario. */
export function describeScenario(s: ScenarioConfig): string {
  const order = s.reportingOrder < 0 ? "9 (pageblock order, default)" : String(s.reportingOrder);
  return `${s.guestMiB} MiB guest, page_reporting_order ${order}; ${describeWorkload(s)}`;
}

/** The A/B table (person-readable). */
export function formatAbTable(c: AbConfig, rows: readonly PolicySummary[]): string {
  const t = plainTable(
    ["policy", "failed allocs", "runs failing", "peak isolated MiB", "report() calls/run", "90% reported ms", "host returned MiB", "refault MiB/run", "refault ms/run"],
    ["left", "right", "right", "right", "right", "right", "right", "right", "right"],
  );
  for (const r of rows) {
    const n = r.seeds;
    t.push([
      r.policy,
      String(r.allocFailures),
      `${r.runsWithFailures}/${n}`,
      mib(r.peakIsolatedBytes),
      (r.reportCalls / n).toFixed(1),
      r.timeTo90Ms === null ? "never" : `${r.timeTo90Ms.toFixed(0)}${r.timeTo90Reached < n ? ` (${r.timeTo90Reached}/${n})` : ""}`,
      mib(r.hostReturnedAvgBytes),
      mib((r.refaultPages * 4096) / n),
      (r.refaultNs / 1e6 / n).toFixed(1),
    ]);
  }
  const last = c.firstSeed + c.seeds - 1;
  const lines = [
    `reporting-ab: ${describeScenario(c.scenario)}`,
    `seeds ${c.firstSeed}..${last}`,
    t.toString(),
    "failed allocs: user page faults that found no free page (the seed-004 OOM), summed over seeds.",
    "peak isolated: most memory held off the free lists at once by reporting (max over seeds).",
    "90% reported: from the first restart until the host has discarded 90 % of free memory (mean; runs that got there).",
    "host returned: memory the host got back, averaged over the run and the seeds.",
    "refault: discarded pages the guest touched again, and the simulated time those faults cost.",
    "",
  ];
  for (const r of rows) lines.push(`  ${r.policy.padEnd(15)} ${r.description}`);
  return `${lines.join("\n")}\n`;
}

/** One JSON object per policy, one per line (machine-readable). */
export function formatAbJson(rows: readonly PolicySummary[]): string {
  let out = "";
  for (const r of rows) {
    out += `${JSON.stringify({
      policy: r.policy,
      description: r.description,
      seeds: r.seeds,
      allocFailures: r.allocFailures,
      runsWithFailures: r.runsWithFailures,
      allocAttempts: r.allocAttempts,
      peakIsolatedBytes: r.peakIsolatedBytes,
      reportCalls: r.reportCalls,
      reportedBytes: r.reportedBytes,
      passes: r.passes,
      flushReports: r.flushReports,
      sgInits: r.sgInits,
      timeTo90Ms: r.timeTo90Ms,
      timeTo90Reached: r.timeTo90Reached,
      hostReturnedAvgBytes: r.hostReturnedAvgBytes,
      refaultPages: r.refaultPages,
      refaultNs: r.refaultNs,
      simNs: r.simNs,
      perSeed: r.runs.map((x) => ({
        seed: x.seed,
        allocFailures: x.allocFailures,
        peakIsolatedBytes: x.peakIsolatedBytes,
        reportCalls: x.reportCalls,
        timeTo90Ms: x.timeTo90Ms,
        hostReturnedAvgBytes: x.hostReturnedAvgBytes,
        refaultPages: x.refaultPages,
      })),
    })}\n`;
  }
  return out;
}

/** Long-format CSV, one row per sample: policy, seed, then SERIES_COLUMNS. */
export function formatSeriesCsv(rows: readonly PolicySummary[]): string {
  const width = SERIES_COLUMNS.length;
  const parts = [`policy,seed,${SERIES_COLUMNS.join(",")}\n`];
  for (const r of rows) {
    for (const run of r.runs) {
      const s = run.series;
      for (let i = 0; i + width <= s.length; i += width) {
        parts.push(
          `${r.policy},${run.seed},${s[i].toFixed(0)},${s[i + 1].toFixed(3)},${s[i + 2].toFixed(3)},${s[i + 3].toFixed(3)},${s[i + 4].toFixed(3)},${s[i + 5]}\n`,
        );
      }
    }
  }
  return parts.join("");
}

/** The sweep as a matrix: one row per (guest, order), one column per policy; cells = failed allocs. */
export function formatSweepTable(base: AbConfig, cells: readonly SweepCell[]): string {
  const policies = [...new Set(cells.map((c) => c.summary.policy))];
  const keys = [...new Set(cells.map((c) => `${c.guestMiB}/${c.reportingOrder}`))];
  const t = plainTable(["guest MiB", "order", ...policies], ["right", "right", ...policies.map(() => "right" as const)]);
  const byKey = new Map<string, SweepCell>();
  for (const c of cells) byKey.set(`${c.guestMiB}/${c.reportingOrder}/${c.summary.policy}`, c);
  for (const k of keys) {
    const [g, o] = k.split("/");
    t.push([
      g,
      o,
      ...policies.map((p) => {
        const c = byKey.get(`${k}/${p}`);
        if (c === undefined) return "";
        const s = c.summary;
        if (s.allocFailures > 0) return `${s.allocFailures} (${s.runsWithFailures}/${s.seeds})`;
        return s.reportCalls === 0 && p !== "off" ? "ok, gated" : "ok";
      }),
    ]);
  }
  const lines = [
    `reporting-ab sweep: failed allocations (runs failing / seeds) per guest size x page_reporting_order, seeds ${base.firstSeed}..${base.firstSeed + base.seeds - 1}`,
    `workload: ${describeWorkload(base.scenario)}`,
    t.toString(),
    '"ok, gated": no failure, and the watermark gate (low + 32 << order) never let a pass report anything.',
    "where each policy starts to fail:",
  ];
  for (const p of policies) {
    const failing = cells.filter((c) => c.summary.policy === p && c.summary.allocFailures > 0);
    lines.push(`  ${p.padEnd(15)} ${failing.length === 0 ? "never in this grid" : failing.map((c) => `${c.guestMiB} MiB/o${c.reportingOrder}`).join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The sweep as JSON lines: one object per (policy, guest, order). */
export function formatSweepJson(cells: readonly SweepCell[]): string {
  let out = "";
  for (const c of cells) {
    const s = c.summary;
    out += `${JSON.stringify({
      policy: s.policy,
      guestMiB: c.guestMiB,
      reportingOrder: c.reportingOrder,
      seeds: s.seeds,
      allocFailures: s.allocFailures,
      runsWithFailures: s.runsWithFailures,
      peakIsolatedBytes: s.peakIsolatedBytes,
      reportCalls: s.reportCalls,
      timeTo90Ms: s.timeTo90Ms,
      hostReturnedAvgBytes: s.hostReturnedAvgBytes,
      refaultPages: s.refaultPages,
    })}\n`;
  }
  return out;
}

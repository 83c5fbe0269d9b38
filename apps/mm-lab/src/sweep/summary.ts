/**
 * Per-cell statistics of a sweep: for each (cell, policy) and metric, a proportion with its Wilson
 * 95 % interval (bool metrics) or a mean with a seeded bootstrap 95 % interval (number metrics),
 * and, per cell, which policies' intervals overlap on the headline metric (no difference shown).
 */
import Table from "cli-table3";
import type { AnyExperiment } from "../experiment.js";
import { formatValue } from "../params.js";
import { bootstrapMean, mean } from "../stats/bootstrap.js";
import { type Interval, overlaps, wilson } from "../stats/wilson.js";
import type { SweepRow } from "../store/rows.js";
import type { Plan } from "./plan.js";

export interface MetricStat {
  readonly metric: string;
  readonly kind: "bool" | "number";
  /** Runs with a value (nulls left out). */
  readonly n: number;
  /** Proportion (bool) or mean (number). */
  readonly value: number;
  readonly ci: Interval;
}

export interface CellStat {
  readonly cell: number;
  readonly policy: string | null;
  readonly runs: number;
  readonly stats: readonly MetricStat[];
  /** Policies of the same cell whose headline interval overlaps this one's. */
  readonly overlapsWith: readonly string[];
}

/** The headline: the first bool metric (a failure probability), else the first metric. */
export function headlineMetric(exp: AnyExperiment): string {
  const names = Object.keys(exp.metrics);
  return names.find((k) => exp.metrics[k].kind === "bool") ?? names[0];
}

/** FNV-1a of a label, to seed each bootstrap from (plan, cell, policy, metric). */
function seedOf(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function summarize(exp: AnyExperiment, plan: Plan, rows: readonly SweepRow[], metrics: readonly string[]): CellStat[] {
  const groups = new Map<string, SweepRow[]>();
  for (const r of rows) {
    const key = `${r.cell}\u0000${r.policy ?? ""}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push(r);
  }
  const out: CellStat[] = [];
  for (const g of [...groups.values()].sort((a, b) => a[0].task - b[0].task)) {
    const first = g[0];
    const stats = metrics.map((m): MetricStat => {
      const spec = exp.metrics[m];
      const vals = g.map((r) => r.metrics[m]).filter((v) => v !== null && v !== undefined);
      if (spec.kind === "bool") {
        const k = vals.filter((v) => v === true).length;
        return { metric: m, kind: "bool", n: vals.length, value: vals.length === 0 ? NaN : k / vals.length, ci: wilson(k, vals.length) };
      }
      const xs = vals.map(Number);
      return { metric: m, kind: "number", n: xs.length, value: mean(xs), ci: bootstrapMean(xs, seedOf(`${plan.hash}/${first.cell}/${first.policy}/${m}`)) };
    });
    out.push({ cell: first.cell, policy: first.policy, runs: g.length, stats, overlapsWith: [] });
  }
  const head = metrics[0];
  if (head === undefined) return out;
  return out.map((c) => ({
    ...c,
    overlapsWith: out
      .filter((o) => o.cell === c.cell && o.policy !== c.policy && o.policy !== null && overlaps(o.stats[0].ci, c.stats[0].ci))
      .map((o) => o.policy!),
  }));
}

const fmt = (x: number): string => (Number.isNaN(x) ? "-" : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3));

/** The table: varying axes, policy, runs, each metric with its interval, overlap marks. */
export function formatSummary(exp: AnyExperiment, plan: Plan, stats: readonly CellStat[]): string {
  const varying = Object.keys(exp.params).filter((k) => new Set(plan.cells.map((c) => JSON.stringify(c[k]))).size > 1);
  const metricNames = stats[0]?.stats.map((s) => s.metric) ?? [];
  const head = [
    ...varying,
    ...(exp.policies !== undefined ? ["policy"] : []),
    "runs",
    ...metricNames.map((m) => (exp.metrics[m].kind === "bool" ? `P(${m}) [95% Wilson]` : `mean ${m} [95% bootstrap]`)),
    ...(exp.policies !== undefined ? [`no difference shown (${metricNames[0] ?? ""})`] : []),
  ];
  const t = new Table({ head, style: { head: [], border: [], compact: true } });
  for (const c of stats) {
    const cfg = plan.cells[c.cell];
    t.push([
      ...varying.map((k) => formatValue(exp.params[k], cfg[k] ?? null)),
      ...(exp.policies !== undefined ? [c.policy ?? "-"] : []),
      String(c.runs),
      ...c.stats.map((s) => (s.kind === "bool" ? `${fmt(s.value)} [${fmt(s.ci.lo)}, ${fmt(s.ci.hi)}]` : `${fmt(s.value)} [${fmt(s.ci.lo)}, ${fmt(s.ci.hi)}]`)),
      ...(exp.policies !== undefined ? [c.overlapsWith.length === 0 ? "" : `≈ ${c.overlapsWith.join(" ")}`] : []),
    ]);
  }
  return `${t.toString()}\n`;
}

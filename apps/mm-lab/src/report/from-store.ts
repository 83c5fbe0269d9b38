/**
 * A DuckDB results store (`mm-lab sweep`, `mm-lab merge`) -> report data. The numbers are the
 * sweep's own statistics (`summarize`: Wilson 95 % for bool metrics, the seeded bootstrap 95 % for
 * numbers, seeded from the plan's hash), so the page shows what `mm-lab sweep --json` prints for
 * the same store. One cell per (grid point, policy); the swept axes are the parameters that vary
 * over the plan's cells; the headline metric is the sweep table's (the first bool metric). With
 * two axes it is a heatmap per policy; with more, one per combination of the others (slices.ts).
 * The store keeps one row per run and no time series: the runs table lists every run with its
 * config hash, and the page says where the series are. The file's path is not on the page: the
 * same results give the same bytes wherever the store lies (a merged store equals the unsharded one).
 */
import { createHash } from "node:crypto";
import { MmError } from "@mm/api";
import { queryDb } from "../commands/query.js";
import type { AnyExperiment } from "../experiment.js";
import { experiments } from "../experiments/index.js";
import { formatValue, type ParamValue as ConfigValue } from "../params.js";
import { ResultsStore, type SweepMeta } from "../store/duckdb.js";
import type { SweepRow } from "../store/rows.js";
import { canonicalJson, makePlan, type Plan, type SweepSpec } from "../sweep/plan.js";
import { headlineMetric, summarize } from "../sweep/summary.js";
import type { Cell, Estimate, ExtraSection, JsonValue, MetricSpec, ParamValue, ReportData, ReportTable } from "./data.js";
import { fullSlices } from "./slices.js";

/** Bool metric pairs worth a trade-off chart: reporting-ab's question is OOM risk against host memory returned. */
const TRADEOFFS: Readonly<Record<string, { readonly x: string; readonly y: string }>> = {
  "reporting-ab": { x: "hostReturnedAvgMib", y: "oom" },
};
/** Metrics drawn as bars for a single-cell store: the headline and up to three more (a page, not a wall). */
const BARS_MAX = 4;
/** Runs listed in the runs table; `mm-lab query` has the rest. 5000 rows keep the page under about 1 MB. */
const RUNS_MAX = 5000;
/** Name of the one arm of an experiment without a policy axis. */
const ONE_ARM = "(one arm)";

/** The first 12 hex digits of sha256 over the canonical JSON of one cell's full configuration. */
export function configHash(config: unknown): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex").slice(0, 12);
}

/** Digits for a metric's values: proportions 3 (as the sweep table), numbers by magnitude. */
function digitsOf(kind: "bool" | "number", values: readonly number[]): number {
  if (kind === "bool") return 3;
  const max = Math.max(0, ...values.map(Math.abs));
  return max >= 1000 ? 0 : max >= 100 ? 1 : max >= 1 ? 2 : 3;
}

/** A config value as a report axis value: numbers stay numbers, the rest their flag text. */
function axisValue(exp: AnyExperiment, name: string, v: ConfigValue | undefined): ParamValue {
  if (typeof v === "number") return v;
  const s = exp.params[name];
  return s === undefined || v === undefined || v === null ? "none" : formatValue(s, v);
}

function seedsText(spec: SweepSpec): string {
  const { first, count } = spec.seeds;
  return count === 1 ? String(first) : `${first}..${first + count - 1} (${count})`;
}

/** The store's experiment, its plan rebuilt from the stored spec (and checked against the stored hash), its rows. */
async function readStore(path: string): Promise<{ exp: AnyExperiment; meta: SweepMeta; plan: Plan; rows: SweepRow[] }> {
  // The experiment's name first: the store's columns are the experiment's parameters and metrics.
  const probe = await queryDb(path, "SELECT experiment FROM sweep").catch(() => {
    throw new MmError("EINVAL", `${path}: not an mm-lab results store (no sweep table)`);
  });
  const e = probe.rows[0]?.experiment;
  const name = typeof e === "string" ? e : "";
  const exp = experiments.find((e) => e.name === name);
  if (exp === undefined) throw new MmError("EINVAL", `${path}: results of an unknown experiment "${name}"`);
  const st = await ResultsStore.open(path, exp);
  try {
    const meta = await st.meta();
    let plan: Plan;
    try {
      plan = makePlan(exp, JSON.parse(meta.spec) as SweepSpec);
    } catch (e) {
      throw new MmError("EINVAL", `${path}: its sweep plan does not rebuild with this mm-lab (${(e as Error).message.split("\n")[0]}); it was made by ${meta.version}`);
    }
    if (plan.hash !== meta.hash) throw new MmError("EINVAL", `${path}: the stored plan hashes to ${plan.hash}, the store says ${meta.hash}`);
    let rows: SweepRow[];
    try {
      rows = await st.rows();
    } catch (e) {
      throw new MmError("EINVAL", `${path}: the results table does not match ${exp.name}'s parameters and metrics (${(e as Error).message.split("\n")[0]})`);
    }
    return { exp, meta, plan, rows };
  } finally {
    st.close();
  }
}

/** The report data of a results store. @throws MmError EINVAL for a file that is not an mm-lab store or holds no runs */
export async function storeReportData(path: string): Promise<ReportData> {
  const { exp, meta, plan, rows } = await readStore(path);
  if (rows.length === 0) throw new MmError("EINVAL", `${path}: the store holds no runs yet`);
  const metricNames = Object.keys(exp.metrics);
  const stats = summarize(exp, plan, rows, metricNames);
  const axes = Object.keys(exp.params).filter((k) => new Set(plan.cells.map((c) => JSON.stringify(c[k]))).size > 1);
  const policies = plan.policies.map((p) => p ?? ONE_ARM).filter((p) => stats.some((s) => (s.policy ?? ONE_ARM) === p));
  const cells: Cell[] = stats.map((s) => {
    const config = plan.cells[s.cell] ?? {};
    const params: Record<string, ParamValue> = {};
    for (const a of axes) params[a] = axisValue(exp, a, config[a]);
    const metrics: Record<string, Estimate> = {};
    // A metric no run measured (all null) has no estimate in this cell: the table shows a dash.
    for (const m of s.stats) if (m.n > 0 && Number.isFinite(m.value)) metrics[m.metric] = { value: m.value, lo: m.ci.lo, hi: m.ci.hi };
    return { policy: s.policy ?? ONE_ARM, params, seeds: s.runs, metrics };
  });
  const metrics: MetricSpec[] = metricNames.map((k) => {
    const spec = exp.metrics[k];
    const values = cells.flatMap((c) => {
      const e = c.metrics[k];
      return e === undefined ? [] : [e.value, e.lo ?? e.value, e.hi ?? e.value];
    });
    const how = spec.kind === "bool" ? "share of runs where it holds; 95 % Wilson interval" : "mean over seeds (runs with no value left out); seeded 95 % percentile bootstrap interval";
    return { key: k, label: spec.kind === "bool" ? `P(${k})` : k, unit: spec.unit ?? "", digits: digitsOf(spec.kind, values), description: `${spec.doc}: ${how}.` };
  });
  const head = headlineMetric(exp);
  const differs = (k: string): boolean => new Set(cells.map((c) => c.metrics[k]?.value)).size > 1;
  const bars = [head, ...metricNames.filter((k) => k !== head && differs(k))].slice(0, BARS_MAX);
  const tradeoff = TRADEOFFS[exp.name] ?? null;
  const spec = plan.spec;
  const shard = meta.shardCount > 1 ? ` (shard ${meta.shardIndex}/${meta.shardCount})` : "";
  const sampled = spec.sample !== null;
  return {
    experiment: exp.name,
    title: `${exp.name} sweep ${plan.hash}`,
    summary:
      `${exp.summary.replace(/\.$/, "")}. ${plan.cells.length} ${sampled ? "sampled points" : "cells"} × ${plan.policies.length} ${plan.policies.length === 1 ? "policy" : "policies"} × ` +
      `${spec.seeds.count} seeds = ${plan.total} runs; this store${shard} holds ${rows.length}. ` +
      `Every number is the sweep's own statistic over the stored runs: a share with its 95 % Wilson interval, or a mean with its seeded bootstrap interval. ` +
      `The store keeps one row of metrics per run and no time series: \`mm-lab run ${exp.name}\` charts those.`,
    provenance: {
      version: meta.version,
      revision: meta.revision ?? "unknown",
      seeds: seedsText(spec),
      config: { plan: plan.hash, shard: { index: meta.shardIndex, count: meta.shardCount }, total: plan.total, stored: rows.length, spec } as unknown as JsonValue,
    },
    policies,
    axes,
    metrics,
    headline: axes.length === 0 ? bars : [head],
    // An LHS sample puts every point on its own row and column: a heatmap of it is mostly empty, the table and the trade-off show it.
    heatmap: axes.length > 0 && !sampled ? head : null,
    heatmapSlices: sampled ? [] : fullSlices(axes, cells),
    tradeoff: tradeoff !== null && tradeoff.x in exp.metrics && tradeoff.y in exp.metrics ? tradeoff : null,
    cells,
    seriesSpecs: [],
    series: [],
    extra: [runsSection(exp, meta, plan, rows, axes, head)],
  };
}

/** Every run (up to RUNS_MAX): task, cell, config hash, policy, seed, the axes, the headline metric, and who ran it. */
function runsSection(exp: AnyExperiment, meta: SweepMeta, plan: Plan, rows: readonly SweepRow[], axes: readonly string[], head: string): ExtraSection {
  const hashes = plan.cells.map(configHash);
  const shown = rows.slice(0, RUNS_MAX);
  const headValue = (v: unknown): string | number | null => (typeof v === "number" ? v : typeof v === "boolean" ? String(v) : null);
  const runs: ReportTable = {
    id: "runs-table",
    title: "Every run",
    caption: `One row per stored run, in task order. Version and revision: the mm-lab that made the store (${meta.version}, ${meta.revision ?? "unknown"}).`,
    columns: ["task", "cell", "config hash", "policy", "seed", ...axes, head, "version", "revision"],
    rows: shown.map((r) => [
      r.task,
      r.cell,
      hashes[r.cell] ?? "?",
      r.policy ?? ONE_ARM,
      r.seed,
      ...axes.map((a) => axisValue(exp, a, r.config[a])),
      headValue(r.metrics[head]),
      meta.version,
      meta.revision ?? "unknown",
    ]),
    omitted: rows.length - shown.length,
  };
  const configs: ReportTable = {
    id: "configs-table",
    title: "Cell configurations",
    caption: "The full configuration of every cell, and the hash the runs table names it by (sha256 of its canonical JSON, first 12 hex digits).",
    columns: ["cell", "config hash", "configuration"],
    rows: plan.cells.slice(0, RUNS_MAX).map((c, i) => [i, hashes[i] ?? "?", canonicalJson(c)]),
    omitted: Math.max(0, plan.cells.length - RUNS_MAX),
  };
  return {
    id: "runs",
    title: "Runs",
    paragraphs: [`Query any of them: mm-lab query <store> "SELECT * FROM results WHERE task = 0".`],
    profiles: [],
    tables: [runs, configs],
    pre: [],
  };
}

/**
 * One stored row per (cell, policy, seed): the task index, every parameter and every metric, in
 * declaration order. The same function turns a row into its JSONL line wherever it came from
 * (a local sweep, a shard, a merge), so exports compare byte for byte.
 */
import type { AnyExperiment, MetricValue } from "../experiment.js";
import type { AnyConfig, ParamValue } from "../params.js";

export interface SweepRow {
  readonly task: number;
  readonly cell: number;
  readonly policy: string | null;
  readonly seed: number;
  readonly config: AnyConfig;
  readonly metrics: Readonly<Record<string, MetricValue>>;
}

/** Column names in table order. */
export function columnsOf(exp: AnyExperiment): { params: string[]; metrics: string[] } {
  return { params: Object.keys(exp.params), metrics: Object.keys(exp.metrics) };
}

export function rowToJson(exp: AnyExperiment, r: SweepRow): string {
  const o: Record<string, ParamValue | MetricValue> = { task: r.task, cell: r.cell, policy: r.policy, seed: r.seed };
  for (const k of Object.keys(exp.params)) o[k] = r.config[k] ?? null;
  for (const k of Object.keys(exp.metrics)) o[k] = normalizeMetric(r.metrics[k]);
  return JSON.stringify(o);
}

/** NaN and infinities are not JSON and not comparable: stored as null. */
export function normalizeMetric(v: MetricValue | undefined): MetricValue {
  if (v === undefined) return null;
  if (typeof v === "number" && !Number.isFinite(v)) return null;
  return v;
}

export function rowsToJsonl(exp: AnyExperiment, rows: readonly SweepRow[]): string {
  return [...rows].sort((a, b) => a.task - b.task).map((r) => `${rowToJson(exp, r)}\n`).join("");
}

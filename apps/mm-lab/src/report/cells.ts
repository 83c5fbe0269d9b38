/**
 * Per-seed rows -> report cells: group by policy and the swept parameters, then summarise each
 * metric over the seeds (a share of runs with its Wilson interval, or a mean with its t interval).
 * Both adapters (run JSON, DuckDB store) reduce their input to these rows first.
 */
import type { Cell, Estimate, ParamValue } from "./data.js";
import { mean, proportion } from "./interval.js";

/** One run: a policy, a seed, the swept parameters' values, and its metrics. */
export interface SeedRow {
  readonly policy: string;
  readonly seed: number;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Metric values; null = not measured in this run (left out of the mean). */
  readonly values: Readonly<Record<string, number | boolean | null>>;
}

/** How a metric is summarised over seeds. */
export type Summary =
  /** The share of runs where the value is true or > 0 (e.g. "the run OOMed"). */
  | "share"
  /** The mean of the values. */
  | "mean"
  /** The mean of values that cannot be negative (sizes, counts, times): the interval stops at 0. */
  | "mean>=0";

/** Group `rows` into cells (first-seen order of (policy, params)) and summarise `metrics`. */
export function cellsFromRows(rows: readonly SeedRow[], axes: readonly string[], metrics: Readonly<Record<string, Summary>>): Cell[] {
  const groups = new Map<string, SeedRow[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.policy, ...axes.map((a) => r.params[a] ?? null)]);
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [r]);
    else g.push(r);
  }
  const cells: Cell[] = [];
  for (const g of groups.values()) {
    const first = g[0];
    if (first === undefined) continue;
    const params: Record<string, ParamValue> = {};
    for (const a of axes) {
      const v = first.params[a];
      if (v !== undefined) params[a] = v;
    }
    const out: Record<string, Estimate> = {};
    for (const [key, how] of Object.entries(metrics)) {
      const xs: number[] = [];
      for (const r of g) {
        const v = r.values[key];
        if (v === null || v === undefined) continue;
        xs.push(typeof v === "boolean" ? (v ? 1 : 0) : v);
      }
      if (xs.length === 0) continue;
      out[key] = how === "share" ? proportion(xs.filter((x) => x > 0).length, xs.length) : mean(xs, how === "mean>=0" ? 0 : -Infinity);
    }
    cells.push({ policy: first.policy, params, seeds: g.length, metrics: out });
  }
  return cells;
}

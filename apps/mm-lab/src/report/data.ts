/**
 * The report's input: one documented, typed shape that every adapter (run JSON, DuckDB store)
 * produces and every chart and table reads. Plain JSON values only, so a report can be rebuilt
 * from a saved `ReportData` and the browser test can compare what the page shows with it.
 */
import { MmError } from "@mm/api";

/** A parameter value as swept (guest MiB, reporting order, a scenario name). */
export type ParamValue = number | string;

/** Any JSON value (the echoed configuration). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

/** One measured number and its interval; `lo`/`hi` are null when the input had none (one seed). */
export interface Estimate {
  readonly value: number;
  readonly lo: number | null;
  readonly hi: number | null;
}

/** How to show one metric. */
export interface MetricSpec {
  /** Key into `Cell.metrics`. */
  readonly key: string;
  /** Axis and column label, e.g. "P(OOM)". */
  readonly label: string;
  /** Unit shown after the label ("" for a ratio or a count). */
  readonly unit: string;
  /** Digits after the point in tables and chart labels. */
  readonly digits: number;
  /** One sentence: what it measures and how the interval was made. */
  readonly description: string;
}

/** One policy at one point of the parameter space, over `seeds` runs. */
export interface Cell {
  readonly policy: string;
  /** The swept parameters' values (keys are `ReportData.axes`); {} for a plain A/B. */
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly seeds: number;
  /** By `MetricSpec.key`; a metric may be missing from a cell (not measured there). */
  readonly metrics: Readonly<Record<string, Estimate>>;
}

/** One heatmap of a map's slice: the heatmap metric over `x` × `y` where the other axes hold `fixed`. */
export interface HeatmapSlice {
  readonly x: string;
  readonly y: string;
  /** The other axes' values; a cell is in the slice when it has all of them. */
  readonly fixed: Readonly<Record<string, ParamValue>>;
}

/** A named time series (e.g. guest free memory) as it is charted. */
export interface SeriesSpec {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
}

/** One run's samples of one series: `t` (ms of simulated time) and `y`, equal length. */
export interface SeriesLine {
  readonly series: string;
  readonly policy: string;
  readonly seed: number;
  readonly t: readonly number[];
  readonly y: readonly number[];
}

/** Where the numbers came from: shown in full on the page. */
export interface Provenance {
  /** The mm-lab version that produced the results. */
  readonly version: string;
  /** The source revision (git commit) that produced them, or "unknown". */
  readonly revision: string;
  /** The seeds, as run (e.g. "1..10"). */
  readonly seeds: string;
  /** The full configuration, as the run echoed it. */
  readonly config: JsonValue;
}

/** A table of plain values, shown as they are (numbers as JavaScript prints them, so they equal the JSON). */
export interface ReportTable {
  /** Page-unique; the browser test finds the table by it (`data-table`). */
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
  /** Rows of the input left out of `rows` (a size cap), named under the table; 0 or absent: none. */
  readonly omitted?: number;
}

/** One value per category (per order, per migratetype) for a few named groups (imported, real): grouped bars. */
export interface ProfileChart {
  readonly id: string;
  readonly title: string;
  readonly caption: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly categories: readonly string[];
  /** One bar series per group; null = no value (not drawn). */
  readonly groups: readonly { readonly name: string; readonly values: readonly (number | null)[] }[];
  /** Digits after the point in the chart's labels and its table. */
  readonly digits: number;
}

/** A section of its own (an import's matches and what-ifs, a sweep's runs): text, charts, tables, preformatted text. */
export interface ExtraSection {
  readonly id: string;
  readonly title: string;
  readonly paragraphs: readonly string[];
  /** Each is drawn, and its numbers listed in a table under it. */
  readonly profiles: readonly ProfileChart[];
  readonly tables: readonly ReportTable[];
  /** Text shown verbatim (e.g. /sys/kernel/debug/extfrag/unusable_index as the kernel prints it). */
  readonly pre: readonly { readonly title: string; readonly text: string }[];
}

/** Everything one report page shows. Arrays are in display order. */
export interface ReportData {
  readonly experiment: string;
  readonly title: string;
  /** One paragraph under the title. */
  readonly summary: string;
  readonly provenance: Provenance;
  /** Policy display order (colours are assigned in this order). */
  readonly policies: readonly string[];
  /** Swept parameter names; the first two are the heatmap's x and y. Empty for a plain A/B. */
  readonly axes: readonly string[];
  readonly metrics: readonly MetricSpec[];
  /** Metrics drawn as bars per policy with interval whiskers. */
  readonly headline: readonly string[];
  /** Metric drawn as heatmaps over `axes` (one per policy), when there are axes. */
  readonly heatmap: string | null;
  /** Slices of a map to draw the heatmap over (x × y, the other axes fixed); absent or empty: axes[0] × axes[1]. */
  readonly heatmapSlices?: readonly HeatmapSlice[];
  /** Trade-off scatter: x and y metric keys (one point per cell), or null. */
  readonly tradeoff: { readonly x: string; readonly y: string } | null;
  readonly cells: readonly Cell[];
  readonly seriesSpecs: readonly SeriesSpec[];
  readonly series: readonly SeriesLine[];
  /** Sections after the charts and before "All numbers" (absent: none). */
  readonly extra?: readonly ExtraSection[];
}

function bad(what: string): never {
  throw new MmError("EINVAL", `report data: ${what}`);
}

/**
 * Check the cross-references (metric keys, policies, axes, series) so a chart never meets a
 * dangling name. @throws MmError EINVAL naming the first problem.
 */
export function checkReportData(d: ReportData): void {
  const metricKeys = new Set(d.metrics.map((m) => m.key));
  if (metricKeys.size !== d.metrics.length) bad("a metric key is listed twice");
  const policies = new Set(d.policies);
  if (policies.size !== d.policies.length) bad("a policy is listed twice");
  for (const k of d.headline) if (!metricKeys.has(k)) bad(`headline metric "${k}" is not in metrics`);
  if (d.heatmap !== null && !metricKeys.has(d.heatmap)) bad(`heatmap metric "${d.heatmap}" is not in metrics`);
  if (d.tradeoff !== null) {
    if (!metricKeys.has(d.tradeoff.x)) bad(`trade-off metric "${d.tradeoff.x}" is not in metrics`);
    if (!metricKeys.has(d.tradeoff.y)) bad(`trade-off metric "${d.tradeoff.y}" is not in metrics`);
  }
  const axes = new Set(d.axes);
  for (const s of d.heatmapSlices ?? []) {
    for (const a of [s.x, s.y, ...Object.keys(s.fixed)]) if (!axes.has(a)) bad(`heatmap slice axis "${a}" is not in axes`);
  }
  for (const c of d.cells) {
    if (!policies.has(c.policy)) bad(`cell policy "${c.policy}" is not in policies`);
    for (const a of d.axes) if (!(a in c.params)) bad(`cell of "${c.policy}" has no value for axis "${a}"`);
    for (const [k, e] of Object.entries(c.metrics)) {
      if (!metricKeys.has(k)) bad(`cell metric "${k}" is not in metrics`);
      if (!Number.isFinite(e.value)) bad(`metric "${k}" of "${c.policy}" is not a finite number`);
      if ((e.lo === null) !== (e.hi === null)) bad(`metric "${k}" of "${c.policy}" has only one interval bound`);
      if (e.lo !== null && e.hi !== null && !(e.lo <= e.value && e.value <= e.hi)) bad(`metric "${k}" of "${c.policy}": interval [${e.lo}, ${e.hi}] does not hold ${e.value}`);
    }
  }
  const seriesKeys = new Set(d.seriesSpecs.map((s) => s.key));
  for (const l of d.series) {
    if (!seriesKeys.has(l.series)) bad(`series "${l.series}" is not in seriesSpecs`);
    if (!policies.has(l.policy)) bad(`series policy "${l.policy}" is not in policies`);
    if (l.t.length !== l.y.length) bad(`series "${l.series}" of "${l.policy}" has ${l.t.length} times but ${l.y.length} values`);
  }
  const ids = new Set<string>();
  const unique = (id: string): void => {
    if (ids.has(id)) bad(`section, table or chart id "${id}" is used twice`);
    ids.add(id);
  };
  for (const x of d.extra ?? []) {
    unique(x.id);
    for (const p of x.profiles) {
      unique(p.id);
      for (const g of p.groups) {
        if (g.values.length !== p.categories.length) bad(`profile "${p.id}" group "${g.name}" has ${g.values.length} values for ${p.categories.length} categories`);
        for (const v of g.values) if (v !== null && !Number.isFinite(v)) bad(`profile "${p.id}" group "${g.name}" has a value that is not a finite number`);
      }
    }
    for (const t of x.tables) {
      unique(t.id);
      for (const r of t.rows) if (r.length !== t.columns.length) bad(`table "${t.id}" has a row of ${r.length} cells for ${t.columns.length} columns`);
    }
  }
}

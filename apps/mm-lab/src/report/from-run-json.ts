/**
 * Run JSON (`mm-lab run <experiment> --json`, one object per line) -> report data, for every
 * experiment as it prints today: each object (or each entry of its `policies` / `rows` array) is
 * one policy; a `perSeed` array gives one row per seed, so means get intervals; numbers become
 * metrics, booleans shares of runs. Swept axes are the known parameter names that vary.
 * `mm-lab run --json` ends with a `{"mmLab": {experiment, config, seeds, policies, version,
 * revision}}` line: that is the page's provenance (shown as "not in the input" when absent).
 */
import { MmError } from "@mm/api";
import { cellsFromRows, type SeedRow, type Summary } from "./cells.js";
import type { Estimate, JsonValue, MetricSpec, ParamValue, ReportData } from "./data.js";
import { fullSlices } from "./slices.js";

/** Keys naming the policy of a result object, in preference order. */
const POLICY_KEYS = ["policy", "label", "id", "name"] as const;
/**
 * Parameters the current experiments vary in one run: axes, not metrics. reporting-ab's map (its
 * `point`), alloc-stall's scenarios and its map (waiters x hold x I/O), pin-owner's map (CPUs x
 * buffer x read time).
 */
const AXIS_KEYS = ["scenario", "startDelayRatio", "device", "freedMiB", "guestMiB", "reportingOrder", "waiters", "holdMs", "ioMs", "nrCpus", "bufferKb", "readAtMs"] as const;
/** A known parameter is never a metric, swept (an axis) or not (one value for every policy). */
function isParam(k: string, axes: readonly string[]): boolean {
  return axes.includes(k) || (AXIS_KEYS as readonly string[]).includes(k);
}
/** Fields that are neither metrics nor axes. */
const SKIP = new Set(["seed", "seeds", "perSeed", "description", ...POLICY_KEYS]);
/** How many metrics get a bar chart: the first that differ between policies. */
const HEADLINE_MAX = 4;

type Obj = Readonly<Record<string, unknown>>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function policyOf(o: Obj, i: number): string {
  for (const k of POLICY_KEYS) {
    const v = o[k];
    if (typeof v === "string" && v !== "") return v;
  }
  return `#${i + 1}`;
}

/** The result objects of one document: itself, or its per-policy array. */
function results(doc: Obj): Obj[] {
  for (const k of ["policies", "rows"]) {
    const v = doc[k];
    if (Array.isArray(v) && v.every(isObj)) return v;
  }
  return [doc];
}

/** The axis fields a whole document carries for its per-policy entries. */
function pick(d: Obj): Obj {
  const out: Record<string, unknown> = {};
  for (const a of AXIS_KEYS) if (a in d) out[a] = d[a];
  return out;
}

/** A summarised number as the experiments print it: `{value, lo, hi}` (reporting-ab's map) or `{mean, lo, hi}` (alloc-stall's), or null. */
function estimateOf(v: unknown): Estimate | null {
  if (!isObj(v)) return null;
  const value = typeof v.value === "number" ? v.value : typeof v.mean === "number" ? v.mean : null;
  if (value === null || !Number.isFinite(value) || typeof v.lo !== "number" || typeof v.hi !== "number") return null;
  // An interval that does not hold its value (NaN bounds of an empty mean) is shown as none.
  return Number.isFinite(v.lo) && Number.isFinite(v.hi) && v.lo <= value && value <= v.hi ? { value, lo: v.lo, hi: v.hi } : { value, lo: null, hi: null };
}

/**
 * pin-owner's map prints a share as `named` (runs of `seeds`) with `namedLo` / `namedHi` (its
 * Wilson bounds): the share named / seeds with those bounds, or null where the fields are not that.
 */
function boundedOf(o: Obj, k: string): Estimate | null {
  const v = o[k];
  const lo = o[`${k}Lo`];
  const hi = o[`${k}Hi`];
  if (typeof v !== "number" || typeof lo !== "number" || typeof hi !== "number") return null;
  if (lo <= v && v <= hi) return { value: v, lo, hi };
  const n = Array.isArray(o.seeds) ? o.seeds.length : 0;
  // The printed Wilson bound of 10/10 is 0.9999999999999999: a rounding error off the share, not a different number.
  const p = v / n;
  const EPS = 1e-9;
  return n > 0 && lo - EPS <= p && p <= hi + EPS ? { value: p, lo: Math.min(lo, p), hi: Math.max(hi, p) } : null;
}

/** The bound fields `boundedOf` reads: not metrics of their own. */
function isBound(o: Obj, k: string): boolean {
  const m = /^(.+)(Lo|Hi)$/.exec(k);
  return m !== null && boundedOf(o, m[1] ?? "") !== null;
}

/** The summarised metrics of one result object (taken as they are, with their intervals). */
function estimates(o: Obj, axes: readonly string[]): Record<string, Estimate> {
  const out: Record<string, Estimate> = {};
  for (const [k, v] of Object.entries(o)) {
    if (SKIP.has(k) || isParam(k, axes)) continue;
    const e = estimateOf(v) ?? boundedOf(o, k);
    if (e !== null) out[k] = e;
  }
  return out;
}

function values(o: Obj, axes: readonly string[]): Record<string, number | boolean | null> {
  const out: Record<string, number | boolean | null> = {};
  for (const [k, v] of Object.entries(o)) {
    if (SKIP.has(k) || isParam(k, axes) || boundedOf(o, k) !== null || isBound(o, k)) continue;
    if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean" || v === null) out[k] = v;
  }
  return out;
}

/** Report data from run JSON documents (already parsed). @throws MmError PARSE_ERROR when nothing is a result */
export function fromRunJson(all: readonly unknown[], experiment: string): ReportData {
  const record = all.filter(isObj).map((d) => d.mmLab).find(isObj) ?? {};
  const docs = all.filter((d) => !(isObj(d) && "mmLab" in d));
  const objs = docs.filter(isObj).flatMap(results);
  if (objs.length === 0) throw new MmError("PARSE_ERROR", "run JSON: no result objects");
  // An axis is read from the document (alloc-stall: scenario) or from the result object (the sweep).
  // reporting-ab's map names its cell's axes in a `point` object.
  const withDoc = docs.filter(isObj).flatMap((d) => results(d).map((o) => ({ ...pick(d), ...o, ...(isObj(o.point) ? pick(o.point) : {}) })));
  const axes = AXIS_KEYS.filter((a) => new Set(withDoc.map((o) => o[a])).size > 1 && withDoc.every((o) => typeof o[a] === "number" || typeof o[a] === "string"));
  const rows: SeedRow[] = [];
  const policies: string[] = [];
  // Pre-summarised metrics by cell key (policy and axis values), for cells made of one result object.
  const summarised = new Map<string, Record<string, Estimate>>();
  const counted = new Map<string, number>();
  withDoc.forEach((o, i) => {
    const policy = policyOf(o, i);
    if (!policies.includes(policy)) policies.push(policy);
    const params: Record<string, ParamValue> = {};
    for (const a of axes) params[a] = o[a] as ParamValue;
    const key = JSON.stringify([policy, ...axes.map((a) => params[a] ?? null)]);
    counted.set(key, (counted.get(key) ?? 0) + 1);
    summarised.set(key, estimates(o, axes));
    const perSeed = o.perSeed;
    if (Array.isArray(perSeed) && perSeed.length > 0 && perSeed.every(isObj)) {
      for (const s of perSeed) rows.push({ policy, seed: typeof s.seed === "number" ? s.seed : 0, params, values: values(s, axes) });
    } else {
      rows.push({ policy, seed: typeof o.seed === "number" ? o.seed : 0, params, values: values(o, axes) });
    }
  });
  const kinds = new Map<string, Summary>();
  for (const r of rows) {
    for (const [k, v] of Object.entries(r.values)) {
      if (v === null) continue;
      const was = kinds.get(k);
      const now: Summary = typeof v === "boolean" ? "share" : v < 0 || was === "mean" ? "mean" : "mean>=0";
      kinds.set(k, was === "share" ? "share" : now);
    }
  }
  const summedCells = cellsFromRows(rows, axes, Object.fromEntries(kinds));
  // A cell from one object keeps the object's own estimates (value and interval as the experiment computed them).
  const estKeys: string[] = [];
  const cells = summedCells.map((c) => {
    const key = JSON.stringify([c.policy, ...axes.map((a) => c.params[a] ?? null)]);
    const est = counted.get(key) === 1 ? (summarised.get(key) ?? {}) : {};
    for (const k of Object.keys(est)) if (!kinds.has(k) && !estKeys.includes(k)) estKeys.push(k);
    return { ...c, metrics: { ...c.metrics, ...est } };
  });
  const estimated: MetricSpec[] = estKeys.map((key) => ({
    key,
    label: key,
    unit: "",
    digits: 2,
    description: `${key} as the run summarised it: its value with the interval it printed (none where it printed none); a count printed with ${key}Lo / ${key}Hi share bounds is shown as the share of seeds.`,
  }));
  const metrics: MetricSpec[] = [...estimated, ...[...kinds].map(([key, how]) => ({
    key,
    label: key,
    unit: "",
    digits: how === "share" ? 2 : 2,
    description:
      how === "share"
        ? `Share of runs where ${key} is true; 95 % Wilson interval.`
        : `${key} as the run printed it; mean over seeds with a 95 % t interval${how === "mean>=0" ? " (truncated at 0)" : ""} where there are several seeds.`,
  }))];
  const differs = (k: string) => new Set(cells.map((c) => c.metrics[k]?.value)).size > 1;
  // The first summarised metric leads even where it is equal everywhere (reporting-ab's P(OOM) of 0 [0, 0.39] is its answer).
  const lead = estKeys.slice(0, 1);
  const headline = [...lead, ...metrics.map((m) => m.key).filter((k) => !lead.includes(k) && differs(k))].slice(0, HEADLINE_MAX);
  const first = isObj(docs[0]) ? docs[0] : {};
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : "not in the input");
  const seeds = [...new Set(rows.map((r) => r.seed))].sort((a, b) => a - b);
  const name = typeof record.experiment === "string" ? record.experiment : experiment;
  return {
    experiment: name,
    title: `${name}: ${policies.length} ${policies.length === 1 ? "policy" : "policies"}`,
    summary: typeof first.summary === "string" ? first.summary : typeof first.workload === "string" ? first.workload : `Results of mm-lab run ${name} --json.`,
    provenance: {
      version: text(record.version),
      revision: text(record.revision),
      seeds: seeds.length === 0 ? "none" : seeds.length === 1 ? String(seeds[0]) : `${seeds[0]}..${seeds[seeds.length - 1]} (${seeds.length})`,
      config: "config" in record ? ((record.config ?? null) as JsonValue) : "not in the input",
    },
    policies,
    axes,
    metrics,
    headline: headline.length > 0 ? headline : metrics.slice(0, 1).map((m) => m.key),
    heatmap: axes.length > 0 ? (headline[0] ?? null) : null,
    heatmapSlices: fullSlices(axes, cells),
    tradeoff: null,
    cells,
    seriesSpecs: [],
    series: [],
  };
}

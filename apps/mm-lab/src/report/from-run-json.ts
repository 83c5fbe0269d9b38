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
import type { JsonValue, MetricSpec, ParamValue, ReportData } from "./data.js";

/** Keys naming the policy of a result object, in preference order. */
const POLICY_KEYS = ["policy", "label", "id", "name"] as const;
/** Parameters the current experiments vary in one run (reporting-ab's map, alloc-stall's scenarios): axes, not metrics. */
const AXIS_KEYS = ["scenario", "startDelayRatio", "device", "freedMiB", "guestMiB", "reportingOrder"] as const;
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

function values(o: Obj, axes: readonly string[]): Record<string, number | boolean | null> {
  const out: Record<string, number | boolean | null> = {};
  for (const [k, v] of Object.entries(o)) {
    if (SKIP.has(k) || axes.includes(k)) continue;
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
  withDoc.forEach((o, i) => {
    const policy = policyOf(o, i);
    if (!policies.includes(policy)) policies.push(policy);
    const params: Record<string, ParamValue> = {};
    for (const a of axes) params[a] = o[a] as ParamValue;
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
  const cells = cellsFromRows(rows, axes, Object.fromEntries(kinds));
  const metrics: MetricSpec[] = [...kinds].map(([key, how]) => ({
    key,
    label: key,
    unit: "",
    digits: how === "share" ? 2 : 2,
    description:
      how === "share"
        ? `Share of runs where ${key} is true; 95 % Wilson interval.`
        : `${key} as the run printed it; mean over seeds with a 95 % t interval${how === "mean>=0" ? " (truncated at 0)" : ""} where there are several seeds.`,
  }));
  const differs = (k: string) => new Set(cells.map((c) => c.metrics[k]?.value)).size > 1;
  const headline = metrics.map((m) => m.key).filter(differs).slice(0, HEADLINE_MAX);
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
    tradeoff: null,
    cells,
    seriesSpecs: [],
    series: [],
  };
}

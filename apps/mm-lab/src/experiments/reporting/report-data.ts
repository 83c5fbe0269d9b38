/**
 * The map as report data: P(OOM) heatmaps with their Wilson intervals over each slice of the map
 * (per policy), the trade-off (P(OOM) against host memory returned, one point per cell), and the
 * centre's time series per policy. The numbers are the map's cells, unchanged; the charts are the
 * report module's.
 */
import type { Cell, Estimate, HeatmapSlice, JsonValue, MetricSpec, ParamValue, ReportData } from "../../report/data.js";
import { describeBase, describeFindings } from "./format.js";
import type { Interval, MapCell, MapConfig } from "./map.js";
import { type SeriesLine, SERIES_SPECS } from "./series.js";

/** The swept axes, as `MapPoint` names them (the first two are the first slice). */
const AXES = ["startDelayRatio", "device", "freedMiB", "guestMiB"] as const;

/** The metrics, how each is read from a cell, and how it is shown. */
const METRICS: readonly (MetricSpec & { readonly of: (c: MapCell) => Estimate })[] = [
  { key: "p_oom", label: "P(OOM)", unit: "", digits: 2, of: (c) => est(c.pOom), description: "Share of runs with at least one OOM kill after the exit; 95 % Wilson interval." },
  { key: "host_returned", label: "host returned", unit: "MiB", digits: 1, of: (c) => est(c.hostReturnedAvgMiB), description: "Host memory returned, averaged over the window from the exit; mean over seeds, 95 % t interval." },
  { key: "oom_kills", label: "OOM kills", unit: "per run", digits: 2, of: (c) => point(c.oomKills / c.runs.length), description: "OOM kills after the exit, summed over the cell's runs / runs (no interval)." },
  { key: "below_min", label: "below min watermark", unit: "ms", digits: 1, of: (c) => est(c.belowMinMs), description: "Time the user zone spent below its min watermark; mean over seeds, 95 % t interval." },
  { key: "reclaim_stall", label: "direct-reclaim stall", unit: "ms", digits: 2, of: (c) => est(c.reclaimStallMs), description: "Direct-reclaim stall charged to the faulting tasks; mean over seeds, 95 % t interval." },
  { key: "host_refault", label: "host refault", unit: "MiB", digits: 1, of: (c) => est(c.hostRefaultMiB), description: "Discarded pages faulted back in on the host; mean over seeds, 95 % t interval." },
  { key: "report_calls", label: "report() calls", unit: "per run", digits: 1, of: (c) => est(c.reportCalls), description: "report() calls after the exit; mean over seeds, 95 % t interval." },
  { key: "peak_isolated", label: "peak isolated", unit: "MiB", digits: 1, of: (c) => point(c.peakIsolatedMiB), description: "Largest batch isolated after the exit, the maximum over the cell's runs (no interval)." },
];

function est(i: Interval): Estimate {
  return { value: i.value, lo: i.lo, hi: i.hi };
}

function point(value: number): Estimate {
  return { value, lo: null, hi: null };
}

function cellOf(c: MapCell): Cell {
  const params: Record<string, ParamValue> = { ...c.point };
  return { policy: c.policy, params, seeds: c.runs.length, metrics: Object.fromEntries(METRICS.map((m) => [m.key, m.of(c)])) };
}

/** The value an axis holds in the other slice: the map's centre if it is swept there, else its first value. */
function fixedAt(values: readonly ParamValue[], centre: ParamValue): ParamValue {
  return values.includes(centre) || values.length === 0 ? centre : values[0];
}

/** The two slices through the centre: delay x device (guest and freed fixed), freed x guest (delay and device fixed). */
function slices(c: MapConfig): HeatmapSlice[] {
  const a = c.axes;
  const b = c.base;
  return [
    { x: "startDelayRatio", y: "device", fixed: { freedMiB: fixedAt(a.freedMiB, b.freedMiB), guestMiB: fixedAt(a.guestMiB, b.guestMiB) } },
    { x: "freedMiB", y: "guestMiB", fixed: { startDelayRatio: fixedAt(a.startDelayRatio, b.startDelayRatio), device: fixedAt(a.device, b.device) } },
  ];
}

/** The map's report data; `series` are the centre's lines (series.ts `centreSeries`). */
export function mapReportData(c: MapConfig, cells: readonly MapCell[], series: readonly SeriesLine[], version: string, revision: string): ReportData {
  const policies = c.policies.filter((p) => cells.some((x) => x.policy === p));
  return {
    experiment: "reporting-ab",
    title: "reporting-ab: P(OOM) of free page reporting, mapped",
    summary: `Fixed knobs: ${describeBase(c.base)}. ${describeFindings(cells, policies).join(" ")}`,
    provenance: { version, revision, seeds: `${c.firstSeed}..${c.firstSeed + c.seeds - 1}`, config: c as unknown as JsonValue },
    policies,
    axes: [...AXES],
    metrics: METRICS.map(({ key, label, unit, digits, description }) => ({ key, label, unit, digits, description })),
    headline: ["p_oom"],
    heatmap: "p_oom",
    heatmapSlices: slices(c),
    tradeoff: { x: "host_returned", y: "p_oom" },
    cells: cells.map(cellOf),
    seriesSpecs: SERIES_SPECS,
    series: series.filter((l) => policies.includes(l.policy)),
  };
}

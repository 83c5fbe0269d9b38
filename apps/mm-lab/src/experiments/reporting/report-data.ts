/**
 * reporting-ab's results as report data: the A/B (bars, trade-off, time series per policy) and the
 * sweep (heatmaps over guest size x reporting order). The metric list is the experiment's; the
 * charts are the report module's.
 */
import { cellsFromRows, type SeedRow, type Summary } from "../../report/cells.js";
import type { JsonValue, MetricSpec, ReportData, SeriesLine, SeriesSpec } from "../../report/data.js";
import type { AbConfig, PolicySummary, SweepCell, SweepConfig } from "./ab.js";
import { describeScenario, describeWorkload } from "./format.js";
import { SERIES_COLUMNS, type RunResult } from "./scenario.js";

const MiB = 1024 * 1024;

/** The metrics, how each is summarised over seeds, and how it is shown. */
const METRICS: readonly (MetricSpec & { readonly summary: Summary; readonly of: (r: RunResult) => number | null })[] = [
  { key: "p_fail", label: "P(failed fault)", unit: "", digits: 2, summary: "share", of: (r) => r.allocFailures, description: "Share of runs in which a user page fault found no free page (the seed-004 OOM); 95 % Wilson interval." },
  { key: "host_returned", label: "host returned", unit: "MiB", digits: 1, summary: "mean>=0", of: (r) => r.hostReturnedAvgBytes / MiB, description: "Memory the host got back, averaged over the run; mean over seeds, 95 % t interval (truncated at 0)." },
  { key: "failed_faults", label: "failed faults", unit: "per run", digits: 0, summary: "mean>=0", of: (r) => r.allocFailures, description: "User page faults that found no free page; mean over seeds, 95 % t interval (truncated at 0)." },
  { key: "peak_isolated", label: "peak isolated", unit: "MiB", digits: 1, summary: "mean>=0", of: (r) => r.peakIsolatedBytes / MiB, description: "Most memory held off the free lists at once by reporting; mean over seeds, 95 % t interval (truncated at 0)." },
  { key: "report_calls", label: "report() calls", unit: "per run", digits: 1, summary: "mean>=0", of: (r) => r.reportCalls, description: "Calls into the device; mean over seeds, 95 % t interval (truncated at 0)." },
  { key: "time_to_90", label: "90 % reported", unit: "ms", digits: 0, summary: "mean>=0", of: (r) => r.timeTo90Ms, description: "From the first restart until the host discarded 90 % of free memory; mean over the runs that got there, 95 % t interval (truncated at 0)." },
  { key: "refault", label: "refault", unit: "MiB per run", digits: 1, summary: "mean>=0", of: (r) => (r.refaultPages * 4096) / MiB, description: "Discarded pages the guest touched again; mean over seeds, 95 % t interval (truncated at 0)." },
];

/** The scenario's sampled series, by SERIES_COLUMNS name (t_ms is the time axis). */
const SERIES: readonly SeriesSpec[] = [
  { key: "guest_free_mib", label: "guest free", unit: "MiB" },
  { key: "isolated_mib", label: "isolated by reporting", unit: "MiB" },
  { key: "host_resident_mib", label: "host resident", unit: "MiB" },
  { key: "host_returned_mib", label: "host returned", unit: "MiB" },
  { key: "alloc_failures", label: "failed faults (cumulative)", unit: "", },
];

function metricSpecs(): MetricSpec[] {
  return METRICS.map(({ key, label, unit, digits, description }) => ({ key, label, unit, digits, description }));
}

function summaries(): Record<string, Summary> {
  return Object.fromEntries(METRICS.map((m) => [m.key, m.summary]));
}

function row(r: RunResult, params: Record<string, number>): SeedRow {
  return { policy: r.policy, seed: r.seed, params, values: Object.fromEntries(METRICS.map((m) => [m.key, m.of(r)])) };
}

/** Split a run's flat samples into one line per series. */
function seriesLines(r: RunResult): SeriesLine[] {
  const width = SERIES_COLUMNS.length;
  const t: number[] = [];
  const cols: number[][] = SERIES_COLUMNS.map(() => []);
  for (let i = 0; i + width <= r.series.length; i += width) {
    t.push(r.series[i] ?? 0);
    for (let c = 1; c < width; c++) cols[c]?.push(r.series[i + c] ?? 0);
  }
  return SERIES.map((s) => ({ series: s.key, policy: r.policy, seed: r.seed, t, y: cols[SERIES_COLUMNS.indexOf(s.key as (typeof SERIES_COLUMNS)[number])] ?? [] }));
}

function base(config: JsonValue, seeds: string, version: string, revision: string): Pick<ReportData, "experiment" | "provenance" | "metrics"> {
  return { experiment: "reporting-ab", provenance: { version, revision, seeds, config }, metrics: metricSpecs() };
}

/** The A/B's report data. Series come from runs that kept them (the scenario's keepSeries). */
export function abReportData(c: AbConfig, rows: readonly PolicySummary[], version: string, revision: string): ReportData {
  const runs = rows.flatMap((r) => r.runs);
  const firstSeed = Math.min(...runs.map((r) => r.seed));
  return {
    ...base(c as unknown as JsonValue, `${c.firstSeed}..${c.firstSeed + c.seeds - 1}`, version, revision),
    title: "reporting-ab: free page reporting A/B",
    summary: `${describeScenario(c.scenario)}. Policies: ${rows.map((r) => `${r.policy} (${r.description})`).join("; ")}.`,
    policies: rows.map((r) => r.policy),
    axes: [],
    headline: ["p_fail", "host_returned", "peak_isolated", "time_to_90"],
    heatmap: null,
    tradeoff: { x: "host_returned", y: "p_fail" },
    cells: cellsFromRows(runs.map((r) => row(r, {})), [], summaries()),
    seriesSpecs: SERIES,
    // The lowest seed of each policy is charted; the others are not carried into the page.
    series: runs.filter((r) => r.seed === firstSeed && r.series.length > 0).flatMap(seriesLines),
  };
}

/** The sweep's report data: heatmaps of P(failed fault) over guest size x reporting order. */
export function sweepReportData(c: SweepConfig, cells: readonly SweepCell[], version: string, revision: string): ReportData {
  const runs = cells.flatMap((cell) => cell.summary.runs.map((r) => row(r, { guestMiB: cell.guestMiB, reportingOrder: cell.reportingOrder })));
  return {
    ...base(c as unknown as JsonValue, `${c.base.firstSeed}..${c.base.firstSeed + c.base.seeds - 1}`, version, revision),
    title: "reporting-ab sweep: guest size x reporting order",
    summary: `Workload: ${describeWorkload(c.base.scenario)}.`,
    policies: [...new Set(cells.map((x) => x.summary.policy))],
    axes: ["guestMiB", "reportingOrder"],
    headline: ["p_fail"],
    heatmap: "p_fail",
    tradeoff: { x: "host_returned", y: "p_fail" },
    cells: cellsFromRows(runs, ["guestMiB", "reportingOrder"], summaries()),
    seriesSpecs: [],
    series: [],
  };
}

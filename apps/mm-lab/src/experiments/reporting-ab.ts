/**
 * `mm-lab run reporting-ab`: free page reporting under the kernel's fixed scatterlist capacity and
 * under each seed-004 fix, on a 512 MiB guest whose free memory is mostly order-10 blocks when
 * the reporting worker wakes up. The project's main job (the README's demo command).
 */
import { writeFileSync } from "node:fs";
import { type AnyExperiment, defineExperiment, type MetricSpec, type RunIO, type RunOutput, type RunRequest } from "../experiment.js";
import { type ConfigOf, defineParams, type RawArgs } from "../params.js";
import { resolveRequest } from "../request.js";
import {
  type AbConfig,
  checkAbConfig,
  resolvePolicy,
  DEFAULT_AB,
  DEFAULT_SWEEP_GUESTS,
  DEFAULT_SWEEP_ORDERS,
  runAb,
  runSweep,
  type SweepConfig,
} from "./reporting/ab.js";
import { formatAbJson, formatAbTable, formatSeriesCsv, formatSweepJson, formatSweepTable } from "./reporting/format.js";
import { checkScenarioConfig, DEFAULT_SCENARIO, REPORTING_OFF, runScenario, type ScenarioConfig } from "./reporting/scenario.js";
import { abReportData, sweepReportData } from "./reporting/report-data.js";
import { type PendingReport, reportPath, writePendingReport } from "../report/hook.js";
import { provenance } from "../provenance.js";

/** Where the README's main command writes its report. */
export const DEFAULT_REPORT = "reports/reporting-ab.html";

const MIB = 1024 * 1024;

/** The parameter space: every knob of the seed-004 scenario, defaults = the scenario's own. */
export const REPORTING_AB_PARAMS = defineParams({
  guestMib: {
    kind: "size",
    unit: "MiB",
    min: 64,
    max: 65536,
    default: DEFAULT_SCENARIO.guestMiB,
    doc: "guest memory",
    why: 'seed 004: "512MiB tiny instances" OOMed with reporting on',
  },
  reportingOrder: {
    kind: "int",
    min: -1,
    max: 10,
    default: DEFAULT_SCENARIO.reportingOrder,
    doc: "page_reporting_order (-1 = pageblock order)",
    why: "mm/page_reporting.c: page_reporting_order defaults to pageblock_order (9 on x86-64) when the driver sets none",
  },
  restarts: {
    kind: "int",
    min: 1,
    max: 100,
    default: DEFAULT_SCENARIO.restarts,
    doc: "service restarts per run",
    why: "each restart is one chance to hit the in-flight report; 3 keeps a run under 30 simulated seconds (scenario.ts)",
  },
  restartPeriodMs: {
    kind: "duration",
    unit: "ms",
    min: 3000,
    max: 600_000,
    default: DEFAULT_SCENARIO.restartPeriodMs,
    doc: "time between restarts",
    why: "the slowest fault-in (about 100 MiB at 96 MiB/s) plus the 2 s reporting delay and 4.1 s to settle (scenario.ts)",
  },
  servicePct: {
    kind: "float",
    unit: "%",
    min: 0,
    minExclusive: true,
    max: 80,
    default: DEFAULT_SCENARIO.servicePct,
    doc: "share of guest memory the restarting service holds",
    why: 'seed 004: "100MiB free" after the exit on a 512 MiB guest, about 20 %',
  },
  scatteredPct: {
    kind: "float",
    unit: "%",
    min: 0,
    max: 100,
    default: DEFAULT_SCENARIO.scatteredPct,
    doc: "share of the service's 2 MiB blocks scattered among other data (they stay order 9 when freed)",
    why: 'seed 004 finds the free memory "mostly order-10"; 15 % scattered keeps most of it order 10 (scenario.ts)',
  },
  perRequestUs: {
    kind: "float",
    unit: "us",
    min: 0,
    max: 1e9,
    default: DEFAULT_SCENARIO.perRequestUs,
    doc: "device cost per report() call",
    why: "one virtqueue round trip to the host, order of 100 us (modelled figure, scenario.ts)",
  },
  perMibUs: {
    kind: "float",
    unit: "us",
    min: 0,
    max: 1e9,
    default: DEFAULT_SCENARIO.perMiBUs,
    doc: "device cost per MiB reported",
    why: "1 ms/MiB = a host discarding 1 GiB/s (modelled figure, scenario.ts); the sweep asks where the result holds",
  },
  refaultNsPerPage: {
    kind: "float",
    unit: "ns",
    min: 0,
    max: 1e9,
    default: DEFAULT_SCENARIO.refaultNsPerPage,
    doc: "cost of refaulting one discarded page",
    why: "a host page fault plus zeroing a 4 KiB page, about 2 us (modelled figure, scenario.ts)",
  },
  series: {
    kind: "text",
    placeholder: "file",
    default: null,
    doc: "write a chart-ready CSV time series (host memory, free, isolated, failures)",
    why: "off unless asked: a side file",
  },
  report: {
    kind: "text",
    placeholder: "file|none",
    default: null,
    doc: `also write an HTML report (default ${DEFAULT_REPORT} for a table run, none with --json; "none" for none)`,
    why: "the README's main command shows its charts; JSON output stays JSON only",
  },
  sweep: {
    kind: "bool",
    default: false,
    axis: false,
    doc: "sweep guest size x reporting order instead of one A/B (see also `mm-lab sweep`)",
    why: "one A/B is the demo",
  },
  sweepSeeds: {
    kind: "int",
    min: 1,
    max: 10_000,
    default: 3,
    axis: false,
    doc: "seeds per --sweep cell",
    why: "28 cells x 7 policies x 3 seeds stays under a minute on one core",
  },
  sweepGuests: {
    kind: "list",
    of: "int",
    min: 64,
    max: 65536,
    default: DEFAULT_SWEEP_GUESTS,
    doc: "guest sizes in MiB for --sweep",
    why: "256 MiB..4 GiB brackets seed 004's 512 MiB by 2x and 8x",
  },
  sweepOrders: {
    kind: "list",
    of: "int",
    min: -1,
    max: 10,
    default: DEFAULT_SWEEP_ORDERS,
    doc: "reporting orders for --sweep",
    why: "7..10: below, at and above pageblock order",
  },
});

export type ReportingAbConfig = ConfigOf<typeof REPORTING_AB_PARAMS>;

/** The parameter space -> the scenario's own config (validated). */
export function scenarioOf(c: ReportingAbConfig): ScenarioConfig {
  const scenario: ScenarioConfig = {
    ...DEFAULT_SCENARIO,
    guestMiB: c.guestMib,
    reportingOrder: c.reportingOrder,
    restarts: c.restarts,
    restartPeriodMs: c.restartPeriodMs,
    servicePct: c.servicePct,
    scatteredPct: c.scatteredPct,
    perRequestUs: c.perRequestUs,
    perMiBUs: c.perMibUs,
    refaultNsPerPage: c.refaultNsPerPage,
    keepSeries: c.series !== null,
  };
  checkScenarioConfig(scenario);
  return scenario;
}

/** The report page this request asks for, if any. */
function reportOf(req: RunRequest<ReportingAbConfig>): string | null {
  return reportPath(req.config.report, req.json, DEFAULT_REPORT);
}

function abConfigOf(req: RunRequest<ReportingAbConfig>): AbConfig {
  const c: AbConfig = {
    // The report charts the series too (measured: 1.32 s -> 1.48 s wall for the default A/B).
    scenario: { ...scenarioOf(req.config), keepSeries: req.config.series !== null || reportOf(req) !== null },
    policies: req.policies,
    firstSeed: req.seeds[0] ?? DEFAULT_AB.firstSeed,
    seeds: req.seeds.length,
  };
  checkAbConfig(c);
  return c;
}

/** CLI arguments -> the A/B configuration (validated). Exported for tests. */
export function abConfigFromArgs(args: RawArgs): AbConfig {
  return abConfigOf(resolveRequest(reportingAb, args) as RunRequest<ReportingAbConfig>);
}

/** The legacy in-run sweep's configuration (validated). */
function sweepConfigOf(req: RunRequest<ReportingAbConfig>): SweepConfig {
  const c = req.config;
  const base = abConfigOf({ ...req, config: { ...c, series: null, report: "none" }, seeds: req.seeds.slice(0, 1).concat() });
  const sweepBase: AbConfig = { ...base, seeds: c.sweepSeeds };
  checkAbConfig(sweepBase);
  const s: SweepConfig = { base: sweepBase, guestsMiB: c.sweepGuests as number[], orders: c.sweepOrders as number[] };
  for (const g of s.guestsMiB) checkScenarioConfig({ ...base.scenario, guestMiB: g });
  for (const o of s.orders) checkScenarioConfig({ ...base.scenario, reportingOrder: o });
  return s;
}

/** One (config, policy, seed) run as named metrics: the sweep engine's unit of work. */
export function reportingAbRunOne(c: ReportingAbConfig, seed: number, policy: string | undefined): RunOutput<ReportingAbMetric> {
  const r = runScenario({ ...scenarioOf(c), keepSeries: false }, resolvePolicy(policy ?? REPORTING_OFF), seed);
  return {
    metrics: {
      failed: r.allocFailures > 0,
      allocFailures: r.allocFailures,
      allocAttempts: r.allocAttempts,
      peakIsolatedMib: r.peakIsolatedBytes / MIB,
      reportCalls: r.reportCalls,
      reportedMib: r.reportedBytes / MIB,
      passes: r.passes,
      flushReports: r.flushReports,
      sgInits: r.sgInits,
      timeTo90Ms: r.timeTo90Ms,
      hostReturnedAvgMib: r.hostReturnedAvgBytes / MIB,
      hostReturnedEndMib: r.hostReturnedEndBytes / MIB,
      refaultMib: (r.refaultPages * 4096) / MIB,
      refaultMs: r.refaultNs / 1e6,
      simMs: r.simNs / 1e6,
    },
  };
}

const METRICS = {
  failed: { kind: "bool", doc: "the run had at least one failed user allocation (the seed's OOM)" },
  allocFailures: { kind: "number", doc: "user page faults that found no page" },
  allocAttempts: { kind: "number", doc: "user page faults" },
  peakIsolatedMib: { kind: "number", unit: "MiB", doc: "most memory isolated for reporting at once" },
  reportCalls: { kind: "number", doc: "report() calls" },
  reportedMib: { kind: "number", unit: "MiB", doc: "memory reported" },
  passes: { kind: "number", doc: "reporting passes" },
  flushReports: { kind: "number", doc: "report() calls that flushed a partial scatterlist" },
  sgInits: { kind: "number", doc: "scatterlist (re)initialisations" },
  timeTo90Ms: { kind: "number", unit: "ms", doc: "from the first exit until 90 % of free memory is discarded (null: not reached)" },
  hostReturnedAvgMib: { kind: "number", unit: "MiB", doc: "host memory returned, averaged over the run" },
  hostReturnedEndMib: { kind: "number", unit: "MiB", doc: "host memory returned at the end" },
  refaultMib: { kind: "number", unit: "MiB", doc: "discarded memory faulted back" },
  refaultMs: { kind: "number", unit: "ms", doc: "time spent refaulting" },
  simMs: { kind: "number", unit: "ms", doc: "simulated time covered" },
} as const satisfies Record<string, MetricSpec>;

export type ReportingAbMetric = keyof typeof METRICS;

/** The report page's provenance: this process's version and revision. */
function versionRevision(): [string, string] {
  const p = provenance();
  return [p.version, p.revision ?? "unknown"];
}

/** The `run` path: the A/B table (or the legacy --sweep), JSON lines, the --series CSV; returns the report page to write, if any. */
export function reportReportingAb(req: RunRequest<ReportingAbConfig>, io: RunIO): PendingReport | null {
  const json = req.json;
  const report = reportOf(req);
  if (req.config.sweep) {
    const c = sweepConfigOf(req);
    const total = c.guestsMiB.length * c.orders.length * c.base.policies.length * c.base.seeds;
    const bar = io.progress(total, "reporting-ab sweep");
    let cells;
    try {
      cells = runSweep(c, () => bar.tick());
    } finally {
      bar.stop();
    }
    io.write(json ? formatSweepJson(cells) : formatSweepTable(c.base, cells));
    const done = cells;
    return report === null ? null : { path: report, data: () => sweepReportData(c, done, ...versionRevision()) };
  }
  const c = abConfigOf(req);
  const bar = io.progress(c.policies.length * c.seeds, "reporting-ab");
  let rows;
  try {
    rows = runAb(c, () => bar.tick());
  } finally {
    bar.stop();
  }
  io.write(json ? formatAbJson(rows) : formatAbTable(c, rows));
  const series = req.config.series;
  if (series !== null) {
    const csv = formatSeriesCsv(rows);
    if (io.writeFile !== undefined) io.writeFile(series, csv);
    else writeFileSync(series, csv);
  }
  const done = rows;
  return report === null ? null : { path: report, data: () => abReportData(c, done, ...versionRevision()) };
}

/** Run from raw flags (tests): resolve, then report. */
export function runReportingAb(args: RawArgs, io: RunIO): PendingReport | null {
  return reportReportingAb(resolveRequest(reportingAb, args) as RunRequest<ReportingAbConfig>, io);
}

export const reportingAb: AnyExperiment = defineExperiment({
  name: "reporting-ab",
  summary: "free page reporting: the kernel's fixed capacity vs the seed-004 fixes (OOM on a 512 MiB guest)",
  params: REPORTING_AB_PARAMS,
  policies: {
    values: DEFAULT_AB.policies,
    default: DEFAULT_AB.policies,
    doc: "reporting policies (off = no reporting, the control)",
    why: "the kernel's fixed capacity, every fix posted in seed 004's thread, and the control",
  },
  seeds: {
    first: DEFAULT_AB.firstSeed,
    count: DEFAULT_AB.seeds,
    why: "10 runs separate 10/10 from 0/10 (Wilson 95 % of 0/10 is [0, 0.28])",
  },
  metrics: METRICS,
  check: (c) => void scenarioOf(c),
  runOne: reportingAbRunOne,
  async report(req, io) {
    const page = reportReportingAb(req, io);
    if (page !== null) await writePendingReport(page, io);
  },
});

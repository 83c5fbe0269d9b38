/**
 * `mm-lab run reporting-ab`: the seed-004 experiment as a map — P(OOM) per free page reporting
 * policy over start delay, device speed, freed size and guest size, with host memory returned —
 * on a guest whose free memory got its shape from what ran before. The README's demo command.
 *
 * The scalar parameters are one run's knobs (what `runOne` and `mm-lab sweep` vary) and the map's
 * centre; the list parameters are the map's axes (what `mm-lab run` prints).
 */
import { writeFileSync } from "node:fs";
import { MmError } from "@mm/api";
import { REPORTING_POLICIES } from "@mm/page-reporting";
import { type AnyExperiment, defineExperiment, type MetricSpec, type RunIO, type RunOutput, type RunRequest } from "../experiment.js";
import { type ConfigOf, defineParams, type RawArgs } from "../params.js";
import { resolveRequest } from "../request.js";
import { DEVICES } from "./reporting/costs.js";
import { formatMapJson, formatMapTable } from "./reporting/format.js";
import { checkMapConfig, DEFAULT_MAP, MAP_CENTRE, mapJobs, type MapConfig, runMapParallel } from "./reporting/map.js";
import { checkScenarioConfig, REPORTING_OFF, runScenario, type ScenarioConfig, SERIES_NAMES } from "./reporting/scenario.js";
import { centreSeries } from "./reporting/series.js";
import { mapReportData } from "./reporting/report-data.js";
import { type PendingReport, reportPath, writePendingReport } from "../report/hook.js";
import { provenance } from "../provenance.js";
import { FROM_PARAM, fromOf, checkFrom } from "../from-capture.js";
import { reportCaptureReporting, reportingAbFromCapture } from "./capture-reporting.js";

/** Where the README's main command writes its report. */
export const DEFAULT_REPORT = "reports/reporting-ab.html";

const C = MAP_CENTRE;
const A = DEFAULT_MAP.axes;

/** The parameter space (defaults: the map's centre and axes; README "Defaults" gives sources). */
export const REPORTING_AB_PARAMS = defineParams({
  guestMib: { kind: "size", unit: "MiB", min: 128, max: 16384, default: C.guestMiB, doc: "guest memory (one run; the map's centre)", why: "1 GiB: the smallest guest that boots with THP on (hugepage_init needs 512 MiB of totalram)" },
  freedMib: { kind: "size", unit: "MiB", min: 8, max: 16384, default: C.freedMiB, doc: "memory the restarting service frees", why: 'seed 004: "100MiB free", one order-10 batch is 32 x 4 MiB = 128 MiB' },
  startDelayRatio: { kind: "float", min: 0, max: 10, default: C.startDelayRatio, doc: "the new instance starts this many PAGE_REPORTING_DELAYs (2 s) after the exit", why: "systemd's RestartSec is 100 ms, then exec and start-up: about 1 s" },
  device: { kind: "enum", values: DEVICES.map((d) => d.name), default: C.device, doc: "host behind virtio-balloon", why: "4k-host: the slower of the two measured hosts (calibration/calibrate.c, README)" },
  madvisedPct: { kind: "float", unit: "%", min: 0, max: 100, default: C.madvisedPct, doc: "share of the service's VMA madvised MADV_HUGEPAGE", why: "assumption: a JVM-style heap madvised, the rest malloc'd" },
  cachePct: { kind: "float", unit: "%", min: 0, max: 50, default: C.cachePct, doc: "cold page cache left once the guest has run a while", why: "assumption: a tiny instance is sized to its workload, a resident app takes the rest" },
  filesPct: { kind: "float", unit: "%", min: 0, max: 50, default: C.filesPct, doc: "mapped files of the service, the app and the daemons", why: "assumption: binaries, libraries and data of a small cloud guest" },
  backgroundMibps: { kind: "float", unit: "MiB/s", min: 0, max: 10000, default: C.backgroundMiBps, doc: "background reads growing the page cache", why: "assumption: logs and updates" },
  delays: { kind: "list", of: "float", min: 0, max: 10, default: A.startDelayRatio, doc: "map axis: start delays in PAGE_REPORTING_DELAYs", why: "around the worker's wake-up at 2 s: well before, just before, at, just after" },
  devices: { kind: "list", of: "enum", values: DEVICES.map((d) => d.name), default: A.device, doc: "map axis: hosts", why: "two measured hosts and the earlier invented 1 ms/MiB as a pessimistic bound" },
  freed: { kind: "list", of: "int", min: 8, max: 16384, default: A.freedMiB, doc: "map axis: freed sizes in MiB", why: "half, one and two order-10 batches" },
  guests: { kind: "list", of: "int", min: 128, max: 16384, default: A.guestMiB, doc: "map axis: guest sizes in MiB", why: "seed 004's 512 MiB (THP off at boot) and two sizes with THP on" },
  layout: { kind: "enum", values: ["slices", "full"], default: DEFAULT_MAP.layout, doc: "slices (delay x device and guest x freed through the centre) or full (the product)", why: "slices keep the default map under a minute on 2 cores" },
  series: { kind: "text", placeholder: "file", default: null, doc: "write the centre's time series per policy (JSON lines: series, policy, seed, t, y)", why: "off unless asked: a side file" },
  report: { kind: "text", placeholder: "file|none", default: null, doc: `also write an HTML report of the map (default ${DEFAULT_REPORT} for a table run, none with --json; "none" for none)`, why: "the README's main command shows its charts; JSON output stays JSON only" },
  timing: { kind: "bool", default: false, doc: "print runs/s and wall time under the table", why: "off: the output stays a function of seed and options" },
  // --from: one registration per policy on the capture's real free memory (capture-reporting.ts)
  from: FROM_PARAM,
});

/** The synthetic guest's knobs: with --from the capture is the guest, so they do not apply. */
const SYNTHETIC = ["guestMib", "freedMib", "startDelayRatio", "device", "madvisedPct", "cachePct", "filesPct", "backgroundMibps", "delays", "devices", "freed", "guests", "layout", "series", "report"];

export type ReportingAbConfig = ConfigOf<typeof REPORTING_AB_PARAMS>;

/** The scalar parameters -> one run's scenario config (validated). */
export function scenarioOf(c: ReportingAbConfig, policy: string): ScenarioConfig {
  const s: ScenarioConfig = {
    ...MAP_CENTRE,
    policy,
    guestMiB: c.guestMib,
    freedMiB: c.freedMib,
    startDelayRatio: c.startDelayRatio,
    device: c.device,
    madvisedPct: c.madvisedPct,
    cachePct: c.cachePct,
    filesPct: c.filesPct,
    backgroundMiBps: c.backgroundMibps,
  };
  checkScenarioConfig(s);
  return s;
}

/** The request -> the map (validated). */
export function mapConfigOf(req: RunRequest<ReportingAbConfig>): MapConfig {
  const c = req.config;
  const seeds = req.seeds;
  for (let i = 1; i < seeds.length; i++) if (seeds[i] !== seeds[0] + i) throw new MmError("EINVAL", "the map takes consecutive seeds");
  const m: MapConfig = {
    base: scenarioOf(c, REPORTING_OFF),
    policies: req.policies,
    axes: { startDelayRatio: c.delays as number[], device: c.devices as string[], freedMiB: c.freed as number[], guestMiB: c.guests as number[] },
    layout: c.layout,
    seeds: seeds.length,
    firstSeed: seeds[0] ?? DEFAULT_MAP.firstSeed,
  };
  checkMapConfig(m);
  return m;
}

/** CLI arguments -> the map (validated). Exported for tests. */
export function mapConfigFromArgs(args: RawArgs): MapConfig {
  return mapConfigOf(resolveRequest(reportingAb, args) as RunRequest<ReportingAbConfig>);
}

const METRICS = {
  oom: { kind: "bool", doc: "the run had at least one OOM kill after the exit" },
  oomKills: { kind: "number", doc: "OOM kills after the exit" },
  serviceKilled: { kind: "bool", doc: "the restarting service was an OOM victim" },
  belowMinMs: { kind: "number", unit: "ms", doc: "time the user zone spent below its min watermark" },
  reclaimStallMs: { kind: "number", unit: "ms", doc: "direct-reclaim stall charged to the faulting tasks" },
  cacheRefaults: { kind: "number", doc: "page cache refaults (evicted file pages read back)" },
  hostRefaultMib: { kind: "number", unit: "MiB", doc: "discarded pages faulted back in on the host" },
  rampMs: { kind: "number", unit: "ms", doc: "the new instance's fault-in time (null: it was killed)" },
  freedReportablePct: { kind: "number", unit: "%", doc: "freed memory in free blocks of at least the reporting order right after the exit" },
  peakIsolatedMib: { kind: "number", unit: "MiB", doc: "largest batch isolated after the exit" },
  reportCalls: { kind: "number", doc: "report() calls after the exit" },
  hostReturnedAvgMib: { kind: "number", unit: "MiB", doc: "host memory returned, averaged over the window" },
} as const satisfies Record<string, MetricSpec>;

export type ReportingAbMetric = keyof typeof METRICS;

/** One (config, seed, policy) run as named metrics and series: the sweep engine's unit of work. */
export function reportingAbRunOne(c: ReportingAbConfig, seed: number, policy: string | undefined): RunOutput<ReportingAbMetric> {
  const r = runScenario({ ...scenarioOf(c, policy ?? REPORTING_OFF), keepSeries: true }, seed);
  const m = r.metrics;
  const s = r.series;
  return {
    metrics: {
      oom: m.oomKills > 0,
      oomKills: m.oomKills,
      serviceKilled: m.serviceKilled > 0,
      belowMinMs: m.belowMinMs,
      reclaimStallMs: m.reclaimStallMs,
      cacheRefaults: m.cacheRefaults,
      hostRefaultMib: m.hostRefaultMiB,
      rampMs: m.rampMs < 0 ? null : m.rampMs,
      freedReportablePct: m.freedReportablePct,
      peakIsolatedMib: m.peakIsolatedMiB,
      reportCalls: m.reportCalls,
      hostReturnedAvgMib: m.hostReturnedAvgMiB,
    },
    ...(s === null ? {} : { series: { columns: [...SERIES_NAMES], rows: s.t_ms.map((_, i) => SERIES_NAMES.map((n) => s[n][i])) } }),
  };
}

/** The `run` path: the map table (or JSON lines), the --series side file; returns the report page to write, if any. */
export async function reportReportingAb(req: RunRequest<ReportingAbConfig>, io: RunIO): Promise<PendingReport | null> {
  const c = mapConfigOf(req);
  const report = reportPath(req.config.report, req.json, DEFAULT_REPORT);
  const bar = io.progress(mapJobs(c).jobs.length, "reporting-ab map");
  const t0 = performance.now();
  let cells;
  try {
    cells = await runMapParallel(c, () => bar.tick());
  } finally {
    bar.stop();
  }
  const wallMs = performance.now() - t0;
  io.write(req.json ? formatMapJson(cells) : formatMapTable(c, cells, req.config.timing ? wallMs : undefined));
  const file = req.config.series;
  // The report charts the centre's series too: computed once if both want them.
  const series = file !== null || report !== null ? centreSeries(c) : [];
  if (file !== null) {
    const text = `${series.map((l) => JSON.stringify(l)).join("\n")}\n`;
    if (io.writeFile !== undefined) io.writeFile(file, text);
    else writeFileSync(file, text);
  }
  if (report === null) return null;
  const p = provenance();
  const done = cells;
  return { path: report, data: () => mapReportData(c, done, series, p.version, p.revision ?? "unknown") };
}

/** Run from raw flags (tests): resolve, then report; hands back the pending report page instead of writing it. */
export function runReportingAb(args: RawArgs, io: RunIO): Promise<PendingReport | null> {
  return reportReportingAb(resolveRequest(reportingAb, args) as RunRequest<ReportingAbConfig>, io);
}

export const reportingAb: AnyExperiment = defineExperiment({
  name: "reporting-ab",
  summary: "free page reporting: P(OOM) of the kernel's fixed capacity vs the seed-004 fixes, mapped over delay, device, freed and guest size",
  params: REPORTING_AB_PARAMS,
  policies: {
    values: DEFAULT_MAP.policies,
    default: DEFAULT_MAP.policies,
    doc: "reporting policies (off = no reporting, the control)",
    why: `the kernel's fixed capacity, every fix of seed 004's thread (${REPORTING_POLICIES.length} pairs), and the control`,
  },
  seeds: { first: DEFAULT_MAP.firstSeed, count: DEFAULT_MAP.seeds, why: "6 per cell keeps the 966 runs under a minute on 2 busy cores; Wilson 95 % of 0/6 is [0, 0.39]" },
  metrics: METRICS,
  check: (c) => (fromOf(c) !== null ? checkFrom(REPORTING_AB_PARAMS, c, SYNTHETIC, "the capture is the guest") : void scenarioOf(c, REPORTING_OFF)),
  runOne(c, seed, policy) {
    const from = fromOf(c);
    return from === null ? reportingAbRunOne(c, seed, policy) : { metrics: reportingAbFromCapture(from, seed, policy) };
  },
  async report(req, io) {
    if (fromOf(req.config) !== null) return reportCaptureReporting(req, io);
    const page = await reportReportingAb(req, io);
    if (page !== null) await writePendingReport(page, io);
  },
});

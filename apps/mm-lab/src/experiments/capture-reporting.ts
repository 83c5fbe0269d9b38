/**
 * capture-reporting: free page reporting under each policy, started from a real machine's imported
 * state (`--from <dir>`, @mm/capture) instead of a synthetic guest. One run = one registration on
 * the captured free memory with nothing else running: how much each policy isolates at once and
 * what it reports. `reporting-ab --from <dir>` is the same run under reporting-ab's metric names
 * (its seam calls {@link reportingAbFromCapture}); the synthetic guest's knobs do not apply there.
 */
import { MmError, WMARK_LOW, WMARK_MIN } from "@mm/api";
import { reportingWhatIf, type ReportingWhatIf } from "@mm/capture";
import { REPORTING_POLICIES } from "@mm/page-reporting";
import Table from "cli-table3";
import { type AnyExperiment, defineExperiment, type MetricValue, type RunIO, type RunRequest } from "../experiment.js";
import { FROM_PARAM, type FromCapture, fromOf } from "../from-capture.js";
import { type ConfigOf, defineParams } from "../params.js";

const PARAMS = defineParams({
  from: FROM_PARAM,
  reportingOrder: {
    kind: "int",
    min: -1,
    max: 10,
    default: -1,
    doc: "page_reporting_order (-1 = pageblock order)",
    why: "mm/page_reporting.c: page_reporting_order defaults to pageblock_order (9 on x86-64) when the driver sets none",
  },
});

type Config = ConfigOf<typeof PARAMS>;

/** reporting-ab's control arm: no reporting device registered. */
const OFF = "off";

/**
 * One registration of `policy` on the imported free memory ("off": none registered, the control:
 * nothing isolated, nothing reported, the free memory as it is).
 */
export function captureReportingRun(from: FromCapture, policy: string, seed: number, reportingOrder = -1): ReportingWhatIf {
  if (policy !== OFF) return reportingWhatIf(() => from.machine(), { seed, reportingOrder, policies: [policy] })[0];
  const m = from.capture.machine;
  const free = m.freePagesTotal();
  let sumMin = 0;
  let sumLow = 0;
  for (const z of m.zones) {
    if (!z.populated) continue;
    sumMin += m.zoneWatermark(z.idx, WMARK_MIN);
    sumLow += m.zoneWatermark(z.idx, WMARK_LOW);
  }
  return {
    policy: OFF,
    description: "no free page reporting (the control)",
    freeAtStart: free,
    peakIsolated: 0,
    freeAtPeak: free,
    sumMin,
    sumLow,
    belowMin: free < sumMin,
    belowLow: free < sumLow,
    passes: 0,
    reportCalls: 0,
    reportedPages: 0,
    markedReported: 0,
    isolateFailures: 0,
    discardedPages: 0,
    discardedPermille: 0,
  };
}

const MIB_PAGES = 256;

/**
 * reporting-ab's metrics of a run started from a capture. The synthetic scenario's metrics (the
 * service's exit and restart, OOM kills, reclaim) are not measured there: null, which the sweep
 * tables count apart from the means.
 */
export function reportingAbFromCapture(from: FromCapture, seed: number, policy: string | undefined): Readonly<Record<string, MetricValue>> {
  const r = captureReportingRun(from, policy ?? OFF, seed);
  return {
    oom: null,
    oomKills: null,
    serviceKilled: null,
    belowMinMs: null,
    reclaimStallMs: null,
    cacheRefaults: null,
    hostRefaultMib: null,
    rampMs: null,
    freedReportablePct: null,
    peakIsolatedMib: r.peakIsolated / MIB_PAGES,
    reportCalls: r.reportCalls,
    hostReturnedAvgMib: null,
  };
}

/** The table of a capture run: one row per policy. */
export function formatCaptureReporting(from: FromCapture, rows: readonly ReportingWhatIf[], seed = 0): string {
  const t = new Table({
    head: ["policy", "free at start", "peak isolated", "free at peak", "min/low", "below low", "report calls", "reported", "discarded ‰"],
    style: { head: [], border: [], compact: true },
  });
  for (const r of rows)
    t.push([r.policy, String(r.freeAtStart), String(r.peakIsolated), String(r.freeAtPeak), `${r.sumMin}/${r.sumLow}`, String(r.belowLow), String(r.reportCalls), String(r.reportedPages), String(r.discardedPermille)]);
  return `free page reporting on ${from.label}\n(one registration on the imported free memory, nothing else running, seed ${seed}; sizes in 4 KiB pages)\n${t.toString()}\n`;
}

/** reporting-ab's `run` path with --from: the capture table instead of the synthetic map. */
export function reportCaptureReporting(req: RunRequest, io: RunIO, reportingOrder = -1): void {
  const from = fromOf(req.config);
  if (from === null) throw new MmError("EINVAL", "--from <dir> is required here");
  const seed = req.seeds[0] ?? 0;
  const rows = req.policies.map((p) => captureReportingRun(from, p, seed, reportingOrder));
  if (req.json) for (const r of rows) io.write(`${JSON.stringify({ from: from.dir, digest: from.digest, seed, ...r })}\n`);
  else io.write(formatCaptureReporting(from, rows, seed));
}

export const captureReporting: AnyExperiment = defineExperiment({
  name: "capture-reporting",
  summary: "free page reporting under each policy on a real machine's imported free memory (--from <dir>)",
  params: PARAMS,
  policies: {
    values: REPORTING_POLICIES.map((p) => p.name),
    default: REPORTING_POLICIES.map((p) => p.name),
    doc: "reporting policies (@mm/page-reporting)",
    why: "the kernel's fixed capacity against every proposed fix, as reporting-ab",
  },
  seeds: { first: 0, count: 1, many: false, why: "nothing in one registration on a fixed state is random" },
  metrics: {
    peakIsolated: { kind: "number", unit: "pages", doc: "most pages isolated at once" },
    freeAtPeak: { kind: "number", unit: "pages", doc: "free pages left at that moment" },
    belowLow: { kind: "bool", doc: "free pages at the peak below the zones' low watermarks (kswapd would wake)" },
    reportCalls: { kind: "number", doc: "report() calls" },
    reportedPages: { kind: "number", unit: "pages", doc: "pages handed to the device" },
    discardedPermille: { kind: "number", unit: "‰", doc: "share of the free memory discarded on the host at the end" },
  },
  check(c: Config) {
    if (fromOf(c) === null) throw new MmError("EINVAL", "capture-reporting needs --from <dir> (a capture directory)");
  },
  runOne(c: Config, seed: number, policy: string | undefined) {
    const from = fromOf(c);
    if (from === null) throw new MmError("EINVAL", "capture-reporting needs --from <dir> (a capture directory)");
    const r = captureReportingRun(from, policy ?? REPORTING_POLICIES[0].name, seed, c.reportingOrder);
    return {
      metrics: {
        peakIsolated: r.peakIsolated,
        freeAtPeak: r.freeAtPeak,
        belowLow: r.belowLow,
        reportCalls: r.reportCalls,
        reportedPages: r.reportedPages,
        discardedPermille: r.discardedPermille,
      },
    };
  },
});

/**
 * capture-reporting: free page reporting under each policy, started from a real machine's imported
 * state (`--from <dir>`, @mm/capture) instead of a synthetic guest. One run = one registration on
 * the captured free memory with nothing else running: how much each policy isolates at once and
 * what it reports.
 */
import { MmError } from "@mm/api";
import { importCapture, readCaptureDir, reportingWhatIf, type ImportedCapture } from "@mm/capture";
import { REPORTING_POLICIES } from "@mm/page-reporting";
import { type AnyExperiment, defineExperiment } from "../experiment.js";
import { type ConfigOf, defineParams } from "../params.js";

const PARAMS = defineParams({
  from: {
    kind: "text",
    placeholder: "dir",
    default: null,
    doc: "capture directory to start from (page_owner dump + /proc files + dmesg; see `mm-lab import`)",
    why: "required: the experiment has no synthetic machine of its own",
  },
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

/** Imports are deterministic: one per directory and process (a sweep over policies re-uses it). */
const imported = new Map<string, ImportedCapture>();

function capture(dir: string): ImportedCapture {
  let imp = imported.get(dir);
  if (imp === undefined) {
    imp = importCapture(readCaptureDir(dir).input);
    imported.set(dir, imp);
  }
  return imp;
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
    if (c.from === null) throw new MmError("EINVAL", "capture-reporting needs --from <dir> (a capture directory)");
  },
  runOne(c: Config, seed: number, policy: string | undefined) {
    const imp = capture(c.from!);
    const [r] = reportingWhatIf(() => imp.rebuild(), { seed, reportingOrder: c.reportingOrder, ...(policy !== undefined ? { policies: [policy] } : {}) });
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

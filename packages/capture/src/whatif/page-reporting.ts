/**
 * What-if: free page reporting (mm/page_reporting.c, virtio_balloon) on an imported machine's real
 * free memory, under each of @mm/page-reporting's policies. Nothing else runs meanwhile, so the
 * numbers answer "the moment the balloon registers, how much would each policy pull out of the
 * free lists at once, and what would it report" for this machine's actual free-block mix.
 */
import { MmError, WMARK_LOW, WMARK_MIN } from "@mm/api";
import type { BuddyMachine } from "@mm/buddy";
import { createPageReporting, createVirtioBalloon, REPORTING_POLICIES, reportingPolicy, type PageReporting, type ReportingPolicy } from "@mm/page-reporting";
import { createSim } from "@mm/sim";

/** Options of {@link reportingWhatIf}. */
export interface ReportingWhatIfOptions {
  /** Policy names (REPORTING_POLICIES). @defaultValue every shipped policy */
  readonly policies?: readonly string[];
  /** Simulated time to run, ns: the budget reports about 1/16 of free memory per 2 s pass. @defaultValue 120 s */
  readonly durationNs?: number;
  /** page_reporting_order; -1 = pageblock_order (the kernel's default). @defaultValue -1 */
  readonly reportingOrder?: number;
  /** Seed of the simulation (nothing in it is random; kept so every run names its seed). @defaultValue 0 */
  readonly seed?: number;
}

/** One policy's outcome. Sizes in 4 KiB pages. */
export interface ReportingWhatIf {
  readonly policy: string;
  readonly description: string;
  readonly freeAtStart: number;
  /** Most pages isolated at once (the seed-004 question: how much does `fixed` take at once). */
  readonly peakIsolated: number;
  /** Free pages left at that moment, and the machine's min / low watermarks summed over zones. */
  readonly freeAtPeak: number;
  readonly sumMin: number;
  readonly sumLow: number;
  /** freeAtPeak below the min watermark sum: GFP_KERNEL allocations would have failed then. */
  readonly belowMin: boolean;
  readonly belowLow: boolean;
  readonly passes: number;
  readonly reportCalls: number;
  readonly reportedPages: number;
  readonly markedReported: number;
  readonly isolateFailures: number;
  /** Pages the host holds discarded at the end. */
  readonly discardedPages: number;
  /** Share of the starting free memory discarded at the end, in 1/1000. */
  readonly discardedPermille: number;
}

/**
 * Run free page reporting on fresh copies of the machine, one per policy.
 * @param build - makes a fresh machine in the imported state (ImportedCapture.rebuild)
 * @throws MmError EINVAL for an unknown policy name (listing the known ones)
 */
export function reportingWhatIf(build: () => BuddyMachine, options: ReportingWhatIfOptions = {}): ReportingWhatIf[] {
  const names = options.policies ?? REPORTING_POLICIES.map((p) => p.name);
  const policies: ReportingPolicy[] = names.map((n) => reportingPolicy(n));
  const duration = options.durationNs ?? 120e9;
  if (!(duration > 0)) throw new MmError("EINVAL", `duration ${duration} ns must be > 0`);
  const out: ReportingWhatIf[] = [];
  for (const p of policies) {
    const m = build();
    const sim = createSim({ seed: options.seed ?? 0 });
    const balloon = createVirtioBalloon({ nrPages: m.nrPfns });
    let peak = 0;
    let freeAtPeak = m.freePagesTotal();
    const freeAtStart = freeAtPeak;
    const ref: { r: PageReporting | null } = { r: null };
    const reporter = createPageReporting({
      area: m,
      device: {
        report(sgl, start, nents) {
          // The batch is isolated while the device works on it: the worst moment of the pass.
          const isolated = ref.r === null ? 0 : ref.r.isolatedPages;
          if (isolated > peak) {
            peak = isolated;
            freeAtPeak = m.freePagesTotal();
          }
          return balloon.report(sgl, start, nents);
        },
      },
      scheduler: sim,
      capacityRule: p.capacityRule(),
      mechanism: p.mechanism(),
      pageReportingOrder: options.reportingOrder ?? -1,
    });
    ref.r = reporter;
    sim.runUntil(duration);
    const st = reporter.stats();
    reporter.unregister();
    let sumMin = 0;
    let sumLow = 0;
    for (const z of m.zones) {
      if (!z.populated) continue;
      sumMin += m.zoneWatermark(z.idx, WMARK_MIN);
      sumLow += m.zoneWatermark(z.idx, WMARK_LOW);
    }
    out.push({
      policy: p.name,
      description: p.description,
      freeAtStart,
      peakIsolated: Math.max(peak, st.peakIsolatedPages),
      freeAtPeak,
      sumMin,
      sumLow,
      belowMin: freeAtPeak < sumMin,
      belowLow: freeAtPeak < sumLow,
      passes: st.passes,
      reportCalls: st.reportCalls,
      reportedPages: st.reportedPages,
      markedReported: st.markedReported,
      isolateFailures: st.isolateFailures,
      discardedPages: balloon.discardedPages,
      discardedPermille: freeAtStart === 0 ? 0 : Math.floor((balloon.discardedPages * 1000) / freeAtStart),
    });
  }
  return out;
}

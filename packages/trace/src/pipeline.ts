/**
 * replayTrace(): the whole job in two streaming passes over a trace file. Pass one finds the
 * blocks that predate the trace, the highest pfn and the time span; pass two boots a machine
 * (from /proc/iomem's System RAM when given, else just large enough for the trace), places the
 * pre-existing blocks, replays every event with per-stack attribution, mirrors the requests on a
 * second machine where @mm/buddy chooses the pfns, and samples both at even intervals of trace
 * time.
 */
import { MAX_PAGE_ORDER, PAGE_SHIFT } from "@mm/api";
import { type BuddyMachine, createMachine, type PfnRange } from "@mm/buddy";
import { StackAttribution, type StackRow } from "./attribution.js";
import type { TraceFormat, TraceStats } from "./event.js";
import { ModelChoice, type ModelChoiceCounters } from "./model-choice.js";
import { PreexistingScan, type TraceScan } from "./preexisting.js";
import { TraceReplay, type ReplayCounters } from "./replay.js";
import { type FragmentationSample, sampleFragmentation } from "./series.js";
import { readTrace } from "./source.js";
import type { GfpEra } from "@mm/api";

export interface ReplayConfig {
  /** Usable memory (e.g. systemRamRanges of the capture's /proc/iomem). @defaultValue [0, highest traced pfn] rounded up to a max-order block */
  readonly ranges?: readonly PfnRange[];
  /** Samples over the trace's time span; 100 resolves a trace's phases and keeps the JSON small. */
  readonly samples?: number;
  /**
   * Full invariant check of the replayed machine every N events (each event also checks the
   * pages it touched). 1 checks after every event: O(pages) each, so minutes on big traces;
   * 1024 costs a few percent. @defaultValue 1024
   */
  readonly checkEvery?: number;
  /** Also run the same requests with the model choosing pfns. @defaultValue true */
  readonly whatIf?: boolean;
  /** Stacks listed by peak live pages and by fragmenting fallbacks; 10 fits a terminal screen, the JSON has them with their series. @defaultValue 10 */
  readonly topStacks?: number;
  /** Replay only the first N events (both passes). @defaultValue all */
  readonly maxEvents?: number;
  readonly format?: TraceFormat | "auto";
  /** gfp_flags name table: "6.1" because its bit values (with __GFP_ATOMIC) read 6.1–6.3 traces, like the fixture's; "current" for 6.4+. @defaultValue "6.1" */
  readonly gfpEra?: GfpEra;
  readonly strict?: boolean;
  readonly onProgress?: (phase: "scan" | "replay", read: number, total: number) => void;
}

export interface StackSeriesRow extends StackRow {
  /** Live pages, allocations and frees so far, at each sample. */
  readonly liveSeries: readonly number[];
  readonly allocSeries: readonly number[];
  readonly freeSeries: readonly number[];
}

export interface ReplayResult {
  readonly trace: TraceStats;
  readonly scan: Omit<TraceScan, "preexisting"> & { readonly preexistingBlocks: number };
  readonly machine: { readonly startPfn: number; readonly endPfn: number; readonly zones: readonly { readonly name: string; readonly managed: number }[] };
  readonly counters: ReplayCounters;
  readonly model: ModelChoiceCounters | null;
  readonly series: { readonly real: readonly FragmentationSample[]; readonly model: readonly FragmentationSample[] | null };
  readonly stacks: { readonly distinct: number; readonly byPeakLive: readonly StackSeriesRow[]; readonly byFragmenting: readonly StackRow[] };
  readonly buddyinfo: { readonly real: string; readonly model: string | null };
}

function bootFor(scan: TraceScan, ranges: readonly PfnRange[] | undefined): BuddyMachine {
  if (ranges !== undefined) return createMachine({ ranges });
  const block = 2 ** MAX_PAGE_ORDER;
  const pages = Math.max(block, Math.ceil((scan.maxPfn + 1) / block) * block);
  return createMachine({ memoryBytes: pages * 2 ** PAGE_SHIFT });
}

export async function replayTrace(path: string, cfg: ReplayConfig = {}): Promise<ReplayResult> {
  const readOpts = {
    format: cfg.format ?? "auto",
    gfpEra: cfg.gfpEra ?? "6.1",
    strict: cfg.strict ?? false,
  } as const;
  const limit = cfg.maxEvents ?? Infinity;
  const scanner = new PreexistingScan();
  await readTrace(path, (ev) => {
    if (scanner.events < limit) scanner.push(ev);
  }, { ...readOpts, onProgress: (r, t) => cfg.onProgress?.("scan", r, t) });
  const scan = scanner.result();

  const real = bootFor(scan, cfg.ranges);
  const attribution = new StackAttribution(real.nrPfns);
  const whatIf = cfg.whatIf ?? true;
  const model = whatIf ? new ModelChoice(bootFor(scan, cfg.ranges), real.nrPfns) : null;
  const replay = new TraceReplay(real, { checkEvery: cfg.checkEvery ?? 1024, attribution, observer: model });
  let notPlaced = 0;
  for (const [pfn, order] of scan.preexisting) if (!replay.placePreexisting(pfn, order)) notPlaced++;
  replay.counters.unplaceable += notPlaced;

  const samples = Math.max(1, cfg.samples ?? 100);
  const span = Math.max(1, scan.lastNs - scan.firstNs);
  const step = span / samples;
  let next = scan.firstNs;
  const realSeries: FragmentationSample[] = [];
  const modelSeries: FragmentationSample[] = [];
  const liveSnapshots: Float64Array[] = [];
  const allocSnapshots: Float64Array[] = [];
  const freeSnapshots: Float64Array[] = [];
  const sample = (ts: number): void => {
    realSeries.push(sampleFragmentation(real, replay.allocMt, ts, replay.counters.events));
    if (model !== null) modelSeries.push(sampleFragmentation(model.model, model.allocMt, ts, replay.counters.events));
    liveSnapshots.push(attribution.live.slice(0, attribution.size));
    allocSnapshots.push(attribution.allocs.slice(0, attribution.size));
    freeSnapshots.push(attribution.frees.slice(0, attribution.size));
  };
  const stats = await readTrace(
    path,
    (ev) => {
      if (replay.counters.events >= limit) return;
      while (ev.tsNs >= next && realSeries.length < samples) {
        sample(next);
        next += step;
      }
      replay.apply(ev);
    },
    { ...readOpts, onProgress: (r, t) => cfg.onProgress?.("replay", r, t) },
  );
  replay.checkAll(null);
  sample(scan.lastNs);

  const top = cfg.topStacks ?? 10;
  const byPeakLive: StackSeriesRow[] = attribution
    .top(top, (r) => r.peakLivePages)
    .map((r) => ({
      ...r,
      liveSeries: liveSnapshots.map((s) => s[r.index] ?? 0),
      allocSeries: allocSnapshots.map((s) => s[r.index] ?? 0),
      freeSeries: freeSnapshots.map((s) => s[r.index] ?? 0),
    }));
  const byFragmenting = attribution.top(top, (r) => r.fragmentingFallbacks).filter((r) => r.fragmentingFallbacks > 0);
  const zones: { name: string; managed: number }[] = [];
  for (let z = 0; z < real.zones.length; z++) if (real.zoneManagedPages(z) > 0) zones.push({ name: real.zoneName(z), managed: real.zoneManagedPages(z) });
  const { preexisting, ...scanRest } = scan;
  return {
    trace: stats,
    scan: { ...scanRest, preexistingBlocks: preexisting.length },
    machine: { startPfn: real.startPfn, endPfn: real.endPfn, zones },
    counters: replay.counters,
    model: model?.counters ?? null,
    series: { real: realSeries, model: model === null ? null : modelSeries },
    stacks: { distinct: attribution.size - 1, byPeakLive, byFragmenting },
    buddyinfo: { real: real.buddyinfo(), model: model?.model.buddyinfo() ?? null },
  };
}

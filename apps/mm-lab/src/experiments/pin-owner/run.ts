/**
 * One run of the pin-owner experiment per policy, on identical workloads (same seed, the tracer
 * takes no randomness and its stack depot draws from its own page source, so the machine sees the
 * same allocations under every policy).
 */
import { MR_CONTIG_RANGE, type Pfn } from "@mm/api";
import { createPageExt } from "@mm/page-ext";
import {
  createTraceAll,
  createTraceUnref,
  type EventList,
  type EventSink,
  failedPfns,
  findHolders,
  flagsWordOf,
  formatHolderReport,
  ftraceRing,
  type HolderReport,
  pagePinnerRing,
  registerTraceUnrefClient,
  type RenderContext,
  TRACE_BUF_SIZE_DEFAULT,
} from "@mm/pin-owner";
import { createStackDepot } from "@mm/stackdepot";
import { CULPRIT_FUNCTION, PinOwnerWorld, type WorkloadConfig } from "./workload.js";

/** One row of the comparison: a tracing mechanism and where its events go. */
export interface PolicySpec {
  readonly id: string;
  readonly label: string;
  readonly tracer: "none" | "flagged" | "all";
  readonly sink: "ftrace" | "page_pinner";
  readonly bufferKb?: number;
  readonly traceGets?: boolean;
  /** trace-all: only pfns in the CMA area. */
  readonly cmaOnly?: boolean;
}

export interface PinOwnerConfig extends WorkloadConfig {
  /** Workload operations per simulated second. */
  readonly opsPerSec: number;
  readonly pinAtMs: number;
  readonly failAtMs: number;
  readonly releaseAtMs: number;
  /** When the user reads the buffers. */
  readonly lookAtMs: number;
  /** The big ftrace buffer ("increased the buffer size a lot"). */
  readonly bigBufferKb: number;
  /** Measure wall time per put (not deterministic). */
  readonly timing: boolean;
}

export const DEFAULT_CONFIG: PinOwnerConfig = {
  seed: 1,
  memoryMb: 1024,
  cmaDivisor: 8,
  cachePercent: 75,
  anonPercent: 15,
  cmaAllocPages: 1024,
  opsPerSec: 100_000,
  pinAtMs: 200,
  failAtMs: 500,
  releaseAtMs: 2000,
  lookAtMs: 15_000,
  bigBufferKb: 16 * (TRACE_BUF_SIZE_DEFAULT / 1024),
  timing: false,
};

export function policies(config: PinOwnerConfig): PolicySpec[] {
  const kb = TRACE_BUF_SIZE_DEFAULT / 1024;
  return [
    { id: "unref-ftrace", label: "trace-unref (RFC v2)", tracer: "flagged", sink: "ftrace", bufferKb: kb },
    { id: "unref-gets-ftrace", label: "trace-unref + gets (review)", tracer: "flagged", sink: "ftrace", bufferKb: kb, traceGets: true },
    { id: "unref-pinner", label: "trace-unref (Android page_pinner)", tracer: "flagged", sink: "page_pinner" },
    { id: "all-ftrace", label: "every unref, all pages", tracer: "all", sink: "ftrace", bufferKb: kb },
    { id: "all-cma-ftrace", label: "every unref, CMA pages", tracer: "all", sink: "ftrace", bufferKb: kb, cmaOnly: true },
    { id: "all-cma-big", label: "every unref, CMA pages, big buffer", tracer: "all", sink: "ftrace", bufferKb: config.bigBufferKb, cmaOnly: true },
  ];
}

export interface PolicyResult {
  readonly id: string;
  readonly label: string;
  readonly sink: string;
  /** Buffer size in bytes. */
  readonly bufferBytes: number;
  /** Simulated seconds the tracer was on. */
  readonly seconds: number;
  readonly puts: number;
  readonly gets: number;
  readonly events: number;
  readonly bytes: number;
  readonly eventsPerSec: number;
  readonly bytesPerSec: number;
  /** Events lost to overwrite (ftrace: stack entries not counted). */
  readonly lost: number;
  /** Seconds of events the buffer holds at this rate. */
  readonly historySeconds: number;
  /** The failure of the pinned pfn is still in the buffer (the join can start). */
  readonly failureInBuffer: boolean;
  /** The driver's put, with its stack, is still in the buffer. */
  readonly culpritInBuffer: boolean;
  /** Puts the user has to look at as possible holders of the page. */
  readonly candidates: number;
  /** Puts recognised as temporary references (gets traced). */
  readonly temporary: number;
  /** Bytes the buffer took in after the culprit's put: a buffer smaller than this lost it. */
  readonly bytesAfterCulprit: number;
  /** Stacks captured per put (stack walk + depot lookup). */
  readonly stacksPerPut: number;
  readonly bytesPerPut: number;
  /** page_ext bytes of the feature when page_ext was not already on. */
  readonly pageExtBytes: number;
  /** Extra page_ext bytes when page_owner already has page_ext on (shares the flags word). */
  readonly pageExtExtraWithOwner: number;
  /** Stack depot bytes the run's stacks took. */
  readonly depotBytes: number;
  /** Wall ns per put beyond the untraced run (with timing only). */
  readonly extraNsPerPut: number | null;
  readonly cmaResult: number;
}

/** page_ext accounting of a policy over the machine's memory, with and without page_owner on. */
function pageExtCost(world: PinOwnerWorld, spec: PolicySpec): { alone: number; extraWithOwner: number } {
  if (spec.tracer !== "flagged") return { alone: 0, extraWithOwner: 0 };
  const ranges = world.machine.ranges;
  const payload = spec.sink === "page_pinner" ? pagePinnerRing().pageExtPayloadBytes : 0;
  const alone = createPageExt({ ranges });
  registerTraceUnrefClient(alone, { enabled: true, payloadBytes: payload });
  alone.init();
  const owner = { name: "page_owner", size: 64, needSharedFlags: true, fields: {}, need: () => true };
  const both = createPageExt({ ranges });
  both.register(owner);
  registerTraceUnrefClient(both, { enabled: true, payloadBytes: payload });
  both.init();
  const ownerOnly = createPageExt({ ranges });
  ownerOnly.register(owner);
  ownerOnly.init();
  return { alone: alone.totalUsage, extraWithOwner: both.totalUsage - ownerOnly.totalUsage };
}

function stackHas(list: EventList, i: number, depotFrames: (h: number) => ArrayLike<number>, symbolize: (id: number) => string, fn: string): boolean {
  const h = list.handle[i];
  if (h === 0) return false;
  const frames = depotFrames(h);
  for (let f = 0; f < frames.length; f++) if (symbolize(frames[f]).startsWith(`${fn}+`)) return true;
  return false;
}

interface Armed {
  readonly spec: PolicySpec;
  readonly sink: EventSink;
  readonly tracer: ReturnType<typeof createTraceUnref> | ReturnType<typeof createTraceAll>;
  readonly depot: ReturnType<typeof createStackDepot>;
  bytesAtCulprit: number;
}

/** Result of one pass of the workload with some tracers attached. */
export interface PassDetail {
  readonly results: PolicyResult[];
  /** Holder reports for the pinned page, by policy id. */
  readonly holderText: ReadonlyMap<string, string>;
  /** The sink's file (tracefs `trace`, page_pinner `buffer`) as the user reads it, by policy id. */
  readonly bufferText: ReadonlyMap<string, string>;
  readonly world: PinOwnerWorld;
  /** Wall time of the traced part of the run. */
  readonly wallMs: number;
}

/**
 * Run the workload once with one tracer per spec attached side by side (each with its own sink,
 * page_ext flags word and stack depot), and measure each. The tracers do not change what the
 * machine does, so every policy sees the very same puts.
 */
export function runPass(config: PinOwnerConfig, specs: readonly PolicySpec[]): PassDetail {
  const world = new PinOwnerWorld(config);
  const { sim, machine } = world;
  world.fill();
  // Tracing starts here (t0): the boot fill is not part of the comparison.
  const t0 = sim.now();
  const armed: Armed[] = [];
  for (const spec of specs) {
    if (spec.tracer === "none") continue;
    const depot = createStackDepot({ memoryBytes: config.memoryMb << 20 });
    const sink = spec.sink === "page_pinner" ? pagePinnerRing() : ftraceRing({ bufferSizeKb: spec.bufferKb ?? TRACE_BUF_SIZE_DEFAULT / 1024 });
    const common = { tasks: sim, clock: sim, pages: world, depot, sink };
    let tracer: Armed["tracer"];
    if (spec.tracer === "flagged") {
      const pe = createPageExt({ ranges: machine.ranges });
      const client = registerTraceUnrefClient(pe, { enabled: true, payloadBytes: sink.pageExtPayloadBytes });
      pe.init();
      tracer = createTraceUnref({ ...common, flags: flagsWordOf(client), reasons: ["contig_range"], traceGets: spec.traceGets ?? false });
    } else {
      tracer = createTraceAll({
        ...common,
        traceGets: spec.traceGets ?? false,
        pfnRange: spec.cmaOnly === true ? { startPfn: world.cmaStart, endPfn: world.cmaEnd } : null,
      });
    }
    tracer.attach((h) => machine.addHooks(h));
    armed.push({ spec, sink, tracer, depot, bytesAtCulprit: 0 });
  }
  const ms = 1_000_000;
  const putsAt0 = world.counts.puts;
  const getsAt0 = world.counts.gets;
  let cmaResult = 0;
  sim.schedule(config.pinAtMs * ms, () => {
    world.pin();
  });
  sim.schedule(config.failAtMs * ms, () => {
    cmaResult = world.cmaAlloc().ret;
  });
  sim.schedule(config.releaseAtMs * ms, () => {
    world.unpin();
    for (const a of armed) a.bytesAtCulprit = a.sink.stats().bytesWritten;
  });
  const prng = sim.prng.fork("pin-owner/arrivals");
  const meanNs = 1e9 / config.opsPerSec;
  const end = t0 + config.lookAtMs * ms;
  const wall0 = performance.now();
  let t = t0;
  for (;;) {
    t += Math.max(1, Math.round(prng.exponential(meanNs)));
    if (t > end) break;
    sim.runUntil(t);
    world.step();
  }
  sim.runUntil(end);
  const wallMs = performance.now() - wall0;

  const puts = world.counts.puts - putsAt0;
  const gets = world.counts.gets - getsAt0;
  const seconds = (end - t0) / 1e9;
  const pinned = world.pinned;
  const results: PolicyResult[] = [];
  const holderText = new Map<string, string>();
  const bufferText = new Map<string, string>();
  for (const { spec, sink, tracer, depot, bytesAtCulprit } of armed) {
    const st = sink.stats();
    const ts = tracer.stats();
    const list = sink.snapshot();
    let report: HolderReport | null = null;
    let culpritInBuffer = false;
    if (pinned >= 0) {
      const ctx: RenderContext = { symbols: sim.symbols, fetchStack: (h) => depot.fetchFrames(h), comm: (pid) => tracer.comm(pid), reasonNames: tracer.reasonNames };
      report = findHolders(list, pinned);
      for (const h of report.held) {
        if (stackHas(list, h.index, (x) => depot.fetchFrames(x), (id) => sim.symbols.symbolize(id), CULPRIT_FUNCTION)) culpritInBuffer = true;
      }
      holderText.set(spec.id, formatHolderReport(report, list, ctx));
      // Only the flagged sinks are small enough to print.
      if (spec.tracer === "flagged") bufferText.set(spec.id, sink.render(ctx));
    }
    const pe = pageExtCost(world, spec);
    const bytes = st.bytesWritten;
    // Events the sink took (ftrace's stack entries belong to their event and are not counted).
    const events = st.offered - st.unsupported;
    results.push({
      id: spec.id,
      label: spec.label,
      sink: sink.name,
      bufferBytes: st.capacityBytes,
      seconds,
      puts,
      gets,
      events,
      bytes,
      eventsPerSec: events / seconds,
      bytesPerSec: bytes / seconds,
      lost: st.lostEvents,
      historySeconds: bytes === 0 ? Infinity : st.capacityBytes / (bytes / seconds),
      failureInBuffer: pinned >= 0 && failedPfns(list, MR_CONTIG_RANGE).includes(pinned),
      culpritInBuffer,
      candidates: report?.held.length ?? 0,
      temporary: report?.temporary.length ?? 0,
      bytesAfterCulprit: bytes - bytesAtCulprit,
      stacksPerPut: puts === 0 ? 0 : ts.stacks / puts,
      bytesPerPut: puts === 0 ? 0 : bytes / puts,
      pageExtBytes: pe.alone,
      pageExtExtraWithOwner: pe.extraWithOwner,
      depotBytes: depot.stats().totalBytes,
      extraNsPerPut: null,
      cmaResult,
    });
  }
  return { results, holderText, bufferText, world, wallMs };
}

export interface PinOwnerResult {
  readonly config: PinOwnerConfig;
  readonly pinned: Pfn;
  readonly cmaStart: Pfn;
  readonly cmaEnd: Pfn;
  readonly rows: readonly PolicyResult[];
  /** What the flagged-page approach tells the user about the pinned page. */
  readonly holderText: string;
  /** tracefs `trace` of trace-unref (RFC v2) at the look. */
  readonly traceText: string;
  /** /sys/kernel/debug/page_pinner/buffer at the look. */
  readonly pinnerText: string;
}

/** Wall-clock passes per policy with `timing`; the fastest counts (the machine may be shared). */
const TIMING_REPS = 2;

/**
 * Every policy on one workload pass; with `timing`, also passes of each policy alone and untraced
 * ones, for the wall-clock cost per put (the fastest of TIMING_REPS each).
 */
export function runPinOwner(config: PinOwnerConfig, onProgress?: (done: number, total: number) => void): PinOwnerResult {
  const specs = policies(config);
  const total = config.timing ? 1 + (specs.length + 1) * TIMING_REPS : 1;
  const pass = runPass(config, specs);
  let done = 1;
  onProgress?.(done, total);
  let rows = pass.results;
  if (config.timing) {
    const fastest = (s: readonly PolicySpec[]): number => {
      let best = Infinity;
      for (let i = 0; i < TIMING_REPS; i++) {
        best = Math.min(best, runPass(config, s).wallMs);
        onProgress?.(++done, total);
      }
      return best;
    };
    const base = fastest([]);
    rows = rows.map((r, i) => {
      const wall = fastest([specs[i]]);
      return { ...r, extraNsPerPut: r.puts === 0 ? null : ((wall - base) * 1e6) / r.puts };
    });
  }
  return {
    config,
    pinned: pass.world.pinned,
    cmaStart: pass.world.cmaStart,
    cmaEnd: pass.world.cmaEnd,
    rows,
    holderText: pass.holderText.get("unref-gets-ftrace") ?? "",
    traceText: pass.bufferText.get("unref-ftrace") ?? "",
    pinnerText: pass.bufferText.get("unref-pinner") ?? "",
  };
}

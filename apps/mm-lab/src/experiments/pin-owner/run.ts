/**
 * One pass of the pin-owner workload with every tracing policy attached side by side (each with its
 * own sinks, page_ext flags word and stack depot; the tracers take no randomness, so the machine
 * sees the same allocations under every policy), read by the user at one or more times.
 */
import { createPageExt } from "@mm/page-ext";
import {
  concatEventLists,
  createTraceAll,
  createTraceUnref,
  type EventList,
  type EventSink,
  findHolders,
  flagsWordOf,
  pagePinnerRing,
  type PercpuFtrace,
  percpuFtrace,
  registerTraceUnrefClient,
  type RenderContext,
  type TraceAll,
  type TraceUnref,
  TRACE_BUF_SIZE_DEFAULT,
  EV_FAIL,
} from "@mm/pin-owner";
import { createStackDepot } from "@mm/stackdepot";
import { CULPRIT_FUNCTION, PinOwnerWorld, type WorkloadConfig } from "./workload.js";

/** One tracing setup: a mechanism and where its events go. */
export interface PolicySpec {
  readonly id: string;
  readonly label: string;
  readonly tracer: "flagged" | "all";
  readonly sink: "ftrace" | "page_pinner";
  /** RFC v2 as posted: every failure sets the flag, the reason filter only hides the event. */
  readonly rfcV2?: boolean;
  readonly traceGets?: boolean;
  /** trace-all: a draining reader (trace-cmd record) empties each CPU's ring at buffer_percent. */
  readonly record?: boolean;
  /** trace-all: rewrite the page_ref filter to the failed pfns `refilterDelayMs` after a failure. */
  readonly refilter?: boolean;
  /** Override of the config's per-CPU buffer and CPU count (the map varies them). */
  readonly bufferKb?: number;
  readonly nrCpus?: number;
}

export interface PinOwnerConfig extends WorkloadConfig {
  /** Workload operations per simulated second. */
  readonly opsPerSec: number;
  readonly pinAtMs: number;
  /** The first cma_alloc over the driver's buffer. */
  readonly failAtMs: number;
  /** The camera retries its allocation this often while it fails. */
  readonly cmaRetryMs: number;
  readonly releaseAtMs: number;
  /** When the user reads the buffers. */
  readonly readAtMs: number;
  /** buffer_size_kb: per CPU. */
  readonly bufferKb: number;
  /** Reads of the driver's pages by another task, per second, each holding its reference. */
  readonly hotReadsPerSec: number;
  readonly hotHoldMs: number;
  /** Delay from a failure to the user's script rewriting the page_ref filter. */
  readonly refilterDelayMs: number;
  /** Measure wall time per put (not deterministic). */
  readonly timing: boolean;
}

/** Defaults, each with its reason. */
export const DEFAULT_CONFIG: PinOwnerConfig = {
  seed: 1,
  memoryMb: 1024,
  // "the CMA size is 1/8 of the system" (Minchan, seed 001).
  cmaDivisor: 8,
  // Page cache 75 % / anonymous 15 % of RAM: a phone after boot with apps cached (model choice).
  cachePercent: 75,
  anonPercent: 15,
  // 4 MiB: one camera buffer (model choice; the failure does not depend on it).
  cmaAllocPages: 1024,
  // A driver buffer of 4 pages: several armed pages per failure (model choice).
  nrPins: 4,
  // A phone SoC: 4 little + 4 big cores.
  nrCpus: 8,
  // 100k operations/s gives ~150k puts/s, in the range a busy phone shows (model choice; puts/s is
  // printed so the rate can be compared; the map's read time axis is what it scales).
  opsPerSec: 100_000,
  pinAtMs: 200,
  failAtMs: 500,
  // The camera HAL retries once a second (model choice).
  cmaRetryMs: 1000,
  releaseAtMs: 2000,
  readAtMs: 6000,
  // TRACE_BUF_SIZE_DEFAULT: 1408 KB per CPU.
  bufferKb: TRACE_BUF_SIZE_DEFAULT / 1024,
  // A composer reading the driver's buffer at 20 Hz, holding each reference ~30 ms (model choice:
  // what makes another task's get open at the driver's put).
  hotReadsPerSec: 20,
  hotHoldMs: 30,
  // A script on the failure instance's trace_pipe rewrites the filter within a second (model choice).
  refilterDelayMs: 1000,
  timing: false,
};

/** tracefs buffer_percent: a reader blocked on a CPU's ring is woken when it is this full (default 50). */
export const BUFFER_PERCENT = 50;
/** How often the model checks the rings for a reader to wake (a model tick, far below a ring's fill time). */
const RECORD_TICK_MS = 10;

export function policies(): PolicySpec[] {
  return [
    { id: "rfc-v2", label: "RFC v2 as posted", tracer: "flagged", sink: "ftrace", rfcV2: true },
    { id: "unref-gets", label: "trace-unref + gets (review)", tracer: "flagged", sink: "ftrace", traceGets: true },
    { id: "pinner", label: "page_pinner (Android)", tracer: "flagged", sink: "page_pinner" },
    { id: "ref-cma", label: "page_ref, CMA pfns", tracer: "all", sink: "ftrace" },
    { id: "ref-cma-rec", label: "page_ref, CMA, trace-cmd rec", tracer: "all", sink: "ftrace", record: true },
    { id: "ref-refilter", label: "page_ref, CMA, re-filter", tracer: "all", sink: "ftrace", refilter: true },
  ];
}

/** What the user finds at one read. */
export interface ReadResult {
  readonly id: string;
  readonly label: string;
  readonly readAtMs: number;
  readonly bufferKb: number;
  readonly nrCpus: number;
  /** Bytes of buffer memory (all CPUs, plus the failure instance). */
  readonly bufferBytes: number;
  /** Driver pages whose failure event is in what the user reads. */
  readonly failuresFound: number;
  /** Driver pages whose driver put (with its stack) the join labels held / ambiguous. */
  readonly culpritHeld: number;
  readonly culpritAmbiguous: number;
  /** Driver pages whose driver put is gone (or was never joined: no failure event). */
  readonly culpritMissing: number;
  readonly pins: number;
  /** Puts of the driver's pages the join offers as possible holders (held + ambiguous). */
  readonly candidates: number;
  /** Events lost to overwrite so far (stack entries not counted). */
  readonly lostEvents: number;
  /** Age of the oldest event the user can trust as complete: read time minus the newest CPU's loss horizon. */
  readonly completeWindowMs: number;
  /** Age of the oldest resident event on any CPU. */
  readonly oldestAgeMs: number;
  readonly eventsPerSec: number;
  readonly bytesPerSec: number;
  /** Bytes a draining reader wrote to its file. */
  readonly fileBytes: number;
  readonly putsPerSec: number;
  readonly cmaResult: number;
  readonly cmaAttempts: number;
}

interface Armed {
  readonly spec: PolicySpec;
  readonly sink: EventSink;
  readonly failSink: PercpuFtrace | null;
  readonly tracer: TraceUnref | TraceAll;
  readonly depot: ReturnType<typeof createStackDepot>;
  readonly bufferKb: number;
  readonly nrCpus: number;
  /** trace-cmd record's file: what the join reads (only the driver's pfns and failures are kept). */
  readonly file: EventList[];
}

function asPercpu(s: EventSink): PercpuFtrace | null {
  return "rings" in s ? (s as PercpuFtrace) : null;
}

function stackHas(handle: number, fetch: (h: number) => ArrayLike<number>, symbolize: (id: number) => string): boolean {
  if (handle === 0) return false;
  const frames = fetch(handle);
  for (let f = 0; f < frames.length; f++) if (symbolize(frames[f]).startsWith(`${CULPRIT_FUNCTION}+`)) return true;
  return false;
}

/**
 * Keep the records of the driver's pfns and the failures: the join reads nothing else, so the
 * result is the one the whole file gives, without holding millions of records in memory.
 */
function keepForJoin(list: EventList, keep: Uint8Array): EventList {
  const idx: number[] = [];
  for (let i = 0; i < list.length; i++) if (list.kind[i] === EV_FAIL || keep[list.pfn[i]] === 1) idx.push(i);
  return subset(list, idx);
}

function subset(list: EventList, idx: readonly number[]): EventList {
  const pick = <T extends { [k: number]: number; length: number }>(a: T, make: (n: number) => T): T => {
    const o = make(idx.length);
    for (let j = 0; j < idx.length; j++) o[j] = a[idx[j]];
    return o;
  };
  return {
    length: idx.length,
    kind: pick(list.kind, (n) => new Uint8Array(n)),
    pfn: pick(list.pfn, (n) => new Float64Array(n)),
    flags: pick(list.flags, (n) => new Uint32Array(n)),
    count: pick(list.count, (n) => new Int32Array(n)),
    mapcount: pick(list.mapcount, (n) => new Int32Array(n)),
    mapping: pick(list.mapping, (n) => new Uint32Array(n)),
    mt: pick(list.mt, (n) => new Uint8Array(n)),
    zone: pick(list.zone, (n) => new Uint8Array(n)),
    handle: pick(list.handle, (n) => new Uint32Array(n)),
    pid: pick(list.pid, (n) => new Int32Array(n)),
    ts: pick(list.ts, (n) => new Float64Array(n)),
    reason: pick(list.reason, (n) => new Int32Array(n)),
    err: pick(list.err, (n) => new Int32Array(n)),
  };
}

/** Result of one pass. */
export interface PassDetail {
  /** By read time (in the order given), then by spec. */
  readonly reads: ReadResult[][];
  readonly world: PinOwnerWorld;
  /** The `trace` file / page_pinner buffer of the flagged policies at the last read, by id. */
  readonly bufferText: ReadonlyMap<string, string>;
  /** findHolders' report of the driver's first page at the last read, by id. */
  readonly holderText: ReadonlyMap<string, string>;
  readonly wallMs: number;
}

/** How many progress ticks a pass reports (`runPass`'s onTick). */
export const PASS_TICKS = 100;

/**
 * Run the workload once with the given setups attached and read them at `readsAtMs` (sorted,
 * each > releaseAtMs is not required). Reading does not consume (the `trace` file).
 */
export function runPass(
  config: PinOwnerConfig,
  specs: readonly PolicySpec[],
  readsAtMs: readonly number[] = [config.readAtMs],
  onTick?: () => void,
): PassDetail {
  const world = new PinOwnerWorld(config);
  const { sim, machine } = world;
  world.fill();
  const t0 = sim.now();
  const ms = 1_000_000;
  const armed: Armed[] = [];
  for (const spec of specs) {
    const nrCpus = spec.nrCpus ?? config.nrCpus;
    // The workload draws CPUs from config.nrCpus; a setup with fewer folds them (the map's 1-CPU row).
    const cpuOf = (): number => world.cpu % nrCpus;
    const bufferKb = spec.bufferKb ?? config.bufferKb;
    // stack_hash_order follows totalram: the capture's with --from
    const depot = createStackDepot({ memoryBytes: config.from != null ? machine.totalramPages() * 4096 : config.memoryMb << 20 });
    const sink: EventSink = spec.sink === "page_pinner" ? pagePinnerRing() : percpuFtrace({ nrCpus, bufferSizeKb: bufferKb, cpuOf });
    // trace-all as a developer runs it: the failure event in its own instance (instances/fail).
    const failSink = spec.tracer === "all" ? percpuFtrace({ nrCpus, bufferSizeKb: TRACE_BUF_SIZE_DEFAULT / 1024, cpuOf, instance: "fail" }) : null;
    const common = { tasks: sim, clock: sim, pages: world, depot, sink, failSink };
    let tracer: TraceUnref | TraceAll;
    if (spec.tracer === "flagged") {
      const pe = createPageExt({ ranges: machine.ranges });
      const client = registerTraceUnrefClient(pe, { enabled: true, payloadBytes: sink.pageExtPayloadBytes });
      pe.init();
      tracer = createTraceUnref({
        ...common,
        flags: flagsWordOf(client),
        reasons: ["contig_range"],
        traceGets: spec.traceGets ?? false,
        reasonFilterMode: spec.rfcV2 === true ? "event" : "arm",
        dynamicKey: spec.rfcV2 !== true,
      });
    } else {
      tracer = createTraceAll({ ...common, traceGets: spec.traceGets ?? false, pfnRange: { startPfn: world.cmaStart, endPfn: world.cmaEnd } });
    }
    tracer.attach((h) => machine.addHooks(h));
    armed.push({ spec, sink, failSink, tracer, depot, bufferKb, nrCpus, file: [] });
  }

  // The machine's story: the driver pins its buffer, the camera's allocation over it fails and is
  // retried, a composer reads the buffer, the driver lets go.
  let cmaResult = 0;
  let cmaAttempts = 0;
  let cmaDone = false;
  sim.schedule(config.pinAtMs * ms, () => {
    world.pin();
  });
  const tryCma = (): void => {
    if (cmaDone) return;
    cmaAttempts++;
    const r = world.cmaAlloc();
    cmaResult = r.ret;
    if (r.ret === 0) cmaDone = true;
    else sim.schedule(config.cmaRetryMs * ms, tryCma);
  };
  sim.schedule(config.failAtMs * ms, tryCma);
  sim.schedule(config.releaseAtMs * ms, () => world.unpin());
  const hotPrng = sim.prng.fork("pin-owner/hot");
  if (config.hotReadsPerSec > 0) {
    const hot = (): void => {
      world.hotRead(Math.max(1, Math.round(hotPrng.exponential(config.hotHoldMs * ms))));
      sim.schedule(Math.max(1, Math.round(hotPrng.exponential(1e9 / config.hotReadsPerSec))), hot);
    };
    sim.schedule(Math.round(hotPrng.exponential(1e9 / config.hotReadsPerSec)), hot);
  }
  // David's re-filter: a script sees the failure in the failure instance and narrows page_ref.
  for (const a of armed) {
    if (a.spec.refilter !== true || a.failSink === null) continue;
    const fs = a.failSink;
    const tr = a.tracer as TraceAll;
    let seen = 0;
    const poll = (): void => {
      const n = fs.stats().offered;
      if (n > seen) {
        seen = n;
        const list = fs.snapshot();
        const pfns = new Set<number>(tr.refilteredPfns ?? []);
        for (let i = 0; i < list.length; i++) if (list.kind[i] === EV_FAIL) pfns.add(list.pfn[i]);
        sim.schedule(config.refilterDelayMs * ms, () => tr.refilter([...pfns]));
      }
      sim.schedule(RECORD_TICK_MS * ms, poll);
    };
    sim.schedule(RECORD_TICK_MS * ms, poll);
  }
  // trace-cmd record: wake on a CPU's ring at buffer_percent, drain it to the file.
  for (const a of armed) {
    if (a.spec.record !== true) continue;
    const pc = asPercpu(a.sink);
    if (pc === null) continue;
    const last = pc.rings.map(() => 0);
    const tick = (): void => {
      for (let c = 0; c < pc.rings.length; c++) {
        const r = pc.rings[c];
        const st = r.stats();
        if (st.bytesWritten - last[c] >= (st.capacityBytes * BUFFER_PERCENT) / 100) {
          last[c] = st.bytesWritten;
          a.file.push(keepForJoin(r.consume(), world.everPinned));
        }
      }
      sim.schedule(RECORD_TICK_MS * ms, tick);
    };
    sim.schedule(RECORD_TICK_MS * ms, tick);
  }

  const putsAt0 = world.counts.puts;
  const prng = sim.prng.fork("pin-owner/arrivals");
  const meanNs = 1e9 / config.opsPerSec;
  const reads = [...readsAtMs].sort((x, y) => x - y);
  const wall0 = performance.now();
  let t = t0;
  let next = -1;
  const out: ReadResult[][] = [];
  const bufferText = new Map<string, string>();
  const holderText = new Map<string, string>();
  // onTick fires PASS_TICKS times over the simulated span up to the last read (a progress bar).
  const tickNs = ((reads[reads.length - 1] ?? 0) * ms) / PASS_TICKS;
  let nextTick = t0 + tickNs;
  for (let ri = 0; ri < reads.length; ri++) {
    const end = t0 + reads[ri] * ms;
    // An arrival past this read stays pending for the next segment, so reading changes nothing.
    for (;;) {
      if (next < 0) next = t + Math.max(1, Math.round(prng.exponential(meanNs)));
      if (next > end) break;
      t = next;
      next = -1;
      sim.runUntil(t);
      world.step();
      if (onTick !== undefined && t >= nextTick) {
        nextTick += tickNs;
        onTick();
      }
    }
    sim.runUntil(end);
    const seconds = (end - t0) / 1e9;
    const puts = world.counts.puts - putsAt0;
    const row: ReadResult[] = [];
    for (const a of armed) {
      const r = readOne(a, world, t0, end, seconds, puts, cmaResult, cmaAttempts);
      row.push(r.result);
      if (ri === reads.length - 1) {
        if (a.spec.tracer === "flagged") bufferText.set(a.spec.id, a.sink.render(r.ctx));
        holderText.set(a.spec.id, r.holderText);
      }
    }
    out.push(row);
  }
  return { reads: out, world, bufferText, holderText, wallMs: performance.now() - wall0 };
}

function readOne(
  a: Armed,
  world: PinOwnerWorld,
  t0: number,
  now: number,
  seconds: number,
  puts: number,
  cmaResult: number,
  cmaAttempts: number,
): { result: ReadResult; ctx: RenderContext; holderText: string } {
  const { sim } = world;
  const st = a.sink.stats();
  const parts: EventList[] = [...a.file, a.sink.snapshot()];
  if (a.failSink !== null) parts.push(a.failSink.snapshot());
  const list = a.file.length === 0 && a.failSink === null ? parts[parts.length - 1] : concatEventLists(parts);
  const fetch = (h: number): ArrayLike<number> => a.depot.fetchFrames(h);
  const symbolize = (id: number): string => sim.symbols.symbolize(id);
  const ctx: RenderContext = { symbols: sim.symbols, fetchStack: fetch, comm: (pid) => a.tracer.comm(pid), reasonNames: a.tracer.reasonNames };
  let failuresFound = 0;
  let held = 0;
  let ambiguous = 0;
  let candidates = 0;
  let pins = 0;
  let holderText = "";
  const failed = new Set<number>();
  for (let i = 0; i < list.length; i++) if (list.kind[i] === EV_FAIL) failed.add(list.pfn[i]);
  for (let p = 0; p < world.everPinned.length; p++) {
    if (world.everPinned[p] !== 1) continue;
    pins++;
    if (!failed.has(p)) continue;
    failuresFound++;
    const rep = findHolders(list, p);
    candidates += rep.held.length + rep.ambiguous.length;
    if (rep.held.some((h) => stackHas(h.handle, fetch, symbolize))) held++;
    else if (rep.ambiguous.some((h) => stackHas(h.handle, fetch, symbolize))) ambiguous++;
    if (holderText === "") holderText = `${rep.held.length} held, ${rep.ambiguous.length} ambiguous, ${rep.temporary.length} temporary puts of pfn 0x${p.toString(16)}`;
  }
  // Loss horizon: a CPU that has lost events only covers back to its oldest resident one.
  let horizon = t0;
  let oldest = now;
  const pc = asPercpu(a.sink);
  if (pc !== null) {
    const o = pc.oldestTsPerCpu();
    for (let c = 0; c < pc.rings.length; c++) {
      if (o[c] >= 0 && o[c] < oldest) oldest = o[c];
      if (pc.rings[c].stats().lost > 0) horizon = Math.max(horizon, o[c] < 0 ? now : o[c]);
    }
    // The file holds everything drained since the start.
    if (a.spec.record === true) oldest = t0;
  } else {
    const snap = a.sink.snapshot();
    if (snap.length > 0) oldest = snap.ts[0];
    if (st.lost > 0) horizon = snap.length > 0 ? snap.ts[0] : now;
  }
  const bufferBytes = st.capacityBytes + (a.failSink?.stats().capacityBytes ?? 0);
  const events = st.offered - st.unsupported + (a.failSink?.stats().offered ?? 0);
  return {
    ctx,
    holderText,
    result: {
      id: a.spec.id,
      label: a.spec.label,
      readAtMs: (now - t0) / 1e6,
      bufferKb: a.bufferKb,
      nrCpus: a.nrCpus,
      bufferBytes,
      failuresFound,
      culpritHeld: held,
      culpritAmbiguous: ambiguous,
      culpritMissing: pins - held - ambiguous,
      pins,
      candidates,
      lostEvents: st.lostEvents,
      completeWindowMs: (now - horizon) / 1e6,
      oldestAgeMs: (now - oldest) / 1e6,
      eventsPerSec: events / seconds,
      bytesPerSec: st.bytesWritten / seconds,
      fileBytes: a.spec.record === true ? st.bytesWritten : 0,
      putsPerSec: puts / seconds,
      cmaResult,
      cmaAttempts,
    },
  };
}

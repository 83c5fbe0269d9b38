/**
 * One scenario, one seed: @mm/sim's clock and PRNG, @mm/buddy's memory, the slow-path model of
 * @mm/alloc-watchdog, and every reporting policy watching the same run (reporters only print:
 * they do not change the model, so all policies see the same ground truth).
 */
import { MmError } from "@mm/api";
import { createMachine } from "@mm/buddy";
import type { FromCapture } from "../../from-capture.js";
import { createSim } from "@mm/sim";
import {
  AllocStallModel,
  DEFAULT_HZ,
  DEFAULT_MEMALLOC_TASK_TIMEOUT_SECS,
  DEFAULT_REPORT_BOUND,
  MemallocTable,
  MemallocWatchdog,
  type PolicySummary,
  SLOWPATH_LOOPING,
  SLOWPATH_STATE_NAMES,
  StallLedger,
  summarizeStalls,
  WarnAllocStall,
  type WarnAllocVersion,
} from "@mm/alloc-watchdog";
import { buddyStallAllocator } from "./allocator.js";
import type { Scenario } from "./scenarios.js";

/** CONFIG_HZ of the runs: @mm/alloc-watchdog's default (HZ_250, the Kconfig default). */
export const HZ = DEFAULT_HZ;

/** The reporting policies compared, in table order. */
export interface PolicySpec {
  readonly name: string;
  readonly kind: "warn_alloc" | "kmallocwd";
  readonly timeoutSecs?: number;
  readonly bounded?: boolean;
  /**
   * warn_alloc by release (@mm/alloc-watchdog's WARN_ALLOC_VERSIONS, read in each release's
   * mm/page_alloc.c): 4.9–4.10 check after reclaim and honour __GFP_NOWARN; 4.11 checks before
   * reclaim (9a67f6488eca) and prints the nodemask and cpuset lines; 4.12–4.14 also pass
   * gfp_mask & ~__GFP_NOWARN (822519634142).
   */
  readonly version?: WarnAllocVersion;
}

/**
 * The policies, in table order. Like with like: kmallocwd at its default timeout (60 s) and at
 * warn_alloc's own threshold (10 s), both always shown; the bounded report at 10 s.
 */
export const POLICIES: readonly PolicySpec[] = [
  { name: "warn_alloc v4.9-4.10", kind: "warn_alloc", version: "4.9" },
  { name: "warn_alloc v4.11", kind: "warn_alloc", version: "4.11" },
  { name: "warn_alloc v4.12-4.14", kind: "warn_alloc", version: "4.12" },
  { name: `kmallocwd ${DEFAULT_MEMALLOC_TASK_TIMEOUT_SECS}s (default)`, kind: "kmallocwd", timeoutSecs: DEFAULT_MEMALLOC_TASK_TIMEOUT_SECS },
  { name: "kmallocwd 10s", kind: "kmallocwd", timeoutSecs: 10 },
  { name: "kmallocwd 10s bounded", kind: "kmallocwd", timeoutSecs: 10, bounded: true },
];

export interface PolicyResult extends PolicySummary {
  readonly policy: string;
  /** Lines naming an allocation that ended before it became a stall. */
  readonly earlyReports: number;
  readonly lines: number;
  readonly bytes: number;
  /** dump_stack() / sched_show_task() calls the lines came with (traces not printed here). */
  readonly stackDumps: number;
  /** show_mem() calls. */
  readonly showMems: number;
  /** Largest output of one report (watchdog) or one 10 s window (warn_alloc), bytes. */
  readonly maxBurstBytes: number;
  /** Watchdog hook: stall episodes seen (stallStart calls) and seconds "tracing on". */
  readonly hookEpisodes: number;
  readonly hookOnS: number;
  /** The first lines printed, for the reader. */
  readonly sample: readonly string[];
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly summary: string;
  readonly seed: number;
  readonly durationS: number;
  readonly tasks: number;
  /** Ground truth. */
  readonly stalls: number;
  /** Stalls by where the task stood when it crossed 10 s (looping, io, lock, throttled, oom_notifier). */
  readonly stallsByState: Readonly<Record<string, number>>;
  /** Longest slow-path episode seen, seconds. */
  readonly longestStallS: number;
  readonly oomKills: number;
  readonly model: Readonly<Record<string, number>>;
  readonly policies: readonly PolicyResult[];
}

interface Meter {
  lines: number;
  bytes: number;
  sample: string[];
  /** Bytes per report / window. */
  burst: number;
  maxBurst: number;
}

const SAMPLE_LINES = 6;

function meter(): Meter {
  return { lines: 0, bytes: 0, sample: [], burst: 0, maxBurst: 0 };
}

/** printk's "[%5lu.%06lu] " prefix of a ns timestamp (CONFIG_PRINTK_TIME). */
export function printkTime(ns: number): string {
  const us = Math.floor(ns / 1000);
  const s = Math.floor(us / 1e6);
  return `[${String(s).padStart(5, " ")}.${String(us - s * 1e6).padStart(6, "0")}] `;
}

function sink(m: Meter, now: () => number): (line: string) => void {
  return (line: string) => {
    m.lines++;
    m.bytes += line.length + 1;
    m.burst += line.length + 1;
    if (m.sample.length < SAMPLE_LINES) m.sample.push(printkTime(now()) + line);
  };
}

function closeBurst(m: Meter): void {
  if (m.burst > m.maxBurst) m.maxBurst = m.burst;
  m.burst = 0;
}

/** `from`: start from a capture's machine (its zones, watermarks and allocations) instead of a fresh `sc.memoryMiB` one. */
export function runScenario(sc: Scenario, seed: number, policies: readonly PolicySpec[] = POLICIES, from: FromCapture | null = null): ScenarioResult {
  if (!Number.isSafeInteger(seed)) throw new MmError("EINVAL", `seed must be an integer, got ${seed}`);
  const sim = createSim({ seed });
  const machine = from !== null ? from.machine({ clock: sim, hz: HZ }) : createMachine({ memoryBytes: sc.memoryMiB << 20, clock: sim, hz: HZ });
  const allocator = buddyStallAllocator(machine);
  const prng = sim.prng.fork("alloc-stall");
  const model = new AllocStallModel({
    allocator,
    scheduler: sim,
    tasks: sc.tasks,
    reclaim: sc.reclaim,
    kswapd: sc.kswapd,
    oom: sc.oom,
    hz: HZ,
    random: () => prng.nextFloat(),
    initialPageCache: { pages: Math.floor(allocator.totalPages() * sc.initialPageCache.share), dirtyFraction: sc.initialPageCache.dirtyFraction },
  });
  const ledger = new StallLedger({
    scheduler: sim,
    policies: policies.map((p) => p.name),
    classify: (t) => model.slowpathState(t),
    pid: (t) => model.pid(t),
  });
  model.addListener(ledger);
  let longest = 0;
  const began = new Float64Array(model.taskCount);
  model.addListener({
    begin: (t, ns) => void (began[t] = ns),
    end: (t, ns) => void (longest = Math.max(longest, ns - began[t])),
  });

  const meters = policies.map(meter);
  const hooks = policies.map(() => ({ episodes: 0, onNs: 0, since: NaN }));
  const reporters: { stats: { stackDumps: number; showMems: number } }[] = [];
  const watchdogs: MemallocWatchdog[] = [];
  policies.forEach((p, i) => {
    const m = meters[i];
    if (p.kind === "warn_alloc") {
      const w = new WarnAllocStall({
        tasks: model,
        clock: sim,
        log: sink(m, () => sim.now()),
        hz: HZ,
        version: p.version ?? "4.9",
        // CONFIG_CPUSETS, as distribution kernels had: 4.11+ print the cpuset line
        cpuset: true,
        observer: ledger.observer(i),
      });
      model.addObserver(w);
      reporters.push(w);
      // warn_alloc's bursts are measured per 10 s window
      const windowNs = 10e9;
      const tick = (): void => {
        closeBurst(m);
        sim.schedule(windowNs, tick);
      };
      sim.schedule(windowNs, tick);
      return;
    }
    const table = new MemallocTable({ capacity: model.taskCount });
    model.addTable(table);
    const wd = new MemallocWatchdog({
      scheduler: sim,
      tasks: model,
      table,
      log: sink(m, () => sim.now()),
      timeoutSecs: p.timeoutSecs ?? DEFAULT_MEMALLOC_TASK_TIMEOUT_SECS,
      hz: HZ,
      bound: p.bounded === true ? DEFAULT_REPORT_BOUND : null,
      oomCount: () => model.oomCount,
      observer: ledger.observer(i),
    });
    const h = hooks[i];
    wd.addListener({
      stallStart: (_n, ns) => {
        h.episodes++;
        h.since = ns;
      },
      stallStop: (ns) => {
        h.onNs += ns - h.since;
        h.since = NaN;
      },
      scanned: () => closeBurst(m),
    });
    reporters.push(wd);
    watchdogs.push(wd);
  });

  model.start();
  for (const wd of watchdogs) wd.start();
  const endNs = sc.durationS * 1e9;
  sim.runUntil(endNs);
  for (const wd of watchdogs) wd.stop();
  model.checkInvariants();
  machine.checkInvariants();

  const records = ledger.finish();
  for (const r of records) if (Number.isNaN(r.endNs)) longest = Math.max(longest, endNs - r.startNs);
  const byState: Record<string, number> = {};
  for (const name of SLOWPATH_STATE_NAMES) byState[name] = 0;
  for (const r of records) byState[SLOWPATH_STATE_NAMES[r.stateAtThreshold]]++;
  const results = policies.map((p, i): PolicyResult => {
    const m = meters[i];
    closeBurst(m);
    const h = hooks[i];
    return {
      policy: p.name,
      ...summarizeStalls(records, i, ledger.thresholdNs, SLOWPATH_LOOPING),
      earlyReports: ledger.earlyReports[i],
      lines: m.lines,
      bytes: m.bytes,
      stackDumps: reporters[i].stats.stackDumps,
      showMems: reporters[i].stats.showMems,
      maxBurstBytes: m.maxBurst,
      hookEpisodes: h.episodes,
      hookOnS: (h.onNs + (Number.isNaN(h.since) ? 0 : endNs - h.since)) / 1e9,
      sample: m.sample,
    };
  });
  const st = model.stats;
  return {
    scenario: sc.name,
    summary: sc.summary,
    seed,
    durationS: sc.durationS,
    tasks: model.taskCount,
    stalls: records.length,
    stallsByState: byState,
    longestStallS: longest / 1e9,
    oomKills: st.oomKills,
    model: { ...st, oomCount: model.oomCount },
    policies: results,
  };
}

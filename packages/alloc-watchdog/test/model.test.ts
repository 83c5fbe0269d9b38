import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOFS, isMmError } from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  AllocStallModel,
  MemallocTable,
  MemallocWatchdog,
  SLOWPATH_IO,
  SLOWPATH_LOCK,
  SLOWPATH_LOOPING,
  SLOWPATH_OOM_NOTIFIER,
  SLOWPATH_THROTTLED,
  type StallModelConfig,
  StallLedger,
  summarizeStalls,
  TASK_DEAD,
  TASK_UNINTERRUPTIBLE,
  WarnAllocStall,
  WORK_ANON,
  WORK_FILE,
  WORK_FS_HOLDER,
} from "../src/index.js";
import { capture, FakeAllocator, TestScheduler } from "./helpers.js";

const DISK = { requestNs: 10e6, pageNs: 40e3 };

/** A model with both reporters and a ledger attached. */
function rig(cfg: Omit<StallModelConfig, "scheduler" | "allocator">, total: number, marks = { min: 16, low: 20, high: 24 }, timeoutSecs = 10) {
  const sched = new TestScheduler();
  const alloc = new FakeAllocator(total, marks);
  const klog = capture();
  const model = new AllocStallModel({ ...cfg, allocator: alloc, scheduler: sched, log: klog.log });
  const ledger = new StallLedger({ scheduler: sched, policies: ["warn", "wd"], classify: (t) => model.slowpathState(t), pid: (t) => model.pid(t) });
  model.addListener(ledger);
  const warnLog = capture();
  const warn = new WarnAllocStall({ tasks: model, clock: sched, log: warnLog.log, observer: ledger.observer(0) });
  model.addObserver(warn);
  const wdLog = capture();
  const table = new MemallocTable();
  model.addTable(table);
  const wd = new MemallocWatchdog({ scheduler: sched, tasks: model, table, log: wdLog.log, timeoutSecs, observer: ledger.observer(1), oomCount: () => model.oomCount });
  return { sched, alloc, model, ledger, warn, warnLog, wd, wdLog, klog };
}

describe("slow-path model", () => {
  it("keeps its books: invariants and page conservation after every event", () => {
    const tasks = [
      { comm: "dd", work: WORK_FILE, gfp: GFP_HIGHUSER_MOVABLE, burst: 16, thinkNs: 20e6, dirtyFraction: 0.5 },
      { comm: "xfsaild", work: WORK_FS_HOLDER, gfp: GFP_NOFS, burst: 2, thinkNs: 300e6, holdNs: 20e6 },
      ...Array.from({ length: 30 }, () => ({ comm: "w", work: WORK_ANON, gfp: GFP_KERNEL, burst: 4, thinkNs: 50e6, rssLimitPages: 16 })),
      { comm: "hog", work: WORK_ANON, gfp: GFP_HIGHUSER_MOVABLE, burst: 32, thinkNs: 50e6, respawnNs: 1e9 },
    ];
    const { sched, alloc, model } = rig(
      { tasks, reclaim: { costPerPageNs: 50e3, disk: DISK, fsShrinkerNs: 1e6, fsShrinkerIoPages: 1 }, kswapd: { costPerPageNs: 20e3 }, oom: {}, seed: 3, initialPageCache: { pages: 1500, dirtyFraction: 0.5 } },
      2048,
    );
    model.start();
    const total = alloc.total;
    let events = 0;
    sched.runUntil(6e9, () => {
      events++;
      model.checkInvariants();
      if (alloc.free + model.pagesHeld() !== total) throw new Error(`pages leaked at event ${events}`);
    });
    expect(events).toBeGreaterThan(1000);
    // the run exercised the mechanisms it is meant to
    expect(model.stats.directReclaimed).toBeGreaterThan(0);
    expect(model.stats.kswapdReclaimed).toBeGreaterThan(0);
    expect(model.stats.writebackPages).toBeGreaterThan(0);
    expect(model.stats.throttled).toBeGreaterThan(0);
    expect(model.stats.oomKills).toBeGreaterThan(0);
  });

  it("a reclaimer blocked on the shrinker mutex: slow-path states, the watchdog's scan arithmetic and lines, durations", () => {
    // memory full of clean page cache; the shrinker's metadata write takes 40 s on a dead-slow disk
    const tasks = [
      { comm: "A", work: WORK_ANON, gfp: GFP_KERNEL, burst: 1, thinkNs: 1000e9, startNs: 1e6 },
      // B first eats the 32 pages A reclaimed, then must reclaim itself and queue on A's mutex
      { comm: "B", work: WORK_ANON, gfp: GFP_KERNEL, burst: 40, thinkNs: 1000e9, startNs: 2e6 },
    ];
    const r = rig(
      { tasks, reclaim: { costPerPageNs: 1e3, disk: { requestNs: 40e9, pageNs: 0 }, fsShrinkerNs: 1e6, fsShrinkerIoPages: 1 }, kswapd: null, oom: null, initialPageCache: { pages: 1000, dirtyFraction: 0 } },
      1016,
    );
    r.model.start();
    r.wd.start();
    r.sched.runUntil(15e9);
    expect([r.model.slowpathState(0), r.model.slowpathState(1)]).toEqual([SLOWPATH_IO, SLOWPATH_LOCK]);
    expect(r.model.state(1)).toBe(TASK_UNINTERRUPTIBLE);
    r.sched.runUntil(21e9);
    // scan at 10 s flipped the in-flight index, the scan at 20 s walked and named both;
    // B passed through the slow path 4 times quickly (free between min and low) before this one: seq=5
    expect(r.wdLog.lines[0]).toBe("MemAlloc-Info: stalling=2 dying=0 exiting=0 victim=0 oom_count=0");
    expect(r.wdLog.lines[2]).toMatch(/^MemAlloc: B\(1001\) flags=0x400000 switches=\d+ seq=5 gfp=0x24000c0\(GFP_KERNEL\) order=0 delay=5000 uninterruptible$/);
    r.sched.runUntil(200e9);
    const recs = r.ledger.finish();
    expect(recs.map((x) => x.stateAtThreshold)).toEqual([SLOWPATH_IO, SLOWPATH_LOCK]);
    const warn = summarizeStalls(recs, 0, r.ledger.thresholdNs, SLOWPATH_LOOPING);
    const wd = summarizeStalls(recs, 1, r.ledger.thresholdNs, SLOWPATH_LOOPING);
    expect(warn).toMatchObject({ stalls: 2, stuck: 2 });
    expect(wd).toMatchObject({ stalls: 2, stuck: 2, named: 2, namedWhileBlocked: 2 });
    // both got their page in the end: A after its shrinker I/O, B after waiting for the mutex and its own I/O
    expect(recs.map((x) => Math.round((x.endNs - x.startNs) / 1e9))).toEqual([40, 80]);
  });

  it("the oom_lock holder blocked in a notifier: loopers back off a jiffy, the holder's state and the watchdog's lines", () => {
    const tasks = [
      { comm: "big", work: WORK_ANON, gfp: GFP_HIGHUSER_MOVABLE, burst: 64, thinkNs: 10e6, startNs: 0 },
      { comm: "small", work: WORK_ANON, gfp: GFP_HIGHUSER_MOVABLE, burst: 16, thinkNs: 10e6, startNs: 1e6 },
      { comm: "java", work: WORK_ANON, gfp: GFP_KERNEL, burst: 1, thinkNs: 50e6, rssLimitPages: 4 },
      { comm: "java", work: WORK_ANON, gfp: GFP_KERNEL, burst: 1, thinkNs: 50e6, rssLimitPages: 4 },
    ];
    const r = rig({ tasks, reclaim: { costPerPageNs: 1e3, disk: DISK }, kswapd: { costPerPageNs: 1e3 }, oom: { notifierBlockNs: 30e9, notifierBlockCalls: 1 }, seed: 1 }, 1024);
    r.model.start();
    r.wd.start();
    r.sched.runUntil(5e9);
    const holder = [0, 1, 2, 3, 4].find((t) => r.model.slowpathState(t) === SLOWPATH_OOM_NOTIFIER);
    expect(holder).toBeDefined();
    const h = holder as number;
    expect(r.model.oomCount).toBe(1);
    r.sched.runUntil(25e9);
    const namedByWarn = new Set<string>();
    for (const l of r.warnLog.lines) namedByWarn.add(l.split(":")[0]);
    expect(r.warnLog.lines.length).toBeGreaterThan(0);
    expect(r.warnLog.lines.every((l) => / page allocation stalls for \d+ms, order:0, mode:0x2[0-9a-f]+\(GFP_[A-Z_]+\)$/.test(l))).toBe(true);
    // the holder is blocked: it never reached the stall check, so no line can be its own
    expect(r.model.slowpathState(h)).toBe(SLOWPATH_OOM_NOTIFIER);
    const holderLine = r.wdLog.lines.find((l) => l.startsWith(`MemAlloc: ${r.model.comm(h)}(${r.model.pid(h)})`));
    expect(holderLine).toMatch(/ seq=\d+ gfp=.* delay=\d+ uninterruptible$/);
    expect(r.wdLog.lines[0]).toMatch(/^MemAlloc-Info: stalling=\d+ dying=0 exiting=0 victim=0 oom_count=1$/);
    // after the notifier: select_bad_process kills the largest RSS ("big"), which exits and frees memory
    r.sched.runUntil(60e9);
    expect(r.klog.lines[0]).toMatch(/^Out of memory: Kill process 1000 \(big\) score \d+ or sacrifice child$/);
    expect(r.model.stats.oomKills).toBeGreaterThanOrEqual(1);
    expect(r.model.state(1)).toBe(TASK_DEAD);
    const recs = r.ledger.finish();
    const holderRec = recs.find((x) => x.stateAtThreshold === SLOWPATH_OOM_NOTIFIER);
    expect(holderRec).toBeDefined();
    expect(Number.isNaN(holderRec?.firstNamedNs[1])).toBe(false); // watchdog
    expect(holderRec?.namedState[1]).toBe(SLOWPATH_OOM_NOTIFIER); // the scan reads the record while the holder is blocked
    const warn = summarizeStalls(recs, 0, r.ledger.thresholdNs, SLOWPATH_LOOPING);
    expect(warn.named).toBeGreaterThan(0);
  });

  it("too_many_isolated throttles a herd inside reclaim (congestion_wait HZ/10)", () => {
    const tasks = [
      ...Array.from({ length: 200 }, (_, i) => ({ comm: "worker", work: WORK_ANON, gfp: GFP_KERNEL, burst: 2, thinkNs: 1000e9, startNs: 1e6 + i * 1e3, rssLimitPages: 2 })),
    ];
    const r = rig(
      { tasks, reclaim: { costPerPageNs: 10e3, disk: { requestNs: 2e9, pageNs: 0 } }, kswapd: null, oom: {}, seed: 2, initialPageCache: { pages: 4000, dirtyFraction: 1 } },
      4096,
    );
    r.model.start();
    r.wd.start();
    r.sched.runUntil(12e9);
    const throttled = Array.from({ length: 200 }, (_, t) => r.model.slowpathState(t)).filter((s) => s === SLOWPATH_THROTTLED).length;
    expect(throttled).toBeGreaterThan(100);
    r.sched.runUntil(120e9);
    const recs = r.ledger.finish();
    expect(recs.filter((x) => x.stateAtThreshold === SLOWPATH_THROTTLED).length).toBeGreaterThan(50);
    // the watchdog's scan reads the records of tasks that are throttled right then (its mechanism)
    expect(recs.some((x) => x.namedState[1] === SLOWPATH_THROTTLED)).toBe(true);
  });

  it("is deterministic for a seed", () => {
    const run = () => {
      const tasks = Array.from({ length: 20 }, () => ({ comm: "w", work: WORK_ANON, gfp: GFP_KERNEL, burst: 4, thinkNs: 30e6, rssLimitPages: 64 }));
      const r = rig({ tasks, reclaim: { costPerPageNs: 10e3, disk: DISK }, kswapd: { costPerPageNs: 5e3 }, oom: {}, seed: 9, initialPageCache: { pages: 900, dirtyFraction: 0.3 } }, 1024);
      r.model.start();
      r.wd.start();
      r.sched.runUntil(30e9);
      return JSON.stringify([r.model.stats, r.warnLog.lines, r.wdLog.lines, r.klog.lines, r.sched.events]);
    };
    expect(run()).toBe(run());
  });

  it("rejects bad configuration with MmError", () => {
    const sched = new TestScheduler();
    const allocator = new FakeAllocator(64, { min: 1, low: 2, high: 3 });
    const base = { allocator, scheduler: sched, reclaim: { costPerPageNs: 0, disk: DISK } };
    const bad: [StallModelConfig, string][] = [
      [{ ...base, tasks: [{ comm: "x", work: WORK_ANON, gfp: GFP_KERNEL, thinkNs: 1, order: 11 }] }, "BAD_ORDER"],
      [{ ...base, tasks: [{ comm: "x", work: 7, gfp: GFP_KERNEL, thinkNs: 1 }] }, "BAD_CONFIG"],
      [{ ...base, tasks: [{ comm: "x", work: WORK_FILE, gfp: GFP_KERNEL, thinkNs: 1, order: 1 }] }, "BAD_CONFIG"],
      [{ ...base, tasks: [{ comm: "x", work: WORK_ANON, gfp: GFP_KERNEL, thinkNs: 0 }] }, "BAD_CONFIG"],
      [{ ...base, tasks: [], hz: 0 }, "BAD_CONFIG"],
      [{ ...base, tasks: [], reclaim: { costPerPageNs: -1, disk: DISK } }, "BAD_CONFIG"],
    ];
    for (const [cfg, code] of bad) {
      let err: unknown;
      try {
        new AllocStallModel(cfg);
      } catch (e) {
        err = e;
      }
      expect(isMmError(err, code as "BAD_CONFIG")).toBe(true);
    }
    const m = new AllocStallModel({ ...base, tasks: [] });
    m.start();
    expect(() => m.start()).toThrow(expect.objectContaining({ code: "BAD_STATE" }) as Error);
    expect(() => m.addTable(new MemallocTable())).toThrow(expect.objectContaining({ code: "BAD_STATE" }) as Error);
  });
});

/**
 * The model's full transcript for fixed seeds: every kernel, warn_alloc and kmallocwd line, every
 * slow-path begin/end, and after every event each task's scheduler state, slow-path state,
 * switches and RSS. The digests were recorded from the single-class model.ts before it was split
 * into rooms (reclaim, OOM, kswapd, task state, slow-path driver): a refactor that changes any
 * step of any task, in any order, changes a digest.
 */
import { createHash } from "node:crypto";
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOFS, GFP_NOIO, __GFP_NOWARN } from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  AllocStallModel,
  MemallocTable,
  MemallocWatchdog,
  type StallModelConfig,
  WarnAllocStall,
  WORK_ANON,
  WORK_FILE,
  WORK_FS_HOLDER,
} from "../src/index.js";
import { FakeAllocator, TestScheduler } from "./helpers.js";

const DISK = { requestNs: 10e6, pageNs: 40e3 };

function transcript(cfg: Omit<StallModelConfig, "scheduler" | "allocator" | "log">, total: number, untilNs: number): { digest: string; events: number } {
  const sched = new TestScheduler();
  const alloc = new FakeAllocator(total, { min: 16, low: 20, high: 24 });
  const h = createHash("sha256");
  const line = (tag: string) => (l: string) => void h.update(`${sched.now()} ${tag} ${l}\n`);
  const model = new AllocStallModel({ ...cfg, allocator: alloc, scheduler: sched, log: line("k") });
  model.addListener({ begin: (t, ns) => void h.update(`b ${t} ${ns}\n`), end: (t, ns, ok) => void h.update(`e ${t} ${ns} ${ok}\n`) });
  // the site the model had when the digests were recorded
  model.addObserver(new WarnAllocStall({ tasks: model, clock: sched, log: line("w"), stallCheckSite: "before-reclaim" }));
  const table = new MemallocTable();
  model.addTable(table);
  const wd = new MemallocWatchdog({ scheduler: sched, tasks: model, table, log: line("m"), timeoutSecs: 10, oomCount: () => model.oomCount });
  model.start();
  wd.start();
  let events = 0;
  sched.runUntil(untilNs, () => {
    events++;
    let s = `${sched.now()}`;
    for (let t = 0; t < model.taskCount; t++) s += ` ${model.state(t)}/${model.slowpathState(t)}/${model.switches(t)}/${model.rss(t)}`;
    h.update(`${s}\n`);
  });
  wd.stop();
  h.update(JSON.stringify(model.stats) + ` ${model.oomCount} ${model.pageCachePages} ${model.dirtyPages} ${alloc.free}\n`);
  return { digest: h.digest("hex"), events };
}

describe("model transcript (recorded before the split into rooms)", () => {
  it("mixed load: reclaim, writeback, throttling, the fs mutex, kswapd, OOM kills, respawn", () => {
    const tasks = [
      { comm: "dd", work: WORK_FILE, gfp: GFP_HIGHUSER_MOVABLE, burst: 16, thinkNs: 20e6, dirtyFraction: 0.5 },
      { comm: "xfsaild", work: WORK_FS_HOLDER, gfp: GFP_NOFS, burst: 2, thinkNs: 300e6, holdNs: 20e6 },
      ...Array.from({ length: 30 }, () => ({ comm: "w", work: WORK_ANON, gfp: GFP_KERNEL, burst: 4, thinkNs: 50e6, rssLimitPages: 16 })),
      { comm: "hog", work: WORK_ANON, gfp: GFP_HIGHUSER_MOVABLE, burst: 32, thinkNs: 50e6, respawnNs: 1e9 },
    ];
    const r = transcript(
      { tasks, reclaim: { costPerPageNs: 50e3, disk: DISK, fsShrinkerNs: 1e6, fsShrinkerIoPages: 1 }, kswapd: { costPerPageNs: 20e3 }, oom: {}, seed: 3, initialPageCache: { pages: 1500, dirtyFraction: 0.5 } },
      2048,
      30e9,
    );
    expect(r.events).toBeGreaterThan(10_000);
    expect(r.digest).toBe("27901a30f2602a9d246300074877172aa754e2039b4bd0deecdb7469af4a13ca");
  });

  it("a blocked oom_lock holder, GFP_NOIO and __GFP_NOWARN callers, no kswapd, order-2 hogs", () => {
    const tasks = [
      ...Array.from({ length: 12 }, () => ({ comm: "kworker/u16:1", work: WORK_ANON, gfp: GFP_NOIO, burst: 2, thinkNs: 80e6, rssLimitPages: 8 })),
      ...Array.from({ length: 12 }, () => ({ comm: "a.out", work: WORK_ANON, gfp: GFP_KERNEL | __GFP_NOWARN, burst: 8, thinkNs: 30e6, respawnNs: 2e9 })),
      { comm: "big", work: WORK_ANON, gfp: GFP_KERNEL, order: 2, burst: 8, thinkNs: 40e6, respawnNs: 5e8 },
    ];
    const r = transcript(
      {
        tasks,
        reclaim: { costPerPageNs: 20e3, disk: { requestNs: 30e6, pageNs: 40e3 }, throttleIsolated: true },
        kswapd: null,
        oom: { notifierBlockNs: 25e9, notifierBlockCalls: 2, reaperDelayNs: 200e6 },
        seed: 11,
        initialPageCache: { pages: 400, dirtyFraction: 0.8 },
      },
      1024,
      60e9,
    );
    expect(r.events).toBeGreaterThan(10_000);
    expect(r.digest).toBe("f432b633652544003811680bd3a1bf4f4b788e942edb82dae68d0dce1a30e5a8");
  });
});

/**
 * Where the slow path calls the stall check, by release: 4.9–4.10 after reclaim (before
 * should_reclaim_retry, past the __GFP_NORETRY exit), 4.11–4.14 at the top of every retry
 * (before reclaim). Observers record the calls; the model's reclaim time separates the sites.
 */
import { GFP_KERNEL, __GFP_NORETRY, __GFP_NOWARN, type Gfp } from "@mm/api";
import { describe, expect, it } from "vitest";
import { AllocStallModel, type SlowpathObserver, type StallCheckSite, WARN_ALLOC_VERSIONS, WarnAllocStall, WORK_ANON } from "../src/index.js";
import { capture, FakeAllocator, TestScheduler } from "./helpers.js";

const CPU_NS = 1e6; // shrink_page_list per page
const IO_NS = 100e6; // one writeback request

/** One order-2 task reclaiming one dirty page per pass (batch 1): each pass frees too little. */
function rig(gfp: Gfp) {
  const sched = new TestScheduler();
  const alloc = new FakeAllocator(256, { min: 16, low: 20, high: 24 });
  const model = new AllocStallModel({
    allocator: alloc,
    scheduler: sched,
    tasks: [{ comm: "a", work: WORK_ANON, gfp, order: 2, burst: 20, thinkNs: 1e12, startNs: 0 }],
    reclaim: { costPerPageNs: CPU_NS, disk: { requestNs: IO_NS, pageNs: 0 }, batch: 1, throttleIsolated: false },
    kswapd: null,
    oom: null,
    seed: 1,
    initialPageCache: { pages: 200, dirtyFraction: 1 },
  });
  const calls: Record<StallCheckSite, number[]> = { "before-reclaim": [], "after-reclaim": [] };
  const observer = (site: StallCheckSite): SlowpathObserver => ({
    stallCheckSite: site,
    stallCheck: () => void calls[site].push(sched.now()),
    allocFailure: () => undefined,
  });
  model.addObserver(observer("before-reclaim"));
  model.addObserver(observer("after-reclaim"));
  model.start();
  sched.runUntil(10e9);
  return calls;
}

describe("the stall check's site", () => {
  it("4.9–4.10 check after the reclaim pass that failed them; 4.11–4.14 before each pass", () => {
    const c = rig(GFP_KERNEL);
    expect(c["after-reclaim"].length).toBeGreaterThan(3);
    // every after-reclaim check follows a before-reclaim one by exactly one reclaim pass
    const pass = CPU_NS + IO_NS;
    for (const a of c["after-reclaim"]) expect(c["before-reclaim"]).toContain(a - pass);
    // a pass whose attempt succeeds reaches no after-reclaim check
    expect(c["before-reclaim"].length).toBeGreaterThan(c["after-reclaim"].length);
  });

  it("__GFP_NORETRY leaves before the 4.9–4.10 site; the 4.11–4.14 site still sees it", () => {
    const c = rig(GFP_KERNEL | __GFP_NORETRY);
    expect(c["before-reclaim"].length).toBeGreaterThan(0);
    expect(c["after-reclaim"]).toEqual([]);
  });

  it("each release's rules: site, line layout, gfp numbering, __GFP_NOWARN", () => {
    const sites = Object.entries(WARN_ALLOC_VERSIONS).map(([v, r]) => `${v}:${r.site}:${r.layout}:${r.era}:${r.honorNowarn}`);
    expect(sites).toEqual([
      "4.9:after-reclaim:4.9:4.9:true",
      "4.10:after-reclaim:4.9:4.14:true",
      "4.11:before-reclaim:4.14:4.14:true",
      "4.12:before-reclaim:4.14:4.14:false",
      "4.13:before-reclaim:4.14:4.14:false",
      "4.14:before-reclaim:4.14:4.14:false",
    ]);
    const sched = new TestScheduler();
    const tasks = { taskCount: 1, comm: () => "t0", pid: () => 1, flags: () => 0, switches: () => 0, state: () => 0, isOomVictim: () => false, fatalSignalPending: () => false };
    const lines = (version: "4.10" | "4.11" | "4.12") => {
      const out = capture();
      const w = new WarnAllocStall({ tasks, clock: sched, log: out.log, hz: 250, version, cpuset: true });
      w.stallCheck(0, GFP_KERNEL | __GFP_NOWARN, 0, 0);
      w.stallCheck(0, GFP_KERNEL, 0, -20e9);
      return { site: w.stallCheckSite, lines: out.lines };
    };
    sched.runUntil(10e9 + 4e6);
    expect(lines("4.10")).toEqual({ site: "after-reclaim", lines: ["t0: page allocation stalls for 30004ms, order:0, mode:0x14000c0(GFP_KERNEL)"] });
    expect(lines("4.11").lines).toEqual(["t0: page allocation stalls for 30004ms, order:0, mode:0x14000c0(GFP_KERNEL), nodemask=(null)", "t0 cpuset=/ mems_allowed=0"]);
    // 4.12+: gfp_mask & ~__GFP_NOWARN, so the __GFP_NOWARN caller prints too (its mask without the bit)
    expect(lines("4.12").lines[0]).toBe("t0: page allocation stalls for 10004ms, order:0, mode:0x14000c0(GFP_KERNEL), nodemask=(null)");
  });
});

import { describe, expect, it } from "vitest";
import {
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_MOVABLE,
  __GFP_NOFAIL,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIMABLE,
  __GFP_RETRY_MAYFAIL,
  GFP_ATOMIC_6_1,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_NOWAIT,
  GFP_USER,
  isMmError,
  MIGRATE_HIGHATOMIC,
  MIGRATE_MOVABLE,
  MIGRATE_UNMOVABLE,
  type Task,
  TASK_MEMALLOC,
  ZONE_DMA,
  ZONE_DMA32,
} from "@mm/api";
import { type BuddyMachine, createMachine, DEFAULT_RATELIMIT, MAX_RECLAIM_RETRIES, type MachineOptions, type ReclaimPolicy } from "@mm/buddy";

/** A clock the test moves by hand. */
function manualClock(): { now(): number; t: number } {
  const c = { t: 0, now: () => c.t };
  return c;
}

/** Allocate order-0 pages until the allocation fails; returns them. */
function drain(m: BuddyMachine, gfp: number): number[] {
  const got: number[] = [];
  for (let p = m.allocPages(0, gfp); p >= 0; p = m.allocPages(0, gfp)) got.push(p);
  return got;
}

const DMA_ONLY: MachineOptions = { memoryBytes: 16 << 20 };

describe("warn_alloc", () => {
  it("is ratelimited to one report per 10 s on the simulated clock, then reports the suppressed count", () => {
    const clock = manualClock();
    const lines: string[] = [];
    const m = createMachine({ ...DMA_ONLY, clock, log: (l) => lines.push(l) });
    drain(m, GFP_KERNEL);
    expect(lines.length).toBe(1);
    for (const t of [1e9, 5e9, 10e9]) {
      clock.t = t;
      expect(m.allocPages(0, GFP_KERNEL)).toBe(-1);
    }
    expect(lines.length).toBe(1);
    clock.t = 10.004e9 + 1; // one jiffy (HZ=250) past begin + 10 s
    expect(m.allocPages(2, GFP_KERNEL)).toBe(-1);
    expect(lines).toEqual([
      "swapper/0: page allocation failure: order:0, mode:0xcc0(GFP_KERNEL), nodemask=(null),cpuset=/,mems_allowed=0",
      "warn_alloc: 3 callbacks suppressed",
      "swapper/0: page allocation failure: order:2, mode:0xcc0(GFP_KERNEL), nodemask=(null),cpuset=/,mems_allowed=0",
    ]);
  });

  it("the older (5 s, 10) state prints ten in a burst; __GFP_NOWARN neither prints nor counts", () => {
    const clock = manualClock();
    const lines: string[] = [];
    const comm = "kworker/0:1";
    const task = { pid: 7, tgid: 7, comm, flags: 0, stack: new Uint32Array(0), depth: 0 } satisfies Task;
    const m = createMachine({ ...DMA_ONLY, clock, log: (l) => lines.push(l), warnRatelimit: DEFAULT_RATELIMIT, cpuset: null, tasks: { current: () => task } });
    drain(m, GFP_KERNEL | __GFP_NOWARN);
    expect(lines).toEqual([]);
    for (let i = 0; i < 12; i++) m.allocPages(0, GFP_NOWAIT);
    expect(lines.length).toBe(10);
    expect(lines[0]).toBe(`${comm}: page allocation failure: order:0, mode:0x800(GFP_NOWAIT), nodemask=(null)`);
    expect(m.stats.warnAllocs).toBe(10);
  });

  it("__GFP_DMA failures are not reported when there is no DMA zone (kdump kernels)", () => {
    const lines: string[] = [];
    const m = createMachine({ ranges: [{ startPfn: 4096, endPfn: 8192 }], log: (l) => lines.push(l) });
    expect(m.allocPages(0, GFP_KERNEL | __GFP_DMA)).toBe(-1);
    expect(lines).toEqual([]);
  });
});

describe("slow path", () => {
  it("brackets only the slow path with slowpathEnter/Exit", () => {
    const m = createMachine(DMA_ONLY);
    const ev: string[] = [];
    m.addHooks({ slowpathEnter: (g, o) => ev.push(`enter ${g} ${o}`), slowpathExit: (g, o, p) => ev.push(`exit ${g} ${o} ${p}`) });
    m.allocPages(0, GFP_KERNEL);
    expect(ev).toEqual([]);
    drain(m, GFP_KERNEL);
    expect(ev.slice(-2)).toEqual([`enter ${GFP_KERNEL} 0`, `exit ${GFP_KERNEL} 0 -1`]);
    // Between low and min the slow path succeeds.
    expect(ev.filter((e) => e.startsWith("exit") && !e.endsWith("-1")).length).toBeGreaterThan(0);
  });

  it("direct reclaim through the policy lets an allocation succeed", () => {
    const victims: number[] = [];
    const box: { m: BuddyMachine | null } = { m: null };
    let calls = 0;
    const reclaim: ReclaimPolicy = {
      directReclaim: () => {
        calls++;
        const v = victims.splice(0, 32);
        for (const p of v) box.m!.freePages(p, 0);
        return v.length;
      },
    };
    const m = createMachine({ ...DMA_ONLY, reclaim });
    box.m = m;
    victims.push(...drain(m, GFP_HIGHUSER_MOVABLE));
    const before = calls;
    expect(m.allocPages(0, GFP_KERNEL)).toBeGreaterThanOrEqual(0);
    expect(calls).toBe(before + 1);
    m.checkInvariants();
  });

  it("retries: NORETRY reclaims once, costly orders give up, RETRY_MAYFAIL and small orders retry boundedly", () => {
    let calls = 0;
    let reclaimable = 0;
    const reclaim: ReclaimPolicy = { directReclaim: () => (calls++, 1), reclaimablePages: () => reclaimable };
    const m = createMachine({ ...DMA_ONLY, reclaim, maxSlowpathRetries: 40 });
    drain(m, GFP_KERNEL);
    const tries = (gfp: number, order: number): number => {
      calls = 0;
      expect(m.allocPages(order, gfp)).toBe(-1);
      return calls;
    };
    expect(tries(GFP_KERNEL | __GFP_NORETRY, 0)).toBe(1);
    expect(tries(GFP_KERNEL, 4)).toBe(1); // costly, no RETRY_MAYFAIL
    // Nothing reclaimable: should_reclaim_retry sees the watermark cannot be met.
    expect(tries(GFP_KERNEL, 0)).toBe(1);
    // The policy claims reclaimable memory: retried until the bound.
    reclaimable = 1 << 20;
    expect(tries(GFP_KERNEL, 0)).toBe(41);
    // Costly orders make no progress by definition: at most MAX_RECLAIM_RETRIES + 1 rounds.
    expect(tries(GFP_KERNEL | __GFP_RETRY_MAYFAIL, 4)).toBe(MAX_RECLAIM_RETRIES + 1);
  });

  it("__GFP_NOFAIL takes the reserves down to the last page (may_oom, ALLOC_NO_WATERMARKS), then gives up loudly after the bound", () => {
    const lines: string[] = [];
    const m = createMachine({ ...DMA_ONLY, log: (l) => lines.push(l) });
    drain(m, GFP_KERNEL | __GFP_NOWARN);
    const z = m.zones[ZONE_DMA];
    const atMin = z.freePages;
    expect(m.allocPages(0, GFP_KERNEL | __GFP_NOFAIL)).toBeGreaterThanOrEqual(0);
    expect(z.freePages).toBe(atMin - 1);
    let err: unknown;
    let n = 0;
    try {
      for (;;) {
        expect(m.allocPages(0, GFP_KERNEL | __GFP_NOFAIL)).toBeGreaterThanOrEqual(0);
        n++;
      }
    } catch (e) {
      err = e;
    }
    // 6.1 __alloc_pages_may_oom: `out_of_memory(&oc) || WARN_ON_ONCE_GFP(gfp_mask & __GFP_NOFAIL)`
    // counts as progress and gives __GFP_NOFAIL __alloc_pages_cpuset_fallback(ALLOC_NO_WATERMARKS):
    // every free page goes, then the bounded loop gives up.
    expect(n).toBe(atMin - 1);
    expect(z.freePages).toBe(0);
    expect(isMmError(err, "NOMEM")).toBe(true);
    expect(lines.at(-1)).toContain("mode:0x8cc0(GFP_KERNEL|__GFP_NOFAIL)");
    m.checkInvariants();
  });

  it("GFP_ATOMIC goes below min (ALLOC_HIGH + ALLOC_HARDER), PF_MEMALLOC ignores watermarks", () => {
    const m = createMachine(DMA_ONLY);
    drain(m, GFP_KERNEL);
    const z = m.zones[ZONE_DMA];
    const min = z.wmarkMin;
    expect(z.freePages).toBeLessThanOrEqual(min + 1);
    drain(m, GFP_ATOMIC_6_1);
    // free <= min - min/2 - (min - min/2)/4 stops it.
    const high = min - Math.floor(min / 2);
    expect(z.freePages).toBe(high - Math.floor(high / 4));
    const task = { pid: 1, tgid: 1, comm: "kswapd0", flags: TASK_MEMALLOC, stack: new Uint32Array(0), depth: 0 } satisfies Task;
    const m2 = createMachine({ ...DMA_ONLY, tasks: { current: () => task } });
    const got = drain(m2, GFP_KERNEL);
    expect(got.length).toBe(m2.zones[ZONE_DMA].managed);
    m2.checkInvariants();
  });

  it("a DMA32 request falls back to DMA only above DMA's lowmem reserve", () => {
    const m = createMachine({ memoryBytes: 64 << 20 });
    const dma = m.zones[ZONE_DMA];
    expect(dma.lowmemReserve[ZONE_DMA32]).toBe(Math.floor(m.zones[ZONE_DMA32].managed / 256));
    const got = drain(m, GFP_KERNEL);
    expect(got.some((p) => m.zoneOf(p) === ZONE_DMA)).toBe(true);
    // DMA kept min + lowmem_reserve[Normal-or-DMA32] pages back (GFP_KERNEL's highest zone is Normal).
    expect(dma.freePages).toBeGreaterThan(dma.wmarkMin + dma.lowmemReserve[2] - 1);
    expect(dma.freePages).toBeLessThanOrEqual(dma.wmarkMin + dma.lowmemReserve[2] + 1);
  });
});

describe("fallbacks and pageblocks", () => {
  it("takes the largest fallback block, stealing whole pageblocks at high orders", () => {
    const m = createMachine({ memoryBytes: 32 << 20 });
    const p = m.allocPages(0, __GFP_RECLAIMABLE);
    expect(m.pageblockMigratetype(p)).toBe(2);
    expect(m.stats.pageblockSteals).toBe(2);
    m.checkInvariants();
  });

  it("a Movable request that cannot steal takes the smallest block and leaves the pageblock", () => {
    const m = createMachine({ memoryBytes: 16 << 20, noWatermarks: true });
    const all = drain(m, GFP_KERNEL); // every pageblock becomes Unmovable
    expect(all.length).toBe(4096);
    const victim = all[100];
    m.freePages(victim, 0);
    m.freePages(all[2000], 0); // isolated order-0 frees on the Unmovable lists
    const p = m.allocPages(0, GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
    expect([victim, all[2000]]).toContain(p);
    expect(m.pageblockMigratetype(p)).toBe(MIGRATE_UNMOVABLE);
    expect(m.stats.pageblockSteals).toBe(4 * 2); // only the four order-10 steals of the drain
    m.checkInvariants();
  });

  it("a partial steal boosts the watermark; kswapd (woken by the next reclaiming request) clears it", () => {
    const m = createMachine({ memoryBytes: 64 << 20 });
    const z = m.zones[ZONE_DMA32];
    // Split one Movable block, take every order-9/10 block, then make an Unmovable request
    // without the kswapd bit fall back into the split block's order-8 piece.
    expect(m.allocPages(0, GFP_HIGHUSER_MOVABLE)).toBeGreaterThanOrEqual(0);
    for (const o of [10, 9]) while (m.nrFree(ZONE_DMA32, o) > 0 && m.allocPages(o, GFP_USER | __GFP_MOVABLE | __GFP_DMA32) >= 0);
    expect(m.nrFree(ZONE_DMA32, 10) + m.nrFree(ZONE_DMA32, 9)).toBe(0);
    const u = m.allocPages(0, __GFP_DMA32);
    expect(m.zoneOf(u)).toBe(ZONE_DMA32);
    expect(z.watermarkBoost).toBe(512);
    expect(m.zoneWatermark(ZONE_DMA32, 0)).toBe(z.wmarkMin + 512);
    // GFP_KERNEL's allocation finds no boosted flag (the stealer had no kswapd bit), but the slow
    // path of a failing reclaiming request wakes kswapd, which ends the boost.
    expect(z.boostedFlag).toBe(false);
    m.setMinFreeKbytes(m.minFreeKbytes); // recomputing the watermarks resets the boost too
    expect(z.watermarkBoost).toBe(0);
    m.checkInvariants();
  });

  it("high-order atomic allocations reserve a HighAtomic pageblock", () => {
    const m = createMachine(DMA_ONLY);
    const z = m.zones[ZONE_DMA];
    // Below the low watermark only the slow path (where __GFP_ATOMIC means ALLOC_HARDER) serves.
    while (z.freePages > z.wmarkLow) m.allocPages(0, GFP_KERNEL);
    const fast = m.stats.slowpaths;
    const p = m.allocPages(2, GFP_ATOMIC_6_1);
    expect(m.stats.slowpaths).toBe(fast + 1);
    expect(m.pageblockMigratetype(p)).toBe(MIGRATE_HIGHATOMIC);
    expect(z.nrReservedHighatomic).toBe(512);
    m.freePages(p, 2);
    m.checkInvariants();
    expect(m.freeListLength(ZONE_DMA, 7, MIGRATE_HIGHATOMIC)).toBe(1); // merged back in the reserve
    // A later high-order atomic request is served from the reserve first.
    const r = m.allocPages(1, GFP_ATOMIC_6_1);
    expect(m.pageblockMigratetype(r)).toBe(MIGRATE_HIGHATOMIC);
    expect(r).toBe(p);
    void MIGRATE_MOVABLE;
    m.checkInvariants();
  });

  it("a freed page goes to the tail when its next-higher buddy is free (buddy_merge_likely)", () => {
    const m = createMachine({ memoryBytes: 32 << 20 });
    const a = m.allocPages(0, GFP_HIGHUSER_MOVABLE);
    const b = m.allocPages(0, GFP_HIGHUSER_MOVABLE);
    expect(b).toBe(a + 1);
    // Another order-0 free page far away: split an order-10 block and free its second page.
    const big = m.allocPages(10, GFP_HIGHUSER_MOVABLE);
    m.splitPage(big, 10);
    m.freePages(big + 1, 0);
    expect(m.freeListFirst(ZONE_DMA32, 0, MIGRATE_MOVABLE)).toBe(big + 1);
    // a's buddy b is busy, but the buddy of a's order-1 block (a+2, order 1) is free: tail.
    m.freePages(a, 0);
    expect(m.freeListFirst(ZONE_DMA32, 0, MIGRATE_MOVABLE)).toBe(big + 1);
    expect(m.freeListNext(big + 1)).toBe(a);
    // big+3's order-1 partner block big+0..1 is not free: head.
    m.freePages(big + 3, 0);
    expect(m.freeListFirst(ZONE_DMA32, 0, MIGRATE_MOVABLE)).toBe(big + 3);
    m.checkInvariants();
  });
});

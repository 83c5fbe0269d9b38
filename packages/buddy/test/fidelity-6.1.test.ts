/** 6.1 behaviours of mm/page_alloc.c the model follows, each from the kernel source. */
import { describe, expect, it } from "vitest";
import {
  __GFP_COMP,
  __GFP_HIGHMEM,
  __GFP_MOVABLE,
  __GFP_NORETRY,
  __GFP_NOWARN,
  ALLOC_NOFRAGMENT,
  ALLOC_WMARK_LOW,
  GFP_KERNEL,
  GFP_NOFS,
  MIGRATE_MOVABLE,
  MIGRATE_UNMOVABLE,
  ZONE_NORMAL,
} from "@mm/api";
import { type BuddyMachine, createMachine, type ReclaimPolicy } from "@mm/buddy";
import { allocFlagsNofragment } from "../src/alloc.js";
import { moveFreepagesBlock } from "../src/free-area.js";
import { rmqueueFallback } from "../src/rmqueue.js";

const NORMAL = 1 << 20; // first pfn above 4 GiB
/** 16 MiB of DMA and 32 MiB of Normal: small, but with a Normal zone for the OOM rules. */
const WITH_NORMAL = { ranges: [{ startPfn: 0, endPfn: 4096 }, { startPfn: NORMAL, endPfn: NORMAL + 8192 }] };

function drain(m: BuddyMachine, gfp: number): number[] {
  const got: number[] = [];
  for (let p = m.allocPages(0, gfp); p >= 0; p = m.allocPages(0, gfp)) got.push(p);
  return got;
}

describe("__alloc_pages_may_oom with a !__GFP_FS request (out_of_memory returns true for it)", () => {
  function setup(freeOnCall: number): { m: BuddyMachine; calls: () => number } {
    let calls = 0;
    let held: number[] = [];
    let mm: BuddyMachine | null = null;
    // No progress ever reported; on one call memory appears anyway (another task freed it).
    const reclaim: ReclaimPolicy = {
      directReclaim: () => {
        calls++;
        if (calls === freeOnCall && mm !== null) for (const p of held.splice(0, 64)) mm.freePages(p, 0);
        return 0;
      },
    };
    const m = createMachine({ ...WITH_NORMAL, reclaim });
    mm = m;
    held = drain(m, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
    calls = 0; // the drain's last, failing allocation reclaimed once too
    return { m, calls: () => calls };
  }

  it("retries an order <= 3 GFP_NOFS allocation instead of failing (no OOM policy needed)", () => {
    const { m, calls } = setup(3);
    const p = m.allocPages(0, GFP_NOFS | __GFP_NOWARN);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(calls()).toBe(3);
    m.checkInvariants();
  });

  it("does not retry a costly (order 4) GFP_NOFS allocation", () => {
    const { m, calls } = setup(1000);
    expect(m.allocPages(4, GFP_NOFS | __GFP_NOWARN)).toBe(-1);
    expect(calls()).toBe(1);
  });

  it("gives up after maxSlowpathRetries when memory never appears", () => {
    const { m, calls } = setup(1_000_000);
    expect(m.allocPages(0, GFP_NOFS | __GFP_NOWARN)).toBe(-1);
    expect(calls()).toBe(65); // the first try plus the 64 `goto retry`s
  });
});

describe("alloc_flags_nofragment: the preferred zone must be ZONE_NORMAL", () => {
  it("sets ALLOC_NOFRAGMENT when the first zone at or below highest_zoneidx is Normal", () => {
    const m = createMachine(WITH_NORMAL);
    expect(allocFlagsNofragment(m, ZONE_NORMAL)).toBe(ALLOC_NOFRAGMENT);
    // A movable highmem request prefers ZONE_MOVABLE, which has no memory: Normal is preferred.
    expect(allocFlagsNofragment(m, m.gfpZone(__GFP_HIGHMEM | __GFP_MOVABLE))).toBe(ALLOC_NOFRAGMENT);
    expect(allocFlagsNofragment(m, 1)).toBe(0);
  });
  it("does not set it on a machine without a Normal zone", () => {
    const m = createMachine({ memoryBytes: 64 << 20 });
    expect(allocFlagsNofragment(m, ZONE_NORMAL)).toBe(0);
  });
});

describe("__rmqueue_fallback: pageblock_order is the minimum only for order < pageblock_order", () => {
  /** Normal holds only order-9 Unmovable free blocks: one order-10 block split by an order-9 allocation. */
  function machine(): BuddyMachine {
    const m = createMachine({ ranges: [{ startPfn: NORMAL, endPfn: NORMAL + 1024 }], noWatermarks: true });
    m.setPageblockMigratetype(NORMAL, MIGRATE_UNMOVABLE);
    m.setPageblockMigratetype(NORMAL + 512, MIGRATE_UNMOVABLE);
    expect(m.allocPages(9, GFP_KERNEL)).toBe(NORMAL);
    return m;
  }
  it("an order-10 movable request under ALLOC_NOFRAGMENT takes no order-9 fallback block", () => {
    const m = machine();
    expect(rmqueueFallback(m, m.zones[ZONE_NORMAL], 10, MIGRATE_MOVABLE, ALLOC_WMARK_LOW | ALLOC_NOFRAGMENT)).toBe(false);
    expect(m.stats.fallbacks).toBe(0);
    expect(m.pageblockMigratetype(NORMAL + 512)).toBe(MIGRATE_UNMOVABLE);
  });
  it("an order-0 request under ALLOC_NOFRAGMENT still starts at pageblock_order", () => {
    const m = machine();
    expect(rmqueueFallback(m, m.zones[ZONE_NORMAL], 0, MIGRATE_MOVABLE, ALLOC_WMARK_LOW | ALLOC_NOFRAGMENT)).toBe(true);
    // The order-9 block was taken whole: its pageblock now belongs to Movable.
    expect(m.pageblockMigratetype(NORMAL + 512)).toBe(MIGRATE_MOVABLE);
    m.checkInvariants();
  });
});

describe("move_freepages counts PageLRU || __PageMovable pages, not __GFP_MOVABLE allocations", () => {
  /**
   * Normal only, two pageblocks: the first taken whole by Unmovable, the second (Movable) holding
   * 384 pages of movable THP-like compound pages and one free order-7 block.
   */
  function machine(onLru: boolean): BuddyMachine {
    const m = createMachine({ ranges: [{ startPfn: NORMAL, endPfn: NORMAL + 1024 }], noWatermarks: true });
    expect(m.allocPages(9, GFP_KERNEL)).toBe(NORMAL);
    // That order-9 request stole the whole order-10 block (change_pageblock_range): give the
    // second pageblock back to Movable.
    m.setPageblockMigratetype(NORMAL + 512, MIGRATE_MOVABLE);
    const gfp = __GFP_MOVABLE | __GFP_COMP;
    m.allocPagesAt(NORMAL + 512, 8, gfp);
    m.allocPagesAt(NORMAL + 768, 7, gfp);
    if (onLru) {
      m.lruAdd(NORMAL + 512);
      m.lruAdd(NORMAL + 768);
    }
    return m;
  }

  it("counts every page of an LRU compound page, and none of a page not yet on the LRU", () => {
    for (const onLru of [false, true]) {
      const m = machine(onLru);
      moveFreepagesBlock(m, m.zones[ZONE_NORMAL], NORMAL + 512, MIGRATE_MOVABLE);
      expect(m.movableScratch).toBe(onLru ? 384 : 0);
      expect(m.onLru(NORMAL + 513)).toBe(onLru); // a tail answers for its head (PF_HEAD)
      m.checkInvariants();
    }
  });

  it("steal_suitable_fallback: an Unmovable fallback claims the pageblock only when its movable pages are not on the LRU", () => {
    // alike_pages = pageblock_nr_pages - (free_pages + movable_pages) for Unmovable from Movable:
    // off the LRU, 128 free + 384 alike >= 256 claims it; on the LRU, 128 + 0 < 256 does not.
    for (const onLru of [false, true]) {
      const m = machine(onLru);
      expect(m.allocPages(0, GFP_KERNEL | __GFP_NOWARN)).toBe(NORMAL + 896);
      expect(m.pageblockMigratetype(NORMAL + 512)).toBe(onLru ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE);
      m.checkInvariants();
    }
  });

  it("lruAdd / lruDel check their page and leave the state alone when they refuse", () => {
    const m = machine(false);
    const before = [...m.flags.subarray(NORMAL, NORMAL + 1024)];
    expect(() => m.lruAdd(NORMAL + 513)).toThrow(/tail/); // a tail: NOT_ALLOCATED
    expect(() => m.lruAdd(NORMAL + 900)).toThrow(/free/);
    expect(() => m.lruAdd(NORMAL)).toThrow(/non-compound order-9/);
    expect(() => m.lruDel(NORMAL + 512)).toThrow(/not on an LRU/);
    m.lruAdd(NORMAL + 512);
    expect(() => m.lruAdd(NORMAL + 512)).toThrow(/already/);
    m.lruDel(NORMAL + 512);
    expect([...m.flags.subarray(NORMAL, NORMAL + 1024)]).toEqual(before);
    // Freeing takes a page off the LRU with every other flag.
    m.lruAdd(NORMAL + 512);
    m.freePages(NORMAL + 512, 8);
    expect(m.onLru(NORMAL + 513)).toBe(false);
    m.checkInvariants();
  });
});

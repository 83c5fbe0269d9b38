/** 6.1 behaviours of mm/page_alloc.c the model follows, each from the kernel source. */
import { describe, expect, it } from "vitest";
import {
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

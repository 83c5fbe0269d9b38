import { describe, expect, it } from "vitest";
import {
  __GFP_COMP,
  __GFP_DMA,
  __GFP_MOVABLE,
  type AllocHooks,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  isMmError,
  MIGRATE_MOVABLE,
  MIGRATE_UNMOVABLE,
  MR_COMPACTION,
  type PageSource,
  type ReportableFreeArea,
  ZONE_DMA,
  ZONE_DMA32,
} from "@mm/api";
import { type BuddyMachine, createMachine, EAGAIN, PB_TAIL } from "@mm/buddy";
import { snapshot } from "./helpers.js";

const MOVABLE = GFP_HIGHUSER_MOVABLE;

function small(): BuddyMachine {
  return createMachine({ memoryBytes: 32 << 20 }); // DMA 4096 pages + DMA32 4096 pages
}

describe("boot", () => {
  it("frees all memory in max-order blocks into Movable pageblocks", () => {
    const m = small();
    const census = m.checkInvariants();
    expect(census[ZONE_DMA].free + census[ZONE_DMA32].free).toBe(8192);
    expect(m.buddyinfo()).toBe(
      "Node 0, zone      DMA      0      0      0      0      0      0      0      0      0      0      4 \n" +
        "Node 0, zone    DMA32      0      0      0      0      0      0      0      0      0      0      4 \n",
    );
    expect(m.freeListLength(ZONE_DMA32, 10, MIGRATE_MOVABLE)).toBe(4);
  });

  it("holes and reserved pages stay allocated; odd ends are freed in smaller blocks", () => {
    const m = createMachine({
      ranges: [
        { startPfn: 1, endPfn: 159 },
        { startPfn: 256, endPfn: 3000 },
      ],
      reserved: [{ startPfn: 1, endPfn: 20 }],
    });
    const c = m.checkInvariants();
    expect(c[ZONE_DMA]).toEqual({ free: 139 + 2744, allocated: 0, isolated: 0, reserved: 19, pcp: 0 });
    expect(m.zones[ZONE_DMA].managed).toBe(139 + 2744);
    expect(m.zones[ZONE_DMA].spanned).toBe(2999);
  });
});

describe("contracts", () => {
  it("a machine is a PageSource and a ReportableFreeArea", () => {
    const m = small();
    const src: PageSource = m;
    const area: ReportableFreeArea = m;
    const p = src.allocPages(1, GFP_KERNEL);
    src.freePages(p, 1);
    expect(area.nrZones).toBe(5);
    expect(area.maxOrder).toBe(10);
    expect(area.zoneName(ZONE_DMA32)).toBe("DMA32");
    expect(area.zoneManagedPages(ZONE_DMA32)).toBe(4096);
    expect(area.zoneWatermark(ZONE_DMA32, 1)).toBe(m.zones[ZONE_DMA32].wmarkLow);
  });
});

describe("late frees", () => {
  it("freeReservedRange gives reserved pages to the allocator one by one, without new watermarks", () => {
    const m = createMachine({ memoryBytes: 32 << 20, reserved: [{ startPfn: 5000, endPfn: 5100 }] });
    const z = m.zones[ZONE_DMA32];
    const [managed, wm] = [z.managed, z.watermarks];
    m.freeReservedRange(5000, 5100);
    expect(z.managed).toBe(managed + 100);
    expect(z.watermarks).toEqual(wm);
    expect(m.checkInvariants()[ZONE_DMA32].reserved).toBe(0);
    let err: unknown;
    try {
      m.freeReservedRange(5000, 5001);
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "NOT_ALLOCATED")).toBe(true);
  });
});

describe("allocation and freeing", () => {
  it("splits the lowest half off and merges back to the boot state", () => {
    const m = small();
    const before = m.buddyinfo();
    const p = m.allocPages(0, MOVABLE);
    // DMA32 is preferred; the first order-10 block splits: pages 1..1023 go back as 1,2,4..512.
    expect(m.zoneOf(p)).toBe(ZONE_DMA32);
    expect(m.buddyinfoRows()[1].counts).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3]);
    const q = m.allocPages(0, MOVABLE);
    expect(q).toBe(p + 1);
    m.checkInvariants();
    m.freePages(p, 0);
    m.freePages(q, 0);
    m.checkInvariants();
    expect(m.buddyinfo()).toBe(before);
  });

  it("an Unmovable request steals a whole Movable max-order block (both pageblocks)", () => {
    const m = small();
    const p = m.allocPages(0, GFP_KERNEL);
    expect(m.pageblockMigratetype(p)).toBe(MIGRATE_UNMOVABLE);
    expect(m.pageblockMigratetype(p + 512)).toBe(MIGRATE_UNMOVABLE);
    expect(m.stats.fallbacks).toBe(1);
    m.checkInvariants();
    m.freePages(p, 0);
    m.checkInvariants();
    // The freed block merges back into an order-10 block on the Unmovable list.
    expect(m.freeListLength(ZONE_DMA32, 10, MIGRATE_UNMOVABLE)).toBe(1);
  });

  it("__GFP_DMA allocates from DMA; exhausting memory fails with warn_alloc", () => {
    const lines: string[] = [];
    const m = createMachine({ memoryBytes: 8 << 20, log: (l) => lines.push(l) });
    const got: number[] = [];
    for (;;) {
      const p = m.allocPages(0, GFP_KERNEL | __GFP_DMA);
      if (p < 0) break;
      got.push(p);
    }
    // Stops at the min watermark (the slow path's mark); pages below it stay free.
    expect(m.zones[ZONE_DMA].freePages).toBeLessThanOrEqual(m.zones[ZONE_DMA].wmarkMin + 1);
    expect(lines).toEqual(["swapper/0: page allocation failure: order:0, mode:0xcc1(GFP_KERNEL|GFP_DMA), nodemask=(null),cpuset=/,mems_allowed=0"]);
    m.checkInvariants();
    for (const p of got) m.freePages(p, 0);
    m.checkInvariants();
    expect(m.zones[ZONE_DMA].freePages).toBe(m.zones[ZONE_DMA].managed);
  });

  it("compound pages mark their tails and free as one block on the last put", () => {
    const m = small();
    const p = m.allocPages(3, MOVABLE | __GFP_COMP);
    expect(m.flags[p + 7] & PB_TAIL).toBe(PB_TAIL);
    m.getPage(p + 5); // a tail reference goes to the head
    expect(m.pageCount(p)).toBe(2);
    m.putPage(p + 2);
    expect(m.pageCount(p)).toBe(1);
    m.checkInvariants();
    m.putPage(p);
    expect(m.isAllocated(p)).toBe(false);
    m.checkInvariants();
    expect(m.freePagesTotal()).toBe(m.totalramPages());
  });

  it("__free_pages with an extra reference frees the tail parts and keeps the first page", () => {
    const m = small();
    const p = m.allocPages(2, MOVABLE);
    m.getPage(p);
    m.freePages(p, 2);
    m.checkInvariants();
    expect(m.isAllocated(p)).toBe(true);
    expect(m.order[p]).toBe(0);
    expect(m.zones[m.zoneOf(p)].freePages).toBe(m.zones[m.zoneOf(p)].managed - 1);
    m.putPage(p);
    m.checkInvariants();
    expect(m.freePagesTotal()).toBe(m.totalramPages());
  });

  it("split_page makes independent order-0 pages", () => {
    const m = small();
    const p = m.allocPages(2, GFP_KERNEL);
    m.splitPage(p, 2);
    for (let i = 0; i < 4; i++) expect(m.pageCount(p + i)).toBe(1);
    m.checkInvariants();
    for (const i of [2, 0, 3, 1]) m.freePages(p + i, 0);
    m.checkInvariants();
    expect(m.freePagesTotal()).toBe(m.totalramPages());
  });
});

describe("hooks", () => {
  it("are called in order with the kernel's arguments, and unsubscribe", () => {
    const m = small();
    const ev: string[] = [];
    const h: AllocHooks = {
      postAlloc: (pfn, order, gfp) => ev.push(`alloc ${pfn} ${order} ${gfp.toString(16)}`),
      freePrepare: (pfn, order) => ev.push(`free ${pfn} ${order}`),
      split: (pfn, order) => ev.push(`split ${pfn} ${order}`),
      get: (pfn, c) => ev.push(`get ${pfn} ${c}`),
      put: (pfn, c) => ev.push(`put ${pfn} ${c}`),
      migrate: (a, b, o, r) => ev.push(`migrate ${a}->${b} ${o} ${r}`),
      migrateFail: (a, r, e) => ev.push(`fail ${a} ${r} ${e}`),
    };
    const off = m.addHooks(h);
    const p = m.allocPages(1, MOVABLE);
    m.getPage(p);
    expect(m.migratePage(p, MR_COMPACTION)).toBe(-EAGAIN);
    m.putPage(p);
    const q = m.migratePage(p, MR_COMPACTION);
    m.freePages(q, 1);
    off();
    m.allocPages(0, MOVABLE);
    expect(ev).toEqual([
      `alloc ${p} 1 100cca`,
      `get ${p} 2`,
      `fail ${p} 0 -11`,
      `put ${p} 1`,
      `alloc ${q} 1 104cc8`,
      `migrate ${p}->${q} 1 0`,
      `free ${p} 1`,
      `put ${q} 0`,
      `free ${q} 1`,
    ]);
  });
});

describe("bad input leaves the state byte-identical", () => {
  const cases: [string, string, (m: BuddyMachine, p: number) => void][] = [
    ["double free", "DOUBLE_FREE", (m, p) => m.freePages(p + 8, 0)],
    ["free with the wrong order", "WRONG_ORDER", (m, p) => m.freePages(p, 3)],
    ["free of a pfn out of range", "PFN_OUT_OF_RANGE", (m) => m.freePages(1 << 30, 0)],
    ["free of a negative pfn", "PFN_OUT_OF_RANGE", (m) => m.freePages(-1, 0)],
    ["free in a hole", "PFN_IN_HOLE", (m) => m.freePages(200, 0)],
    ["free with a bad order", "BAD_ORDER", (m, p) => m.freePages(p, 11)],
    ["free of a tail page", "NOT_ALLOCATED", (m, p) => m.freePages(p + 1, 0)],
    ["free of a reserved page", "NOT_ALLOCATED", (m) => m.freePages(1, 0)],
    ["put on a free page", "PUT_ON_FREE_PAGE", (m, p) => m.putPage(p + 8)],
    ["get on a free page", "PUT_ON_FREE_PAGE", (m, p) => m.getPage(p + 9)],
    ["isolate of a non-free block", "NOT_FREE_BLOCK", (m, p) => m.isolateFreePage(p, 2)],
    ["isolate with the wrong order", "NOT_FREE_BLOCK", (m, p) => m.isolateFreePage(p + 8, 2)],
    ["putback of a non-isolated block", "NOT_ISOLATED", (m, p) => m.putbackIsolatedPage(p + 8, 3, 0)],
    ["setReported on an allocated page", "NOT_FREE_BLOCK", (m, p) => m.setReported(p)],
    ["alloc with a bad order", "BAD_ORDER", (m) => m.allocPages(12, GFP_KERNEL)],
    ["alloc with two zone modifiers", "EINVAL", (m) => m.allocPages(0, 0x05)],
  ];
  for (const [name, code, op] of cases) {
    it(name, () => {
      const m = createMachine({
        ranges: [
          { startPfn: 1, endPfn: 159 },
          { startPfn: 256, endPfn: 8192 },
        ],
        reserved: [{ startPfn: 1, endPfn: 20 }],
      });
      const p = m.allocPages(2, MOVABLE);
      expect(p % 16).toBe(0);
      // p+8 heads a free order-3 block (the split left 4..7 at order 2 and 8..15 at order 3).
      expect(m.isFree(p + 8)).toBe(true);
      const before = snapshot(m);
      let err: unknown;
      try {
        op(m, p);
      } catch (e) {
        err = e;
      }
      expect(isMmError(err) ? err.code : err).toBe(code);
      expect(snapshot(m)).toBe(before);
      m.checkInvariants();
    });
  }
});

describe("ReportableFreeArea", () => {
  it("isolates, puts back, keeps Reported until the block leaves the list or merges", () => {
    const m = small();
    const z = ZONE_DMA32;
    const notified: number[] = [];
    m.onFreeNotify((o) => notified.push(o));
    const first = m.freeListFirst(z, 10, MIGRATE_MOVABLE);
    const second = m.freeListNext(first);
    expect(second).toBe(first + 1024);
    const free0 = m.zoneFreePages(z);
    expect(m.isolateFreePage(first, 10)).toBe(true);
    expect(m.zoneFreePages(z)).toBe(free0 - 1024);
    expect(m.nrFree(z, 10)).toBe(3);
    m.checkInvariants();
    m.putbackIsolatedPage(first, 10, m.pageblockMigratetype(first));
    expect(notified).toEqual([]); // putback skips the report notification
    m.setReported(first);
    expect(m.isReported(first)).toBe(true);
    // Back at the tail of the list, still Reported; rotating keeps it Reported.
    expect(m.freeListFirst(z, 10, MIGRATE_MOVABLE)).toBe(second);
    m.rotateToFront(z, 10, MIGRATE_MOVABLE, first);
    expect(m.freeListFirst(z, 10, MIGRATE_MOVABLE)).toBe(first);
    expect(m.isReported(first)).toBe(true);
    m.checkInvariants();
    // Allocating splits it: the block left the list, the halves are not Reported.
    const p = m.allocPages(9, MOVABLE);
    expect(p).toBe(first);
    expect(m.isReported(first)).toBe(false);
    expect(m.isReported(first + 512)).toBe(false);
    m.setReported(first + 512);
    m.freePages(p, 9);
    // Merged with its buddy: Reported is gone, and the free was notified with the merged order.
    expect(m.buddyOrder(first)).toBe(10);
    expect(m.isReported(first)).toBe(false);
    expect(m.isReported(first + 512)).toBe(false);
    expect(notified).toEqual([10]);
    m.checkInvariants();
  });

  it("isolation refuses to go below the min watermark", () => {
    const m = createMachine({ memoryBytes: 16 << 20 }); // DMA only: 4096 pages
    const z = ZONE_DMA;
    let n = 0;
    for (let p = m.freeListFirst(z, 10, MIGRATE_MOVABLE); p >= 0; p = m.freeListFirst(z, 10, MIGRATE_MOVABLE)) {
      if (!m.isolateFreePage(p, 10)) break;
      n++;
    }
    expect(n).toBe(3);
    expect(m.zoneFreePages(z)).toBe(1024);
    m.checkInvariants();
    expect(m.zoneWatermarkOk(z, 0, m.zoneWatermark(z, 0) + 1024, 0)).toBe(false);
  });
});

describe("migration", () => {
  it("moves an allocated block and its references; -EAGAIN while extra refs are held", () => {
    const m = small();
    const p = m.allocPages(0, MOVABLE);
    m.getPage(p);
    expect(m.migratePage(p, MR_COMPACTION)).toBe(-EAGAIN);
    expect(m.stats.migrationFailures).toBe(1);
    const q = m.migratePage(p, MR_COMPACTION, { expectedRefs: 2 });
    expect(q).toBeGreaterThanOrEqual(0);
    expect(q).not.toBe(p);
    expect(m.pageCount(q)).toBe(2);
    expect(m.isAllocated(p)).toBe(false);
    m.checkInvariants();
    m.putPage(q);
    m.putPage(q);
    expect(m.freePagesTotal()).toBe(m.totalramPages());
  });

  it("allocation through __GFP_MOVABLE lands in the highest zone", () => {
    const m = small();
    expect(m.zoneOf(m.allocPages(0, __GFP_MOVABLE))).toBe(ZONE_DMA32);
  });
});

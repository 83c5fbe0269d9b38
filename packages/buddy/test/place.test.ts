import { describe, expect, it } from "vitest";
import { __GFP_COMP, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, isMmError, MIGRATE_MOVABLE, MIGRATE_UNMOVABLE, MIGRATE_CMA, ZONE_DMA32 } from "@mm/api";
import { createMachine } from "@mm/buddy";
import { snapshot } from "./helpers.js";

function small() {
  return createMachine({ memoryBytes: 32 << 20 }); // DMA 4096 pages + DMA32 4096 pages
}

describe("allocPagesAt (take_page_off_buddy-style placement)", () => {
  it("carves the chosen block out of a max-order block and frees the rest back as buddies", () => {
    const m = small();
    const before = m.zoneFreePages(ZONE_DMA32);
    m.allocPagesAt(4096 + 5, 0, GFP_KERNEL);
    expect(m.isAllocated(4096 + 5)).toBe(true);
    expect(m.pageCount(4096 + 5)).toBe(1);
    expect(m.zoneFreePages(ZONE_DMA32)).toBe(before - 1);
    // 1024 - 1 pages remain in the first order-10 block, as one buddy per order 0..9.
    for (let o = 0; o < 10; o++) expect(m.nrFree(ZONE_DMA32, o)).toBe(1);
    m.checkInvariants();
    m.freePages(4096 + 5, 0);
    expect(m.zoneFreePages(ZONE_DMA32)).toBe(before);
    expect(m.nrFree(ZONE_DMA32, 10)).toBe(4);
    m.checkInvariants();
  });

  it("makes compound pages with __GFP_COMP and calls the postAlloc hooks", () => {
    const m = small();
    const seen: [number, number][] = [];
    m.addHooks({ postAlloc: (pfn, order) => seen.push([pfn, order]) });
    m.allocPagesAt(4096 + 512, 9, GFP_HIGHUSER_MOVABLE | __GFP_COMP);
    expect(seen).toEqual([[4096 + 512, 9]]);
    expect(m.allocatedBlockHead(4096 + 700)).toBe(4096 + 512);
    m.checkInvariants();
  });

  it("refuses a range that is not wholly free, or misaligned, and leaves the state intact", () => {
    const m = small();
    m.allocPagesAt(4096 + 8, 0, GFP_KERNEL);
    const s = snapshot(m);
    for (const [pfn, order, code] of [
      [4096 + 8, 0, "NOT_FREE_BLOCK"],
      [4096 + 8, 3, "NOT_FREE_BLOCK"],
      [4096 + 9, 1, "EINVAL"],
      [1 << 30, 0, undefined],
    ] as const) {
      let err: unknown;
      try {
        m.allocPagesAt(pfn, order, GFP_KERNEL);
      } catch (e) {
        err = e;
      }
      expect(isMmError(err)).toBe(true);
      if (code !== undefined && isMmError(err)) expect(err.code).toBe(code);
      expect(snapshot(m)).toEqual(s);
    }
  });
});

describe("setPageblockMigratetype", () => {
  it("moves the pageblock's free blocks to the new list (move_freepages_block)", () => {
    const m = small();
    expect(m.freeListLength(ZONE_DMA32, 10, MIGRATE_MOVABLE)).toBe(4);
    m.allocPagesAt(4096, 0, GFP_KERNEL);
    m.setPageblockMigratetype(4096, MIGRATE_UNMOVABLE);
    expect(m.pageblockMigratetype(4096)).toBe(MIGRATE_UNMOVABLE);
    // pageblock 4096..4607 (order 9): its 9 free buddies (orders 0..8) are now Unmovable.
    let unmovable = 0;
    for (let o = 0; o <= 10; o++) unmovable += m.freeListLength(ZONE_DMA32, o, MIGRATE_UNMOVABLE);
    expect(unmovable).toBe(9);
    m.checkInvariants();
  });

  it("refuses MIGRATE_ISOLATE and keeps free CMA counts consistent", () => {
    const m = createMachine({ memoryBytes: 32 << 20, config: { cma: true, isolation: true } });
    let threw = false;
    try {
      m.setPageblockMigratetype(4096, 99);
    } catch (e) {
      threw = isMmError(e);
    }
    expect(threw).toBe(true);
    m.allocPagesAt(4096, 0, GFP_KERNEL);
    m.setPageblockMigratetype(4096 + 512, MIGRATE_CMA);
    expect(m.zones[ZONE_DMA32]?.freeCmaPages).toBe(512);
    m.setPageblockMigratetype(4096 + 512, MIGRATE_MOVABLE);
    expect(m.zones[ZONE_DMA32]?.freeCmaPages).toBe(0);
    m.checkInvariants();
  });
});

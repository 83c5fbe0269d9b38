/**
 * The invariant checker finds what it claims to check: each test plants one fault in an otherwise
 * healthy machine and expects MmError("INVARIANT") naming it, then shows the healthy state passes.
 */
import { describe, expect, it } from "vitest";
import { __GFP_MOVABLE, GFP_KERNEL, isMmError, MIGRATE_HIGHATOMIC, MIGRATE_MOVABLE, MIGRATE_UNMOVABLE, ZONE_DMA32, ZONE_NORMAL } from "@mm/api";
import { type BuddyMachine, createMachine } from "@mm/buddy";
import { addToFreeList, delFromFreeList } from "../src/free-area.js";

const NORMAL = 1 << 20;
/** DMA, DMA32 and Normal, each with some memory. */
const THREE_ZONES = { ranges: [{ startPfn: 0, endPfn: 8192 }, { startPfn: NORMAL, endPfn: NORMAL + 8192 }] };

function invariantError(m: BuddyMachine): string {
  try {
    m.checkInvariants();
  } catch (e) {
    if (isMmError(e, "INVARIANT")) return e.message;
    throw e;
  }
  return "";
}

describe("checkInvariants: reserves", () => {
  it("passes on a fresh machine, and after late frees that leave the watermarks alone", () => {
    const m = createMachine({ ...THREE_ZONES, reserved: [{ startPfn: NORMAL, endPfn: NORMAL + 64 }] });
    expect(invariantError(m)).toBe("");
    m.freeReservedRange(NORMAL, NORMAL + 64); // managed grows, the marks stay: still consistent
    expect(invariantError(m)).toBe("");
  });

  it("finds a watermark that does not match __setup_per_zone_wmarks", () => {
    const m = createMachine(THREE_ZONES);
    m.zones[ZONE_NORMAL].wmarkLow += 1;
    expect(invariantError(m)).toMatch(/zone Normal: watermarks .* recomputed/);
  });

  it("finds a lowmem_reserve that does not match setup_per_zone_lowmem_reserve", () => {
    const m = createMachine(THREE_ZONES);
    m.zones[ZONE_DMA32].lowmemReserve[ZONE_NORMAL] += 1;
    expect(invariantError(m)).toMatch(/zone DMA32: lowmem_reserve\[2\]/);
  });

  it("finds nr_reserved_highatomic short of the HighAtomic pageblocks, or past the reserve's cap", () => {
    const m = createMachine(THREE_ZONES);
    m.setPageblockMigratetype(NORMAL, MIGRATE_HIGHATOMIC);
    expect(invariantError(m)).toBe("");
    const z = m.zones[ZONE_NORMAL];
    z.nrReservedHighatomic = 0;
    expect(invariantError(m)).toMatch(/nr_reserved_highatomic 0 for 1 HighAtomic/);
    z.nrReservedHighatomic = 512 * 3; // managed / 100 + 2 pageblocks is out of reach
    expect(invariantError(m)).toMatch(/nr_reserved_highatomic 1536/);
  });
});

describe("checkInvariants: the not-merged check after a relabel", () => {
  /** Two free order-9 buddies in Normal, kept apart by Unmovable vs HighAtomic labels. */
  function split(): BuddyMachine {
    const m = createMachine({ ranges: [{ startPfn: NORMAL, endPfn: NORMAL + 1024 }], noWatermarks: true });
    // An order-9 allocation splits the order-10 block; label the halves apart, then free it.
    const p = m.allocPages(9, GFP_KERNEL);
    m.setPageblockMigratetype(p ^ 512, MIGRATE_HIGHATOMIC);
    m.freePages(p, 9);
    expect(m.nrFree(ZONE_NORMAL, 9)).toBe(2); // incompatible types: not merged, rightly
    return m;
  }

  it("excuses the unmerged pair a relabel leaves, as the kernel leaves it", () => {
    const m = split();
    m.setPageblockMigratetype(NORMAL + 512, MIGRATE_UNMOVABLE); // relabel, no merge
    expect(m.nrFree(ZONE_NORMAL, 9)).toBe(2);
    expect(invariantError(m)).toBe("");
  });

  it("stops excusing once that block has left the lists (the blind spot is closed)", () => {
    const m = split();
    m.setPageblockMigratetype(NORMAL + 512, MIGRATE_UNMOVABLE);
    // The excused block leaves the lists and comes back by hand, without the merge __free_one_page does.
    delFromFreeList(m, NORMAL + 512, ZONE_NORMAL, 9);
    addToFreeList(m, NORMAL + 512, ZONE_NORMAL, 9, MIGRATE_UNMOVABLE, false);
    expect(invariantError(m)).toMatch(/were not merged/);
  });

  it("a relabel with no free block of pageblock order to excuse marks nothing", () => {
    const m = createMachine({ ranges: [{ startPfn: NORMAL, endPfn: NORMAL + 1024 }], noWatermarks: true });
    const p = m.allocPages(0, GFP_KERNEL | __GFP_MOVABLE);
    m.setPageblockMigratetype(p, MIGRATE_UNMOVABLE);
    expect(m.pageblockWasHighatomic.every((x) => x === 0)).toBe(true);
    m.setPageblockMigratetype(p, MIGRATE_MOVABLE);
    expect(m.pageblockWasHighatomic.every((x) => x === 0)).toBe(true);
    expect(invariantError(m)).toBe("");
  });
});

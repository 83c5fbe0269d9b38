import { describe, expect, it } from "vitest";
import {
  type AllocHooks,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  MIGRATE_CMA,
  MIGRATE_ISOLATE,
  MR_CONTIG_RANGE,
  ZONE_DMA32,
} from "@mm/api";
import { createMachine, EBUSY } from "@mm/buddy";

function cmaMachine() {
  // 64 MiB: DMA 16 MiB + DMA32 48 MiB, with 8 MiB of CMA at the top of DMA32.
  return createMachine({ memoryBytes: 64 << 20, cma: { nrPages: 2048 } });
}

describe("CMA and alloc_contig_range", () => {
  it("boots CMA pageblocks as MIGRATE_CMA, counted in NR_FREE_CMA_PAGES", () => {
    const m = cmaMachine();
    const z = m.zones[ZONE_DMA32];
    expect(z.cmaPages).toBe(2048);
    expect(z.freeCmaPages).toBe(2048);
    expect(m.pageblockMigratetype(16384 - 1)).toBe(MIGRATE_CMA);
    m.checkInvariants();
  });

  it("only movable allocations use CMA; unmovable ones never do", () => {
    const m = cmaMachine();
    const cmaStart = 16384 - 2048;
    const unmov: number[] = [];
    for (;;) {
      const p = m.allocPages(0, GFP_KERNEL);
      if (p < 0) break;
      unmov.push(p);
    }
    expect(unmov.every((p) => p < cmaStart)).toBe(true);
    // The unusable CMA pages don't count for an unmovable request's watermark.
    const mov = m.allocPages(0, GFP_HIGHUSER_MOVABLE);
    expect(mov).toBeGreaterThanOrEqual(cmaStart);
    m.checkInvariants();
  });

  it("migrates movable pages out with MR_CONTIG_RANGE and hands the range over as order-0 pages", () => {
    const m = cmaMachine();
    const cmaStart = 16384 - 2048;
    // Movable allocations go to CMA when more than half of the free memory is CMA: fill first.
    const all: number[] = [];
    while (m.zones[ZONE_DMA32].freeCmaPages > 1500) all.push(m.allocPages(0, GFP_HIGHUSER_MOVABLE));
    const inCma = all.filter((p) => p >= cmaStart);
    expect(inCma.length).toBeGreaterThan(500);
    for (const p of all.filter((q) => q < cmaStart).slice(0, 2048)) m.freePages(p, 0); // room outside CMA
    const ev: string[] = [];
    const hooks: AllocHooks = {
      migrate: (a, b, _o, r) => ev.push(`migrate ${a} ${b >= cmaStart ? "cma" : "out"} ${r}`),
      split: (p, o) => ev.push(`split ${p} ${o}`),
    };
    m.addHooks(hooks);
    const start = cmaStart;
    const end = cmaStart + 1024;
    expect(m.allocContigRange(start, end)).toBe(0);
    m.checkInvariants();
    expect(ev.filter((e) => e.startsWith("migrate")).length).toBe(inCma.filter((p) => p < end).length);
    expect(ev.every((e) => !e.startsWith("migrate") || e.endsWith(`out ${MR_CONTIG_RANGE}`))).toBe(true);
    for (let p = start; p < end; p++) expect(m.pageCount(p)).toBe(1);
    // Pageblocks are CMA again, none left isolated.
    for (let p = cmaStart; p < 16384; p += 512) expect(m.pageblockMigratetype(p)).toBe(MIGRATE_CMA);
    m.freeContigRange(start, end - start);
    m.checkInvariants();
  });

  it("fails with -EBUSY while a page holds an extra reference, and restores the isolation", () => {
    const m = cmaMachine();
    const cmaStart = 16384 - 2048;
    while (m.zones[ZONE_DMA32].freeCmaPages * 2 <= m.zones[ZONE_DMA32].freePages) m.allocPages(0, GFP_HIGHUSER_MOVABLE);
    const p = m.allocPages(0, GFP_HIGHUSER_MOVABLE);
    expect(p).toBeGreaterThanOrEqual(cmaStart);
    m.getPage(p); // a GUP-like pin
    const fails: number[] = [];
    m.addHooks({ migrateFail: (pfn, reason, err) => fails.push(pfn, reason, err) });
    const freeBefore = m.zones[ZONE_DMA32].freePages;
    expect(m.allocContigRange(cmaStart, cmaStart + 2048)).toBe(-EBUSY);
    expect(fails).toEqual([p, MR_CONTIG_RANGE, -11]);
    m.checkInvariants();
    expect(m.zones[ZONE_DMA32].freePages).toBe(freeBefore);
    for (let q = cmaStart; q < 16384; q += 512) expect(m.pageblockMigratetype(q)).not.toBe(MIGRATE_ISOLATE);
    m.putPage(p);
    expect(m.allocContigRange(cmaStart, cmaStart + 2048)).toBe(0);
    m.checkInvariants();
  });

  it("refuses a Movable range with unmovable pages at isolation time", () => {
    const m = createMachine({ memoryBytes: 32 << 20 });
    const u = m.allocPages(0, GFP_KERNEL);
    const before = m.buddyinfo();
    expect(m.allocContigRange(u & ~1023, (u & ~1023) + 1024, 1)).toBe(-EBUSY);
    expect(m.buddyinfo()).toBe(before);
    m.checkInvariants();
  });
});

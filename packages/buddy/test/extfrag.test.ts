import { describe, expect, it } from "vitest";
import { GFP_KERNEL, ZONE_DMA32 } from "@mm/api";
import {
  contigPageInfo,
  createMachine,
  formatExtfragIndex,
  formatUnusableIndex,
  fragmentationIndex,
  parseBuddyinfo,
  unusableFreeIndex,
} from "@mm/buddy";
import { readFixture } from "./helpers.js";

describe("fill_contig_page_info and the two indices (mm/vmstat.c)", () => {
  it("counts free pages, blocks and blocks usable at an order", () => {
    // 3 free pages of order 0, 1 of order 2 (4 pages), 2 of order 3 (16 pages).
    const counts = [3, 0, 1, 2];
    expect(contigPageInfo(counts, 0)).toEqual({ freePages: 23, freeBlocksTotal: 6, freeBlocksSuitable: 23 });
    expect(contigPageInfo(counts, 2)).toEqual({ freePages: 23, freeBlocksTotal: 6, freeBlocksSuitable: 1 + 4 });
    expect(contigPageInfo(counts, 3)).toEqual({ freePages: 23, freeBlocksTotal: 6, freeBlocksSuitable: 2 });
  });

  it("unusable index: (free - suitable << order) * 1000 / free, 1000 when nothing is free", () => {
    const counts = [3, 0, 1, 2];
    expect(unusableFreeIndex(0, contigPageInfo(counts, 0))).toBe(0);
    expect(unusableFreeIndex(1, contigPageInfo(counts, 1))).toBe(Math.floor((3 * 1000) / 23)); // 130
    expect(unusableFreeIndex(3, contigPageInfo(counts, 3))).toBe(Math.floor((7 * 1000) / 23)); // 304
    expect(unusableFreeIndex(4, contigPageInfo(counts, 4))).toBe(1000);
    expect(unusableFreeIndex(0, contigPageInfo([0, 0], 0))).toBe(1000);
  });

  it("fragmentation index: -1000 when the request fits, 0 with nothing free, the kernel's formula otherwise", () => {
    const counts = [3, 0, 1, 2];
    expect(fragmentationIndex(3, contigPageInfo(counts, 3))).toBe(-1000);
    // order 4: 1000 - (1000 + 23000/16) / 6 = 1000 - 2437/6 = 1000 - 406 = 594
    expect(fragmentationIndex(4, contigPageInfo(counts, 4))).toBe(594);
    expect(fragmentationIndex(2, contigPageInfo([0, 0, 0], 2))).toBe(0);
    // The formula's corner: one free page, order 1 -> 1000 - 1500 = -500 (the kernel prints "0.-500").
    expect(fragmentationIndex(1, contigPageInfo([1, 0], 1))).toBe(-500);
  });

  it("prints like unusable_show_print / extfrag_show_print, C integer formatting included", () => {
    const rows = [{ node: 0, zone: "DMA32", counts: [3, 0, 1, 2, 0] }];
    expect(formatUnusableIndex(rows)).toBe("Node 0, zone    DMA32 0.000 0.130 0.130 0.304 1.000 \n");
    expect(formatExtfragIndex(rows)).toBe("Node 0, zone    DMA32 -1.000 -1.000 -1.000 -1.000  0.594 \n");
    expect(formatExtfragIndex([{ node: 0, zone: "DMA", counts: [1, 0] }])).toBe("Node 0, zone      DMA -1.000  0.-500 \n");
  });

  it("the fixture's buddyinfo gives the indices its kernel would have printed at that moment", () => {
    const rows = parseBuddyinfo(readFixture("proc/buddyinfo.txt"));
    const text = formatUnusableIndex(rows).split("\n");
    // DMA: 1 x order 8, 1 x order 9, 3 x order 10 = 256 + 512 + 3072 = 3840 free pages.
    expect(text[0]).toBe(`Node 0, zone      DMA ${"0.000 ".repeat(9)}0.066 0.200 `);
    expect(formatExtfragIndex(rows).split("\n")[0]).toBe(`Node 0, zone      DMA ${"-1.000 ".repeat(11)}`);
  });

  it("follows a live machine's free areas", () => {
    const m = createMachine({ memoryBytes: 32 << 20 });
    const before = formatUnusableIndex(m.buddyinfoRows());
    for (let i = 0; i < 5; i++) m.allocPagesAt(4096 + i * 512, 0, GFP_KERNEL);
    const after = formatUnusableIndex(m.buddyinfoRows());
    expect(after).not.toBe(before);
    const z = m.buddyinfoRows().find((r) => r.zone === m.zoneName(ZONE_DMA32))!;
    const info = contigPageInfo(z.counts, 10);
    expect(info.freePages).toBe(m.zoneFreePages(ZONE_DMA32));
  });
});

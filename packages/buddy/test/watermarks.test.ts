import { describe, expect, it } from "vitest";
import { PAGE_SHIFT, ZONE_DMA, ZONE_DMA32 } from "@mm/api";
import {
  createMachine,
  intSqrt,
  lowmemReserves,
  minFreeKbytesFor,
  multFrac,
  thpRecommendedMinFreeKbytes,
  zoneWatermarks,
} from "@mm/buddy";
import { FIXTURE_BOOT, readFixture } from "./helpers.js";

/** min/low/high/managed/protection of a zone in the fixture's zoneinfo. */
function zoneinfo(zone: string): { min: number; low: number; high: number; managed: number; protection: number[] } {
  const text = readFixture("proc/zoneinfo.txt");
  const start = text.indexOf(`zone ${zone.padStart(8)}\n`);
  const block = text.slice(start, text.indexOf("Node 0, zone", start + 10));
  const num = (k: string): number => Number(new RegExp(`\\n\\s+${k}\\s+(\\d+)`).exec(block)![1]);
  const prot = /protection: \(([^)]*)\)/.exec(block)![1].split(", ").map(Number);
  return { min: num("min"), low: num("low"), high: num("high"), managed: num("managed"), protection: prot };
}

describe("watermark arithmetic", () => {
  it("intSqrt is the floor square root", () => {
    for (const x of [0, 1, 2, 3, 4, 15, 16, 17, 3414400, 2 ** 52 - 1, 99999999999]) {
      const r = intSqrt(x);
      expect(r * r).toBeLessThanOrEqual(x);
      expect((r + 1) * (r + 1)).toBeGreaterThan(x);
    }
  });

  it("multFrac matches exact integer math", () => {
    for (const [x, n, d] of [[51112, 10, 10000], [3840, 10, 10000], [123456789, 15000, 10000]] as const)
      expect(multFrac(x, n, d)).toBe(Number((BigInt(x) * BigInt(n)) / BigInt(d)));
  });

  it("min_free_kbytes follows int_sqrt(lowmem_kbytes * 16) with the documented examples", () => {
    // kernel-spec §1.7: 512 MiB -> 2896, 4 GiB -> 8192, 8 GiB -> 11585 (lowmem = all of RAM).
    expect(minFreeKbytesFor((512 << 20) >> PAGE_SHIFT)).toBe(2896);
    expect(minFreeKbytesFor((4 * 2 ** 30) / 4096)).toBe(8192);
    expect(minFreeKbytesFor((8 * 2 ** 30) / 4096)).toBe(11585);
    expect(minFreeKbytesFor(1)).toBe(128);
    expect(minFreeKbytesFor(2 ** 40)).toBe(262144);
  });

  it("the single 8 GiB zone example of kernel-spec §1.7", () => {
    const managed = (8 * 2 ** 30) / 4096;
    expect(zoneWatermarks(2896, managed, managed, false, 10).slice(0, 3)).toEqual([2896, 4993, 7090]);
  });

  it("lowmem_reserve sums the higher zones' managed pages over the lower zone's ratio", () => {
    expect(lowmemReserves([3840, 49510, 0, 0, 0], [256, 256, 32, 0, 0])[0]).toEqual([0, 193, 193, 193, 193]);
    expect(lowmemReserves([3840, 51112, 100000, 0, 0], [256, 256, 32, 0, 0])[1]).toEqual([0, 0, 390, 390, 390]);
    expect(lowmemReserves([0, 51112, 0, 0, 0], [256, 256, 32, 0, 0])[0]).toEqual([0, 0, 0, 0, 0]);
  });

  it("THP's recommendation is 11 pageblocks per zone, capped at 5 % of buffer pages", () => {
    expect(thpRecommendedMinFreeKbytes(2, 512, 10_000_000)).toBe((512 * 2 * 2 + 512 * 2 * 9) * 4);
    expect(thpRecommendedMinFreeKbytes(2, 512, 54264)).toBe(2713 * 4);
  });
});

describe("the fixture's watermarks (kernel 6.1, 256 MiB, THP madvise)", () => {
  const dma = zoneinfo("DMA");
  const dma32 = zoneinfo("DMA32");

  it("the fixture is what the issue says", () => {
    expect([dma.managed, dma.min, dma.low, dma.high]).toEqual([3840, 189, 236, 283]);
    expect([dma32.managed, dma32.min, dma32.low, dma32.high]).toEqual([51112, 2523, 3153, 3783]);
  });

  it("booting like the fixture gives its managed pages, min/low/high and protection exactly", () => {
    const m = createMachine(FIXTURE_BOOT);
    m.checkInvariants();
    const z0 = m.zones[ZONE_DMA];
    const z1 = m.zones[ZONE_DMA32];
    expect([z0.managed, ...z0.watermarks]).toEqual([dma.managed, dma.min, dma.low, dma.high]);
    expect([z1.managed, ...z1.watermarks]).toEqual([dma32.managed, dma32.min, dma32.low, dma32.high]);
    expect([z0.spanned, z0.present, z1.spanned, z1.present]).toEqual([4095, 3998, 61405, 61405]);
    // lowmem_reserve was computed before the init memory was freed: 49510 / 256 = 193, not 199.
    expect(z0.lowmemReserve).toEqual(dma.protection);
    expect(z1.lowmemReserve).toEqual(dma32.protection);
    expect(m.minFreeKbytes).toBe(2713 * 4);
    // hugepage_init turned THP off (< 512 MiB), the workload turned it on.
    expect(m.thpEnabled).toBe(true);
  });

  it("the timeline matters: without the late frees or without THP the numbers differ", () => {
    // The same pages freed at boot instead: same managed count, other watermarks and reserve.
    const noLate = createMachine({ ...FIXTURE_BOOT, lateFreedPages: 0 });
    expect(noLate.zones[ZONE_DMA32].managed).toBe(51112);
    expect(noLate.zones[ZONE_DMA].lowmemReserve[ZONE_DMA32]).toBe(Math.floor(51112 / 256));
    expect(noLate.zones[ZONE_DMA32].watermarks).not.toEqual([2523, 3153, 3783]);
    const noThp = createMachine({ ...FIXTURE_BOOT, thp: false });
    // The plain int_sqrt watermarks, computed before the late frees and never recomputed.
    expect(noThp.minFreeKbytes).toBe(intSqrt((3840 + 49510) * 4 * 16));
    expect(noThp.zones[ZONE_DMA32].wmarkMin).toBe(Math.floor(((noThp.minFreeKbytes >> 2) * 49510) / (3840 + 49510)));
    // The README's step 1: 1847 KiB, DMA 33/41/49, DMA32 427/533/639 (highs 688 -> 54264 / 20 = 2713).
    expect(noThp.minFreeKbytes).toBe(1847);
    expect(noThp.zones[ZONE_DMA].watermarks).toEqual([33, 41, 49]);
    expect(noThp.zones[ZONE_DMA32].watermarks).toEqual([427, 533, 639]);
    expect(noThp.nrFreeBufferPages()).toBe(54264);
    // The config's THP-at-boot changes nothing here: hugepage_init turns it off below 512 MiB.
    const atBoot = createMachine({ ...FIXTURE_BOOT, thpAtBoot: true });
    expect(atBoot.zones[ZONE_DMA32].watermarks).toEqual([2523, 3153, 3783]);
  });

  it("a machine of 512 MiB or more gets THP's watermarks at boot (hugepage_init)", () => {
    const m = createMachine({ memoryBytes: 1 << 30, thp: true });
    expect(m.khugepagedRunning).toBe(true);
    const rec = thpRecommendedMinFreeKbytes(2, 512, m.totalramPages() - 0) / 4;
    expect(m.minFreeKbytes).toBeGreaterThan(intSqrt(m.totalramPages() * 4 * 16));
    expect(m.minFreeKbytes / 4).toBeLessThanOrEqual(rec);
    const off = createMachine({ memoryBytes: 1 << 30 });
    expect(off.minFreeKbytes).toBe(intSqrt(off.totalramPages() * 64));
    expect(m.zones[ZONE_DMA32].wmarkMin).toBeGreaterThan(off.zones[ZONE_DMA32].wmarkMin);
  });

  it("sysctl writes recompute the watermarks; disabling THP restores the int_sqrt value", () => {
    const m = createMachine(FIXTURE_BOOT);
    m.setMinFreeKbytes(4096);
    expect(m.zones[ZONE_DMA].wmarkMin + m.zones[ZONE_DMA32].wmarkMin).toBeLessThanOrEqual(1024);
    expect(m.zones[ZONE_DMA].wmarkMin + m.zones[ZONE_DMA32].wmarkMin).toBeGreaterThan(1020);
    m.setWatermarkScaleFactor(1000); // 10 %: the gap is managed / 10
    expect(m.zones[ZONE_DMA32].wmarkLow - m.zones[ZONE_DMA32].wmarkMin).toBe(Math.floor(51112 / 10));
    const t = createMachine(FIXTURE_BOOT);
    t.setTransparentHugepage(false);
    // calculate_min_free_kbytes with the current high watermarks subtracted.
    expect(t.minFreeKbytes).toBe(intSqrt((54952 - 283 - 3783) * 4 * 16));
  });
});

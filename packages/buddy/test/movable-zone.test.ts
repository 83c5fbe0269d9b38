/** movablecore=: where ZONE_MOVABLE starts (find_zone_movable_pfns_for_nodes, 6.1) and who may use it. */
import { describe, expect, it } from "vitest";
import { __GFP_HIGHMEM, __GFP_MOVABLE, __GFP_NOWARN, GFP_KERNEL, isMmError, ZONE_DMA32, ZONE_MOVABLE, ZONE_NORMAL } from "@mm/api";
import { createMachine } from "@mm/buddy";
import { findZoneMovablePfn } from "../src/layout.js";

const NORMAL = 1 << 20;

describe("findZoneMovablePfn", () => {
  it("counts memory below the movable zone as kernelcore and rounds the start up to MAX_ORDER_NR_PAGES", () => {
    const ranges = [
      { startPfn: 0, endPfn: 8192 },
      { startPfn: NORMAL, endPfn: NORMAL + 8192 },
    ];
    // 16384 pages, movablecore 2048: kernelcore 14336 = 8192 below 4 GiB + 6144 of Normal.
    expect(findZoneMovablePfn(ranges, "x86-64", 2048, 10)).toBe(NORMAL + 6144);
    // 1000 pages round up to 1024: kernelcore 15360, so Movable starts at NORMAL + 7168.
    expect(findZoneMovablePfn(ranges, "x86-64", 1000, 10)).toBe(NORMAL + 7168);
    // Asking for everything leaves no kernelcore: no ZONE_MOVABLE (the kernel's `goto out`).
    expect(findZoneMovablePfn(ranges, "x86-64", 1 << 20, 10)).toBe(0);
    expect(findZoneMovablePfn(ranges, "x86-64", 0, 10)).toBe(0);
  });
  it("takes from DMA32 when there is no memory above 4 GiB", () => {
    // 256 MiB: movable_zone is DMA32, everything below 16 MiB is kernelcore.
    expect(findZoneMovablePfn([{ startPfn: 0, endPfn: 65536 }], "x86-64", 16384, 10)).toBe(65536 - 16384);
  });
});

describe("a machine with ZONE_MOVABLE", () => {
  const opts = { ranges: [{ startPfn: 0, endPfn: 8192 }, { startPfn: NORMAL, endPfn: NORMAL + 8192 }], movablecore: 8 << 20 };

  it("has a populated Movable zone on top of Normal that only movable highmem requests use first", () => {
    const m = createMachine(opts);
    const mz = m.zones[ZONE_MOVABLE];
    expect([mz.startPfn, mz.endPfn, mz.present, mz.managed]).toEqual([NORMAL + 6144, NORMAL + 8192, 2048, 2048]);
    expect(m.zones[ZONE_NORMAL].endPfn).toBe(NORMAL + 6144);
    expect(m.zoneOf(m.allocPages(0, __GFP_HIGHMEM | __GFP_MOVABLE | __GFP_NOWARN))).toBe(ZONE_MOVABLE);
    expect(m.zoneOf(m.allocPages(0, GFP_KERNEL | __GFP_MOVABLE))).toBe(ZONE_NORMAL);
    // Normal keeps a lowmem_reserve against Movable requests (ratio 32).
    expect(m.zones[ZONE_NORMAL].lowmemReserve[ZONE_MOVABLE]).toBe(Math.floor(2048 / 32));
    expect(m.zones[ZONE_DMA32].lowmemReserve[ZONE_MOVABLE]).toBe(Math.floor((6144 + 2048) / 256));
    m.checkInvariants();
  });

  it("refuses movablecore without the x86-64 layout or with a bad size", () => {
    const bad = (o: object): string => {
      try {
        createMachine({ memoryBytes: 64 << 20, ...o });
      } catch (e) {
        return isMmError(e, "BAD_CONFIG") ? "BAD_CONFIG" : String(e);
      }
      return "ok";
    };
    expect(bad({ zoneLayout: "single", movablecore: 1 << 20 })).toBe("BAD_CONFIG");
    expect(bad({ movablecore: -1 })).toBe("BAD_CONFIG");
    expect(bad({ movablecore: 8 << 20 })).toBe("ok");
  });
});

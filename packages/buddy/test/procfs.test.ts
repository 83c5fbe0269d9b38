import { describe, expect, it } from "vitest";
import { isMmError } from "@mm/api";
import { createMachine, formatBuddyinfo, formatPagetypeinfo, parseBuddyinfo, parsePagetypeinfo } from "@mm/buddy";
import { FIXTURE_BOOT, readFixture } from "./helpers.js";

describe("/proc/buddyinfo and /proc/pagetypeinfo of the real 6.1 capture", () => {
  const buddyinfo = readFixture("proc/buddyinfo.txt");
  const pagetypeinfo = readFixture("proc/pagetypeinfo.txt");

  it("buddyinfo round-trips byte for byte", () => {
    const rows = parseBuddyinfo(buddyinfo);
    expect(rows.map((r) => r.zone)).toEqual(["DMA", "DMA32"]);
    expect(rows[1].counts).toEqual([1, 1, 0, 2, 2, 0, 0, 1, 1, 1, 30]);
    expect(formatBuddyinfo(rows)).toBe(buddyinfo);
  });

  it("pagetypeinfo round-trips byte for byte, mixed table included", () => {
    const p = parsePagetypeinfo(pagetypeinfo);
    expect(p.pageblockOrder).toBe(9);
    expect(p.types).toEqual(["Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"]);
    expect(p.blocks.map((b) => b.counts)).toEqual([
      [1, 7, 0, 0, 0],
      [9, 108, 3, 0, 0],
    ]);
    expect(p.mixed?.[1].counts).toEqual([0, 0, 1, 0, 0]);
    expect(formatPagetypeinfo(p)).toBe(pagetypeinfo);
  });

  it("the >100000 cap round-trips", () => {
    const p = parsePagetypeinfo(pagetypeinfo);
    const free = p.free.map((r, i) =>
      i === 0 ? { ...r, counts: r.counts.map((c, o) => (o === 0 ? 100000 : c)), overflow: r.overflow.map((_, o) => o === 0) } : r,
    );
    const text = formatPagetypeinfo({ ...p, free });
    expect(text).toContain("type    Unmovable >100000 ");
    expect(formatPagetypeinfo(parsePagetypeinfo(text))).toBe(text);
  });

  it("rejects text the kernel would not print", () => {
    for (const bad of [
      buddyinfo.replace("zone      DMA", "zone     DMA"),
      buddyinfo.slice(0, -1),
      buddyinfo.replace("     30 ", "     30"),
      "garbage\n",
    ])
      expect(() => parseBuddyinfo(bad)).toThrow(expect.objectContaining({ code: "PARSE_ERROR" }) as Error);
    for (const bad of [pagetypeinfo.replace("Pages per block:  512", "Pages per block: 512"), pagetypeinfo + "x\n"]) {
      let err: unknown;
      try {
        parsePagetypeinfo(bad);
      } catch (e) {
        err = e;
      }
      expect(isMmError(err, "PARSE_ERROR")).toBe(true);
    }
  });
});

describe("the machine's /proc text", () => {
  it("a fixture-like machine prints the fixture's layout: zone rows, 5 types, block counts", () => {
    const m = createMachine(FIXTURE_BOOT);
    const p = parsePagetypeinfo(m.pagetypeinfo());
    expect(p.types).toEqual(["Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate"]);
    // The DMA zone's first pageblock holds pfn 0, which is no memory: never initialised, so it
    // counts as Unmovable, exactly as the capture shows.
    expect(p.blocks.map((b) => b.counts)).toEqual([
      [1, 7, 0, 0, 0],
      [0, 120, 0, 0, 0],
    ]);
    expect(p.mixed).toBeUndefined();
    expect(formatPagetypeinfo(p)).toBe(m.pagetypeinfo());
    const b = parseBuddyinfo(m.buddyinfo());
    expect(b.map((r) => r.zone)).toEqual(["DMA", "DMA32"]);
    // Free pages per zone agree between buddyinfo and the zone counters.
    b.forEach((r, i) => expect(r.counts.reduce((s, c, o) => s + c * 2 ** o, 0)).toBe(m.zones[i].freePages));
  });

  it("prints the mixed table from a caller's counts, and CMA rows with CONFIG_CMA", () => {
    const m = createMachine({ memoryBytes: 64 << 20, cma: { nrPages: 2048 } });
    const text = m.pagetypeinfo((zone) => [zone, 1, 2, 3, 4, 5]);
    const p = parsePagetypeinfo(text);
    expect(p.types).toEqual(["Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate"]);
    expect(p.mixed?.map((r) => r.counts)).toEqual([
      [0, 1, 2, 3, 4, 5],
      [1, 1, 2, 3, 4, 5],
    ]);
    expect(p.blocks[1].counts[4]).toBe(4);
    expect(p.free.find((r) => r.zone === "DMA32" && r.type === "CMA")?.counts[10]).toBe(2);
  });
});

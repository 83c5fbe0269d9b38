import { describe, expect, it } from "vitest";
import { isMmError, MAX_PAGE_ORDER, PAGEBLOCK_ORDER } from "@mm/api";
import { PAGE_REPORTING_CAPACITY, REPORTING_POLICIES } from "@mm/page-reporting";
import { importCapture, ownerFragmentation, readCaptureDir, reportingWhatIf } from "@mm/capture";
import { FIXTURE_DIR } from "./helpers.js";

const imp = importCapture(readCaptureDir(FIXTURE_DIR).input);

describe("what-if: free page reporting on the imported free memory", () => {
  const runs = reportingWhatIf(() => imp.rebuild());

  it("runs every shipped policy on its own copy, deterministically", () => {
    expect(runs.map((r) => r.policy)).toEqual(REPORTING_POLICIES.map((p) => p.name));
    expect(reportingWhatIf(() => imp.rebuild())).toEqual(runs);
    // the imported machine itself is untouched
    expect(imp.machine.freePagesTotal()).toBe(imp.report.free.imported);
  });

  it("isolates no more than one scatterlist of max-order blocks, and never below the watermarks' floor", () => {
    for (const r of runs) {
      expect(r.freeAtStart).toBe(imp.machine.freePagesTotal());
      expect(r.peakIsolated).toBeGreaterThan(0);
      expect(r.peakIsolated).toBeLessThanOrEqual(PAGE_REPORTING_CAPACITY << MAX_PAGE_ORDER);
      expect(r.freeAtPeak).toBe(r.freeAtStart - r.peakIsolated);
      // __isolate_free_page refuses below min + 2^order: isolation never takes a zone under min.
      expect(r.freeAtPeak).toBeGreaterThanOrEqual(r.sumMin);
      expect(r.discardedPages).toBeLessThanOrEqual(r.freeAtStart);
      expect(r.reportedPages % (1 << PAGEBLOCK_ORDER)).toBe(0); // only blocks of the reporting order and up
    }
    const fixed = runs.find((r) => r.policy === "fixed")!;
    // the kernel's capacity: the first batch may hold up to 32 blocks of one order
    expect(fixed.peakIsolated).toBeGreaterThan(PAGE_REPORTING_CAPACITY);
  });

  it("an unknown policy is EINVAL naming the known ones", () => {
    let err: unknown;
    try {
      reportingWhatIf(() => imp.rebuild(), { policies: ["nope"] });
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "EINVAL")).toBe(true);
    expect(String(err)).toContain("fixed");
  });
});

describe("what-if: fragmentation by owner", () => {
  const f = ownerFragmentation(imp.machine, imp.dump, imp.index, imp.files.buddyinfo);
  const rows = imp.machine.buddyinfoRows();

  it("counts every aligned block once; free ones agree with the buddy lists", () => {
    for (const c of f.census) {
      const size = 2 ** c.order;
      let blocks = 0;
      let free = 0;
      for (const z of imp.machine.populatedZones()) {
        for (let b = Math.ceil(z.startPfn / size) * size; b + size <= z.endPfn; b += size) blocks++;
        const row = rows.find((r) => r.zone === z.name)!;
        for (let o = c.order; o < row.counts.length; o++) free += row.counts[o] * 2 ** (o - c.order);
      }
      expect(c.free + c.movableOnly + c.pinned + c.reserved).toBe(blocks);
      expect(c.free).toBe(free);
    }
  });

  it("names the stacks that pin pageblocks, and each pinned pageblock's owners", () => {
    const c9 = f.census.find((c) => c.order === PAGEBLOCK_ORDER)!;
    expect(f.pinnedPageblocks.length).toBe(c9.pinned);
    const known = new Set(f.stacks.map((s) => s.handle));
    for (const b of f.pinnedPageblocks) {
      expect(b.owners.length).toBeGreaterThan(0);
      for (const o of b.owners) {
        expect(known.has(o.handle)).toBe(true);
        expect(o.migratetype).not.toBe("Movable");
      }
    }
    for (const s of f.stacks) expect(s.frames.length).toBeGreaterThan(0);
    // Polluters exist exactly when some Movable pageblock is mixed (pagetypeinfo's count, from the dump).
    const mixedMovable = imp.mixed.reduce((s, z) => s + z[1], 0);
    expect(f.polluters.length > 0).toBe(mixedMovable > 0);
  });

  it("prints the extfrag indices of the imported and the real free lists", () => {
    expect(f.unusableIndex.split("\n")[0]).toBe(f.realUnusableIndex!.split("\n")[0]); // DMA: the same free lists
    expect(f.extfragIndex).toMatch(/^Node 0, zone {6}DMA( -?\d+\.-?\d{3})+ \nNode 0, zone {4}DMA32( -?\d+\.-?\d{3})+ \n$/);
  });
});

import { MIGRATE_MOVABLE, MIGRATE_UNMOVABLE, isMmError } from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  PAGE_REPORTING_CAPACITY,
  REPORTING_POLICIES,
  fixedCapacity,
  freeLimitedCapacity,
  reinitScatterlist,
  reserveScatterlist,
  shiftCapacity,
} from "../src/index.js";
import { makeRig, type Rig, ZONE_512M } from "./helpers/rig.js";

const MiB = 256;

/** Run until no pass is pending, checking invariants after every event. */
function settle(rig: Rig): void {
  rig.sched.runAll(rig.check);
}

describe("fill from the tail, report, drain", () => {
  it("the first block goes to sgl[31]; a batch lists blocks in reverse free-list order", () => {
    const rig = makeRig({ freePages: 40 * 1024 });
    const listed: number[] = [];
    for (let p = rig.area.freeListFirst(0, 10, MIGRATE_MOVABLE); p >= 0; p = rig.area.freeListNext(p)) listed.push(p);
    expect(listed.length).toBe(40);
    settle(rig);
    const first = rig.batches[0];
    expect(first.start).toBe(0);
    expect(first.pfns.length).toBe(PAGE_REPORTING_CAPACITY);
    expect(first.pfns[31]).toBe(listed[0]);
    expect(first.pfns).toEqual(listed.slice(0, 32).reverse());
    // the rest is the end-of-zone leftover: entries offset .. 31
    const left = rig.batches[1];
    expect(left.start).toBe(32 - 8);
    expect(left.pfns).toEqual(listed.slice(32).reverse());
    expect(rig.reporter.stats()).toMatchObject({ reportCalls: 2, leftoverReports: 1, markedReported: 40, isolatedPages: 0 });
  });

  it("drained blocks go back Reported; an allocation clears the mark and refaults on the host", () => {
    const rig = makeRig({ freePages: 40 * 1024 });
    settle(rig);
    const head = rig.area.freeListFirst(0, 10, MIGRATE_MOVABLE);
    expect(rig.area.isReported(head)).toBe(true);
    expect(rig.balloon.isDiscarded(head)).toBe(true);
    const resident = rig.balloon.hostResidentPages;
    const pfn = rig.alloc(0);
    expect(pfn).toBe(head);
    expect(rig.balloon.refaultPages).toBe(1);
    expect(rig.balloon.hostResidentPages).toBe(resident + 1);
    // the split halves are fresh, unreported blocks
    for (let o = 0; o < 10; o++) expect(rig.area.isReported(head + 2 ** o)).toBe(false);
    rig.check();
  });

  it("the watermark gate: free must exceed low + (32 << order)", () => {
    const low = ZONE_512M.wmarks[1];
    const at = makeRig({ freePages: low + 32 * 512 });
    settle(at);
    expect(at.reporter.stats()).toMatchObject({ zonesSkipped: 1, reportCalls: 0 });
    const above = makeRig({ freePages: low + 32 * 512 + 1 });
    settle(above);
    expect(above.reporter.stats().zonesSkipped).toBe(0);
    expect(above.reporter.stats().reportCalls).toBeGreaterThan(0);
  });

  it("every zone is gated on its own (a small DMA zone is skipped)", () => {
    const rig = makeRig({
      zones: [
        { start: 0, end: 4096, wmarks: [8, 10, 12] },
        { start: 4096, end: 131072, wmarks: [700, 880, 1060] },
      ],
    });
    settle(rig);
    const st = rig.reporter.stats();
    expect(st.zonesSkipped).toBe(st.passes); // once per pass
    expect(rig.batches.flat().length).toBeGreaterThan(0);
    expect(rig.batches.every((b) => b.pfns.every((p) => p >= 4096))).toBe(true);
  });

  it("only lists of the reporting order and up, every migratetype but Isolate", () => {
    const rig = makeRig({ freePages: 200 * MiB });
    // an Unmovable pageblock pair that stays free: its blocks sit on the Unmovable list
    const pfn = rig.alloc(10);
    rig.area.setPageblockMigratetype(pfn, MIGRATE_UNMOVABLE);
    rig.area.setPageblockMigratetype(pfn + 512, MIGRATE_UNMOVABLE);
    rig.free(pfn);
    expect(rig.area.freeListFirst(0, 10, MIGRATE_UNMOVABLE)).toBe(pfn);
    settle(rig);
    expect(rig.batches.some((b) => b.pfns.includes(pfn))).toBe(true);
    expect(rig.area.isReported(pfn)).toBe(true);
  });
});

describe("isolation and the seed-004 OOM", () => {
  it("__isolate_free_page stops at min + 2^order: 100 MiB free -> 24 order-10 blocks (96 MiB) isolated by `fixed`", () => {
    const rig = makeRig({ freePages: 100 * MiB });
    rig.sched.step(); // the pass isolates, then waits for the device
    const st = rig.reporter.stats();
    expect(st.isolateFailures).toBe(1);
    expect(st.isolatedPages).toBe(24 * 1024);
    expect(rig.area.zoneFreePages(0)).toBe(1024);
    settle(rig);
    expect(rig.reporter.stats().peakIsolatedPages).toBe(24 * 1024);
  });

  /** A user allocation of 8 MiB (2 x order-10) arrives while the first report is in flight. */
  function userAllocDuringReport(policyIndex: number): { failed: number; peak: number } {
    const p = REPORTING_POLICIES[policyIndex];
    let failed = 0;
    let tried = false;
    const rig = makeRig({
      freePages: 100 * MiB,
      capacityRule: p.capacityRule(),
      mechanism: p.mechanism(),
      wrap: (d, r) => ({
        report(sgl, start, nents) {
          const ns = d.report(sgl, start, nents);
          if (!tried) {
            tried = true;
            for (let i = 0; i < 2; i++) if (r.alloc(10) < 0) failed++;
          }
          return ns;
        },
      }),
    });
    settle(rig);
    return { failed, peak: rig.reporter.stats().peakIsolatedPages };
  }

  it("under `fixed` the user allocation fails; under every fix it succeeds", () => {
    const results = REPORTING_POLICIES.map((_, i) => userAllocDuringReport(i));
    expect(results[0]).toEqual({ failed: 2, peak: 24 * 1024 });
    for (let i = 1; i < results.length; i++) {
      expect(results[i].failed, REPORTING_POLICIES[i].name).toBe(0);
      expect(results[i].peak, REPORTING_POLICIES[i].name).toBeLessThanOrEqual(16 * 1024);
    }
  });
});

describe("Reported only if the block did not merge", () => {
  it("a block whose buddy was freed during the report merges on drain, is not marked, and is reported again at the next order", () => {
    let buddy = -1;
    const rig = makeRig({
      freePages: 100 * MiB,
      wrap: (d, r) => ({
        report(sgl, start, nents) {
          const ns = d.report(sgl, start, nents);
          if (buddy >= 0) {
            r.free(buddy); // its buddy is isolated: it stays an order-9 block
            buddy = -1;
          }
          return ns;
        },
      }),
    });
    settle(rig); // everything reported
    // split one reported order-10 block into two order-9 blocks, keep the upper half allocated
    const a = rig.alloc(9);
    buddy = rig.alloc(9);
    expect(buddy).toBe(a + 512);
    rig.free(a); // stays order 9, unreported; notifies order 9
    const batchesAfterFirst = rig.batches.length;
    const before = rig.reporter.stats();
    settle(rig);
    const after = rig.reporter.stats();
    expect(after.mergedOnDrain - before.mergedOnDrain).toBe(1);
    // the merged order-10 block was picked up by the order-10 cycle of the same pass
    expect(rig.area.buddyOrder(a)).toBe(10);
    expect(rig.area.isReported(a)).toBe(true);
    expect(rig.batches.at(-1)?.pfns).toEqual([a]);
    expect(rig.batches.at(-1)?.orders).toEqual([10]);
    // the free during the pass asked for another pass, which found nothing left
    expect(after.passes - before.passes).toBe(2);
    expect(rig.batches.length).toBe(batchesAfterFirst + 2);
  });
});

describe("budget and list rotation", () => {
  it("when the budget runs out the first unreported block is rotated to the head and the pass asks to run again", () => {
    // 600 order-10 blocks would not fit; use 2 GiB: 512 order-10 blocks -> budget DIV_ROUND_UP(512, 512) = 1
    const rig = makeRig({ zones: [{ start: 0, end: 524288, wmarks: [1448, 1810, 2172] }] });
    rig.sched.step();
    while (rig.reporter.passRunning) rig.sched.step();
    const st = rig.reporter.stats();
    expect(st.budgetExhausted).toBe(1);
    expect(st.reportCalls).toBe(2);
    expect(rig.reporter.state).toBe(1); // REQUESTED: rescheduled
    const order: boolean[] = [];
    for (let p = rig.area.freeListFirst(0, 10, MIGRATE_MOVABLE); p >= 0; p = rig.area.freeListNext(p)) order.push(rig.area.isReported(p));
    expect(order[0]).toBe(false);
    // unreported blocks first, the 64 reported ones after them
    expect(order.indexOf(true)).toBe(512 - 64);
    expect(order.slice(512 - 64).every(Boolean)).toBe(true);
    settle(rig);
    expect(rig.reporter.stats().reportedBlocks).toBe(512);
    // 2 full batches per pass (budget 1, then < 0): 8 passes for 512 blocks
    expect(rig.reporter.stats().passes).toBe(8);
  });
});

describe("report() failure", () => {
  it("puts the batch back unreported, stops the pass and reports no leftover", () => {
    const rig = makeRig({ freePages: 40 * 1024, injectError: (call) => (call === 0 ? -12 : 0) });
    settle(rig);
    const st = rig.reporter.stats();
    expect(st).toMatchObject({ reportCalls: 1, reportErrors: 1, markedReported: 0, isolatedPages: 0, leftoverReports: 0 });
    for (let p = rig.area.freeListFirst(0, 10, MIGRATE_MOVABLE); p >= 0; p = rig.area.freeListNext(p)) {
      expect(rig.area.isReported(p)).toBe(false);
    }
    expect(rig.balloon.discardedPages).toBe(0);
    // the next free of a big block starts a pass that reports them
    rig.free(rig.alloc(10));
    settle(rig);
    expect(rig.reporter.stats().markedReported).toBe(40);
  });
});

describe("scatterlist mechanisms with a smaller capacity", () => {
  /** 100 MiB free: 24 order-10 blocks + 2 order-9 blocks (an order-10 block split, one half held). */
  function rigWith(rule: ReturnType<typeof fixedCapacity>, mech: ReturnType<typeof reinitScatterlist>): Rig {
    const rig = makeRig({ freePages: 100 * MiB + 1024, capacityRule: rule, mechanism: mech });
    const a = rig.alloc(9);
    rig.alloc(9);
    const b = rig.alloc(9);
    rig.alloc(9);
    rig.free(a);
    rig.free(b);
    settle(rig);
    return rig;
  }

  it("re-init (Pang): the order-9 leftover is flushed before the shorter order-10 list, which is re-initialised", () => {
    const mech = reinitScatterlist();
    const rig = rigWith(freeLimitedCapacity(), mech);
    const st = rig.reporter.stats();
    expect(st.flushReports).toBeGreaterThanOrEqual(1);
    const first = rig.batches[0];
    expect(first.orders).toEqual([9, 9]);
    expect(first.start).toBe(30);
    for (const b of rig.batches.slice(1)) {
      expect(b.orders.every((o) => o === 10)).toBe(true);
      expect(b.pfns.length).toBeLessThanOrEqual(16);
      expect(b.start).toBeGreaterThanOrEqual(16); // the table in use is the tail, sgl + 32 - 16
    }
    expect(mech.stats.reinits).toBeGreaterThanOrEqual(2); // per zone + entering order 10
    expect(rig.reporter.mechanismStats()).toEqual(mech.stats);
  });

  it("reserve (Duyck): no flush, no re-init; the order-9 blocks ride in the first order-10 batch", () => {
    const mech = reserveScatterlist();
    const rig = rigWith(shiftCapacity(), mech);
    const st = rig.reporter.stats();
    expect(st.flushReports).toBe(0);
    expect(mech.stats.reinits).toBe(0);
    const first = rig.batches[0];
    expect(first.start).toBe(16);
    expect(first.orders.filter((o) => o === 9).length).toBe(2);
    expect(first.orders.filter((o) => o === 10).length).toBe(14);
    expect(st.peakIsolatedPages).toBeLessThanOrEqual(16 * 1024);
  });

  it("with capacity 32 both mechanisms behave exactly like the kernel", () => {
    const a = rigWith(fixedCapacity(), reserveScatterlist());
    const b = rigWith(fixedCapacity(), reinitScatterlist());
    expect(b.batches).toEqual(a.batches);
    const sa = a.reporter.stats();
    const sb = b.reporter.stats();
    expect({ ...sb, sgInits: 0, sgInitEntries: 0 }).toEqual({ ...sa, sgInits: 0, sgInitEntries: 0 });
    expect(sa.flushReports).toBe(0);
  });

  it("re-initialising a list that still holds blocks is refused (it would leak them)", () => {
    const mech = reinitScatterlist();
    const rig = makeRig({ freePages: 100 * MiB });
    let err: unknown;
    try {
      mech.enterOrder(rig.reporter.sgl, 16, 30);
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "BAD_STATE")).toBe(true);
    expect(mech.stats.reinits).toBe(0);
  });
});

describe("the device sees a well-formed chain", () => {
  it("a chain whose end marker is not at nents is BAD_STATE and changes nothing", () => {
    const rig = makeRig({ freePages: 40 * 1024 });
    settle(rig);
    const sgl = rig.reporter.sgl;
    const before = [rig.balloon.reports, rig.balloon.discardedPages];
    // an empty table: entry 31 has no page
    let err: unknown;
    try {
      rig.balloon.report(sgl, 28, 4);
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "BAD_STATE")).toBe(true);
    expect([rig.balloon.reports, rig.balloon.discardedPages]).toEqual(before);
  });
});

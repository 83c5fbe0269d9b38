import { GFP_ATOMIC, GFP_KERNEL, GFP_NOFS, GFP_NOWAIT, __GFP_RECLAIM, isMmError } from "@mm/api";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemallocTable } from "../src/index.js";

function snapshot(m: MemallocTable): string {
  return JSON.stringify([
    [...m.inFlight],
    [...m.sequence],
    [...m.gfp],
    [...m.order],
    [...m.startNs],
    [...m.idx],
    [...m.counters],
    m.activeIndex,
  ]);
}

describe("MemallocTable: the per-task record's state machine", () => {
  it("enter starts a record, nested enter/exit leave it alone, the outer exit ends it", () => {
    const m = new MemallocTable({ capacity: 4 });
    expect(m.enter(1, GFP_KERNEL, 2, 1000)).toBe(true);
    m.checkInvariants();
    expect([m.inFlight[1], m.sequence[1], m.gfp[1], m.order[1], m.startNs[1], m.counters[0]]).toEqual([1, 1, GFP_KERNEL, 2, 1000, 1]);
    // a nested allocation (e.g. from a shrinker) must not restart the timer
    expect(m.enter(1, GFP_NOFS, 0, 5000)).toBe(false);
    m.checkInvariants();
    expect([m.inFlight[1], m.sequence[1], m.gfp[1], m.order[1], m.startNs[1], m.counters[0]]).toEqual([2, 1, GFP_KERNEL, 2, 1000, 1]);
    expect(m.exit(1, GFP_NOFS)).toBe(false);
    m.checkInvariants();
    expect(m.inFlight[1]).toBe(1);
    expect(m.exit(1, GFP_KERNEL)).toBe(true);
    m.checkInvariants();
    expect([m.inFlight[1], m.counters[0], m.counters[1]]).toEqual([0, 0, 0]);
    // the last allocation stays readable (vmcore), the next outermost one bumps the sequence
    expect([m.sequence[1], m.gfp[1], m.startNs[1]]).toEqual([1, GFP_KERNEL, 1000]);
    m.enter(1, GFP_NOFS, 0, 9000);
    expect([m.sequence[1], m.gfp[1], m.order[1], m.startNs[1]]).toEqual([2, GFP_NOFS, 0, 9000]);
  });

  it("ignores allocations that cannot direct-reclaim (v7+), and tracks __GFP_RECLAIM with the v6 mask", () => {
    const m = new MemallocTable();
    expect(m.enter(0, GFP_ATOMIC, 0, 1)).toBe(false);
    expect(m.enter(0, GFP_NOWAIT, 0, 1)).toBe(false);
    expect(m.inFlight[0]).toBe(0);
    expect(m.exit(0, GFP_ATOMIC)).toBe(false); // no error: untracked on both sides
    const v6 = new MemallocTable({ trackMask: __GFP_RECLAIM });
    expect(v6.enter(0, GFP_NOWAIT, 0, 1)).toBe(true);
  });

  it("bad input raises MmError and leaves the table byte-identical", () => {
    const m = new MemallocTable({ capacity: 4 });
    m.enter(2, GFP_KERNEL, 0, 7);
    const before = snapshot(m);
    const bad: [() => unknown, string][] = [
      [() => m.exit(1, GFP_KERNEL), "BAD_STATE"],
      [() => m.exit(99, GFP_KERNEL), "BAD_STATE"],
      [() => m.enter(-1, GFP_KERNEL, 0, 0), "EINVAL"],
      [() => m.enter(1.5, GFP_KERNEL, 0, 0), "EINVAL"],
      [() => m.enter(1, GFP_KERNEL, 11, 0), "BAD_ORDER"],
    ];
    for (const [f, code] of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isMmError(err, code as "BAD_STATE")).toBe(true);
      expect(snapshot(m)).toBe(before);
    }
  });

  it("grows on demand and keeps existing records", () => {
    const m = new MemallocTable({ capacity: 2 });
    m.enter(1, GFP_KERNEL, 3, 42);
    m.enter(100, GFP_KERNEL, 0, 43);
    expect(m.capacity).toBeGreaterThanOrEqual(101);
    expect([m.inFlight[1], m.order[1], m.startNs[1], m.inFlight[100]]).toEqual([1, 3, 42, 1]);
    m.checkInvariants();
  });

  it("in-flight counters: an allocation begun before a flip keeps maybeStalling() true until it ends", () => {
    const m = new MemallocTable();
    m.enter(0, GFP_KERNEL, 0, 0); // counted under index 0
    expect(m.maybeStalling()).toBe(false); // index 1 empty: flip to 1
    expect(m.activeIndex).toBe(1);
    m.enter(1, GFP_KERNEL, 0, 1); // counted under index 1
    expect(m.maybeStalling()).toBe(true); // index 0 still has task 0
    expect(m.activeIndex).toBe(1);
    m.exit(0, GFP_KERNEL);
    expect(m.maybeStalling()).toBe(false); // flip to 0
    expect(m.maybeStalling()).toBe(true); // task 1 (index 1) still in flight
    m.checkInvariants();
  });

  it("matches a reference model under random enter/exit/scan sequences", () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant("enter" as const), t: fc.integer({ min: 0, max: 5 }), order: fc.integer({ min: 0, max: 10 }), reclaim: fc.boolean() }),
      fc.record({ k: fc.constant("exit" as const), t: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ k: fc.constant("scan" as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const m = new MemallocTable({ capacity: 6 });
        const depth = [0, 0, 0, 0, 0, 0];
        const gfpStack: number[][] = [[], [], [], [], [], []];
        const seq = [0, 0, 0, 0, 0, 0];
        const start = [0, 0, 0, 0, 0, 0];
        let now = 0;
        for (const o of ops) {
          now += 1;
          if (o.k === "enter") {
            const gfp = o.reclaim ? GFP_KERNEL : GFP_ATOMIC;
            m.enter(o.t, gfp, o.order, now);
            gfpStack[o.t].push(gfp);
            if (o.reclaim) {
              if (depth[o.t]++ === 0) {
                seq[o.t]++;
                start[o.t] = now;
              }
            }
          } else if (o.k === "exit") {
            const gfp = gfpStack[o.t].pop();
            if (gfp === undefined) continue;
            m.exit(o.t, gfp);
            if (gfp === GFP_KERNEL) depth[o.t]--;
          } else m.maybeStalling();
          m.checkInvariants();
          for (let t = 0; t < 6; t++) {
            expect(m.inFlight[t]).toBe(depth[t]);
            expect(m.sequence[t]).toBe(seq[t]);
            if (depth[t] > 0) expect(m.startNs[t]).toBe(start[t]);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

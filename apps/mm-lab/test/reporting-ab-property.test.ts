/**
 * Page reporting on the real allocator under random workloads: after any sequence of allocations,
 * frees and reporting passes, under every policy and several reporting orders, the buddy invariant
 * checker holds, every Reported block is a free unmerged block of at least the reporting order, no
 * page is lost or double counted (free + allocated + isolated = present), the reporter's isolated
 * count is what buddy sees isolated, and the host never holds a discarded page the guest uses.
 */
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL } from "@mm/api";
import { createMachine } from "@mm/buddy";
import { checkPageReportingInvariants, createPageReporting, createVirtioBalloon, REPORTING_POLICIES } from "@mm/page-reporting";
import { createSim } from "@mm/sim";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

type Op =
  | { kind: "alloc"; order: number; n: number; movable: boolean }
  | { kind: "free"; pick: number; n: number }
  | { kind: "advance"; ms: number }
  | { kind: "untilReport" }
  | { kind: "freeBuddyOfIsolated" }
  | { kind: "pair"; order: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("alloc" as const), order: fc.integer({ min: 0, max: 10 }), n: fc.integer({ min: 1, max: 6 }), movable: fc.boolean() }),
  fc.record({ kind: fc.constant("free" as const), pick: fc.nat(), n: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 2500 }) }),
  fc.record({ kind: fc.constant("untilReport" as const) }),
  // while a report is in flight: free a held block whose buddy sits in the scatterlist (merge on drain)
  fc.record({ kind: fc.constant("freeBuddyOfIsolated" as const) }),
  // two buddies of a reportable order; free the lower one (it stays unmerged until its buddy goes)
  fc.record({ kind: fc.constant("pair" as const), order: fc.integer({ min: 6, max: 9 }) }),
);

describe("page reporting on @mm/buddy, random workloads", () => {
  it("keeps buddy's and the reporter's invariants, conserves pages, keeps the host coherent", () => {
    const seen = { reports: 0, merged: 0, refaults: 0, isolateFailures: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: REPORTING_POLICIES.length - 1 }),
        fc.constantFrom(-1, 6, 9, 10),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(opArb, { minLength: 1, maxLength: 25 }),
        (pi, order, seed, ops) => {
          const policy = REPORTING_POLICIES[pi];
          const sim = createSim({ seed });
          const m = createMachine({ memoryBytes: 112 << 20, clock: sim });
          const balloon = createVirtioBalloon({ nrPages: m.endPfn, perMiBNs: 2_000_000 });
          m.addHooks(balloon.hooks);
          const r = createPageReporting({
            area: m,
            device: balloon,
            scheduler: sim,
            capacityRule: policy.capacityRule(),
            mechanism: policy.mechanism(),
            pageReportingOrder: order,
          });
          const held: [number, number][] = [];
          const check = (): void => {
            const census = m.checkInvariants();
            checkPageReportingInvariants(r);
            let isolated = 0;
            let allocated = 0;
            for (const c of census) {
              isolated += c.isolated;
              allocated += c.allocated;
            }
            expect(isolated).toBe(r.isolatedPages);
            let heldPages = 0;
            for (const [, o] of held) heldPages += 2 ** o;
            expect(allocated).toBe(heldPages);
            expect(m.freePagesTotal() + isolated + allocated).toBe(m.zones.reduce((s, z) => s + z.managed, 0));
          };
          const checkHost = (): void => {
            for (const [pfn, o] of held) for (let p = pfn; p < pfn + 2 ** o; p++) expect(balloon.isDiscarded(p)).toBe(false);
          };
          for (const op of ops) {
            switch (op.kind) {
              case "alloc":
                for (let i = 0; i < op.n; i++) {
                  const pfn = m.allocPages(op.order, op.movable ? GFP_HIGHUSER_MOVABLE : GFP_KERNEL);
                  if (pfn >= 0) held.push([pfn, op.order]);
                }
                break;
              case "free":
                for (let i = 0; i < op.n && held.length > 0; i++) {
                  // recent blocks first: often buddies of blocks the reporter holds isolated
                  const k = held.length - 1 - ((op.pick + i) % Math.min(8, held.length));
                  const [pfn, o] = held.splice(k, 1)[0];
                  m.freePages(pfn, o);
                }
                break;
              case "advance": {
                const until = sim.now() + op.ms * 1_000_000;
                while (sim.queue.nextTime() <= until) {
                  sim.runNext();
                  check();
                }
                sim.runUntil(until);
                break;
              }
              case "untilReport":
                for (let i = 0; i < 100 && r.isolatedPages === 0 && sim.runNext(); i++) check();
                break;
              case "pair": {
                const a = m.allocPages(op.order, GFP_HIGHUSER_MOVABLE);
                const b = a < 0 ? -1 : m.allocPages(op.order, GFP_HIGHUSER_MOVABLE);
                if (b >= 0) held.push([b, op.order]);
                if (a >= 0 && b === (a ^ (1 << op.order))) m.freePages(a, op.order);
                else if (a >= 0) held.push([a, op.order]);
                break;
              }
              case "freeBuddyOfIsolated": {
                const sgl = r.sgl;
                const k = held.findIndex(([pfn, o]) => {
                  for (let i = r.offset; i < sgl.length; i++) if (sgl.order[i] === o && sgl.pfn[i] === (pfn ^ (1 << o))) return true;
                  return false;
                });
                if (k >= 0) {
                  const [pfn, o] = held.splice(k, 1)[0];
                  m.freePages(pfn, o);
                }
                break;
              }
            }
            check();
            checkHost();
          }
          while (sim.runNext()) check();
          checkHost();
          expect(r.passRunning).toBe(false);
          expect(r.isolatedPages).toBe(0);
          const st = r.stats();
          seen.reports += st.reportCalls;
          seen.merged += st.mergedOnDrain;
          seen.isolateFailures += st.isolateFailures;
          seen.refaults += balloon.refaultPages;
        },
      ),
      { numRuns: 25, seed: 6 },
    );
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0);
  });
});

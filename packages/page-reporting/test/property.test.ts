/**
 * Property tests: any sequence of allocations, frees, time steps and requests, under any policy,
 * keeps every invariant (the fake allocator's, the reporter's, page conservation, host coherence).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REPORTING_POLICIES } from "../src/index.js";
import { makeRig, type Rig } from "./helpers/rig.js";

type Op =
  | { kind: "alloc"; order: number; n: number }
  | { kind: "free"; pick: number; n: number }
  | { kind: "advance"; ms: number }
  | { kind: "request" }
  | { kind: "untilReport" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("alloc" as const), order: fc.integer({ min: 0, max: 10 }), n: fc.integer({ min: 1, max: 24 }) }),
  fc.record({ kind: fc.constant("free" as const), pick: fc.nat(), n: fc.integer({ min: 1, max: 24 }) }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 3000 }) }),
  fc.record({ kind: fc.constant("request" as const) }),
  // stop inside a report window, so the next operations race with isolated blocks
  fc.record({ kind: fc.constant("untilReport" as const) }),
);

/** Host coherence: a discarded page is never held by the test (it was touched on allocation). */
function checkHost(rig: Rig): void {
  for (const [pfn, order] of rig.held) {
    for (let p = pfn; p < pfn + 2 ** order; p++) if (rig.balloon.isDiscarded(p)) throw new Error(`held page ${p} is discarded on the host`);
  }
}

describe("page reporting under random workloads", () => {
  it("keeps every invariant for every policy and reporting order", () => {
    // totals over all runs, to show the runs exercised what they claim to
    const seen = { reports: 0, merged: 0, flushes: 0, budget: 0, isolateFailures: 0, refaults: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: REPORTING_POLICIES.length - 1 }),
        fc.constantFrom(-1, 5, 9, 10),
        fc.integer({ min: 40, max: 190 }),
        fc.array(opArb, { minLength: 1, maxLength: 30 }),
        (pi, order, freeMiB, ops) => {
          const p = REPORTING_POLICIES[pi];
          // a 192 MiB guest: small enough to check everything after every event
          const rig = makeRig({
            zones: [{ start: 0, end: 49152, wmarks: [400, 500, 600] }],
            freePages: Math.min(freeMiB, 190) * 256,
            capacityRule: p.capacityRule(),
            mechanism: p.mechanism(),
            pageReportingOrder: order,
            perMiBNs: 2_000_000,
          });
          const each = rig.check;
          for (const op of ops) {
            switch (op.kind) {
              case "alloc":
                for (let i = 0; i < op.n; i++) rig.alloc(op.order);
                break;
              case "free": {
                // mostly recent blocks: often the buddies of blocks the reporter holds isolated
                const keys = [...rig.held.keys()];
                for (let i = 0; i < op.n && keys.length > 0; i++) {
                  const k = keys.splice(keys.length - 1 - ((op.pick + i) % Math.min(8, keys.length)), 1)[0];
                  rig.free(k);
                }
                break;
              }
              case "advance":
                rig.sched.runUntil(rig.sched.now() + op.ms * 1_000_000, each);
                break;
              case "request":
                rig.reporter.request();
                break;
              case "untilReport":
                for (let i = 0; i < 1000 && rig.reporter.isolatedPages === 0 && rig.sched.step(); i++) each();
                break;
            }
            each();
            checkHost(rig);
          }
          rig.sched.runAll(each, 100_000);
          checkHost(rig);
          // quiescent: nothing isolated, no pass, every discarded page free
          expect(rig.reporter.passRunning).toBe(false);
          expect(rig.reporter.isolatedPages).toBe(0);
          const st = rig.reporter.stats();
          expect(st.markedReported + st.mergedOnDrain).toBeLessThanOrEqual(st.reportedBlocks);
          expect(rig.balloon.reportedPages).toBe(st.reportedPages);
          seen.reports += st.reportCalls;
          seen.merged += st.mergedOnDrain;
          seen.flushes += st.flushReports;
          seen.budget += st.budgetExhausted;
          seen.isolateFailures += st.isolateFailures;
          seen.refaults += rig.balloon.refaultPages;
        },
      ),
      { numRuns: 40, seed: 4 },
    );
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GFP_KERNEL } from "@mm/api";
import {
  ManualRcu,
  STACK_DEPOT_FLAG_CAN_ALLOC,
  STACK_DEPOT_FLAG_GET,
  checkStackDepotInvariants,
  createStackDepot,
  type DepotEra,
} from "../src/index.js";
import { RecordingSource } from "./helpers.js";

type Op =
  | { readonly kind: "save"; readonly t: number; readonly get: boolean }
  | { readonly kind: "put"; readonly i: number }
  | { readonly kind: "fetch"; readonly i: number }
  | { readonly kind: "sync" }
  | { readonly kind: "source"; readonly failing: boolean };

const opArb = (refcounting: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("save" as const), t: fc.nat(), get: refcounting ? fc.boolean() : fc.constant(false) }) },
    { weight: refcounting ? 3 : 0, arbitrary: fc.record({ kind: fc.constant("put" as const), i: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("fetch" as const), i: fc.nat() }) },
    { weight: 1, arbitrary: fc.constant({ kind: "sync" as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("source" as const), failing: fc.boolean() }) },
  );

// Small alphabets so traces share prefixes and differ in single frames.
const tracesArb = fc.array(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 20 }), {
  minLength: 1,
  maxLength: 40,
});

interface Live {
  readonly key: string;
  readonly frames: Uint32Array;
  readonly evict: boolean;
  count: number;
}

/** How often a new trace was refused (cap or source failure), to keep the property honest. */
const refused = { n: 0 };

function run(era: DepotEra, maxPools: number, traces: number[][], ops: Op[]): void {
  const rcu = new ManualRcu();
  const src = new RecordingSource();
  src.failing = false;
  src.failFrom = 1;
  const d = createStackDepot({ era, buckets: 8, maxPools, pageSource: src, rcu });
  const live = new Map<number, Live>(); // handle -> record (the oracle)
  const byKey = new Map<string, number>();
  const held: number[] = []; // GET references we own
  const seen: number[] = [];
  const out = new Uint32Array(64);
  for (const op of ops) {
    switch (op.kind) {
      case "save": {
        const frames = Uint32Array.from(traces[op.t % traces.length]);
        const key = frames.join(",");
        const flags = STACK_DEPOT_FLAG_CAN_ALLOC | (op.get ? STACK_DEPOT_FLAG_GET : 0);
        const h = d.save(frames, frames.length, GFP_KERNEL, flags);
        const existing = byKey.get(key);
        if (existing !== undefined) {
          expect(h).toBe(existing);
          const rec = live.get(h) as Live;
          if (op.get && rec.evict) {
            rec.count++;
            held.push(h);
          }
        } else if (h === 0) {
          // a new trace may only fail when the source fails or the cap is reached
          expect(src.failing || d.stats().pools === maxPools).toBe(true);
          refused.n++;
        } else {
          expect(live.has(h)).toBe(false);
          live.set(h, { key, frames, evict: op.get, count: 1 });
          byKey.set(key, h);
          if (op.get) held.push(h);
          seen.push(h);
        }
        break;
      }
      case "put": {
        if (held.length === 0) break;
        const [h] = held.splice(op.i % held.length, 1);
        d.put(h);
        const rec = live.get(h) as Live;
        if (--rec.count === 0) {
          live.delete(h);
          byKey.delete(rec.key);
        }
        break;
      }
      case "fetch": {
        if (seen.length === 0) break;
        const h = seen[op.i % seen.length];
        const n = d.fetch(h, out);
        const rec = live.get(h);
        if (rec === undefined) expect(n).toBe(0);
        else expect(out.subarray(0, n)).toEqual(rec.frames);
        break;
      }
      case "sync":
        rcu.synchronize();
        break;
      case "source":
        src.failing = op.failing;
        break;
    }
    checkStackDepotInvariants(d);
    expect(d.stats().uniqueStacks).toBe(live.size);
  }
}

describe("property: save/fetch/put against a Map oracle, invariants after every step", () => {
  for (const era of ["v4.9", "v6.1", "current"] as const) {
    for (const maxPools of [1, 2]) {
      it(`${era}, cap ${maxPools} pool(s)`, () => {
        refused.n = 0;
        fc.assert(
          fc.property(tracesArb, fc.array(opArb(era === "current"), { maxLength: 120 }), (traces, ops) =>
            run(era, maxPools, traces, ops),
          ),
          { numRuns: 120, seed: 0x5eed + maxPools },
        );
        // the runs did exercise failing saves
        expect(refused.n).toBeGreaterThan(0);
      });
    }
  }
});

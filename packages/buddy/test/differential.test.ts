/**
 * Differential test: @mm/buddy against ReferenceBuddy (reference-model.ts), the same 6.1 rules
 * written plainly, on a random stream of allocations and frees. Every chosen pfn must be the
 * same, operation by operation, and the free lists identical at checkpoints.
 * Scope: one zone, Movable requests only, no watermarks (list order, split, merge, tail placement).
 */
import { describe, expect, it } from "vitest";
import { __GFP_MOVABLE, __GFP_NOWARN, MIGRATE_MOVABLE, ZONE_NORMAL } from "@mm/api";
import { type BuddyMachine, createMachine } from "@mm/buddy";
import { ReferenceBuddy } from "./reference-model.js";

const GFP = __GFP_MOVABLE | __GFP_NOWARN;
const OPS = 120_000;

function lists(m: BuddyMachine): number[][] {
  const out: number[][] = [];
  for (let o = 0; o <= m.maxOrder; o++) {
    const l: number[] = [];
    for (let p = m.freeListFirst(ZONE_NORMAL, o, MIGRATE_MOVABLE); p >= 0; p = m.freeListNext(p)) l.push(p);
    out.push(l);
  }
  return out;
}

function run(seed: number, pages: number): { allocs: number; fails: number } {
  const m = createMachine({ memoryBytes: pages * 4096, zoneLayout: "single", noWatermarks: true });
  const ref = new ReferenceBuddy(pages, m.maxOrder);
  expect(lists(m)).toEqual(ref.lists);
  let s = seed >>> 0 || 1;
  const rnd = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const live: { pfn: number; order: number }[] = [];
  let allocs = 0;
  let fails = 0;
  for (let i = 0; i < OPS; i++) {
    const r = rnd();
    if (live.length > 0 && (r & 3) < 2 - (live.length < 64 ? 1 : 0)) {
      const idx = rnd() % live.length;
      const b = live[idx];
      live[idx] = live[live.length - 1];
      live.pop();
      m.freePages(b.pfn, b.order);
      ref.free(b.pfn, b.order);
    } else {
      const x = rnd();
      const order = x === 0 ? 10 : Math.min(31 - Math.clz32(x & -x), 10);
      const got = m.allocPages(order, GFP);
      const want = ref.alloc(order);
      if (got !== want) throw new Error(`op ${i}: alloc order ${order}: model ${got}, reference ${want}`);
      if (got < 0) fails++;
      else {
        allocs++;
        live.push({ pfn: got, order });
      }
    }
    if (i % 10_000 === 0) expect(lists(m)).toEqual(ref.lists);
  }
  expect(lists(m)).toEqual(ref.lists);
  m.checkInvariants();
  return { allocs, fails };
}

describe("differential: @mm/buddy vs the plain reference model", () => {
  it(`chooses the same pfn as the reference for ${OPS} random operations (16 MiB, fills up)`, () => {
    const r = run(0x9e3779b9, 4096);
    expect(r.allocs).toBeGreaterThan(OPS / 3);
    expect(r.fails).toBeGreaterThan(0); // the stream does reach a full machine
  });
  it("and on a second seed and size", () => {
    const r = run(12345, 3 * 1024);
    expect(r.allocs).toBeGreaterThan(OPS / 3);
  });
});

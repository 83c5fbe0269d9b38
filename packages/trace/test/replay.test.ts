import { describe, expect, it } from "vitest";
import { GFP_KERNEL, GFP_HIGHUSER_MOVABLE, __GFP_COMP, ZONE_DMA32 } from "@mm/api";
import { createMachine } from "@mm/buddy";
import { EV_ALLOC, EV_EXTFRAG, EV_FREE, ModelChoice, newTraceEvent, StackAttribution, TraceReplay, type TraceEvent } from "@mm/trace";

function ev(kind: number, pfn: number, order: number, extra: Partial<TraceEvent> = {}): TraceEvent {
  return { ...newTraceEvent(), kind, pfn, order, gfp: GFP_KERNEL, line: 1, ...extra };
}

function setup() {
  const m = createMachine({ memoryBytes: 32 << 20 });
  const attribution = new StackAttribution(m.nrPfns);
  const model = new ModelChoice(createMachine({ memoryBytes: 32 << 20 }), m.nrPfns);
  const r = new TraceReplay(m, { attribution, observer: model, checkEvery: 1 });
  return { m, r, attribution, model };
}

describe("TraceReplay", () => {
  it("places allocations at the traced pfn and frees them there, conserving pages", () => {
    const { m, r, model } = setup();
    const free0 = m.freePagesTotal();
    r.apply(ev(EV_ALLOC, 4100, 2, { stack: ["a", "b"] }));
    expect(m.isAllocated(4100)).toBe(true);
    expect(m.freePagesTotal()).toBe(free0 - 4);
    expect(model.model.freePagesTotal()).toBe(free0 - 4);
    r.apply(ev(EV_FREE, 4100, 2));
    expect(m.freePagesTotal()).toBe(free0);
    expect(model.model.freePagesTotal()).toBe(free0);
    expect(r.counters).toMatchObject({ allocs: 1, frees: 1, unmatchedFrees: 0, missedFrees: 0 });
    r.checkAll(null);
  });

  it("splits a non-compound block for a partial free (split_page), charging the owner", () => {
    const { m, r, attribution } = setup();
    r.apply(ev(EV_ALLOC, 4096, 3, { stack: ["x"] }));
    r.apply(ev(EV_FREE, 4098, 0));
    expect(r.counters.splitFrees).toBe(1);
    expect(m.isAllocated(4096)).toBe(true);
    expect(m.isAllocated(4098)).toBe(false);
    const idx = attribution.intern(["x"]);
    expect(attribution.row(idx)).toMatchObject({ allocs: 1, frees: 1, livePages: 7, peakLivePages: 8 });
    for (const p of [4096, 4097, 4099, 4100, 4101, 4102, 4103]) r.apply(ev(EV_FREE, p, 0));
    expect(attribution.row(idx).livePages).toBe(0);
    expect(m.nrFree(ZONE_DMA32, 10)).toBe(4);
  });

  it("a compound page freed with another order is freed whole and counted", () => {
    const { m, r } = setup();
    r.apply(ev(EV_ALLOC, 4096, 2, { gfp: GFP_HIGHUSER_MOVABLE | __GFP_COMP }));
    r.apply(ev(EV_FREE, 4096, 0));
    expect(r.counters.orderMismatches).toBe(1);
    expect(m.allocatedBlockHead(4097)).toBe(-1);
  });

  it("counts frees of pages the model has free, and allocations over pages it still holds", () => {
    const { m, r } = setup();
    r.apply(ev(EV_FREE, 5000, 0));
    expect(r.counters.unmatchedFrees).toBe(1);
    r.apply(ev(EV_ALLOC, 5000, 0));
    r.apply(ev(EV_ALLOC, 5000, 1)); // the trace never freed 5000
    expect(r.counters.missedFrees).toBe(1);
    expect(m.order[5000]).toBe(1);
  });

  it("places pre-existing blocks, and a failed allocation (pfn -1) changes nothing", () => {
    const { m, r } = setup();
    expect(r.placePreexisting(6000, 1)).toBe(true);
    expect(r.placePreexisting(6000, 0)).toBe(false);
    const before = m.freePagesTotal();
    r.apply(ev(EV_ALLOC, -1, 0));
    expect(m.freePagesTotal()).toBe(before);
    expect(r.counters.failedAllocs).toBe(1);
    r.apply(ev(EV_FREE, 6000, 1));
    expect(r.counters.frees).toBe(1);
  });

  it("charges fragmenting fallbacks to their stack and pageblock", () => {
    const { r, attribution } = setup();
    r.apply(ev(EV_EXTFRAG, 4096 + 5, 0, { fragmenting: true, stack: ["slab"] }));
    r.apply(ev(EV_EXTFRAG, 4096 + 7, 0, { fragmenting: true, stack: ["slab"] }));
    r.apply(ev(EV_EXTFRAG, 4096 + 600, 0, { fragmenting: false, stack: ["slab"] }));
    const row = attribution.row(attribution.intern(["slab"]));
    expect(row.fragmentingFallbacks).toBe(2);
    expect(row.fragmentedPageblocks).toBe(1);
    expect(r.counters.extfrag).toBe(3);
  });
});

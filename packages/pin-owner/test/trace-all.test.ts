import { MR_COMPACTION, MR_CONTIG_RANGE } from "@mm/api";
import { describe, expect, it } from "vitest";
import { createTraceAll, EV_FAIL, EV_REF_GET, EV_REF_PUT, ftraceRing } from "../src/index.js";
import { renderCtx, world } from "./fakes.js";

function setup(opts: { traceGets?: boolean; pfnRange?: { startPfn: number; endPfn: number } | null } = {}) {
  const w = world(64);
  const sink = ftraceRing({ bufferSizeKb: 64 });
  const t = createTraceAll({ tasks: w.tasks, clock: w.clock, pages: w.machine, depot: w.depot, sink, ...opts });
  t.attach(w.machine.subscribe);
  return { w, t, sink };
}

describe("trace-all (the review's alternative)", () => {
  it("traces every put of every page with a stack, and every failure", () => {
    const { w, t, sink } = setup();
    w.tasks.run(w.tasks.cur, ["put_page+0x2c/0x60", "release_pages+0x1a0/0x4c0"]);
    for (let p = 0; p < 10; p++) {
      w.machine.alloc(p);
      w.machine.get(p);
      w.machine.put(p);
    }
    w.machine.migrateFail(3, MR_COMPACTION, -11);
    w.machine.migrateFail(4, MR_CONTIG_RANGE, -11);
    const list = sink.snapshot();
    expect(Array.from(list.kind).filter((k) => k === EV_REF_PUT).length).toBe(10);
    expect(Array.from(list.kind).filter((k) => k === EV_FAIL).length).toBe(2);
    expect(t.stats()).toMatchObject({ puts: 10, gets: 0, failures: 2, events: 12, stacks: 12 });
    expect(w.depot.saves).toBe(12);
    expect(sink.render(renderCtx(w, t))).toContain(": page_ref_mod_and_test: pfn=0x9 flags=none count=1 mapcount=0 mapping=0000000000000000 mt=1 val=-1 ret=0\n");
    t.checkInvariants();
  });

  it("filters by pfn range like a tracefs filter over the CMA area, and can trace gets", () => {
    const { w, t, sink } = setup({ pfnRange: { startPfn: 32, endPfn: 48 }, traceGets: true });
    for (const p of [1, 33, 47, 48]) {
      w.machine.alloc(p);
      w.machine.get(p);
      w.machine.put(p);
    }
    const list = sink.snapshot();
    expect(Array.from(list.pfn)).toEqual([33, 33, 47, 47]);
    expect(Array.from(list.kind)).toEqual([EV_REF_GET, EV_REF_PUT, EV_REF_GET, EV_REF_PUT]);
    expect(sink.render(renderCtx(w, t))).toContain("page_ref_mod: pfn=0x21 flags=none count=2 mapcount=0 mapping=0000000000000000 mt=1 val=1\n");
    expect(t.stats()).toMatchObject({ puts: 4, gets: 4, events: 4 });
  });

  it("rejects a bad range", () => {
    expect(() => setup({ pfnRange: { startPfn: 5, endPfn: 4 } })).toThrow(/BAD_CONFIG/);
  });
});

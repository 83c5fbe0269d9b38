// put_page cost with trace-unref on @mm/buddy: bare, disarmed (static key off), disarmed with the
// RFC's always-on key, armed on one page that is not being put, and armed on one of the pages put.
// Each iteration does get_page + put_page on 4096 order-0 pages (the get keeps the puts from
// freeing); only the put carries the hook, so the ratios are the put's.
import { GFP_HIGHUSER_MOVABLE, MR_MEMORY_FAILURE } from "@mm/api";
import { type BuddyMachine, createMachine } from "@mm/buddy";
import { createPageExt } from "@mm/page-ext";
import { createTraceUnref, flagsWordOf, ftraceRing, type PageStateReader, registerTraceUnrefClient } from "@mm/pin-owner";
import { createSim } from "@mm/sim";
import { createStackDepot } from "@mm/stackdepot";
import { bench, describe } from "vitest";

const N = 4096;

interface Rig {
  machine: BuddyMachine;
  pfns: Int32Array;
}

function rig(trace: "none" | "dynamic" | "always", arm: "none" | "outside" | "inside"): Rig {
  const sim = createSim({ seed: 1 });
  const task = sim.spawn({ comm: "bench" });
  sim.setCurrent(task);
  task.pushTrace(sim.symbols.trace(["release_pages", "tlb_batch_pages_flush", "tlb_finish_mmu", "unmap_region"]));
  const machine = createMachine({ memoryBytes: 64 << 20, clock: sim, tasks: sim, seed: 1 });
  const pfns = new Int32Array(N);
  for (let i = 0; i < N; i++) pfns[i] = machine.allocPages(0, GFP_HIGHUSER_MOVABLE);
  const outside = machine.allocPages(0, GFP_HIGHUSER_MOVABLE);
  if (trace !== "none") {
    const pe = createPageExt({ ranges: machine.ranges });
    const client = registerTraceUnrefClient(pe, { enabled: true });
    pe.init();
    const pages: PageStateReader = {
      pageFlags: () => 0,
      pageCount: (p) => machine.pageCount(p),
      pageMapcount: () => 0,
      pageMapping: () => 0,
      pageblockMigratetype: (p) => machine.pageblockMt[p >>> machine.pageblockOrder],
      pageZone: () => 1,
    };
    const tracer = createTraceUnref({
      tasks: sim,
      clock: sim,
      pages,
      depot: createStackDepot(),
      sink: ftraceRing(),
      flags: flagsWordOf(client),
      dynamicKey: trace === "dynamic",
    });
    tracer.attach((h) => machine.addHooks(h));
    if (arm === "outside") tracer.arm(outside, MR_MEMORY_FAILURE);
    if (arm === "inside") tracer.arm(pfns[N >> 1], MR_MEMORY_FAILURE);
  }
  return { machine, pfns };
}

function cycle(r: Rig): void {
  const m = r.machine;
  const p = r.pfns;
  for (let i = 0; i < N; i++) {
    m.getPage(p[i]);
    m.putPage(p[i]);
  }
}

describe(`put_page x${N} (get+put, order 0)`, () => {
  const bare = rig("none", "none");
  const off = rig("dynamic", "none");
  const alwaysOn = rig("always", "none");
  const armedElsewhere = rig("dynamic", "outside");
  const armedInside = rig("dynamic", "inside");
  // The machine is shared by other jobs: long runs and a warm-up keep the means comparable.
  const opts = { time: 1500, warmupTime: 300, warmupIterations: 50 };
  bench("bare put (no trace-unref)", () => cycle(bare), opts);
  bench("trace-unref disarmed (static key off)", () => cycle(off), opts);
  bench("trace-unref disarmed, key always on (RFC v2)", () => cycle(alwaysOn), opts);
  bench("trace-unref armed on one other page", () => cycle(armedElsewhere), opts);
  bench("trace-unref armed on one of the pages put", () => cycle(armedInside), opts);
});

import { PerformanceObserver, performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { GFP_KERNEL } from "@mm/api";
import { STACK_DEPOT_FLAG_CAN_ALLOC, STACK_DEPOT_FLAG_GET, createStackDepot } from "../src/index.js";
import { trace } from "./helpers.js";

/**
 * Heap growth and GC count while `fn` runs `iterations` times. No GC and (almost) no growth means
 * the loop allocated nothing: an allocating loop either grows the heap or triggers a scavenge.
 */
setFlagsFromString("--expose-gc");
/** A full GC before measuring, so no incremental marking cycle can finish inside the loop. */
const gc = runInNewContext("gc") as () => void;

function loop(fn: (i: number) => number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s ^= fn(i);
  return s;
}

async function measure(fn: (i: number) => number, iterations: number): Promise<{ bytes: number; gcs: number; sink: number }> {
  // Warm up through the same loop function so its optimised code (and any deopt/reopt caused by
  // a new closure shape) is settled before measuring.
  loop(fn, 200_000);
  loop(fn, 200_000);
  const gcs: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push(e.startTime);
  });
  obs.observe({ entryTypes: ["gc"] });
  await new Promise((r) => setTimeout(r, 20));
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const sink = loop(fn, iterations);
  const t1 = performance.now();
  const after = process.memoryUsage().heapUsed;
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return { bytes: after - before, gcs: gcs.filter((t) => t >= t0 && t <= t1).length, sink };
}

describe("the save hit path allocates nothing", () => {
  const N = 1_000_000;
  const traces = Array.from({ length: 256 }, (_, t) => trace(t));

  it("persistent hits", async () => {
    const d = createStackDepot({ buckets: 1 << 12 });
    for (const t of traces) d.save(t, 16, GFP_KERNEL);
    const r = await measure((i) => d.save(traces[i & 255], 16, GFP_KERNEL), N);
    expect(r.gcs).toBe(0);
    expect(r.bytes).toBeLessThan(256 * 1024); // < 0.3 byte per save
  });

  it("fetch into a caller buffer", async () => {
    const d = createStackDepot({ buckets: 1 << 12 });
    const hs = traces.map((t) => d.save(t, 16, GFP_KERNEL));
    const out = new Uint32Array(16);
    const r = await measure((i) => d.fetch(hs[i & 255], out), N);
    expect(r.gcs).toBe(0);
    expect(r.bytes).toBeLessThan(256 * 1024);
  });

  it("GET hits (refcount increments)", async () => {
    const d = createStackDepot({ buckets: 1 << 12 });
    for (const t of traces) d.save(t, 16, GFP_KERNEL, STACK_DEPOT_FLAG_CAN_ALLOC | STACK_DEPOT_FLAG_GET);
    const r = await measure((i) => d.save(traces[i & 255], 16, GFP_KERNEL, STACK_DEPOT_FLAG_CAN_ALLOC | STACK_DEPOT_FLAG_GET), N);
    expect(r.gcs).toBe(0);
    expect(r.bytes).toBeLessThan(256 * 1024);
  });

  it("control: the Map-of-joined-frames baseline is caught allocating", async () => {
    const m = new Map<string, number>();
    traces.forEach((t, i) => m.set(t.join(","), i + 1));
    const r = await measure((i) => m.get(traces[i & 255].join(",")) ?? 0, N / 4);
    expect(r.gcs > 0 || r.bytes > 1024 * 1024).toBe(true);
  });
});

/**
 * The perf-anchor workloads under vitest: @mm/buddy from its built dist/ and from src/ (through
 * Vite's module transform), against the plain-JS reference in the same process. Shortened runs
 * (1/20 of workloads.md's); bench/anchor/run.mjs runs the full ones in their own processes with
 * the C reference too.
 */
import * as api from "@mm/api";
import * as src from "@mm/buddy";
import { bench, describe } from "vitest";
import { createZone } from "./anchor/naive-zone.mjs";
import { type Allocator, buddyAllocator, naiveAllocator, WORKLOADS } from "./anchor/workloads.mjs";

const ITERS = { order0: 1_000_000, order0_batch: 1_000_000, mixed: 500_000 };
const dist: unknown = await import(new URL("../dist/index.js", import.meta.url).href).catch(() => null);

for (const name of ["order0", "order0_batch", "mixed"] as const) {
  describe(`perf-anchor ${name}`, () => {
    const run = (make: () => Allocator) => () => {
      WORKLOADS[name](make(), ITERS[name]);
    };
    bench("reference: plain JS (perf-anchor bench_naive)", run(() => naiveAllocator(createZone)), { iterations: 3, warmupIterations: 1 });
    bench("@mm/buddy src (vite transform)", run(() => buddyAllocator(src, api)), { iterations: 3, warmupIterations: 1 });
    if (dist !== null) bench("@mm/buddy dist", run(() => buddyAllocator(dist, api)), { iterations: 3, warmupIterations: 1 });
  });
}

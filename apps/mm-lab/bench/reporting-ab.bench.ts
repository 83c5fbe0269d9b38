// The reporting map's throughput: runs per second of the default map's jobs (all policies, both
// slices, 1 seed per cell here), against a baseline measured in the same run: the same points with
// reporting off only. The full default map (8 seeds, 2 workers on the built CLI) is timed by
// `node apps/mm-lab/dist/main.js run reporting-ab --timing` (README, Benchmarks).
import { afterAll, bench, describe } from "vitest";
import { DEFAULT_MAP, mapJobs, runMap } from "../src/experiments/reporting/map.js";

const measured: Record<string, { wallMs: number; runs: number }> = {};

function timed(label: string, policies: readonly string[]): () => void {
  const c = { ...DEFAULT_MAP, policies, seeds: 1 };
  const runs = mapJobs(c).jobs.length;
  return () => {
    const t0 = performance.now();
    const cells = runMap(c);
    const m = (measured[label] ??= { wallMs: 0, runs: 0 });
    m.wallMs += performance.now() - t0;
    m.runs += runs;
    // the work was the real scenario: every cell ran its seed
    if (cells.some((x) => x.runs.length !== 1)) throw new Error("a cell lost its run");
  };
}

afterAll(() => {
  for (const [label, m] of Object.entries(measured))
    console.log(`reporting-ab ${label}: ${m.runs} runs in ${(m.wallMs / 1000).toFixed(2)} s = ${(m.runs / (m.wallMs / 1000)).toFixed(1)} runs/s (one thread)`);
});

describe("reporting-ab map, 1 seed per cell, one thread", () => {
  bench("baseline: reporting off at every point", timed("off", ["off"]), { iterations: 1, time: 0, warmupIterations: 0 });
  bench(`default: ${DEFAULT_MAP.policies.length} policies at every point`, timed("default", DEFAULT_MAP.policies), { iterations: 1, time: 0, warmupIterations: 0 });
});

// The whole default reporting-ab experiment (the control + 6 policies x 10 seeds, 512 MiB guest,
// about 28 simulated seconds per run), against a baseline of the same scenario with reporting off,
// measured in the same run. The experiment runs in a worker thread with native ESM (tsx), as the
// CLI runs it: vitest's module runner wraps every cross-module binding, which makes the
// allocator's hot loops several times slower than in `mm-lab` itself. After the benches it prints
// simulated seconds per wall-clock second.
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, bench, describe } from "vitest";
import type { BenchReply } from "../src/experiments/reporting/bench-worker.js";
import { DEFAULT_AB } from "../src/experiments/reporting/ab.js";

let worker: Worker;
// Totals per bench label (wall time of the harness only; nothing in the model reads it).
const measured: Record<string, { simNs: number; wallMs: number; cpuMs: number; runs: number }> = {};

function runInWorker(policies: readonly string[]): Promise<BenchReply> {
  return new Promise((resolve, reject) => {
    worker.once("message", (r: BenchReply) => resolve(r));
    worker.once("error", reject);
    worker.postMessage(policies);
  });
}

function timed(label: string, policies: readonly string[]): () => Promise<void> {
  return async () => {
    const r = await runInWorker(policies);
    if (policies.includes("fixed") && !(r.failures.fixed > 0)) throw new Error("the fixed policy did not OOM: not the real workload");
    const m = (measured[label] ??= { simNs: 0, wallMs: 0, cpuMs: 0, runs: 0 });
    m.simNs += r.simNs;
    m.wallMs += r.wallMs;
    m.cpuMs += r.cpuMs;
    m.runs += r.runs;
  };
}

beforeAll(() => {
  worker = new Worker(new URL("../src/experiments/reporting/bench-worker-boot.mjs", import.meta.url), {
    execArgv: ["--conditions=@mm/source"],
  });
});

afterAll(async () => {
  await worker.terminate();
  for (const [label, m] of Object.entries(measured)) {
    console.log(
      `reporting-ab ${label}: ${m.runs} runs, ${(m.simNs / 1e9).toFixed(0)} simulated s in ${(m.wallMs / 1000).toFixed(2)} wall s ` +
        `= ${(m.simNs / 1e9 / (m.wallMs / 1000)).toFixed(0)} simulated s per wall s (${(m.wallMs / m.runs).toFixed(1)} ms per run, ` +
        `${(m.cpuMs / m.runs).toFixed(1)} ms CPU per run)`,
    );
  }
});

describe("reporting-ab default experiment, 10 seeds (worker, native ESM)", () => {
  bench("baseline: reporting off x 10 seeds", timed("off x 10", ["off"]), { iterations: 3, time: 0, warmupIterations: 1 });
  bench(`default: ${DEFAULT_AB.policies.length} rows x 10 seeds`, timed("default", DEFAULT_AB.policies), {
    iterations: 3,
    time: 0,
    warmupIterations: 1,
  });
});

/**
 * Run the map's (config, seed) jobs on worker threads, one per core (at most 2 by default:
 * the project's machines), each taking a contiguous share, results in job order. Used only from
 * the built code (a .js module URL); from TypeScript sources the map runs in this thread.
 * Determinism: a run depends only on its (config, seed), so the split cannot change a byte.
 */
import { availableParallelism } from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { MapJob } from "./map.js";
import { runScenario, type RunMetrics } from "./scenario.js";

/** Worker side: run the jobs handed over and post their metrics. */
if (!isMainThread && parentPort !== null && (workerData as { mmLabReportingPool?: boolean } | null)?.mmLabReportingPool === true) {
  const jobs = (workerData as { jobs: MapJob[] }).jobs;
  const port = parentPort;
  const out: RunMetrics[] = [];
  for (const j of jobs) {
    out.push(runScenario(j.config, j.seed).metrics);
    port.postMessage({ tick: 1 });
  }
  port.postMessage({ done: out });
}

/** Can this module start workers (it is a .js file, not a TypeScript source)? */
export function poolAvailable(): boolean {
  return import.meta.url.endsWith(".js");
}

/** Workers to use: MM_LAB_WORKERS, else min(2, cores). */
export function poolSize(): number {
  const env = Number(process.env.MM_LAB_WORKERS);
  if (Number.isInteger(env) && env >= 1) return env;
  return Math.max(1, Math.min(2, availableParallelism()));
}

/** Run `jobs` on `workers` threads; `tick` once per finished run. */
export async function runPooled(jobs: readonly MapJob[], workers: number, tick?: () => void): Promise<RunMetrics[]> {
  const n = Math.max(1, Math.min(workers, jobs.length));
  // interleaved shares balance big and small guests across the workers
  const shares: MapJob[][] = Array.from({ length: n }, () => []);
  jobs.forEach((j, i) => shares[i % n].push(j));
  const results = await Promise.all(
    shares.map(
      (share) =>
        new Promise<RunMetrics[]>((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { mmLabReportingPool: true, jobs: share } });
          w.on("message", (m: { tick?: number; done?: RunMetrics[] }) => {
            if (m.tick !== undefined && tick !== undefined) tick();
            if (m.done !== undefined) {
              resolve(m.done);
              void w.terminate();
            }
          });
          w.on("error", reject);
        }),
    ),
  );
  const out: RunMetrics[] = new Array<RunMetrics>(jobs.length);
  results.forEach((r, s) => r.forEach((m, k) => (out[k * n + s] = m)));
  return out;
}

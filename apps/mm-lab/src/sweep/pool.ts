/**
 * The worker pool: `jobs` worker threads fed from one queue, each holding `PREFETCH` tasks so it
 * starts the next run the moment one ends instead of waiting a round trip for the main thread
 * (which, on a loaded machine, may not be scheduled for milliseconds); a slow cell does not hold
 * the others up. Workers outlive a call: they go back to an idle set (unref'd, so they never keep
 * the process alive) and the next `runTasks` in this process takes them warm — their modules
 * loaded and their code compiled. A cold worker costs ~0.2 s of start-up and ~1 s of JIT CPU
 * (measured with the bench's thread profile: 360 reporting-ab runs cost 5-6 ms more CPU per run
 * in 2 fresh workers than in 2 warm ones), which the in-process `jobs = 1` path pays once per
 * process. `jobs = 1` runs in this thread, no worker: the baseline the bench compares against.
 * Workers run the built JS next to this file, or — when this file is the TypeScript source
 * (tests, `pnpm mm-lab`) — the `.ts` worker through tsx with the `@mm/source` condition, so both
 * paths run the same code the caller runs.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { MmError } from "@mm/api";
import { threadCpuNs } from "./thread-cpu.js";
import type { AnyExperiment, MetricValue } from "../experiment.js";
import type { AnyConfig } from "../params.js";

export interface WorkerTask {
  readonly index: number;
  readonly experiment: string;
  readonly config: AnyConfig;
  readonly seed: number;
  readonly policy: string | null;
  /** Reply with the run's thread CPU (and, from a new worker's first run, its start-up). */
  readonly profile?: boolean;
}

export type WorkerReply =
  | { readonly index: number; readonly metrics: Readonly<Record<string, MetricValue>>; readonly cpu?: WorkerCpu }
  | { readonly index: number; readonly error: { readonly message: string; readonly code: string | null } };

/** A worker's thread CPU (profiling only): this run's, and before its first task ever (start-up). */
export interface WorkerCpu {
  readonly runNs: number;
  readonly startNs?: number;
}

/** What `runTasks` was given to do it with. */
export interface PoolOptions {
  /** Stop handing out tasks when it aborts; running ones finish. */
  readonly signal?: AbortSignal;
  /** Measure thread CPU (Linux): runs, worker start-up, this thread. */
  readonly profile?: boolean;
}

/**
 * Where the CPU went, in thread CPU ns (not wall time, so it holds on a loaded machine): the
 * runs themselves, the workers' start-up, and this thread's own share (dispatch and `onResult`,
 * i.e. store appends). `(runNs + startNs) / mainNs` bounds what more workers could gain.
 */
export interface PoolProfile {
  readonly workers: number;
  readonly runs: number;
  readonly runNs: number;
  readonly startNs: number;
  readonly mainNs: number;
}

/**
 * Tasks in flight per worker. 2: the next run is already queued in the worker when one ends; more
 * only lengthens the tail (a worker may hold the last tasks while another idles) and what an
 * abort waits for.
 */
export const PREFETCH = 2;

export function defaultJobs(): number {
  return availableParallelism();
}

/**
 * A worker thread running `module`: a built `.js` module directly, a `.ts` source through a
 * bootstrap that registers tsx first (its hooks must be in place before the worker's module graph
 * loads) with the `@mm/source` condition. Experiments with their own batched workers use it too.
 */
export function startModuleWorker(module: URL): Worker {
  if (!module.href.endsWith(".ts")) return new Worker(module);
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(boot, { eval: true, execArgv: ["--conditions=@mm/source"] });
}

/** The built worker beside this file, or the .ts worker through tsx. */
function startWorker(): Worker {
  return startModuleWorker(new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url));
}

/** Warm workers between calls. A worker that failed or crashed is terminated, never kept. */
const idle: Worker[] = [];

function takeWorker(): Worker {
  const w = idle.pop();
  if (w !== undefined) {
    w.removeAllListeners("exit");
    w.ref();
    return w;
  }
  return startWorker();
}

function parkWorker(w: Worker): void {
  w.removeAllListeners("message");
  w.removeAllListeners("error");
  // an idle worker that dies (it should not) leaves the set instead of being handed out
  w.once("exit", () => {
    const i = idle.indexOf(w);
    if (i >= 0) idle.splice(i, 1);
  });
  w.unref();
  idle.push(w);
}

/** Terminate the idle workers (a long-lived host that is done sweeping; tests). */
export async function closePool(): Promise<void> {
  const ws = idle.splice(0);
  await Promise.all(ws.map((w) => w.terminate()));
}

/**
 * Run `tasks` and call `onResult` for each as it completes (in completion order; callers order by
 * index). Stops handing out tasks when `o.signal` aborts, lets running ones finish, and resolves
 * with the CPU profile when `o.profile` asked for one (else null).
 * @throws MmError when a run throws (the first failure stops the pool).
 */
export async function runTasks(
  exp: AnyExperiment,
  tasks: readonly WorkerTask[],
  jobs: number,
  onResult: (index: number, metrics: Readonly<Record<string, MetricValue>>) => void,
  o: PoolOptions = {},
): Promise<PoolProfile | null> {
  const { signal } = o;
  const profile = o.profile === true && threadCpuNs() !== null;
  const main0 = profile ? threadCpuNs()! : 0;
  let runNs = 0;
  let startNs = 0;
  let runs = 0;
  // in-process, this thread's own share is what the runs leave; a tick's lag in the readings
  // (thread-cpu.ts) can make a near-zero share read below zero
  const done = (workers: number): PoolProfile | null =>
    profile ? { workers, runs, runNs, startNs, mainNs: Math.max(0, threadCpuNs()! - main0 - (workers === 0 ? runNs : 0)) } : null;
  if (jobs <= 1 || tasks.length <= 1) {
    for (const t of tasks) {
      if (signal?.aborted === true) break;
      const c0 = profile ? threadCpuNs()! : 0;
      const metrics = exp.runOne(t.config, t.seed, t.policy ?? undefined).metrics;
      if (profile) runNs += threadCpuNs()! - c0;
      runs++;
      onResult(t.index, metrics);
      // let a pending SIGINT reach its handler between runs
      if (tasks.length > 1) await new Promise((r) => setImmediate(r));
    }
    return done(0);
  }
  const n = Math.min(jobs, tasks.length);
  let next = 0;
  let failure = null as Error | null;
  await new Promise<void>((resolve) => {
    let live = n;
    const finish = (): void => {
      if (--live === 0) resolve();
    };
    for (let i = 0; i < n; i++) {
      const w = takeWorker();
      let inFlight = 0;
      let closed = false;
      // healthy: back to the idle set, warm; after a failure or crash: gone
      const close = (healthy: boolean): void => {
        if (closed) return;
        closed = true;
        if (healthy && inFlight === 0) parkWorker(w);
        else void w.terminate();
        finish();
      };
      // top up to PREFETCH; close once nothing is left to hand out and nothing is running
      const feed = (): void => {
        const stop = failure !== null || signal?.aborted === true;
        while (!stop && inFlight < PREFETCH && next < tasks.length) {
          w.postMessage(profile ? { ...tasks[next++], profile } : tasks[next++]);
          inFlight++;
        }
        if (inFlight === 0) close(true);
      };
      w.on("message", (r: WorkerReply) => {
        inFlight--;
        if ("error" in r) {
          failure ??= new MmError(r.error.code === "EINVAL" ? "EINVAL" : "BAD_STATE", r.error.message.replace(/^[A-Z_]+: /, ""));
          return close(false);
        }
        if (r.cpu !== undefined) {
          runNs += r.cpu.runNs;
          startNs += r.cpu.startNs ?? 0;
        }
        runs++;
        onResult(r.index, r.metrics);
        feed();
      });
      w.on("error", (e: Error) => {
        failure ??= e;
        close(false);
      });
      feed();
    }
  });
  if (failure !== null) throw failure;
  return done(n);
}

/**
 * The worker pool: `jobs` worker threads, each fed the next task as soon as it answers (so a slow
 * cell does not hold the others up). `jobs = 1` runs in this thread, no worker: the baseline the
 * bench compares against. Workers run the built JS next to this file, or — when this file is the
 * TypeScript source (tests, `pnpm mm-lab`) — the `.ts` worker through tsx with the `@mm/source`
 * condition, so both paths run the same code the caller runs.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { MmError } from "@mm/api";
import type { AnyExperiment, MetricValue } from "../experiment.js";
import type { AnyConfig } from "../params.js";

export interface WorkerTask {
  readonly index: number;
  readonly experiment: string;
  readonly config: AnyConfig;
  readonly seed: number;
  readonly policy: string | null;
}

export type WorkerReply =
  | { readonly index: number; readonly metrics: Readonly<Record<string, MetricValue>> }
  | { readonly index: number; readonly error: { readonly message: string; readonly code: string | null } };

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

/**
 * Run `tasks` and call `onResult` for each as it completes (in completion order; callers order by
 * index). Stops handing out tasks when `signal` aborts, lets running ones finish, and resolves.
 * @throws MmError when a run throws (the first failure stops the pool).
 */
export async function runTasks(
  exp: AnyExperiment,
  tasks: readonly WorkerTask[],
  jobs: number,
  onResult: (index: number, metrics: Readonly<Record<string, MetricValue>>) => void,
  signal?: AbortSignal,
): Promise<void> {
  if (jobs <= 1 || tasks.length <= 1) {
    for (const t of tasks) {
      if (signal?.aborted === true) return;
      onResult(t.index, exp.runOne(t.config, t.seed, t.policy ?? undefined).metrics);
      // let a pending SIGINT reach its handler between runs
      if (tasks.length > 1) await new Promise((r) => setImmediate(r));
    }
    return;
  }
  const n = Math.min(jobs, tasks.length);
  let next = 0;
  let failure = null as Error | null;
  const workers: Worker[] = [];
  await new Promise<void>((resolve) => {
    let live = n;
    const finish = (w: Worker): void => {
      void w.terminate();
      if (--live === 0) resolve();
    };
    const feed = (w: Worker): void => {
      if (failure !== null || signal?.aborted === true || next >= tasks.length) return finish(w);
      w.postMessage(tasks[next++]);
    };
    for (let i = 0; i < n; i++) {
      const w = startWorker();
      workers.push(w);
      w.on("message", (r: WorkerReply) => {
        if ("error" in r) {
          failure ??= new MmError(r.error.code === "EINVAL" ? "EINVAL" : "BAD_STATE", r.error.message.replace(/^[A-Z_]+: /, ""));
          return finish(w);
        }
        onResult(r.index, r.metrics);
        feed(w);
      });
      w.on("error", (e: Error) => {
        failure ??= e;
        finish(w);
      });
      feed(w);
    }
  });
  if (failure !== null) throw failure;
}

/**
 * The sweep runner, as a library: `runSweep(exp, plan, options)` runs a plan (or one shard of it)
 * on the worker pool, optionally into a results store it can resume, and returns the rows in task
 * order. `mm-lab sweep` is a thin CLI over it; other experiments' `run` paths may call it too.
 */
import { existsSync } from "node:fs";
import { MmError } from "@mm/api";
import type { AnyExperiment, MetricValue } from "../experiment.js";
import { provenance } from "../provenance.js";
import { metaOf, ResultsStore } from "../store/duckdb.js";
import type { SweepRow } from "../store/rows.js";
import { makePlan, type Plan, type Shard, shardTasks, type SweepSpec, taskAt } from "./plan.js";
import { type PoolProfile, runTasks, type WorkerTask } from "./pool.js";

export interface SweepOptions {
  /** Worker threads; 1 runs in this thread. @defaultValue 1 */
  readonly jobs?: number;
  readonly shard?: Shard | null;
  /** DuckDB file to write (created, or continued with `resume`; `resume` without one creates it). */
  readonly store?: string | null;
  readonly resume?: boolean;
  /** Abort: stop handing out runs, store what finished, resolve with `interrupted`. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
  /** Store flush period in rows. @defaultValue 64 */
  readonly flushRows?: number;
  /**
   * ...or in ms since the last flush, whichever comes first, so a process killed outright (a
   * second Ctrl-C, SIGKILL, a lost node) loses about a second of runs at most. @defaultValue 1000
   */
  readonly flushMs?: number;
  /** Measure thread CPU (Linux; see `PoolProfile`), returned as `profile`. @defaultValue false */
  readonly profile?: boolean;
}

export interface SweepResult {
  readonly plan: Plan;
  /** Every stored row of this shard (earlier sessions' too, with resume), in task order. */
  readonly rows: readonly SweepRow[];
  readonly interrupted: boolean;
  /** Runs done in this call (not counting resumed ones). */
  readonly ran: number;
  /** Where the CPU went, when `profile` asked and the platform says (else null). */
  readonly profile: PoolProfile | null;
}

export async function runSweep(exp: AnyExperiment, planOrSpec: Plan | SweepSpec, o: SweepOptions = {}): Promise<SweepResult> {
  const plan = "hash" in planOrSpec ? planOrSpec : makePlan(exp, planOrSpec);
  const shard = o.shard ?? null;
  const indices = shard === null ? Array.from({ length: plan.total }, (_, i) => i) : shardTasks(plan, shard);
  let store: ResultsStore | null = null;
  let done = new Set<number>();
  const p = provenance();
  if (o.store != null) {
    // resume continues a store, or starts it when there is none yet: a job array's retried task
    // (a preempted pod, a requeued Slurm task) runs the same command either way
    if (o.resume === true && existsSync(o.store)) {
      store = await ResultsStore.open(o.store, exp);
      const meta = await store.meta();
      const want = metaOf(plan, shard, p.version, p.revision);
      if (meta.hash !== want.hash || meta.shardIndex !== want.shardIndex || meta.shardCount !== want.shardCount) {
        store.close();
        throw new MmError("EINVAL", `--resume: ${o.store} holds another sweep (plan ${meta.hash}, shard ${meta.shardIndex}/${meta.shardCount})`);
      }
      done = await store.doneTasks();
    } else store = await ResultsStore.create(o.store, exp, metaOf(plan, shard, p.version, p.revision));
  }
  let session = -1;
  try {
    if (store !== null) session = await store.beginSession(metaOf(plan, shard, p.version, p.revision));
  } catch (e) {
    store?.close();
    throw e;
  }
  const todo = indices.filter((i) => !done.has(i));
  const tasks: WorkerTask[] = todo.map((i) => {
    const t = taskAt(plan, i);
    return { index: i, experiment: exp.name, config: plan.cells[t.cell], seed: t.seed, policy: t.policy };
  });
  const fresh: SweepRow[] = [];
  let pending: SweepRow[] = [];
  let flushing: Promise<void> = Promise.resolve();
  const flushRows = o.flushRows ?? 64;
  const flushMs = o.flushMs ?? 1000;
  let flushedAt = performance.now();
  const flush = (): void => {
    flushedAt = performance.now();
    if (store === null || pending.length === 0) return;
    const batch = pending;
    pending = [];
    const s = store;
    flushing = flushing.then(() => s.append(batch));
  };
  let count = indices.length - todo.length;
  o.onProgress?.(count, indices.length);
  let ran = 0;
  try {
    const profile = await runTasks(
      exp,
      tasks,
      o.jobs ?? 1,
      (index: number, metrics: Readonly<Record<string, MetricValue>>) => {
        const t = taskAt(plan, index);
        const row: SweepRow = { task: index, cell: t.cell, policy: t.policy, seed: t.seed, config: plan.cells[t.cell], metrics };
        fresh.push(row);
        pending.push(row);
        ran++;
        if (pending.length >= flushRows || performance.now() - flushedAt >= flushMs) flush();
        o.onProgress?.(++count, indices.length);
      },
      { ...(o.signal !== undefined ? { signal: o.signal } : {}), profile: o.profile === true },
    );
    flush();
    await flushing;
    let rows: SweepRow[];
    if (store !== null) rows = await store.rows();
    else rows = fresh.sort((a, b) => a.task - b.task);
    return { plan, rows, interrupted: o.signal?.aborted === true && rows.length < indices.length, ran, profile };
  } finally {
    flush();
    await flushing.catch(() => {});
    if (store !== null) {
      await store.endSession(session, ran).catch(() => {});
      store.close();
    }
  }
}

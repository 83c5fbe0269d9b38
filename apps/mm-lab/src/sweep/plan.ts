/**
 * A sweep's plan: the cells (grid or sample points), the policies and the seeds, laid out in one
 * fixed order — task i is cell floor(i / (P*S)), policy floor(i / S) mod P, seed first + i mod S.
 * A shard i/N takes the tasks with index mod N = i, so shards interleave cells (balanced load) and
 * the union of N shards is exactly the plan. The hash names the plan (not the shard): shards of
 * one sweep share it, and `merge` and `--resume` refuse stores of another plan.
 */
import { createHash } from "node:crypto";
import { MmError } from "@mm/api";
import type { AnyExperiment } from "../experiment.js";
import type { AnyConfig } from "../params.js";
import { gridPoints, lhsPoints, parseGrid } from "./grid.js";

export interface SweepSpec {
  readonly experiment: string;
  /** The config every cell starts from (flags other than the grid's). */
  readonly base: AnyConfig;
  /** `--grid` text, or null for the base point alone. */
  readonly grid: string | null;
  /** `--sample lhs:N` (seeded by `seeds.first`), or null for the full grid. */
  readonly sample: { readonly kind: "lhs"; readonly n: number; readonly seed: number } | null;
  readonly policies: readonly string[];
  readonly seeds: { readonly first: number; readonly count: number };
}

export interface Shard {
  readonly index: number;
  readonly count: number;
}

export interface Plan {
  readonly spec: SweepSpec;
  readonly hash: string;
  readonly cells: readonly AnyConfig[];
  /** Policies as run: `[null]` without a policy axis. */
  readonly policies: readonly (string | null)[];
  readonly total: number;
}

export interface TaskRef {
  readonly index: number;
  readonly cell: number;
  readonly policy: string | null;
  readonly seed: number;
}

/** Canonical JSON: keys sorted, so the hash does not depend on declaration order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

export function makePlan(exp: AnyExperiment, spec: SweepSpec): Plan {
  const axes = spec.grid === null ? [] : parseGrid(exp.params, spec.grid);
  const raw = spec.sample === null ? gridPoints(exp.params, spec.base, axes) : lhsPoints(exp.params, spec.base, axes, spec.sample.n, spec.sample.seed);
  for (const c of raw) exp.check?.(c);
  const policies = exp.policies === undefined ? [null] : spec.policies;
  if (policies.length === 0) throw new MmError("EINVAL", "no policy chosen");
  const total = raw.length * policies.length * spec.seeds.count;
  if (total > 10_000_000) throw new MmError("EINVAL", `the sweep has ${total} runs; split it or sample it (--sample lhs:N)`);
  const hash = createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, 16);
  return { spec, hash, cells: raw, policies, total };
}

export function taskAt(plan: Plan, index: number): TaskRef {
  const s = plan.spec.seeds.count;
  const p = plan.policies.length;
  return { index, cell: Math.floor(index / (p * s)), policy: plan.policies[Math.floor(index / s) % p] ?? null, seed: plan.spec.seeds.first + (index % s) };
}

/** The task indices of a shard, ascending. */
export function shardTasks(plan: Plan, shard: Shard): number[] {
  const out: number[] = [];
  for (let i = shard.index; i < plan.total; i += shard.count) out.push(i);
  return out;
}

/**
 * `--shard i/N`, or the index from a job array: `JOB_COMPLETION_INDEX` (Kubernetes Indexed Jobs)
 * or `SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_COUNT` (Slurm). `--shard auto/N` reads the index
 * from the environment; a bare `--shard auto` also takes N from Slurm.
 */
export function parseShard(text: string | undefined, env: Readonly<Record<string, string | undefined>>): Shard | null {
  if (text === undefined) return null;
  const m = /^(\d+|auto)(?:\/(\d+))?$/.exec(text.trim());
  if (m === null) throw new MmError("EINVAL", `--shard expects i/N (0 <= i < N) or auto/N, got "${text}"`);
  let index: number;
  if (m[1] === "auto") {
    const fromEnv = env.JOB_COMPLETION_INDEX ?? env.SLURM_ARRAY_TASK_ID;
    if (fromEnv === undefined || !/^\d+$/.test(fromEnv)) throw new MmError("EINVAL", "--shard auto: neither JOB_COMPLETION_INDEX nor SLURM_ARRAY_TASK_ID is set");
    index = Number(fromEnv);
  } else index = Number(m[1]);
  const countText = m[2] ?? env.SLURM_ARRAY_TASK_COUNT;
  if (countText === undefined) throw new MmError("EINVAL", `--shard ${text}: the shard count N is missing`);
  const count = Number(countText);
  if (!(count >= 1 && index < count)) throw new MmError("EINVAL", `--shard expects i/N with 0 <= i < N, got "${index}/${count}"`);
  return { index, count };
}

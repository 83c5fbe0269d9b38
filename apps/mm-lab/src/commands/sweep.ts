/**
 * `mm-lab sweep <experiment> --grid 'a=0..4000:250,b=250,1000,4000' --seeds 30`: the plan, the
 * worker pool, a progress bar with ETA on stderr, the DuckDB store (and `--out` JSONL), the
 * per-cell statistics table. Ctrl-C (or SIGTERM, SIGHUP) stops handing out runs, stores the
 * finished ones and exits 128 + the signal (130 for Ctrl-C); `--resume` continues the same store.
 */
import { writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import { MmError } from "@mm/api";
import type { AnyExperiment } from "../experiment.js";
import { formatConfig, type RawArgs } from "../params.js";
import { provenance } from "../provenance.js";
import { resolveExperimentConfig, resolvePolicies, resolveSeeds } from "../request.js";
import { parseShard, type SweepSpec } from "../sweep/plan.js";
import { defaultJobs } from "../sweep/pool.js";
import { runSweep } from "../sweep/run.js";
import { formatSummary, headlineMetric, summarize } from "../sweep/summary.js";
import { rowsToJsonl } from "../store/rows.js";
import { addParamFlags } from "./run.js";

const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function sampleOf(text: string | undefined, seed: number): SweepSpec["sample"] {
  if (text === undefined) return null;
  const m = /^lhs:(\d+)$/.exec(text.trim());
  if (m === null) throw new MmError("EINVAL", `--sample expects lhs:N, got "${text}"`);
  return { kind: "lhs", n: Number(m[1]), seed };
}

function jobsOf(text: string | undefined): number {
  if (text === undefined) return defaultJobs();
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > 256) throw new MmError("EINVAL", `--jobs expects an integer in 1..256, got "${text}"`);
  return Number(text);
}

/** The sweep spec from flags: the base config, grid or sample, policies, seeds. */
export function sweepSpecOf(exp: AnyExperiment, raw: RawArgs): SweepSpec {
  const seeds = resolveSeeds(exp, raw);
  const grid = typeof raw.grid === "string" ? raw.grid : null;
  const sample = sampleOf(typeof raw.sample === "string" ? raw.sample : undefined, seeds[0] ?? 0);
  if (sample !== null && grid === null) throw new MmError("EINVAL", "--sample lhs:N needs ranges in --grid (name=lo..hi)");
  return {
    experiment: exp.name,
    base: resolveExperimentConfig(exp, raw),
    grid,
    sample,
    policies: resolvePolicies(exp, raw),
    seeds: { first: seeds[0] ?? 0, count: seeds.length },
  };
}

function metricsOf(exp: AnyExperiment, text: string | undefined): string[] {
  const head = headlineMetric(exp);
  if (text === undefined) {
    const firstNumber = Object.keys(exp.metrics).find((k) => exp.metrics[k].kind === "number" && k !== head);
    return firstNumber === undefined ? [head] : [head, firstNumber];
  }
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const n of names) if (!(n in exp.metrics)) throw new MmError("EINVAL", `--metrics: unknown metric "${n}" (known: ${Object.keys(exp.metrics).join(", ")})`);
  return names;
}

export function sweepCommand(exp: AnyExperiment, out: (s: string) => void): Command {
  const cmd = new Command(exp.name).description(`sweep ${exp.name} over a grid or a sample of its parameters`);
  addParamFlags(cmd, exp, { seeds: true });
  cmd.addOption(new Option("--grid <spec>", "axes: name=lo..hi:step or name=v1,v2,... separated by commas"));
  cmd.addOption(new Option("--sample <lhs:N>", "a seeded Latin-hypercube sample of N points over the --grid ranges (name=lo..hi)"));
  cmd.addOption(new Option("--jobs <n>", `worker threads; default the core count (${defaultJobs()})`));
  cmd.addOption(new Option("--shard <i/N>", "run the slice i of N (auto/N: i from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID)"));
  cmd.addOption(new Option("--db <file>", "DuckDB results store").default(`${exp.name}-sweep.duckdb`));
  cmd.addOption(new Option("--out <file.jsonl>", "also write the rows as JSONL"));
  cmd.addOption(new Option("--resume", "continue the store of an interrupted sweep (or start it when there is none)"));
  cmd.addOption(new Option("--metrics <list>", "metrics in the table (default: the headline and one mean)"));
  cmd.action(async (raw: RawArgs) => {
    const spec = sweepSpecOf(exp, raw);
    const shard = parseShard(typeof raw.shard === "string" ? raw.shard : undefined, process.env);
    const jobs = jobsOf(typeof raw.jobs === "string" ? raw.jobs : undefined);
    const metrics = metricsOf(exp, typeof raw.metrics === "string" ? raw.metrics : undefined);
    const ac = new AbortController();
    // Ctrl-C, a scheduler's SIGTERM (Kubernetes, Slurm preemption) or a closed terminal: stop
    // handing out runs, store the finished ones, exit 128 + signal number; a second Ctrl-C quits
    let stoppedBy: NodeJS.Signals | null = null;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stoppedBy === "SIGINT" && sig === "SIGINT") process.exit(130);
      stoppedBy ??= sig;
      ac.abort();
    };
    for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
    const bar =
      process.stderr.isTTY && raw.json !== true
        ? new cliProgress.SingleBar(
            { format: `${exp.name} [{bar}] {value}/{total} runs, ETA {eta_formatted}`, stream: process.stderr, etaBuffer: 50, clearOnComplete: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
    let started = false;
    let result;
    try {
      result = await runSweep(exp, spec, {
        jobs,
        shard,
        store: String(raw.db),
        resume: raw.resume === true,
        signal: ac.signal,
        onProgress: (done, total) => {
          if (bar === null) return;
          if (!started) {
            bar.start(total, done);
            started = true;
          } else bar.update(done);
        },
      });
    } finally {
      if (started) bar?.stop();
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    }
    if (typeof raw.out === "string") writeFileSync(raw.out, rowsToJsonl(exp, result.rows));
    if (result.interrupted) {
      process.stderr.write(`mm-lab: interrupted: ${result.rows.length} runs stored in ${String(raw.db)}; run again with --resume to continue\n`);
      process.exitCode = 128 + (osConstants.signals[stoppedBy ?? "SIGINT"] ?? 2);
      return;
    }
    const stats = summarize(exp, result.plan, result.rows, metrics);
    // provenance, as `run` prints it: the base config, grid or sample, seeds, version, revision
    const p = provenance();
    if (raw.json === true) {
      for (const s of stats) out(`${JSON.stringify({ ...s, config: result.plan.cells[s.cell] })}\n`);
      out(`${JSON.stringify({ mmLab: { plan: result.plan.hash, ...spec, shard, package: p.package, version: p.version, revision: p.revision } })}\n`);
    } else {
      out(formatSummary(exp, result.plan, stats));
      const sh = shard === null ? "" : `, shard ${shard.index}/${shard.count}`;
      const last = spec.seeds.first + spec.seeds.count - 1;
      const pts = spec.sample === null ? `grid ${spec.grid ?? "(none)"}` : `lhs:${spec.sample.n} over ${spec.grid ?? ""} (sample seed ${spec.sample.seed})`;
      out(`\n# ${exp.name} sweep ${result.plan.hash}: ${result.plan.cells.length} cells x ${result.plan.policies.length} policies x ${spec.seeds.count} seeds = ${result.plan.total} runs${sh}; ${result.ran} run now, jobs ${jobs}\n`);
      out(`# ${pts}; seeds ${spec.seeds.first}..${last}${spec.policies.length > 0 && exp.policies !== undefined ? `; policies ${spec.policies.join(",")}` : ""}\n`);
      out(`# base config: ${formatConfig(exp.params, spec.base)}\n`);
      out(`# ${p.package} ${p.version}, git ${p.revision ?? "unknown"}; store ${String(raw.db)}${typeof raw.out === "string" ? `, JSONL ${raw.out}` : ""}\n`);
    }
  });
  return cmd;
}

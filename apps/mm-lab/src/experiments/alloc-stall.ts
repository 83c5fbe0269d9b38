/**
 * `mm-lab run alloc-stall`: seed 003's question, "how to make warn_alloc() reliable?", measured.
 * Three scenarios make real allocation stalls (slow reclaim behind a shrinker mutex, a blocked
 * oom_lock holder, 4000 threads at once); the 4.9 warn_alloc stall line and kmallocwd (as posted,
 * and bounded) report on the same runs; the table compares what each caught, how late, and how
 * much log it took.
 */
import { MmError } from "@mm/api";
import type { Experiment, ExperimentArgs, RunIO } from "../experiment.js";
import { formatJson, formatReport } from "./alloc-stall/format.js";
import { type PolicySpec, runScenario, type ScenarioResult } from "./alloc-stall/run.js";
import { SCENARIOS, SLOW_RECLAIM_DEFAULTS, scenarioByName, slowReclaimWith } from "./alloc-stall/scenarios.js";
import { grid, meanCi, seeds } from "./pin-owner/local-sweep.js";

export interface AllocStallConfig {
  readonly scenarios: readonly string[];
  readonly seed: number;
  /** Shrinks task counts and durations for quick runs (0 < scale <= 1). */
  readonly scale: number;
}

export const DEFAULT_ALLOC_STALL: AllocStallConfig = { scenarios: Object.keys(SCENARIOS), seed: 1, scale: 1 };

/** CLI arguments -> configuration (validated). */
export function allocStallConfigFromArgs(args: ExperimentArgs): AllocStallConfig {
  const str = (k: string): string | undefined => (typeof args[k] === "string" ? args[k] : undefined);
  const seedText = str("seed");
  if (seedText !== undefined && !/^\d+$/.test(seedText.trim())) throw new MmError("EINVAL", `--seed expects an integer, got "${seedText}"`);
  const scaleText = str("scale");
  const scale = scaleText === undefined ? 1 : Number(scaleText);
  if (!(scale > 0 && scale <= 1)) throw new MmError("EINVAL", `--scale expects a number in (0, 1], got "${scaleText}"`);
  const list = str("scenario");
  const scenarios = list === undefined || list === "all" ? DEFAULT_ALLOC_STALL.scenarios : list.split(",").map((s) => s.trim());
  for (const s of scenarios) scenarioByName(s); // throws EINVAL for unknown names
  return { scenarios, seed: seedText === undefined ? 1 : Number(seedText), scale };
}

export function runAllocStall(c: AllocStallConfig, onDone?: () => void): ScenarioResult[] {
  return c.scenarios.map((name) => {
    const r = runScenario(scenarioByName(name, c.scale), c.seed);
    onDone?.();
    return r;
  });
}

/** The map's policies: warn_alloc and kmallocwd at its threshold, in between, and at its default. */
export const MAP_POLICIES: readonly PolicySpec[] = [
  { name: "warn_alloc v4.9", kind: "warn_alloc", version: "4.9" },
  { name: "kmallocwd 10s", kind: "kmallocwd", timeoutSecs: 10 },
  { name: "kmallocwd 30s", kind: "kmallocwd", timeoutSecs: 30 },
  { name: "kmallocwd 60s", kind: "kmallocwd", timeoutSecs: 60 },
];

/**
 * The map's axes over slow-reclaim (the parameters its outcome depends on), with reasons:
 * waiters 50 / 300 (a small and the scenario's server), shrinker hold 1 / 10 ms, a disk request
 * of 10 ms (a 7200 rpm disk) / 50 ms (a throttled cloud volume); kmallocwd's timeout is the
 * policy axis (MAP_POLICIES). 120 s runs: two 60 s kmallocwd periods.
 */
export const STALL_MAP_AXES = { waiters: [50, 300], holdMs: [1, 10], ioMs: [10, 50] } as const;
export const STALL_MAP_DURATION_S = 120;
/** 3 seeds: each run takes about 1 s; 8 points x 3 seeds stays well under 60 s. */
export const STALL_MAP_SEEDS = 3;

export interface StallMapCell {
  readonly waiters: number;
  readonly holdMs: number;
  readonly ioMs: number;
  readonly seeds: readonly number[];
  readonly stalls: { mean: number; lo: number; hi: number };
  /** Per policy: share of stuck stalls named while blocked, and the median latency, mean [95 % t]. */
  readonly policies: readonly { policy: string; blocked: { mean: number; lo: number; hi: number }; latencyS: { mean: number; lo: number; hi: number } }[];
}

/** The per-run function of the map: one point, one seed. */
export function stallMapRun(point: { waiters: number; holdMs: number; ioMs: number }, seed: number): ScenarioResult {
  return runScenario(slowReclaimWith({ ...SLOW_RECLAIM_DEFAULTS, ...point, durationS: STALL_MAP_DURATION_S }), seed, MAP_POLICIES);
}

export function runStallMap(nSeeds: number, onRun?: () => void): StallMapCell[] {
  const ss = seeds(nSeeds);
  return grid(STALL_MAP_AXES).map((pt) => {
    const point = { waiters: pt.waiters as number, holdMs: pt.holdMs as number, ioMs: pt.ioMs as number };
    const runs = ss.map((s) => {
      const r = stallMapRun(point, s);
      onRun?.();
      return r;
    });
    return {
      ...point,
      seeds: ss,
      stalls: meanCi(runs.map((r) => r.stalls)),
      policies: MAP_POLICIES.map((p, i) => ({
        policy: p.name,
        blocked: meanCi(runs.map((r) => (r.policies[i].stuck === 0 ? 0 : (100 * r.policies[i].namedWhileBlocked) / r.policies[i].stuck))),
        latencyS: meanCi(runs.filter((r) => !Number.isNaN(r.policies[i].stuckLatencyMedianS)).map((r) => r.policies[i].stuckLatencyMedianS)),
      })),
    };
  });
}

export function formatStallMap(cells: readonly StallMapCell[]): string {
  const ci = (x: { mean: number; lo: number; hi: number }): string =>
    Number.isNaN(x.mean) ? "-" : `${x.mean.toFixed(0)} [${Math.max(0, x.lo).toFixed(0)},${Math.min(100, x.hi).toFixed(0)}]`;
  const lines = [
    `alloc-stall map: slow-reclaim, ${STALL_MAP_DURATION_S} s, seeds 1..${cells[0]?.seeds.length ?? 0}; cells: % of stuck stalls named while`,
    "blocked, mean [95 % t interval] over seeds (warn_alloc's 0 is its mechanism: see the single run's notes).",
    "",
    `${"waiters".padStart(7)}${"hold".padStart(6)}${"io".padStart(5)}${"stalls".padStart(8)}  ` + MAP_POLICIES.map((p) => p.name.padEnd(17)).join(""),
  ];
  for (const c of cells) {
    let l = `${String(c.waiters).padStart(7)}${`${c.holdMs}ms`.padStart(6)}${`${c.ioMs}ms`.padStart(5)}${c.stalls.mean.toFixed(0).padStart(8)}  `;
    l += c.policies.map((p) => ci(p.blocked).padEnd(17)).join("");
    lines.push(l.trimEnd());
  }
  lines.push("", "median latency of the first naming past 10 s, s, mean over seeds:");
  for (const c of cells) {
    let l = `${String(c.waiters).padStart(7)}${`${c.holdMs}ms`.padStart(6)}${`${c.ioMs}ms`.padStart(5)}${"".padStart(8)}  `;
    l += c.policies.map((p) => (Number.isNaN(p.latencyS.mean) ? "-" : p.latencyS.mean.toFixed(1)).padEnd(17)).join("");
    lines.push(l.trimEnd());
  }
  return `${lines.join("\n")}\n`;
}

export const allocStall: Experiment = {
  name: "alloc-stall",
  summary: "allocation stalls: warn_alloc's stall line vs the kmallocwd watchdog (seed 003)",
  options: [
    { flags: "--scenario <names>", description: `comma-separated: ${Object.keys(SCENARIOS).join(", ")} (or all)`, defaultValue: "all" },
    { flags: "--seed <n>", description: "simulation seed", defaultValue: "1" },
    { flags: "--scale <x>", description: "shrink task counts and durations, 0 < x <= 1 (quick runs)", defaultValue: "1" },
    { flags: "--map", description: "the map over waiters x hold x I/O x kmallocwd timeout (slow-reclaim)" },
    { flags: "--seeds <n>", description: "seeds of the map", defaultValue: String(STALL_MAP_SEEDS) },
  ],
  run(args: ExperimentArgs, io: RunIO): void {
    const c = allocStallConfigFromArgs(args);
    if (args.map === true) {
      const text = typeof args.seeds === "string" ? args.seeds : String(STALL_MAP_SEEDS);
      if (!/^[1-9]\d*$/.test(text)) throw new MmError("EINVAL", `--seeds expects a positive integer, got "${text}"`);
      const n = Number(text);
      const bar = io.progress(n * grid(STALL_MAP_AXES).length, "alloc-stall map");
      const cells = runStallMap(n, () => bar.tick());
      bar.stop();
      if (args.json === true) for (const cell of cells) io.write(`${JSON.stringify({ experiment: "alloc-stall", map: "slow-reclaim", durationS: STALL_MAP_DURATION_S, ...cell })}\n`);
      else io.write(formatStallMap(cells));
      return;
    }
    const bar = io.progress(c.scenarios.length, "alloc-stall");
    const results = runAllocStall(c, () => bar.tick());
    bar.stop();
    io.write(args.json === true ? formatJson(results) : formatReport(results, c.seed));
  },
};

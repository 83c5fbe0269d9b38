/**
 * `mm-lab run alloc-stall`: seed 003's question, "how to make warn_alloc() reliable?", measured.
 * Three scenarios make real allocation stalls (slow reclaim behind a shrinker mutex, a blocked
 * oom_lock holder, 4000 threads at once); the 4.9 warn_alloc stall line and kmallocwd (as posted,
 * and bounded) report on the same runs; the table compares what each caught, how late, and how
 * much log it took.
 */
import { MmError } from "@mm/api";
import { type AnyExperiment, defineExperiment, type RunIO, type RunRequest } from "../experiment.js";
import { checkFrom, FROM_PARAM, type FromCapture, fromOf } from "../from-capture.js";
import { type ConfigOf, defineParams, type RawArgs } from "../params.js";
import { resolveRequest } from "../request.js";
import { formatJson, formatReport } from "./alloc-stall/format.js";
import { type PolicySpec, POLICIES, runScenario, type ScenarioResult } from "./alloc-stall/run.js";
import { SCENARIOS, SLOW_RECLAIM_DEFAULTS, scenarioByName, slowReclaimWith } from "./alloc-stall/scenarios.js";
import { grid, meanCi } from "./pin-owner/local-sweep.js";

export interface AllocStallConfig {
  readonly scenarios: readonly string[];
  readonly seed: number;
  /** Shrinks task counts and durations for quick runs (0 < scale <= 1). */
  readonly scale: number;
  /** Start from a capture's machine instead of the scenario's fresh one. */
  readonly from?: FromCapture | null;
}

export const DEFAULT_ALLOC_STALL: AllocStallConfig = { scenarios: Object.keys(SCENARIOS), seed: 1, scale: 1 };

export const ALLOC_STALL_PARAMS = defineParams({
  scenario: {
    kind: "list",
    of: "enum",
    values: Object.keys(SCENARIOS),
    default: Object.keys(SCENARIOS),
    axis: true,
    doc: "scenarios (a sweep makes each its own cell)",
    why: "each scenario makes a different kind of stall seed 003 names: slow reclaim, a blocked oom_lock holder, a mass stall",
  },
  scale: {
    kind: "float",
    min: 0,
    minExclusive: true,
    max: 1,
    default: 1,
    doc: "shrink task counts and durations (quick runs)",
    why: "1 = the scenarios at the sizes seed 003 describes",
  },
  map: {
    kind: "bool",
    default: false,
    axis: false,
    doc: "the map over waiters x hold x I/O x kmallocwd timeout (slow-reclaim), over --seeds",
    why: "off: the single run's table; the map is the evidence",
  },
  from: FROM_PARAM,
});

type AllocStallParams = ConfigOf<typeof ALLOC_STALL_PARAMS>;

/** CLI arguments -> configuration (validated). */
export function allocStallConfigFromArgs(args: RawArgs): AllocStallConfig {
  const req = resolveRequest(allocStall, args) as RunRequest<AllocStallParams>;
  return { scenarios: req.config.scenario as string[], seed: req.seeds[0] ?? 1, scale: req.config.scale };
}

export function runAllocStall(c: AllocStallConfig, onDone?: () => void, policies: readonly PolicySpec[] = POLICIES): ScenarioResult[] {
  return c.scenarios.map((name) => {
    const r = runScenario(scenarioByName(name, c.scale), c.seed, policies, c.from ?? null);
    onDone?.();
    return r;
  });
}

/**
 * The map's policies: warn_alloc at both sites of its stall check and kmallocwd at warn_alloc's
 * threshold, in between, and at its default. slow-reclaim allocates nothing with __GFP_NOWARN, so
 * 4.11 and 4.12–4.14 (which differ only there) are one column; `short` heads the map's columns.
 */
export const MAP_POLICIES: readonly (PolicySpec & { readonly short: string })[] = [
  { name: "warn_alloc v4.9-4.10", short: "warn 4.9-4.10", kind: "warn_alloc", version: "4.9" },
  { name: "warn_alloc v4.11-4.14", short: "warn 4.11-4.14", kind: "warn_alloc", version: "4.12" },
  { name: "kmallocwd 10s", short: "kmallocwd 10s", kind: "kmallocwd", timeoutSecs: 10 },
  { name: "kmallocwd 30s", short: "kmallocwd 30s", kind: "kmallocwd", timeoutSecs: 30 },
  { name: "kmallocwd 60s", short: "kmallocwd 60s", kind: "kmallocwd", timeoutSecs: 60 },
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

export function runStallMap(ss: readonly number[], onRun?: () => void): StallMapCell[] {
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

/** Map column width: "100 [100,100]" plus a gap; 26 + 5 x 15 - trailing gap stays within 100 columns. */
const COL = 15;

export function formatStallMap(cells: readonly StallMapCell[]): string {
  const ci = (x: { mean: number; lo: number; hi: number }): string =>
    Number.isNaN(x.mean) ? "-" : `${x.mean.toFixed(0)} [${Math.max(0, x.lo).toFixed(0)},${Math.min(100, x.hi).toFixed(0)}]`;
  const lines = [
    `alloc-stall map: slow-reclaim, ${STALL_MAP_DURATION_S} s, seeds 1..${cells[0]?.seeds.length ?? 0}; cells: % of stuck stalls named while`,
    "blocked, mean [95 % t interval] over seeds; warn_alloc's 0 is its mechanism (see the single run).",
    "warn 4.9-4.10 checks after a failed reclaim pass, warn 4.11-4.14 before each pass (9a67f6488eca).",
    "",
    `${"waiters".padStart(7)}${"hold".padStart(6)}${"io".padStart(5)}${"stalls".padStart(7)}  ` + MAP_POLICIES.map((p) => p.short.padEnd(COL)).join("").trimEnd(),
  ];
  for (const c of cells) {
    let l = `${String(c.waiters).padStart(7)}${`${c.holdMs}ms`.padStart(6)}${`${c.ioMs}ms`.padStart(5)}${c.stalls.mean.toFixed(0).padStart(7)}  `;
    l += c.policies.map((p) => ci(p.blocked).padEnd(COL)).join("");
    lines.push(l.trimEnd());
  }
  lines.push("", "median latency of the first naming past 10 s, s, mean over seeds:");
  for (const c of cells) {
    let l = `${String(c.waiters).padStart(7)}${`${c.holdMs}ms`.padStart(6)}${`${c.ioMs}ms`.padStart(5)}${"".padStart(7)}  `;
    l += c.policies.map((p) => (Number.isNaN(p.latencyS.mean) ? "-" : p.latencyS.mean.toFixed(1)).padEnd(COL)).join("");
    lines.push(l.trimEnd());
  }
  return `${lines.join("\n")}\n`;
}

const specOf = (name: string): PolicySpec => {
  const p = POLICIES.find((x) => x.name === name);
  if (p === undefined) throw new MmError("EINVAL", `unknown alloc-stall policy "${name}"`);
  return p;
};

const nanToNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

export const allocStall: AnyExperiment = defineExperiment({
  name: "alloc-stall",
  summary: "allocation stalls: warn_alloc's stall line vs the kmallocwd watchdog (seed 003)",
  params: ALLOC_STALL_PARAMS,
  policies: {
    values: POLICIES.map((p) => p.name),
    default: POLICIES.map((p) => p.name),
    doc: "stall reporters watching the same run",
    why: "warn_alloc by version, kmallocwd at its posted default (60 s) and at warn_alloc's threshold (10 s), and bounded",
  },
  seeds: { first: DEFAULT_ALLOC_STALL.seed, count: STALL_MAP_SEEDS, why: "3 seeds for the map (8 points x 3 runs of ~1 s); the single table uses the first" },
  metrics: {
    stalls: { kind: "number", doc: "stalls in the ground truth" },
    stuck: { kind: "number", doc: "stalls stuck (not looping) at the threshold" },
    named: { kind: "number", doc: "stalls a line named while in flight" },
    namedWhileBlocked: { kind: "number", doc: "stuck stalls first named while still blocked" },
    missedAny: { kind: "bool", doc: "some stall was never named or counted" },
    latencyMedianS: { kind: "number", unit: "s", doc: "median detection latency (null: none named)" },
    lines: { kind: "number", doc: "log lines printed" },
    bytes: { kind: "number", unit: "B", doc: "log bytes printed" },
    maxBurstBytes: { kind: "number", unit: "B", doc: "largest single report" },
  },
  check: (c: AllocStallParams) => checkFrom(ALLOC_STALL_PARAMS, c, ["map"], "the map varies the synthetic slow-reclaim guest"),
  runOne(c: AllocStallParams, seed: number, policy: string | undefined) {
    if (c.scenario.length !== 1) throw new MmError("EINVAL", `alloc-stall runs one scenario per run, got ${c.scenario.join(",")}`);
    const r = runScenario(scenarioByName(String(c.scenario[0]), c.scale), seed, [specOf(policy ?? POLICIES[0].name)], fromOf(c));
    const p = r.policies[0];
    return {
      metrics: {
        stalls: r.stalls,
        stuck: p.stuck,
        named: p.named,
        namedWhileBlocked: p.namedWhileBlocked,
        missedAny: p.seen < r.stalls,
        latencyMedianS: nanToNull(p.latencyMedianS),
        lines: p.lines,
        bytes: p.bytes,
        maxBurstBytes: p.maxBurstBytes,
      },
    };
  },
  report(req: RunRequest<AllocStallParams>, io: RunIO): void {
    if (req.config.map) {
      const bar = io.progress(req.seeds.length * grid(STALL_MAP_AXES).length, "alloc-stall map");
      const cells = runStallMap(req.seeds, () => bar.tick());
      bar.stop();
      const config = { map: "slow-reclaim", durationS: STALL_MAP_DURATION_S, axes: STALL_MAP_AXES, base: SLOW_RECLAIM_DEFAULTS, policies: MAP_POLICIES };
      if (req.json) for (const cell of cells) io.write(`${JSON.stringify({ experiment: "alloc-stall", config, ...cell })}\n`);
      else io.write(formatStallMap(cells));
      return;
    }
    const c: AllocStallConfig = { scenarios: req.config.scenario as string[], seed: req.seeds[0] ?? 1, scale: req.config.scale, from: fromOf(req.config) };
    const bar = io.progress(c.scenarios.length, "alloc-stall");
    const results = runAllocStall(c, () => bar.tick(), req.policies.map(specOf));
    bar.stop();
    io.write(req.json ? formatJson(results, { scale: c.scale, policies: req.policies, from: c.from?.label ?? null }) : `${c.from != null ? `machine: ${c.from.label}\n` : ""}${formatReport(results, c.seed)}`);
  },
});

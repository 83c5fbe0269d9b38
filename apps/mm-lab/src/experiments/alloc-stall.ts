/**
 * `mm-lab run alloc-stall`: seed 003's question, "how to make warn_alloc() reliable?", measured.
 * Three scenarios make real allocation stalls (slow reclaim behind a shrinker mutex, a blocked
 * oom_lock holder, 4000 threads at once); the 4.9 warn_alloc stall line and kmallocwd (as posted,
 * and bounded) report on the same runs; the table compares what each caught, how late, and how
 * much log it took.
 */
import { MmError } from "@mm/api";
import { type AnyExperiment, defineExperiment, type RunIO, type RunRequest } from "../experiment.js";
import { type ConfigOf, defineParams, type RawArgs } from "../params.js";
import { resolveRequest } from "../request.js";
import { formatJson, formatReport } from "./alloc-stall/format.js";
import { type PolicySpec, POLICIES, runScenario, type ScenarioResult } from "./alloc-stall/run.js";
import { SCENARIOS, scenarioByName } from "./alloc-stall/scenarios.js";

export interface AllocStallConfig {
  readonly scenarios: readonly string[];
  readonly seed: number;
  /** Shrinks task counts and durations for quick runs (0 < scale <= 1). */
  readonly scale: number;
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
});

type AllocStallParams = ConfigOf<typeof ALLOC_STALL_PARAMS>;

/** CLI arguments -> configuration (validated). */
export function allocStallConfigFromArgs(args: RawArgs): AllocStallConfig {
  const req = resolveRequest(allocStall, args) as RunRequest<AllocStallParams>;
  return { scenarios: req.config.scenario as string[], seed: req.seeds[0] ?? 1, scale: req.config.scale };
}

export function runAllocStall(c: AllocStallConfig, onDone?: () => void, policies: readonly PolicySpec[] = POLICIES): ScenarioResult[] {
  return c.scenarios.map((name) => {
    const r = runScenario(scenarioByName(name, c.scale), c.seed, policies);
    onDone?.();
    return r;
  });
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
    why: "warn_alloc as in 4.9, kmallocwd as posted, with a 20 s timeout, and bounded",
  },
  seeds: { first: DEFAULT_ALLOC_STALL.seed, count: 1, many: false, why: "one run per scenario shows the table; sweeps take more" },
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
  runOne(c: AllocStallParams, seed: number, policy: string | undefined) {
    if (c.scenario.length !== 1) throw new MmError("EINVAL", `alloc-stall runs one scenario per run, got ${c.scenario.join(",")}`);
    const r = runScenario(scenarioByName(String(c.scenario[0]), c.scale), seed, [specOf(policy ?? POLICIES[0].name)]);
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
    const c: AllocStallConfig = { scenarios: req.config.scenario as string[], seed: req.seeds[0] ?? 1, scale: req.config.scale };
    const bar = io.progress(c.scenarios.length, "alloc-stall");
    const results = runAllocStall(c, () => bar.tick(), req.policies.map(specOf));
    bar.stop();
    io.write(req.json ? formatJson(results) : formatReport(results, c.seed));
  },
});

/**
 * The experiment's headline: a map of P(OOM) per policy over start delay (relative to
 * PAGE_REPORTING_DELAY), device speed, freed size and guest size, each cell with its Wilson 95 %
 * interval and the host memory returned beside it. Two slices through the default point keep the
 * cell count (and the run time) bounded; `layout: "full"` runs the whole product.
 */
import { MmError } from "@mm/api";
import { REPORTING_POLICIES } from "@mm/page-reporting";
import { poolAvailable, poolSize, runPooled } from "./pool.js";
import { checkScenarioConfig, DEFAULT_SCENARIO, REPORTING_OFF, runScenario, type RunMetrics, type ScenarioConfig } from "./scenario.js";

/** The swept values of each axis. */
export interface MapAxes {
  readonly startDelayRatio: readonly number[];
  readonly device: readonly string[];
  readonly freedMiB: readonly number[];
  readonly guestMiB: readonly number[];
}

/** The map to run. */
export interface MapConfig {
  /** Every knob not swept; its values of the swept axes are the slices' centre. */
  readonly base: ScenarioConfig;
  /** Policies, table order ("off" is the control). @defaultValue off + every shipped pair */
  readonly policies: readonly string[];
  readonly axes: MapAxes;
  /** "slices": delay x device, and guest x freed, through the centre; "full": the product. @defaultValue "slices" */
  readonly layout: "slices" | "full";
  /** Seeds per cell. @defaultValue 6 */
  readonly seeds: number;
  /** @defaultValue 1 */
  readonly firstSeed: number;
}

/**
 * The centre (see the README's Defaults): 1 GiB, the smallest guest that boots with THP on, 128 MiB
 * freed (one order-10 batch), the new instance faulting 1 s after the exit (systemd's 100 ms
 * RestartSec plus start-up), the slower measured host.
 */
export const MAP_CENTRE: ScenarioConfig = { ...DEFAULT_SCENARIO, guestMiB: 1024, freedMiB: 128, startDelayRatio: 0.5, device: "4k-host" };

export const DEFAULT_MAP: MapConfig = {
  base: MAP_CENTRE,
  policies: [REPORTING_OFF, ...REPORTING_POLICIES.map((p) => p.name)],
  axes: {
    // around the worker's wake-up (2 s): well before, just before, at, just after
    startDelayRatio: [0.25, 0.5, 0.9, 1.0, 1.1],
    device: ["thp-host", "4k-host", "slow-host"],
    freedMiB: [64, 128, 256],
    // seed 004's 512 MiB (THP off at boot), and two sizes with THP on
    guestMiB: [512, 1024, 2048],
  },
  layout: "slices",
  seeds: 6,
  firstSeed: 1,
};

/** A point of the map: the four swept values. */
export interface MapPoint {
  readonly startDelayRatio: number;
  readonly device: string;
  readonly freedMiB: number;
  readonly guestMiB: number;
}

/** An estimate with its 95 % interval. */
export interface Interval {
  readonly value: number;
  readonly lo: number;
  readonly hi: number;
}

/**
 * Wilson score interval for k successes in n trials (z = 1.96): sensible at 0 and n, unlike the
 * normal approximation. @throws MmError EINVAL for n < 1 or k outside 0..n
 */
export function wilson(k: number, n: number, z = 1.96): Interval {
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(k) && k >= 0 && k <= n)) throw new MmError("EINVAL", `wilson(${k}, ${n})`);
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { value: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/** Student-t 0.975 quantiles for 1..30 degrees of freedom (then 1.96). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Mean with a Student-t 95 % interval (lo = hi = mean for one value). */
export function meanInterval(xs: readonly number[]): Interval {
  const n = xs.length;
  if (n === 0) throw new MmError("EINVAL", "mean of nothing");
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / n;
  if (n === 1) return { value: mean, lo: mean, hi: mean };
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  const half = (n - 1 <= 30 ? T975[n - 2] : 1.96) * Math.sqrt(ss / (n - 1) / n);
  return { value: mean, lo: mean - half, hi: mean + half };
}

/** One policy at one point, over the seeds. Means unless named. */
export interface MapCell {
  readonly policy: string;
  readonly point: MapPoint;
  /** The full configuration every run of the cell used (policy included). */
  readonly config: ScenarioConfig;
  readonly seeds: readonly number[];
  /** Runs with at least one OOM kill, and P(OOM) with its Wilson 95 % interval. */
  readonly oomRuns: number;
  readonly pOom: Interval;
  /** OOM kills summed over the runs, and runs in which the restarting service was killed. */
  readonly oomKills: number;
  readonly serviceKilledRuns: number;
  readonly hostReturnedAvgMiB: Interval;
  readonly belowMinMs: Interval;
  readonly reclaimStallMs: Interval;
  readonly cacheRefaults: Interval;
  readonly hostRefaultMiB: Interval;
  readonly peakIsolatedMiB: number;
  readonly reportCalls: Interval;
  readonly freedReportablePct: Interval;
  readonly runs: readonly RunMetrics[];
}

function pointConfig(base: ScenarioConfig, p: MapPoint, policy: string): ScenarioConfig {
  return { ...base, policy, startDelayRatio: p.startDelayRatio, device: p.device, freedMiB: p.freedMiB, guestMiB: p.guestMiB, keepSeries: false };
}

/** The points of a map, in table order (slices: delay x device first, then guest x freed). */
export function mapPoints(c: MapConfig): MapPoint[] {
  const b = c.base;
  const out: MapPoint[] = [];
  const seen = new Set<string>();
  const add = (p: MapPoint): void => {
    const k = `${p.guestMiB}/${p.freedMiB}/${p.startDelayRatio}/${p.device}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(p);
  };
  const a = c.axes;
  if (c.layout === "full") {
    for (const guestMiB of a.guestMiB)
      for (const freedMiB of a.freedMiB)
        for (const device of a.device) for (const startDelayRatio of a.startDelayRatio) add({ startDelayRatio, device, freedMiB, guestMiB });
    return out;
  }
  for (const device of a.device)
    for (const startDelayRatio of a.startDelayRatio) add({ startDelayRatio, device, freedMiB: b.freedMiB, guestMiB: b.guestMiB });
  for (const guestMiB of a.guestMiB)
    for (const freedMiB of a.freedMiB) add({ startDelayRatio: b.startDelayRatio, device: b.device, freedMiB, guestMiB });
  return out;
}

/** Validate a map before it runs. @throws MmError EINVAL */
export function checkMapConfig(c: MapConfig): void {
  if (!Number.isInteger(c.seeds) || c.seeds < 1 || c.seeds > 10_000) throw new MmError("EINVAL", `seeds ${c.seeds} not in 1..10000`);
  if (!Number.isSafeInteger(c.firstSeed) || c.firstSeed < 0) throw new MmError("EINVAL", `seed ${c.firstSeed} must be a non-negative integer`);
  if (c.policies.length === 0) throw new MmError("EINVAL", "no policy chosen");
  if (new Set(c.policies).size !== c.policies.length) throw new MmError("EINVAL", "a policy is named twice");
  if (c.layout !== "slices" && c.layout !== "full") throw new MmError("EINVAL", `layout "${String(c.layout)}" is not slices or full`);
  for (const [k, v] of Object.entries(c.axes)) if ((v as readonly unknown[]).length === 0) throw new MmError("EINVAL", `axis ${k} is empty`);
  for (const p of mapPoints(c)) for (const pol of c.policies) checkScenarioConfig(pointConfig(c.base, p, pol));
}

/** Summarise the runs of one cell. */
export function summarizeCell(policy: string, point: MapPoint, config: ScenarioConfig, seeds: readonly number[], runs: readonly RunMetrics[]): MapCell {
  let oomRuns = 0;
  let oomKills = 0;
  let serviceKilledRuns = 0;
  let peak = 0;
  for (const r of runs) {
    if (r.oomKills > 0) oomRuns++;
    oomKills += r.oomKills;
    serviceKilledRuns += r.serviceKilled;
    if (r.peakIsolatedMiB > peak) peak = r.peakIsolatedMiB;
  }
  const of = (f: (r: RunMetrics) => number): Interval => meanInterval(runs.map(f));
  return {
    policy,
    point,
    config,
    seeds,
    oomRuns,
    pOom: wilson(oomRuns, runs.length),
    oomKills,
    serviceKilledRuns,
    hostReturnedAvgMiB: of((r) => r.hostReturnedAvgMiB),
    belowMinMs: of((r) => r.belowMinMs),
    reclaimStallMs: of((r) => r.reclaimStallMs),
    cacheRefaults: of((r) => r.cacheRefaults),
    hostRefaultMiB: of((r) => r.hostRefaultMiB),
    peakIsolatedMiB: peak,
    reportCalls: of((r) => r.reportCalls),
    freedReportablePct: of((r) => r.freedReportablePct),
    runs,
  };
}

/** One unit of work of the map: a (config, seed) run. */
export interface MapJob {
  readonly cell: number;
  readonly config: ScenarioConfig;
  readonly seed: number;
}

/** The jobs of a map, cell by cell (cell index = point index x policies + policy index). */
export function mapJobs(c: MapConfig): { points: MapPoint[]; jobs: MapJob[] } {
  const points = mapPoints(c);
  const jobs: MapJob[] = [];
  points.forEach((p, pi) => {
    c.policies.forEach((pol, ci) => {
      const config = pointConfig(c.base, p, pol);
      for (let s = 0; s < c.seeds; s++) jobs.push({ cell: pi * c.policies.length + ci, config, seed: c.firstSeed + s });
    });
  });
  return { points, jobs };
}

/** Fold per-run metrics (in job order) into cells. */
export function foldMap(c: MapConfig, points: readonly MapPoint[], jobs: readonly MapJob[], metrics: readonly RunMetrics[]): MapCell[] {
  return foldRuns(points, c.policies, c.seeds, jobs, metrics, summarizeCell);
}

/**
 * Fold per-run metrics, in job order (point, then policy, then seed), into one cell per
 * (point, policy): the main map's and the shrink sub-map's layout.
 */
export function foldRuns<P, C>(
  points: readonly P[],
  policies: readonly string[],
  seedsPerCell: number,
  jobs: readonly MapJob[],
  metrics: readonly RunMetrics[],
  summarize: (policy: string, point: P, config: ScenarioConfig, seeds: readonly number[], runs: readonly RunMetrics[]) => C,
): C[] {
  const cells: C[] = [];
  let j = 0;
  for (const p of points) {
    for (const pol of policies) {
      const runs: RunMetrics[] = [];
      const seeds: number[] = [];
      const config = jobs[j].config;
      for (let s = 0; s < seedsPerCell; s++, j++) {
        runs.push(metrics[j]);
        seeds.push(jobs[j].seed);
      }
      cells.push(summarize(pol, p, config, seeds, runs));
    }
  }
  return cells;
}

/** Run the map in this thread; `tick` after each run (progress). */
export function runMap(c: MapConfig, tick?: () => void): MapCell[] {
  checkMapConfig(c);
  const { points, jobs } = mapJobs(c);
  const metrics = jobs.map((job) => {
    const m = runScenario(job.config, job.seed).metrics;
    if (tick !== undefined) tick();
    return m;
  });
  return foldMap(c, points, jobs, metrics);
}

/**
 * Run the map on worker threads when the built code runs (see pool.ts), else in this thread.
 * Same cells either way.
 */
export async function runMapParallel(c: MapConfig, tick?: () => void, workers = poolSize()): Promise<MapCell[]> {
  checkMapConfig(c);
  if (workers <= 1 || !poolAvailable()) return runMap(c, tick);
  const { points, jobs } = mapJobs(c);
  return foldMap(c, points, jobs, await runPooled(jobs, workers, tick));
}

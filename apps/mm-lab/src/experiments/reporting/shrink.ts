/**
 * Where Pang and Duyck differ: a named sub-map (`mm-lab run reporting-ab --map shrink`) in which
 * free memory shrinks while a reporting pass runs. The new instance starts faulting as the worker
 * wakes (start delay = PAGE_REPORTING_DELAY) at a swept rate, on each host, so the pass's later
 * orders see less free memory than its start did. Per policy it measures what the review argued
 * about: how stale Pang's once-per-pass threshold gets (MiB a batch could take beyond his own rule
 * on the free memory of that moment), and what a re-initialised list costs against Duyck's reserve
 * (report calls, sg entries, worker CPU) and isolates (peak, headroom above low).
 */
import { MmError } from "@mm/api";
import { foldRuns, type Interval, MAP_CENTRE, type MapJob, meanInterval, wilson } from "./map.js";
import { poolAvailable, poolSize, runPooled } from "./pool.js";
import { checkScenarioConfig, runScenario, type RunMetrics, type ScenarioConfig } from "./scenario.js";

/** A point of the shrink map. */
export interface ShrinkPoint {
  readonly device: string;
  /** The new instance's fault rate during the pass, MiB/s. */
  readonly rampMiBps: number;
}

/** The sub-map to run. */
export interface ShrinkConfig {
  readonly base: ScenarioConfig;
  readonly policies: readonly string[];
  readonly devices: readonly string[];
  readonly rates: readonly number[];
  readonly seeds: number;
  readonly firstSeed: number;
}

/**
 * The default: the map's centre (1 GiB, 128 MiB freed: free memory above low then sits near one
 * order-10 batch, where Pang's threshold decides) with the start at the worker's wake-up, every
 * fix of the thread and the kernel's rule for reference.
 */
export const DEFAULT_SHRINK: ShrinkConfig = {
  base: { ...MAP_CENTRE, startDelayRatio: 1 },
  policies: ["fixed", "pang", "pang-per-order", "pang-reserve", "shift", "shift-reserve"],
  devices: ["thp-host", "4k-host", "slow-host"],
  // the map's ramp (96-160 MiB/s), a fast allocator (a JVM pre-touching its heap), and one in between
  rates: [128, 512, 2048],
  seeds: 6,
  firstSeed: 1,
};

/** One policy at one point. */
export interface ShrinkCell {
  readonly policy: string;
  readonly point: ShrinkPoint;
  readonly config: ScenarioConfig;
  readonly seeds: readonly number[];
  readonly oomRuns: number;
  readonly oomKills: number;
  readonly pOom: Interval;
  /** Runs with at least one stale order boundary, and P(stale) with its Wilson interval. */
  readonly staleRuns: number;
  readonly pStale: Interval;
  readonly staleMiB: Interval;
  readonly reportCalls: Interval;
  readonly flushReports: Interval;
  readonly sgInitEntries: Interval;
  readonly workerCpuUs: Interval;
  readonly peakIsolatedMiB: Interval;
  readonly minHeadroomMiB: Interval;
  readonly hostReturnedAvgMiB: Interval;
  readonly runs: readonly RunMetrics[];
}

function pointConfig(base: ScenarioConfig, p: ShrinkPoint, policy: string): ScenarioConfig {
  return { ...base, policy, device: p.device, rampMiBps: [p.rampMiBps, p.rampMiBps], keepSeries: false };
}

/** The points, device-major. */
export function shrinkPoints(c: ShrinkConfig): ShrinkPoint[] {
  const out: ShrinkPoint[] = [];
  for (const device of c.devices) for (const rampMiBps of c.rates) out.push({ device, rampMiBps });
  return out;
}

/** @throws MmError EINVAL */
export function checkShrinkConfig(c: ShrinkConfig): void {
  if (!Number.isInteger(c.seeds) || c.seeds < 1 || c.seeds > 10_000) throw new MmError("EINVAL", `seeds ${c.seeds} not in 1..10000`);
  if (c.policies.length === 0 || c.devices.length === 0 || c.rates.length === 0) throw new MmError("EINVAL", "the shrink map needs policies, devices and rates");
  for (const r of c.rates) if (!(r > 0 && r <= 100_000)) throw new MmError("EINVAL", `rate ${r} MiB/s not in (0, 100000]`);
  for (const p of shrinkPoints(c)) for (const pol of c.policies) checkScenarioConfig(pointConfig(c.base, p, pol));
}

/** The jobs, cell by cell. */
export function shrinkJobs(c: ShrinkConfig): { points: ShrinkPoint[]; jobs: MapJob[] } {
  const points = shrinkPoints(c);
  const jobs: MapJob[] = [];
  points.forEach((p, pi) =>
    c.policies.forEach((pol, ci) => {
      const config = pointConfig(c.base, p, pol);
      for (let s = 0; s < c.seeds; s++) jobs.push({ cell: pi * c.policies.length + ci, config, seed: c.firstSeed + s });
    }),
  );
  return { points, jobs };
}

function summarize(policy: string, point: ShrinkPoint, config: ScenarioConfig, seeds: readonly number[], runs: readonly RunMetrics[]): ShrinkCell {
  const of = (f: (r: RunMetrics) => number): Interval => meanInterval(runs.map(f));
  const oomRuns = runs.filter((r) => r.oomKills > 0).length;
  const staleRuns = runs.filter((r) => r.staleOrders > 0).length;
  return {
    policy,
    point,
    config,
    seeds,
    oomRuns,
    oomKills: runs.reduce((s, r) => s + r.oomKills, 0),
    pOom: wilson(oomRuns, runs.length),
    staleRuns,
    pStale: wilson(staleRuns, runs.length),
    staleMiB: of((r) => r.staleMiB),
    reportCalls: of((r) => r.reportCalls),
    flushReports: of((r) => r.flushReports),
    sgInitEntries: of((r) => r.sgInitEntries),
    workerCpuUs: of((r) => r.workerCpuUs),
    peakIsolatedMiB: of((r) => r.peakIsolatedMiB),
    minHeadroomMiB: of((r) => r.minHeadroomMiB),
    hostReturnedAvgMiB: of((r) => r.hostReturnedAvgMiB),
    runs,
  };
}

function fold(c: ShrinkConfig, points: readonly ShrinkPoint[], jobs: readonly MapJob[], metrics: readonly RunMetrics[]): ShrinkCell[] {
  return foldRuns(points, c.policies, c.seeds, jobs, metrics, summarize);
}

/** Run the sub-map (worker threads from the built code, else this thread); same cells either way. */
export async function runShrinkMap(c: ShrinkConfig, tick?: () => void, workers = poolSize()): Promise<ShrinkCell[]> {
  checkShrinkConfig(c);
  const { points, jobs } = shrinkJobs(c);
  if (workers > 1 && poolAvailable()) return fold(c, points, jobs, await runPooled(jobs, workers, tick));
  const metrics = jobs.map((job) => {
    const m = runScenario(job.config, job.seed).metrics;
    if (tick !== undefined) tick();
    return m;
  });
  return fold(c, points, jobs, metrics);
}

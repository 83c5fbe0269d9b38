/**
 * The A/B itself: every policy x seed of the scenario, summarised per policy; and the sweep over
 * guest size x reporting order that shows where each policy starts to fail.
 */
import { MmError } from "@mm/api";
import { REPORTING_POLICIES, reportingPolicy, type ReportingPolicy } from "@mm/page-reporting";
import { DEFAULT_SCENARIO, REPORTING_OFF, runScenario, type RunResult, type ScenarioConfig } from "./scenario.js";

/** A row of the A/B: a reporting policy, or null for the control without reporting. */
export type AbPolicy = ReportingPolicy | null;

/** Name -> policy; "off" is the control. @throws MmError EINVAL for unknown names. */
export function resolvePolicy(name: string): AbPolicy {
  return name === REPORTING_OFF ? null : reportingPolicy(name);
}

/** One A/B: which policies, which seeds, which scenario. */
export interface AbConfig {
  readonly scenario: ScenarioConfig;
  /** Policy names, table order. @defaultValue every shipped policy */
  readonly policies: readonly string[];
  /** First seed. @defaultValue 1 */
  readonly firstSeed: number;
  /** Seeds per policy. @defaultValue 10 */
  readonly seeds: number;
}

export const DEFAULT_AB: AbConfig = {
  scenario: DEFAULT_SCENARIO,
  policies: [REPORTING_OFF, ...REPORTING_POLICIES.map((p) => p.name)],
  firstSeed: 1,
  seeds: 10,
};

/** A policy's runs, summarised. Sums over seeds unless named otherwise. */
export interface PolicySummary {
  readonly policy: string;
  readonly description: string;
  readonly seeds: number;
  readonly allocFailures: number;
  readonly runsWithFailures: number;
  readonly allocAttempts: number;
  /** Largest over the seeds. */
  readonly peakIsolatedBytes: number;
  readonly reportCalls: number;
  readonly reportedBytes: number;
  readonly passes: number;
  readonly flushReports: number;
  readonly sgInits: number;
  /** Mean over the runs that got there; null if none did. */
  readonly timeTo90Ms: number | null;
  readonly timeTo90Reached: number;
  /** Mean over seeds of the run-average host memory returned. */
  readonly hostReturnedAvgBytes: number;
  readonly refaultPages: number;
  readonly refaultNs: number;
  readonly simNs: number;
  readonly runs: readonly RunResult[];
}

export function summarize(policy: AbPolicy, runs: readonly RunResult[]): PolicySummary {
  let allocFailures = 0;
  let runsWithFailures = 0;
  let allocAttempts = 0;
  let peak = 0;
  let reportCalls = 0;
  let reportedBytes = 0;
  let passes = 0;
  let flushReports = 0;
  let sgInits = 0;
  let t90Sum = 0;
  let t90N = 0;
  let returned = 0;
  let refaultPages = 0;
  let refaultNs = 0;
  let simNs = 0;
  for (const r of runs) {
    allocFailures += r.allocFailures;
    if (r.allocFailures > 0) runsWithFailures++;
    allocAttempts += r.allocAttempts;
    peak = Math.max(peak, r.peakIsolatedBytes);
    reportCalls += r.reportCalls;
    reportedBytes += r.reportedBytes;
    passes += r.passes;
    flushReports += r.flushReports;
    sgInits += r.sgInits;
    if (r.timeTo90Ms !== null) {
      t90Sum += r.timeTo90Ms;
      t90N++;
    }
    returned += r.hostReturnedAvgBytes;
    refaultPages += r.refaultPages;
    refaultNs += r.refaultNs;
    simNs += r.simNs;
  }
  return {
    policy: policy === null ? REPORTING_OFF : policy.name,
    description: policy === null ? "control: free page reporting off" : policy.description,
    seeds: runs.length,
    allocFailures,
    runsWithFailures,
    allocAttempts,
    peakIsolatedBytes: peak,
    reportCalls,
    reportedBytes,
    passes,
    flushReports,
    sgInits,
    timeTo90Ms: t90N === 0 ? null : t90Sum / t90N,
    timeTo90Reached: t90N,
    hostReturnedAvgBytes: runs.length === 0 ? 0 : Math.round(returned / runs.length),
    refaultPages,
    refaultNs,
    simNs,
    runs,
  };
}

export function checkAbConfig(c: AbConfig): AbPolicy[] {
  if (!Number.isInteger(c.seeds) || c.seeds < 1 || c.seeds > 10_000) throw new MmError("EINVAL", `seeds ${c.seeds} not in 1..10000`);
  if (!Number.isSafeInteger(c.firstSeed) || c.firstSeed < 0) throw new MmError("EINVAL", `seed ${c.firstSeed} must be a non-negative integer`);
  if (c.policies.length === 0) throw new MmError("EINVAL", "no policy chosen");
  if (new Set(c.policies).size !== c.policies.length) throw new MmError("EINVAL", "a policy is named twice");
  return c.policies.map(resolvePolicy);
}

/** Run the A/B; `tick` is called after each run (progress bars). */
export function runAb(c: AbConfig, tick?: () => void): PolicySummary[] {
  const policies = checkAbConfig(c);
  return policies.map((p) => {
    const runs: RunResult[] = [];
    for (let s = 0; s < c.seeds; s++) {
      runs.push(runScenario(c.scenario, p, c.firstSeed + s));
      if (tick !== undefined) tick();
    }
    return summarize(p, runs);
  });
}

/** One cell of the sweep. */
export interface SweepCell {
  readonly guestMiB: number;
  readonly reportingOrder: number;
  readonly summary: PolicySummary;
}

export interface SweepConfig {
  readonly base: AbConfig;
  readonly guestsMiB: readonly number[];
  readonly orders: readonly number[];
}

export const DEFAULT_SWEEP_GUESTS: readonly number[] = [256, 384, 512, 768, 1024, 2048, 4096];
export const DEFAULT_SWEEP_ORDERS: readonly number[] = [7, 8, 9, 10];

/** Guest size x reporting order x policy, `base.seeds` seeds each. */
export function runSweep(c: SweepConfig, tick?: () => void): SweepCell[] {
  const policies = checkAbConfig(c.base);
  if (c.guestsMiB.length === 0 || c.orders.length === 0) throw new MmError("EINVAL", "empty sweep");
  const cells: SweepCell[] = [];
  for (const guestMiB of c.guestsMiB) {
    for (const reportingOrder of c.orders) {
      const scenario: ScenarioConfig = { ...c.base.scenario, guestMiB, reportingOrder, keepSeries: false };
      for (const p of policies) {
        const runs: RunResult[] = [];
        for (let s = 0; s < c.base.seeds; s++) {
          runs.push(runScenario(scenario, p, c.base.firstSeed + s));
          if (tick !== undefined) tick();
        }
        cells.push({ guestMiB, reportingOrder, summary: summarize(p, runs) });
      }
    }
  }
  return cells;
}

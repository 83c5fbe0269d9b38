/**
 * The shrink sub-map (where Pang and Duyck differ): the mechanisms behind its numbers — a
 * threshold recomputed per order is never stale, a reserve never flushes, the stale MiB are
 * bounded by the capacity, the worker's CPU is its formula — never which policy wins.
 */
import { describe, expect, it } from "vitest";
import { PAGE_REPORTING_CAPACITY } from "@mm/page-reporting";
import { WORKER_CPU, workerCpuNs } from "../src/experiments/reporting/costs.js";
import { DEFAULT_SHRINK, runShrinkMap, shrinkJobs } from "../src/experiments/reporting/shrink.js";
import { describeShrink, formatShrinkTable } from "../src/experiments/reporting/shrink-format.js";

const small = { ...DEFAULT_SHRINK, devices: ["slow-host"], rates: [512, 2048], seeds: 2 };

describe("the shrink sub-map", () => {
  it("has a cell per (device, rate, policy), each run at start delay 1 with the swept fault rate", async () => {
    const { jobs } = shrinkJobs(small);
    expect(jobs).toHaveLength(1 * 2 * small.policies.length * 2);
    for (const j of jobs) {
      expect(j.config.startDelayRatio).toBe(1);
      expect(j.config.rampMiBps[0]).toBe(j.config.rampMiBps[1]);
    }
    const cells = await runShrinkMap(small);
    expect(cells).toHaveLength(1 * 2 * small.policies.length);
    for (const c of cells) {
      for (const r of c.runs) {
        // bounded: every stale order could take at most a full batch of its order beyond the fresh rule
        expect(r.staleMiB).toBeLessThanOrEqual(r.staleOrders * PAGE_REPORTING_CAPACITY * 4);
        if (r.staleOrders === 0) expect(r.staleMiB).toBe(0);
        // the worker's CPU is at least its report calls' round trips and its sg entries
        expect(r.workerCpuUs * 1000).toBeGreaterThanOrEqual(workerCpuNs(r.reportCalls, r.sgInitEntries, 0) - 1e-6);
        expect(Number.isFinite(r.minHeadroomMiB)).toBe(true);
      }
      // Pang's rule recomputed at every order cannot be stale against itself
      if (c.policy === "pang-per-order") for (const r of c.runs) expect(r.staleOrders).toBe(0);
      // the reserve keeps the full list: it never flushes before a shorter one
      if (c.policy.endsWith("-reserve") || c.policy === "fixed") for (const r of c.runs) expect(r.flushReports).toBe(0);
      expect(c.pStale.value).toBe(c.staleRuns / c.runs.length);
    }
    const text = formatShrinkTable(small, cells);
    expect(text).toMatch(/^pang-per-order recomputes the threshold/m);
    expect(describeShrink(cells, small.policies).some((l) => l.startsWith("re-initialised list vs reserve (pang vs pang-reserve"))).toBe(true);
  });

  it("workerCpuNs is calls x round trip + entries x sg entry + blocks x isolation", () => {
    expect(workerCpuNs(2, 64, 10)).toBe(2 * WORKER_CPU.perReportNs + 64 * WORKER_CPU.perSgEntryNs + 10 * WORKER_CPU.perBlockNs);
  });
});

import { describe, expect, it } from "vitest";
import type { RunIO } from "../../src/experiment.js";
import { DEFAULT_REPORT, reportingAb, runReportingAb } from "../../src/experiments/reporting-ab.js";
import { abReportData } from "../../src/experiments/reporting/report-data.js";
import { abConfigFromArgs } from "../../src/experiments/reporting-ab.js";
import { runAb } from "../../src/experiments/reporting/ab.js";
import { checkReportData } from "../../src/report/data.js";
import { reportPath } from "../../src/report/hook.js";
import { runRequest } from "../../src/commands/run.js";
import { resolveRequest } from "../../src/request.js";
import type { RawArgs } from "../../src/params.js";

/** `mm-lab run reporting-ab` with these flags, through the generic run path. */
function run(args: RawArgs, io: RunIO): Promise<void> {
  return runRequest(reportingAb, resolveRequest(reportingAb, args), io);
}

function capture(): { io: RunIO; files: Map<string, string>; out: () => string; bars: string[] } {
  const files = new Map<string, string>();
  const bars: string[] = [];
  let stdout = "";
  return {
    io: {
      write: (s) => (stdout += s),
      progress: (_total, label) => {
        bars.push(label);
        return { tick() {}, stop() {} };
      },
      writeFile: (p, t) => files.set(p, t),
    },
    files,
    out: () => stdout,
    bars,
  };
}

describe("reporting-ab's report hook", () => {
  it("writes reports/reporting-ab.html by default and prints its path after the table", async () => {
    const c = capture();
    await run({ seeds: "2", policies: "off,fixed,shift-reserve" }, c.io);
    const html = c.files.get(DEFAULT_REPORT) ?? "";
    expect(html).toMatch(/^<!DOCTYPE html>/);
    // After the table and its legend, before the provenance footer.
    expect(c.out()).toMatch(/refault: [^\n]*\n[\s\S]*\nreport: reports\/reporting-ab\.html\n\n# reporting-ab: seeds 1\.\.2/);
    expect(c.bars).toEqual(["reporting-ab", "report"]);
    for (const kind of ["bars", "tradeoff", "series"]) expect(html).toContain(`data-chart="${kind}"`);
    expect(html.match(/data-chart="series"/g)).toHaveLength(5);
  });

  it("is off with --json (stdout stays JSON lines) and with --report none; --report names the file", async () => {
    const c = capture();
    await run({ seeds: "1", policies: "fixed", json: true }, c.io);
    expect(c.files.size).toBe(0);
    await run({ seeds: "1", policies: "fixed", report: "none" }, c.io);
    expect(c.files.size).toBe(0);
    await run({ seeds: "1", policies: "fixed", json: true, report: "x/r.html" }, c.io);
    expect([...c.files.keys()]).toEqual(["x/r.html"]);
    expect(() => reportPath(" ", false, DEFAULT_REPORT)).toThrow(/--report expects a file name/);
  });

  it("the sweep's report has one heatmap per policy over guest size x order", async () => {
    const c = capture();
    await run({ sweep: true, sweepSeeds: "1", sweepGuests: "256,512", sweepOrders: "9,10", policies: "off,fixed" }, c.io);
    const html = c.files.get(DEFAULT_REPORT) ?? "";
    expect(html.match(/data-chart="heatmap"/g)).toHaveLength(2);
    expect(html).toContain("P(failed fault) over guestMiB × reportingOrder");
  });

  it("cells summarise the per-seed runs: P(failed fault) = runs failing / seeds", () => {
    const cfg = abConfigFromArgs({ seeds: "3", policies: "off,fixed" });
    const rows = runAb(cfg);
    const d = abReportData(cfg, rows, "1.2.3", "deadbeef");
    checkReportData(d);
    for (const r of rows) {
      const cell = d.cells.find((x) => x.policy === r.policy);
      expect(cell?.seeds).toBe(r.seeds);
      expect(cell?.metrics.p_fail?.value).toBe(r.runsWithFailures / r.seeds);
      expect(cell?.metrics.failed_faults?.value).toBeCloseTo(r.allocFailures / r.seeds, 9);
    }
    expect(d.provenance).toMatchObject({ version: "1.2.3", revision: "deadbeef", seeds: "1..3" });
    // One seed's series per policy, five named series each.
    expect(d.series.map((l) => `${l.policy}/${l.seed}`)).toEqual([...Array<string>(5).fill("off/1"), ...Array<string>(5).fill("fixed/1")]);
  });

  it("runReportingAb hands back the pending report instead of writing it", () => {
    const c = capture();
    const p = runReportingAb({ seeds: "1", policies: "fixed" }, c.io);
    expect(p?.path).toBe(DEFAULT_REPORT);
    expect(c.files.size).toBe(0);
  });
});

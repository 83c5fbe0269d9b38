import { describe, expect, it } from "vitest";
import type { RunIO } from "../../src/experiment.js";
import { DEFAULT_REPORT, mapConfigFromArgs, reportingAb, runReportingAb } from "../../src/experiments/reporting-ab.js";
import { mapReportData } from "../../src/experiments/reporting/report-data.js";
import { runMap, wilson } from "../../src/experiments/reporting/map.js";
import { centreSeries } from "../../src/experiments/reporting/series.js";
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

/** A small map: delay 0.5 (the centre) and 1 x one device, and the guest x freed slice through the centre (the centre again). */
const SMALL: RawArgs = { seeds: "2", policies: "off,fixed,shift-reserve", delays: "0.5,1", devices: "4k-host", guests: "1024", freed: "128" };
const ONE: RawArgs = { seeds: "1", policies: "fixed", delays: "1", devices: "4k-host", guests: "1024", freed: "128" };

describe("reporting-ab's report hook", () => {
  it("writes reports/reporting-ab.html by default (heatmaps per slice and policy, trade-off, series) and prints its path after the table", async () => {
    const c = capture();
    await run(SMALL, c.io);
    const html = c.files.get(DEFAULT_REPORT) ?? "";
    expect(html).toMatch(/^<!DOCTYPE html>/);
    // After the table and its findings, before the run record.
    expect(c.out()).toMatch(/\nfixed [^\n]*\n[\s\S]*\nreport: reports\/reporting-ab\.html\n\n# reporting-ab: seeds 1\.\.2/);
    expect(c.bars).toEqual(["reporting-ab map", "report"]);
    for (const kind of ["heatmap", "tradeoff", "series"]) expect(html).toContain(`data-chart="${kind}"`);
    // two slices (delay x device, freed x guest) x three policies
    expect(html.match(/data-chart="heatmap"/g)).toHaveLength(6);
    expect(html).toContain("P(OOM) over startDelayRatio × device; freedMiB × guestMiB");
    expect(html.match(/data-chart="series"/g)).toHaveLength(5);
  });

  it("is off with --json (stdout stays JSON lines) and with --report none; --report names the file", async () => {
    const c = capture();
    await run({ ...ONE, json: true }, c.io);
    expect(c.files.size).toBe(0);
    await run({ ...ONE, report: "none" }, c.io);
    expect(c.files.size).toBe(0);
    await run({ ...ONE, json: true, report: "x/r.html" }, c.io);
    expect([...c.files.keys()]).toEqual(["x/r.html"]);
    expect(() => reportPath(" ", false, DEFAULT_REPORT)).toThrow(/--report expects a file name/);
  });

  it("cells are the map's cells: P(OOM) and its Wilson interval, host returned with its t interval, the point as params", () => {
    const cfg = mapConfigFromArgs(SMALL);
    const cells = runMap(cfg);
    const d = mapReportData(cfg, cells, centreSeries(cfg), "1.2.3", "deadbeef");
    checkReportData(d);
    expect(d.cells).toHaveLength(cells.length);
    cells.forEach((m, i) => {
      const cell = d.cells[i];
      expect(cell?.policy).toBe(m.policy);
      expect(cell?.params).toEqual({ ...m.point });
      expect(cell?.seeds).toBe(m.runs.length);
      expect(cell?.metrics.p_oom).toEqual(wilson(m.oomRuns, m.runs.length));
      expect(cell?.metrics.host_returned).toEqual({ ...m.hostReturnedAvgMiB });
    });
    expect(d.heatmapSlices?.map((s) => [s.x, s.y, s.fixed])).toEqual([
      ["startDelayRatio", "device", { freedMiB: 128, guestMiB: 1024 }],
      ["freedMiB", "guestMiB", { startDelayRatio: 0.5, device: "4k-host" }],
    ]);
    expect(d.provenance).toMatchObject({ version: "1.2.3", revision: "deadbeef", seeds: "1..2" });
    // The centre's first seed per policy, five named series each.
    expect(d.series.map((l) => `${l.policy}/${l.seed}`)).toEqual([...Array<string>(5).fill("off/1"), ...Array<string>(5).fill("fixed/1"), ...Array<string>(5).fill("shift-reserve/1")]);
  });

  it("runReportingAb hands back the pending report instead of writing it", async () => {
    const c = capture();
    const p = await runReportingAb(ONE, c.io);
    expect(p?.path).toBe(DEFAULT_REPORT);
    expect(c.files.size).toBe(0);
  });
});

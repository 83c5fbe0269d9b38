import { describe, expect, it } from "vitest";
import { Command } from "commander";
import { runCli } from "../../src/cli.js";
import { checkReportData } from "../../src/report/data.js";
import { fromRunJson } from "../../src/report/from-run-json.js";
import { proportion } from "../../src/report/interval.js";

async function runJson(...args: string[]): Promise<unknown[]> {
  let out = "";
  await runCli(new Command().exitOverride(), ["node", "mm-lab", "run", ...args, "--json"], (s) => {
    out += s;
  });
  return out.trim().split("\n").map((l) => JSON.parse(l) as unknown);
}

describe("fromRunJson", () => {
  it("reporting-ab --json (the map): the point's swept values become the axes, one cell per (policy, point)", async () => {
    const docs = await runJson("reporting-ab", "--seeds", "2", "--policies", "off,fixed", "--delays", "0.5,1", "--devices", "4k-host", "--guests", "512,1024", "--freed", "128");
    const d = fromRunJson(docs, "reporting-ab");
    checkReportData(d);
    expect(d.policies).toEqual(["off", "fixed"]);
    const results = docs.slice(0, -1) as { policy: string; point: Record<string, number | string>; oomKills: number; oomRuns: number }[];
    const record = (docs.at(-1) as { mmLab: { version: string; revision: string | null; config: { guestMib: number } } }).mmLab;
    expect(d.provenance.version).toBe(record.version);
    expect(d.provenance.revision).toBe(record.revision ?? "not in the input");
    expect(d.provenance.config).toEqual(record.config);
    expect(d.experiment).toBe("reporting-ab");
    // delay varies in the first slice, guest in the second; device and freed do not vary: no axes
    expect(d.axes).toEqual(["startDelayRatio", "guestMiB"]);
    expect(d.cells).toHaveLength(results.length);
    for (const doc of results) {
      const cell = d.cells.find((c) => c.policy === doc.policy && c.params.startDelayRatio === doc.point.startDelayRatio && c.params.guestMiB === doc.point.guestMiB);
      expect(cell?.metrics.oomKills?.value).toBe(doc.oomKills);
      expect(cell?.metrics.oomRuns?.value).toBe(doc.oomRuns);
    }
    expect(d.heatmap).not.toBeNull();
  });

  it("per-policy arrays inside a document, scenario as an axis, booleans as shares", () => {
    const docs = [
      { scenario: "a", seed: 1, policies: [{ policy: "p", stalls: 3, caught: true }, { policy: "q", stalls: 5, caught: false }] },
      { scenario: "b", seed: 1, policies: [{ policy: "p", stalls: 4, caught: true }, { policy: "q", stalls: 6, caught: true }] },
    ];
    const d = fromRunJson(docs, "x");
    checkReportData(d);
    expect(d.axes).toEqual(["scenario"]);
    expect(d.cells.map((c) => [c.policy, c.params.scenario, c.metrics.stalls?.value])).toEqual([
      ["p", "a", 3],
      ["q", "a", 5],
      ["p", "b", 4],
      ["q", "b", 6],
    ]);
    expect(d.cells[1]?.metrics.caught).toEqual(proportion(0, 1));
    expect(d.provenance.revision).toBe("not in the input");
  });

  it("refuses JSON without result objects", () => {
    expect(() => fromRunJson([1, "x"], "x")).toThrow(/no result objects/);
  });
});

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
  it("reporting-ab --json: one cell per policy from its perSeed runs, means equal sum / seeds", async () => {
    const docs = await runJson("reporting-ab", "--seeds", "3", "--policies", "off,fixed");
    const d = fromRunJson(docs, "reporting-ab");
    checkReportData(d);
    expect(d.policies).toEqual(["off", "fixed"]);
    const results = docs.slice(0, -1) as { policy: string; seeds: number; allocFailures: number; reportCalls: number }[];
    const record = (docs.at(-1) as { mmLab: { version: string; revision: string | null; config: { guestMib: number } } }).mmLab;
    expect(d.provenance.version).toBe(record.version);
    expect(d.provenance.revision).toBe(record.revision ?? "not in the input");
    expect(d.provenance.config).toEqual(record.config);
    expect(d.experiment).toBe("reporting-ab");
    for (const doc of results) {
      const cell = d.cells.find((c) => c.policy === doc.policy);
      expect(cell?.seeds).toBe(doc.seeds);
      expect(cell?.metrics.allocFailures?.value).toBeCloseTo(doc.allocFailures / doc.seeds, 9);
      expect(cell?.metrics.reportCalls?.value).toBeCloseTo(doc.reportCalls / doc.seeds, 9);
      expect(cell?.metrics.allocFailures?.lo).not.toBeNull();
    }
    expect(d.provenance.seeds).toBe("1..3 (3)");
    expect(d.headline.length).toBeGreaterThan(0);
  });

  it("reporting-ab --sweep --json: guest size and order become the axes", async () => {
    const docs = await runJson("reporting-ab", "--sweep", "--sweep-seeds", "1", "--sweep-guests", "256,512", "--sweep-orders", "9", "--policies", "off,fixed");
    const d = fromRunJson(docs, "reporting-ab");
    checkReportData(d);
    expect(d.axes).toEqual(["guestMiB"]); // one order only: it does not vary, so it is no axis
    expect(d.cells).toHaveLength(4);
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

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

  it("keeps the run's own estimates ({value, lo, hi} and {mean, lo, hi}) with their intervals, and finds a map's full planes", () => {
    const est = (value: number) => ({ value, lo: Math.max(0, value - 0.1), hi: value + 0.1 });
    // reporting-ab's slices layout: delay x host through (freed 128, guest 1024), freed x guest through (delay 0.5, 4k-host).
    const docs: unknown[] = [];
    for (const policy of ["off", "fixed"]) {
      for (const d of [0.5, 1.1]) for (const dev of ["4k-host", "slow-host"]) docs.push({ policy, point: { startDelayRatio: d, device: dev, freedMiB: 128, guestMiB: 1024 }, pOom: est(d / 2) });
      for (const f of [64, 256])
        for (const g of [512, 1024])
          docs.push({ policy, point: { startDelayRatio: 0.5, device: "4k-host", freedMiB: f, guestMiB: g }, pOom: est(f / 1000), ...(f === 256 && g === 1024 ? { blocked: { mean: 12.5, lo: 10, hi: 15 } } : {}) });
      docs.push({ policy, point: { startDelayRatio: 0.5, device: "4k-host", freedMiB: 128, guestMiB: 512 }, pOom: est(0.3) });
    }
    const d = fromRunJson(docs, "reporting-ab");
    checkReportData(d);
    expect(d.axes).toEqual(["startDelayRatio", "device", "freedMiB", "guestMiB"]);
    expect(d.headline[0]).toBe("pOom");
    expect(d.heatmap).toBe("pOom");
    expect(d.heatmapSlices).toEqual([
      { x: "startDelayRatio", y: "device", fixed: { freedMiB: 128, guestMiB: 1024 } },
      { x: "freedMiB", y: "guestMiB", fixed: { startDelayRatio: 0.5, device: "4k-host" } },
    ]);
    const c = d.cells.find((x) => x.policy === "fixed" && x.params.startDelayRatio === 1.1 && x.params.device === "slow-host");
    expect(c?.metrics.pOom).toEqual(est(0.55));
    expect(d.cells.find((x) => "blocked" in x.metrics)?.metrics.blocked).toEqual({ value: 12.5, lo: 10, hi: 15 });
  });

  it("pin-owner's map: a count of seeds with its Wilson share bounds is the share with those bounds", () => {
    const doc = (label: string, readAtMs: number, named: number, lo: number, hi: number) => ({ label, nrCpus: 8, bufferKb: 1408, readAtMs, seeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], named, namedLo: lo, namedHi: hi, lostEvents: 3 });
    const d = fromRunJson([doc("a", 3000, 10, 0.7224671969739421, 0.9999999999999999), doc("a", 6000, 5, 0.2366, 0.7634), doc("b", 3000, 0, 0, 0.2775), doc("b", 6000, 0, 0, 0.2775)], "pin-owner");
    checkReportData(d);
    expect(d.axes).toEqual(["readAtMs"]);
    expect(d.metrics.map((m) => m.key)).toEqual(["named", "lostEvents"]);
    expect(d.cells.map((c) => c.metrics.named)).toEqual([
      { value: 1, lo: 0.7224671969739421, hi: 1 },
      { value: 0.5, lo: 0.2366, hi: 0.7634 },
      { value: 0, lo: 0, hi: 0.2775 },
      { value: 0, lo: 0, hi: 0.2775 },
    ]);
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

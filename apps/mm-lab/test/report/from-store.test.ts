/**
 * `mm-lab report <store.duckdb>`: the page's numbers are the sweep's own statistics (what
 * `mm-lab sweep --json` prints for the same runs), every run is in the runs table with its config
 * hash, a merged shard store gives the same page as the one-machine store, and a file that is not
 * a store is one EINVAL.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { experimentByName } from "../../src/cli.js";
import { mergeStores } from "../../src/commands/query.js";
import { sweepSpecOf } from "../../src/commands/sweep.js";
import { buildReport } from "../../src/report/build.js";
import { configHash, storeReportData } from "../../src/report/from-store.js";
import { canonicalJson, makePlan } from "../../src/sweep/plan.js";
import { runSweep } from "../../src/sweep/run.js";
import { cliMain } from "../cli-helper.js";

const dir = mkdtempSync(join(tmpdir(), "mm-report-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (ext: string): string => join(dir, `s${n++}.${ext}`);

/** A small reporting-ab sweep: 2 delays x 2 hosts, off and fixed, 2 seeds (16 runs of a 512 MiB guest). */
const AB = ["reporting-ab", "--grid", "startDelayRatio=0.5,1.1,device=4k-host,slow-host", "--policies", "off,fixed", "--seeds", "2", "--guest-mib", "512", "--jobs", "1"];

interface CellLine {
  cell: number;
  policy: string | null;
  runs: number;
  stats: { metric: string; n: number; value: number; ci: { lo: number; hi: number } }[];
}

describe("report from a results store", () => {
  const db = file("duckdb");
  let sweepJson: CellLine[] = [];

  it("shows the sweep's own statistics: value and interval per cell, policy and metric", async () => {
    const r = await cliMain("sweep", ...AB, "--db", db, "--json", "--metrics", Object.keys(experimentByName("reporting-ab").metrics).join(","));
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    // cell lines, then the sweep's provenance line ({"mmLab": …})
    sweepJson = r.out.trim().split("\n").map((l) => JSON.parse(l) as CellLine).filter((l) => l.cell !== undefined);
    const d = await storeReportData(db);
    expect(d.experiment).toBe("reporting-ab");
    expect(d.axes).toEqual(["startDelayRatio", "device"]);
    expect(d.policies).toEqual(["off", "fixed"]);
    expect(d.cells).toHaveLength(sweepJson.length);
    expect(d.heatmap).toBe("oom");
    expect(d.tradeoff).toEqual({ x: "hostReturnedAvgMib", y: "oom" });
    sweepJson.forEach((line, i) => {
      const c = d.cells[i];
      expect(c?.policy).toBe(line.policy);
      expect(c?.seeds).toBe(line.runs);
      for (const s of line.stats) {
        if (s.n === 0) expect(c?.metrics[s.metric]).toBeUndefined();
        else expect(c?.metrics[s.metric]).toEqual({ value: s.value, lo: s.ci.lo, hi: s.ci.hi });
      }
    });
  });

  it("lists every run with its cell's config hash, and every cell's full configuration", async () => {
    const d = await storeReportData(db);
    const runs = d.extra?.[0]?.tables.find((t) => t.id === "runs-table");
    const configs = d.extra?.[0]?.tables.find((t) => t.id === "configs-table");
    expect(runs?.rows).toHaveLength(16);
    const rs = await (await DuckDBInstance.create(db, { access_mode: "READ_ONLY" })).connect();
    const stored = (await rs.runAndReadAll("SELECT task, cell, policy, seed, oom FROM results ORDER BY task")).getRowObjectsJS();
    rs.closeSync();
    const spec = sweepSpecOf(experimentByName("reporting-ab"), { grid: "startDelayRatio=0.5,1.1,device=4k-host,slow-host", policies: "off,fixed", seeds: "2", guestMib: "512" });
    const plan = makePlan(experimentByName("reporting-ab"), spec);
    const col = (name: string): number => runs?.columns.indexOf(name) ?? -1;
    runs?.rows.forEach((row, i) => {
      const s = stored[i];
      expect(row[col("task")]).toBe(Number(s?.task));
      expect(row[col("policy")]).toBe(s?.policy);
      expect(row[col("seed")]).toBe(Number(s?.seed));
      expect(row[col("oom")]).toBe(s?.oom === true ? "true" : "false");
      expect(row[col("config hash")]).toBe(configHash(plan.cells[Number(s?.cell)]));
      expect(row[col("version")]).toBe(d.provenance.version);
    });
    expect(configs?.rows.map((r) => r[2])).toEqual(plan.cells.map(canonicalJson));
    // Hashes name configurations: four different cells, four different hashes.
    expect(new Set(configs?.rows.map((r) => r[1])).size).toBe(4);
  });

  it("a merged shard store gives the same page, byte for byte, as the one-machine store", async () => {
    const shards = [file("duckdb"), file("duckdb")];
    for (const [i, s] of shards.entries()) expect((await cliMain("sweep", ...AB, "--db", s, "--shard", `${i}/2`, "--json")).code).toBe(0);
    const merged = file("duckdb");
    await mergeStores(shards, merged);
    const a = file("html");
    const b = file("html");
    expect((await cliMain("report", db, "-o", a)).code).toBe(0);
    expect((await cliMain("report", merged, "-o", b)).code).toBe(0);
    expect(readFileSync(b, "utf8")).toBe(readFileSync(a, "utf8"));
    // A single shard renders too, and says it is one.
    const one = await storeReportData(shards[0] ?? "");
    expect(one.summary).toContain("(shard 0/2) holds 8");
    expect(one.cells.reduce((s, c) => s + c.seeds, 0)).toBe(8);
  });

  it("an experiment without policies, and more than two axes: one heatmap per combination of the others", async () => {
    const buddy = experimentByName("buddyinfo");
    const f = file("duckdb");
    const spec = sweepSpecOf(buddy, { grid: "memory=32,48", seconds: "0.2", seed: "5" });
    await runSweep(buddy, spec, { store: f });
    const d = await storeReportData(f);
    expect(d.policies).toEqual(["(one arm)"]);
    expect(d.axes).toEqual(["memory"]);
    expect(d.cells.map((c) => c.params.memory)).toEqual([32, 48]);
    // No bool metric: the headline is the first metric, as in the sweep table.
    expect(d.heatmap).toBe(Object.keys(buddy.metrics)[0]);
    const html = buildReport(d);
    expect(html.match(/data-chart="heatmap"/g)).toHaveLength(1);

    const ab = experimentByName("reporting-ab");
    const g = file("duckdb");
    const spec3 = sweepSpecOf(ab, { grid: "startDelayRatio=0.5,1.1,device=4k-host,slow-host,freedMib=64,128", policies: "fixed", seeds: "1", guestMib: "512" });
    await runSweep(ab, spec3, { store: g });
    const d3 = await storeReportData(g);
    expect(d3.axes).toEqual(["freedMib", "startDelayRatio", "device"]);
    expect(d3.heatmapSlices).toEqual([
      { x: "freedMib", y: "startDelayRatio", fixed: { device: "4k-host" } },
      { x: "freedMib", y: "startDelayRatio", fixed: { device: "slow-host" } },
    ]);
    expect(buildReport(d3).match(/data-chart="heatmap"/g)).toHaveLength(2);
  });

  it("refuses what is not an mm-lab store: one EINVAL line, exit 2", async () => {
    const f = file("duckdb");
    const inst = await DuckDBInstance.create(f);
    const con = await inst.connect();
    await con.run("CREATE TABLE t (x INTEGER)");
    con.closeSync();
    inst.closeSync();
    const r = await cliMain("report", f, "-o", file("html"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^mm-lab: EINVAL: .*not an mm-lab results store.*\n$/);
    const j = file("json");
    writeFileSync(j, "");
    expect((await cliMain("report", j, "-o", file("html"))).code).toBe(2);
  });
});

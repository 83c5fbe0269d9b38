/**
 * reporting-ab: the seed-004 numbers on the real allocator, the A/B outcome, the CLI outputs
 * (table, --json, --series, --sweep), determinism and argument errors.
 */
import { GFP_HIGHUSER_MOVABLE, isMmError, WMARK_LOW, WMARK_MIN } from "@mm/api";
import { createMachine } from "@mm/buddy";
import {
  calculateZoneOrderThreshold,
  fixedCapacity,
  freeLimitedCapacity,
  freeLimitedPerOrderCapacity,
  shiftCapacity,
  type CapacityRule,
} from "@mm/page-reporting";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { withoutRunRecord } from "./cli-helper.js";
import type { RunIO } from "../src/experiment.js";
import { abConfigFromArgs, runReportingAb } from "../src/experiments/reporting-ab.js";
import { SERIES_COLUMNS } from "../src/experiments/reporting/scenario.js";

async function cli(...args: string[]): Promise<string> {
  let out = "";
  await runCli(new Command().exitOverride(), ["node", "mm-lab", ...args], (s) => {
    out += s;
  });
  return withoutRunRecord(out);
}

interface Row {
  policy: string;
  allocFailures: number;
  runsWithFailures: number;
  peakIsolatedBytes: number;
  reportCalls: number;
  seeds: number;
  timeTo90Ms: number | null;
}

const MiB = 1 << 20;

describe("seed 004 on the real allocator: 100 MiB free on a 512 MiB machine", () => {
  const m = createMachine({ memoryBytes: 512 * MiB });
  const zone = m.zoneOf(m.endPfn - 1);
  // use memory up to exactly 100 MiB free in the zone that holds it
  while (m.zoneFreePages(zone) - 512 >= 100 * 256 + 512 && m.allocPages(9, GFP_HIGHUSER_MOVABLE) >= 0);
  while (m.zoneFreePages(zone) > 100 * 256 && m.allocPages(0, GFP_HIGHUSER_MOVABLE) >= 0);
  const caps = (rule: CapacityRule) => {
    rule.beginZone(m, zone, 9);
    return [rule.capacity(m, zone, 9, 9), rule.capacity(m, zone, 10, 9)];
  };

  it("the zone has 100 MiB free and a low watermark far below 64 MiB", () => {
    expect(m.zoneFreePages(zone)).toBe(100 * 256);
    expect(m.zoneWatermark(zone, WMARK_MIN)).toBeGreaterThan(0);
    expect(m.zoneWatermark(zone, WMARK_LOW)).toBeLessThan(64 * 256);
    expect(calculateZoneOrderThreshold(m, zone, 9)).toBe(10);
  });
  it("order 9 gets 32 and order 10 gets 16 under Pang's rule and under Duyck's shift", () => {
    expect(caps(freeLimitedCapacity())).toEqual([32, 16]);
    expect(caps(freeLimitedPerOrderCapacity())).toEqual([32, 16]);
    expect(caps(shiftCapacity())).toEqual([32, 16]);
  });
  it("the kernel keeps 32: 32 x 4 MiB = 128 MiB at order 10", () => {
    expect(caps(fixedCapacity())).toEqual([32, 32]);
  });
});

describe("mm-lab run reporting-ab (defaults: 512 MiB guest, 10 seeds)", async () => {
  const out = await cli("run", "reporting-ab", "--json");
  const rows = out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Row);
  const by = new Map(rows.map((r) => [r.policy, r]));

  it("prints one JSON object per policy with the required fields", () => {
    expect(rows.map((r) => r.policy)).toEqual(["off", "fixed", "pang", "pang-per-order", "pang-reserve", "shift", "shift-reserve"]);
    for (const r of rows) {
      expect(r.seeds).toBe(10);
      for (const k of ["allocFailures", "peakIsolatedBytes", "reportCalls"] as const) expect(typeof r[k]).toBe("number");
    }
  });
  it("without reporting nothing fails; the kernel's fixed capacity OOMs; every fix does not", () => {
    expect(by.get("off")?.allocFailures).toBe(0);
    expect(by.get("off")?.reportCalls).toBe(0);
    const fixed = by.get("fixed");
    expect(fixed?.allocFailures).toBeGreaterThan(0);
    expect(fixed?.runsWithFailures).toBeGreaterThanOrEqual(5);
    // it isolates most of the freed region at once: far above the 64 MiB the fixes allow
    expect(fixed?.peakIsolatedBytes).toBeGreaterThan(90 * MiB);
    for (const p of ["pang", "pang-per-order", "pang-reserve", "shift", "shift-reserve"]) {
      const r = by.get(p);
      expect(r?.allocFailures, p).toBe(0);
      expect(r?.peakIsolatedBytes, p).toBeLessThanOrEqual(64 * MiB);
      expect(r?.reportCalls, p).toBeGreaterThan(fixed?.reportCalls ?? Infinity);
      expect(r?.timeTo90Ms, p).not.toBeNull();
    }
  });
});

describe("outputs", () => {
  it("the same seed and config print the same bytes (table)", async () => {
    const args = ["run", "reporting-ab", "--seeds", "2", "--seed", "5", "--policies", "fixed,shift-reserve", "--report", "none"];
    const a = await cli(...args);
    const b = await cli(...args);
    expect(a).toBe(b);
    expect(a).toContain("policy");
    expect(a).toMatch(/│ fixed +│/);
    expect(a).toMatch(/│ shift-reserve +│/);
    const c = await cli("run", "reporting-ab", "--seeds", "2", "--seed", "6", "--policies", "fixed,shift-reserve", "--report", "none");
    expect(c).not.toBe(a);
  });

  it("--series writes a chart-ready CSV: a header, then one row per sample of every run", () => {
    const files = new Map<string, string>();
    let stdout = "";
    const io: RunIO = {
      write: (s) => (stdout += s),
      progress: () => ({ tick() {}, stop() {} }),
      writeFile: (p, t) => files.set(p, t),
    };
    runReportingAb({ seeds: "2", policies: "off,fixed", series: "out.csv", json: true }, io);
    const csv = files.get("out.csv") ?? "";
    const lines = csv.trim().split("\n");
    expect(lines[0]).toBe(`policy,seed,${SERIES_COLUMNS.join(",")}`);
    const runs = new Set(lines.slice(1).map((l) => l.split(",").slice(0, 2).join(",")));
    expect([...runs]).toEqual(["off,1", "off,2", "fixed,1", "fixed,2"]);
    const fixedRows = lines.filter((l) => l.startsWith("fixed,1,")).map((l) => l.split(",").map(Number));
    // samples every 50 ms; host resident + returned = guest size
    expect(fixedRows[1][2] - fixedRows[0][2]).toBe(50);
    for (const r of fixedRows) expect(r[3] + r[4]).toBeCloseTo(512, 2);
    expect(Math.max(...fixedRows.map((r) => r[6]))).toBeGreaterThan(0); // isolated MiB at some sample
    expect(stdout.trim().split("\n")).toHaveLength(2);
  });

  it("--sweep prints the matrix and where each policy starts to fail", async () => {
    const args = ["run", "reporting-ab", "--sweep", "--sweep-seeds", "2", "--sweep-guests", "256,512", "--sweep-orders", "9", "--policies", "off,fixed,shift", "--report", "none"];
    const table = await cli(...args);
    expect(table).toContain("where each policy starts to fail:");
    expect(table).toMatch(/fixed +512 MiB\/o9/);
    expect(table).toMatch(/off +never in this grid/);
    expect(table).toMatch(/│ +256 │ +9 │ +ok │ +ok, gated │/);
    const json = await cli(...args, "--json");
    const cells = json
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Row & { guestMiB: number; reportingOrder: number });
    expect(cells).toHaveLength(6);
    expect(cells.find((c) => c.policy === "fixed" && c.guestMiB === 512)?.allocFailures).toBeGreaterThan(0);
    expect(cells.find((c) => c.policy === "shift" && c.guestMiB === 512)?.allocFailures).toBe(0);
  });
});

describe("argument errors are MmError EINVAL", () => {
  for (const args of [
    { seeds: "0" },
    { seeds: "x" },
    { policies: "fixed,nope" },
    { policies: "fixed,fixed" },
    { guestMib: "10" },
    { reportingOrder: "11" },
    { perMibUs: "-1" },
  ]) {
    it(JSON.stringify(args), () => {
      let err: unknown;
      try {
        abConfigFromArgs(args);
      } catch (e) {
        err = e;
      }
      expect(isMmError(err, "EINVAL")).toBe(true);
    });
  }
});

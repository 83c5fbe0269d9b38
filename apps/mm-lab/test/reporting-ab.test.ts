/**
 * reporting-ab: the seed-004 capacities on the real allocator, properties of the scenario (the
 * freed region's shape comes from what ran before, isolation never above a batch, host refaults
 * slow the faulting task, determinism), the map's intervals and JSON, the CLI outputs and
 * argument errors. Nothing here asserts which policy wins.
 */
import { GFP_HIGHUSER_MOVABLE, isMmError, WMARK_LOW, WMARK_MIN } from "@mm/api";
import { createMachine } from "@mm/buddy";
import {
  calculateZoneOrderThreshold,
  type CapacityRule,
  fixedCapacity,
  freeLimitedCapacity,
  freeLimitedPerOrderCapacity,
  PAGE_REPORTING_CAPACITY,
  shiftCapacity,
} from "@mm/page-reporting";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { withoutRunRecord } from "./cli-helper.js";
import type { RunIO } from "../src/experiment.js";
import { mapConfigFromArgs, runReportingAb } from "../src/experiments/reporting-ab.js";
import { DEFAULT_MAP, mapPoints, meanInterval, runMap, wilson } from "../src/experiments/reporting/map.js";
import { DEFAULT_SCENARIO, runScenario, SERIES_NAMES } from "../src/experiments/reporting/scenario.js";

async function cli(...args: string[]): Promise<string> {
  let out = "";
  await runCli(new Command().exitOverride(), ["node", "mm-lab", ...args], (s) => {
    out += s;
  });
  return withoutRunRecord(out);
}

const MiB = 1 << 20;

describe("seed 004's example on the real allocator: 100 MiB free on a 512 MiB machine", () => {
  const m = createMachine({ memoryBytes: 512 * MiB });
  const zone = m.zoneOf(m.endPfn - 1);
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

describe("the scenario's mechanisms", () => {
  const base = { ...DEFAULT_SCENARIO, guestMiB: 1024, freedMiB: 128, startDelayRatio: 1.0 };

  it("same (config, seed): the same metrics, OOM lines and series, bit for bit; another seed differs", () => {
    const a = runScenario({ ...base, policy: "fixed", keepSeries: true }, 3);
    const b = runScenario({ ...base, policy: "fixed", keepSeries: true }, 3);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(runScenario({ ...base, policy: "fixed" }, 4).metrics)).not.toBe(JSON.stringify(a.metrics));
  });

  it("no batch isolates more than its capacity's pages: 32 x order 10 for fixed, 32 x order 9 under the shift", () => {
    for (const seed of [1, 2]) {
      const f = runScenario({ ...base, policy: "fixed", device: "slow-host" }, seed).metrics;
      const s = runScenario({ ...base, policy: "shift-reserve", device: "slow-host" }, seed).metrics;
      expect(f.peakIsolatedMiB).toBeLessThanOrEqual((PAGE_REPORTING_CAPACITY << 10) / 256);
      expect(s.peakIsolatedMiB).toBeLessThanOrEqual((PAGE_REPORTING_CAPACITY << 9) / 256);
      expect(f.peakIsolatedMiB).toBeGreaterThan(0);
    }
  });

  it("the freed region's shape emerges: with THP on, the madvised half frees as order-9+ blocks; at 512 MiB (THP off at boot) it does not", () => {
    const thp = runScenario({ ...base, policy: "off" }, 1).metrics;
    const noThp = runScenario({ ...base, policy: "off", guestMiB: 512 }, 1).metrics;
    expect(thp.thpFaults).toBeGreaterThan(0);
    expect(thp.freedReportablePct).toBeGreaterThan(40);
    expect(noThp.thpFaults).toBe(0);
    expect(noThp.freedReportablePct).toBeLessThan(5);
    const all = runScenario({ ...base, policy: "off", madvisedPct: 100 }, 1).metrics;
    expect(all.freedReportablePct).toBeGreaterThan(thp.freedReportablePct);
  });

  it("with pcp the exit leaves pages on the per-cpu lists, at most high per CPU and zone, outside NR_FREE_PAGES; without pcp none", () => {
    let bound = 0;
    let checked = false;
    const on = runScenario({ ...base, policy: "off" }, 1, (rig) => {
      const m = rig.guest.machine;
      if (bound === 0) for (const z of m.zones) if (z.managed > 0) for (const r of m.pcpPagesets(z.idx)) bound += r.high + (1 << m.pageblockOrder);
      if (rig.exitNs >= 0 && !checked) {
        checked = true;
        const census = m.checkInvariants();
        for (const z of m.zones) expect(census[z.idx].free).toBe(z.freePages);
      }
    }).metrics;
    expect(checked).toBe(true);
    expect(on.pcpAfterExitMiB).toBeGreaterThan(0);
    expect(on.pcpAfterExitMiB * 256).toBeLessThanOrEqual(bound);
    expect(runScenario({ ...base, policy: "off", pcp: false }, 1).metrics.pcpAfterExitMiB).toBe(0);
  });

  it("host refaults are charged to the faulting task: its fault-in takes longer by at least their cost", () => {
    const cfg = { ...base, startDelayRatio: 1.1, device: "slow-host" };
    const off = runScenario({ ...cfg, policy: "off" }, 1).metrics;
    const fixed = runScenario({ ...cfg, policy: "fixed" }, 1).metrics;
    expect(off.hostRefaultMiB).toBe(0);
    expect(fixed.hostRefaultMiB).toBeGreaterThan(0);
    expect(fixed.rampMs - off.rampMs).toBeGreaterThanOrEqual(fixed.hostRefaultMs * 0.9);
  });

  it("without reporting nothing is reported and the host gets nothing back", () => {
    const off = runScenario({ ...base, policy: "off" }, 2).metrics;
    expect(off.reportCalls).toBe(0);
    expect(off.hostReturnedEndMiB).toBe(0);
    expect(off.peakIsolatedMiB).toBe(0);
  });
});

describe("the map", () => {
  it("Wilson intervals: 0 of 8 -> [0, 0.324]; 4 of 8 symmetric around 0.5; bounds inside [0, 1]", () => {
    const z = wilson(0, 8);
    expect(z.value).toBe(0);
    expect(z.lo).toBe(0);
    expect(z.hi).toBeCloseTo(0.3244, 3);
    const h = wilson(4, 8);
    expect(h.lo + h.hi).toBeCloseTo(1, 10);
    expect(wilson(8, 8).hi).toBe(1);
    expect(() => wilson(3, 2)).toThrow();
    const m = meanInterval([1, 2, 3]);
    expect(m.value).toBe(2);
    expect(m.hi - m.value).toBeCloseTo(4.303 * (1 / Math.sqrt(3)), 6);
  });

  it("the default map has at least 500 runs; the slices share their centre once", () => {
    const pts = mapPoints(DEFAULT_MAP);
    const a = DEFAULT_MAP.axes;
    expect(pts).toHaveLength(a.startDelayRatio.length * a.device.length + a.guestMiB.length * a.freedMiB.length - 1);
    expect(pts.length * DEFAULT_MAP.policies.length * DEFAULT_MAP.seeds).toBeGreaterThanOrEqual(500);
    expect(mapPoints({ ...DEFAULT_MAP, layout: "full" })).toHaveLength(a.startDelayRatio.length * a.device.length * a.guestMiB.length * a.freedMiB.length);
  });

  it("cells fold the runs of one (policy, point) in seed order", () => {
    const c = mapConfigFromArgs({ seeds: "2", policies: "off,fixed", delays: "1", devices: "4k-host", guests: "1024", freed: "128" });
    const cells = runMap(c);
    // delay 1 x 4k-host, then the guest x freed slice through the centre (delay 0.5): two points
    expect(cells.map((x) => x.policy)).toEqual(["off", "fixed", "off", "fixed"]);
    expect(cells.map((x) => x.point.startDelayRatio)).toEqual([1, 1, 0.5, 0.5]);
    const fixed = cells[1];
    expect(fixed.seeds).toEqual([1, 2]);
    expect(JSON.stringify(fixed.runs[1])).toBe(JSON.stringify(runScenario(fixed.config, 2).metrics));
    expect(fixed.pOom).toEqual(wilson(fixed.oomRuns, 2));
  });
});

describe("mm-lab run reporting-ab", () => {
  const small = ["run", "reporting-ab", "--map", "main", "--seeds", "2", "--policies", "off,fixed,shift-reserve", "--delays", "0.5,1", "--devices", "4k-host", "--guests", "1024", "--freed", "128", "--report", "none"];

  it("--json: one object per cell with the full configuration, OOM kills and interval bounds", async () => {
    const out = await cli(...small, "--json");
    const rows = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    // 2 delays x 1 device, plus guest x freed (1 x 1) through the centre (delay 0.5, 4k-host): 2 points
    expect(rows).toHaveLength(2 * 3);
    for (const r of rows) {
      const cfg = r.config as Record<string, unknown>;
      for (const k of Object.keys(DEFAULT_SCENARIO)) expect(cfg, k).toHaveProperty(k);
      expect(cfg.policy).toBe(r.policy);
      expect(typeof r.oomKills).toBe("number");
      const p = r.pOom as { value: number; lo: number; hi: number };
      expect(p.lo).toBeLessThanOrEqual(p.value);
      expect(p.hi).toBeGreaterThanOrEqual(p.value);
      expect(r.hostReturnedAvgMiB).toHaveProperty("lo");
    }
  });

  it("the table is deterministic and states what the map shows about fixed", async () => {
    const a = await cli(...small);
    expect(await cli(...small)).toBe(a);
    expect(a).toMatch(/│ fixed +│|fixed /);
    expect(a).toMatch(/^fixed (does not OOM anywhere in this map|OOMs at \d+ of \d+ points)/m);
    expect(await cli(...small.slice(0, 5), "3", ...small.slice(6))).not.toBe(a);
  });

  it("--series writes named series per policy (the HTML report's shape)", async () => {
    const files = new Map<string, string>();
    const io: RunIO = { write: () => {}, progress: () => ({ tick() {}, stop() {} }), writeFile: (p, t) => files.set(p, t) };
    await runReportingAb({ seeds: "1", policies: "off,fixed", delays: "1", devices: "4k-host", guests: "1024", freed: "128", series: "s.jsonl" }, io);
    const lines = (files.get("s.jsonl") ?? "").trim().split("\n").map((l) => JSON.parse(l) as { series: string; policy: string; t: number[]; y: number[] });
    expect(new Set(lines.map((l) => l.series))).toEqual(new Set(SERIES_NAMES.filter((n) => n !== "t_ms")));
    expect(new Set(lines.map((l) => l.policy))).toEqual(new Set(["off", "fixed"]));
    for (const l of lines) expect(l.y).toHaveLength(l.t.length);
    const free = lines.find((l) => l.series === "guest_free_mib" && l.policy === "fixed");
    expect(free?.t[1]).toBe(10);
  });

  it("the default --map all prints the main map and the shrink sub-map; --map shrink --json gives the sub-map's cells", async () => {
    const args = ["run", "reporting-ab", "--seeds", "1", "--policies", "pang,pang-reserve", "--delays", "1", "--devices", "4k-host", "--guests", "1024", "--freed", "128", "--rates", "512", "--report", "none"];
    const text = await cli(...args);
    expect(text).toMatch(/^start delay/m);
    expect(text).toMatch(/^reporting-ab --map shrink: free memory shrinks during a pass/m);
    const main = (await cli(...args, "--json")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(main).toHaveLength(2 * 2); // the main map only: 2 points x 2 policies
    expect(main.some((r) => r.map === "shrink")).toBe(false);
    const shrink = (await cli(...args, "--map", "shrink", "--json")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(shrink).toHaveLength(2); // 1 device x 1 rate x 2 policies
    for (const r of shrink) expect(r.map).toBe("shrink");
    for (const r of shrink) {
      const cfg = r.config as Record<string, unknown>;
      for (const k of Object.keys(DEFAULT_SCENARIO)) expect(cfg, k).toHaveProperty(k);
      expect(cfg.rampMiBps).toEqual([512, 512]);
      expect(cfg.startDelayRatio).toBe(1);
      expect(typeof r.oomKills).toBe("number");
      for (const k of ["pOom", "pStale", "staleMiB", "reportCalls", "workerCpuUs", "peakIsolatedMiB", "minHeadroomMiB"]) {
        const i = r[k] as { value: number; lo: number; hi: number };
        expect(i.lo, k).toBeLessThanOrEqual(i.value);
        expect(i.hi, k).toBeGreaterThanOrEqual(i.value);
      }
    }
  });

  for (const args of [{ rates: "0" }, { map: "other" }]) {
    it(`bad shrink input is MmError EINVAL: ${JSON.stringify(args)}`, async () => {
      let err: unknown;
      try {
        await runReportingAb({ seeds: "1", ...args }, { write: () => {}, progress: () => ({ tick() {}, stop() {} }) });
      } catch (e) {
        err = e;
      }
      expect(isMmError(err, "EINVAL")).toBe(true);
    });
  }

  for (const args of [{ seeds: "0" }, { seeds: "x" }, { policies: "fixed,nope" }, { policies: "fixed,fixed" }, { guests: "10" }, { devices: "fast" }, { delays: "a" }, { layout: "grid" }, { freed: "4" }]) {
    it(`bad input is MmError EINVAL: ${JSON.stringify(args)}`, () => {
      let err: unknown;
      try {
        mapConfigFromArgs(args);
      } catch (e) {
        err = e;
      }
      expect(isMmError(err, "EINVAL")).toBe(true);
    });
  }
});

/**
 * `--from <dir>` on every experiment, on two captures: the 6.1 fixture (256 MiB, decimal PFN with
 * free_ts) and one the simulator makes in the 6.12 format with another size and layout
 * (sim-capture.ts). What is pinned: the imported state each experiment starts from (zones,
 * watermarks, allocations, the real layout before the workload, the replay), that it is imported
 * once per process and deterministic, and that knobs of the synthetic machine are refused.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MIGRATE_MOVABLE, WMARK_MIN } from "@mm/api";
import { reportingWhatIf } from "@mm/capture";
import { experimentByName } from "../src/cli.js";
import { experiments } from "../src/experiments/index.js";
import { FROM_PARAM, fromCapture, fromCaptureImports } from "../src/from-capture.js";
import { runBuddyinfo } from "../src/experiments/buddyinfo.js";
import { runSeed000 } from "../src/experiments/page-owner.js";
import { buddyStallAllocator } from "../src/experiments/alloc-stall/allocator.js";
import { POLICIES, runScenario } from "../src/experiments/alloc-stall/run.js";
import { scenarioByName } from "../src/experiments/alloc-stall/scenarios.js";
import { DEFAULT_CONFIG } from "../src/experiments/pin-owner/run.js";
import { PinOwnerWorld } from "../src/experiments/pin-owner/workload.js";
import { sweepSpecOf } from "../src/commands/sweep.js";
import { runSweep } from "../src/sweep/run.js";
import type { AnyConfig, ParamValue } from "../src/params.js";
import { cliMain } from "./cli-helper.js";
import { simulatedCapture612, SIM_RANGES } from "./sim-capture.js";

const FIXTURE = fileURLToPath(new URL("../../../fixtures/kernel-6.1-256M/", import.meta.url));
const SIM = simulatedCapture612().dir;

const CAPTURES = [
  ["the 6.1 fixture", FIXTURE, "6.1"],
  ["a simulated 6.12 capture (1 GiB span, a hole)", SIM, "6.12"],
] as const;

/** Default config of an experiment with `from` set (and overrides). */
function configOf(name: string, from: string, over: Record<string, ParamValue> = {}): AnyConfig {
  const exp = experimentByName(name);
  return { ...Object.fromEntries(Object.entries(exp.params).map(([k, s]) => [k, s.default])), from, ...over };
}

describe.each(CAPTURES)("--from %s", (_label, dir, format) => {
  const from = fromCapture(dir);
  const imp = from.capture;

  it("is imported once per process, in its format, with the capture's zoneinfo", () => {
    const n = fromCaptureImports();
    expect(fromCapture(dir)).toBe(from);
    expect(fromCapture(`${dir}/.`)).toBe(from); // keyed by the absolute path
    expect(fromCaptureImports()).toBe(n);
    expect(imp.dump.format).toBe(format);
    expect(imp.report.zones).not.toBeNull();
    for (const z of imp.report.zones ?? []) {
      expect(z.managed.equal && z.min.equal && z.low.equal && z.high.equal && z.protection.equal, z.zone).toBe(true);
    }
    expect(from.digest).toMatch(/^[0-9a-f]{16}$/);
  });

  it("hands out fresh machines equal to the import, wired or not", () => {
    const a = from.machine();
    const b = from.machine({ hz: 100 });
    expect(a).not.toBe(imp.machine);
    expect(a.buddyinfo()).toBe(imp.machine.buddyinfo());
    expect(b.buddyinfo()).toBe(imp.machine.buddyinfo());
    const d = imp.dump;
    for (let i = 0; i < d.count; i++) if (imp.index.accepted[i] === 1) expect(b.allocatedBlockHead(d.pfn[i])).toBe(d.pfn[i]);
    for (let p = a.startPfn; p < a.endPfn; p += 512) expect(a.pageblockMigratetype(p)).toBe(imp.machine.pageblockMigratetype(p));
    a.allocPages(0, 0); // a run mutates its own copy only
    expect(from.machine().buddyinfo()).toBe(imp.machine.buddyinfo());
  });

  it("gives the dump's live allocations as a replay, in time order, without page_owner's own records", () => {
    const allocs = from.allocations();
    const d = imp.dump;
    let own = 0;
    let accepted = 0;
    for (let i = 0; i < d.count; i++) {
      if (imp.index.accepted[i] === 0) continue;
      accepted++;
      const top = (d.stacks.get(d.handle[i]) ?? [""])[0].split("+")[0];
      if (top.startsWith("register_") && top.endsWith("_stack")) own++;
    }
    expect(allocs.length).toBe(accepted - own);
    for (let i = 1; i < allocs.length; i++) expect(allocs[i].tsNs).toBeGreaterThanOrEqual(allocs[i - 1].tsNs);
    expect(allocs.every((r) => r.frames.length > 0)).toBe(true);
  });

  it("buddyinfo: the real layout before the workload, the import's allocations kept through it", () => {
    const r = runBuddyinfo(512, 3, 1, from);
    expect(r.before).toBe(imp.machine.buddyinfo());
    expect(runBuddyinfo(512, 3, 1, from)).toEqual(r);
    expect(r.allocated).toBeGreaterThan(0);
    const out = experimentByName("buddyinfo").runOne(configOf("buddyinfo", dir, { seconds: 1 }), 3, undefined);
    expect(out.metrics).toEqual({ allocated: r.allocated, failed: r.failed, freed: r.freed, livePages: r.livePages });
  });

  it("reporting-ab: each policy reports the capture's real free memory; the synthetic scenario's metrics are null", () => {
    const exp = experimentByName("reporting-ab");
    const c = configOf("reporting-ab", dir);
    exp.check?.(c);
    const [fixed] = reportingWhatIf(() => from.machine(), { policies: ["fixed"], seed: 1 });
    const m = exp.runOne(c, 1, "fixed").metrics;
    expect(m.peakIsolatedMib).toBe(fixed.peakIsolated / 256);
    expect(m.reportCalls).toBe(fixed.reportCalls);
    expect(fixed.freeAtStart).toBe(imp.machine.freePagesTotal());
    expect(m.oom).toBeNull();
    expect(m.rampMs).toBeNull();
    const off = exp.runOne(c, 1, "off").metrics;
    expect([off.peakIsolatedMib, off.reportCalls]).toEqual([0, 0]);
  });

  it("page-owner: the capture's memory map is the machine and its live allocations the replay", () => {
    const r = runSeed000({ from, configs: [{ label: "depot", era: "6.1", storage: "depot", guard: "task-flag" }] });
    const row = r.rows[0];
    expect(row.allocated + row.failed).toBe(from.allocations().length);
    const ranges = imp.plan.ranges;
    expect(r.memoryBytes).toBe(ranges[ranges.length - 1].endPfn * 4096);
    expect(r.workload).toContain(from.digest);
    expect(row.uniqueStacks).toBeGreaterThan(0);
  });

  it("pin-owner: the capture's machine with its holders; the driver's buffer inside target-type pageblocks", () => {
    const w = new PinOwnerWorld({ ...DEFAULT_CONFIG, from: dir });
    const m = w.machine;
    for (const z of m.zones) expect([z.managed, ...z.watermarks]).toEqual([imp.machine.zones[z.idx].managed, ...imp.machine.zones[z.idx].watermarks]);
    const d = imp.dump;
    for (let i = 0; i < d.count; i += 97) if (imp.index.accepted[i] === 1) expect(m.allocatedBlockHead(d.pfn[i])).toBe(d.pfn[i]);
    expect(w.targetMt).toBe(MIGRATE_MOVABLE); // neither capture has CMA pageblocks
    w.fill();
    expect(w.pin()).toBe(DEFAULT_CONFIG.nrPins);
    const { startPfn, endPfn } = w.cmaRange();
    for (let p = startPfn; p < endPfn; p += 512) expect(m.pageblockMigratetype(p)).toBe(MIGRATE_MOVABLE);
    for (const p of w.pins) expect(p >= startPfn && p < endPfn).toBe(true);
    // a whole run: the capture's alloc_contig_range fails on the driver's pages, and page_pinner records each
    const exp = experimentByName("pin-owner");
    const r = exp.runOne(configOf("pin-owner", dir), 1, "pinner").metrics;
    expect(r.failuresFound).toBe(DEFAULT_CONFIG.nrPins);
    expect(exp.runOne(configOf("pin-owner", dir), 1, "pinner").metrics).toEqual(r);
  });

  it("alloc-stall: the capture's zone sizes and watermarks under the slow-path model, deterministic", () => {
    const a = buddyStallAllocator(from.machine());
    const top = (imp.report.zones ?? []).filter((z) => z.managed.real > 0).at(-1)!;
    expect(a.totalPages()).toBe(top.managed.real);
    expect(a.watermark(WMARK_MIN)).toBe(top.min.real);
    const sc = scenarioByName("oom-lock", 0.1);
    const r1 = runScenario(sc, 2, [POLICIES[0]], from);
    expect(runScenario(sc, 2, [POLICIES[0]], from)).toEqual(r1);
    expect(r1.tasks).toBe(runScenario(sc, 2, [POLICIES[0]]).tasks);
  });
});

describe("--from at the CLI and in sweeps", () => {
  it("every experiment declares the one parameter, and --help shows it", async () => {
    for (const e of experiments) expect(e.params.from, e.name).toBe(FROM_PARAM);
    const help = await cliMain("run", "alloc-stall", "--help");
    expect(help.out.replace(/\s+/g, " ")).toContain("--from <dir> start from a real machine imported from this capture directory");
  });

  it("refuses knobs of the synthetic machine, a missing directory, a directory without a dump", async () => {
    const mem = await cliMain("run", "buddyinfo", "--from", FIXTURE, "--memory", "256");
    expect([mem.code, mem.out]).toEqual([2, ""]);
    expect(mem.err).toBe("mm-lab: EINVAL: --memory does not apply with --from: the capture's machine has its own size\n");
    const g = await cliMain("run", "reporting-ab", "--from", FIXTURE, "--guest-mib", "512");
    expect(g.err).toMatch(/^mm-lab: EINVAL: --guest-mib does not apply with --from/);
    const nope = await cliMain("run", "pin-owner", "--from", "/nonexistent/capture");
    expect([nope.code, nope.err]).toEqual([2, "mm-lab: EINVAL: capture directory /nonexistent/capture does not exist\n"]);
    const empty = await cliMain("run", "alloc-stall", "--from", fileURLToPath(new URL(".", import.meta.url)));
    expect(empty.err).toMatch(/^mm-lab: EINVAL: no page_owner dump in /);
    const map = await cliMain("run", "alloc-stall", "--from", FIXTURE, "--map");
    expect(map.err).toMatch(/^mm-lab: EINVAL: --map does not apply with --from/);
  });

  it("run prints which capture it started from, and the same bytes every time", async () => {
    const a = await cliMain("run", "reporting-ab", "--from", SIM, "--policies", "off,fixed", "--json");
    const b = await cliMain("run", "reporting-ab", "--from", SIM, "--policies", "off,fixed", "--json");
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    const rows = a.out.trimEnd().split("\n").slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.policy, r.digest])).toEqual([["off", fromCapture(SIM).digest], ["fixed", fromCapture(SIM).digest]]);
  });

  it("a sweep imports once, equals runOne, and is deterministic", async () => {
    const exp = experimentByName("buddyinfo");
    const spec = sweepSpecOf(exp, { grid: "seconds=0.2,0.4", from: SIM, seeds: "2", seed: "1" });
    fromCapture(SIM);
    const n = fromCaptureImports();
    const r1 = await runSweep(exp, spec, {});
    const r2 = await runSweep(exp, spec, {});
    expect(fromCaptureImports()).toBe(n);
    expect(r1.rows).toHaveLength(4);
    expect(r2.rows).toEqual(r1.rows);
    const c = configOf("buddyinfo", SIM, { seconds: 0.4 });
    const row = r1.rows.find((r) => r.config.seconds === 0.4 && r.seed === 2)!;
    expect(row.metrics).toEqual(exp.runOne(c, 2, undefined).metrics);
    // worker threads import the capture themselves (once each) and give the same rows
    const r3 = await runSweep(exp, spec, { jobs: 2 });
    expect(r3.rows).toEqual(r1.rows);
  });
});

it("the second capture really is another machine", () => {
  const a = fromCapture(FIXTURE).capture.plan.ranges;
  const b = fromCapture(SIM).capture.plan.ranges;
  expect(b.map((r) => [r.startPfn, r.endPfn])).toEqual(SIM_RANGES.map((r) => [r.startPfn, r.endPfn]));
  expect(a).not.toEqual(b);
});

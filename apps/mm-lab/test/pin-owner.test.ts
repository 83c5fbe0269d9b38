/**
 * pin-owner on @mm/buddy + @mm/sim + @mm/stackdepot + @mm/page-ext: mechanisms only (the
 * references a contig migration takes and drops, the retry arithmetic, the per-CPU accounting,
 * determinism, the output formats). Which policy names the holder is the map's business, not a test's.
 * A small machine and a short run keep CI fast.
 */
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import { withoutRunRecord } from "./cli-helper.js";
import { formatPinOwnerMap, mapRun, pinOwnerConfig, pinOwnerExperiment, runPinOwnerMap, runPinOwnerMapJobs } from "../src/experiments/pin-owner.js";
import { allocContigMigrateRange, COMPACT_CLUSTER_MAX, CONTIG_TRIES, type ContigOps, MIGRATE_PASSES } from "../src/experiments/pin-owner/contig.js";
import { grid, meanCi, wilson } from "../src/experiments/pin-owner/local-sweep.js";
import { DEFAULT_CONFIG, type PinOwnerConfig, policies, runPass } from "../src/experiments/pin-owner/run.js";
import { PinOwnerWorld } from "../src/experiments/pin-owner/workload.js";

const SMALL: PinOwnerConfig = {
  ...DEFAULT_CONFIG,
  memoryMb: 64,
  opsPerSec: 20_000,
  pinAtMs: 50,
  failAtMs: 100,
  cmaRetryMs: 200,
  releaseAtMs: 400,
  readAtMs: 1000,
};

async function cli(...args: string[]): Promise<string> {
  let out = "";
  await runCli(new Command().exitOverride(), ["node", "mm-lab", ...args], (s) => {
    out += s;
  });
  return withoutRunRecord(out);
}

describe("__alloc_contig_migrate_range (contig.ts)", () => {
  /** Pages with refcounts; expected = 2 (isolation + page cache). */
  function fake(counts: Map<number, number>) {
    const log: string[] = [];
    let next = 1000;
    const ops: ContigOps = {
      isLruPage: () => true,
      isolate: (p) => {
        counts.set(p, (counts.get(p) ?? 0) + 1);
        log.push(`iso ${p}`);
      },
      migrateOne: (p) => {
        if (counts.get(p) !== 2) return -11;
        counts.delete(p);
        const np = next++;
        counts.set(np, 2);
        return np;
      },
      putbackMoved: (np) => {
        counts.set(np, (counts.get(np) ?? 0) - 1);
        log.push(`moved ${np}`);
      },
      putbackFailed: (p) => {
        counts.set(p, (counts.get(p) ?? 0) - 1);
        log.push(`putback ${p}`);
      },
    };
    return { ops, log };
  }

  it("retries a busy page 10 passes x 5 migrate_pages calls, then puts the isolation reference back", () => {
    const counts = new Map<number, number>([
      [0, 1],
      [1, 2], // held by someone else too: count 3 once isolated
      [2, 1],
    ]);
    const { ops, log } = fake(counts);
    const r = allocContigMigrateRange(ops, 0, 3, (p) => counts.has(p));
    expect(r.ret).toBe(-16);
    expect(r.migrateCalls).toBe(CONTIG_TRIES);
    expect(r.eagain).toBe(CONTIG_TRIES * MIGRATE_PASSES);
    expect(r.migrated).toBe(2);
    expect(r.putBack).toEqual([1]);
    expect(counts.get(1)).toBe(2); // back to what it was: isolation taken, put back
    expect(log.filter((l) => l.startsWith("putback"))).toEqual(["putback 1"]);
  });

  it("isolates COMPACT_CLUSTER_MAX pages per batch and never reaches pages after a failing batch", () => {
    const counts = new Map<number, number>();
    for (let p = 0; p < 3 * COMPACT_CLUSTER_MAX; p++) counts.set(p, 1);
    counts.set(5, 2);
    const { ops, log } = fake(counts);
    const r = allocContigMigrateRange(ops, 0, 3 * COMPACT_CLUSTER_MAX, (p) => counts.has(p));
    expect(r.ret).toBe(-16);
    expect(log.filter((l) => l.startsWith("iso")).length).toBe(COMPACT_CLUSTER_MAX);
    expect(r.migrated).toBe(COMPACT_CLUSTER_MAX - 1);
  });

  it("succeeds when every page has the expected count", () => {
    const counts = new Map<number, number>([
      [0, 1],
      [3, 1],
    ]);
    const { ops } = fake(counts);
    expect(allocContigMigrateRange(ops, 0, 4, (p) => counts.has(p))).toMatchObject({ ret: 0, migrated: 2, eagain: 0, migrateCalls: 1 });
  });
});

describe("pin-owner workload", () => {
  it("carries the reference counts through a failed and a successful migration", () => {
    const w = new PinOwnerWorld({ ...SMALL, nrPins: 2 });
    w.fill();
    expect(w.pin()).toBe(2);
    const [a, b] = w.pins;
    expect(Math.floor(a / COMPACT_CLUSTER_MAX)).toBe(Math.floor(b / COMPACT_CLUSTER_MAX));
    expect(w.machine.pageCount(a)).toBe(2); // page cache + driver
    const fails: number[] = [];
    w.machine.addHooks({ migrateFail: (pfn, _r, err) => fails.push(pfn, err) });
    const r = w.cmaAlloc();
    expect(r.ret).toBe(-16);
    // Only the first pinned page's batch fails; 10 passes x 5 calls, each reported with -EAGAIN.
    expect(fails.filter((_, i) => i % 2 === 1).every((e) => e === -11)).toBe(true);
    expect(r.eagain).toBe(fails.length / 2);
    expect(r.eagain % (CONTIG_TRIES * MIGRATE_PASSES)).toBe(0);
    // putback: the isolation reference dropped, lru_cache_add's reference in the batch.
    for (const p of r.putBack) expect(w.machine.pageCount(p)).toBe(3);
    w.drain(w.cmaTask, "drainForContig");
    expect(w.machine.pageCount(a)).toBe(2);
    w.unpin();
    expect(w.machine.pageCount(a)).toBe(1);
    const ok = w.cmaAlloc();
    expect(ok.ret).toBe(0);
    w.machine.checkInvariants();
  });
});

describe("pin-owner experiment", () => {
  const pass = runPass(SMALL, policies(), [600, 1000]);

  it("gives every policy the same workload and reads at each time asked", () => {
    expect(pass.reads.map((r) => r[0].readAtMs)).toEqual([600, 1000]);
    for (const row of pass.reads) expect(new Set(row.map((r) => r.putsPerSec)).size).toBe(1);
    const alone = runPass(SMALL, [policies()[0]]);
    expect(alone.reads[0][0].putsPerSec).toBe(pass.reads[1][0].putsPerSec);
    alone.world.machine.checkInvariants();
  });

  it("accounts buffers per CPU: nrCpus rings of buffer_size_kb, plus the failure instance", () => {
    const byId = new Map(pass.reads[1].map((r) => [r.id, r]));
    const ring = Math.ceil((SMALL.bufferKb * 1024) / 4080) * 4080;
    expect(byId.get("rfc-v2")?.bufferBytes).toBe(SMALL.nrCpus * ring);
    expect(byId.get("ref-cma")?.bufferBytes).toBe(2 * SMALL.nrCpus * ring);
    expect(byId.get("pinner")?.bufferBytes).toBe(4096 * 56);
    for (const r of pass.reads[1]) {
      expect(r.culpritHeld + r.culpritAmbiguous + r.culpritMissing).toBe(r.pins);
      expect(r.completeWindowMs).toBeLessThanOrEqual(r.readAtMs);
    }
  });

  it("prints the same JSON for the same seed, with config and seed, and a table within 100 columns", async () => {
    const args = ["run", "pin-owner", "--memory-mb", "64", "--ops-per-sec", "5000", "--release-at-ms", "600", "--read-at-ms", "800", "--json"];
    const a = await cli(...args);
    expect(await cli(...args)).toBe(a);
    const rows = a.trim().split("\n").map((l) => JSON.parse(l) as { id: string; seed: number; config: { memoryMb: number } });
    expect(rows.map((r) => r.id)).toEqual(policies().map((p) => p.id));
    expect(rows[0].seed).toBe(1);
    expect(rows[0].config.memoryMb).toBe(64);
    const table = await cli("run", "pin-owner", "--memory-mb", "64", "--ops-per-sec", "5000", "--release-at-ms", "600", "--read-at-ms", "800");
    const tableLines = table.split("\n");
    const cut = tableLines.findIndex((l) => l.startsWith("/sys/kernel/tracing/trace"));
    for (const l of tableLines.slice(0, cut)) expect(l.length).toBeLessThanOrEqual(100);
    expect(table).toContain("reason=contig_range err=-11");
  });

  it("rejects bad arguments", () => {
    expect(() => pinOwnerConfig({ memoryMb: "-1" })).toThrow(/memory-mb/);
    expect(() => pinOwnerConfig({ readAtMs: "abc" })).toThrow(/read-at-ms/);
    expect(() => pinOwnerConfig({ nrCpus: "1.5" })).toThrow(/nr-cpus/);
  });
});

describe("pin-owner map", () => {
  it("a batched map cell equals runOne of that cell (the sweep API's per-run function)", () => {
    const params = {
      memoryMb: 64,
      opsPerSec: 20_000,
      nrCpus: 8,
      bufferKb: 1408,
      nrPins: 4,
      releaseAtMs: 2000,
      readAtMs: 3000,
      hotReadsPerSec: 20,
      refilterDelayMs: 1000,
      map: false,
    };
    const config = { ...DEFAULT_CONFIG, ...params };
    const cells = mapRun(config, 2, ["ref-cma"]);
    const cell = cells.find((r) => r.nrCpus === 8 && r.bufferKb === 1408 && r.readAtMs === 3000);
    const one = pinOwnerExperiment.runOne(params, 2, "ref-cma").metrics;
    expect(cell).toBeDefined();
    expect(one.completeWindowMs).toBe(cell?.completeWindowMs);
    expect(one.lostEvents).toBe(cell?.lostEvents);
    expect(one.culpritHeld).toBe(cell?.culpritHeld);
    expect(one.bytesPerSec).toBe(cell?.bytesPerSec);
    const text = formatPinOwnerMap(config, runPinOwnerMap(config, [1, 2], ["rfc-v2"]));
    for (const l of text.split("\n")) expect(l.length).toBeLessThanOrEqual(100);
  });

  it("the map on worker threads equals the map in this thread (seeds kept in order)", async () => {
    // a light workload: the property is about ordering and equality, not the numbers
    const config = { ...DEFAULT_CONFIG, memoryMb: 64, opsPerSec: 5_000 };
    const ids = ["ref-cma"];
    const here = runPinOwnerMap(config, [2, 1], ids);
    let ticks = 0;
    const there = await runPinOwnerMapJobs(config, [2, 1], ids, 2, () => void ticks++);
    expect(there).toEqual(here);
    expect(ticks).toBe(2);
  });
});

describe("the local sweep's statistics", () => {
  it("computes Wilson and t intervals and a grid", () => {
    const [lo, hi] = wilson(10, 10);
    expect(lo).toBeCloseTo(0.7225, 3);
    expect(hi).toBeCloseTo(1, 12);
    expect(wilson(0, 0)).toEqual([0, 1]);
    const m = meanCi([1, 2, 3]);
    expect(m.mean).toBe(2);
    expect(m.hi - m.mean).toBeCloseTo((4.303 * 1) / Math.sqrt(3), 6);
    expect(grid({ a: [1, 2], b: ["x", "y"] })).toEqual([
      { a: 1, b: "x" },
      { a: 1, b: "y" },
      { a: 2, b: "x" },
      { a: 2, b: "y" },
    ]);
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it, vi } from "vitest";
import { experimentByName, main } from "../src/cli.js";
import { mergeStores, queryDb } from "../src/commands/query.js";
import { sweepSpecOf } from "../src/commands/sweep.js";
import { bootstrapMean } from "../src/stats/bootstrap.js";
import { wilson } from "../src/stats/wilson.js";
import { rowsToJsonl } from "../src/store/rows.js";
import { gridPoints, lhsPoints, parseGrid } from "../src/sweep/grid.js";
import { makePlan, parseShard, shardTasks } from "../src/sweep/plan.js";
import { closePool, PREFETCH } from "../src/sweep/pool.js";
import { runSweep } from "../src/sweep/run.js";
import { threadCpuNs } from "../src/sweep/thread-cpu.js";
import { cliMain } from "./cli-helper.js";

const dir = mkdtempSync(join(tmpdir(), "mm-lab-sweep-"));
afterAll(async () => {
  await closePool();
  rmSync(dir, { recursive: true, force: true });
});
let n = 0;
const file = (ext: string): string => join(dir, `s${n++}.${ext}`);

const buddy = experimentByName("buddyinfo");
// a small, quick plan: 2 cells x 3 seeds of a 32/48 MiB machine for 0.2 simulated seconds
const spec = sweepSpecOf(buddy, { grid: "memory=32,48", seconds: "0.2", seeds: "3", seed: "5" });

describe("grid and sample", () => {
  const exp = experimentByName("reporting-ab");
  it("parses ranges with steps, unit suffixes and lists", () => {
    const axes = parseGrid(exp.params, "freedMib=64..256:64,guestMib=512M,1G");
    expect(axes.map((a) => [a.name, a.values])).toEqual([
      ["freedMib", [64, 128, 192, 256]],
      ["guestMib", [512, 1024]],
    ]);
    const base = Object.fromEntries(Object.entries(exp.params).map(([k, s]) => [k, s.default]));
    expect(gridPoints(exp.params, base, axes)).toHaveLength(8);
  });
  it("rejects unknown axes, bad values and non-axes with EINVAL", () => {
    expect(() => parseGrid(exp.params, "nope=1")).toThrow(/EINVAL: --grid: unknown parameter "nope"/);
    expect(() => parseGrid(exp.params, "guestMib=12")).toThrow(/EINVAL: --guest-mib expects/);
    expect(() => parseGrid(exp.params, "series=x")).toThrow(/not a sweep axis/);
  });
  it("LHS uses every stratum of every axis once, and is seeded", () => {
    const axes = parseGrid(exp.params, "startDelayRatio=0..1,madvisedPct=10..50");
    const base = Object.fromEntries(Object.entries(exp.params).map(([k, s]) => [k, s.default]));
    const a = lhsPoints(exp.params, base, axes, 20, 7);
    expect(lhsPoints(exp.params, base, axes, 20, 7)).toEqual(a);
    expect(lhsPoints(exp.params, base, axes, 20, 8)).not.toEqual(a);
    const strata = a.map((p) => Math.floor((p.startDelayRatio as number) * 20));
    expect(new Set(strata).size).toBe(20);
    const strata2 = a.map((p) => Math.floor((((p.madvisedPct as number) - 10) / 40) * 20));
    expect(new Set(strata2).size).toBe(20);
  });
});

describe("statistics", () => {
  it("Wilson 95 % matches the closed form", () => {
    const z = wilson(0, 10);
    expect(z.lo).toBe(0);
    expect(z.hi).toBeCloseTo(0.2775, 4);
    const h = wilson(5, 10);
    expect(h.lo).toBeCloseTo(0.2366, 4);
    expect(h.hi).toBeCloseTo(0.7634, 4);
    expect(wilson(10, 10).hi).toBe(1);
  });
  it("the bootstrap is seeded and covers the mean", () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const a = bootstrapMean(xs, 1);
    expect(bootstrapMean(xs, 1)).toEqual(a);
    expect(a.lo).toBeLessThan(5.5);
    expect(a.hi).toBeGreaterThan(5.5);
    expect(a.lo).toBeGreaterThan(3);
  });
});

describe("shards", () => {
  it("shard index from the job array environment", () => {
    expect(parseShard("auto/4", { JOB_COMPLETION_INDEX: "2" })).toEqual({ index: 2, count: 4 });
    expect(parseShard("auto", { SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "4" })).toEqual({ index: 3, count: 4 });
    expect(() => parseShard("4/4", {})).toThrow(/EINVAL/);
    expect(() => parseShard("auto/2", {})).toThrow(/JOB_COMPLETION_INDEX/);
  });

  it("every task is in exactly one shard", () => {
    const plan = makePlan(buddy, spec);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), (count) => {
        const all = Array.from({ length: count }, (_, i) => shardTasks(plan, { index: i, count })).flat();
        expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: plan.total }, (_, i) => i));
      }),
    );
  });

  it("shards + merge equal the one-machine run (same rows, byte-identical JSONL), for random N", async () => {
    const singleDb = file("duckdb");
    const single = await runSweep(buddy, spec, { store: singleDb });
    const singleJsonl = rowsToJsonl(buddy, single.rows);
    expect(single.rows).toHaveLength(6);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 7 }), async (count) => {
        const shards: string[] = [];
        for (let i = 0; i < count; i++) {
          const f = file("duckdb");
          await runSweep(buddy, spec, { store: f, shard: { index: i, count } });
          shards.push(f);
        }
        const target = file("duckdb");
        const merged = await mergeStores(shards.reverse(), target);
        expect(rowsToJsonl(buddy, merged.rows)).toBe(singleJsonl);
        const q = "SELECT * EXCLUDE (task) FROM results ORDER BY task";
        expect((await queryDb(target, q)).rows).toEqual((await queryDb(singleDb, q)).rows);
      }),
      { numRuns: 4 },
    );
  });

  it("merge refuses stores of different plans", async () => {
    const a = file("duckdb");
    const b = file("duckdb");
    await runSweep(buddy, spec, { store: a, shard: { index: 0, count: 2 } });
    await runSweep(buddy, { ...spec, seeds: { first: 6, count: 3 } }, { store: b, shard: { index: 1, count: 2 } });
    await expect(mergeStores([a, b], file("duckdb"))).rejects.toThrow(/EINVAL: merge: .* is plan/);
  });

  it("merge refuses a missing shard and an incomplete one, and keeps every shard's runs rows", async () => {
    const shards = [file("duckdb"), file("duckdb"), file("duckdb")];
    await runSweep(buddy, spec, { store: shards[0], shard: { index: 0, count: 3 } });
    await runSweep(buddy, spec, { store: shards[1], shard: { index: 1, count: 3 } });
    await expect(mergeStores(shards.slice(0, 2), file("duckdb"))).rejects.toThrow(/EINVAL: merge: shard 2 of 3 missing/);
    const ac = new AbortController();
    ac.abort();
    await runSweep(buddy, spec, { store: shards[2], shard: { index: 2, count: 3 }, signal: ac.signal });
    await expect(mergeStores(shards, file("duckdb"))).rejects.toThrow(/EINVAL: merge: 4 of the plan's 6 runs are stored/);
    await runSweep(buddy, spec, { store: shards[2], shard: { index: 2, count: 3 }, resume: true });
    const target = file("duckdb");
    await mergeStores(shards, target);
    const runs = await queryDb(target, "SELECT session, shard_index, shard_count, runs, hash, version FROM runs");
    const hash = makePlan(buddy, spec).hash;
    expect(runs.rows).toEqual([
      { session: 0, shard_index: 0, shard_count: 3, runs: 2, hash, version: "0.0.0" },
      { session: 0, shard_index: 1, shard_count: 3, runs: 2, hash, version: "0.0.0" },
      { session: 0, shard_index: 2, shard_count: 3, runs: 0, hash, version: "0.0.0" },
      { session: 1, shard_index: 2, shard_count: 3, runs: 2, hash, version: "0.0.0" },
    ]);
  });
});

describe("interrupt and resume", () => {
  it("a sweep aborted part-way leaves a valid store; --resume completes it to the same rows", async () => {
    const whole = await runSweep(buddy, spec, {});
    const f = file("duckdb");
    const ac = new AbortController();
    let seen = 0;
    const partial = await runSweep(buddy, spec, {
      store: f,
      flushRows: 1,
      signal: ac.signal,
      onProgress: (done) => {
        seen = done;
        if (done === 2) ac.abort();
      },
    });
    expect(seen).toBe(2);
    expect(partial.interrupted).toBe(true);
    expect(partial.rows).toHaveLength(2);
    await expect(runSweep(buddy, spec, { store: f })).rejects.toThrow(/--resume/);
    // --resume without a store yet starts one (a job array's retried task runs the same command)
    const fresh = await runSweep(buddy, spec, { store: file("duckdb"), resume: true });
    expect(rowsToJsonl(buddy, fresh.rows)).toBe(rowsToJsonl(buddy, whole.rows));
    const resumed = await runSweep(buddy, spec, { store: f, resume: true });
    expect(resumed.ran).toBe(4);
    expect(resumed.interrupted).toBe(false);
    expect(rowsToJsonl(buddy, resumed.rows)).toBe(rowsToJsonl(buddy, whole.rows));
    await expect(runSweep(buddy, { ...spec, seeds: { first: 1, count: 3 } }, { store: f, resume: true })).rejects.toThrow(/another sweep/);
    // the runs table: one row per invocation that wrote, with what it stored and the code's revision
    const runs = await queryDb(f, "SELECT session, runs, revision FROM runs ORDER BY session");
    expect(runs.rows.map((r) => [r.session, r.runs])).toEqual([
      [0, 2],
      [1, 4],
    ]);
    expect(runs.rows[0].revision).toBe(runs.rows[1].revision);
  });
});

describe("worker pool", () => {
  it("--jobs 2 (worker threads on the TypeScript sources) gives the rows of --jobs 1", async () => {
    const one = await runSweep(buddy, spec, { jobs: 1 });
    const two = await runSweep(buddy, spec, { jobs: 2 });
    expect(rowsToJsonl(buddy, two.rows)).toBe(rowsToJsonl(buddy, one.rows));
  });

  it("a failing run stops the pool with its error; the failed worker is not reused", async () => {
    const bad = { ...makePlan(buddy, spec), cells: [{ ...makePlan(buddy, spec).cells[0], memory: -1 }, makePlan(buddy, spec).cells[1]] };
    await expect(runSweep(buddy, bad, { jobs: 2 })).rejects.toThrow();
    const ok = await runSweep(buddy, spec, { jobs: 2 });
    expect(ok.rows).toHaveLength(6);
  });

  it("an abort with tasks in flight in the workers stores whole rows only; --resume completes it", async () => {
    const whole = await runSweep(buddy, spec, { jobs: 1 });
    const f = file("duckdb");
    const ac = new AbortController();
    const partial = await runSweep(buddy, spec, { jobs: 2, store: f, flushRows: 1, signal: ac.signal, onProgress: (done) => done === 1 && ac.abort() });
    expect(partial.interrupted).toBe(true);
    // what was in flight when it aborted finishes (at most PREFETCH per worker), nothing more starts
    expect(partial.rows.length).toBeGreaterThanOrEqual(1);
    expect(partial.rows.length).toBeLessThanOrEqual(Math.min(whole.rows.length - 1, 2 * PREFETCH));
    const resumed = await runSweep(buddy, spec, { jobs: 2, store: f, resume: true });
    expect(resumed.ran).toBe(whole.rows.length - partial.rows.length);
    expect(rowsToJsonl(buddy, resumed.rows)).toBe(rowsToJsonl(buddy, whole.rows));
  });

  it.runIf(threadCpuNs() !== null)("the profile counts every run and splits thread CPU into runs, start-up and the main thread", async () => {
    const t0 = threadCpuNs()!;
    let x = 0;
    for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
    expect(x).toBeGreaterThan(0);
    expect(threadCpuNs()!).toBeGreaterThan(t0);
    await closePool(); // fresh workers: their start-up shows
    const one = await runSweep(buddy, spec, { jobs: 1, profile: true });
    const two = await runSweep(buddy, spec, { jobs: 2, profile: true });
    expect(one.profile).toMatchObject({ workers: 0, runs: 6, startNs: 0 });
    expect(two.profile).toMatchObject({ workers: 2, runs: 6 });
    // the workers went back warm: a new sweep's workers have no start-up left to pay
    const again = await runSweep(buddy, spec, { jobs: 2, profile: true });
    expect(again.profile).toMatchObject({ workers: 2, runs: 6, startNs: 0 });
    expect(rowsToJsonl(buddy, again.rows)).toBe(rowsToJsonl(buddy, two.rows));
    // thread CPU reads may lag by a tick (see thread-cpu.ts), so only sums over the sweep are
    // compared: a worker loads the experiment registry (through tsx here, ~0.1 s or more) before
    // its first run, and the 6 runs take several ticks either way
    expect(two.profile!.startNs).toBeGreaterThan(0);
    for (const p of [one.profile!, two.profile!]) expect(p.runNs + p.mainNs + p.startNs).toBeGreaterThan(0);
    expect((await runSweep(buddy, spec, { jobs: 2 })).profile).toBeNull();
  });
});

describe("the CLI", () => {
  it("sweep writes a store that query reads; bad grid values exit 2 with one line", async () => {
    const db = file("duckdb");
    const jsonl = file("jsonl");
    const r = await cliMain("sweep", "buddyinfo", "--grid", "memory=32,48", "--seconds", "0.2", "--seeds", "2", "--jobs", "1", "--db", db, "--out", jsonl);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 cells x 1 policies x 2 seeds = 4 runs/);
    // the footer says how to re-run it: grid, seeds, base config, version and revision
    expect(r.out).toMatch(/\n# grid memory=32,48; seeds 1\.\.2\n# base config: [^\n]*seconds=0\.2[^\n]*\n# @mm\/lab 0\.0\.0, git /);
    const js = await cliMain("sweep", "buddyinfo", "--grid", "memory=32,48", "--seconds", "0.2", "--seeds", "2", "--jobs", "1", "--db", file("duckdb"), "--json");
    const record = JSON.parse(js.out.trimEnd().split("\n").at(-1)!) as { mmLab: Record<string, unknown> };
    expect(record.mmLab).toMatchObject({ experiment: "buddyinfo", grid: "memory=32,48", seeds: { first: 1, count: 2 }, version: "0.0.0" });
    expect((record.mmLab.base as Record<string, unknown>).seconds).toBe(0.2);
    const q = await cliMain("query", db, "SELECT memory, count(*) AS n FROM results GROUP BY memory ORDER BY memory", "--json");
    expect(q.out).toBe('{"memory":32,"n":"2"}\n{"memory":48,"n":"2"}\n');
    const bad = await cliMain("sweep", "buddyinfo", "--grid", "memory=huge", "--db", file("duckdb"));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^mm-lab: EINVAL: --memory expects a size in [^\n]*\n$/);
    const notDb = await cliMain("query", jsonl, "SELECT 1");
    expect(notDb.code).toBe(2);
    expect(notDb.err).toMatch(/^mm-lab: EINVAL: .*jsonl: not a DuckDB database[^\n]*\n$/);
    const badSql = await cliMain("query", db, "SELEC nonsense");
    expect(badSql.code).toBe(2);
    expect(badSql.err.split("\n")).toHaveLength(2);
  });
});

describe("sweep's own flags: each bad value exits 2 with one line", () => {
  const cases: [string[], RegExp][] = [
    [["--jobs", "abc"], /--jobs expects an integer in 1\.\.256, got "abc"/],
    [["--jobs", "0"], /--jobs expects an integer in 1\.\.256/],
    [["--shard", "3/2"], /--shard expects i\/N with 0 <= i < N, got "3\/2"/],
    [["--shard", "x"], /--shard expects i\/N/],
    [["--sample", "lhs:x", "--grid", "memory=32..64"], /--sample expects lhs:N, got "lhs:x"/],
    [["--sample", "lhs:5"], /--sample lhs:N needs ranges in --grid/],
    [["--grid", "nope=1"], /--grid: unknown parameter "nope" \(known: /],
    [["--grid", "memory=32,32"], /--grid: memory=32 given twice/],
    [["--metrics", "nope"], /--metrics: unknown metric "nope" \(known: /],
    [["--seeds", "abc"], /--seeds expects an integer, got "abc"/],
    [["--db", join(dir, "no-such-dir", "x.duckdb")], /cannot open it as a DuckDB database/],
  ];
  for (const [args, re] of cases) {
    it(args.join(" "), async () => {
      const r = await cliMain("sweep", "buddyinfo", "--seconds", "0.2", "--seeds", "1", "--db", file("duckdb"), ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`^mm-lab: EINVAL: [^\\n]*${re.source}[^\\n]*\\n$`));
      expect(r.out).toBe("");
    });
  }
  it("no experiment, or an unknown one, lists the known ones", async () => {
    for (const argv of [["sweep"], ["sweep", "nope"], ["run"]]) {
      const r = await cliMain(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^mm-lab: EINVAL: [^\n]*\(known: reporting-ab, [^\n]*buddyinfo[^\n]*\)\n$/);
    }
  });
  it("a run that fails exits 1 with one line; MM_LAB_DEBUG adds the stack", async () => {
    vi.spyOn(buddy, "runOne").mockImplementation(() => {
      throw new Error("boom in runOne");
    });
    const argv = ["node", "mm-lab", "sweep", "buddyinfo", "--seconds", "0.2", "--seeds", "1", "--jobs", "1"];
    for (const debug of [false, true]) {
      let err = "";
      const code = await main([...argv, "--db", file("duckdb")], { out: () => {}, err: (x) => (err += x), debug });
      expect(code).toBe(1);
      expect(err.split("\n")[0]).toBe("mm-lab: ERROR: boom in runOne");
      if (debug) expect(err).toMatch(/\n {4}at /);
      else expect(err).toBe("mm-lab: ERROR: boom in runOne\n");
    }
  });
});

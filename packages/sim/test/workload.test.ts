import { GFP_KERNEL, GFP_HIGHUSER_MOVABLE } from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  bootPreset,
  createPrng,
  createSim,
  createWorkload,
  createWorkloadDriver,
  pageCachePreset,
  recordWorkload,
  sampleDist,
  validateDist,
  type WorkloadTarget,
} from "@mm/sim";

/** A fake allocator: counts pages, fails beyond capacity, checks frees and refcounts. */
function fakeAllocator(capacityPages: number) {
  let used = 0;
  let next = 0;
  const live = new Map<number, { order: number; refs: number }>();
  const log: string[] = [];
  const target: Required<WorkloadTarget> = {
    allocate(order, gfp) {
      if (used + 2 ** order > capacityPages) {
        log.push(`fail ${order} ${gfp}`);
        return -1;
      }
      used += 2 ** order;
      const id = next++;
      live.set(id, { order, refs: 1 });
      log.push(`alloc ${id} ${order} ${gfp}`);
      return id;
    },
    free(id, order) {
      const e = live.get(id);
      if (e === undefined || e.order !== order) throw new Error(`bad free ${id} ${order}`);
      log.push(`free ${id}`);
      if (--e.refs === 0) {
        live.delete(id);
        used -= 2 ** order;
      }
    },
    get(id) {
      const e = live.get(id);
      if (e === undefined) throw new Error(`get on dead ${id}`);
      e.refs++;
    },
    put(id) {
      const e = live.get(id);
      if (e === undefined) throw new Error(`put on dead ${id}`);
      if (--e.refs === 0) {
        live.delete(id);
        used -= 2 ** e.order;
      }
    },
  };
  return { target, live, log, used: () => used };
}

describe("Dist", () => {
  it("samples each kind and validates", () => {
    const p = createPrng(1);
    expect(sampleDist(p, { kind: "fixed", value: 5 })).toBe(5);
    expect(sampleDist(p, { kind: "forever" })).toBe(Infinity);
    const u = sampleDist(p, { kind: "uniform", min: 10, max: 20 });
    expect(u >= 10 && u < 20).toBe(true);
    let s = 0;
    for (let i = 0; i < 20000; i++) s += sampleDist(p, { kind: "lognormal", median: 100, sigma: 0 });
    expect(s / 20000).toBeCloseTo(100, 6);
    let inf = 0;
    for (let i = 0; i < 10000; i++) {
      if (sampleDist(p, { kind: "mix", parts: [{ weight: 1, dist: { kind: "forever" } }, { weight: 3, dist: { kind: "exp", mean: 5 } }] }) === Infinity) inf++;
    }
    expect(Math.abs(inf / 10000 - 0.25)).toBeLessThan(0.02);
    expect(() => validateDist({ kind: "exp", mean: 0 })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    expect(() => validateDist({ kind: "uniform", min: 5, max: 5 })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    expect(() => validateDist({ kind: "mix", parts: [] })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    expect(() => validateDist({ kind: "nope" } as never)).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
  });
});

describe("Workload", () => {
  const simple = (seed: number) =>
    createWorkload({
      prng: createPrng(seed),
      ratePerSec: 1000,
      orderWeights: [6, 3, 1],
      gfp: GFP_KERNEL,
      lifetimeNs: { kind: "exp", mean: 5e6 },
    });

  it("is deterministic by seed, differs across seeds, and reset() replays", () => {
    const a = simple(1).take(500);
    expect(simple(1).take(500)).toEqual(a);
    expect(simple(2).take(500)).not.toEqual(a);
    const w = simple(1);
    w.take(100);
    w.reset();
    expect(w.take(500)).toEqual(a);
  });

  it("has the configured rate, order mix and lifetime mean", () => {
    const arr = simple(3).take(20000);
    const last = arr[arr.length - 1].atNs;
    expect(20000 / (last / 1e9)).toBeGreaterThan(970);
    expect(20000 / (last / 1e9)).toBeLessThan(1030);
    const orders = [0, 0, 0];
    for (const a of arr) orders[a.order]++;
    expect(Math.abs(orders[0] / 20000 - 0.6)).toBeLessThan(0.02);
    expect(Math.abs(orders[2] / 20000 - 0.1)).toBeLessThan(0.01);
    const meanLife = arr.reduce((s, a) => s + a.lifetimeNs, 0) / arr.length;
    expect(meanLife / 5e6).toBeCloseTo(1, 1);
    expect(arr.every((a, i) => i === 0 || a.atNs >= arr[i - 1].atNs)).toBe(true);
    expect(arr.every((a) => Number.isInteger(a.atNs) && Number.isInteger(a.lifetimeNs) && a.gfp === GFP_KERNEL)).toBe(true);
  });

  it("stops at maxArrivals and durationNs; uniform arrivals are evenly spaced", () => {
    const p = createPrng(4);
    const w = createWorkload({ prng: p, ratePerSec: 100, orderWeights: [1], gfp: 0, lifetimeNs: { kind: "forever" }, maxArrivals: 7 });
    expect(w.take(100).length).toBe(7);
    const u = createWorkload({ prng: p, ratePerSec: 100, arrivals: "uniform", orderWeights: [1], gfp: 0, lifetimeNs: { kind: "forever" }, durationNs: 1e9 });
    const ua = u.take(1000);
    expect(ua.length).toBe(100);
    expect(ua.slice(0, 3).map((a) => a.atNs)).toEqual([1e7, 2e7, 3e7]);
    expect(ua[0].lifetimeNs).toBe(Infinity);
  });

  it("rejects bad configuration", () => {
    const prng = createPrng(1);
    const base = { prng, ratePerSec: 10, orderWeights: [1], gfp: 0, lifetimeNs: { kind: "forever" } as const };
    expect(() => createWorkload({ ...base, ratePerSec: 0 })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    expect(() => createWorkload({ ...base, orderWeights: [] })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    expect(() => createWorkload({ ...base, orderWeights: [0, 0] })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    expect(() => createWorkload({ ...base, gfp: -1 })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    expect(() => createWorkload({ prng, ratePerSec: 1 })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    expect(() => createWorkload({ ...base, sites: [] })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    expect(() => createWorkload({ ...base, refs: { ratePerSec: 1, holdNs: { kind: "exp", mean: -1 } } })).toThrow(
      expect.objectContaining({ code: "BAD_CONFIG" }),
    );
  });
});

describe("WorkloadDriver", () => {
  it("allocates at arrival times and frees at t + lifetime, as the site's task with its stack", () => {
    const sim = createSim({ seed: 5 });
    const fake = fakeAllocator(1 << 20);
    const seen: string[] = [];
    const target: WorkloadTarget = {
      allocate: (order, gfp) => {
        const cur = sim.current();
        seen.push(`${sim.now()} ${cur.comm} ${sim.symbols.symbolizeAll(cur.stack, cur.depth).join(",")}`);
        return fake.target.allocate(order, gfp);
      },
      free: (id, order) => {
        const cur = sim.current();
        seen.push(`free ${cur.comm} ${sim.symbols.symbolizeAll(cur.stack, cur.depth).join(",")}`);
        fake.target.free(id, order);
      },
    };
    const opts = {
      ratePerSec: 1e6,
      maxArrivals: 3,
      sites: [
        {
          gfp: GFP_KERNEL,
          orderWeights: [1],
          lifetimeNs: { kind: "fixed", value: 1000 } as const,
          comm: "kworker/0:1",
          kthread: true,
          trace: ["inner+0x1/0x10", "outer+0x2/0x20"],
          freeTrace: ["free_inner+0x3/0x30"],
        },
      ],
    };
    const wl = createWorkload({ ...opts, prng: sim.prng.fork("wl") });
    const arrivals = createWorkload({ ...opts, prng: sim.prng.fork("wl") }).take(3);
    const d = createWorkloadDriver(sim, wl, target);
    d.start();
    sim.runAll();
    expect(seen.filter((s) => !s.startsWith("free")).map((s) => Number(s.split(" ")[0]))).toEqual(arrivals.map((a) => a.atNs));
    expect(seen[0]).toMatch(/^\d+ kworker\/0:1 inner\+0x1\/0x10,outer\+0x2\/0x20$/);
    expect(seen.filter((s) => s.startsWith("free"))).toEqual(Array(3).fill("free kworker/0:1 free_inner+0x3/0x30"));
    expect(d.stats).toMatchObject({ arrivals: 3, allocated: 3, failed: 0, freed: 3, live: 0, livePages: 0 });
    const kw = sim.tasks.byPid(1);
    expect(kw?.comm).toBe("kworker/0:1");
    expect(kw?.kthread).toBe(true);
    expect(kw?.depth).toBe(0);
    expect(sim.current()).toBe(sim.tasks.idle);
    sim.checkInvariants();
  });

  it("counts failures, keeps forever allocations live, freeAll releases them", () => {
    const sim = createSim({ seed: 6 });
    const fake = fakeAllocator(64);
    const wl = createWorkload({ prng: sim.prng.fork("w"), ratePerSec: 1000, maxArrivals: 100, orderWeights: [1, 1, 1], gfp: 0, lifetimeNs: { kind: "forever" } });
    const d = createWorkloadDriver(sim, wl, fake.target);
    d.start();
    sim.runAll();
    expect(d.stats.arrivals).toBe(100);
    expect(d.stats.failed).toBeGreaterThan(0);
    expect(d.stats.allocated + d.stats.failed).toBe(100);
    expect(d.stats.livePages).toBe(fake.used());
    let n = 0;
    d.forEachLive(() => n++);
    expect(n).toBe(d.stats.live);
    d.freeAll();
    expect(fake.used()).toBe(0);
    expect(d.stats.live).toBe(0);
    expect(fake.live.size).toBe(0);
  });

  it("same seed -> byte-identical allocator log; different allocator capacity -> same offered load", () => {
    const run = (seed: number, cap: number) => {
      const sim = createSim({ seed });
      const fake = fakeAllocator(cap);
      const wl = createWorkload({ ...pageCachePreset({ arrivals: 3000, ratePerSec: 50000 }), prng: sim.prng.fork("pc") });
      const offered: string[] = [];
      const d = createWorkloadDriver(sim, wl, fake.target, { onAlloc: (a) => offered.push(`${a.seq} ${a.atNs} ${a.order} ${a.gfp}`) });
      d.start();
      sim.runAll();
      sim.checkInvariants();
      expect(fake.live.size).toBe(0);
      return { log: fake.log.join("\n"), offered: offered.join("\n"), stats: d.stats };
    };
    const a = run(11, 1 << 20);
    expect(run(11, 1 << 20).log).toBe(a.log);
    expect(run(12, 1 << 20).log).not.toBe(a.log);
    const small = run(11, 200);
    expect(small.offered).toBe(a.offered);
    expect(small.stats.failed).toBeGreaterThan(0);
    expect(a.stats.refs).toBeGreaterThan(3000);
  });

  it("refs need target get/put", () => {
    const sim = createSim();
    const wl = createWorkload({ ...pageCachePreset(), prng: sim.prng });
    expect(() => createWorkloadDriver(sim, wl, { allocate: () => 0, free: () => undefined })).toThrow(
      expect.objectContaining({ code: "BAD_CONFIG" }),
    );
  });

  it("stop() ends arrivals but pending frees still run", () => {
    const sim = createSim({ seed: 3 });
    const fake = fakeAllocator(1 << 20);
    const wl = createWorkload({ prng: sim.prng, ratePerSec: 1000, orderWeights: [1], gfp: 0, lifetimeNs: { kind: "fixed", value: 5e9 } });
    const d = createWorkloadDriver(sim, wl, fake.target);
    d.start();
    sim.runUntil(1e9);
    d.stop();
    expect(d.active).toBe(false);
    const allocated = d.stats.allocated;
    expect(allocated).toBeGreaterThan(900);
    sim.runAll();
    expect(d.stats.allocated).toBe(allocated);
    expect(d.stats.freed).toBe(allocated);
    expect(() => {
      d.start();
      d.start();
    }).toThrow(expect.objectContaining({ code: "BAD_STATE" }));
  });
});

describe("recordWorkload", () => {
  it("lists allocs and frees in driver order, every alloc freed exactly once at t + L", () => {
    const sim = createSim({ seed: 8 });
    const wl = createWorkload({ prng: sim.prng.fork("x"), ratePerSec: 1e4, orderWeights: [1, 1], gfp: GFP_HIGHUSER_MOVABLE, lifetimeNs: { kind: "exp", mean: 1e5 } });
    const arrivals = createWorkload({ prng: sim.prng.fork("x"), ratePerSec: 1e4, orderWeights: [1, 1], gfp: GFP_HIGHUSER_MOVABLE, lifetimeNs: { kind: "exp", mean: 1e5 } }).take(200);
    const ev = recordWorkload(wl, { sim, maxArrivals: 200 });
    const allocs = ev.filter((e) => e.kind === "alloc");
    const frees = ev.filter((e) => e.kind === "free");
    expect(allocs.length).toBe(200);
    expect(frees.length).toBe(200);
    expect(ev.every((e, i) => i === 0 || e.atNs >= ev[i - 1].atNs)).toBe(true);
    for (const f of frees) {
      const a = arrivals[f.seq];
      expect(f.atNs).toBe(a.atNs + a.lifetimeNs);
      expect(f.order).toBe(a.order);
    }
  });
});

describe("presets", () => {
  it("boot: few distinct stacks, many duplicates, mostly never freed, real 6.1 frames", () => {
    const sim = createSim({ seed: 1 });
    const fake = fakeAllocator(1 << 20);
    const stacks = new Map<string, number>();
    const comms = new Set<string>();
    const target: WorkloadTarget = {
      allocate: (order, gfp) => {
        const cur = sim.current();
        const key = Array.from(cur.stack.subarray(0, cur.depth)).join(",");
        stacks.set(key, (stacks.get(key) ?? 0) + 1);
        comms.add(cur.comm);
        return fake.target.allocate(order, gfp);
      },
      free: fake.target.free,
    };
    const wl = createWorkload({ ...bootPreset(), prng: sim.prng.fork("boot") });
    const d = createWorkloadDriver(sim, wl, target);
    d.start();
    sim.runUntil(60e9);
    expect(d.stats.arrivals).toBe(1927);
    expect(stacks.size).toBe(8);
    expect(Math.max(...stacks.values())).toBeGreaterThan(300);
    expect(d.stats.live / d.stats.allocated).toBeGreaterThan(0.9);
    expect([...comms].sort()).toEqual(["kthreadd", "kworker/1:1", "kworker/u4:0", "swapper/0"]);
    const first = sim.symbols.symbolize(sim.symbols.lookup("get_page_from_freelist+0x41c/0xf00"));
    expect(first).toBe("get_page_from_freelist+0x41c/0xf00");
    for (const key of stacks.keys()) {
      const ids = key.split(",").map(Number);
      expect(ids.length).toBeLessThanOrEqual(16); // PAGE_OWNER_STACK_DEPTH
      expect(sim.symbols.symbolize(ids[0])).toBe("get_page_from_freelist+0x41c/0xf00");
    }
  });

  it("pagecache: get/put-heavy, movable, finite lifetimes", () => {
    const sim = createSim({ seed: 2 });
    const fake = fakeAllocator(1 << 22);
    let gets = 0;
    let puts = 0;
    const target: WorkloadTarget = { ...fake.target, get: (id) => (gets++, fake.target.get(id)), put: (id) => (puts++, fake.target.put(id)) };
    const wl = createWorkload({ ...pageCachePreset({ arrivals: 5000, thpShare: 0.1 }), prng: sim.prng.fork("pc") });
    const d = createWorkloadDriver(sim, wl, target);
    d.start();
    sim.runAll();
    expect(gets).toBe(puts);
    expect(gets).toBeGreaterThan(5000);
    expect(d.stats.freed).toBe(d.stats.allocated);
    expect(fake.live.size).toBe(0);
    expect(fake.log.some((l) => / 9 \d+$/.test(l))).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { createPrng, type Prng, splitmix64, WeightedSampler, ZipfSampler } from "@mm/sim";

// Reference vectors. splitmix64(1234567) and xoshiro128** from the raw state [1, 2, 3, 4] are the
// published vectors (also in rand_xoshiro's tests); all of them were re-computed with the
// reference C code of prng.di.unimi.it (splitmix64.c, xoshiro128starstar.c) compiled with gcc.
const SPLITMIX64_1234567 = [
  6457827717110365317n,
  3203168211198807973n,
  9817491932198370423n,
  4593380528125082431n,
  16408922859458223821n,
];
const XOSHIRO128SS_1234 = [
  11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
];
// Our seeding: state = (lo, hi) of splitmix64 outputs 1 and 2 of the seed; first 8 outputs.
const SEEDED: Record<string, number[]> = {
  "0": [3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774, 3260698944, 2754151956],
  "42": [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222, 2940343271, 2244566231],
  "20240601": [3865763728, 2928583729, 2344800337, 1191762289, 3077710244, 979031933, 3233772133, 86503030],
};

const draw = (p: Prng, n: number): number[] => Array.from({ length: n }, () => p.nextU32());

describe("Prng (xoshiro128** seeded by splitmix64)", () => {
  it("matches splitmix64's published vector", () => {
    expect(splitmix64(1234567, 5)).toEqual(SPLITMIX64_1234567);
  });

  it("matches xoshiro128**'s published vector from a raw state", () => {
    const p = createPrng(0);
    p.setState([1, 2, 3, 4]);
    expect(draw(p, 10)).toEqual(XOSHIRO128SS_1234);
  });

  it("matches the reference C implementation for seeded streams", () => {
    for (const [seed, expected] of Object.entries(SEEDED)) expect(draw(createPrng(Number(seed)), 8)).toEqual(expected);
    expect(draw(createPrng(42n), 8)).toEqual(SEEDED["42"]);
  });

  it("is deterministic by seed and differs across seeds", () => {
    expect(draw(createPrng(7), 100)).toEqual(draw(createPrng(7), 100));
    expect(draw(createPrng(7), 10)).not.toEqual(draw(createPrng(8), 10));
    expect(createPrng(-1).key).toBe(2n ** 64n - 1n);
  });

  it("fork() gives substreams that depend on seed and label only", () => {
    const a = createPrng(5);
    const f1 = draw(a.fork("workload"), 20);
    draw(a, 1000); // consuming the parent does not shift forks
    expect(draw(a.fork("workload"), 20)).toEqual(f1);
    expect(draw(a.fork("other"), 20)).not.toEqual(f1);
    expect(draw(createPrng(6).fork("workload"), 20)).not.toEqual(f1);
    expect(draw(a.fork("workload"), 20)).not.toEqual(draw(a, 20));
    expect(draw(a.fork("x").fork("y"), 5)).toEqual(draw(createPrng(5).fork("x").fork("y"), 5));
  });

  it("state snapshots restore the stream", () => {
    const p = createPrng(3);
    draw(p, 17);
    const s = p.getState();
    const next = draw(p, 10);
    p.setState(s);
    expect(draw(p, 10)).toEqual(next);
    expect(() => p.setState([0, 0, 0, 0])).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("nextFloat is in [0,1) with a plausible mean", () => {
    const p = createPrng(11);
    let sum = 0;
    let bad = 0;
    for (let i = 0; i < 20000; i++) {
      const x = p.nextFloat();
      if (!(x >= 0 && x < 1)) bad++;
      sum += x;
    }
    expect(bad).toBe(0);
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
  });

  it("below/int are in range and roughly uniform (chi-square)", () => {
    const p = createPrng(12);
    const k = 10;
    const counts = new Array<number>(k).fill(0);
    const n = 50000;
    for (let i = 0; i < n; i++) counts[p.int(100, 100 + k) - 100]++;
    const e = n / k;
    const chi = counts.reduce((acc, c) => acc + ((c - e) * (c - e)) / e, 0);
    expect(chi).toBeLessThan(27.9); // df=9, p=0.001
    let outOfRange = 0;
    for (let i = 0; i < 1000; i++) {
      const big = p.below(2 ** 40 + 3);
      if (!(Number.isInteger(big) && big >= 0 && big < 2 ** 40 + 3)) outOfRange++;
    }
    expect(outOfRange).toBe(0);
    expect(p.below(1)).toBe(0);
    for (const bad of [0, -1, 1.5, 2 ** 54]) expect(() => p.below(bad)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => p.int(3, 3)).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("pick, shuffle, chance, weightedIndex", () => {
    const p = createPrng(13);
    const arr = Array.from({ length: 20 }, (_, i) => i);
    const sh = p.shuffle(arr.slice());
    expect(sh.slice().sort((a, b) => a - b)).toEqual(arr);
    expect(sh).not.toEqual(arr);
    expect(arr).toContain(p.pick(arr));
    expect(() => p.pick([])).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(p.chance(0)).toBe(false);
    expect(p.chance(1)).toBe(true);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[p.weightedIndex([1, 0, 3])]++;
    expect(counts[1]).toBe(0);
    expect(Math.abs(counts[2] / 30000 - 0.75)).toBeLessThan(0.02);
    expect(() => p.weightedIndex([0, 0])).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("distribution samplers have the right means", () => {
    const p = createPrng(14);
    const n = 40000;
    const mean = (f: () => number): number => {
      let s = 0;
      for (let i = 0; i < n; i++) s += f();
      return s / n;
    };
    expect(mean(() => p.exponential(250)) / 250).toBeCloseTo(1, 1);
    expect(mean(() => p.normal(3, 2))).toBeCloseTo(3, 1);
    // lognormal mean = exp(mu + sigma^2/2)
    expect(mean(() => p.lognormal(1, 0.5)) / Math.exp(1.125)).toBeCloseTo(1, 1);
    // geometric failures before success: mean (1-p)/p
    expect(mean(() => p.geometric(0.25))).toBeCloseTo(3, 0);
    expect(p.geometric(1)).toBe(0);
    // pareto mean alpha*xm/(alpha-1)
    expect(mean(() => p.pareto(2, 3)) / 3).toBeCloseTo(1, 1);
    expect(() => p.exponential(0)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => p.geometric(0)).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("WeightedSampler (alias) matches its weights", () => {
    const p = createPrng(15);
    const w = [5, 0, 1, 2, 2];
    const s = new WeightedSampler(w);
    const counts = new Array<number>(w.length).fill(0);
    const n = 50000;
    for (let i = 0; i < n; i++) counts[s.sample(p)]++;
    expect(counts[1]).toBe(0);
    for (let i = 0; i < w.length; i++) expect(Math.abs(counts[i] / n - w[i] / 10)).toBeLessThan(0.01);
    expect(() => new WeightedSampler([])).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => new WeightedSampler([1, -1])).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("ZipfSampler: rank 1 most likely, frequencies follow 1/k^s", () => {
    const p = createPrng(16);
    const z = new ZipfSampler(100, 1.2);
    const counts = new Array<number>(101).fill(0);
    const n = 60000;
    for (let i = 0; i < n; i++) counts[z.sample(p)]++;
    expect(counts[0] + (counts[101] ?? 0)).toBe(0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
    expect(counts[1] / counts[2]).toBeCloseTo(2 ** 1.2, 0);
    expect(counts[1]).toBeGreaterThan(counts[10]);
    const uniform = new ZipfSampler(4, 0);
    const u = [0, 0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) u[uniform.sample(p)]++;
    expect(Math.abs(u[1] / 20000 - 0.25)).toBeLessThan(0.02);
  });
});

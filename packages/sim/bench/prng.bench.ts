// PRNG throughput vs Math.random (which is not seedable, hence unusable in the model).
import { afterAll, bench, describe } from "vitest";
import { createPrng, WeightedSampler } from "@mm/sim";

const p = createPrng(1);
const N = 100_000;
/** Consumes results so the draws cannot be optimised away. */
let sink = 0;
afterAll(() => {
  if (Number.isNaN(sink)) throw new Error("unreachable");
});

describe(`${N} uniform draws`, () => {
  bench("xoshiro128** nextU32", () => {
    for (let i = 0; i < N; i++) sink ^= p.nextU32();
  });
  bench("xoshiro128** nextFloat (53-bit)", () => {
    for (let i = 0; i < N; i++) sink += p.nextFloat();
  });
  bench("baseline: Math.random", () => {
    for (let i = 0; i < N; i++) sink += Math.random();
  });
});

describe(`${N} weighted draws over 11 orders`, () => {
  const w = [100, 50, 25, 12, 6, 3, 2, 1, 1, 1, 1];
  const s = new WeightedSampler(w);
  bench("WeightedSampler (alias)", () => {
    for (let i = 0; i < N; i++) sink += s.sample(p);
  });
  bench("baseline: weightedIndex (linear scan)", () => {
    for (let i = 0; i < N; i++) sink += p.weightedIndex(w);
  });
});

/**
 * A seeded percentile bootstrap of the mean (Efron 1979): resample the runs with replacement
 * `resamples` times, take the 2.5th and 97.5th percentiles of the resampled means. The PRNG is
 * seeded from the caller's seed, so the same runs give the same interval, sharded or not.
 */
import { createPrng } from "@mm/sim";
import type { Interval } from "./wilson.js";

/** 2000 resamples: the percentile endpoints move by well under 1 % of the interval between seeds. */
export const DEFAULT_RESAMPLES = 2000;

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return xs.length === 0 ? NaN : s / xs.length;
}

export function bootstrapMean(xs: readonly number[], seed: number, resamples = DEFAULT_RESAMPLES): Interval {
  const n = xs.length;
  if (n === 0) return { lo: NaN, hi: NaN };
  if (n === 1) return { lo: xs[0], hi: xs[0] };
  const prng = createPrng(seed).fork("bootstrap");
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[Math.floor(prng.nextFloat() * n)];
    means[r] = s / n;
  }
  means.sort();
  const at = (q: number): number => means[Math.min(resamples - 1, Math.max(0, Math.floor(q * (resamples - 1) + 0.5)))];
  return { lo: at(0.025), hi: at(0.975) };
}

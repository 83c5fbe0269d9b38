/**
 * 95 % intervals for what the adapters summarise: a proportion of runs (Wilson score: stays inside
 * [0, 1] and is not zero-width at 0/n or n/n, unlike the normal approximation) and a mean over
 * seeds (Student t, since seed counts are small).
 */
import type { Estimate } from "./data.js";

/** Two-sided 95 % normal quantile. */
const Z95 = 1.959963984540054;

/** t_{0.975, df} for df = 1..30 (standard tables); beyond 30 the Cornish-Fisher series below is within 1e-4. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
] as const;

/** The 97.5 % quantile of Student's t with `df` degrees of freedom. */
export function t975(df: number): number {
  const tab = T95[df - 1];
  if (tab !== undefined) return tab;
  const z = Z95;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

/** k of n runs, with its 95 % Wilson score interval. */
export function proportion(k: number, n: number): Estimate {
  if (n <= 0) return { value: 0, lo: null, hi: null };
  const p = k / n;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Clamp the rounding error so lo <= p <= hi holds exactly at 0/n and n/n.
  return { value: p, lo: Math.min(p, Math.max(0, centre - half)), hi: Math.max(p, Math.min(1, centre + half)) };
}

/**
 * The mean of `xs` with its 95 % t interval; no interval for fewer than two values. `floor`
 * truncates the lower bound for quantities that cannot go below it (bytes, counts): with two seeds
 * t is 12.7 and the raw bound would often be negative.
 */
export function mean(xs: readonly number[], floor = -Infinity): Estimate {
  const n = xs.length;
  if (n === 0) return { value: 0, lo: null, hi: null };
  let sum = 0;
  for (const x of xs) sum += x;
  const m = sum / n;
  if (n < 2) return { value: m, lo: null, hi: null };
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  const half = (t975(n - 1) * Math.sqrt(ss / (n - 1))) / Math.sqrt(n);
  return { value: m, lo: Math.min(m, Math.max(floor, m - half)), hi: m + half };
}

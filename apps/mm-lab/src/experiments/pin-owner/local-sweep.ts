/**
 * A small local runner for the evidence maps, until the sweep engine (issue #11) lands: a grid of
 * points, each run once per seed through a per-run function `(config, seed) => metrics`, the
 * metrics summarised with intervals. Shaped like the sweep API so the port is a rename.
 */

/** One point of the grid: its parameter values, by name. */
export type GridPoint = Readonly<Record<string, number | string>>;

/** The cartesian product of named axes, first axis slowest. */
export function grid(axes: Readonly<Record<string, readonly (number | string)[]>>): GridPoint[] {
  let out: Record<string, number | string>[] = [{}];
  for (const [name, values] of Object.entries(axes)) {
    const next: Record<string, number | string>[] = [];
    for (const p of out) for (const v of values) next.push({ ...p, [name]: v });
    out = next;
  }
  return out;
}

/** Seeds 1..n (the default seed set of a map). */
export function seeds(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** Wilson score interval (95 %) of k successes in n trials: [lo, hi] as fractions. */
export function wilson(k: number, n: number, z = 1.959964): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, c - h), Math.min(1, c + h)];
}

/** Two-sided 97.5 % Student t quantiles for 1..30 degrees of freedom (then the normal's). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101,
  2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Mean and its 95 % t interval; a single value has no interval (lo = hi = the value). */
export function meanCi(xs: readonly number[]): { mean: number; lo: number; hi: number } {
  const n = xs.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN };
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / n;
  if (n === 1) return { mean, lo: mean, hi: mean };
  let v = 0;
  for (const x of xs) v += (x - mean) * (x - mean);
  const sd = Math.sqrt(v / (n - 1));
  const t = n - 1 <= T975.length ? T975[n - 2] : 1.96;
  const h = (t * sd) / Math.sqrt(n);
  return { mean, lo: mean - h, hi: mean + h };
}

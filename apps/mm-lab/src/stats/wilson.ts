/**
 * The Wilson score interval for a proportion k/n (Wilson 1927): unlike the normal approximation
 * it stays inside [0, 1] and is not zero-width at 0/n or n/n — 0/10 gives [0, 0.278] at 95 %,
 * which is what "0/10 failing" can honestly claim.
 */
export const Z95 = 1.959963984540054;

export interface Interval {
  readonly lo: number;
  readonly hi: number;
}

export function wilson(k: number, n: number, z = Z95): Interval {
  if (n === 0) return { lo: 0, hi: 1 };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // clamp the rounding at the ends: 0/n has lo exactly 0, n/n hi exactly 1
  return { lo: k === 0 ? 0 : Math.max(0, center - half), hi: k === n ? 1 : Math.min(1, center + half) };
}

/** Do two intervals share a point? (Then the table shows no difference between them.) */
export function overlaps(a: Interval, b: Interval): boolean {
  return a.lo <= b.hi && b.lo <= a.hi;
}

/** Jiffies on the simulated nanosecond clock. The reporters print jiffies (delay=) and ms. */

/** jiffies at `ns` since boot (INITIAL_JIFFIES is left out: only differences are printed). */
export function nsToJiffies(ns: number, hz: number): number {
  return Math.floor((ns * hz) / 1e9);
}

/** Nanoseconds of `j` jiffies. */
export function jiffiesToNs(j: number, hz: number): number {
  return (j * 1e9) / hz;
}

/**
 * jiffies_to_msecs(): exact multiply when HZ divides 1000 (HZ=100/250/1000), else rounded up as
 * the kernel's HZ_TO_MSEC_NUM/DEN path does.
 */
export function jiffiesToMsecs(j: number, hz: number): number {
  if (hz <= 1000 && 1000 % hz === 0) return (1000 / hz) * j;
  return Math.ceil((j * 1000) / hz);
}

/**
 * Fragmentation measures over a replayed machine: the kernel's indices come from @mm/buddy's
 * extfrag room (mm/vmstat.c); LLFree's free-huge share (eval/src/bin/replay.rs `measure`:
 * entirely free 2 MiB frames over free frames / 512, in %) is here, so replay numbers compare
 * with both the kernel's debugfs files and LLFree's papers.
 */
import { PAGEBLOCK_ORDER } from "@mm/api";

/** What the counting needs of a machine: nr_free per zone and order. */
export interface FreeAreaCounts {
  readonly maxOrder: number;
  nrFree(zone: number, order: number): number;
}

/** free_area[order].nr_free of one zone, for @mm/buddy's contigPageInfo. */
export function zoneCounts(m: FreeAreaCounts, zone: number, out: number[] = []): number[] {
  out.length = m.maxOrder + 1;
  for (let o = 0; o <= m.maxOrder; o++) out[o] = m.nrFree(zone, o);
  return out;
}

/** LLFree's free-huge %: entirely free pageblock-sized frames over what the free pages could fill. */
export function freeHugePercent(m: FreeAreaCounts, zones: readonly number[]): number {
  let huge = 0;
  let free = 0;
  for (const z of zones) {
    for (let o = 0; o <= m.maxOrder; o++) {
      const n = m.nrFree(z, o);
      free += n * 2 ** o;
      if (o >= PAGEBLOCK_ORDER) huge += n * 2 ** (o - PAGEBLOCK_ORDER);
    }
  }
  const optimal = Math.floor(free / 2 ** PAGEBLOCK_ORDER);
  return optimal === 0 ? 0 : (100 * huge) / optimal;
}

/**
 * "Number of mixed blocks" from an imported dump: mm/page_owner.c
 * pagetypeinfo_showmixedcount_print() walks each pageblock and counts it once, under the block's
 * migratetype (CMA counted as Movable), at its first allocated page whose gfp migratetype differs.
 * Every page of a high-order allocation carries the record (__set_page_owner sets each page), so
 * a block covered by the tail of a larger allocation is judged by that allocation too.
 */
import { MIGRATE_CMA, MIGRATE_MOVABLE, MIGRATE_TYPES } from "@mm/api";
import type { BuddyMachine } from "@mm/buddy";
import type { DumpRecords } from "./dump.js";
import type { OwnerIndex } from "./place.js";

/** Mixed pageblocks per zone index, each an array indexed by migratetype. */
export function mixedBlockCounts(m: BuddyMachine, d: DumpRecords, idx: OwnerIndex): number[][] {
  const out: number[][] = m.zones.map(() => new Array<number>(MIGRATE_TYPES).fill(0));
  const nb = 2 ** m.pageblockOrder;
  const recOf = idx.recOf;
  for (const z of m.zones) {
    if (!z.populated) continue;
    for (let b = Math.floor(z.startPfn / nb) * nb; b < z.endPfn; b += nb) {
      const bmt = m.pageblockMigratetype(b);
      const end = Math.min(b + nb, z.endPfn, recOf.length);
      for (let p = Math.max(b, z.startPfn); p < end; ) {
        const r = recOf[p];
        if (r === -1) {
          p++;
          continue;
        }
        if (d.mt[r] !== bmt) {
          out[z.idx][bmt === MIGRATE_CMA ? MIGRATE_MOVABLE : bmt]++;
          break;
        }
        p = d.pfn[r] + 2 ** d.order[r];
      }
    }
  }
  return out;
}

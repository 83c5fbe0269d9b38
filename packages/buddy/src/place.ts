/**
 * Putting a real kernel's choices into the model: an allocation at a chosen pfn and a chosen
 * pageblock type. Kernel counterpart: mm/page_alloc.c (take_page_off_buddy,
 * break_down_buddy_pages, set_pageblock_migratetype + move_freepages_block).
 */
import { type Gfp, MIGRATE_CMA, MIGRATE_HIGHATOMIC } from "@mm/api";
import { prepNewPage } from "./alloc.js";
import { addToFreeList, delFromFreeList, modFreepageState, moveFreepagesBlock, relabelWithoutMerge } from "./free-area.js";
import { type NodeState, zoneIdxOf } from "./internal/node.js";
import { PB_BUDDY } from "./page-state.js";

/**
 * take_page_off_buddy() for the free block `head` that contains [pfn, pfn + 2^order): the other
 * halves go back (break_down_buddy_pages), then the block is prepared as allocPages would.
 */
export function allocPagesAt(s: NodeState, head: number, pfn: number, order: number, gfp: Gfp): void {
  const zi = zoneIdxOf(s, head);
  const z = s.zones[zi];
  const mt = s.pageblockMt[head >>> s.pageblockOrder];
  let high = s.order[head];
  delFromFreeList(s, head, zi, high);
  // break_down_buddy_pages(): keep halving towards pfn; the half without it goes back.
  let base = head;
  while (high > order) {
    high--;
    const size = 1 << high;
    if (pfn >= base + size) {
      addToFreeList(s, base, zi, high, mt, false);
      base += size;
    } else {
      addToFreeList(s, base + size, zi, high, mt, false);
    }
  }
  modFreepageState(z, -(1 << order), mt);
  s.stats.allocs++;
  prepNewPage(s, pfn, order, gfp);
}

/** set_pageblock_migratetype() + move_freepages_block() with the HighAtomic and free CMA counters kept. */
export function setPageblockMigratetype(s: NodeState, pfn: number, mt: number): void {
  const z = s.zones[zoneIdxOf(s, pfn)];
  const old = s.pageblockMt[pfn >>> s.pageblockOrder];
  if (old === MIGRATE_HIGHATOMIC && mt !== MIGRATE_HIGHATOMIC) z.nrReservedHighatomic -= s.pageblockNrPages;
  if (mt === MIGRATE_HIGHATOMIC && old !== MIGRATE_HIGHATOMIC) z.nrReservedHighatomic += s.pageblockNrPages;
  // Free CMA accounting follows the list a free page sits on.
  const start = pfn & ~(s.pageblockNrPages - 1);
  if ((old === MIGRATE_CMA) !== (mt === MIGRATE_CMA)) {
    let free = 0;
    for (let p = start; p < start + s.pageblockNrPages && p < s.nrPfns; ) {
      if (s.flags[p] & PB_BUDDY) {
        free += 1 << s.order[p];
        p += 1 << s.order[p];
      } else p++;
    }
    z.freeCmaPages += mt === MIGRATE_CMA ? free : -free;
  }
  relabelWithoutMerge(s, pfn, mt);
  moveFreepagesBlock(s, z, pfn, mt);
}

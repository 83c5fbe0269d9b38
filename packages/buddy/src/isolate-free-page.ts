/**
 * Taking a free block off the lists without allocating it, and putting it back: what page
 * reporting, compaction and pageblock isolation use. Kernel counterpart: mm/page_alloc.c
 * (__isolate_free_page, __putback_isolated_page) of 6.1.
 */
import { ALLOC_CMA, MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_PCPTYPES } from "@mm/api";
import { delFromFreeList, modFreepageState, setPageblockMt } from "./free-area.js";
import { FPI_SKIP_REPORT_NOTIFY, FPI_TO_TAIL, freeOnePage } from "./free.js";
import { type NodeState, zoneIdxOf } from "./internal/node.js";
import { PB_ISOLATED } from "./page-state.js";
import { watermarkOk } from "./zone-wmark.js";

/**
 * __isolate_free_page(): take a free block off its list unless that would breach the min
 * watermark (not checked inside isolated pageblocks); at order >= pageblock_order - 1 its
 * mergeable pageblocks become Movable.
 * @returns false when the watermark check refused.
 */
export function isolateFreePage(s: NodeState, pfn: number, order: number): boolean {
  const zi = zoneIdxOf(s, pfn);
  const z = s.zones[zi];
  const mt = s.pageblockMt[pfn >>> s.pageblockOrder];
  if (mt !== MIGRATE_ISOLATE) {
    const mark = z.wmarkMin + (1 << order);
    if (!watermarkOk(s, z, 0, mark, 0, ALLOC_CMA, z.freePages)) return false;
    modFreepageState(z, -(1 << order), mt);
  }
  delFromFreeList(s, pfn, zi, order);
  s.flags[pfn] = PB_ISOLATED;
  if (order >= s.pageblockOrder - 1) {
    const end = pfn + (1 << order) - 1;
    for (let p = pfn; p < end; p += s.pageblockNrPages) {
      const pmt = s.pageblockMt[p >>> s.pageblockOrder];
      if (pmt < MIGRATE_PCPTYPES) setPageblockMt(s, p, MIGRATE_MOVABLE);
    }
  }
  return true;
}

/** __putback_isolated_page(): back to the tail of free_list[mt], merging, no report notify. */
export function putbackIsolatedPage(s: NodeState, pfn: number, order: number, mt: number): void {
  s.flags[pfn] = 0;
  freeOnePage(s, pfn, order, mt, FPI_SKIP_REPORT_NOTIFY | FPI_TO_TAIL);
}

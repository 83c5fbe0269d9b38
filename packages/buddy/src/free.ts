/**
 * Freeing: __free_one_page's merge loop and tail placement, and the path from __free_pages down
 * to it. Kernel counterpart: mm/page_alloc.c (__free_one_page, buddy_merge_likely,
 * free_pages_prepare, __free_pages_ok, free_the_page, __free_pages) of 6.1.
 *
 * Per-cpu lists: free_the_page() branches off to free_unref_page() (order <= PAGE_ALLOC_COSTLY_ORDER
 * or pageblock order, onto the pcp list; pcp.ts through s.pcp) before __free_one_page().
 */
import * as mmApi from "@mm/api";
import { addToFreeList, delFromFreeList, modFreepageState } from "./free-area.js";
import { type NodeState, zoneIdxOf } from "./internal/node.js";
import * as pageState from "./page-state.js";

// Imported constants bound module-locally for the hot path (why: free-area.ts).
const { MIGRATE_ISOLATE, MIGRATE_PCPTYPES } = mmApi;
const { PB_BUDDY, PB_HEAD, PB_MOVABLE } = pageState;

// fpi_t flags of __free_one_page.
export const FPI_NONE = 0;
export const FPI_SKIP_REPORT_NOTIFY = 0x2;
export const FPI_TO_TAIL = 0x4;

/**
 * __free_one_page(): merge with free buddies of the same order (pageblock-type rule at and
 * above pageblock_order), then put the block at the head, or at the tail when FPI_TO_TAIL or
 * when the next-higher buddy is free (buddy_merge_likely), and notify page reporting.
 */
export function freeOnePage(s: NodeState, pfn: number, order: number, mt: number, fpi: number): void {
  const zi = zoneIdxOf(s, pfn);
  if (mt !== MIGRATE_ISOLATE) modFreepageState(s.zones[zi], 1 << order, mt);
  const flags = s.flags;
  const ord = s.order;
  const maxO = s.maxOrder;
  let buddy = 0;
  while (order < maxO) {
    buddy = pfn ^ (1 << order);
    // page_is_buddy: PageBuddy with the same order. Zone boundaries are max-order aligned, so a
    // buddy is always in the same zone.
    if ((flags[buddy] & PB_BUDDY) === 0 || ord[buddy] !== order) break;
    if (order >= s.pageblockOrder && !mergeableTypes(s, mt, buddy)) break;
    delFromFreeList(s, buddy, zi, order);
    pfn &= buddy;
    order++;
  }
  let toTail = false;
  if (fpi & FPI_TO_TAIL) toTail = true;
  else if (order < maxO - 1) {
    // buddy_merge_likely: is the buddy of the combined block free at order + 1?
    const hb = (buddy & pfn) ^ (1 << (order + 1));
    toTail = (flags[hb] & PB_BUDDY) !== 0 && ord[hb] === order + 1;
  }
  addToFreeList(s, pfn, zi, order, mt, toTail);
  if ((fpi & FPI_SKIP_REPORT_NOTIFY) === 0 && s.freeNotify !== null) s.freeNotify(order);
}

/** At and above pageblock_order: merge unless one side is isolate/CMA/highatomic and the types differ. */
function mergeableTypes(s: NodeState, mt: number, buddy: number): boolean {
  const bmt = s.pageblockMt[buddy >>> s.pageblockOrder];
  return mt === bmt || (mt < MIGRATE_PCPTYPES && bmt < MIGRATE_PCPTYPES);
}

/** free_the_page -> __free_pages_ok: free_pages_prepare (hooks), then __free_one_page. */
export function freeThePage(s: NodeState, pfn: number, order: number): void {
  const frees = s.freePrepareHooks;
  for (let i = 0; i < frees.length; i++) frees[i].freePrepare(pfn, order);
  const flags = s.flags;
  const f = flags[pfn];
  if (f & PB_HEAD || (order > 0 && f & PB_MOVABLE)) flags.fill(0, pfn + 1, pfn + (1 << order));
  flags[pfn] = 0;
  s.refcount[pfn] = 0;
  s.stats.frees++;
  // free_unref_page() takes the orders the pcp lists hold (pcp.ts, through s.pcp).
  if (s.pcp !== null && s.pcp.freeUnrefPage(pfn, order)) return;
  freeOnePage(s, pfn, order, s.pageblockMt[pfn >>> s.pageblockOrder], FPI_NONE);
}

/**
 * __free_pages(page, order): drop the caller's reference; free the block when it was the last.
 * With extra references on a non-compound block the tail parts are freed now and the first
 * page stays allocated (order 0) until its last put, as the kernel does.
 */
export function freePagesRef(s: NodeState, pfn: number, order: number): void {
  const c = --s.refcount[pfn];
  const puts = s.putHooks;
  for (let i = 0; i < puts.length; i++) puts[i].put(pfn, c);
  if (c === 0) freeThePage(s, pfn, order);
  else if (order > 0 && (s.flags[pfn] & PB_HEAD) === 0) freeTailPages(s, pfn, order);
}

/** __free_pages with references left on a non-compound block: free all but the first page. */
function freeTailPages(s: NodeState, pfn: number, order: number): void {
  s.order[pfn] = 0;
  while (order-- > 0) freeThePage(s, pfn + (1 << order), order);
}

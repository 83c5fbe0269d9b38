/**
 * free_area[order].free_list[migratetype] as intrusive lists over `next`/`prev`, the
 * NR_FREE_PAGES counters, and moving free blocks between lists when a pageblock changes type.
 * Kernel counterpart: mm/page_alloc.c (add_to_free_list, del_page_from_free_list,
 * move_to_free_list, __mod_zone_freepage_state, set_pageblock_migratetype, move_freepages).
 */
import * as mmApi from "@mm/api";
import { type NodeState, type Zone } from "./internal/node.js";
import * as pageState from "./page-state.js";

// Module-local bindings of the constants used on the hot path: V8 reads an imported binding
// through its module cell at every use, a module-local const is one context slot
// (bench/anchor/count.mjs, order0_batch: 883 -> 740 instructions per op).
const { MIGRATE_CMA, MIGRATE_TYPES } = mmApi;
const { PB_BUDDY, PB_LRU } = pageState;

/** add_to_free_list / add_to_free_list_tail + set_buddy_order. */
export function addToFreeList(s: NodeState, pfn: number, zi: number, order: number, mt: number, tail: boolean): void {
  const next = s.next;
  const prev = s.prev;
  const h = s.listBase + (zi * s.nrOrders + order) * MIGRATE_TYPES + mt;
  if (tail) {
    const last = prev[h];
    next[pfn] = h;
    prev[pfn] = last;
    next[last] = pfn;
    prev[h] = pfn;
  } else {
    const first = next[h];
    next[pfn] = first;
    prev[pfn] = h;
    prev[first] = pfn;
    next[h] = pfn;
  }
  s.flags[pfn] = PB_BUDDY;
  s.order[pfn] = order;
  s.nrFreeArr[zi * s.nrOrders + order]++;
  s.freeMask[zi * MIGRATE_TYPES + mt] |= 1 << order;
}

/**
 * Unlink pfn from its circular list. When the list is left empty its two neighbours were the
 * same node, the list head: clear the head's bit in freeMask.
 */
function unlink(s: NodeState, pfn: number, zi: number, order: number): void {
  const next = s.next;
  const prev = s.prev;
  const nx = next[pfn];
  const pv = prev[pfn];
  next[pv] = nx;
  prev[nx] = pv;
  if (nx === pv) s.freeMask[zi * MIGRATE_TYPES + ((nx - s.listBase) % MIGRATE_TYPES)] &= ~(1 << order);
}

/** del_page_from_free_list: unlink, clear PageBuddy and PageReported, nr_free--. */
export function delFromFreeList(s: NodeState, pfn: number, zi: number, order: number): void {
  unlink(s, pfn, zi, order);
  s.flags[pfn] = 0;
  s.nrFreeArr[zi * s.nrOrders + order]--;
  // A block covering its pageblock is gone: no stale unmerged pair is left there.
  if (order >= s.pageblockOrder) s.pageblockWasHighatomic[pfn >>> s.pageblockOrder] = 0;
}

/** move_to_free_list: list_move_tail onto free_list[mt] (PageReported survives). */
export function moveToFreeList(s: NodeState, pfn: number, zi: number, order: number, mt: number): void {
  unlink(s, pfn, zi, order);
  const next = s.next;
  const prev = s.prev;
  const h = s.listBase + (zi * s.nrOrders + order) * MIGRATE_TYPES + mt;
  const last = prev[h];
  next[pfn] = h;
  prev[pfn] = last;
  next[last] = pfn;
  prev[h] = pfn;
  s.freeMask[zi * MIGRATE_TYPES + mt] |= 1 << order;
}

/** __mod_zone_freepage_state(zone, nr, mt). */
export function modFreepageState(z: Zone, nr: number, mt: number): void {
  z.freePages += nr;
  if (mt === MIGRATE_CMA) z.freeCmaPages += nr;
}

/** set_pageblock_migratetype. */
export function setPageblockMt(s: NodeState, pfn: number, mt: number): void {
  s.pageblockMt[pfn >>> s.pageblockOrder] = mt;
}

/**
 * set_pageblock_migratetype on a pageblock whose free blocks stay where they are: a free block of
 * pageblock order or more covering it may now sit next to a free buddy it would merge with (the
 * kernel leaves it so too). Only then is the block's head pageblock marked, and the invariant
 * checker excuses that one pair until the block leaves the free lists (delFromFreeList clears the
 * mark); a relabel with no such block to excuse marks nothing.
 */
export function relabelWithoutMerge(s: NodeState, pfn: number, mt: number): void {
  const pbo = s.pageblockOrder;
  s.pageblockMt[pfn >>> pbo] = mt;
  const start = pfn & ~(s.pageblockNrPages - 1);
  for (let o = pbo; o <= s.maxOrder; o++) {
    const h = start & ~((1 << o) - 1);
    if (s.flags[h] & PB_BUDDY && s.order[h] === o) {
      s.pageblockWasHighatomic[h >>> pbo] = 1;
      return;
    }
  }
}

/**
 * move_freepages() (6.1): the free blocks of [start, end] to free_list[mt]; every other page that
 * is `PageLRU(page) || __PageMovable(page)` (PB_LRU, set by lruAdd) counts in movableScratch.
 * A page allocated with __GFP_MOVABLE but not yet on an LRU list does not count, as in 6.1.
 */
export function moveFreepages(s: NodeState, zi: number, start: number, end: number, mt: number): number {
  const flags = s.flags;
  let moved = 0;
  let movable = 0;
  for (let p = start; p <= end; ) {
    const f = flags[p];
    if ((f & PB_BUDDY) === 0) {
      // Only allocated pages carry PB_LRU (it is PB_REPORTED on free heads, which are PB_BUDDY).
      if (f & PB_LRU) movable++;
      p++;
      continue;
    }
    const o = s.order[p];
    moveToFreeList(s, p, zi, o, mt);
    p += 1 << o;
    moved += 1 << o;
  }
  s.movableScratch = movable;
  return moved;
}

/** move_freepages_block(): move the free blocks of pfn's pageblock to free_list[mt]. */
export function moveFreepagesBlock(s: NodeState, z: Zone, pfn: number, mt: number): number {
  let start = pfn & ~(s.pageblockNrPages - 1);
  const end = start + s.pageblockNrPages - 1;
  if (start < z.startPfn || start >= z.endPfn) start = pfn;
  if (end < z.startPfn || end >= z.endPfn) {
    s.movableScratch = 0;
    return 0;
  }
  return moveFreepages(s, z.idx, start, end, mt);
}

/**
 * Taking a block off the free lists: __rmqueue_smallest and expand, the fallback to other
 * migratetypes with pageblock stealing and watermark boosting, the CMA and HighAtomic lists, and
 * the HighAtomic reserve. Kernel counterpart: mm/page_alloc.c (expand, __rmqueue_smallest,
 * can_steal_fallback, find_suitable_fallback, boost_watermark, steal_suitable_fallback,
 * __rmqueue_fallback, __rmqueue, rmqueue_buddy, rmqueue, reserve_highatomic_pageblock,
 * unreserve_highatomic_pageblock) of 6.1.
 *
 * Per-cpu lists: rmqueue() tries rmqueue_pcplist() (pcp.ts, through s.pcp) before rmqueue_buddy();
 * rmqueue_bulk refills them with rmqueueInner (__rmqueue); the list's migratetype travels in s.lastListMt.
 */
import * as mmApi from "@mm/api";
import { ALLOC_KSWAPD } from "./api.js";
import { addToFreeList, delFromFreeList, modFreepageState, moveFreepagesBlock, moveToFreeList, relabelWithoutMerge, setPageblockMt } from "./free-area.js";
import { listHead, type NodeState, type Zone } from "./internal/node.js";
import { wakeupKswapd } from "./kswapd.js";

// Imported constants bound module-locally for the hot path (why: free-area.ts).
const { ALLOC_CMA, ALLOC_HARDER, ALLOC_NOFRAGMENT, MIGRATE_CMA, MIGRATE_HIGHATOMIC, MIGRATE_MOVABLE, MIGRATE_PCPTYPES, MIGRATE_RECLAIMABLE, MIGRATE_TYPES, MIGRATE_UNMOVABLE } = mmApi;

/** fallbacks[] (6.1): the order in which other free lists are raided; the rest have none. */
const FALLBACKS: readonly (readonly number[])[] = [
  [MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE], // Unmovable
  [MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE], // Movable
  [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE], // Reclaimable
  [],
  [],
  [],
];

/** expand(): hand the upper halves back to free_list[mt] at decreasing orders (list head). */
export function expand(s: NodeState, zi: number, pfn: number, low: number, high: number, mt: number): void {
  let size = 1 << high;
  while (high > low) {
    high--;
    size >>= 1; // int32 shifts keep pfn arithmetic in small integers (>>> would type it uint32)
    addToFreeList(s, pfn + size, zi, high, mt, false);
  }
}

/**
 * __rmqueue_smallest(): first block of free_list[mt] at the smallest order that has one. The
 * kernel tests each order's list in turn; freeMask names the first non-empty one directly.
 */
export function rmqueueSmallest(s: NodeState, zi: number, order: number, mt: number): number {
  const m = s.freeMask[zi * MIGRATE_TYPES + mt] >> order;
  if (m === 0) return -1;
  const o = order + 31 - Math.clz32(m & -m);
  const pfn = s.next[s.listBase + (zi * s.nrOrders + o) * MIGRATE_TYPES + mt];
  delFromFreeList(s, pfn, zi, o);
  if (o !== order) expand(s, zi, pfn, order, o, mt);
  return pfn;
}

/** can_steal_fallback(). */
function canStealFallback(s: NodeState, order: number, startMt: number): boolean {
  if (order >= s.pageblockOrder) return true;
  return order >= s.pageblockOrder >>> 1 || startMt === MIGRATE_RECLAIMABLE || startMt === MIGRATE_UNMOVABLE;
}

/** find_suitable_fallback(area, order, mt, only_stealable = false, &can_steal). */
function findSuitableFallback(s: NodeState, zi: number, order: number, mt: number): number {
  if (s.nrFreeArr[zi * s.nrOrders + order] === 0) return -1;
  s.canSteal = false;
  const fb = FALLBACKS[mt];
  for (let i = 0; i < fb.length; i++) {
    const fmt = fb[i];
    if (((s.freeMask[zi * MIGRATE_TYPES + fmt] >> order) & 1) === 0) continue; // free_area_empty
    if (canStealFallback(s, order, mt)) s.canSteal = true;
    return fmt;
  }
  return -1;
}

/** boost_watermark(). */
function boostWatermark(s: NodeState, z: Zone): boolean {
  if (s.watermarkBoostFactor === 0) return false;
  if (s.pageblockNrPages * 4 > z.managed) return false;
  let maxBoost = Math.floor((z.wmarkHigh * s.watermarkBoostFactor) / 10000);
  if (maxBoost === 0) return false;
  maxBoost = Math.max(s.pageblockNrPages, maxBoost);
  z.watermarkBoost = Math.min(z.watermarkBoost + s.pageblockNrPages, maxBoost);
  return true;
}

/** steal_suitable_fallback() (6.1). */
function stealSuitableFallback(s: NodeState, z: Zone, pfn: number, allocFlags: number, startType: number, wholeBlock: boolean): void {
  const curOrder = s.order[pfn];
  const oldType = s.pageblockMt[pfn >>> s.pageblockOrder];
  single: {
    if (oldType === MIGRATE_HIGHATOMIC) break single;
    if (curOrder >= s.pageblockOrder) {
      // change_pageblock_range(): take ownership of every pageblock of the block.
      for (let i = 0; i < 1 << (curOrder - s.pageblockOrder); i++) setPageblockMt(s, pfn + i * s.pageblockNrPages, startType);
      s.stats.pageblockSteals += 1 << (curOrder - s.pageblockOrder);
      break single;
    }
    if (boostWatermark(s, z) && allocFlags & ALLOC_KSWAPD) z.boostedFlag = true;
    if (!wholeBlock) break single;
    const freePages = moveFreepagesBlock(s, z, pfn, startType);
    const movable = s.movableScratch;
    let alike: number;
    if (startType === MIGRATE_MOVABLE) alike = movable;
    else if (oldType === MIGRATE_MOVABLE) alike = s.pageblockNrPages - (freePages + movable);
    else alike = 0;
    if (freePages === 0) break single;
    if (freePages + alike >= s.pageblockNrPages >>> 1) {
      setPageblockMt(s, pfn, startType);
      s.stats.pageblockSteals++;
    }
    return;
  }
  moveToFreeList(s, pfn, z.idx, curOrder, startType);
}

/** __rmqueue_fallback() (6.1): largest block of a fallback type, or the smallest if it can't steal. */
export function rmqueueFallback(s: NodeState, z: Zone, order: number, startMt: number, allocFlags: number): boolean {
  const zi = z.idx;
  // 6.1: pageblock_order is the floor only for requests below it (e933dc4a07b3, new in 6.1).
  const minOrder = order < s.pageblockOrder && allocFlags & ALLOC_NOFRAGMENT ? s.pageblockOrder : order;
  let cur = s.maxOrder;
  let fmt: number;
  for (; cur >= minOrder; cur--) {
    fmt = findSuitableFallback(s, zi, cur, startMt);
    if (fmt === -1) continue;
    if (!s.canSteal && startMt === MIGRATE_MOVABLE && cur > order) {
      // find_smallest
      for (cur = order; cur <= s.maxOrder; cur++) {
        fmt = findSuitableFallback(s, zi, cur, startMt);
        if (fmt !== -1) break;
      }
    }
    const pfn = s.next[s.listBase + (zi * s.nrOrders + cur) * MIGRATE_TYPES + fmt];
    s.stats.fallbacks++;
    stealSuitableFallback(s, z, pfn, allocFlags, startMt, s.canSteal);
    return true;
  }
  return false;
}

/**
 * __rmqueue(): CMA first when ALLOC_CMA and CMA holds more than half the free pages, else mt,
 * then CMA, then the fallbacks (which move blocks onto mt's list). s.lastListMt tells the list
 * the block came from.
 */
export function rmqueueInner(s: NodeState, z: Zone, order: number, mt: number, allocFlags: number): number {
  const zi = z.idx;
  if (allocFlags & ALLOC_CMA && z.freeCmaPages > Math.floor(z.freePages / 2)) {
    const p = rmqueueSmallest(s, zi, order, MIGRATE_CMA);
    if (p >= 0) {
      s.lastListMt = MIGRATE_CMA;
      return p;
    }
  }
  for (;;) {
    let p = rmqueueSmallest(s, zi, order, mt);
    if (p >= 0) {
      s.lastListMt = mt;
      return p;
    }
    if (allocFlags & ALLOC_CMA) {
      p = rmqueueSmallest(s, zi, order, MIGRATE_CMA);
      if (p >= 0) {
        s.lastListMt = MIGRATE_CMA;
        return p;
      }
    }
    if (!rmqueueFallback(s, z, order, mt, allocFlags)) return -1;
  }
}

/** rmqueue_buddy(): HighAtomic first for ALLOC_HARDER orders > 0, then __rmqueue; NR_FREE_PAGES drops. */
function rmqueueBuddy(s: NodeState, z: Zone, order: number, allocFlags: number, mt: number): number {
  let pfn = -1;
  let listMt = mt;
  if (order > 0 && allocFlags & ALLOC_HARDER) {
    pfn = rmqueueSmallest(s, z.idx, order, MIGRATE_HIGHATOMIC);
    listMt = MIGRATE_HIGHATOMIC;
  }
  if (pfn < 0) {
    pfn = rmqueueInner(s, z, order, mt, allocFlags);
    if (pfn < 0) return -1;
    listMt = s.lastListMt;
  }
  modFreepageState(z, -(1 << order), listMt);
  return pfn;
}

/** rmqueue(): rmqueue_pcplist() first when the machine has pcp lists (pcp.ts), then the buddy lists, then the boost wakeup. */
export function rmqueue(s: NodeState, z: Zone, order: number, allocFlags: number, mt: number): number {
  let pfn = s.pcp !== null ? s.pcp.rmqueuePcplist(z, order, allocFlags, mt) : -1; // pcp.ts
  if (pfn < 0) pfn = rmqueueBuddy(s, z, order, allocFlags, mt);
  if (pfn >= 0 && z.boostedFlag) rmqueueBoosted(s, z);
  return pfn;
}

/** rmqueue()'s tail: ZONE_BOOSTED_WATERMARK was set by a fallback; clear it and wake kswapd. */
export function rmqueueBoosted(s: NodeState, z: Zone): void {
  z.boostedFlag = false;
  wakeupKswapd(s, 0, z.idx);
}

/** reserve_highatomic_pageblock(). */
export function reserveHighatomicPageblock(s: NodeState, pfn: number, z: Zone): void {
  const maxManaged = Math.floor(z.managed / 100) + s.pageblockNrPages;
  if (z.nrReservedHighatomic >= maxManaged) return;
  const mt = s.pageblockMt[pfn >>> s.pageblockOrder];
  if (mt < MIGRATE_PCPTYPES) {
    z.nrReservedHighatomic += s.pageblockNrPages;
    setPageblockMt(s, pfn, MIGRATE_HIGHATOMIC);
    moveFreepagesBlock(s, z, pfn, MIGRATE_HIGHATOMIC);
  }
}

/** unreserve_highatomic_pageblock(ac, force). */
export function unreserveHighatomicPageblock(s: NodeState, highest: number, mt: number, force: boolean): boolean {
  for (const z of s.zonelist) {
    if (z.idx > highest) continue;
    if (!force && z.nrReservedHighatomic <= s.pageblockNrPages) continue;
    for (let o = 0; o <= s.maxOrder; o++) {
      const h = listHead(s, z.idx, o, MIGRATE_HIGHATOMIC);
      const pfn = s.next[h];
      if (pfn === h) continue;
      if (s.pageblockMt[pfn >>> s.pageblockOrder] === MIGRATE_HIGHATOMIC)
        z.nrReservedHighatomic -= Math.min(s.pageblockNrPages, z.nrReservedHighatomic);
      relabelWithoutMerge(s, pfn, mt);
      if (moveFreepagesBlock(s, z, pfn, mt) !== 0) return true;
    }
  }
  return false;
}

/**
 * Pageblock isolation and alloc_contig_range. Kernel counterpart: mm/page_isolation.c
 * (has_unmovable_pages, set_migratetype_isolate, unset_migratetype_isolate,
 * start/undo_isolate_page_range, test_pages_isolated) and mm/page_alloc.c
 * (alloc_contig_range, __alloc_contig_migrate_range, free_contig_range) of 6.1.
 */
import { __GFP_MOVABLE, MIGRATE_CMA, MIGRATE_ISOLATE, MR_CONTIG_RANGE } from "@mm/api";
import { prepNewPage } from "./alloc.js";
import { EBUSY } from "./api.js";
import { modFreepageState, moveFreepagesBlock, relabelWithoutMerge, setPageblockMt } from "./free-area.js";
import { FPI_SKIP_REPORT_NOTIFY, FPI_TO_TAIL, freeOnePage, freePagesRef } from "./free.js";
import { type NodeState, zoneIdxOf } from "./internal/node.js";
import { isolateFreePage } from "./isolate-free-page.js";
import { migratePage } from "./migrate.js";
import { allocatedBlockHead, freeBlockHead } from "./page-lookup.js";
import { PB_ALLOC, PB_BUDDY, PB_ISOLATED, PB_MOVABLE, PB_RESERVED } from "./page-state.js";
import { splitPage } from "./refcount.js";

/**
 * has_unmovable_pages() for one pageblock: reserved pages and allocated pages that are not
 * movable block isolation; CMA pageblocks are only isolatable for a CMA request.
 */
function hasUnmovablePages(s: NodeState, pb: number, mt: number): number {
  const pbmt = s.pageblockMt[pb >>> s.pageblockOrder];
  if (pbmt === MIGRATE_CMA) return mt === MIGRATE_CMA ? -1 : pb;
  const end = pb + s.pageblockNrPages;
  const flags = s.flags;
  for (let p = pb; p < end; ) {
    const f = flags[p];
    if (f & PB_RESERVED) return p;
    if (f & (PB_BUDDY | PB_ISOLATED)) {
      p += 1 << s.order[p];
      continue;
    }
    if (f & PB_ALLOC && (f & PB_MOVABLE) === 0) return p;
    p++;
  }
  return -1;
}

/** set_migratetype_isolate(): 0, or -EBUSY (already isolated, or an unmovable page). */
function setMigratetypeIsolate(s: NodeState, pb: number, mt: number): number {
  if (s.pageblockMt[pb >>> s.pageblockOrder] === MIGRATE_ISOLATE) return -EBUSY;
  if (hasUnmovablePages(s, pb, mt) >= 0) return -EBUSY;
  const z = s.zones[zoneIdxOf(s, pb)];
  const old = s.pageblockMt[pb >>> s.pageblockOrder];
  setPageblockMt(s, pb, MIGRATE_ISOLATE);
  z.nrIsolatePageblock++;
  const nr = moveFreepagesBlock(s, z, pb, MIGRATE_ISOLATE);
  modFreepageState(z, -nr, old);
  return 0;
}

/**
 * unset_migratetype_isolate(): back to `mt`. A free block of at least pageblock order whose
 * buddy is not isolated is isolated and put back so that it can merge (the kernel's trick).
 */
function unsetMigratetypeIsolate(s: NodeState, pb: number, mt: number): void {
  if (s.pageblockMt[pb >>> s.pageblockOrder] !== MIGRATE_ISOLATE) return;
  const z = s.zones[zoneIdxOf(s, pb)];
  let isolatedOrder = -1;
  if (s.flags[pb] & PB_BUDDY) {
    const o = s.order[pb];
    if (o >= s.pageblockOrder && o < s.maxOrder) {
      const b = pb ^ (1 << o);
      if (s.flags[b] & PB_BUDDY && s.order[b] === o && s.pageblockMt[b >>> s.pageblockOrder] !== MIGRATE_ISOLATE) {
        if (isolateFreePage(s, pb, o)) isolatedOrder = o;
      }
    }
  }
  if (isolatedOrder < 0) {
    const nr = moveFreepagesBlock(s, z, pb, mt);
    modFreepageState(z, nr, mt);
  }
  if (isolatedOrder >= 0) setPageblockMt(s, pb, mt);
  else relabelWithoutMerge(s, pb, mt); // the watermark refused the isolate-and-putback trick
  if (isolatedOrder >= 0) {
    s.flags[pb] = 0;
    freeOnePage(s, pb, isolatedOrder, mt, FPI_SKIP_REPORT_NOTIFY | FPI_TO_TAIL);
  }
  z.nrIsolatePageblock--;
}

/**
 * alloc_contig_range(start, end, migratetype) over a checked range: isolate the pageblocks
 * around it (max-order aligned, as pfn_max_align_down/up did before 5.19), migrate its movable
 * pages out with MR_CONTIG_RANGE, check that everything is free, take the free pages as order-0
 * pages with refcount 1 (post_alloc_hook + split_page), give back the excess, undo the isolation.
 * @returns 0, or -EBUSY (the isolation is undone; pages migrated before stay where they went).
 */
export function allocContigRange(s: NodeState, startPfn: number, endPfn: number, migratetype: number): number {
  const block = 1 << s.maxOrder;
  const isoStart = startPfn & ~(block - 1);
  const isoEnd = Math.min(Math.ceil(endPfn / block) * block, s.nrPfns);
  const pbn = s.pageblockNrPages;

  // start_isolate_page_range
  for (let pb = isoStart; pb < isoEnd; pb += pbn) {
    if (setMigratetypeIsolate(s, pb, migratetype) !== 0) {
      for (let u = isoStart; u < pb; u += pbn) unsetMigratetypeIsolate(s, u, migratetype);
      return -EBUSY;
    }
  }
  // drain_all_pages(cc.zone): pcp pages of the range come back, onto the isolate lists.
  if (s.pcp !== null) s.pcp.drainAllPages(zoneIdxOf(s, startPfn));
  let ret = 0;
  // __alloc_contig_migrate_range: move every in-use page of [start, end) elsewhere.
  for (let p = startPfn; p < endPfn; ) {
    const f = s.flags[p];
    if (f & (PB_BUDDY | PB_ISOLATED)) {
      p = (p & ~((1 << s.order[p]) - 1)) + (1 << s.order[p]);
      continue;
    }
    const h = allocatedBlockHead(s, p);
    if (h < 0) {
      p++;
      continue;
    }
    const next = h + (1 << s.order[h]);
    if ((s.flags[h] & PB_MOVABLE) === 0 || migratePage(s, h, MR_CONTIG_RANGE) < 0) {
      ret = -EBUSY;
      break;
    }
    p = next;
  }
  if (ret === 0) {
    // The free block holding startPfn may begin before it (outer_start).
    let outerStart = startPfn;
    const fh = freeBlockHead(s, startPfn);
    if (fh >= 0 && fh < startPfn) outerStart = fh;
    // test_pages_isolated: only free blocks from outerStart to end.
    for (let p = outerStart; p < endPfn; ) {
      if ((s.flags[p] & PB_BUDDY) === 0 || s.pageblockMt[p >>> s.pageblockOrder] !== MIGRATE_ISOLATE) {
        ret = -EBUSY;
        break;
      }
      p += 1 << s.order[p];
    }
    if (ret === 0) {
      // isolate_freepages_range + split_map_pages.
      let p = outerStart;
      while (p < endPfn) {
        const o = s.order[p];
        isolateFreePage(s, p, o);
        prepNewPage(s, p, o, __GFP_MOVABLE);
        if (o > 0) splitPage(s, p, o);
        p += 1 << o;
      }
      const outerEnd = p;
      // free_contig_range for the excess on both sides.
      for (let q = outerStart; q < startPfn; q++) freePagesRef(s, q, 0);
      for (let q = endPfn; q < outerEnd; q++) freePagesRef(s, q, 0);
    }
  }
  // undo_isolate_page_range
  for (let pb = isoStart; pb < isoEnd; pb += pbn) unsetMigratetypeIsolate(s, pb, migratetype);
  return ret;
}

/** free_contig_range(pfn, nr) over checked order-0 pages: __free_page on each. */
export function freeContigRange(s: NodeState, pfn: number, nrPages: number): void {
  for (let p = pfn; p < pfn + nrPages; p++) freePagesRef(s, p, 0);
}

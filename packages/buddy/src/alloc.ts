/**
 * The allocation fast path: which zones and lists a gfp may use, the zonelist walk against the
 * watermarks, and preparing the page that was found. Kernel counterpart: mm/page_alloc.c
 * (gfp_zone, gfp_migratetype, alloc_flags_nofragment, gfp_to_alloc_flags_cma,
 * get_page_from_freelist, prep_new_page / post_alloc_hook, prep_compound_page) of 6.1.
 */
import { type Gfp, MmError } from "@mm/api";
import * as mmApi from "@mm/api";
import { type NodeState } from "./internal/node.js";
import * as pageState from "./page-state.js";
import { delFromFreeList } from "./free-area.js";
import { expand, reserveHighatomicPageblock, rmqueue, rmqueueBoosted } from "./rmqueue.js";
import { ALLOC_WMARK_MASK, watermarkFast, wmarkPages } from "./zone-wmark.js";

// Imported constants bound module-locally for the hot path (why: free-area.ts).
const { __GFP_COMP, __GFP_MOVABLE, ALLOC_CMA, ALLOC_HARDER, ALLOC_NO_WATERMARKS, ALLOC_NOFRAGMENT, ALLOC_OOM, GFP_ZONEMASK, MIGRATE_TYPES, MIGRATE_MOVABLE, ZONE_DMA, ZONE_DMA32, ZONE_MOVABLE, ZONE_NORMAL } = mmApi;
const { PB_ALLOC, PB_HEAD, PB_MOVABLE, PB_TAIL } = pageState;

/**
 * GFP_ZONE_TABLE / GFP_ZONE_BAD (include/linux/gfp.h) for x86-64 without HIGHMEM, indexed by
 * gfp & GFP_ZONEMASK (DMA 1, HIGHMEM 2, DMA32 4, MOVABLE 8); -1 marks the bad combinations.
 */
const GFP_ZONE_TABLE = Int8Array.of(
  ZONE_NORMAL, ZONE_DMA, ZONE_NORMAL, -1, ZONE_DMA32, -1, -1, -1, // without __GFP_MOVABLE
  ZONE_NORMAL, ZONE_DMA, ZONE_MOVABLE, -1, ZONE_DMA32, -1, -1, -1, // with __GFP_MOVABLE
);

/** gfp_zone(): the highest zone a gfp may use; throws EINVAL for the GFP_ZONE_BAD combinations. */
export function gfpZone(gfp: Gfp): number {
  const z = GFP_ZONE_TABLE[gfp & GFP_ZONEMASK];
  if (z < 0) badGfpZone(gfp);
  return z;
}

function badGfpZone(gfp: Gfp): never {
  throw new MmError("EINVAL", `gfp 0x${gfp.toString(16)} has conflicting zone modifiers`, { gfp });
}

/** gfp_to_alloc_flags_cma(): movable requests may use CMA pageblocks. */
export function allocFlagsCma(s: NodeState, mt: number, f: number): number {
  return s.config.cma && mt === MIGRATE_MOVABLE ? f | ALLOC_CMA : f;
}

/**
 * alloc_flags_nofragment(ac->preferred_zoneref->zone) with CONFIG_ZONE_DMA32 (the x86-64 layout):
 * ALLOC_NOFRAGMENT when the preferred zone, the first managed zone of the zonelist at or below
 * highest_zoneidx, is ZONE_NORMAL.
 */
export function allocFlagsNofragment(s: NodeState, highest: number): number {
  if (s.zoneLayout !== "x86-64") return 0;
  const zl = s.zonelist;
  for (let i = 0; i < zl.length; i++) if (zl[i].idx <= highest) return zl[i].idx === ZONE_NORMAL ? ALLOC_NOFRAGMENT : 0;
  return 0;
}

/** prep_new_page -> post_alloc_hook (refcount 1, set_page_owner) + prep_compound_page. */
export function prepNewPage(s: NodeState, pfn: number, order: number, gfp: Gfp): void {
  const movable = (gfp & __GFP_MOVABLE) !== 0 ? PB_MOVABLE : 0;
  s.refcount[pfn] = 1;
  s.order[pfn] = order;
  if (gfp & __GFP_COMP && order > 0) prepCompoundPage(s, pfn, order, movable);
  else s.flags[pfn] = PB_ALLOC | movable;
  const hooks = s.postAllocHooks;
  for (let i = 0; i < hooks.length; i++) hooks[i].postAlloc(pfn, order, gfp);
}

/** prep_compound_page(): head and tails marked (movable on every page, as the LRU would). */
function prepCompoundPage(s: NodeState, pfn: number, order: number, movable: number): void {
  s.flags[pfn] = PB_ALLOC | PB_HEAD | movable;
  s.flags.fill(PB_TAIL | movable, pfn + 1, pfn + (1 << order));
}

/**
 * get_page_from_freelist(): walk the zonelist from the highest usable zone down; take the first
 * zone whose watermark allows the request and whose lists have a block.
 *
 * The common case is written out in this one function, so that V8 compiles it as one unit: the
 * order-0 test of zone_watermark_fast (against the cached NR_FREE_PAGES, no loops), and, when
 * neither ALLOC_CMA nor a HighAtomic attempt applies, __rmqueue_smallest with its list unlink and
 * expand, then prep_new_page. Everything else calls the functions that model the rest
 * (watermarkFast, rmqueue, prepNewPage). The result is the same block either way: the inline
 * steps are the first steps of those functions. Per-cpu lists (rmqueue_pcplist) come before
 * rmqueue_buddy in the kernel, so a machine with pcp lists skips the inline take and goes
 * through rmqueue().
 */
export function getPageFromFreelist(s: NodeState, order: number, gfp: Gfp, allocFlags: number, highest: number, mt: number): number {
  const zl = s.zonelist;
  for (;;) {
    for (let i = 0; i < zl.length; i++) {
      const z = zl[i];
      const zi = z.idx;
      if (zi > highest) continue;
      if ((allocFlags & ALLOC_NO_WATERMARKS) === 0) {
        const mark = wmarkPages(z, allocFlags & ALLOC_WMARK_MASK);
        // zone_watermark_fast, order 0: usable = free - min(free, reserved) > mark + lowmem_reserve
        let fast = false;
        if (order === 0) {
          const free = z.freePages;
          const reserved = ((allocFlags & (ALLOC_HARDER | ALLOC_OOM)) === 0 ? z.nrReservedHighatomic : 0) + ((allocFlags & ALLOC_CMA) === 0 ? z.freeCmaPages : 0);
          fast = (reserved < free ? free - reserved : 0) > mark + z.lowmemReserve[highest];
        }
        if (!fast && !watermarkFast(s, z, order, mark, highest, allocFlags, gfp)) continue; // node_reclaim off
      }
      let pfn = -1;
      // with per-cpu lists, rmqueue() tries rmqueue_pcplist first: no inline buddy take then
      if (s.pcp === null && (allocFlags & ALLOC_CMA) === 0 && (order === 0 || (allocFlags & ALLOC_HARDER) === 0)) {
        // rmqueue -> rmqueue_buddy -> __rmqueue -> __rmqueue_smallest(mt)
        const m = s.freeMask[zi * MIGRATE_TYPES + mt] >> order;
        if (m !== 0) {
          const o = order + 31 - Math.clz32(m & -m);
          const next = s.next;
          pfn = next[s.listBase + (zi * s.nrOrders + o) * MIGRATE_TYPES + mt];
          delFromFreeList(s, pfn, zi, o);
          if (o !== order) expand(s, zi, pfn, order, o, mt);
          z.freePages -= 1 << order; // __mod_zone_freepage_state: mt (gfp_migratetype) is never CMA
          if (z.boostedFlag) rmqueueBoosted(s, z);
        }
      }
      if (pfn < 0) pfn = rmqueue(s, z, order, allocFlags, mt);
      if (pfn >= 0) {
        if (gfp & __GFP_COMP && order > 0) prepNewPage(s, pfn, order, gfp);
        else {
          // prep_new_page -> post_alloc_hook: refcount 1, then set_page_owner and friends
          s.refcount[pfn] = 1;
          s.order[pfn] = order;
          s.flags[pfn] = (gfp & __GFP_MOVABLE) !== 0 ? PB_ALLOC | PB_MOVABLE : PB_ALLOC;
          const hooks = s.postAllocHooks;
          for (let k = 0; k < hooks.length; k++) hooks[k].postAlloc(pfn, order, gfp);
        }
        if (order !== 0 && allocFlags & ALLOC_HARDER) reserveHighatomicPageblock(s, pfn, z);
        return pfn;
      }
    }
    if ((allocFlags & ALLOC_NOFRAGMENT) === 0) return -1;
    allocFlags &= ~ALLOC_NOFRAGMENT;
  }
}

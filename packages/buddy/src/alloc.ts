/**
 * The allocation fast path: which zones and lists a gfp may use, the zonelist walk against the
 * watermarks, and preparing the page that was found. Kernel counterpart: mm/page_alloc.c
 * (gfp_zone, gfp_migratetype, alloc_flags_nofragment, gfp_to_alloc_flags_cma,
 * get_page_from_freelist, prep_new_page / post_alloc_hook, prep_compound_page) of 6.1.
 */
import {
  __GFP_COMP,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_HIGHMEM,
  __GFP_MOVABLE,
  ALLOC_CMA,
  ALLOC_HARDER,
  ALLOC_NO_WATERMARKS,
  ALLOC_NOFRAGMENT,
  type Gfp,
  MIGRATE_MOVABLE,
  MmError,
  ZONE_DMA,
  ZONE_DMA32,
  ZONE_MOVABLE,
  ZONE_NORMAL,
} from "@mm/api";
import { type NodeState } from "./internal/node.js";
import { PB_ALLOC, PB_HEAD, PB_MOVABLE, PB_TAIL } from "./page-state.js";
import { reserveHighatomicPageblock, rmqueue } from "./rmqueue.js";
import { ALLOC_WMARK_MASK, watermarkFast, wmarkPages } from "./zone-wmark.js";

/** gfp_zone(): the highest zone a gfp may use; throws EINVAL for the GFP_ZONE_BAD combinations. */
export function gfpZone(gfp: Gfp): number {
  const z = gfp & (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32);
  if (z === 0) return ZONE_NORMAL;
  if (z === __GFP_DMA) return ZONE_DMA;
  if (z === __GFP_DMA32) return ZONE_DMA32;
  if (z === __GFP_HIGHMEM) return gfp & __GFP_MOVABLE ? ZONE_MOVABLE : ZONE_NORMAL;
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

/** get_page_from_freelist(): walk the zonelist from the highest usable zone down. */
export function getPageFromFreelist(s: NodeState, order: number, gfp: Gfp, allocFlags: number, highest: number, mt: number): number {
  const zl = s.zonelist;
  for (;;) {
    for (let i = 0; i < zl.length; i++) {
      const z = zl[i];
      if (z.idx > highest) continue;
      // node_reclaim is off: a zone under its mark is skipped.
      if ((allocFlags & ALLOC_NO_WATERMARKS) === 0 && !watermarkFast(s, z, order, wmarkPages(z, allocFlags & ALLOC_WMARK_MASK), highest, allocFlags, gfp))
        continue;
      const pfn = rmqueue(s, z, order, allocFlags, mt);
      if (pfn >= 0) {
        prepNewPage(s, pfn, order, gfp);
        if (order !== 0 && allocFlags & ALLOC_HARDER) reserveHighatomicPageblock(s, pfn, z);
        return pfn;
      }
    }
    if ((allocFlags & ALLOC_NOFRAGMENT) === 0) return -1;
    allocFlags &= ~ALLOC_NOFRAGMENT;
  }
}

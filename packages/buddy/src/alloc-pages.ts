/**
 * __alloc_pages(): the entry of every allocation — the fast path against the low watermark, then
 * the slow path. Kernel counterpart: mm/page_alloc.c (__alloc_pages, prepare_alloc_pages) of 6.1.
 */
import { type Gfp, MmError } from "@mm/api";
import * as mmApi from "@mm/api";
import { allocFlagsCma, allocFlagsNofragment, getPageFromFreelist, gfpZone } from "./alloc.js";
import { type NodeState } from "./internal/node.js";
import { allocPagesSlowpath } from "./slowpath.js";

// Imported constants bound module-locally for the hot path (why: free-area.ts).
const { __GFP_KSWAPD_RECLAIM, ALLOC_WMARK_LOW, GFP_MOVABLE_MASK, GFP_MOVABLE_SHIFT } = mmApi;

/**
 * __alloc_pages(gfp, order) for an order already checked against 0..maxOrder.
 * @returns the first pfn, or -1 when the allocation failed (warn_alloc may have printed).
 */
export function allocPagesNode(s: NodeState, order: number, gfp: Gfp): number {
  const highest = gfpZone(gfp);
  if ((gfp & GFP_MOVABLE_MASK) === GFP_MOVABLE_MASK) throw new MmError("EINVAL", "gfp has both __GFP_MOVABLE and __GFP_RECLAIMABLE", { gfp });
  const mt = (gfp & GFP_MOVABLE_MASK) >> GFP_MOVABLE_SHIFT;
  const allocFlags = allocFlagsNofragment(s, highest) | allocFlagsCma(s, mt, ALLOC_WMARK_LOW | (gfp & __GFP_KSWAPD_RECLAIM));
  let pfn = getPageFromFreelist(s, order, gfp, allocFlags, highest, mt);
  if (pfn < 0) pfn = allocPagesSlowpath(s, order, gfp, highest, mt);
  if (pfn >= 0) s.stats.allocs++;
  else s.stats.allocFailures++;
  return pfn;
}

/** get_page_from_freelist at a watermark, through the allocator's no-reclaim attempt. */
import { __GFP_NOWARN, __GFP_RECLAIM, type Pfn, type WatermarkKind } from "@mm/api";
import type { StallState } from "./slowpath-state.js";

export function getPageFromFreelist(s: StallState, t: number, mark: WatermarkKind): Pfn {
  const need = 1 << s.aorder[t];
  // zone_watermark_ok: free - (2^order - 1) must stay above the mark
  if (s.alloc.nrFreePages() - (need - 1) <= s.alloc.watermark(mark)) return -1;
  return s.alloc.allocPages(s.aorder[t], (s.agfp[t] & ~__GFP_RECLAIM) | __GFP_NOWARN);
}

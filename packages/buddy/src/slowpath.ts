/**
 * __alloc_pages_slowpath() (6.1) without compaction: min watermark, kswapd, reserves, direct
 * reclaim through the ReclaimPolicy, retries bounded like should_reclaim_retry, the OOM step
 * through the policy, __GFP_NOFAIL's reserve dip, and warn_alloc on failure.
 * Kernel counterpart: mm/page_alloc.c (gfp_to_alloc_flags, __gfp_pfmemalloc_flags,
 * __alloc_pages_direct_reclaim, should_reclaim_retry, __alloc_pages_may_oom, warn_alloc).
 */
import {
  __GFP_ATOMIC,
  __GFP_DIRECT_RECLAIM,
  __GFP_DMA,
  __GFP_FS,
  __GFP_HIGH,
  __GFP_KSWAPD_RECLAIM,
  __GFP_MEMALLOC,
  __GFP_NOFAIL,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RETRY_MAYFAIL,
  __GFP_THISNODE,
  ALLOC_HARDER,
  ALLOC_NO_WATERMARKS,
  ALLOC_WMARK_HIGH,
  ALLOC_WMARK_MIN,
  formatGfp,
  type Gfp,
  MmError,
  PAGE_ALLOC_COSTLY_ORDER,
  TASK_MEMALLOC,
  ZONE_DMA,
  ZONE_NORMAL,
} from "@mm/api";
import { allocFlagsCma, getPageFromFreelist } from "./alloc.js";
import { ALLOC_KSWAPD, MAX_RECLAIM_RETRIES } from "./api.js";
import { type NodeState } from "./internal/node.js";
import { wakeupKswapd } from "./kswapd.js";
import { unreserveHighatomicPageblock } from "./rmqueue.js";
import { watermarkOk } from "./zone-wmark.js";

/** gfp_to_alloc_flags() (6.1, with __GFP_ATOMIC -> ALLOC_HARDER). */
function gfpToAllocFlags(s: NodeState, gfp: Gfp, mt: number): number {
  let f = ALLOC_WMARK_MIN | (gfp & (__GFP_HIGH | __GFP_KSWAPD_RECLAIM));
  if (gfp & __GFP_ATOMIC && (gfp & __GFP_NOMEMALLOC) === 0) f |= ALLOC_HARDER;
  return allocFlagsCma(s, mt, f);
}

/** __gfp_pfmemalloc_flags(): access to reserves for __GFP_MEMALLOC and PF_MEMALLOC tasks. */
function pfmemallocFlags(s: NodeState, gfp: Gfp): number {
  if (gfp & __GFP_NOMEMALLOC) return 0;
  if (gfp & __GFP_MEMALLOC) return ALLOC_NO_WATERMARKS;
  if (s.tasks !== undefined && s.tasks.current().flags & TASK_MEMALLOC) return ALLOC_NO_WATERMARKS;
  return 0;
}

/** __alloc_pages_slowpath() with the slowpathEnter/Exit hooks around it. */
export function allocPagesSlowpath(s: NodeState, order: number, gfp: Gfp, highest: number, mt: number): number {
  s.stats.slowpaths++;
  const enter = s.slowpathEnterHooks;
  for (let i = 0; i < enter.length; i++) enter[i].slowpathEnter(gfp, order);
  let pfn = -1;
  try {
    pfn = slowpathInner(s, order, gfp, highest, mt);
  } finally {
    // Balanced even when a __GFP_NOFAIL request gives up by throwing.
    const exit = s.slowpathExitHooks;
    for (let i = 0; i < exit.length; i++) exit[i].slowpathExit(gfp, order, pfn);
  }
  return pfn;
}

function slowpathInner(s: NodeState, order: number, gfp: Gfp, highest: number, mt: number): number {
  const canDirectReclaim = (gfp & __GFP_DIRECT_RECLAIM) !== 0;
  const costly = order > PAGE_ALLOC_COSTLY_ORDER;
  let allocFlags = gfpToAllocFlags(s, gfp, mt);
  if (allocFlags & ALLOC_KSWAPD) wakeupKswapd(s, order, highest);
  let pfn = getPageFromFreelist(s, order, gfp, allocFlags, highest, mt);
  if (pfn >= 0) return pfn;
  let noProgressLoops = 0;
  let retries = 0;
  for (;;) {
    // retry:
    if (allocFlags & ALLOC_KSWAPD) wakeupKswapd(s, order, highest);
    const reserve = pfmemallocFlags(s, gfp);
    if (reserve !== 0) allocFlags = allocFlagsCma(s, mt, reserve);
    pfn = getPageFromFreelist(s, order, gfp, allocFlags, highest, mt);
    if (pfn >= 0) return pfn;
    const memallocTask = s.tasks !== undefined && (s.tasks.current().flags & TASK_MEMALLOC) !== 0;
    if (canDirectReclaim && !memallocTask) {
      // __alloc_pages_direct_reclaim
      const progress = s.reclaim.directReclaim(order, gfp, highest);
      if (progress > 0) {
        pfn = getPageFromFreelist(s, order, gfp, allocFlags, highest, mt);
        if (pfn < 0 && unreserveHighatomicPageblock(s, highest, mt, false)) pfn = getPageFromFreelist(s, order, gfp, allocFlags, highest, mt);
        if (pfn >= 0) return pfn;
      }
      if ((gfp & __GFP_NORETRY) === 0 && !(costly && (gfp & __GFP_RETRY_MAYFAIL) === 0)) {
        const retry = shouldReclaimRetry(s, order, highest, mt, allocFlags, progress > 0, noProgressLoops);
        noProgressLoops = progress > 0 && !costly ? 0 : noProgressLoops + 1;
        if (retry) {
          if (++retries <= s.maxSlowpathRetries) continue;
        } else {
          // __alloc_pages_may_oom: one more try at the high watermark, then the OOM step.
          pfn = getPageFromFreelist(s, order, gfp & ~__GFP_DIRECT_RECLAIM, ALLOC_WMARK_HIGH, highest, mt);
          if (pfn >= 0) return pfn;
          // The `goto out`s of __alloc_pages_may_oom (6.1): costly order, __GFP_RETRY_MAYFAIL or
          // __GFP_THISNODE, highest_zoneidx < ZONE_NORMAL. Then out_of_memory() (mm/oom_kill.c)
          // returns true without killing for a !__GFP_FS request ("The OOM killer does not
          // compensate for IO-less reclaim"), and `out_of_memory(&oc) || WARN_ON_ONCE_GFP(gfp_mask
          // & __GFP_NOFAIL)` sets *did_some_progress, so such an allocation retries.
          const oom =
            !costly &&
            (gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE)) === 0 &&
            highest >= ZONE_NORMAL &&
            ((gfp & __GFP_FS) === 0 || (s.reclaim.outOfMemory !== undefined && s.reclaim.outOfMemory(order, gfp)) || (gfp & __GFP_NOFAIL) !== 0);
          if (oom) {
            // "Help non-failing allocations by giving them access to memory reserves":
            // __alloc_pages_cpuset_fallback(gfp, order, ALLOC_NO_WATERMARKS, ac).
            if (gfp & __GFP_NOFAIL) {
              pfn = getPageFromFreelist(s, order, gfp, ALLOC_NO_WATERMARKS, highest, mt);
              if (pfn >= 0) return pfn;
            }
            if (++retries <= s.maxSlowpathRetries) {
              noProgressLoops = 0;
              continue;
            }
          }
        }
      }
    }
    // nopage:
    if (gfp & __GFP_NOFAIL) {
      // __alloc_pages_cpuset_fallback with ALLOC_HARDER, then `goto retry` (forever in the kernel).
      pfn = getPageFromFreelist(s, order, gfp, ALLOC_HARDER | ALLOC_WMARK_MIN, highest, mt);
      if (pfn >= 0) return pfn;
      if (++retries <= s.maxSlowpathRetries) continue;
      warnAlloc(s, gfp, order);
      throw new MmError(
        "NOMEM",
        `__GFP_NOFAIL order-${order} allocation still failing after ${s.maxSlowpathRetries} retries (the kernel would loop forever)`,
        { order, gfp },
      );
    }
    warnAlloc(s, gfp, order);
    return -1;
  }
}

/** should_reclaim_retry() (6.1) with the policy's reclaimable pages. */
function shouldReclaimRetry(s: NodeState, order: number, highest: number, mt: number, allocFlags: number, didProgress: boolean, noProgressLoops: number): boolean {
  const loops = didProgress && order <= PAGE_ALLOC_COSTLY_ORDER ? 0 : noProgressLoops + 1;
  if (loops > MAX_RECLAIM_RETRIES) return unreserveHighatomicPageblock(s, highest, mt, true);
  const policy = s.reclaim;
  for (const z of s.zonelist) {
    if (z.idx > highest) continue;
    const available = (policy.reclaimablePages !== undefined ? policy.reclaimablePages(z.idx) : 0) + z.freePages;
    if (watermarkOk(s, z, order, z.wmarkMin + z.watermarkBoost, highest, allocFlags, available)) return true;
  }
  return false;
}

/** warn_alloc(gfp, NULL, "page allocation failure: order:%u", order): first line only. */
function warnAlloc(s: NodeState, gfp: Gfp, order: number): void {
  if (gfp & __GFP_NOWARN) return;
  if (!s.nopageRs.check(s.clock.now(), s.log)) return;
  // has_managed_dma()
  if (gfp & __GFP_DMA && s.zones[ZONE_DMA].managed === 0) return;
  const comm = s.tasks !== undefined ? s.tasks.current().comm : "swapper/0";
  const g = gfp >>> 0;
  const cs = s.cpuset === null ? "" : `,cpuset=${s.cpuset.name},mems_allowed=${s.cpuset.memsAllowed}`;
  s.stats.warnAllocs++;
  s.log(
    `${comm}: page allocation failure: order:${order}, mode:${g === 0 ? "0" : `0x${g.toString(16)}`}(${formatGfp(g, s.gfpEra)}), nodemask=(null)${cs}`,
  );
}

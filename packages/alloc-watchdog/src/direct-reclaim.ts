/**
 * Direct reclaim as the 4.9 slow path ran it: shrink_inactive_list (too_many_isolated() and its
 * congestion_wait(HZ/10), isolate a batch, CPU time per page, writeback of the dirty pages in it),
 * shrink_slab's filesystem shrinker under its mutex (for __GFP_FS reclaim), the attempt after
 * reclaim, and should_reclaim_retry() (MAX_RECLAIM_RETRIES no-progress loops, the shrinking
 * available estimate, the congestion wait when dirty pages dominate) before the OOM path.
 */
import {
  __GFP_FS,
  __GFP_IO,
  __GFP_NORETRY,
  __GFP_RETRY_MAYFAIL,
  MAX_RECLAIM_RETRIES,
  PAGE_ALLOC_COSTLY_ORDER,
  WMARK_MIN,
} from "@mm/api";
import { TASK_RUNNING, TASK_UNINTERRUPTIBLE } from "./api.js";
import { getPageFromFreelist } from "./freelist.js";
import { freeIsolated, isolate } from "./lru.js";
import { mayOom } from "./oom-kill.js";
import { NO_TASK, P_BACKOFF, P_CONGESTED, P_LOCK_WAIT, P_RECLAIM_WORK, P_RETRY, P_SHRINK, type StallState } from "./slowpath-state.js";
import { block, busy, fsEnqueue } from "./task-state.js";

/** too_many_isolated(): more pages isolated than the inactive list holds (>> 3 for GFP_IO|GFP_FS). */
function tooManyIsolated(s: StallState, t: number): boolean {
  if (t === s.kswapd || s.cfg.reclaim.throttleIsolated === false) return false;
  let inactive = s.cacheLen;
  // GFP_NOIO/GFP_NOFS callers may get more isolated pages, to avoid deadlocks on the fs/io they hold
  if ((s.agfp[t] & (__GFP_IO | __GFP_FS)) === (__GFP_IO | __GFP_FS)) inactive = Math.floor(inactive / 8);
  return s.isolatedTotal > inactive;
}

/** shrink_inactive_list: throttle, isolate, work. */
export function reclaimBegin(s: StallState, t: number): void {
  if (tooManyIsolated(s, t)) {
    s.stats.throttled++;
    return block(s, t, P_CONGESTED, TASK_UNINTERRUPTIBLE, Math.floor(s.hz / 10) * s.jiffyNs);
  }
  const n = isolate(s, t);
  if (n === 0) return reclaimShrinkers(s, t);
  busy(s, t, P_RECLAIM_WORK, n * s.cfg.reclaim.costPerPageNs);
}

/** The batch is clean (or written back): free it, count the progress, go on to the shrinkers. */
export function reclaimFree(s: StallState, t: number): void {
  const n = freeIsolated(s, t);
  s.stats.directReclaimed += n;
  s.progress[t] += n;
  reclaimShrinkers(s, t);
}

/** shrink_slab: the fs shrinker under its mutex, for __GFP_FS reclaim only. */
function reclaimShrinkers(s: StallState, t: number): void {
  const ns = s.cfg.reclaim.fsShrinkerNs ?? 0;
  // a task already holding the fs lock cannot take it again (GFP_NOFS exists for that)
  if (ns > 0 && s.agfp[t] & __GFP_FS && s.fsLockOwner !== t) {
    if (s.fsLockOwner === NO_TASK) {
      s.fsLockOwner = t;
      return busy(s, t, P_SHRINK, ns);
    }
    return fsEnqueue(s, t, P_LOCK_WAIT);
  }
  afterReclaim(s, t);
}

/** Back in __alloc_pages_direct_reclaim: try again, then decide whether to loop. */
export function afterReclaim(s: StallState, t: number): void {
  s.tstate[t] = TASK_RUNNING;
  s.phase[t] = P_RETRY;
  const pfn = getPageFromFreelist(s, t, WMARK_MIN);
  if (pfn >= 0) return s.loop.gotPage(s, t, pfn);
  const gfp = s.agfp[t];
  const order = s.aorder[t];
  if (gfp & __GFP_NORETRY) return s.loop.nopage(s, t);
  if (order > PAGE_ALLOC_COSTLY_ORDER && !(gfp & __GFP_RETRY_MAYFAIL)) return s.loop.nopage(s, t);
  // the v4.9–v4.10 stall check sits here: after reclaim failed us, before should_reclaim_retry
  for (const o of s.checkAfterReclaim) o.stallCheck(t, gfp, order, s.allocStart[t]);
  const progress = s.progress[t];
  // should_reclaim_retry()
  if (progress > 0 && order <= PAGE_ALLOC_COSTLY_ORDER) s.noProgress[t] = 0;
  else s.noProgress[t]++;
  if (s.noProgress[t] <= MAX_RECLAIM_RETRIES) {
    const reclaimable = s.cacheLen;
    let available = reclaimable + s.alloc.nrFreePages();
    available -= Math.ceil((s.noProgress[t] * available) / MAX_RECLAIM_RETRIES);
    if (available - ((1 << order) - 1) > s.alloc.watermark(WMARK_MIN)) {
      // lots of dirty/writeback pages: wait for the flushers instead of spinning
      if (progress === 0 && 2 * s.cacheDirty > reclaimable)
        return block(s, t, P_BACKOFF, TASK_UNINTERRUPTIBLE, Math.floor(s.hz / 10) * s.jiffyNs);
      return s.loop.loopAgain(s, t);
    }
  }
  mayOom(s, t);
}

/**
 * The driver: each task's step function and the allocation loop around __alloc_pages_slowpath
 * (v4.9 shape). A burst of allocations takes the fast path (low watermark) per block; a failure
 * enters the slow path for that block: the tables' start_memalloc_timer, the listeners, then the
 * retry loop (wake kswapd, attempt at the min watermark, the stall check, direct reclaim, ...)
 * until a page, NULL, or the task's death. Every wait is an event on the Scheduler; `run` is the
 * state machine that continues a task when its event fires.
 */
import { __GFP_DIRECT_RECLAIM, MmError, type Pfn, WMARK_LOW, WMARK_MIN } from "@mm/api";
import { TASK_RUNNING, TASK_UNINTERRUPTIBLE } from "./api.js";
import { afterReclaim, reclaimBegin, reclaimFree } from "./direct-reclaim.js";
import { getPageFromFreelist } from "./freelist.js";
import { kswapdRun, wakeKswapd } from "./kswapd.js";
import { cachePush, freeIsolated } from "./lru.js";
import { oomAfterNotifier } from "./oom-kill.js";
import {
  K_IO,
  K_SLEEP,
  K_WORK,
  NO_TASK,
  P_BACKOFF,
  P_CONGESTED,
  P_EXITING,
  P_FS_ACQUIRE,
  P_FS_HOLD,
  P_LOCK_WAIT,
  P_OOM_BACKOFF,
  P_OOM_NOTIFIER,
  P_OOM_SLEEP,
  P_RECLAIM_IO,
  P_RECLAIM_WORK,
  P_RESPAWN,
  P_RETRY,
  P_SHRINK,
  P_SHRINK_IO,
  P_THINK,
  PAGECACHE_GFP,
  type SlowpathLoop,
  specOf,
  type StallState,
  WORK_FILE,
  WORK_FS_HOLDER,
} from "./slowpath-state.js";
import { rssFreeOldest, rssPush } from "./task-mm.js";
import { block, busy, doExit, finishExit, fsEnqueue, fsUnlock, respawn, think, writeback } from "./task-state.js";

const LOOP: SlowpathLoop = { retry, loopAgain, gotPage, nopage };

/** Give every task its step function and close the slow path's loop. */
export function installSlowpath(s: StallState): void {
  s.loop = LOOP;
  for (let t = 0; t < s.n; t++) s.steps.push(() => run(s, t));
}

/** Fill the initial page cache and schedule every task's first wake-up. */
export function startModel(s: StallState): void {
  if (s.started) throw new MmError("BAD_STATE", "model already started");
  s.started = true;
  const pc = s.cfg.initialPageCache;
  if (pc !== undefined) {
    for (let i = 0; i < pc.pages; i++) {
      const pfn = s.alloc.allocPages(0, PAGECACHE_GFP);
      if (pfn < 0) break;
      cachePush(s, pfn, s.rand() < pc.dirtyFraction);
    }
  }
  for (let t = 0; t < s.n; t++) {
    if (t === s.kswapd) continue;
    const sp = specOf(s, t);
    const first = sp.startNs ?? s.rand() * sp.thinkNs;
    s.phase[t] = P_THINK;
    s.timers[t] = s.sched.schedule(Math.round(first), s.steps[t]);
  }
  wakeKswapd(s);
}

/** A task's event fired: continue it from where its phase says it stands. */
function run(s: StallState, t: number): void {
  s.timers[t] = null;
  switch (s.phase[t]) {
    case P_THINK:
      if (s.sigkill[t]) return doExit(s, t);
      return beginBurst(s, t);
    case P_RETRY:
    case P_BACKOFF:
    case P_OOM_BACKOFF:
      return retry(s, t);
    case P_CONGESTED:
      // shrink_inactive_list bails out with SWAP_CLUSTER_MAX for a killed task
      if (s.sigkill[t]) {
        s.progress[t] += s.batch;
        return afterReclaim(s, t);
      }
      return reclaimBegin(s, t);
    case P_RECLAIM_WORK:
      if (s.isoDirty[t] > 0) return block(s, t, P_RECLAIM_IO, TASK_UNINTERRUPTIBLE, writeback(s, s.isoDirty[t]));
      return reclaimFree(s, t);
    case P_RECLAIM_IO:
      return reclaimFree(s, t);
    case P_LOCK_WAIT: // handed the lock
      return busy(s, t, P_SHRINK, s.cfg.reclaim.fsShrinkerNs ?? 0);
    case P_SHRINK: {
      const io = s.cfg.reclaim.fsShrinkerIoPages ?? 0;
      if (io > 0) return block(s, t, P_SHRINK_IO, TASK_UNINTERRUPTIBLE, writeback(s, io));
      fsUnlock(s, t);
      return afterReclaim(s, t);
    }
    case P_SHRINK_IO:
      fsUnlock(s, t);
      return afterReclaim(s, t);
    case P_OOM_NOTIFIER:
      return oomAfterNotifier(s, t);
    case P_OOM_SLEEP:
      s.oomLockOwner = NO_TASK;
      s.noProgress[t] = 0;
      return retry(s, t);
    case P_FS_ACQUIRE: // handed the lock
      if (s.sigkill[t]) {
        fsUnlock(s, t);
        return doExit(s, t);
      }
      return allocLoop(s, t);
    case P_FS_HOLD:
      fsUnlock(s, t);
      return think(s, t);
    case P_EXITING:
      return finishExit(s, t);
    case P_RESPAWN:
      respawn(s, t);
      return beginBurst(s, t);
    case K_SLEEP:
      return kswapdRun(s);
    case K_WORK:
      if (s.isoDirty[t] > 0) return block(s, t, K_IO, TASK_UNINTERRUPTIBLE, writeback(s, s.isoDirty[t]));
      s.stats.kswapdReclaimed += freeIsolated(s, t);
      return kswapdRun(s);
    case K_IO:
      s.stats.kswapdReclaimed += freeIsolated(s, t);
      return kswapdRun(s);
    default:
      throw new MmError("BAD_STATE", `task ${t} woke in phase ${s.phase[t]}`, { t });
  }
}

function beginBurst(s: StallState, t: number): void {
  const sp = specOf(s, t);
  s.tstate[t] = TASK_RUNNING;
  s.burstLeft[t] = sp.burst ?? 1;
  s.agfp[t] = sp.gfp;
  s.aorder[t] = sp.order ?? 0;
  if (sp.work === WORK_FS_HOLDER) {
    if (s.fsLockOwner === NO_TASK) s.fsLockOwner = t;
    else return fsEnqueue(s, t, P_FS_ACQUIRE);
  }
  allocLoop(s, t);
}

/** The burst: fast path per block; a failure enters the slow path for that block. */
function allocLoop(s: StallState, t: number): void {
  s.tstate[t] = TASK_RUNNING;
  const sp = specOf(s, t);
  while (s.burstLeft[t] > 0) {
    if (s.sigkill[t]) return doExit(s, t);
    const pfn = getPageFromFreelist(s, t, WMARK_LOW);
    if (pfn >= 0) {
      gotBlock(s, t, pfn);
      continue;
    }
    const gfp = s.agfp[t];
    if (!(gfp & __GFP_DIRECT_RECLAIM)) {
      // an atomic allocation: one try at the min watermark, then NULL
      wakeKswapd(s);
      const p2 = getPageFromFreelist(s, t, WMARK_MIN);
      if (p2 >= 0) gotBlock(s, t, p2);
      else {
        s.stats.failures++;
        for (const o of s.observers) o.allocFailure(t, gfp, s.aorder[t]);
        s.burstLeft[t]--;
      }
      continue;
    }
    // __alloc_pages_slowpath
    const now = s.sched.now();
    s.stats.slowpaths++;
    s.allocStart[t] = now;
    s.noProgress[t] = 0;
    for (const tb of s.tables) tb.enter(t, gfp, s.aorder[t], now);
    for (const l of s.listeners) l.begin(t, now);
    return retry(s, t);
  }
  if (sp.work === WORK_FS_HOLDER) return busy(s, t, P_FS_HOLD, sp.holdNs ?? 0);
  think(s, t);
}

/** A block the task keeps: page cache for a writer, RSS (oldest freed past the limit) otherwise. */
function gotBlock(s: StallState, t: number, pfn: Pfn): void {
  s.stats.allocations++;
  s.burstLeft[t]--;
  const sp = specOf(s, t);
  if (sp.work === WORK_FILE) cachePush(s, pfn, s.rand() < (sp.dirtyFraction ?? 0));
  else {
    rssPush(s, t, pfn, s.aorder[t]);
    const limit = sp.rssLimitPages ?? Infinity;
    while (s.rssPages[t] > limit) rssFreeOldest(s, t);
  }
}

/** Top of the retry loop. */
function retry(s: StallState, t: number): void {
  const now = s.sched.now();
  s.iterStart[t] = now;
  s.tstate[t] = TASK_RUNNING;
  s.phase[t] = P_RETRY;
  if (s.sigkill[t]) return nopage(s, t);
  wakeKswapd(s);
  const pfn = getPageFromFreelist(s, t, WMARK_MIN);
  if (pfn >= 0) return gotPage(s, t, pfn);
  // the v4.11–v4.14 stall check sits here: after a failed attempt, before direct reclaim
  const gfp = s.agfp[t];
  for (const o of s.checkBeforeReclaim) o.stallCheck(t, gfp, s.aorder[t], s.allocStart[t]);
  s.progress[t] = 0;
  reclaimBegin(s, t);
}

/** goto retry; an iteration that took no simulated time costs a jiffy (stands in for cond_resched and the loop's CPU time). */
function loopAgain(s: StallState, t: number): void {
  if (s.sched.now() === s.iterStart[t]) return block(s, t, P_BACKOFF, TASK_UNINTERRUPTIBLE, s.jiffyNs);
  retry(s, t);
}

/** got_pg: leave the slow path with the block and go on with the burst. */
function gotPage(s: StallState, t: number, pfn: Pfn): void {
  leaveSlowpath(s, t, true);
  gotBlock(s, t, pfn);
  allocLoop(s, t);
}

/** nopage: warn_alloc's failure report (not for a dying task), return NULL. */
function nopage(s: StallState, t: number): void {
  leaveSlowpath(s, t, false);
  s.stats.failures++;
  s.burstLeft[t]--;
  if (s.sigkill[t]) return doExit(s, t);
  for (const o of s.observers) o.allocFailure(t, s.agfp[t], s.aorder[t]);
  allocLoop(s, t);
}

/** stop_memalloc_timer and the listeners' end. */
function leaveSlowpath(s: StallState, t: number, ok: boolean): void {
  const now = s.sched.now();
  for (const tb of s.tables) tb.exit(t, s.agfp[t]);
  for (const l of s.listeners) l.end(t, now, ok);
  s.tstate[t] = TASK_RUNNING;
}

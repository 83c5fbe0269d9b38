/**
 * The OOM path of the 4.9 slow path: __alloc_pages_may_oom() (oom_lock trylock or a one-jiffy
 * uninterruptible sleep, the high-watermark attempt, no OOM kill for costly orders and
 * __GFP_RETRY_MAYFAIL), out_of_memory() (the notifier chain, which may block the oom_lock holder;
 * task_will_free_mem(current); the GFP_NOFS exit; select_bad_process() by RSS, aborting while a
 * victim is alive and not reaped; the kill; schedule_timeout_killable(1) with oom_lock held), and
 * the OOM reaper.
 */
import { __GFP_FS, __GFP_NOFAIL, __GFP_RETRY_MAYFAIL, PAGE_ALLOC_COSTLY_ORDER, WMARK_HIGH } from "@mm/api";
import { PF_EXITING, PF_KTHREAD, TASK_INTERRUPTIBLE, TASK_RUNNING, TASK_UNINTERRUPTIBLE } from "./api.js";
import { getPageFromFreelist } from "./freelist.js";
import { NO_TASK, OOM_ABORT, P_DEAD, P_OOM_BACKOFF, P_OOM_NOTIFIER, P_OOM_SLEEP, P_RESPAWN, P_RETRY, type StallState } from "./slowpath-state.js";
import { block } from "./task-state.js";
import { rssFreeAll } from "./task-mm.js";

/** __alloc_pages_may_oom. */
export function mayOom(s: StallState, t: number): void {
  if (s.oomLockOwner !== NO_TASK) {
    s.stats.oomLockBusy++;
    s.noProgress[t] = 0; // did_some_progress = 1
    return block(s, t, P_OOM_BACKOFF, TASK_UNINTERRUPTIBLE, s.jiffyNs);
  }
  s.oomLockOwner = t;
  const pfn = getPageFromFreelist(s, t, WMARK_HIGH);
  if (pfn >= 0) {
    s.oomLockOwner = NO_TASK;
    return s.loop.gotPage(s, t, pfn);
  }
  const gfp = s.agfp[t];
  const oom = s.cfg.oom;
  // no OOM killer for costly orders or __GFP_RETRY_MAYFAIL: those may fail
  if (oom === null || oom === undefined || (!(gfp & __GFP_NOFAIL) && (s.aorder[t] > PAGE_ALLOC_COSTLY_ORDER || gfp & __GFP_RETRY_MAYFAIL))) {
    s.oomLockOwner = NO_TASK;
    return s.loop.nopage(s, t);
  }
  // out_of_memory()
  s.oomCount++;
  if (s.notifierCallsLeft > 0) {
    s.notifierCallsLeft--;
    return block(s, t, P_OOM_NOTIFIER, TASK_UNINTERRUPTIBLE, oom.notifierBlockNs ?? 0);
  }
  oomAfterNotifier(s, t);
}

/** out_of_memory() after the notifier chain (which frees nothing here). */
export function oomAfterNotifier(s: StallState, t: number): void {
  s.tstate[t] = TASK_RUNNING;
  s.phase[t] = P_RETRY;
  const gfp = s.agfp[t];
  if (s.sigkill[t] || s.pflags[t] & PF_EXITING) {
    // task_will_free_mem(current): let it exit with access to reserves
    s.victim[t] = 1;
    s.oomLockOwner = NO_TASK;
    return s.loop.retry(s, t);
  }
  if (!(gfp & (__GFP_FS | __GFP_NOFAIL))) {
    // "The OOM killer does not compensate for IO-less reclaim": report progress, kill nothing
    s.oomLockOwner = NO_TASK;
    s.noProgress[t] = 0;
    return s.loop.loopAgain(s, t);
  }
  const v = selectBadProcess(s);
  if (v === OOM_ABORT) {
    s.oomLockOwner = NO_TASK;
    s.noProgress[t] = 0;
    return s.loop.loopAgain(s, t);
  }
  if (v === NO_TASK) {
    // the kernel panics ("Out of memory and no killable processes..."); the model fails the allocation
    s.oomLockOwner = NO_TASK;
    return s.loop.nopage(s, t);
  }
  oomKill(s, v);
  // "Give the killed process a good chance to exit": schedule_timeout_killable(1), oom_lock held
  block(s, t, P_OOM_SLEEP, TASK_INTERRUPTIBLE, s.jiffyNs);
}

/** select_bad_process(): largest RSS; abort while a victim is alive and not reaped. */
function selectBadProcess(s: StallState): number {
  let best = NO_TASK;
  let bestPoints = 0;
  for (let t = 0; t < s.n; t++) {
    const p = s.phase[t];
    if (p === P_DEAD || p === P_RESPAWN || s.pflags[t] & PF_KTHREAD) continue;
    if (s.victim[t] && !s.oomSkip[t]) return OOM_ABORT;
    const points = Math.max(1, s.rssPages[t]);
    if (points > bestPoints) {
      best = t;
      bestPoints = points;
    }
  }
  return best;
}

/** oom_kill_process(): the lines, SIGKILL, and the reaper's timer. */
function oomKill(s: StallState, v: number): void {
  s.stats.oomKills++;
  const total = s.alloc.totalPages();
  const rss = s.rssPages[v];
  const score = Math.floor((Math.max(1, rss) * 1000) / Math.max(1, total));
  const log = s.cfg.log;
  if (log !== undefined) {
    // v4.9 oom_kill_process(); the model has no separate VM size, so total-vm is the anon RSS
    log(`Out of memory: Kill process ${s.pids[v]} (${s.comms[v]}) score ${score} or sacrifice child`);
    log(`Killed process ${s.pids[v]} (${s.comms[v]}) total-vm:${rss * 4}kB, anon-rss:${rss * 4}kB, file-rss:0kB, shmem-rss:0kB`);
  }
  s.sigkill[v] = 1;
  s.victim[v] = 1;
  // a killable/interruptible sleep ends now; uninterruptible waits run to their end
  if (s.tstate[v] === TASK_INTERRUPTIBLE && s.timers[v] !== null) {
    s.timers[v]?.cancel();
    s.timers[v] = s.sched.schedule(0, s.steps[v]);
  }
  // 100 ms: the model's stand-in for the reaper thread's wake-up and unmap time
  const delay = s.cfg.oom?.reaperDelayNs === undefined ? 100e6 : s.cfg.oom.reaperDelayNs;
  if (delay !== null) {
    const pid = s.pids[v];
    s.sched.schedule(Math.round(delay), () => reap(s, v, pid));
  }
}

/** oom_reap_task: free the victim's anonymous memory and set MMF_OOM_SKIP. */
function reap(s: StallState, v: number, pid: number): void {
  if (s.pids[v] !== pid || s.phase[v] === P_DEAD || s.phase[v] === P_RESPAWN) return;
  s.stats.reaped += s.rssPages[v];
  rssFreeAll(s, v);
  s.oomSkip[v] = 1;
}

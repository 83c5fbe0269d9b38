/**
 * kswapd: woken by an allocation below the high watermark, balance_pgdat reclaims batches of the
 * oldest page cache (writing back the dirty ones) until free memory is above it again; with
 * nothing reclaimable it sleeps and ignores wakeups for HZ/10 (the kswapd_failures back-off).
 */
import { WMARK_HIGH } from "@mm/api";
import { TASK_INTERRUPTIBLE, TASK_RUNNING } from "./api.js";
import { isolate } from "./lru.js";
import { K_SLEEP, K_WORK, NO_TASK, type StallState } from "./slowpath-state.js";
import { busy, wait } from "./task-state.js";

/** wakeup_kswapd: only a sleeping kswapd past its back-off, and only below the high watermark. */
export function wakeKswapd(s: StallState): void {
  const k = s.kswapd;
  if (k === NO_TASK || s.phase[k] !== K_SLEEP || s.timers[k] !== null) return;
  if (s.sched.now() < s.kswapdNextWakeNs) return;
  if (s.alloc.nrFreePages() > s.alloc.watermark(WMARK_HIGH)) return;
  s.tstate[k] = TASK_RUNNING;
  s.timers[k] = s.sched.schedule(0, s.steps[k]);
}

/** balance_pgdat: reclaim batches until free is above the high watermark. */
export function kswapdRun(s: StallState): void {
  const k = s.kswapd;
  if (s.alloc.nrFreePages() > s.alloc.watermark(WMARK_HIGH)) return wait(s, k, K_SLEEP, TASK_INTERRUPTIBLE);
  const n = isolate(s, k);
  if (n === 0) {
    // nothing reclaimable: sleep, and ignore wakeups for HZ/10 (kswapd_failures back-off)
    s.kswapdNextWakeNs = s.sched.now() + Math.floor(s.hz / 10) * s.jiffyNs;
    return wait(s, k, K_SLEEP, TASK_INTERRUPTIBLE);
  }
  busy(s, k, K_WORK, n * (s.cfg.kswapd?.costPerPageNs ?? 0));
}

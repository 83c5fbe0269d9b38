/**
 * The task side of the model: how a task waits. A sleep with a timer (schedule_timeout,
 * congestion_wait, waiting for a writeback request on the shared FIFO disk), CPU work that keeps
 * the task RUNNING, a sleep someone else ends (mutex hand-off, kswapd wakeup), the filesystem
 * mutex with FIFO hand-off, and exit (exit_mmap, then a respawn if the spec asks for one).
 */
import { MmError } from "@mm/api";
import { PF_EXITING, PF_RANDOMIZE, TASK_DEAD, TASK_INTERRUPTIBLE, TASK_RUNNING, TASK_UNINTERRUPTIBLE } from "./api.js";
import { NO_TASK, P_DEAD, P_EXITING, P_RESPAWN, P_THINK, specOf, type StallState } from "./slowpath-state.js";
import { rssFreeAll } from "./task-mm.js";

/** Sleep (state != RUNNING: a voluntary switch) or keep the CPU (RUNNING) until delayNs. */
export function block(s: StallState, t: number, phase: number, state: number, delayNs: number): void {
  s.phase[t] = phase;
  s.tstate[t] = state;
  s.nswitch[t]++;
  // whole nanoseconds: schedulers may insist on integer delays
  s.timers[t] = s.sched.schedule(Math.round(delayNs), s.steps[t]);
}

/** CPU work: the task stays RUNNING for delayNs. */
export function busy(s: StallState, t: number, phase: number, delayNs: number): void {
  s.phase[t] = phase;
  s.tstate[t] = TASK_RUNNING;
  s.timers[t] = s.sched.schedule(Math.round(delayNs), s.steps[t]);
}

/** Sleep with no timer: someone else wakes the task (mutex hand-off, kswapd wakeup). */
export function wait(s: StallState, t: number, phase: number, state: number): void {
  s.phase[t] = phase;
  s.tstate[t] = state;
  s.nswitch[t]++;
}

/** Between bursts: an interruptible sleep of uniform [0.5, 1.5] x thinkNs. */
export function think(s: StallState, t: number): void {
  block(s, t, P_THINK, TASK_INTERRUPTIBLE, specOf(s, t).thinkNs * (0.5 + s.rand()));
}

/** Queue a writeback request of `pages` on the FIFO disk; returns how long until it completes. */
export function writeback(s: StallState, pages: number): number {
  const now = s.sched.now();
  const d = s.cfg.reclaim.disk;
  s.diskBusyUntil = Math.max(now, s.diskBusyUntil) + d.requestNs + pages * d.pageNs;
  s.stats.writebackPages += pages;
  return s.diskBusyUntil - now;
}

/** mutex_lock on the fs lock when it is held: join the FIFO of waiters. */
export function fsEnqueue(s: StallState, t: number, phase: number): void {
  const cap = s.fsWaiters.length;
  s.fsWaiters[(s.fsWHead + s.fsWLen) % cap] = t;
  s.fsWLen++;
  wait(s, t, phase, TASK_UNINTERRUPTIBLE);
}

/** mutex_unlock with hand-off to the first waiter (FIFO). */
export function fsUnlock(s: StallState, t: number): void {
  if (s.fsLockOwner !== t) throw new MmError("BAD_STATE", `task ${t} does not hold the fs lock`, { t });
  if (s.fsWLen === 0) {
    s.fsLockOwner = NO_TASK;
    return;
  }
  const next = s.fsWaiters[s.fsWHead];
  s.fsWHead = (s.fsWHead + 1) % s.fsWaiters.length;
  s.fsWLen--;
  s.fsLockOwner = next;
  s.tstate[next] = TASK_RUNNING;
  s.timers[next] = s.sched.schedule(0, s.steps[next]);
}

/** do_exit: drop the locks held, then exit_mmap's CPU time per page of RSS. */
export function doExit(s: StallState, t: number): void {
  if (s.fsLockOwner === t) fsUnlock(s, t);
  if (s.oomLockOwner === t) s.oomLockOwner = NO_TASK;
  s.pflags[t] |= PF_EXITING;
  busy(s, t, P_EXITING, s.rssPages[t] * (s.cfg.exitNsPerPage ?? 1000));
}

/** exit_mmap done: the task is dead (and respawns later if its spec says so). */
export function finishExit(s: StallState, t: number): void {
  s.stats.exits++;
  rssFreeAll(s, t);
  s.phase[t] = P_DEAD;
  s.tstate[t] = TASK_DEAD;
  s.victim[t] = 0; // exit_oom_victim
  s.sigkill[t] = 0;
  for (const tb of s.tables) tb.reset(t);
  const sp = specOf(s, t);
  if (sp.respawnNs !== undefined) {
    s.phase[t] = P_RESPAWN;
    s.timers[t] = s.sched.schedule(Math.round(sp.respawnNs), s.steps[t]);
  }
}

/** A new process with a new pid takes the dead task's slot (the caller then begins its burst). */
export function respawn(s: StallState, t: number): void {
  s.pids[t] = s.nextPid++;
  s.pflags[t] = specOf(s, t).flags ?? PF_RANDOMIZE;
  s.nswitch[t] = 0;
  s.oomSkip[t] = 0;
}

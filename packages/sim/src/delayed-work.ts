/**
 * struct delayed_work on the simulated clock: a work item with a timer, with the kernel's
 * pending-bit semantics (kernel/workqueue.c: queue_delayed_work, mod_delayed_work,
 * cancel_delayed_work, flush_delayed_work).
 */
import { MmError, type Scheduler, type TimerHandle } from "@mm/api";
import type { SimTask, Tasks } from "./tasks.js";

/** Options of `createDelayedWork`. */
export interface DelayedWorkOptions {
  /** Run the work as this task (a kworker) instead of whatever is current. @defaultValue none */
  task?: SimTask;
  /** The task table `task` belongs to; required with `task`. @defaultValue none */
  tasks?: Tasks;
}

/**
 * A delayed work item. PENDING is set from queueing until the work function starts (it is
 * cleared before the function runs, so the function may requeue itself, as in the kernel).
 */
export class DelayedWork {
  /** The armed timer while PENDING, else null. */
  private timer: TimerHandle | null = null;
  /** Times the work function ran. */
  private runs = 0;
  /** Bound once: the timer callback. */
  private readonly fire: () => void;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly fn: () => void,
    options: DelayedWorkOptions = {},
  ) {
    if (typeof fn !== "function") throw new MmError("EINVAL", "delayed work needs a function");
    const { task, tasks } = options;
    if ((task === undefined) !== (tasks === undefined)) {
      throw new MmError("EINVAL", "delayed work: pass both task and tasks, or neither");
    }
    this.fire =
      task !== undefined && tasks !== undefined
        ? () => {
            this.timer = null;
            this.runs++;
            tasks.runAs(task, this.fn);
          }
        : () => {
            this.timer = null;
            this.runs++;
            this.fn();
          };
  }

  /** delayed_work_pending(). */
  get pending(): boolean {
    return this.timer !== null;
  }

  /** How many times the work function has run. */
  get executed(): number {
    return this.runs;
  }

  /**
   * queue_delayed_work / schedule_delayed_work: arm for now + delayNs unless already pending.
   * @returns false if it was already pending (nothing changes), true if newly queued.
   */
  schedule(delayNs: number): boolean {
    if (this.timer !== null) return false;
    this.timer = this.scheduler.schedule(delayNs, this.fire);
    return true;
  }

  /**
   * mod_delayed_work: (re)arm for now + delayNs whether or not it was pending.
   * @returns true if it was pending (timer moved), false if it was idle (now queued).
   */
  mod(delayNs: number): boolean {
    const next = this.scheduler.schedule(delayNs, this.fire); // may throw: state unchanged
    const was = this.timer;
    if (was !== null) was.cancel();
    this.timer = next;
    return was !== null;
  }

  /** cancel_delayed_work: @returns true if it was pending and is now cancelled. */
  cancel(): boolean {
    const was = this.timer;
    if (was === null) return false;
    was.cancel();
    this.timer = null;
    return true;
  }

  /**
   * flush_delayed_work: if pending, run it now (synchronously, at the current time).
   * @returns true if it ran.
   */
  flush(): boolean {
    if (!this.cancel()) return false;
    this.fire();
    return true;
  }
}

/** INIT_DELAYED_WORK: a delayed work item running `fn` on `scheduler`. */
export function createDelayedWork(scheduler: Scheduler, fn: () => void, options: DelayedWorkOptions = {}): DelayedWork {
  return new DelayedWork(scheduler, fn, options);
}

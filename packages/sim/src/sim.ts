/**
 * One simulated machine's non-memory side: clock + event queue, tasks and `current`, the symbol
 * table for shadow stacks, and the root PRNG. `createSim({ seed })` is the usual entry point.
 */
import { MmError, type Scheduler, type TaskContext, type TimerHandle } from "@mm/api";
import { createDelayedWork, type DelayedWork } from "./delayed-work.js";
import { EventQueue, type EventFn } from "./event-queue.js";
import { Prng, type Seed } from "./prng.js";
import { Symbols } from "./symbols.js";
import { type SimTask, Tasks, type SpawnOptions, type TaskSlot, type TasksOptions } from "./tasks.js";

/** Options of `createSim`. */
export interface SimOptions {
  /** Root seed of `sim.prng` (fork it per consumer). @defaultValue 0 */
  seed?: Seed;
  /** Clock value at creation, ns since boot. @defaultValue 0 */
  startNs?: number;
  /** pid_max. @defaultValue 32768 */
  pidMax?: number;
  /** Shadow stack capacity per task, frames. @defaultValue 64 */
  stackCapacity?: number;
  /** comm of the idle task (pid 0). @defaultValue "swapper/0" */
  idleComm?: string;
}

/** Frames for `withFrames`: interned ids, or texts / bare function names; innermost first. */
export type Frames = Uint32Array | readonly (string | number)[];

/**
 * Push `frames` (innermost first, as the kernel prints a stack) on `task`'s shadow stack, run
 * `fn`, and pop back to the previous depth on return or throw.
 * @throws MmError BAD_STATE if `fn` popped frames it did not push (unbalanced).
 */
export function withFrames<R>(task: SimTask, frames: ArrayLike<number>, fn: () => R): R {
  const before = task.depth;
  task.pushTrace(frames);
  try {
    return fn();
  } finally {
    if (task.depth < before) {
      // eslint-disable-next-line no-unsafe-finally -- an unbalanced pop is a bug worth surfacing
      throw new MmError("BAD_STATE", `unbalanced shadow stack in ${task.comm}(${task.pid}): ${task.depth} < ${before}`);
    }
    task.unwindTo(before);
  }
}

/** The simulated machine context. Implements `Scheduler` and `TaskContext` from @mm/api. */
export class Sim implements Scheduler, TaskContext {
  /** Clock and event queue. */
  readonly queue: EventQueue;
  /** Task table and `current`. */
  readonly tasks: Tasks;
  /** Frame ids <-> symbol text for every shadow stack of this sim. */
  readonly symbols: Symbols;
  /** Root PRNG seeded with `seed`; take substreams with `prng.fork(label)`. */
  readonly prng: Prng;
  /** The seed as given (normalised to u64). */
  readonly seed: bigint;

  constructor(options: SimOptions = {}) {
    this.queue = new EventQueue(options.startNs ?? 0);
    const taskOpts: TasksOptions = { clock: this.queue };
    if (options.pidMax !== undefined) taskOpts.pidMax = options.pidMax;
    if (options.stackCapacity !== undefined) taskOpts.stackCapacity = options.stackCapacity;
    if (options.idleComm !== undefined) taskOpts.idleComm = options.idleComm;
    this.tasks = new Tasks(taskOpts);
    this.symbols = new Symbols();
    this.prng = new Prng(options.seed ?? 0);
    this.seed = this.prng.key;
  }

  // ---- clock and events (delegates to `queue`) ----

  /** ns since boot. */
  now(): number {
    return this.queue.now();
  }
  /** Run `fn` at now + delayNs; ties in scheduling order. */
  schedule(delayNs: number, fn: () => void): TimerHandle {
    return this.queue.schedule(delayNs, fn);
  }
  /** Run `fn` at absolute `atNs`. */
  scheduleAt(atNs: number, fn: () => void): TimerHandle {
    return this.queue.scheduleAt(atNs, fn);
  }
  /** Closure-free scheduling: `fn(arg)` at now + delayNs. @returns a token for `cancel`. */
  scheduleCall(delayNs: number, fn: EventFn, arg: number): number {
    return this.queue.scheduleCall(delayNs, fn, arg);
  }
  /** Cancel a `scheduleCall` token. @returns true if it was pending. */
  cancel(token: number): boolean {
    return this.queue.cancel(token);
  }
  /** Run the earliest event. @returns false if none. */
  runNext(): boolean {
    return this.queue.runNext();
  }
  /** Run events due at or before `ns`, then set the clock to `ns`. @returns events run. */
  runUntil(ns: number): number {
    return this.queue.runUntil(ns);
  }
  /** Let `deltaNs` pass. @returns events run. */
  advance(deltaNs: number): number {
    return this.queue.advance(deltaNs);
  }
  /** Run until empty or `limit` events. @returns events run. */
  runAll(limit?: number): number {
    return this.queue.runAll(limit);
  }
  /** Pending events. */
  get pending(): number {
    return this.queue.pending;
  }
  /** A delayed work item on this sim's clock, optionally run as `task` (a kworker). */
  delayedWork(fn: () => void, task?: SimTask): DelayedWork {
    return task === undefined
      ? createDelayedWork(this.queue, fn)
      : createDelayedWork(this.queue, fn, { task, tasks: this.tasks });
  }

  // ---- tasks (delegates to `tasks`) ----

  /** `current`. */
  current(): SimTask {
    return this.tasks.current();
  }
  /** Context switch. */
  setCurrent(task: SimTask): void {
    this.tasks.setCurrent(task);
  }
  /** Run `fn` as `task`, restoring `current` afterwards (even on throw). */
  runAs<R>(task: SimTask, fn: () => R): R {
    return this.tasks.runAs(task, fn);
  }
  /** fork / kthread_create. */
  spawn(options: SpawnOptions): SimTask {
    return this.tasks.spawn(options);
  }
  /** do_exit. */
  exit(task: SimTask): void {
    this.tasks.exit(task);
  }
  /** A per-task value owned by another package. */
  defineTaskSlot<T>(init: (task: SimTask) => T): TaskSlot<T> {
    return this.tasks.defineSlot(init);
  }

  /**
   * Push `frames` (innermost first; ids, `func+0xoff/0xsize` texts or bare function names) on
   * `task`'s shadow stack for the duration of `fn`. Pre-intern with `symbols.trace()` on hot paths.
   */
  withFrames<R>(task: SimTask, frames: Frames, fn: () => R): R {
    if (task.depth + frames.length > task.capacity) {
      // refuse before interning anything: a failed call leaves the symbol table unchanged
      throw new MmError("BAD_STATE", `shadow stack overflow in ${task.comm}(${task.pid}): ${task.depth} + ${frames.length} frames`);
    }
    const ids = frames instanceof Uint32Array ? frames : this.symbols.trace(frames);
    return withFrames(task, ids, fn);
  }

  /** Run the invariant checkers of queue, tasks and symbols. @throws MmError INVARIANT */
  checkInvariants(): void {
    checkSimInvariants(this);
  }
}

/**
 * Invariants of a sim: event-queue heap property and clock sanity, task table consistency and
 * shadow stack depths within capacity, every frame on every live stack a known symbol id, and
 * symbol round trips. @throws MmError INVARIANT on the first violation.
 */
export function checkSimInvariants(sim: Sim): void {
  sim.queue.checkInvariants();
  sim.tasks.checkInvariants();
  sim.symbols.checkInvariants();
  const nsym = sim.symbols.size;
  sim.tasks.forEach((t) => {
    for (let i = 0; i < t.depth; i++) {
      const id = t.frameAt(i);
      if (id < 1 || id > nsym) {
        throw new MmError("INVARIANT", `sim: ${t.comm}(${t.pid}) frame ${i} is unknown id ${id}`);
      }
    }
  });
}

/** A new simulated machine context (clock at `startNs`, idle task current, empty symbols). */
export function createSim(options: SimOptions = {}): Sim {
  return new Sim(options);
}

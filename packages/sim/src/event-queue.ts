/**
 * The simulated clock and its event queue: a binary min-heap of timers ordered by (time, insertion
 * sequence). Stands in for the kernel's timer wheel / hrtimers and workqueue delays, minus wall time.
 */
import { MmError, type Scheduler, type TimerHandle } from "@mm/api";

/** A callback that receives the numeric argument it was scheduled with (no closure per event). */
export type EventFn = (arg: number) => void;

/** Slot indices fit in 26 bits, generations in the remaining 27 bits of a safe integer token. */
const SLOT_BITS = 26;
/** 2^26: multiplier that places the generation above the slot in a token. */
const SLOT_SPAN = 1 << SLOT_BITS;
/** Generations wrap at 2^27 so a token stays below 2^53. */
const GEN_MASK = (1 << 27) - 1;
/** Initial slot capacity; doubles on demand. */
const INITIAL_CAPACITY = 64;

/** Cancels one scheduled event; `cancel()` after the event ran (or twice) does nothing. */
class EventHandle implements TimerHandle {
  constructor(
    private readonly queue: EventQueue,
    private readonly token: number,
  ) {}
  cancel(): void {
    this.queue.cancel(this.token);
  }
}

/**
 * Simulated clock plus event queue. Implements `Scheduler` from @mm/api.
 *
 * - `now()` only moves forward, and only when events run or `runUntil`/`advance` is called.
 * - Events due at the same ns run in the order they were scheduled (FIFO by a global sequence).
 * - Callbacks may schedule, cancel, and even call `runUntil`/`advance` (a "sleeping" task lets
 *   other timers fire); the clock stays monotonic because an outer run never moves it backwards.
 */
export class EventQueue implements Scheduler {
  /** Current simulated time in ns. */
  private t = 0;
  /** Next insertion sequence number (tie-breaker; never reused). */
  private nextSeq = 0;
  /** Per slot: due time in ns. */
  private time: Float64Array;
  /** Per slot: insertion sequence. */
  private seq: Float64Array;
  /** Per slot: the numeric argument handed to the callback. */
  private arg: Float64Array;
  /** Per slot: generation, bumped when the slot is released, so stale tokens cannot cancel. */
  private gen: Uint32Array;
  /** Per slot: heap position, or -1 when the slot is free. */
  private pos: Int32Array;
  /** Per slot: the callback (null when free). */
  private fns: (EventFn | null)[];
  /** The heap proper: slot indices, min (time, seq) at [0]. */
  private heap: Int32Array;
  /** Number of events in the heap. */
  private n = 0;
  /** Stack of free slot indices. */
  private freeSlots: Int32Array;
  /** Number of entries on freeSlots. */
  private nFree = 0;
  /** Slots ever handed out (high-water mark). */
  private used = 0;
  /** Events run so far (statistics). */
  private ran = 0;

  constructor(startNs = 0) {
    if (!Number.isSafeInteger(startNs) || startNs < 0) {
      throw new MmError("EINVAL", `start time must be a non-negative safe integer ns, got ${startNs}`);
    }
    this.t = startNs;
    const c = INITIAL_CAPACITY;
    this.time = new Float64Array(c);
    this.seq = new Float64Array(c);
    this.arg = new Float64Array(c);
    this.gen = new Uint32Array(c);
    this.pos = new Int32Array(c).fill(-1);
    this.fns = new Array<EventFn | null>(c).fill(null);
    this.heap = new Int32Array(c);
    this.freeSlots = new Int32Array(c);
  }

  /** Nanoseconds since boot (local_clock()). */
  now(): number {
    return this.t;
  }

  /** Events waiting to run. */
  get pending(): number {
    return this.n;
  }

  /** Events run since creation. */
  get executed(): number {
    return this.ran;
  }

  /** Due time of the earliest pending event, or Infinity when the queue is empty. */
  nextTime(): number {
    return this.n === 0 ? Infinity : this.time[this.heap[0]];
  }

  /**
   * Run `fn` at now() + delayNs (Scheduler). Ties run in scheduling order.
   * @throws MmError EINVAL if delayNs is not a non-negative safe integer.
   */
  schedule(delayNs: number, fn: () => void): TimerHandle {
    return new EventHandle(this, this.scheduleCall(delayNs, fn, 0));
  }

  /** Run `fn` at the absolute time `atNs` (>= now()). */
  scheduleAt(atNs: number, fn: () => void): TimerHandle {
    return new EventHandle(this, this.scheduleCallAt(atNs, fn, 0));
  }

  /**
   * Allocation-free variant for hot drivers: `fn(arg)` runs at now() + delayNs.
   * @returns a token for `cancel(token)`.
   */
  scheduleCall(delayNs: number, fn: EventFn, arg: number): number {
    if (!Number.isSafeInteger(delayNs) || delayNs < 0) {
      throw new MmError("EINVAL", `delay must be a non-negative safe integer ns, got ${delayNs}`);
    }
    return this.scheduleCallAt(this.t + delayNs, fn, arg);
  }

  /** `scheduleCall` at an absolute time (>= now()). */
  scheduleCallAt(atNs: number, fn: EventFn, arg: number): number {
    if (!Number.isSafeInteger(atNs) || atNs < this.t) {
      throw new MmError("EINVAL", `event time must be a safe integer ns >= now (${this.t}), got ${atNs}`);
    }
    if (typeof fn !== "function") throw new MmError("EINVAL", "event callback is not a function");
    const slot = this.allocSlot();
    this.time[slot] = atNs;
    this.seq[slot] = this.nextSeq++;
    this.arg[slot] = arg;
    this.fns[slot] = fn;
    const i = this.n++;
    this.heap[i] = slot;
    this.pos[slot] = i;
    this.siftUp(i);
    return this.gen[slot] * SLOT_SPAN + slot;
  }

  /**
   * Cancel by token. @returns true if the event was pending and is now removed; false if it
   * already ran, was cancelled, or the token is stale.
   */
  cancel(token: number): boolean {
    const slot = token % SLOT_SPAN;
    const g = Math.floor(token / SLOT_SPAN);
    if (slot >= this.used || this.gen[slot] !== g || this.pos[slot] < 0) return false;
    this.removeAt(this.pos[slot]);
    this.releaseSlot(slot);
    return true;
  }

  /** Whether the event behind `token` is still pending. */
  isPending(token: number): boolean {
    const slot = token % SLOT_SPAN;
    return slot < this.used && this.gen[slot] === Math.floor(token / SLOT_SPAN) && this.pos[slot] >= 0;
  }

  /** Run the earliest event (moving the clock to its time). @returns false if none was pending. */
  runNext(): boolean {
    if (this.n === 0) return false;
    const slot = this.heap[0];
    this.removeAt(0);
    const at = this.time[slot];
    if (at > this.t) this.t = at;
    const fn = this.fns[slot] as EventFn;
    const a = this.arg[slot];
    this.releaseSlot(slot);
    this.ran++;
    fn(a);
    return true;
  }

  /**
   * Run every event due at or before `ns`, then set the clock to `ns` (if it is later than now).
   * @returns the number of events run.
   */
  runUntil(ns: number): number {
    if (!Number.isSafeInteger(ns)) throw new MmError("EINVAL", `runUntil needs a safe integer ns, got ${ns}`);
    let count = 0;
    while (this.n !== 0 && this.time[this.heap[0]] <= ns) {
      this.runNext();
      count++;
    }
    if (ns > this.t) this.t = ns;
    return count;
  }

  /** Let `deltaNs` of simulated time pass, running what falls due. @returns events run. */
  advance(deltaNs: number): number {
    if (!Number.isSafeInteger(deltaNs) || deltaNs < 0) {
      throw new MmError("EINVAL", `advance needs a non-negative safe integer ns, got ${deltaNs}`);
    }
    return this.runUntil(this.t + deltaNs);
  }

  /**
   * Run events until the queue is empty or `limit` events ran (a guard against self-rearming
   * timers). @returns the number run; check `pending` to see whether it drained.
   * @defaultValue limit 1e9
   */
  runAll(limit = 1e9): number {
    let count = 0;
    while (count < limit && this.runNext()) count++;
    return count;
  }

  /**
   * Check the heap property, slot bookkeeping and clock sanity.
   * @throws MmError INVARIANT on the first violation.
   */
  checkInvariants(): void {
    const fail = (msg: string): never => {
      throw new MmError("INVARIANT", `event queue: ${msg}`);
    };
    if (!Number.isSafeInteger(this.t) || this.t < 0) fail(`clock ${this.t} is not a non-negative safe integer`);
    if (this.n + this.nFree !== this.used) fail(`pending ${this.n} + free ${this.nFree} != slots ${this.used}`);
    for (let i = 0; i < this.n; i++) {
      const s = this.heap[i];
      if (this.pos[s] !== i) fail(`slot ${s} at heap ${i} has pos ${this.pos[s]}`);
      if (this.fns[s] === null) fail(`pending slot ${s} has no callback`);
      if (this.time[s] < this.t) fail(`pending event at ${this.time[s]} is before now ${this.t}`);
      if (i > 0 && this.less(s, this.heap[(i - 1) >> 1])) fail(`heap property broken at ${i}`);
    }
    for (let i = 0; i < this.nFree; i++) {
      const s = this.freeSlots[i];
      if (this.pos[s] !== -1 || this.fns[s] !== null) fail(`free slot ${s} still in use`);
    }
  }

  /** (time, seq) order of two slots. */
  private less(a: number, b: number): boolean {
    const ta = this.time[a];
    const tb = this.time[b];
    return ta < tb || (ta === tb && this.seq[a] < this.seq[b]);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const slot = heap[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = heap[p];
      if (!this.less(slot, ps)) break;
      heap[i] = ps;
      this.pos[ps] = i;
      i = p;
    }
    heap[i] = slot;
    this.pos[slot] = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = this.n;
    const slot = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(heap[r], heap[l]) ? r : l;
      const cs = heap[c];
      if (!this.less(cs, slot)) break;
      heap[i] = cs;
      this.pos[cs] = i;
      i = c;
    }
    heap[i] = slot;
    this.pos[slot] = i;
  }

  /** Remove the heap entry at position i (the slot itself is released by the caller). */
  private removeAt(i: number): void {
    const last = --this.n;
    const removed = this.heap[i];
    this.pos[removed] = -1;
    if (i === last) return;
    const moved = this.heap[last];
    this.heap[i] = moved;
    this.pos[moved] = i;
    if (i > 0 && this.less(moved, this.heap[(i - 1) >> 1])) this.siftUp(i);
    else this.siftDown(i);
  }

  private allocSlot(): number {
    if (this.nFree > 0) return this.freeSlots[--this.nFree];
    if (this.used === this.time.length) this.grow();
    return this.used++;
  }

  private releaseSlot(slot: number): void {
    this.fns[slot] = null;
    this.pos[slot] = -1;
    this.gen[slot] = (this.gen[slot] + 1) & GEN_MASK;
    this.freeSlots[this.nFree++] = slot;
  }

  private grow(): void {
    const c = this.time.length * 2;
    if (c > SLOT_SPAN) throw new MmError("NOMEM", `event queue is limited to ${SLOT_SPAN} pending events`);
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(c);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array, fill: number): Int32Array => {
      const b = new Int32Array(c).fill(fill);
      b.set(a);
      return b;
    };
    this.time = f64(this.time);
    this.seq = f64(this.seq);
    this.arg = f64(this.arg);
    const g = new Uint32Array(c);
    g.set(this.gen);
    this.gen = g;
    this.pos = i32(this.pos, -1);
    this.heap = i32(this.heap, 0);
    this.freeSlots = i32(this.freeSlots, 0);
    const old = this.fns.length;
    this.fns.length = c;
    this.fns.fill(null, old);
  }
}

/** A fresh simulated clock + event queue starting at `startNs`. @defaultValue startNs 0 */
export function createEventQueue(startNs = 0): EventQueue {
  return new EventQueue(startNs);
}

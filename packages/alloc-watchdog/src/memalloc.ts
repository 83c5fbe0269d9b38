/**
 * The per-task allocation record of kmallocwd (`struct memalloc_info` in task_struct), kept as
 * struct-of-arrays indexed by task index, plus the in-flight counter pair the watchdog reads to
 * skip the task walk when nothing old is in flight.
 *
 * Lifecycle of one task's record (kmallocwd v6 start_memalloc_timer / stop_memalloc_timer):
 *   idle (inFlight 0) --enter--> in flight (1): sequence++, start/gfp/order/idx stored,
 *                                             inflight[idx]++
 *   in flight (n) --enter--> nested (n+1): nothing else changes (the outer timer keeps running)
 *   nested (n+1) --exit--> in flight (n)
 *   in flight (1) --exit--> idle (0): inflight[idx]--; sequence/gfp/order/start stay readable
 *                                     (a vmcore shows the last allocation)
 * Only allocations that may direct-reclaim are tracked (v7+; v6 tested __GFP_RECLAIM).
 */
import { type Gfp, __GFP_DIRECT_RECLAIM, MAX_PAGE_ORDER, MmError, type Order } from "@mm/api";
import { nsToJiffies } from "./jiffies.js";

/** Nesting is a u8 in kmallocwd v6 (`valid`). */
const MAX_NESTING = 255;

export interface MemallocTableOptions {
  /** Initial number of task slots; the table grows on demand. */
  readonly capacity?: number;
  /** Which gfp bits make an allocation tracked (kmallocwd v7+: __GFP_DIRECT_RECLAIM). */
  readonly trackMask?: number;
}

export class MemallocTable {
  /** Nesting depth: 0 = not inside a tracked slow-path allocation (v6 `valid`, v7 `in_flight`). */
  inFlight: Uint8Array;
  /** Incremented for every outermost tracked allocation: progress is visible across reports. */
  sequence: Uint32Array;
  /** gfp of the outermost allocation (the model's gfp bits; printers translate per era). */
  gfp: Uint32Array;
  order: Uint8Array;
  /** Simulated ns when the outermost slow path began (kmallocwd stored jiffies). */
  startNs: Float64Array;
  /** Which in-flight counter the outermost allocation incremented. */
  idx: Uint8Array;
  /** memalloc_in_flight[2]: the kernel keeps a pair per CPU; one simulated pair is equivalent. */
  readonly counters = new Int32Array(2);
  /** memalloc_active_index: new allocations count in counters[activeIndex]. */
  activeIndex = 0;
  readonly trackMask: number;

  constructor(opts: MemallocTableOptions = {}) {
    const cap = Math.max(1, opts.capacity ?? 64);
    this.trackMask = opts.trackMask ?? __GFP_DIRECT_RECLAIM;
    this.inFlight = new Uint8Array(cap);
    this.sequence = new Uint32Array(cap);
    this.gfp = new Uint32Array(cap);
    this.order = new Uint8Array(cap);
    this.startNs = new Float64Array(cap);
    this.idx = new Uint8Array(cap);
  }

  get capacity(): number {
    return this.inFlight.length;
  }

  /** Make room for task indices below n (existing records are kept). */
  ensureCapacity(n: number): void {
    if (n <= this.capacity) return;
    let cap = this.capacity;
    while (cap < n) cap *= 2;
    const grow = <T extends Uint8Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.inFlight = grow(this.inFlight, (k) => new Uint8Array(k));
    this.sequence = grow(this.sequence, (k) => new Uint32Array(k));
    this.gfp = grow(this.gfp, (k) => new Uint32Array(k));
    this.order = grow(this.order, (k) => new Uint8Array(k));
    this.startNs = grow(this.startNs, (k) => new Float64Array(k));
    this.idx = grow(this.idx, (k) => new Uint8Array(k));
  }

  /** Does this gfp take part in stall tracking? */
  tracks(gfp: Gfp): boolean {
    return (gfp & this.trackMask) !== 0;
  }

  /**
   * start_memalloc_timer(gfp, order): called just before the slow path. Returns true when this
   * started a new outermost record (false: untracked gfp, or nested inside another allocation).
   */
  enter(t: number, gfp: Gfp, order: Order, nowNs: number): boolean {
    // `x >>> 0 === x`: a non-negative integer below 2^32, in one comparison
    if (t >>> 0 !== t) throw new MmError("EINVAL", `bad task index ${t}`, { t });
    if (order >>> 0 !== order || order > MAX_PAGE_ORDER) throw new MmError("BAD_ORDER", `order ${order} out of range`, { order });
    if ((gfp & this.trackMask) === 0) return false;
    if (t >= this.inFlight.length) this.ensureCapacity(t + 1);
    const depth = this.inFlight[t];
    if (depth >= MAX_NESTING) throw new MmError("BAD_STATE", `allocation nesting overflow on task ${t}`, { t });
    this.inFlight[t] = depth + 1;
    if (depth !== 0) return false; // nested: the outer allocation's timer keeps running
    this.sequence[t] = (this.sequence[t] + 1) >>> 0;
    this.startNs[t] = nowNs;
    this.order[t] = order;
    this.gfp[t] = gfp >>> 0;
    const i = this.activeIndex;
    this.idx[t] = i;
    this.counters[i]++;
    return true;
  }

  /** stop_memalloc_timer(gfp): returns true when the outermost record ended. */
  exit(t: number, gfp: Gfp): boolean {
    if ((gfp & this.trackMask) === 0) return false;
    if (t >>> 0 !== t || t >= this.inFlight.length || this.inFlight[t] === 0)
      throw new MmError("BAD_STATE", `task ${t} is not inside a tracked allocation`, { t });
    const depth = this.inFlight[t] - 1;
    this.inFlight[t] = depth;
    if (depth !== 0) return false;
    this.counters[this.idx[t]]--;
    return true;
  }

  /** Forget a task (it exited): an exiting task leaves no allocation in flight. */
  reset(t: number): void {
    if (t < 0 || t >= this.capacity) return;
    if (this.inFlight[t] !== 0) this.counters[this.idx[t]]--;
    this.inFlight[t] = 0;
  }

  /**
   * memalloc_maybe_stalling(): true if an allocation counted under the inactive index (i.e. begun
   * before the last flip) is still in flight; otherwise flip the active index and say no.
   */
  maybeStalling(): boolean {
    if (this.counters[this.activeIndex ^ 1] !== 0) return true;
    this.activeIndex ^= 1;
    return false;
  }

  /** is_stalling_task(): in flight and `start` at or before `expireJiffies` (time_after_eq). */
  isStalling(t: number, expireJiffies: number, hz: number): boolean {
    return this.inFlight[t] !== 0 && nsToJiffies(this.startNs[t], hz) <= expireJiffies;
  }

  /** Tasks currently inside a tracked allocation (a test/diagnostic walk, not a hot path). */
  inFlightTotal(): number {
    let n = 0;
    for (let t = 0; t < this.capacity; t++) if (this.inFlight[t] !== 0) n++;
    return n;
  }

  /** Counters equal the number of outermost records per index; indices are 0/1. */
  checkInvariants(): void {
    const seen = [0, 0];
    for (let t = 0; t < this.capacity; t++) {
      if (this.inFlight[t] === 0) continue;
      const i = this.idx[t];
      if (i > 1) throw new MmError("INVARIANT", `task ${t} has in-flight index ${i}`, { t });
      seen[i]++;
      if (this.order[t] > MAX_PAGE_ORDER) throw new MmError("INVARIANT", `task ${t} order ${this.order[t]}`, { t });
    }
    if (seen[0] !== this.counters[0] || seen[1] !== this.counters[1])
      throw new MmError("INVARIANT", `in-flight counters ${this.counters[0]}/${this.counters[1]} != records ${seen[0]}/${seen[1]}`);
    if (this.activeIndex !== 0 && this.activeIndex !== 1) throw new MmError("INVARIANT", `active index ${this.activeIndex}`);
  }
}

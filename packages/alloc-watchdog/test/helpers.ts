/** Test doubles: a heap-ordered simulated scheduler, a counting allocator, a hand-set task table. */
import { MmError, type Pfn, type Scheduler, type TimerHandle, WMARK_HIGH, WMARK_LOW, WMARK_MIN, type WatermarkKind } from "@mm/api";
import { type MemallocTaskView, type StallModelAllocator, TASK_DEAD, TASK_RUNNING } from "../src/index.js";

class Ev implements TimerHandle {
  constructor(
    readonly at: number,
    readonly seq: number,
    public fn: (() => void) | null,
  ) {}
  cancel(): void {
    this.fn = null;
  }
}

/** Events ordered by (time, scheduling order); cancel is lazy. */
export class TestScheduler implements Scheduler {
  private t = 0;
  private seq = 0;
  private heap: Ev[] = [];
  events = 0;

  now(): number {
    return this.t;
  }

  schedule(delayNs: number, fn: () => void): TimerHandle {
    if (!(delayNs >= 0)) throw new MmError("EINVAL", `negative delay ${delayNs}`);
    const ev = new Ev(this.t + delayNs, this.seq++, fn);
    this.push(ev);
    return ev;
  }

  /** Run one event; false when none is due at or before `limit`. */
  step(limit = Infinity): boolean {
    while (this.heap.length > 0) {
      const top = this.heap[0];
      if (top.at > limit) return false;
      this.pop();
      if (top.fn === null) continue;
      this.t = top.at;
      this.events++;
      top.fn();
      return true;
    }
    return false;
  }

  runUntil(ns: number, after?: () => void): void {
    while (this.step(ns)) after?.();
    if (this.t < ns) this.t = ns;
  }

  private less(a: Ev, b: Ev): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  private push(e: Ev): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Ev;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

/** Free pages as a count; pfns are recycled ids; watermarks are fixed. Catches double frees. */
export class FakeAllocator implements StallModelAllocator {
  free: number;
  private ids = new Int32Array(1024);
  private nIds = 0;
  private next = 0;
  private orderOf = new Int8Array(1024).fill(-1);
  constructor(
    readonly total: number,
    private readonly marks: { min: number; low: number; high: number },
  ) {
    this.free = total;
  }
  allocPages(order: number): Pfn {
    const n = 1 << order;
    if (this.free < n) return -1;
    this.free -= n;
    let pfn: number;
    if (this.nIds > 0) pfn = this.ids[--this.nIds];
    else {
      pfn = this.next++;
      if (pfn >= this.orderOf.length) {
        const o = new Int8Array(this.orderOf.length * 2).fill(-1);
        o.set(this.orderOf);
        this.orderOf = o;
      }
    }
    this.orderOf[pfn] = order;
    return pfn;
  }
  freePages(pfn: Pfn, order: number): void {
    if (!(pfn >= 0 && pfn < this.next) || this.orderOf[pfn] !== order) throw new MmError("DOUBLE_FREE", `pfn ${pfn} order ${order}`);
    this.orderOf[pfn] = -1;
    if (this.nIds === this.ids.length) {
      const a = new Int32Array(this.ids.length * 2);
      a.set(this.ids);
      this.ids = a;
    }
    this.ids[this.nIds++] = pfn;
    this.free += 1 << order;
  }
  nrFreePages(): number {
    return this.free;
  }
  watermark(kind: WatermarkKind): number {
    return kind === WMARK_MIN ? this.marks.min : kind === WMARK_LOW ? this.marks.low : kind === WMARK_HIGH ? this.marks.high : this.marks.high;
  }
  totalPages(): number {
    return this.total;
  }
}

export interface FakeTask {
  comm: string;
  pid: number;
  flags: number;
  switches: number;
  state: number;
  victim?: boolean;
  dying?: boolean;
}

/** A hand-set task list for the reporters. */
export class FakeTasks implements MemallocTaskView {
  constructor(readonly tasks: FakeTask[]) {}
  get taskCount(): number {
    return this.tasks.length;
  }
  comm(t: number): string {
    return this.tasks[t].comm;
  }
  pid(t: number): number {
    return this.tasks[t].pid;
  }
  flags(t: number): number {
    return this.tasks[t].flags;
  }
  switches(t: number): number {
    return this.tasks[t].switches;
  }
  state(t: number): number {
    return this.tasks[t].state;
  }
  isOomVictim(t: number): boolean {
    return this.tasks[t].victim === true && this.tasks[t].state !== TASK_DEAD;
  }
  fatalSignalPending(t: number): boolean {
    return this.tasks[t].dying === true;
  }
}

export function task(comm: string, pid: number, over: Partial<FakeTask> = {}): FakeTask {
  return { comm, pid, flags: 0x400000, switches: 0, state: TASK_RUNNING, ...over };
}

/** A log sink that keeps the lines. */
export function capture(): { lines: string[]; log: (l: string) => void } {
  const lines: string[] = [];
  return { lines, log: (l: string) => void lines.push(l) };
}

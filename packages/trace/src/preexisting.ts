/**
 * The first pass over a trace: which blocks were allocated before it began (their first event
 * is a free), the highest pfn and the time span, so the replay can start from a machine that
 * holds them and sample at even intervals.
 */
import { EV_ALLOC, EV_FREE, type TraceEvent } from "./event.js";

export interface TraceScan {
  /** [pfn, order] pairs, in pfn order. */
  readonly preexisting: readonly (readonly [number, number])[];
  readonly maxPfn: number;
  readonly firstNs: number;
  readonly lastNs: number;
  readonly events: number;
}

export class PreexistingScan {
  private seen = new Uint8Array(1 << 16);
  private readonly found: [number, number][] = [];
  maxPfn = -1;
  firstNs = Infinity;
  lastNs = -Infinity;
  events = 0;

  private mark(pfn: number, order: number): void {
    const end = pfn + 2 ** order;
    if (end > this.seen.length) {
      let n = this.seen.length;
      while (n < end) n *= 2;
      const b = new Uint8Array(n);
      b.set(this.seen);
      this.seen = b;
    }
    this.seen.fill(1, pfn, end);
  }

  push(ev: TraceEvent): void {
    this.events++;
    if (ev.tsNs < this.firstNs) this.firstNs = ev.tsNs;
    if (ev.tsNs > this.lastNs) this.lastNs = ev.tsNs;
    if (ev.pfn < 0) return;
    const last = ev.pfn + 2 ** ev.order - 1;
    if (last > this.maxPfn) this.maxPfn = last;
    if (ev.kind === EV_ALLOC) this.mark(ev.pfn, ev.order);
    else if (ev.kind === EV_FREE) {
      if (ev.pfn >= this.seen.length || this.seen[ev.pfn] === 0) this.found.push([ev.pfn, ev.order]);
      this.mark(ev.pfn, ev.order);
    }
  }

  result(): TraceScan {
    const pre = this.found.slice().sort((a, b) => a[0] - b[0]);
    return { preexisting: pre, maxPfn: this.maxPfn, firstNs: this.events ? this.firstNs : 0, lastNs: this.events ? this.lastNs : 0, events: this.events };
  }
}

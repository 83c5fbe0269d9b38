/** Test helpers: page sources that record, fail on demand, or re-enter the depot. */
import type { Gfp, Order, PageSource, Pfn } from "@mm/api";

/** A page source that records every call and can be told to fail. */
export class RecordingSource implements PageSource {
  readonly allocs: { order: Order; gfp: Gfp; pfn: Pfn }[] = [];
  readonly frees: { pfn: Pfn; order: Order }[] = [];
  /** Fail allocation number N (1-based) and every later one while `failing` is true. */
  failFrom = Infinity;
  failing = true;
  /** Called inside allocPages before returning (to simulate buddy -> page_owner -> depot). */
  onAlloc: ((pfn: Pfn) => void) | null = null;
  private next = 0x1000;
  private calls = 0;

  allocPages(order: Order, gfp: Gfp): Pfn {
    this.calls++;
    if (this.failing && this.calls >= this.failFrom) {
      this.allocs.push({ order, gfp, pfn: -1 });
      return -1;
    }
    const pfn = this.next;
    this.next += 1 << order;
    this.allocs.push({ order, gfp, pfn });
    if (this.onAlloc !== null) this.onAlloc(pfn);
    return pfn;
  }

  freePages(pfn: Pfn, order: Order): void {
    this.frees.push({ pfn, order });
  }

  get held(): number {
    return this.allocs.filter((a) => a.pfn >= 0).length - this.frees.length;
  }
}

/** Trace `t` of `n` frames: distinct per t, frame ids never 0. */
export function trace(t: number, n = 16): Uint32Array {
  const f = new Uint32Array(n);
  for (let i = 0; i < n; i++) f[i] = (t * 7919 + i * 104729 + 1) >>> 0;
  return f;
}

/** Capture log lines; `lines` leaves out the hash table lines printed at init. */
export function logSink(): { readonly lines: string[]; all: string[]; log: (l: string) => void } {
  const all: string[] = [];
  return {
    all,
    get lines() {
      return all.filter((l) => !l.startsWith("stackdepot"));
    },
    log: (l: string) => all.push(l),
  };
}

/** A tiny page allocator for tests: first-fit over a bitmap, naturally aligned blocks, split support. */
import { MmError, type Order, type Pfn } from "@mm/api";
import type { ExactPageSource } from "../src/index.js";

export class FakeSource implements ExactPageSource {
  readonly used: Uint8Array;
  /** Order each allocated block head was handed out with (-1: not a head). */
  readonly headOrder: Int8Array;
  /** Requests above this order fail (to force the vzalloc fallback). */
  maxOrder = 10;
  /** After this many more successful allocations every allocation fails. */
  budget = Infinity;
  readonly log: string[] = [];

  constructor(readonly nrPages: number) {
    this.used = new Uint8Array(nrPages);
    this.headOrder = new Int8Array(nrPages).fill(-1);
  }

  allocPages(order: Order): Pfn {
    if (order > this.maxOrder || this.budget <= 0) return -1;
    const n = 1 << order;
    for (let p = 0; p + n <= this.nrPages; p += n) {
      let free = true;
      for (let i = 0; i < n && free; i++) if (this.used[p + i]) free = false;
      if (!free) continue;
      this.used.fill(1, p, p + n);
      this.headOrder[p] = order;
      this.budget--;
      this.log.push(`alloc ${p} ${order}`);
      return p;
    }
    return -1;
  }

  freePages(pfn: Pfn, order: Order): void {
    if (this.headOrder[pfn] !== order) throw new MmError("WRONG_ORDER", `free ${pfn} order ${order}`);
    this.used.fill(0, pfn, pfn + (1 << order));
    this.headOrder[pfn] = -1;
    this.log.push(`free ${pfn} ${order}`);
  }

  splitPage(pfn: Pfn, order: Order): void {
    if (this.headOrder[pfn] !== order) throw new MmError("WRONG_ORDER", `split ${pfn} order ${order}`);
    for (let p = pfn; p < pfn + (1 << order); p++) this.headOrder[p] = 0;
    this.log.push(`split ${pfn} ${order}`);
  }

  usedPages(): number {
    let n = 0;
    for (let i = 0; i < this.nrPages; i++) n += this.used[i];
    return n;
  }
}

/**
 * "What would the model have done": the same request sequence as the trace — each allocation's
 * order and gfp, each free of the same allocation — with @mm/buddy choosing the pfns on a second
 * machine of the same layout. It observes the real replay: every placed allocation is requested
 * from the model, and every free the replay applies is mirrored on the model's block for it.
 */
import type { BuddyMachine } from "@mm/buddy";
import type { TraceEvent } from "./event.js";
import type { FreeEffect, ReplayObserver } from "./replay.js";

export interface ModelChoiceCounters {
  allocs: number;
  /** Requests the model's allocator refused (its watermarks, no reclaim, fragmentation). */
  failures: number;
  /** Frees of blocks the model never got (its allocation failed, or pre-existing ones). */
  unmapped: number;
  /** Allocations placed at the same pfn the kernel chose. */
  samePfn: number;
}

export class ModelChoice implements ReplayObserver {
  readonly counters: ModelChoiceCounters = { allocs: 0, failures: 0, unmapped: 0, samePfn: 0 };
  /** Model pfn of each real block head (-1: none). Split pieces are mapped one by one. */
  private readonly modelOf: Int32Array;
  /** Migratetype of each model block head, as TraceReplay.allocMt is for the real one. */
  readonly allocMt: Uint8Array;

  constructor(readonly model: BuddyMachine, nrPfns: number) {
    this.modelOf = new Int32Array(nrPfns).fill(-1);
    this.allocMt = new Uint8Array(model.nrPfns).fill(255);
  }

  placed(ev: TraceEvent, pfn: number, gfp: number): void {
    const got = this.model.allocPages(ev.order, gfp);
    if (got < 0) {
      this.counters.failures++;
      this.modelOf[pfn] = -1;
      return;
    }
    this.counters.allocs++;
    this.allocMt[got] = ((gfp & 0x18) >>> 3) & 3; // gfp_migratetype: __GFP_MOVABLE | __GFP_RECLAIMABLE
    if (got === pfn) this.counters.samePfn++;
    this.modelOf[pfn] = got;
  }

  freeing(e: FreeEffect): void {
    const m = this.model;
    if (e.kind === "whole") {
      this.freeMapped(e.head, e.blockOrder);
      return;
    }
    if (e.kind === "merged") {
      // Each traced block inside the range was mapped on its own.
      for (let p = e.pfn; p < e.pfn + 2 ** e.order; p++) {
        const mp = this.modelOf[p];
        if (mp >= 0 && m.isAllocated(mp)) {
          m.freePages(mp, m.order[mp]);
          this.modelOf[p] = -1;
        }
      }
      return;
    }
    // split: split the model's block the same way, map the pieces, free the same offsets.
    const base = this.modelOf[e.head];
    const n = 2 ** e.blockOrder;
    if (base < 0) {
      this.counters.unmapped++;
      return;
    }
    if (m.order[base] === e.blockOrder && n > 1) m.splitPage(base, e.blockOrder);
    for (let i = 0; i < n; i++) {
      this.modelOf[e.head + i] = base + i;
      this.allocMt[base + i] = this.allocMt[base]!;
    }
    for (let p = e.pfn; p < Math.min(e.pfn + 2 ** e.order, e.head + n); p++) this.freeMapped(p, 0);
  }

  private freeMapped(realHead: number, order: number): void {
    const mp = this.modelOf[realHead];
    if (mp < 0) {
      this.counters.unmapped++;
      return;
    }
    this.modelOf[realHead] = -1;
    this.model.freePages(mp, order);
  }
}

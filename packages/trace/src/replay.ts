/**
 * Replay: a real kernel's allocations and frees put into a BuddyMachine at the pfns the kernel
 * chose. Allocations are placed with allocPagesAt (the containing free block split as
 * take_page_off_buddy does); a free finds the block that owns its pfn (a partial free of a
 * non-compound block splits it first, as split_page did in the kernel); pages freed but never
 * seen allocated were allocated before the trace began (placed at the start by the caller).
 *
 * The trace carries events at two levels, and the replay follows the caller's (mm_page_alloc /
 * mm_page_free, LLFree's choice too): a page on a per-CPU list counts as free. The buddy-level
 * events (mm_page_alloc_zone_locked, mm_page_pcpu_drain) are counted, and mm_page_free_batched,
 * which follows the mm_page_free of the same page, is not applied twice.
 *
 * Anything the model cannot reconcile is counted with a reason, never guessed silently: an
 * allocation over pages the model still holds (the trace missed their free: "missed frees"),
 * a free of a page the model has free (taken by a path with no event, e.g. compaction's
 * isolate_freepages: "unmatched frees").
 */
import { __GFP_MOVABLE, __GFP_RECLAIMABLE, GFP_KERNEL, MmError, PAGEBLOCK_ORDER } from "@mm/api";
import { type BuddyMachine, PB_ALLOC, PB_HEAD } from "@mm/buddy";
import type { StackAttribution } from "./attribution.js";
import { EV_ALLOC, EV_EXTFRAG, EV_FREE, EV_FREE_BATCHED, EV_PCPU_DRAIN, EV_ZONE_LOCKED, type TraceEvent } from "./event.js";

/** gfp of an event whose gfp_flags were unknown, from its migratetype (gfp_migratetype inverted). */
export function gfpForMigratetype(mt: number): number {
  if (mt === 1) return GFP_KERNEL | __GFP_MOVABLE;
  if (mt === 2) return GFP_KERNEL | __GFP_RECLAIMABLE;
  return GFP_KERNEL;
}

/** Migratetype of an allocation by its gfp (gfp_migratetype), 255 when unknown. */
export const MT_UNKNOWN = 255;

export interface ReplayCounters {
  events: number;
  allocs: number;
  frees: number;
  failedAllocs: number;
  preexisting: number;
  preexistingPages: number;
  /** Allocations over pages the model still held: their frees were not in the trace. */
  missedFrees: number;
  /** Allocations that could not be placed (reserved pages, a hole, outside the machine). */
  unplaceable: number;
  /** Frees of pages the model has free (allocated by a path with no event). */
  unmatchedFrees: number;
  /** Frees of part of a non-compound block (split first). */
  splitFrees: number;
  /** Frees whose order covers more than one traced block. */
  mergedFrees: number;
  /** Frees of a compound page with another order than it was allocated with. */
  orderMismatches: number;
  zoneLocked: number;
  pcpuDrains: number;
  batchedFrees: number;
  extfrag: number;
  fragmentingFallbacks: number;
}

/** What a free did to the model, for observers that mirror it (the model-choice replay). */
export interface FreeEffect {
  /** Head of the block the free hit, or -1. */
  head: number;
  blockOrder: number;
  pfn: number;
  order: number;
  kind: "whole" | "split" | "merged" | "none";
}

export interface ReplayObserver {
  /** After an allocation was placed at `pfn`. */
  placed?(ev: TraceEvent, pfn: number, gfp: number): void;
  /** Before a free is applied, with what it will do. */
  freeing?(effect: FreeEffect): void;
}

export interface ReplayOptions {
  /** Run the machine's full invariant checker every N events (0: only when asked). @defaultValue 0 */
  readonly checkEvery?: number;
  readonly attribution?: StackAttribution | null;
  readonly observer?: ReplayObserver | null;
}

export class TraceReplay {
  readonly counters: ReplayCounters = {
    events: 0, allocs: 0, frees: 0, failedAllocs: 0, preexisting: 0, preexistingPages: 0, missedFrees: 0,
    unplaceable: 0, unmatchedFrees: 0, splitFrees: 0, mergedFrees: 0, orderMismatches: 0, zoneLocked: 0,
    pcpuDrains: 0, batchedFrees: 0, extfrag: 0, fragmentingFallbacks: 0,
  };
  /** Migratetype of each allocated block head (MT_UNKNOWN for pre-existing blocks). */
  readonly allocMt: Uint8Array;
  private readonly checkEvery: number;
  private readonly attribution: StackAttribution | null;
  private readonly observer: ReplayObserver | null;

  constructor(
    readonly machine: BuddyMachine,
    opts: ReplayOptions = {},
  ) {
    this.checkEvery = opts.checkEvery ?? 0;
    this.attribution = opts.attribution ?? null;
    this.observer = opts.observer ?? null;
    this.allocMt = new Uint8Array(machine.nrPfns).fill(MT_UNKNOWN);
  }

  /** A block allocated before the trace began (its first event is its free). */
  placePreexisting(pfn: number, order: number): boolean {
    if (!this.rangeFree(pfn, order)) return false;
    this.machine.allocPagesAt(pfn, order, GFP_KERNEL);
    this.allocMt[pfn] = MT_UNKNOWN;
    this.counters.preexisting++;
    this.counters.preexistingPages += 2 ** order;
    return true;
  }

  apply(ev: TraceEvent): void {
    const c = this.counters;
    c.events++;
    switch (ev.kind) {
      case EV_ALLOC:
        this.alloc(ev);
        break;
      case EV_FREE:
        this.free(ev);
        break;
      case EV_FREE_BATCHED:
        c.batchedFrees++;
        break;
      case EV_PCPU_DRAIN:
        c.pcpuDrains++;
        break;
      case EV_ZONE_LOCKED:
        c.zoneLocked++;
        break;
      case EV_EXTFRAG:
        c.extfrag++;
        if (ev.fragmenting) {
          c.fragmentingFallbacks++;
          if (this.attribution !== null)
            this.attribution.onFragmentingFallback(this.attribution.intern(ev.stack), Math.floor(ev.pfn / 2 ** PAGEBLOCK_ORDER));
        }
        break;
      default:
        break;
    }
    if (this.checkEvery > 0 && c.events % this.checkEvery === 0) this.checkAll(ev);
  }

  /** The machine's full invariant checker; an MmError names the event's line. */
  checkAll(ev: TraceEvent | null): void {
    try {
      this.machine.checkInvariants();
    } catch (e) {
      const where = ev === null ? "at the end of the trace" : `after the event on line ${ev.line}`;
      throw new MmError("INVARIANT", `replay: ${where}: ${e instanceof Error ? e.message : String(e)}`, { line: ev?.line ?? -1 });
    }
  }

  private inMachine(pfn: number, order: number): boolean {
    return pfn >= this.machine.startPfn && pfn + 2 ** order <= this.machine.endPfn && (pfn & (2 ** order - 1)) === 0;
  }

  private rangeFree(pfn: number, order: number): boolean {
    if (!this.inMachine(pfn, order)) return false;
    const m = this.machine;
    const h = m.freeBlockHead(pfn);
    return h >= 0 && m.isFree(h) && m.order[h] >= order && h + 2 ** m.order[h] >= pfn + 2 ** order;
  }

  private alloc(ev: TraceEvent): void {
    const c = this.counters;
    if (ev.pfn < 0) {
      c.failedAllocs++;
      return;
    }
    const { pfn, order } = ev;
    if (!this.inMachine(pfn, order)) {
      c.unplaceable++;
      return;
    }
    const m = this.machine;
    if (!this.rangeFree(pfn, order)) {
      // Free whatever the model still holds there: the trace has no event for those frees.
      const end = pfn + 2 ** order;
      for (let p = pfn; p < end; ) {
        const h = m.allocatedBlockHead(p);
        if (h >= 0) {
          const o = m.order[h];
          this.observer?.freeing?.({ head: h, blockOrder: o, pfn: h, order: o, kind: "whole" });
          this.attribution?.onFree(h, 2 ** o);
          m.freePages(h, o);
          c.missedFrees++;
          p = h + 2 ** o;
        } else p++;
      }
      if (!this.rangeFree(pfn, order)) {
        c.unplaceable++;
        return;
      }
    }
    const gfp = ev.gfp >= 0 ? ev.gfp : gfpForMigratetype(ev.migratetype);
    m.allocPagesAt(pfn, order, gfp);
    c.allocs++;
    this.allocMt[pfn] = ((gfp & (__GFP_MOVABLE | __GFP_RECLAIMABLE)) >>> 3) & 3;
    if (this.attribution !== null) this.attribution.onAlloc(this.attribution.intern(ev.stack), pfn, 2 ** order);
    this.observer?.placed?.(ev, pfn, gfp);
    if ((m.flags[pfn] & PB_ALLOC) === 0 || m.order[pfn] !== order)
      throw new MmError("INVARIANT", `replay: line ${ev.line}: pfn ${pfn} order ${order} is not allocated after placing it`, { line: ev.line });
  }

  private free(ev: TraceEvent): void {
    const c = this.counters;
    const m = this.machine;
    const { pfn, order } = ev;
    if (!this.inMachine(pfn, order)) {
      c.unmatchedFrees++;
      return;
    }
    const head = m.allocatedBlockHead(pfn);
    if (head < 0) {
      c.unmatchedFrees++;
      return;
    }
    const blockOrder = m.order[head];
    const attr = this.attribution;
    c.frees++;
    if (head === pfn && blockOrder === order) {
      this.observer?.freeing?.({ head, blockOrder, pfn, order, kind: "whole" });
      attr?.onFree(head, 2 ** order);
      m.freePages(pfn, order);
    } else if ((m.flags[head] & PB_HEAD) !== 0) {
      // A compound page is freed whole by the kernel; a different order here is a trace oddity.
      c.orderMismatches++;
      this.observer?.freeing?.({ head, blockOrder, pfn: head, order: blockOrder, kind: "whole" });
      attr?.onFree(head, 2 ** blockOrder);
      m.freePages(head, blockOrder);
    } else if (order < blockOrder || head !== pfn) {
      c.splitFrees++;
      this.observer?.freeing?.({ head, blockOrder, pfn, order, kind: "split" });
      m.splitPage(head, blockOrder);
      const n = 2 ** blockOrder;
      for (let i = 1; i < n; i++) {
        this.allocMt[head + i] = this.allocMt[head]!;
        attr?.copyOwner(head, head + i);
      }
      const end = Math.min(pfn + 2 ** order, head + n);
      for (let p = pfn; p < end; p++) {
        attr?.onFree(p, 1);
        m.freePages(p, 0);
      }
    } else {
      // order > blockOrder at the head: the free spans several traced blocks.
      c.mergedFrees++;
      this.observer?.freeing?.({ head, blockOrder, pfn, order, kind: "merged" });
      const end = pfn + 2 ** order;
      for (let p = pfn; p < end; ) {
        const h = m.allocatedBlockHead(p);
        if (h >= 0 && h >= pfn) {
          const o = m.order[h];
          attr?.onFree(h, 2 ** o);
          m.freePages(h, o);
          p = h + 2 ** o;
        } else p++;
      }
    }
    if (m.allocatedBlockHead(pfn) >= 0)
      throw new MmError("INVARIANT", `replay: line ${ev.line}: pfn ${pfn} is still allocated after its free`, { line: ev.line });
  }
}


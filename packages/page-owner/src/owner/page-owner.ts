/**
 * page_owner: who allocated (and freed) each page, kept in page_ext, with stacks from the current
 * task's shadow stack. This file is the public face; the mechanisms live in rooms named after the
 * kernel's functions: save-stack.ts (capture and guard), hooks.ts (__set_page_owner,
 * __reset_page_owner), migrate.ts (__split_page_owner, __folio_copy_owner), init.ts
 * (init_page_owner), invariants.ts, with per-era behaviour in era.ts.
 * Kernel: mm/page_owner.c.
 */
import { type AllocHooks, MmError, type Order, type Pfn, type SymbolTable } from "@mm/api";
import { PAGE_EXT_OWNER, PAGE_EXT_OWNER_ALLOCATED, type PageExt, type PageExtClient } from "@mm/page-ext";
import {
  PAGE_OWNER_STACK_DEPTH,
  type OwnerEra,
  type OwnerMemoryView,
  type OwnerRecord,
  type PageOwnerOptions,
  type RecursionGuard,
  type StackStorage,
} from "./api.js";
import { ERA_TRAITS, type EraTraits, OWN_FRAME_TEXT, ownerClientSize, storageDepth } from "./era.js";
import { guardKind, stackScanGuard, taskFlagGuard } from "./guards.js";
import { resetPageOwner, setPageOwner } from "./hooks.js";
import { initPageOwner } from "./init.js";
import { checkOwnerInvariants, ownerCensus, type OwnerCensus } from "./invariants.js";
import { migratePageOwner, splitPageOwner } from "./migrate.js";
import { DEPOT_FIELDS, INLINE_FIELDS, OwnerCore, type OwnerFields } from "./owner-core.js";
import type { AllocRecords, FreeRecords } from "./records.js";
import type { StackCounts } from "./stack-counts.js";
import { inlineStorage } from "./storage.js";
import { TraceMemo } from "./trace-memo.js";

// Module-local copies: under a module runner (vitest) every read of an imported binding is a
// getter call, which costs more than the work on these hot paths.
const onAlloc = setPageOwner;
const onFree = resetPageOwner;
const onSplit = splitPageOwner;
const onMigrate = migratePageOwner;

export type { OwnerCensus } from "./invariants.js";

/** Internal state the text printers read (same package, not exported from the package). */
export interface OwnerState {
  readonly traits: EraTraits;
  readonly memory: OwnerMemoryView;
  readonly symbols: SymbolTable;
  readonly pageExt: PageExt;
  readonly flags: Uint32Array;
  readonly order: Uint8Array;
  /** Per page: the allocation record in `a`, the free record in `f` (records.ts). */
  readonly alloc: Uint32Array;
  readonly free: Uint32Array;
  readonly a: AllocRecords;
  readonly f: FreeRecords;
  readonly counts: StackCounts | null;
  commText(id: number): string;
  /** Allocation stack of a page into `out`; returns the frame count. */
  allocStack(pfn: Pfn, out: Uint32Array): number;
  /** Frames of a depot handle into `out`. */
  fetch(handle: number, out: Uint32Array): number;
}

/** Counters a run can report. */
export interface OwnerStats {
  /** Pages marked by init_pages_in_zone, per populated zone in zone order. */
  readonly earlyPages: readonly number[];
  /** save_stack calls that returned dummy_handle (recursion caught). */
  readonly dummy: number;
  /** save_stack calls that got 0 from the depot (failure_handle stored). */
  readonly failure: number;
  /** save_stack calls that reached the depot (or the trace memo in front of it). */
  readonly saves: number;
}

export class PageOwner {
  /** The AllocHooks to add to the allocator (no-ops until init, as the kernel's static key). */
  readonly hooks: AllocHooks;
  readonly era: OwnerEra;
  readonly traits: EraTraits;
  readonly storage: StackStorage;
  readonly guard: RecursionGuard;
  /** page_owner's page_ext client. */
  readonly client: PageExtClient<OwnerFields>;
  /** Bytes per page page_owner adds to page_ext (the era's C layout). */
  readonly clientSize: number;
  /** count_threshold of page_owner_stacks (6.9+). */
  countThreshold = 0;

  private readonly s: OwnerCore;
  private readonly enabled: boolean;

  constructor(options: PageOwnerOptions) {
    const era = options.era ?? "6.1";
    const traits = ERA_TRAITS[era];
    if (traits === undefined) throw new MmError("BAD_CONFIG", `unknown page_owner era ${String(era)}`);
    this.era = era;
    this.traits = traits;
    this.storage = options.storage ?? (era === "v4.6" ? inlineStorage() : requireDepotStorage());
    const inline = this.storage.kind === "inline8";
    const depot = this.storage.depot;
    if (!inline && depot === null) throw new MmError("BAD_CONFIG", "depot storage needs a depot");
    if (inline && traits.stackCounts)
      throw new MmError("BAD_CONFIG", `era ${era} counts stacks per depot handle; inline storage has none`);
    this.guard = options.guard ?? (era === "v4.6" || era === "v4.7" ? stackScanGuard() : taskFlagGuard());
    this.enabled = options.enabled ?? true;
    const symbols = options.symbols;
    this.s = new OwnerCore(
      {
        traits,
        inline,
        depot,
        guard: this.guard,
        guardKind: guardKind(this.guard),
        tasks: options.tasks,
        clock: options.clock,
        symbols,
        memory: options.memory,
        pageExt: options.pageExt,
        log: options.log ?? (() => {}),
        onUnwind: options.onUnwind ?? null,
        depth: storageDepth(this.storage),
        // Off by default: the kernel hashes and walks a bucket on every save (README, Benchmarks).
        memo: !inline && (options.traceMemo ?? false) ? new TraceMemo() : null,
      },
      (name) => symbols.intern(OWN_FRAME_TEXT[name]),
    );
    this.clientSize = ownerClientSize(era, this.storage);
    const fields: OwnerFields = inline ? INLINE_FIELDS : DEPOT_FIELDS;
    const s = this.s;
    this.client = options.pageExt.register({
      name: "page_owner",
      size: this.clientSize,
      needSharedFlags: true,
      fields,
      need: () => this.enabled,
      init: () => {
        s.bind(this.client);
        initPageOwner(s);
      },
    });
    this.hooks = {
      postAlloc: (pfn, order, gfp) => onAlloc(s, pfn, order, gfp),
      freePrepare: (pfn, order) => onFree(s, pfn, order),
      // split_page() -> split_page_owner(page, order, 0).
      split: (pfn, order) => onSplit(s, pfn, order, 0),
      migrate: (oldPfn, newPfn, _order, reason) => onMigrate(s, oldPfn, newPfn, reason),
    };
  }

  /** `page_owner_inited`: init ran (the static key is on). */
  get inited(): boolean {
    return this.s.inited;
  }
  get dummyHandle(): number {
    return this.s.dummyHandle;
  }
  get failureHandle(): number {
    return this.s.failureHandle;
  }
  get earlyHandle(): number {
    return this.s.earlyHandle;
  }

  /** Counters for reports. */
  get counters(): OwnerStats {
    const st = this.s.stats;
    return { ...st, earlyPages: [...st.earlyPages] };
  }

  /**
   * `split_page_owner(page, old_order, new_order)` for a folio split to a lower order (6.10+,
   * `split_huge_page_to_list_to_order`); the `split` hook is split_page's `new_order` 0.
   * @throws MmError EINVAL for newOrder > oldOrder, or newOrder > 0 before 6.10 (nothing changed)
   */
  splitFolio(pfn: Pfn, oldOrder: Order, newOrder: Order): void {
    onSplit(this.s, pfn, oldOrder, newOrder);
  }

  /** The page_owner fields of one page (for tests and reports). @throws MmError PFN_OUT_OF_RANGE without page_ext. */
  record(pfn: Pfn): OwnerRecord {
    this.checkPfn(pfn);
    const s = this.s;
    const f = s.flags[pfn];
    const stack = new Uint32Array(PAGE_OWNER_STACK_DEPTH);
    const n = this.allocStack(pfn, stack);
    const free = new Uint32Array(PAGE_OWNER_STACK_DEPTH);
    const a = s.alloc[pfn];
    const fr = s.free[pfn];
    const fn = this.fetch(s.f.freeHandle[fr], free);
    return {
      pfn,
      owner: (f & (1 << PAGE_EXT_OWNER)) !== 0,
      allocated: (f & (1 << PAGE_EXT_OWNER_ALLOCATED)) !== 0,
      order: s.order[pfn],
      gfp: s.a.gfp[a],
      lastMigrateReason: s.a.reason[a],
      handle: s.a.handle[a],
      freeHandle: s.f.freeHandle[fr],
      tsNsec: s.a.ts[a],
      freeTsNsec: s.f.freeTs[fr],
      pid: s.a.pid[a],
      tgid: s.a.tgid[a],
      comm: s.comms[s.a.comm[a]],
      freePid: s.f.freePid[fr],
      freeTgid: s.f.freeTgid[fr],
      stack: [...stack.subarray(0, n)],
      freeStack: [...free.subarray(0, fn)],
    };
  }

  /** Allocation stack of a page (inline slots or depot) into out; the frame count. */
  allocStack(pfn: Pfn, out: Uint32Array): number {
    const s = this.s;
    const r = s.alloc[pfn];
    if (s.inline) {
      const n = s.a.nrEntries[r];
      for (let i = 0; i < n; i++) out[i] = s.a.trace[r * 8 + i];
      return n;
    }
    return this.fetch(s.a.handle[r], out);
  }

  /** stack_depot_fetch through the storage's depot (0 frames for handle 0 or inline storage). */
  fetch(handle: number, out: Uint32Array): number {
    const depot = this.s.depot;
    if (handle === 0 || depot === null) return 0;
    return depot.fetch(handle, out);
  }

  /** State for the text printers (format.ts). @internal */
  state(): OwnerState {
    const s = this.s;
    if (!s.inited) throw new MmError("BAD_STATE", "page_owner is not initialised (page_owner=off, or page_ext init has not run)");
    return {
      traits: s.traits,
      memory: s.memory,
      symbols: s.symbols,
      pageExt: s.pageExt,
      flags: s.flags,
      order: s.order,
      alloc: s.alloc,
      free: s.free,
      a: s.a,
      f: s.f,
      counts: s.counts,
      commText: (id) => s.comms[id],
      allocStack: (pfn, out) => this.allocStack(pfn, out),
      fetch: (h, out) => this.fetch(h, out),
    };
  }

  /**
   * Pages by state, counted over every pfn with page_ext: owned (PAGE_EXT_OWNER), allocated, and
   * allocated pages carrying each special handle.
   */
  census(): OwnerCensus {
    return ownerCensus(this.s);
  }

  /** nr_base_pages of a stack (6.9+), or undefined when it is not in stack_list. */
  stackCount(handle: number): number | undefined {
    return this.s.counts?.count(handle);
  }

  private checkPfn(pfn: Pfn): void {
    if (!this.s.inited) throw new MmError("BAD_STATE", "page_owner is not initialised");
    if (!Number.isInteger(pfn) || !this.s.pageExt.hasPageExt(pfn))
      throw new MmError("PFN_OUT_OF_RANGE", `pfn ${pfn} has no page_ext`, { pfn });
  }

  /** See invariants.ts. @throws MmError INVARIANT */
  checkInvariants(): void {
    checkOwnerInvariants(this.s);
  }
}

function requireDepotStorage(): never {
  throw new MmError("BAD_CONFIG", "page_owner needs `storage: depotStorage(depot)` (or era v4.6 for inline storage)");
}

/**
 * Create page_owner and register its page_ext client. Call before `pageExt.init()`; add `hooks` to
 * the allocator (they do nothing until init, like the kernel's static key).
 */
export function createPageOwner(options: PageOwnerOptions): PageOwner {
  return new PageOwner(options);
}

/**
 * Public types and constants of page_owner's simulator side (mm/page_owner.c,
 * include/linux/page_owner.h). Policies: RecursionGuard (guards.ts), StackStorage (storage.ts).
 */
import type { Clock, Gfp, Migratetype, Order, Pfn, SymbolTable, Task } from "@mm/api";
import type { PageExt } from "@mm/page-ext";

/**
 * The kernel era modelled. It fixes the per-page C layout (byte accounting), what is recorded,
 * the stack skip, and the text formats.
 * - `v4.6`: 8 inline frames per page, skip 3, no free info (before stackdepot).
 * - `v4.7`: depot handle, skip 0 (save_stack and __set_page_owner stay in the trace), the 2016
 *   stack-scan recursion guard, no free info.
 * - `6.1`: the fixture's kernel: free_handle, ts, free_ts, comm, pid, tgid; per-task flag guard;
 *   skip 2; debugfs with `free_ts` and a decimal PFN.
 * - `6.10`: free_pid/free_tgid, page_owner_stacks (show_stacks, count_threshold), debugfs without
 *   free_ts and with a hex PFN, migration moves the whole folio's record and swaps handles.
 * - `6.19`: 6.10 plus show_handles / show_stacks_handles.
 */
export type OwnerEra = "v4.6" | "v4.7" | "6.1" | "6.10" | "6.19";

/** PAGE_OWNER_STACK_DEPTH. */
export const PAGE_OWNER_STACK_DEPTH = 16;
/** Inline trace slots in struct page_ext before 4.7. */
export const PAGE_OWNER_INLINE_DEPTH = 8;
/** Frames create_dummy_stack() saves for the special handles (`unsigned long entries[4]`). */
export const DUMMY_STACK_DEPTH = 4;

/** `current` as page_owner needs it: a task whose shadow stack page_owner can push its own frames on. */
export interface ShadowTask extends Task {
  push(frameId: number): void;
  pop(): number;
  /**
   * The frame `i` places from the innermost (0), or 0 past the depth, without materialising `stack`
   * (@mm/sim's SimTask has it). @defaultValue read through `stack`
   */
  frameAt?(i: number): number;
}

export interface ShadowTaskContext {
  current(): ShadowTask;
}

/**
 * The stack depot as page_owner uses it (lib/stackdepot.c stack_depot_save / stack_depot_fetch).
 * A depot that allocates pool pages from the same allocator page_owner watches is what makes the
 * recursion of seed 000 real.
 */
export interface OwnerDepot {
  /** Save `entries[0..n)`; the handle, or 0 when the depot cannot store it. */
  save(entries: Uint32Array, n: number, gfp: Gfp): number;
  /** Copy the frames of `handle` into `out` (innermost first); returns the count, 0 for an unknown handle. */
  fetch(handle: number, out: Uint32Array): number;
}

/** The physical memory as page_owner's readers see it (struct page, zones, pageblocks). */
export interface OwnerMemoryView {
  /** min_low_pfn: where a debugfs read starts. */
  readonly startPfn: Pfn;
  /** max_pfn: where it stops. */
  readonly endPfn: Pfn;
  /** Populated zones, in zone order (init_pages_in_zone, pagetypeinfo). */
  readonly zones: readonly OwnerZone[];
  pfnValid(pfn: Pfn): boolean;
  /** PageBuddy: the order of the free block headed at pfn, else -1. */
  buddyOrder(pfn: Pfn): Order;
  /** PageReserved (memblock-reserved, never given to the buddy allocator). */
  pageReserved(pfn: Pfn): boolean;
  /** The low 32-bit page->flags word (PG_* bits) for `%pGp`. */
  pageFlags(pfn: Pfn): number;
  /** Zone index (ZONE_*) of the page. */
  pageZone(pfn: Pfn): number;
  pageNode(pfn: Pfn): number;
  pageblockMigratetype(pfn: Pfn): Migratetype;
  /** page->memcg_data, for the `Slab cache page` / `Charged ... memcg` lines; null when not charged. @defaultValue never charged */
  memcg?(pfn: Pfn): OwnerMemcg | null;
}

export interface OwnerZone {
  readonly node: number;
  /** ZONE_* index. */
  readonly zone: number;
  /** zone->name, e.g. "DMA32". */
  readonly name: string;
  readonly startPfn: Pfn;
  /** zone_end_pfn (exclusive). */
  readonly endPfn: Pfn;
}

/** What print_page_owner_memcg reads from page->memcg_data. */
export interface OwnerMemcg {
  /** MEMCG_DATA_OBJCGS: prints `Slab cache page`. */
  readonly objcgs: boolean;
  /** PageMemcgKmem: `Charged (via objcg) to`. */
  readonly kmem: boolean;
  /** css online; offline prints `offline memcg`. */
  readonly online: boolean;
  /** cgroup_name(), e.g. "/" for the root. null: objcgs without a memcg (no Charged line). */
  readonly name: string | null;
}

/**
 * Recursion guard policy (seed 000 vs seed 002). `enter` runs before the trace is captured,
 * `scan` on the raw shadow stack (skip 0, page_owner's own frames included), `leave` after the
 * depot save.
 */
export interface RecursionGuard {
  readonly name: string;
  /** True: this call is a recursion, store dummy_handle without capturing. */
  enter(task: ShadowTask): boolean;
  /**
   * True: the raw trace (the innermost PAGE_OWNER_STACK_DEPTH frames of `task`) shows a recursion.
   * `retIp` is the frame id of __set_page_owner's call site (the kernel's `_RET_IP_` in save_stack).
   */
  scan(task: ShadowTask, retIp: number): boolean;
  leave(task: ShadowTask): void;
}

/** One page's record, as read back for tests and reports (not used on hot paths). */
export interface OwnerRecord {
  readonly pfn: Pfn;
  /** PAGE_EXT_OWNER */
  readonly owner: boolean;
  /** PAGE_EXT_OWNER_ALLOCATED */
  readonly allocated: boolean;
  readonly order: Order;
  readonly gfp: Gfp;
  readonly lastMigrateReason: number;
  /** Depot handle of the allocation stack (0 with inline storage). */
  readonly handle: number;
  readonly freeHandle: number;
  readonly tsNsec: number;
  readonly freeTsNsec: number;
  readonly pid: number;
  readonly tgid: number;
  readonly comm: string;
  readonly freePid: number;
  readonly freeTgid: number;
  /** The allocation stack as frame ids (from the depot or the inline slots). */
  readonly stack: readonly number[];
  readonly freeStack: readonly number[];
}

/** Storage policy: where a page's allocation stack lives. See storage.ts. */
export interface StackStorage {
  readonly kind: "inline8" | "depot";
  /** The depot (depot storage only). */
  readonly depot: OwnerDepot | null;
}

export interface PageOwnerOptions {
  /** The page_ext core to register the `page_owner` client with (before its init()). */
  readonly pageExt: PageExt;
  /** `page_owner=on`. @defaultValue true */
  readonly enabled?: boolean;
  /** @defaultValue "6.1" */
  readonly era?: OwnerEra;
  /** @defaultValue inline storage for v4.6, else depot storage (which then needs `depot`) */
  readonly storage?: StackStorage;
  /** @defaultValue stackScanGuard() for v4.6/v4.7, taskFlagGuard() from 6.1 */
  readonly guard?: RecursionGuard;
  readonly tasks: ShadowTaskContext;
  readonly clock: Clock;
  readonly symbols: SymbolTable;
  readonly memory: OwnerMemoryView;
  /** printk sink (`page owner found early allocated N pages`, refcount warnings). @defaultValue none */
  readonly log?: (line: string) => void;
  /**
   * Runs while the trace is captured, as an architecture's unwinder would (ia64's unwinder calls
   * kmalloc: seed 002). An app makes it allocate to show which guard survives. @defaultValue none
   */
  readonly onUnwind?: () => void;
  /**
   * Memoise trace -> handle in front of the depot: a model-only shortcut that skips the depot's
   * jhash2 and bucket walk, which the kernel does on every save. Handles, records and depot
   * contents are the same either way (page_owner's depot records are persistent); only the
   * depot's save count and the cost differ. @defaultValue false (the kernel-faithful path)
   */
  readonly traceMemo?: boolean;
}

/**
 * Interfaces that cross package boundaries. Implementations live elsewhere: @mm/sim provides the
 * clock, scheduler and tasks; @mm/buddy calls AllocHooks and implements PageSource and
 * ReportableFreeArea; page_owner, pin_owner and the watchdog subscribe hooks.
 */
import type { Gfp } from "./gfp.js";
import type { MigrateReason, Migratetype, Order, Pfn } from "./mm.js";

/** Simulated time in nanoseconds. Nothing in the model reads wall time. */
export interface Clock {
  /** Nanoseconds since boot (what `local_clock()` returns; page_owner's `ts`). */
  now(): number;
}

/** Cancels a scheduled callback; a no-op once it ran. */
export interface TimerHandle {
  cancel(): void;
}

/** Delayed work on the simulated clock (schedule_delayed_work, timers). */
export interface Scheduler extends Clock {
  /** Run `fn` when the clock reaches now() + delayNs. Ties run in scheduling order. */
  schedule(delayNs: number, fn: () => void): TimerHandle;
}

/** per-task flag bits (task_struct, "unserialized, strictly current" bitfields and PF_*). */
export const TASK_IN_PAGE_OWNER = 1 << 0;
export const TASK_MEMALLOC = 1 << 1; // PF_MEMALLOC
export const TASK_KSWAPD = 1 << 2; // PF_KSWAPD
export const TASK_KTHREAD = 1 << 3; // PF_KTHREAD
export const TASK_IN_TRACE_UNREF = 1 << 4;

/**
 * The running task as the allocator sees it (`current`). `stack` holds interned frame ids,
 * innermost first ( [0] is the function that called into mm ), `depth` of them valid.
 */
export interface Task {
  readonly pid: number;
  readonly tgid: number;
  readonly comm: string;
  /** TASK_* bits; writable so guards can set/clear their bit. */
  flags: number;
  readonly stack: Uint32Array;
  readonly depth: number;
}

/** Who is `current` right now. */
export interface TaskContext {
  current(): Task;
}

/** Frame ids <-> kernel symbol text (`func+0xoff/0xsize`). */
export interface SymbolTable {
  /** Interns a frame text and returns its id (ids start at 1; 0 is never a frame). */
  intern(text: string): number;
  /** The text of a frame id, e.g. `__alloc_pages+0x1bc/0x300`. */
  symbolize(id: number): string;
}

/** Where dynamically allocated memory comes from (stackdepot pools, page_ext when lazy). */
export interface PageSource {
  /** Allocate 2^order pages; returns the first pfn, or -1 on failure. */
  allocPages(order: Order, gfp: Gfp): Pfn;
  freePages(pfn: Pfn, order: Order): void;
}

/**
 * The allocator's hook points. A subscriber implements any subset; the allocator keeps one array
 * per method and calls it in a plain loop, so an absent method costs nothing.
 */
export interface AllocHooks {
  /** post_alloc_hook -> set_page_owner: after the block left the free lists, refcount = 1. */
  postAlloc?(pfn: Pfn, order: Order, gfp: Gfp): void;
  /** free_pages_prepare -> reset_page_owner: before the block returns to the free lists. */
  freePrepare?(pfn: Pfn, order: Order): void;
  /** split_page: a block of `order` became independent order-0 pages (split_page_owner). */
  split?(pfn: Pfn, order: Order): void;
  /** Migration copied `order` pages from oldPfn to newPfn (folio_copy_owner, set reason). */
  migrate?(oldPfn: Pfn, newPfn: Pfn, order: Order, reason: MigrateReason): void;
  /** Migration of the page failed (it stays where it is); err is a negative errno. */
  migrateFail?(pfn: Pfn, reason: MigrateReason, err: number): void;
  /** get_page: after the increment. */
  get?(pfn: Pfn, count: number): void;
  /** put_page: after the decrement (count 0 means the page is about to be freed). */
  put?(pfn: Pfn, count: number): void;
  /** Entering / leaving __alloc_pages_slowpath (allocation watchdogs). */
  slowpathEnter?(gfp: Gfp, order: Order): void;
  slowpathExit?(gfp: Gfp, order: Order, pfn: Pfn): void;
}

/** Names of the hook methods, for implementations that keep one array per hook. */
export const ALLOC_HOOK_NAMES = [
  "postAlloc",
  "freePrepare",
  "split",
  "migrate",
  "migrateFail",
  "get",
  "put",
  "slowpathEnter",
  "slowpathExit",
] as const satisfies readonly (keyof AllocHooks)[];

/**
 * What free page reporting needs from the allocator (mm/page_reporting.c's view of a zone):
 * walk free_area[order].free_list[mt], isolate / put back blocks, the Reported mark, and the
 * zone numbers its gates use. Lists are walked head to tail with first/next, -1 at the end.
 */
export interface ReportableFreeArea {
  readonly nrZones: number;
  readonly maxOrder: Order;
  readonly nrMigratetypes: number;
  zoneName(zone: number): string;
  /** Zones with no managed pages are skipped (populated_zone). */
  zoneManagedPages(zone: number): number;
  /** NR_FREE_PAGES of the zone, counting isolated-for-reporting blocks as not free. */
  zoneFreePages(zone: number): number;
  zoneWatermark(zone: number, kind: number): number;
  /** zone_watermark_ok(zone, order, mark, highestZoneidx = zone, allocFlags). */
  zoneWatermarkOk(zone: number, order: Order, mark: number, allocFlags: number): boolean;
  /** free_area[order].nr_free (blocks of all migratetypes). */
  nrFree(zone: number, order: Order): number;
  freeListFirst(zone: number, order: Order, mt: Migratetype): Pfn;
  freeListNext(pfn: Pfn): Pfn;
  /** list_rotate_to_front(&page->lru, list): make pfn the head of its list, keeping the cycle order. */
  rotateToFront(zone: number, order: Order, mt: Migratetype, pfn: Pfn): void;
  isReported(pfn: Pfn): boolean;
  /**
   * PageBuddy(page) ? buddy_order(page) : -1 — page_reporting_drain's "did the block stay unmerged"
   * test after the put back. Optional so older implementations still type-check.
   */
  buddyOrder?(pfn: Pfn): Order;
  /** __SetPageReported on a free block head (the caller put it back first). */
  setReported(pfn: Pfn): void;
  /** __isolate_free_page: take a free block off its list if the min-watermark check allows. */
  isolateFreePage(pfn: Pfn, order: Order): boolean;
  /** __putback_isolated_page: return it (may merge; merging clears Reported), no report notify. */
  putbackIsolatedPage(pfn: Pfn, order: Order, mt: Migratetype): void;
  /** The migratetype of the pageblock holding pfn. */
  pageblockMigratetype(pfn: Pfn): Migratetype;
  /** page_reporting_notify_free: called with the order of every block freed to the lists. */
  onFreeNotify(listener: ((order: Order) => void) | null): void;
}

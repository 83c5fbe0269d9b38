/**
 * The buddy allocator of one NUMA node, as one object: the public face. Each method checks its
 * input (MmError with a stable code, state untouched) and delegates to the room that models the
 * kernel function. The state is NodeState (internal/node.ts), which this class extends so that
 * the rooms get the same object, of one hidden class, that callers hold.
 * Kernel counterpart: mm/page_alloc.c (6.1-era, with the 6.4+ inclusive MAX_ORDER spelling),
 * mm/page_isolation.c, mm/migrate.c, mm/vmstat.c, parts of mm/khugepaged.c.
 */
import {
  type AllocHooks,
  type Gfp,
  MIGRATE_CMA,
  MIGRATE_ISOLATE,
  MIGRATE_MOVABLE,
  MIGRATE_REASON_NAMES,
  MIGRATE_TYPES,
  type MigrateReason,
  type Migratetype,
  MmError,
  type Order,
  type PageSource,
  type Pfn,
  PG_head,
  PG_lru,
  PG_reported_alias,
  PG_reserved,
  type ReportableFreeArea,
  ZONE_NAMES,
} from "@mm/api";
import { allocPagesNode } from "./alloc-pages.js";
import { gfpZone } from "./alloc.js";
import { type MachineOptions, type MigrateOptions } from "./api.js";
import { boot, freeReservedArea } from "./boot.js";
import { freePagesRef } from "./free.js";
import { addHooks } from "./hooks.js";
import { isPresent, listHead, NodeState, type Zone, zoneIdxOf } from "./internal/node.js";
import { checkInvariants, type PageCensus } from "./invariants.js";
import { isolateFreePage, putbackIsolatedPage } from "./isolate-free-page.js";
import { allocContigRange, freeContigRange } from "./isolation.js";
import { migratePage } from "./migrate.js";
import { allocatedBlockHead, freeBlockHead, notAllocated } from "./page-lookup.js";
import { lruAdd, lruDel } from "./lru.js";
import { PB_ALLOC, PB_BUDDY, PB_HEAD, PB_ISOLATED, PB_LRU, PB_MOVABLE, PB_REPORTED, PB_RESERVED, PB_TAIL } from "./page-state.js";
import { formatPagesets, type PagesetRow } from "./pcp.js";
import { drainAllPagesChecked, pcpPages, pcpPagesets, setCpu, setPercpuPagelistHighFraction, setZoneReclaimActive } from "./pcp-api.js";
import { allocPagesAt, setPageblockMigratetype } from "./place.js";
import { type BuddyinfoRow, formatBuddyinfo, formatPagetypeinfo, type Pagetypeinfo } from "./procfs.js";
import { freeListFirst, freeListNext, rotateToFront } from "./reporting.js";
import { getPage, pageCount, putPage, splitPage } from "./refcount.js";
import { buddyinfoRows, freeListLength, pagetypeinfoData } from "./vmstat.js";
import {
  nrFreeBufferPages,
  setMinFreeKbytes,
  setupPerZoneLowmemReserve,
  setupPerZoneWmarks,
  startStopKhugepaged,
  totalramPages,
} from "./wmark-setup.js";
import { watermarkOk, wmarkPages } from "./zone-wmark.js";
import { disposePageArrays } from "./internal/page-arrays.js";

/**
 * A machine: one node of memory managed by the buddy allocator. Create it with createMachine().
 * Public methods validate their input and throw MmError leaving the state untouched.
 */
export class BuddyMachine extends NodeState implements PageSource, ReportableFreeArea {
  /** @internal use createMachine(). */
  constructor(opts: MachineOptions) {
    super(opts);
    boot(this, opts);
  }

  // ---- checks shared by the methods
  private checkPfn(pfn: Pfn): void {
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= this.endPfn)
      throw new MmError("PFN_OUT_OF_RANGE", `pfn ${pfn} is outside [0, ${this.endPfn})`, { pfn });
    if (!isPresent(this, pfn)) throw new MmError("PFN_IN_HOLE", `pfn ${pfn} is in a memory hole`, { pfn });
  }

  private checkOrder(order: Order): void {
    if (!(Number.isInteger(order) && order >= 0 && order <= this.maxOrder))
      throw new MmError("BAD_ORDER", `order ${order} is not in 0..${this.maxOrder}`, { order });
  }

  private checkEnd(startPfn: Pfn, endPfn: Pfn): void {
    if (!Number.isInteger(endPfn) || endPfn <= startPfn || endPfn > this.endPfn)
      throw new MmError("PFN_OUT_OF_RANGE", `bad end pfn ${endPfn}`, { pfn: endPfn });
  }

  // ---- boot and watermarks (boot.ts, wmark-setup.ts, zone-wmark.ts)

  /**
   * free_reserved_area(start, end): give reserved pages to the buddy allocator one page at a
   * time (free_reserved_page: ClearPageReserved, refcount 1, __free_page), managed += 1 each.
   * The watermarks are not recomputed, as in the kernel.
   */
  freeReservedRange(startPfn: Pfn, endPfn: Pfn): void {
    this.checkPfn(startPfn);
    this.checkEnd(startPfn, endPfn);
    for (let p = startPfn; p < endPfn; p++) {
      if ((this.flags[p] & PB_RESERVED) === 0 || !isPresent(this, p))
        throw new MmError(isPresent(this, p) ? "NOT_ALLOCATED" : "PFN_IN_HOLE", `pfn ${p} is not a reserved page`, { pfn: p });
    }
    freeReservedArea(this, startPfn, endPfn);
  }

  /** totalram_pages(): managed pages of all zones. */
  totalramPages(): number {
    return totalramPages(this);
  }

  /** nr_free_buffer_pages(): sum over zones <= Normal of managed - high (when positive). */
  nrFreeBufferPages(): number {
    return nrFreeBufferPages(this);
  }

  /** __setup_per_zone_wmarks(). */
  setupPerZoneWmarks(): void {
    setupPerZoneWmarks(this);
  }

  /** setup_per_zone_lowmem_reserve(). */
  setupPerZoneLowmemReserve(): void {
    setupPerZoneLowmemReserve(this);
  }

  /** vm.min_free_kbytes = kb (min_free_kbytes_sysctl_handler): user value, watermarks recomputed. */
  setMinFreeKbytes(kb: number): void {
    if (!Number.isInteger(kb) || kb < 0) throw new MmError("EINVAL", `min_free_kbytes ${kb}`);
    setMinFreeKbytes(this, kb);
  }

  /** vm.watermark_scale_factor = v (1..3000), watermarks recomputed. */
  setWatermarkScaleFactor(v: number): void {
    if (!Number.isInteger(v) || v < 1 || v > 3000) throw new MmError("EINVAL", `watermark_scale_factor ${v}`);
    this.watermarkScaleFactor = v;
    setupPerZoneWmarks(this);
  }

  /**
   * /sys/kernel/mm/transparent_hugepage/enabled: start_stop_khugepaged(), which always ends in
   * set_recommended_min_free_kbytes() (raising min_free_kbytes when THP is on, recalculating it
   * with the int_sqrt formula when THP is off).
   */
  setTransparentHugepage(enabled: boolean): void {
    this.thpEnabled = enabled;
    startStopKhugepaged(this);
  }

  /** wmark_pages(zone, i): the watermark plus the current boost. */
  zoneWatermark(zone: number, kind: number): number {
    return wmarkPages(this.zones[zone], kind);
  }

  /** zone_watermark_ok(z, order, mark, highest_zoneidx = zone, alloc_flags). */
  zoneWatermarkOk(zone: number, order: Order, mark: number, allocFlags: number): boolean {
    const z = this.zones[zone];
    return watermarkOk(this, z, order, mark, zone, allocFlags, z.freePages);
  }

  // ---- free lists

  /** Index of the list head of free_area[order].free_list[mt] in `next`/`prev`. */
  listHead(zone: number, order: number, mt: number): number {
    return listHead(this, zone, order, mt);
  }

  // ---- allocation (alloc-pages.ts, alloc.ts, slowpath.ts, rmqueue.ts)

  /** gfp_zone(): the highest zone a gfp may use; throws EINVAL for the GFP_ZONE_BAD combinations. */
  gfpZone(gfp: Gfp): number {
    return gfpZone(gfp);
  }

  /**
   * alloc_pages(gfp, order) -> __alloc_pages(): the fast path against the low watermark, then
   * the slow path. Calls the postAlloc hooks once on success.
   * @returns the first pfn, or -1 when the allocation failed (warn_alloc may have printed).
   */
  allocPages(order: Order, gfp: Gfp): Pfn {
    if (!(order >= 0 && order <= this.maxOrder && (order | 0) === order)) this.checkOrder(order);
    return allocPagesNode(this, order, gfp);
  }

  /**
   * Place an allocation at a chosen pfn: take the free block that contains [pfn, pfn + 2^order)
   * off its list, hand the other halves back (break_down_buddy_pages, as take_page_off_buddy()
   * does), then prep the block as allocPages would (refcount 1, compound when __GFP_COMP, the
   * postAlloc hooks). Trace replay and machine import use it to put a real kernel's choices into
   * the model; there is no watermark check, since the real kernel already made this allocation.
   * @throws MmError NOT_FREE_BLOCK when any page of the range is not free; state is unchanged.
   */
  allocPagesAt(pfn: Pfn, order: Order, gfp: Gfp): void {
    this.checkPfn(pfn);
    this.checkOrder(order);
    if ((pfn & ((1 << order) - 1)) !== 0)
      throw new MmError("EINVAL", `allocPagesAt: pfn ${pfn} is not aligned to order ${order}`, { pfn, order });
    const head = freeBlockHead(this, pfn);
    if (head < 0 || (this.flags[head] & PB_BUDDY) === 0 || this.order[head] < order)
      throw new MmError("NOT_FREE_BLOCK", `allocPagesAt: pfn ${pfn} order ${order} is not inside a free block`, { pfn, order });
    allocPagesAt(this, head, pfn, order, gfp);
  }

  /**
   * set_pageblock_migratetype() followed by move_freepages_block(): the pageblock of pfn gets
   * migratetype mt and its free blocks move to free_list[mt]. For seeding a machine from a
   * real one's pageblock types (page_owner's "Block N type X"); isolation has its own API.
   */
  setPageblockMigratetype(pfn: Pfn, mt: Migratetype): void {
    this.checkPfn(pfn);
    if (!(Number.isInteger(mt) && mt >= 0 && mt < MIGRATE_TYPES) || mt === MIGRATE_ISOLATE)
      throw new MmError("EINVAL", `setPageblockMigratetype: migratetype ${mt}`, { pfn });
    if (this.pageblockMt[pfn >>> this.pageblockOrder] === MIGRATE_ISOLATE)
      throw new MmError("BUSY", `setPageblockMigratetype: pageblock of pfn ${pfn} is isolated`, { pfn });
    setPageblockMigratetype(this, pfn, mt);
  }

  // ---- free, refcounts, split (free.ts, refcount.ts)

  /** Is pfn usable memory (not a hole)? */
  isPresent(pfn: Pfn): boolean {
    return isPresent(this, pfn);
  }

  /** Head of the free (or isolated) block containing pfn, or -1. */
  freeBlockHead(pfn: Pfn): Pfn {
    return freeBlockHead(this, pfn);
  }

  /** Head of the allocated block containing pfn (compound or not), or -1. */
  allocatedBlockHead(pfn: Pfn): Pfn {
    return allocatedBlockHead(this, pfn);
  }

  /**
   * __free_pages(page, order): drop the caller's reference; free the block when it was the last.
   * With extra references on a non-compound block the tail parts are freed now and the first
   * page stays allocated (order 0) until its last put, as the kernel does.
   */
  freePages(pfn: Pfn, order: Order): void {
    // The hot path of every workload: one test covers range, PageAlloc and the order (a hole or
    // a pfn past the end is never PB_ALLOC; a stored order is always valid). badFree() then
    // finds which check failed, in the order the checks are documented.
    if (!(pfn >= 0 && pfn < this.endPfn && (pfn | 0) === pfn) || (this.flags[pfn] & PB_ALLOC) === 0 || this.order[pfn] !== order)
      this.badFree(pfn, order);
    freePagesRef(this, pfn, order);
  }

  private badFree(pfn: Pfn, order: Order): never {
    this.checkPfn(pfn);
    this.checkOrder(order);
    if ((this.flags[pfn] & PB_ALLOC) === 0) throw notAllocated(this, pfn, "free", false);
    throw new MmError("WRONG_ORDER", `free of pfn ${pfn} with order ${order}, allocated with order ${this.order[pfn]}`, {
      pfn,
      order,
      allocated: this.order[pfn],
    });
  }

  /** page_ref_count() of the page (of its compound head for tails). */
  pageCount(pfn: Pfn): number {
    this.checkPfn(pfn);
    return pageCount(this, pfn);
  }

  /** get_page(): one more reference on an allocated page (the head for compound tails). */
  getPage(pfn: Pfn): void {
    this.checkPfn(pfn);
    getPage(this, pfn);
  }

  /**
   * put_page(): drop a reference; at zero the page (the whole compound page) is freed. Dropping
   * the last reference of a non-compound block of order > 0 this way would free only its first
   * page in the kernel (and leak the rest), so it is refused: use freePages(pfn, order).
   */
  putPage(pfn: Pfn): void {
    this.checkPfn(pfn);
    putPage(this, pfn);
  }

  /**
   * folio_add_lru() once the per-cpu batch drained (or __SetPageMovable): the allocated page at
   * pfn, an order-0 page or a compound head, is now PageLRU and counts as movable in
   * move_freepages(). Until then a fresh __GFP_MOVABLE page does not (lru.ts).
   * @throws MmError NOT_ALLOCATED (free, reserved, a tail), EINVAL for a non-compound block of
   *   order > 0 or a page already on the LRU (state intact)
   */
  lruAdd(pfn: Pfn): void {
    this.checkLruHead(pfn);
    if (this.flags[pfn] & PB_LRU) throw new MmError("EINVAL", `pfn ${pfn} is already on an LRU list`, { pfn });
    lruAdd(this, pfn);
  }

  /**
   * folio_isolate_lru() / __page_cache_release(): the page at pfn leaves its LRU list.
   * @throws MmError NOT_ALLOCATED, EINVAL as lruAdd, or for a page not on the LRU (state intact)
   */
  lruDel(pfn: Pfn): void {
    this.checkLruHead(pfn);
    if ((this.flags[pfn] & PB_LRU) === 0) throw new MmError("EINVAL", `pfn ${pfn} is not on an LRU list`, { pfn });
    lruDel(this, pfn);
  }

  /** PageLRU(page) || __PageMovable(page) for an allocated pfn (tails answer for their head). */
  onLru(pfn: Pfn): boolean {
    this.checkPfn(pfn);
    return (this.flags[pfn] & (PB_ALLOC | PB_TAIL)) !== 0 && (this.flags[pfn] & PB_LRU) !== 0;
  }

  private checkLruHead(pfn: Pfn): void {
    this.checkPfn(pfn);
    const f = this.flags[pfn];
    if ((f & PB_ALLOC) === 0) throw new MmError("NOT_ALLOCATED", notAllocated(this, pfn, "lru", false).message, { pfn });
    if ((f & PB_HEAD) === 0 && this.order[pfn] > 0)
      throw new MmError("EINVAL", `pfn ${pfn} heads a non-compound order-${this.order[pfn]} block, which no LRU list holds`, { pfn });
  }

  /** split_page(): a non-compound block becomes 2^order order-0 pages, each with refcount 1. */
  splitPage(pfn: Pfn, order: Order): void {
    this.checkPfn(pfn);
    this.checkOrder(order);
    const f = this.flags[pfn];
    if ((f & PB_ALLOC) === 0) throw notAllocated(this, pfn, "split_page", false);
    if (f & PB_HEAD) throw new MmError("EINVAL", `split_page of compound page ${pfn}`, { pfn });
    if (this.order[pfn] !== order)
      throw new MmError("WRONG_ORDER", `split_page of pfn ${pfn} with order ${order}, allocated with ${this.order[pfn]}`, { pfn, order });
    splitPage(this, pfn, order);
  }

  // ---- migration (migrate.ts)

  /**
   * Migrate an allocated block (migrate_pages of one folio): allocate a target of the same order,
   * copy (the migrate hooks, folio_copy_owner), move the references, free the old block.
   * Fails with -EAGAIN (migrateFail hooks) when the refcount differs from `expectedRefs`, as
   * folio_migrate_mapping's expected-count check does, and -ENOMEM when no target is found.
   * @returns the new pfn, or a negative errno.
   */
  migratePage(pfn: Pfn, reason: MigrateReason, opts?: MigrateOptions): Pfn {
    this.checkPfn(pfn);
    if (!(Number.isInteger(reason) && reason >= 0 && reason < MIGRATE_REASON_NAMES.length))
      throw new MmError("EINVAL", `migrate reason ${reason}`);
    if ((this.flags[pfn] & PB_ALLOC) === 0) throw notAllocated(this, pfn, "migrate", false);
    return migratePage(this, pfn, reason, opts);
  }

  // ---- isolation and contiguous ranges (isolation.ts, isolate-free-page.ts)

  /**
   * alloc_contig_range(start, end, migratetype): isolate the pageblocks around the range
   * (max-order aligned, as pfn_max_align_down/up did before 5.19), migrate its movable pages out
   * with MR_CONTIG_RANGE, check that everything is free, take the free pages as order-0 pages with
   * refcount 1 (post_alloc_hook + split_page, so the postAlloc and split hooks run), give back the
   * excess, undo the isolation.
   * @returns 0, or -EBUSY when a page could not be isolated or migrated (the isolation is undone;
   *   pages migrated before the failure stay where they went, as in the kernel).
   */
  allocContigRange(startPfn: Pfn, endPfn: Pfn, migratetype: Migratetype = MIGRATE_CMA): number {
    this.checkPfn(startPfn);
    this.checkEnd(startPfn, endPfn);
    if (zoneIdxOf(this, endPfn - 1) !== zoneIdxOf(this, startPfn)) throw new MmError("EINVAL", `[${startPfn}, ${endPfn}) spans two zones`);
    if (!(migratetype === MIGRATE_CMA || migratetype === MIGRATE_MOVABLE))
      throw new MmError("EINVAL", `alloc_contig_range migratetype ${migratetype}`);
    for (let p = startPfn; p < endPfn; p++)
      if (!isPresent(this, p)) throw new MmError("PFN_IN_HOLE", `pfn ${p} is in a memory hole`, { pfn: p });
    return allocContigRange(this, startPfn, endPfn, migratetype);
  }

  /** free_contig_range(pfn, nr): __free_page on each page of a range from allocContigRange. */
  freeContigRange(pfn: Pfn, nrPages: number): void {
    this.checkPfn(pfn);
    if (!Number.isInteger(nrPages) || nrPages < 1 || pfn + nrPages > this.endPfn)
      throw new MmError("PFN_OUT_OF_RANGE", `bad page count ${nrPages}`, { pfn });
    for (let p = pfn; p < pfn + nrPages; p++) {
      if ((this.flags[p] & PB_ALLOC) === 0 || this.order[p] !== 0)
        throw p === pfn
          ? notAllocated(this, p, "free_contig_range", false)
          : new MmError("NOT_ALLOCATED", `free_contig_range: pfn ${p} is not an order-0 page`, { pfn: p });
    }
    freeContigRange(this, pfn, nrPages);
  }

  /**
   * __isolate_free_page(): take a free block off its list unless that would breach the min
   * watermark (not checked inside isolated pageblocks); at order >= pageblock_order - 1 its
   * mergeable pageblocks become Movable.
   * @returns false when the watermark check refused.
   */
  isolateFreePage(pfn: Pfn, order: Order): boolean {
    this.checkPfn(pfn);
    this.checkOrder(order);
    if ((this.flags[pfn] & PB_BUDDY) === 0 || this.order[pfn] !== order)
      throw new MmError("NOT_FREE_BLOCK", `isolate: pfn ${pfn} is not a free order-${order} block`, { pfn, order });
    return isolateFreePage(this, pfn, order);
  }

  /** __putback_isolated_page(): back to the tail of free_list[mt], merging, no report notify. */
  putbackIsolatedPage(pfn: Pfn, order: Order, mt: Migratetype): void {
    this.checkPfn(pfn);
    this.checkOrder(order);
    if ((this.flags[pfn] & PB_ISOLATED) === 0 || this.order[pfn] !== order)
      throw new MmError("NOT_ISOLATED", `putback: pfn ${pfn} is not an isolated order-${order} block`, { pfn, order });
    if (!(Number.isInteger(mt) && mt >= 0 && mt < MIGRATE_TYPES)) throw new MmError("EINVAL", `migratetype ${mt}`);
    putbackIsolatedPage(this, pfn, order, mt);
  }

  // ---- per-cpu page lists (pcp.ts; MachineOptions.pcp; pcp-api.ts validates)

  /** Online CPUs (1 without per-cpu lists). */
  get cpus(): number {
    return this.pcp === null ? 1 : this.pcp.cpus;
  }
  /** The CPU the allocator runs on now (smp_processor_id). */
  get currentCpu(): number {
    return this.pcp === null ? 0 : this.pcp.cpu;
  }
  /** Run the following allocations and frees on `cpu` (their pcp lists are that CPU's). */
  setCpu(cpu: number): void {
    setCpu(this, cpu);
  }
  /** Is pfn the head of a block on a per-cpu list? */
  isOnPcp(pfn: Pfn): boolean {
    this.checkPfn(pfn);
    return this.pcp !== null && this.pcp.pageMt[pfn] !== 0xff;
  }
  /** Pages on the per-cpu lists of a zone (every zone when omitted), all CPUs; 0 without pcp. */
  pcpPages(zone?: number): number {
    return pcpPages(this, zone);
  }
  /** drain_all_pages(zone), every zone when omitted. @returns pages given back to the buddy lists (0 without pcp) */
  drainAllPages(zone?: number): number {
    return drainAllPagesChecked(this, zone);
  }
  /** count, high and batch of each CPU's pcp of a zone (zoneinfo's "pagesets"). */
  pcpPagesets(zone: number): PagesetRow[] {
    return pcpPagesets(this, zone);
  }
  /** The zone's "pagesets" lines of /proc/zoneinfo (see formatPagesets for the threshold line). */
  zoneinfoPagesets(zone: number, threshold?: number): string {
    return formatPagesets(pcpPagesets(this, zone), threshold);
  }
  /** vm.percpu_pagelist_high_fraction = v (0 or >= 8): every zone's pcp high and batch recomputed. */
  setPercpuPagelistHighFraction(v: number): void {
    setPercpuPagelistHighFraction(this, v);
  }
  /** ZONE_RECLAIM_ACTIVE (kswapd's set_reclaim_active / clear_reclaim_active): pcp->high is capped at 4 batches while set. */
  setZoneReclaimActive(zone: number, active: boolean): void {
    setZoneReclaimActive(this, zone, active);
  }

  // ---- /proc (vmstat.ts, procfs.ts)

  /** The rows of /proc/buddyinfo (populated zones). */
  buddyinfoRows(): BuddyinfoRow[] {
    return buddyinfoRows(this);
  }

  /** /proc/buddyinfo text. */
  buddyinfo(): string {
    return formatBuddyinfo(buddyinfoRows(this));
  }

  /** Length of free_area[order].free_list[mt], walked and capped as pagetypeinfo does. */
  freeListLength(zone: number, order: Order, mt: Migratetype, cap = Infinity): number {
    return freeListLength(this, zone, order, mt, cap);
  }

  /**
   * The data of /proc/pagetypeinfo. `mixedCounts(zone)` (from page_owner) adds the "Number of
   * mixed blocks" table: counts indexed by migratetype value.
   */
  pagetypeinfoData(mixedCounts?: (zone: number) => ArrayLike<number>): Pagetypeinfo {
    return pagetypeinfoData(this, mixedCounts);
  }

  /** /proc/pagetypeinfo text (see pagetypeinfoData for `mixedCounts`). */
  pagetypeinfo(mixedCounts?: (zone: number) => ArrayLike<number>): string {
    return formatPagetypeinfo(pagetypeinfoData(this, mixedCounts));
  }

  /**
   * Verify every list, page and counter (see checkInvariants in invariants.ts).
   * @throws MmError INVARIANT naming the first violation.
   */
  checkInvariants(): PageCensus[] {
    return checkInvariants(this);
  }

  // ---- hooks (hooks.ts)

  /** Subscribe to allocator events; returns the unsubscribe function. */
  addHooks(hooks: AllocHooks): () => void {
    return addHooks(this, hooks);
  }

  // ---- ReportableFreeArea (reporting.ts)

  zoneName(zone: number): string {
    return ZONE_NAMES[zone];
  }
  zoneManagedPages(zone: number): number {
    return this.zones[zone].managed;
  }
  zoneFreePages(zone: number): number {
    return this.zones[zone].freePages;
  }
  nrFree(zone: number, order: Order): number {
    return this.nrFreeArr[zone * this.nrOrders + order];
  }
  freeListFirst(zone: number, order: Order, mt: Migratetype): Pfn {
    return freeListFirst(this, zone, order, mt);
  }
  freeListNext(pfn: Pfn): Pfn {
    return freeListNext(this, pfn);
  }
  /** list_rotate_to_front(&page->lru, list): the list head moves to just before pfn. */
  rotateToFront(zone: number, order: Order, mt: Migratetype, pfn: Pfn): void {
    this.checkPfn(pfn);
    if ((this.flags[pfn] & PB_BUDDY) === 0 || this.order[pfn] !== order || zoneIdxOf(this, pfn) !== zone)
      throw new MmError("NOT_FREE_BLOCK", `pfn ${pfn} is not on free_area[${order}] of zone ${zone}`, { pfn, order });
    rotateToFront(this, zone, order, mt, pfn);
  }
  isReported(pfn: Pfn): boolean {
    return (this.flags[pfn] & PB_REPORTED) !== 0;
  }
  buddyOrder(pfn: Pfn): Order {
    return this.flags[pfn] & PB_BUDDY ? this.order[pfn] : -1;
  }
  /** __SetPageReported on a free block head. */
  setReported(pfn: Pfn): void {
    this.checkPfn(pfn);
    if ((this.flags[pfn] & PB_BUDDY) === 0) throw new MmError("NOT_FREE_BLOCK", `setReported: pfn ${pfn} is not a free block head`, { pfn });
    this.flags[pfn] |= PB_REPORTED;
  }
  pageblockMigratetype(pfn: Pfn): Migratetype {
    return this.pageblockMt[pfn >>> this.pageblockOrder];
  }
  onFreeNotify(listener: ((order: Order) => void) | null): void {
    this.freeNotify = listener;
  }

  // ---- PageSource convenience

  /** NR_FREE_PAGES summed over zones. */
  freePagesTotal(): number {
    let s = 0;
    for (const z of this.zones) s += z.freePages;
    return s;
  }

  /** Is pfn the head of a free block on a free list? */
  isFree(pfn: Pfn): boolean {
    return (this.flags[pfn] & PB_BUDDY) !== 0;
  }

  /** Is pfn the head of an allocated block? */
  isAllocated(pfn: Pfn): boolean {
    return (this.flags[pfn] & PB_ALLOC) !== 0;
  }

  /** Zone index of a pfn. */
  zoneOf(pfn: Pfn): number {
    return zoneIdxOf(this, pfn);
  }

  /** Populated zones, lowest first. */
  populatedZones(): Zone[] {
    return this.zones.filter((z) => z.populated);
  }

  /**
   * The page's kernel flag word for `%pGp` (low 32 bits): head, reserved, lru (movable), and
   * uptodate for a Reported free page (PG_reported aliases it).
   */
  pageFlags(pfn: Pfn): number {
    const f = this.flags[pfn];
    let out = 0;
    if (f & PB_HEAD) out |= 1 << PG_head;
    if (f & PB_RESERVED) out |= 1 << PG_reserved;
    if (f & PB_MOVABLE && f & (PB_ALLOC | PB_TAIL)) out |= 1 << PG_lru;
    if (f & PB_REPORTED) out |= 1 << PG_reported_alias;
    return out >>> 0;
  }

  /** Done: the page arrays go to the next createMachine() of this size on this thread, not the GC
   * (sweeps boot thousands). Don't use it afterwards: its arrays are empty, never another machine's. */
  dispose(): void {
    disposePageArrays(this);
  }
}

/**
 * Boot a machine: zones, memmap, memblock_free_all, watermarks, the THP adjustment, late frees.
 * @throws MmError BAD_CONFIG for an impossible layout.
 */
export function createMachine(opts: MachineOptions): BuddyMachine {
  return new BuddyMachine(opts);
}

/**
 * Boot: memmap_init, the CMA area, memblock_free_all, init_per_zone_wmark_min, hugepage_init and
 * the late frees of initrd and init memory. Kernel counterpart: mm/mm_init.c / mm/page_alloc.c
 * (memmap_init_range, __free_pages_memory, __free_pages_core, init_per_zone_wmark_min,
 * free_reserved_area), mm/cma.c (cma_init_reserved_areas), mm/huge_memory.c (hugepage_init) of 6.1.
 */
import { MAX_NR_ZONES, MIGRATE_CMA, MIGRATE_MOVABLE, MmError, PAGE_SHIFT, PAGES_PER_SECTION } from "@mm/api";
import { type MachineOptions } from "./api.js";
import { FPI_NONE, FPI_TO_TAIL, freeOnePage, freePagesRef } from "./free.js";
import { type NodeState, zoneIdxOf } from "./internal/node.js";
import { normalizeRanges, type PfnRange, rangesContain, subtractRanges } from "./layout.js";
import { PB_ALLOC, PB_RESERVED } from "./page-state.js";
import { setupPerCpuPageset } from "./pcp.js";
import {
  calculateMinFreeKbytes,
  setMinFreeKbytes,
  setupPerZoneLowmemReserve,
  setupPerZoneWmarks,
  startStopKhugepaged,
  totalramPages,
} from "./wmark-setup.js";

function totalPages(r: readonly PfnRange[]): number {
  let n = 0;
  for (const x of r) n += x.endPfn - x.startPfn;
  return n;
}

/** Boot the node whose geometry NodeState's constructor set up. @throws MmError BAD_CONFIG */
export function boot(s: NodeState, opts: MachineOptions): void {
  const ranges = s.ranges;
  let reserved = normalizeRanges(opts.reserved ?? [], "reserved");
  let lateFree = normalizeRanges(opts.lateFree ?? [], "lateFree");
  if (!rangesContain(ranges, reserved)) throw new MmError("BAD_CONFIG", "reserved ranges must lie in usable memory");
  if (!rangesContain(ranges, lateFree)) throw new MmError("BAD_CONFIG", "lateFree ranges must lie in usable memory");
  if (totalPages(subtractRanges(lateFree, reserved)) !== totalPages(lateFree)) throw new MmError("BAD_CONFIG", "lateFree must not overlap reserved");
  if (opts.lateFreedPages !== undefined && opts.lateFreedPages > 0) {
    // Like an initrd: the top of memory that is neither reserved nor already late-freed.
    let need = opts.lateFreedPages;
    const avail = subtractRanges(subtractRanges(ranges, reserved), lateFree);
    const extra: PfnRange[] = [];
    for (let i = avail.length - 1; i >= 0 && need > 0; i--) {
      const r = avail[i];
      const take = Math.min(need, r.endPfn - r.startPfn);
      extra.push({ startPfn: r.endPfn - take, endPfn: r.endPfn });
      need -= take;
    }
    if (need > 0) throw new MmError("BAD_CONFIG", "lateFreedPages exceeds free memory");
    lateFree = normalizeRanges([...lateFree, ...extra], "lateFree");
  }

  // CMA area: whole max-order blocks (CMA's alignment), inside one zone, no holes, no reservations.
  let cma: PfnRange[] = [];
  if (opts.cma !== undefined) {
    const align = Math.max(1 << s.maxOrder, s.pageblockNrPages);
    const nr = Math.ceil(opts.cma.nrPages / align) * align;
    let start: number;
    if (opts.cma.startPfn !== undefined) start = opts.cma.startPfn;
    else {
      const last = ranges[ranges.length - 1];
      start = Math.floor((last.endPfn - nr) / align) * align;
    }
    if (!(nr > 0) || start % align !== 0 || start < 0) throw new MmError("BAD_CONFIG", `CMA area must be ${align}-page aligned and non-empty`);
    cma = [{ startPfn: start, endPfn: start + nr }];
    if (!rangesContain(subtractRanges(subtractRanges(ranges, reserved), lateFree), cma))
      throw new MmError("BAD_CONFIG", "CMA area must lie in usable, unreserved memory");
    const z0 = zoneIdxOf(s, start);
    if (zoneIdxOf(s, start + nr - 1) !== z0) throw new MmError("BAD_CONFIG", "CMA area must lie in one zone");
  }
  // Reserved pages include the late-freed ones until they are freed.
  reserved = normalizeRanges([...reserved, ...lateFree], "reserved");

  // memmap_init: in the kernel every struct page starts reserved with refcount 1 and the free
  // ones are cleared as they are given to the buddy allocator. The arrays start zeroed (the
  // state of a free page), so only holes and reservations are written. Pageblocks whose first pfn
  // is memory become MIGRATE_MOVABLE (memmap_init_range); a pageblock starting in a hole stays 0 =
  // Unmovable, which is what the fixture's DMA zone shows.
  for (const r of [...subtractRanges([{ startPfn: 0, endPfn: s.nrPfns }], ranges), ...reserved]) {
    s.flags.fill(PB_RESERVED, r.startPfn, r.endPfn);
    s.refcount.fill(1, r.startPfn, r.endPfn);
  }
  const pbMask = s.pageblockNrPages - 1;
  for (const r of ranges) {
    for (let p = (r.startPfn + pbMask) & ~pbMask; p < r.endPfn; p += s.pageblockNrPages) s.pageblockMt[p >>> s.pageblockOrder] = MIGRATE_MOVABLE;
    for (let sec = Math.floor(r.startPfn / PAGES_PER_SECTION); sec * PAGES_PER_SECTION < r.endPfn; sec++) s.sectionOnline[sec] = 1;
  }

  // cma_init_reserved_areas (core_initcall): label the pageblocks and free them pageblock by pageblock.
  for (const r of cma) {
    for (let p = r.startPfn; p < r.endPfn; p += s.pageblockNrPages) {
      s.pageblockMt[p >>> s.pageblockOrder] = MIGRATE_CMA;
      s.zones[zoneIdxOf(s, p)].cmaPages += s.pageblockNrPages;
    }
  }

  // memblock_free_all -> __free_pages_memory: the free ranges in max-order chunks, to the tail.
  const free = subtractRanges(subtractRanges(ranges, reserved), cma);
  for (const r of free) freePagesMemory(s, r.startPfn, r.endPfn);
  // setup_per_cpu_pageset (start_kernel, after mm_init): the watermarks are still 0, so pcp->high
  // is 4 batches until init_per_zone_wmark_min recomputes it.
  if (opts.pcp === true) setupPerCpuPageset(s, opts.cpus ?? 1, opts.percpuPagelistHighFraction ?? 0);
  for (const r of cma) {
    for (let p = r.startPfn; p < r.endPfn; p += s.pageblockNrPages) {
      // init_cma_reserved_pageblock's __free_pages: onto the THP pcp list when there is one.
      if (s.pcp !== null && s.pcp.freeUnrefPage(p, s.pageblockOrder)) s.zones[zoneIdxOf(s, p)].managed += s.pageblockNrPages;
      else freePagesCore(s, p, s.pageblockOrder, FPI_NONE);
    }
  }

  if (opts.noWatermarks === true) {
    // No reserves at all: every zone's marks and lowmem_reserve stay 0, late frees still happen.
    for (const r of lateFree) freeReservedArea(s, r.startPfn, r.endPfn);
    buildZonelist(s);
    return;
  }
  // init_per_zone_wmark_min (postcore_initcall).
  calculateMinFreeKbytes(s);
  setupPerZoneWmarks(s);
  setupPerZoneLowmemReserve(s);
  // khugepaged_min_free_kbytes_update(): no-op, khugepaged is not running yet.

  // hugepage_init (subsys_initcall): THP is turned off below 512 MiB of totalram.
  const thp = opts.thp ?? false;
  const thpAtBoot = opts.thpAtBoot ?? thp;
  if (thpAtBoot && totalramPages(s) >= 512 << (20 - PAGE_SHIFT)) {
    s.thpEnabled = true;
    startStopKhugepaged(s);
  }

  // free_initrd_mem / free_initmem: free_reserved_area, page by page.
  for (const r of lateFree) freeReservedArea(s, r.startPfn, r.endPfn);

  // The workload's `echo madvise > /sys/kernel/mm/transparent_hugepage/enabled`.
  if (thp !== s.thpEnabled) {
    s.thpEnabled = thp;
    startStopKhugepaged(s);
  }

  // vm.min_free_kbytes written by the user (min_free_kbytes_sysctl_handler).
  if (opts.minFreeKbytes !== undefined) {
    if (!Number.isInteger(opts.minFreeKbytes) || opts.minFreeKbytes < 0) throw new MmError("EINVAL", `min_free_kbytes ${opts.minFreeKbytes}`);
    setMinFreeKbytes(s, opts.minFreeKbytes);
  }
  buildZonelist(s);
}

/** build_zonelists(): managed zones, highest index first. */
function buildZonelist(s: NodeState): void {
  s.zonelist = [];
  for (let z = MAX_NR_ZONES - 1; z >= 0; z--) if (s.zones[z].managed > 0) s.zonelist.push(s.zones[z]);
}

/** __free_pages_memory: naturally aligned chunks of up to max order. */
function freePagesMemory(s: NodeState, start: number, end: number): void {
  while (start < end) {
    let o = start === 0 ? s.maxOrder : Math.min(s.maxOrder, 31 - Math.clz32(start & -start));
    while (start + (1 << o) > end) o--;
    freePagesCore(s, start, o, FPI_TO_TAIL);
    start += 1 << o;
  }
}

/** __free_pages_core: clear reserved, refcount 0, managed += n, __free_pages_ok(FPI_TO_TAIL). */
function freePagesCore(s: NodeState, pfn: number, order: number, fpi: number): void {
  // The pages are already in the free state (zeroed arrays): only account them.
  s.zones[zoneIdxOf(s, pfn)].managed += 1 << order;
  freeOnePage(s, pfn, order, s.pageblockMt[pfn >>> s.pageblockOrder], fpi);
}

/**
 * free_reserved_area(start, end) over checked reserved pages: free_reserved_page one page at a
 * time (ClearPageReserved, refcount 1, __free_page), managed += 1 each. The watermarks are not
 * recomputed, as in the kernel.
 */
export function freeReservedArea(s: NodeState, start: number, end: number): void {
  for (let p = start; p < end; p++) {
    s.flags[p] = PB_ALLOC;
    s.order[p] = 0;
    s.refcount[p] = 1;
    s.zones[zoneIdxOf(s, p)].managed += 1;
    freePagesRef(s, p, 0);
  }
}

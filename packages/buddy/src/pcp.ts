/**
 * Per-CPU page lists (struct per_cpu_pages) as 6.1 has them: a free of order <= 3 or of the THP
 * order goes to the current CPU's list of its migratetype; when the CPU holds pcp->high pages a
 * batch goes back to the buddy lists (free_pcppages_bulk), freeing more each time frees continue
 * without allocations (free_factor). An allocation of those orders takes the list's first page,
 * refilling an empty list with a batch of __rmqueue calls (rmqueue_bulk). Pages on pcp lists are
 * neither PageBuddy nor counted in NR_FREE_PAGES (zoneinfo shows them under "pagesets").
 * Kernel counterpart: mm/page_alloc.c of 6.1 (order_to_pindex, pindex_to_order,
 * pcp_allowed_order, free_unref_page, free_unref_page_commit, nr_pcp_free, nr_pcp_high,
 * free_pcppages_bulk, rmqueue_pcplist, __rmqueue_pcplist, rmqueue_bulk, drain_pages_zone,
 * drain_all_pages, zone_batchsize, zone_highsize, zone_set_pageset_high_and_batch,
 * zone_pcp_update), include/linux/mmzone.h (NR_PCP_LISTS, struct per_cpu_pages).
 *
 * The lists are deques (the kernel only ever adds or takes at either end of a pcp list): one
 * growable Int32Array ring per (zone, cpu, pindex), plus one byte per page for page->index.
 */
import { ALLOC_CMA, MAX_NR_ZONES, MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_PCPTYPES, MmError, PAGE_ALLOC_COSTLY_ORDER, PAGE_SHIFT } from "@mm/api";
import { modFreepageState } from "./free-area.js";
import { FPI_NONE, freeOnePage } from "./free.js";
import { type NodeState, type PcpLists, type Zone, zoneIdxOf } from "./internal/node.js";
import { rmqueueInner } from "./rmqueue.js";

/** NR_LOWORDER_PCP_LISTS: one list per migratetype for orders 0..PAGE_ALLOC_COSTLY_ORDER. */
export const NR_LOWORDER_PCP_LISTS = MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1);
/** percpu_pagelist_high_fraction's smallest non-zero value (MIN_PERCPU_PAGELIST_HIGH_FRACTION). */
export const MIN_PERCPU_PAGELIST_HIGH_FRACTION = 8;
/** page->index of a page that is not on a pcp list (the model's marker). */
export const NOT_ON_PCP = 0xff;

/** rounddown_pow_of_two(n) for n >= 1. */
function rounddownPow2(n: number): number {
  return 1 << (31 - Math.clz32(n));
}

/**
 * zone_batchsize() (CONFIG_MMU): about 0.1 % of the zone or 1 MiB, whichever is smaller, a
 * quarter of it, clamped to 2^n - 1 (cache aliasing). The caller takes max(1, batch).
 */
export function zoneBatchsize(managed: number): number {
  let batch = Math.min(Math.floor(managed / 1024), (1024 * 1024) >> PAGE_SHIFT);
  batch = Math.floor(batch / 4);
  if (batch < 1) batch = 1;
  return rounddownPow2(batch + (batch >> 1)) - 1;
}

/**
 * zone_highsize(zone, batch, cpu_online = 0): the low watermark (or managed / fraction when
 * vm.percpu_pagelist_high_fraction is set) split across the node's CPUs, at least 4 batches.
 */
export function zoneHighsize(lowWmark: number, managed: number, batch: number, cpus: number, highFraction: number): number {
  const total = highFraction === 0 ? lowWmark : Math.floor(managed / highFraction);
  return Math.max(Math.floor(total / Math.max(1, cpus)), batch << 2);
}

/** One growable ring of pfns: a pcp list. */
class Ring {
  buf = new Int32Array(16);
  head = 0;
  len = 0;

  private grow(): void {
    const b = new Int32Array(this.buf.length * 2);
    for (let i = 0; i < this.len; i++) b[i] = this.buf[(this.head + i) & (this.buf.length - 1)];
    this.buf = b;
    this.head = 0;
  }
  /** list_add: at the head. */
  pushFront(pfn: number): void {
    if (this.len === this.buf.length) this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = pfn;
    this.len++;
  }
  /** list_add_tail. */
  pushBack(pfn: number): void {
    if (this.len === this.buf.length) this.grow();
    this.buf[(this.head + this.len) & (this.buf.length - 1)] = pfn;
    this.len++;
  }
  /** list_first_entry + list_del. */
  popFront(): number {
    const p = this.buf[this.head];
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.len--;
    return p;
  }
  /** list_last_entry + list_del. */
  popBack(): number {
    this.len--;
    return this.buf[(this.head + this.len) & (this.buf.length - 1)];
  }
  at(i: number): number {
    return this.buf[(this.head + i) & (this.buf.length - 1)];
  }
}

/** The per_cpu_pages of every zone and CPU of one node. */
export class PerCpuPages implements PcpLists {
  readonly cpus: number;
  cpu = 0;
  readonly pageMt: Uint8Array;
  /** NR_PCP_LISTS: the low-order lists plus one THP list shared by all migratetypes (6.1). */
  readonly nrLists: number;
  /** vm.percpu_pagelist_high_fraction. */
  highFraction: number;
  /** Per (zone * cpus + cpu): pcp->count, high, batch, free_factor. */
  readonly count: Int32Array;
  readonly high: Int32Array;
  readonly batch: Int32Array;
  readonly freeFactor: Int32Array;
  /** ZONE_RECLAIM_ACTIVE per zone (kswapd is balancing it). */
  readonly reclaimActive: Uint8Array = new Uint8Array(MAX_NR_ZONES);
  private readonly lists: Ring[] = [];
  private readonly thpPindex: number;

  constructor(
    private readonly s: NodeState,
    cpus: number,
    highFraction: number,
  ) {
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 1024) throw new MmError("BAD_CONFIG", `cpus ${cpus} is not in 1..1024`);
    checkHighFraction(highFraction, "BAD_CONFIG");
    this.cpus = cpus;
    this.highFraction = highFraction;
    // CONFIG_TRANSPARENT_HUGEPAGE=y (every distribution kernel): pageblock-order pages have a list.
    this.thpPindex = s.pageblockOrder > PAGE_ALLOC_COSTLY_ORDER ? NR_LOWORDER_PCP_LISTS : -1;
    this.nrLists = NR_LOWORDER_PCP_LISTS + (this.thpPindex >= 0 ? 1 : 0);
    const n = MAX_NR_ZONES * cpus;
    this.count = new Int32Array(n);
    // per_cpu_pages_init: the boot pageset (BOOT_PAGESET_HIGH 0, BOOT_PAGESET_BATCH 1).
    this.high = new Int32Array(n);
    this.batch = new Int32Array(n).fill(1);
    this.freeFactor = new Int32Array(n);
    for (let i = 0; i < n * this.nrLists; i++) this.lists.push(new Ring());
    this.pageMt = new Uint8Array(s.nrPfns).fill(NOT_ON_PCP);
  }

  /** pcp_allowed_order(). */
  allowedOrder(order: number): boolean {
    return order <= PAGE_ALLOC_COSTLY_ORDER || order === this.s.pageblockOrder;
  }

  /** order_to_pindex(): THP pages share one list whatever their migratetype (6.1). */
  pindex(mt: number, order: number): number {
    return order > PAGE_ALLOC_COSTLY_ORDER ? this.thpPindex : MIGRATE_PCPTYPES * order + mt;
  }

  /** pindex_to_order(). */
  pindexToOrder(pindex: number): number {
    return pindex === this.thpPindex ? this.s.pageblockOrder : Math.floor(pindex / MIGRATE_PCPTYPES);
  }

  /** The list of (zone, cpu, pindex). */
  list(zone: number, cpu: number, pindex: number): { readonly length: number; at(i: number): number } {
    const r = this.lists[(zone * this.cpus + cpu) * this.nrLists + pindex];
    return { length: r.len, at: (i: number) => r.at(i) };
  }

  zoneCount(zone: number): number {
    let n = 0;
    for (let c = 0; c < this.cpus; c++) n += this.count[zone * this.cpus + c];
    return n;
  }

  // ---- high and batch

  /** zone_set_pageset_high_and_batch(zone, 0) + __zone_set_pageset_high_and_batch (pageset_update per CPU). */
  setHighAndBatch(z: Zone): void {
    const batch = Math.max(1, zoneBatchsize(z.managed));
    // low_wmark_pages() includes the boost, as the kernel's macro does.
    const high = zoneHighsize(z.wmarkLow + z.watermarkBoost, z.managed, batch, this.cpus, this.highFraction);
    for (let c = 0; c < this.cpus; c++) {
      this.high[z.idx * this.cpus + c] = high;
      this.batch[z.idx * this.cpus + c] = batch;
    }
  }

  updateHighAndBatch(): void {
    for (const z of this.s.zones) this.setHighAndBatch(z);
  }

  /** nr_pcp_high(): 0 for a boot pageset or free_high; at most 4 batches while kswapd reclaims. */
  private nrPcpHigh(zi: number, idx: number, freeHigh: boolean): number {
    const high = this.high[idx];
    if (high === 0 || freeHigh) return 0;
    if (this.reclaimActive[zi] === 0) return high;
    return Math.min(this.batch[idx] << 2, high);
  }

  /** nr_pcp_free(): everything for free_high; else batch << free_factor within [batch, high - batch]. */
  private nrPcpFree(idx: number, high: number, freeHigh: boolean): number {
    if (freeHigh) return this.count[idx];
    let batch = this.batch[idx];
    if (high < batch) return 1;
    const minNrFree = batch;
    const maxNrFree = high - batch;
    // Double the pages freed each time freeing continues without an allocation.
    batch = batch * 2 ** this.freeFactor[idx];
    if (batch < maxNrFree) this.freeFactor[idx]++;
    // clamp(batch, min, max) is min(max(batch, min), max): max wins when high < 2 * batch.
    return Math.min(Math.max(batch, minNrFree), maxNrFree);
  }

  // ---- free

  freeUnrefPage(pfn: number, order: number): boolean {
    if (!this.allowedOrder(order)) return false;
    const s = this.s;
    // free_unref_page_prepare: page->index = the pageblock's migratetype.
    const pcpMt = s.pageblockMt[pfn >>> s.pageblockOrder];
    let listMt = pcpMt;
    if (pcpMt >= MIGRATE_PCPTYPES) {
      if (pcpMt === MIGRATE_ISOLATE) {
        // free_one_page(): isolated pageblocks' pages go straight to the buddy (isolate) lists.
        freeOnePage(s, pfn, order, pcpMt, FPI_NONE);
        return true;
      }
      // HighAtomic and CMA pages sit on the Movable list and keep their type in page->index.
      listMt = MIGRATE_MOVABLE;
    }
    this.commit(zoneIdxOf(s, pfn), pfn, pcpMt, listMt, order);
    return true;
  }

  /** free_unref_page_commit(). */
  private commit(zi: number, pfn: number, pcpMt: number, listMt: number, order: number): void {
    const idx = zi * this.cpus + this.cpu;
    const pindex = this.pindex(listMt, order);
    this.s.order[pfn] = order;
    this.pageMt[pfn] = pcpMt;
    this.lists[idx * this.nrLists + pindex].pushFront(pfn);
    this.count[idx] += 1 << order;
    // High orders other than THP fragment: a CPU that keeps freeing gives them all back.
    const freeHigh = this.freeFactor[idx] !== 0 && order !== 0 && order <= PAGE_ALLOC_COSTLY_ORDER;
    const high = this.nrPcpHigh(zi, idx, freeHigh);
    if (this.count[idx] >= high) this.freePcppagesBulk(zi, idx, this.nrPcpFree(idx, high, freeHigh), pindex);
  }

  /**
   * free_pcppages_bulk(): `count` pages back to the buddy lists, list by list round-robin from
   * `pindex`, each list emptied from its tail (the coldest pages) before the next.
   * @returns pages freed
   */
  private freePcppagesBulk(zi: number, idx: number, count: number, pindex: number): number {
    const s = this.s;
    count = Math.min(this.count[idx], count);
    const done = count;
    pindex--;
    const isolated = s.zones[zi].nrIsolatePageblock > 0; // has_isolate_pageblock
    const base = idx * this.nrLists;
    while (count > 0) {
      let list: Ring;
      do {
        if (++pindex > this.nrLists - 1) pindex = 0;
        list = this.lists[base + pindex];
      } while (list.len === 0);
      const order = this.pindexToOrder(pindex);
      const nr = 1 << order;
      do {
        const pfn = list.popBack();
        let mt = this.pageMt[pfn];
        this.pageMt[pfn] = NOT_ON_PCP;
        count -= nr;
        this.count[idx] -= nr;
        // The pageblock may have been isolated meanwhile.
        if (isolated) mt = s.pageblockMt[pfn >>> s.pageblockOrder];
        freeOnePage(s, pfn, order, mt, FPI_NONE);
      } while (count > 0 && list.len !== 0);
    }
    return done;
  }

  // ---- allocation

  rmqueuePcplist(z: Zone, order: number, allocFlags: number, mt: number): number {
    if (!this.allowedOrder(order)) return -1;
    // The Movable list may hold CMA pages: skip it when CMA is not allowed.
    if (this.s.config.cma && (allocFlags & ALLOC_CMA) === 0 && mt === MIGRATE_MOVABLE) return -1;
    const idx = z.idx * this.cpus + this.cpu;
    // An allocation halves the batch-free scaling (see nrPcpFree).
    this.freeFactor[idx] >>= 1;
    const list = this.lists[idx * this.nrLists + this.pindex(mt, order)];
    // __rmqueue_pcplist
    if (list.len === 0) {
      let batch = this.batch[idx];
      // Scale the batch to the order, unless batch 1 says this pcp must not store pages.
      if (batch > 1) batch = Math.max(batch >> order, 2);
      this.count[idx] += this.rmqueueBulk(z, order, batch, list, mt, allocFlags) << order;
      if (list.len === 0) return -1;
    }
    const pfn = list.popFront();
    this.pageMt[pfn] = NOT_ON_PCP;
    this.count[idx] -= 1 << order;
    return pfn;
  }

  /** rmqueue_bulk(): up to `count` blocks from __rmqueue onto the list's tail, NR_FREE_PAGES down. */
  private rmqueueBulk(z: Zone, order: number, count: number, list: Ring, mt: number, allocFlags: number): number {
    const s = this.s;
    let i = 0;
    for (; i < count; i++) {
      const pfn = rmqueueInner(s, z, order, mt, allocFlags);
      if (pfn < 0) break;
      // __rmqueue_smallest's set_pcppage_migratetype: the list the block came from.
      this.pageMt[pfn] = s.lastListMt;
      s.order[pfn] = order;
      list.pushBack(pfn);
      modFreepageState(z, -(1 << order), s.lastListMt);
    }
    return i;
  }

  // ---- draining

  /** drain_pages_zone(cpu, zone). */
  drainPagesZone(cpu: number, zi: number): number {
    const idx = zi * this.cpus + cpu;
    return this.count[idx] !== 0 ? this.freePcppagesBulk(zi, idx, this.count[idx], 0) : 0;
  }

  drainAllPages(zone: number): number {
    let n = 0;
    // __drain_all_pages: every CPU with pcp pages, drain_pages_zone or drain_pages (every zone).
    for (let c = 0; c < this.cpus; c++) {
      if (zone >= 0) n += this.drainPagesZone(c, zone);
      else for (const z of this.s.zones) if (z.populated) n += this.drainPagesZone(c, z.idx);
    }
    return n;
  }

  // ---- checking

  census(seen: Uint8Array): number[] {
    const s = this.s;
    const perZone = new Array<number>(MAX_NR_ZONES).fill(0);
    let listed = 0;
    for (let zi = 0; zi < MAX_NR_ZONES; zi++) {
      for (let c = 0; c < this.cpus; c++) {
        const idx = zi * this.cpus + c;
        let pages = 0;
        for (let pi = 0; pi < this.nrLists; pi++) {
          const r = this.lists[idx * this.nrLists + pi];
          const order = this.pindexToOrder(pi);
          for (let i = 0; i < r.len; i++) {
            const p = r.at(i);
            const where = `pcp list zone ${zi} cpu ${c} pindex ${pi}`;
            if (p < 0 || p >= s.nrPfns) fail(`${where} holds pfn ${p}`);
            if (seen[p] !== 0) fail(`pfn ${p} is on ${where} and on another list`, p);
            if (s.flags[p] !== 0 || s.refcount[p] !== 0) fail(`pfn ${p} on ${where} has flags 0x${s.flags[p].toString(16)} refcount ${s.refcount[p]}`, p);
            if (s.order[p] !== order) fail(`pfn ${p} on ${where} has order ${s.order[p]}`, p);
            if ((p & ((1 << order) - 1)) !== 0) fail(`pfn ${p} on ${where} is not aligned`, p);
            if (zoneIdxOf(s, p) !== zi) fail(`pfn ${p} on ${where} belongs to zone ${zoneIdxOf(s, p)}`, p);
            const mt = this.pageMt[p];
            if (mt === NOT_ON_PCP || mt === MIGRATE_ISOLATE) fail(`pfn ${p} on ${where} has page->index ${mt}`, p);
            if (order <= PAGE_ALLOC_COSTLY_ORDER && (mt < MIGRATE_PCPTYPES ? mt : MIGRATE_MOVABLE) !== pi % MIGRATE_PCPTYPES)
              fail(`pfn ${p} of migratetype ${mt} on ${where}`, p);
            seen[p] = 1;
            listed++;
            pages += 1 << order;
          }
        }
        if (pages !== this.count[idx]) fail(`pcp zone ${zi} cpu ${c}: count ${this.count[idx]}, lists hold ${pages}`);
        perZone[zi] += pages;
      }
    }
    let marked = 0;
    for (let p = 0; p < s.nrPfns; p++) if (this.pageMt[p] !== NOT_ON_PCP) marked++;
    if (marked !== listed) fail(`${marked} pages carry a pcp migratetype, ${listed} are on pcp lists`);
    return perZone;
  }
}

function fail(msg: string, pfn?: number): never {
  throw new MmError("INVARIANT", msg, pfn === undefined ? undefined : { pfn });
}

/** percpu_pagelist_high_fraction_sysctl_handler's range: 0, or at least 8. */
export function checkHighFraction(v: number, code: "BAD_CONFIG" | "EINVAL"): void {
  if (!Number.isInteger(v) || v < 0 || (v !== 0 && v < MIN_PERCPU_PAGELIST_HIGH_FRACTION))
    throw new MmError(code, `percpu_pagelist_high_fraction ${v}: 0 or >= ${MIN_PERCPU_PAGELIST_HIGH_FRACTION}`);
}

/** setup_per_cpu_pageset(): the lists of a machine with MachineOptions.pcp, high and batch from the current watermarks. */
export function setupPerCpuPageset(s: NodeState, cpus: number, highFraction: number): PerCpuPages {
  const p = new PerCpuPages(s, cpus, highFraction);
  s.pcp = p;
  p.updateHighAndBatch();
  return p;
}

/** One zone's "pagesets" rows of /proc/zoneinfo. */
export interface PagesetRow {
  readonly cpu: number;
  readonly count: number;
  readonly high: number;
  readonly batch: number;
}

/** The rows of a zone's "pagesets" section (zoneinfo_show_print). */
export function pagesetRows(p: PerCpuPages, zone: number): PagesetRow[] {
  const rows: PagesetRow[] = [];
  for (let c = 0; c < p.cpus; c++) {
    const i = zone * p.cpus + c;
    rows.push({ cpu: c, count: p.count[i], high: p.high[i], batch: p.batch[i] });
  }
  return rows;
}

/**
 * zoneinfo_show_print's "pagesets" lines. With CONFIG_SMP the kernel adds a "vm stats threshold"
 * line per CPU (calculate_normal_threshold), which the model does not compute: pass it or omit it.
 */
export function formatPagesets(rows: readonly PagesetRow[], threshold?: number): string {
  let s = "  pagesets\n";
  for (const r of rows) {
    s += `    cpu: ${r.cpu}\n              count: ${r.count}\n              high:  ${r.high}\n              batch: ${r.batch}\n`;
    if (threshold !== undefined) s += `  vm stats threshold: ${threshold}\n`;
  }
  return s;
}

/**
 * A second, plainly written model of the 6.1 buddy rules, slow and obvious, for the differential
 * test. Free lists are JS arrays (index 0 = the list head's first entry), zones are plain objects,
 * pages are Maps keyed by pfn; nothing is shared with the package but the constants of @mm/api.
 * It covers what @mm/buddy models without per-cpu lists, CMA or isolation, for allocations that
 * cannot reclaim directly (GFP_NOWAIT / GFP_ATOMIC-like masks). Rules, from mm/page_alloc.c (6.1):
 *
 * - boot (memblock_free_all -> __free_pages_memory): max-order chunks from the bottom of each
 *   range up, each freed to the list tail (FPI_TO_TAIL); every pageblock starts Movable.
 * - watermarks (init_per_zone_wmark_min): min_free_kbytes = clamp(int_sqrt(lowmem_kbytes * 16),
 *   128, 262144) over zones <= Normal; __setup_per_zone_wmarks shares pages_min by managed pages
 *   over every zone (6.1 counts ZONE_MOVABLE as lowmem: its zoneinfo shows min 0 for an empty
 *   Movable zone); the gap is max(min / 4, managed * watermark_scale_factor / 10000);
 *   setup_per_zone_lowmem_reserve: zone i keeps sum(managed[i+1..j]) / ratio[i] against requests
 *   whose highest zone is j (ratio 256, 256, 32, 0).
 * - __alloc_pages: ALLOC_WMARK_LOW | ALLOC_KSWAPD, ALLOC_NOFRAGMENT when the preferred zone (the
 *   first managed zone at or below gfp_zone) is Normal; get_page_from_freelist walks the managed
 *   zones from the highest usable down, zone_watermark_fast against mark + boost and
 *   lowmem_reserve, and drops ALLOC_NOFRAGMENT for a second pass when all fail.
 * - rmqueue_buddy: HighAtomic first for ALLOC_HARDER orders > 0, then __rmqueue: the smallest
 *   block of the migratetype (expand halves to list heads), else __rmqueue_fallback: from the
 *   largest order down to `order` (pageblock_order under ALLOC_NOFRAGMENT for smaller orders),
 *   the first fallback type with a free block; a Movable request that cannot steal takes the
 *   smallest such order instead; steal_suitable_fallback claims whole pageblocks at pageblock
 *   order, else boosts the watermark, moves the pageblock's free blocks (move_freepages) and takes
 *   the pageblock when free + alike pages reach half of it (alike: LRU pages for Movable, the
 *   non-free non-LRU pages when Unmovable or Reclaimable raid a Movable pageblock). A boosted zone
 *   wakes kswapd, which (in this model) ends every zone's boost at once.
 * - after prep_new_page, order > 0 with ALLOC_HARDER: reserve_highatomic_pageblock (cap
 *   managed / 100 + one pageblock; only Unmovable/Movable/Reclaimable pageblocks).
 * - the slow path without direct reclaim: ALLOC_WMARK_MIN | __GFP_HIGH (ALLOC_HIGH) |
 *   ALLOC_KSWAPD, ALLOC_HARDER for __GFP_ATOMIC; wake kswapd, try; wake kswapd, try; fail.
 * - unreserve_highatomic_pageblock(highest, mt, force): the first HighAtomic free block of each
 *   zone (orders ascending) is relabelled mt and its pageblock's free blocks moved.
 * - free (__free_one_page): the pageblock's type; merge with a free buddy of the same order and
 *   zone while order < MAX_ORDER - 1, at pageblock order and above only if both types are
 *   mergeable or equal; the tail of the list when the buddy of the combined block is free at
 *   order + 1 (buddy_merge_likely, order < MAX_ORDER - 2), else the head.
 */
import {
  __GFP_ATOMIC,
  __GFP_DMA,
  __GFP_DMA32,
  __GFP_HIGH,
  __GFP_HIGHMEM,
  __GFP_KSWAPD_RECLAIM,
  __GFP_MOVABLE,
  __GFP_RECLAIMABLE,
  MIGRATE_HIGHATOMIC,
  MIGRATE_MOVABLE,
  MIGRATE_RECLAIMABLE,
  MIGRATE_UNMOVABLE,
  ZONE_DMA,
  ZONE_DMA32,
  ZONE_MOVABLE,
  ZONE_NORMAL,
} from "@mm/api";

export interface RefZoneSpec {
  readonly idx: number;
  readonly startPfn: number;
  readonly endPfn: number;
}

export interface RefZone extends RefZoneSpec {
  managed: number;
  freePages: number;
  nrReservedHighatomic: number;
  min: number;
  low: number;
  high: number;
  boost: number;
  boosted: boolean;
  lowmemReserve: number[];
}

const LOW = 1;
const MIN = 0;
const HARDER = 0x10;
const HIGH = 0x20;
const NOFRAGMENT = 0x100;
const KSWAPD = 0x800;

const FALLBACKS: Record<number, number[]> = {
  [MIGRATE_UNMOVABLE]: [MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE],
  [MIGRATE_MOVABLE]: [MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE],
  [MIGRATE_RECLAIMABLE]: [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE],
};

function mergeable(mt: number): boolean {
  return mt === MIGRATE_UNMOVABLE || mt === MIGRATE_MOVABLE || mt === MIGRATE_RECLAIMABLE;
}

export class ReferenceNode {
  readonly zones: RefZone[];
  readonly maxOrder = 10;
  readonly pageblockOrder = 9;
  readonly pbPages = 512;
  /** free lists, key `${zone}/${order}/${mt}`. */
  private readonly lists = new Map<string, number[]>();
  /** Free block heads: pfn -> [order, list mt]. */
  private readonly freeBlocks = new Map<number, [number, number]>();
  /** Allocated block heads: pfn -> order. */
  readonly allocated = new Map<number, number>();
  /** Pages that are PageLRU (every page of an LRU compound page). */
  private readonly lru = new Set<number>();
  /** Pageblock migratetypes; absent = Movable (memmap_init). */
  private readonly pbMt = new Map<number, number>();

  constructor(zones: readonly RefZoneSpec[], ranges: readonly { startPfn: number; endPfn: number }[]) {
    this.zones = zones.map((z) => ({
      ...z,
      managed: 0,
      freePages: 0,
      nrReservedHighatomic: 0,
      min: 0,
      low: 0,
      high: 0,
      boost: 0,
      boosted: false,
      lowmemReserve: [0, 0, 0, 0, 0],
    }));
    for (const r of ranges)
      for (let p = r.startPfn; p < r.endPfn; p += 1 << this.maxOrder) {
        this.zoneOf(p).managed += 1 << this.maxOrder;
        this.freeOnePage(p, this.maxOrder, this.pageblockMt(p), true);
      }
    this.setupWatermarks();
  }

  // ---- plain helpers

  zone(idx: number): RefZone | undefined {
    return this.zones.find((z) => z.idx === idx);
  }

  zoneOf(pfn: number): RefZone {
    const z = this.zones.find((zz) => pfn >= zz.startPfn && pfn < zz.endPfn);
    if (z === undefined) throw new Error(`pfn ${pfn} in no zone`);
    return z;
  }

  pageblockMt(pfn: number): number {
    return this.pbMt.get(Math.floor(pfn / this.pbPages)) ?? MIGRATE_MOVABLE;
  }

  private setPageblockMt(pfn: number, mt: number): void {
    this.pbMt.set(Math.floor(pfn / this.pbPages), mt);
  }

  list(zone: number, order: number, mt: number): number[] {
    const k = `${zone}/${order}/${mt}`;
    let l = this.lists.get(k);
    if (l === undefined) {
      l = [];
      this.lists.set(k, l);
    }
    return l;
  }

  private nrFree(zone: number, order: number): number {
    let n = 0;
    for (let mt = 0; mt < 6; mt++) n += this.list(zone, order, mt).length;
    return n;
  }

  private addFree(pfn: number, order: number, mt: number, tail: boolean): void {
    const l = this.list(this.zoneOf(pfn).idx, order, mt);
    if (tail) l.push(pfn);
    else l.unshift(pfn);
    this.freeBlocks.set(pfn, [order, mt]);
  }

  private delFree(pfn: number): number {
    const e = this.freeBlocks.get(pfn);
    if (e === undefined) throw new Error(`pfn ${pfn} is not free`);
    const l = this.list(this.zoneOf(pfn).idx, e[0], e[1]);
    l.splice(l.indexOf(pfn), 1);
    this.freeBlocks.delete(pfn);
    return e[0];
  }

  /** list_move_tail onto free_list[mt] of the same order. */
  private moveFree(pfn: number, mt: number): void {
    const order = this.delFree(pfn);
    this.addFree(pfn, order, mt, true);
  }

  private managedZonesHighFirst(): RefZone[] {
    return this.zones.filter((z) => z.managed > 0).sort((a, b) => b.idx - a.idx);
  }

  // ---- watermarks

  private setupWatermarks(): void {
    // nr_free_buffer_pages() before any watermark exists: managed of the zones <= Normal.
    let buffer = 0;
    for (const z of this.zones) if (z.idx <= ZONE_NORMAL) buffer += z.managed;
    let minFreeKbytes = Math.floor(Math.sqrt(buffer * 4 * 16));
    minFreeKbytes = Math.min(Math.max(minFreeKbytes, 128), 262144);
    const pagesMin = Math.floor(minFreeKbytes / 4);
    let lowmem = 0;
    for (const z of this.zones) lowmem += z.managed;
    for (const z of this.zones) {
      const tmp = Math.floor((pagesMin * z.managed) / lowmem);
      const gap = Math.max(Math.floor(tmp / 4), Math.floor((z.managed * 10) / 10000));
      z.min = tmp;
      z.low = tmp + gap;
      z.high = tmp + 2 * gap;
    }
    const ratio = [256, 256, 32, 0, 0];
    for (const z of this.zones) {
      for (let j = 0; j < 5; j++) {
        let sum = 0;
        for (const y of this.zones) if (y.idx > z.idx && y.idx <= j) sum += y.managed;
        z.lowmemReserve[j] = j <= z.idx || ratio[z.idx] === 0 || z.managed === 0 ? 0 : Math.floor(sum / ratio[z.idx]);
      }
    }
  }

  private watermarkOk(z: RefZone, order: number, mark: number, highest: number, flags: number, freePages: number): boolean {
    const harder = (flags & HARDER) !== 0;
    let min = mark;
    freePages -= (1 << order) - 1;
    if (!harder) freePages -= z.nrReservedHighatomic;
    if (flags & HIGH) min -= Math.floor(min / 2);
    if (harder) min -= Math.floor(min / 4);
    if (freePages <= min + z.lowmemReserve[highest]) return false;
    if (order === 0) return true;
    for (let o = order; o <= this.maxOrder; o++) {
      if (this.nrFree(z.idx, o) === 0) continue;
      for (const mt of [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE]) if (this.list(z.idx, o, mt).length > 0) return true;
      if (harder && this.list(z.idx, o, MIGRATE_HIGHATOMIC).length > 0) return true;
    }
    return false;
  }

  private watermarkFast(z: RefZone, order: number, mark: number, highest: number, flags: number, gfp: number): boolean {
    if (order === 0) {
      const reserved = flags & HARDER ? 0 : z.nrReservedHighatomic;
      const usable = z.freePages - Math.min(z.freePages, reserved);
      if (usable > mark + z.lowmemReserve[highest]) return true;
    }
    if (this.watermarkOk(z, order, mark, highest, flags, z.freePages)) return true;
    if (order === 0 && gfp & __GFP_ATOMIC && z.boost !== 0 && (flags & 3) === MIN)
      return this.watermarkOk(z, order, z.min, highest, flags, z.freePages);
    return false;
  }

  private kswapd(): void {
    for (const z of this.zones) z.boost = 0;
  }

  // ---- allocation

  private rmqueueSmallest(z: RefZone, order: number, mt: number): number {
    for (let o = order; o <= this.maxOrder; o++) {
      const l = this.list(z.idx, o, mt);
      if (l.length === 0) continue;
      const pfn = l[0];
      this.delFree(pfn);
      for (let h = o - 1; h >= order; h--) this.addFree(pfn + (1 << h), h, mt, false);
      return pfn;
    }
    return -1;
  }

  private findFallback(z: RefZone, order: number, mt: number): { fmt: number; canSteal: boolean } | null {
    if (this.nrFree(z.idx, order) === 0) return null;
    for (const fmt of FALLBACKS[mt]) {
      if (this.list(z.idx, order, fmt).length === 0) continue;
      const canSteal =
        order >= this.pageblockOrder || order >= this.pageblockOrder / 2 || mt === MIGRATE_RECLAIMABLE || mt === MIGRATE_UNMOVABLE;
      return { fmt, canSteal };
    }
    return null;
  }

  /** move_freepages_block: [free pages moved, PageLRU pages]. */
  private moveFreepagesBlock(z: RefZone, pfn: number, mt: number): [number, number] {
    let start = pfn - (pfn % this.pbPages);
    const end = start + this.pbPages - 1;
    if (start < z.startPfn || start >= z.endPfn) start = pfn;
    if (end < z.startPfn || end >= z.endPfn) return [0, 0];
    let moved = 0;
    let movable = 0;
    for (let p = start; p <= end; ) {
      const e = this.freeBlocks.get(p);
      if (e === undefined) {
        if (this.lru.has(p)) movable++;
        p++;
        continue;
      }
      this.moveFree(p, mt);
      moved += 1 << e[0];
      p += 1 << e[0];
    }
    return [moved, movable];
  }

  private stealSuitableFallback(z: RefZone, pfn: number, flags: number, startMt: number, wholeBlock: boolean): void {
    const order = this.freeBlocks.get(pfn)![0];
    const oldMt = this.pageblockMt(pfn);
    if (oldMt !== MIGRATE_HIGHATOMIC) {
      if (order >= this.pageblockOrder) {
        for (let p = pfn; p < pfn + (1 << order); p += this.pbPages) this.setPageblockMt(p, startMt);
      } else {
        // boost_watermark
        if (this.pbPages * 4 <= z.managed) {
          const maxBoost = Math.floor((z.high * 15000) / 10000);
          if (maxBoost !== 0) {
            z.boost = Math.min(z.boost + this.pbPages, Math.max(this.pbPages, maxBoost));
            if (flags & KSWAPD) z.boosted = true;
          }
        }
        if (wholeBlock) {
          const [freePages, movable] = this.moveFreepagesBlock(z, pfn, startMt);
          if (freePages !== 0) {
            let alike = 0;
            if (startMt === MIGRATE_MOVABLE) alike = movable;
            else if (oldMt === MIGRATE_MOVABLE) alike = this.pbPages - (freePages + movable);
            if (freePages + alike >= this.pbPages / 2) this.setPageblockMt(pfn, startMt);
            return;
          }
        }
      }
    }
    this.moveFree(pfn, startMt);
  }

  private rmqueueFallback(z: RefZone, order: number, mt: number, flags: number): boolean {
    const minOrder = order < this.pageblockOrder && flags & NOFRAGMENT ? this.pageblockOrder : order;
    for (let cur = this.maxOrder; cur >= minOrder; cur--) {
      let f = this.findFallback(z, cur, mt);
      if (f === null) continue;
      if (!f.canSteal && mt === MIGRATE_MOVABLE && cur > order) {
        for (cur = order; cur <= this.maxOrder; cur++) {
          f = this.findFallback(z, cur, mt);
          if (f !== null) break;
        }
      }
      const pfn = this.list(z.idx, cur, f!.fmt)[0];
      this.stealSuitableFallback(z, pfn, flags, mt, f!.canSteal);
      return true;
    }
    return false;
  }

  private rmqueue(z: RefZone, order: number, flags: number, mt: number): number {
    let pfn = -1;
    if (order > 0 && flags & HARDER) pfn = this.rmqueueSmallest(z, order, MIGRATE_HIGHATOMIC);
    while (pfn < 0) {
      pfn = this.rmqueueSmallest(z, order, mt);
      if (pfn >= 0) break;
      if (!this.rmqueueFallback(z, order, mt, flags)) break;
    }
    if (pfn >= 0) z.freePages -= 1 << order;
    if (z.boosted) {
      z.boosted = false;
      this.kswapd();
    }
    return pfn;
  }

  private reserveHighatomic(pfn: number, z: RefZone): void {
    if (z.nrReservedHighatomic >= Math.floor(z.managed / 100) + this.pbPages) return;
    if (!mergeable(this.pageblockMt(pfn))) return;
    z.nrReservedHighatomic += this.pbPages;
    this.setPageblockMt(pfn, MIGRATE_HIGHATOMIC);
    this.moveFreepagesBlock(z, pfn, MIGRATE_HIGHATOMIC);
  }

  private getPageFromFreelist(order: number, gfp: number, flags: number, highest: number, mt: number): number {
    for (;;) {
      for (const z of this.managedZonesHighFirst()) {
        if (z.idx > highest) continue;
        const marks = [z.min, z.low, z.high];
        if (!this.watermarkFast(z, order, marks[flags & 3] + z.boost, highest, flags, gfp)) continue;
        const pfn = this.rmqueue(z, order, flags, mt);
        if (pfn >= 0) {
          this.allocated.set(pfn, order);
          if (order > 0 && flags & HARDER) this.reserveHighatomic(pfn, z);
          return pfn;
        }
      }
      if ((flags & NOFRAGMENT) === 0) return -1;
      flags &= ~NOFRAGMENT;
    }
  }

  /** __alloc_pages for a mask without __GFP_DIRECT_RECLAIM (and without CMA). */
  alloc(order: number, gfp: number): number {
    const zm = gfp & (__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);
    const highest =
      zm === __GFP_DMA ? ZONE_DMA : zm === __GFP_DMA32 ? ZONE_DMA32 : zm === __GFP_HIGHMEM && gfp & __GFP_MOVABLE ? ZONE_MOVABLE : ZONE_NORMAL;
    const mt = gfp & __GFP_MOVABLE ? MIGRATE_MOVABLE : gfp & __GFP_RECLAIMABLE ? MIGRATE_RECLAIMABLE : MIGRATE_UNMOVABLE;
    const preferred = this.managedZonesHighFirst().find((z) => z.idx <= highest);
    let flags = LOW | (gfp & __GFP_KSWAPD_RECLAIM ? KSWAPD : 0);
    if (preferred !== undefined && preferred.idx === ZONE_NORMAL) flags |= NOFRAGMENT;
    let pfn = this.getPageFromFreelist(order, gfp, flags, highest, mt);
    if (pfn >= 0) return pfn;
    // The slow path, no direct reclaim.
    flags = MIN | (gfp & __GFP_HIGH ? HIGH : 0) | (gfp & __GFP_KSWAPD_RECLAIM ? KSWAPD : 0) | (gfp & __GFP_ATOMIC ? HARDER : 0);
    for (let attempt = 0; attempt < 2; attempt++) {
      if (flags & KSWAPD) this.kswapd();
      pfn = this.getPageFromFreelist(order, gfp, flags, highest, mt);
      if (pfn >= 0) return pfn;
    }
    return -1;
  }

  /** folio_add_lru (drained): every page of the block is PageLRU. */
  lruAdd(pfn: number): void {
    const order = this.allocated.get(pfn)!;
    for (let p = pfn; p < pfn + (1 << order); p++) this.lru.add(p);
  }

  lruDel(pfn: number): void {
    const order = this.allocated.get(pfn)!;
    for (let p = pfn; p < pfn + (1 << order); p++) this.lru.delete(p);
  }

  onLru(pfn: number): boolean {
    return this.lru.has(pfn);
  }

  /** unreserve_highatomic_pageblock(ac with highest_zoneidx and migratetype, force). */
  unreserveHighatomic(highest: number, mt: number, force: boolean): boolean {
    for (const z of this.managedZonesHighFirst()) {
      if (z.idx > highest) continue;
      if (!force && z.nrReservedHighatomic <= this.pbPages) continue;
      for (let o = 0; o <= this.maxOrder; o++) {
        const l = this.list(z.idx, o, MIGRATE_HIGHATOMIC);
        if (l.length === 0) continue;
        const pfn = l[0];
        if (this.pageblockMt(pfn) === MIGRATE_HIGHATOMIC) z.nrReservedHighatomic -= Math.min(this.pbPages, z.nrReservedHighatomic);
        this.setPageblockMt(pfn, mt);
        if (this.moveFreepagesBlock(z, pfn, mt)[0] !== 0) return true;
      }
    }
    return false;
  }

  // ---- freeing

  free(pfn: number, order: number): void {
    this.allocated.delete(pfn);
    for (let p = pfn; p < pfn + (1 << order); p++) this.lru.delete(p);
    this.freeOnePage(pfn, order, this.pageblockMt(pfn), false);
  }

  private freeOnePage(pfn: number, order: number, mt: number, toTailFlag: boolean): void {
    const z = this.zoneOf(pfn);
    z.freePages += 1 << order;
    while (order < this.maxOrder) {
      const buddy = pfn ^ (1 << order);
      const e = this.freeBlocks.get(buddy);
      if (e === undefined || e[0] !== order || this.zoneOf(buddy) !== z) break;
      if (order >= this.pageblockOrder) {
        const bmt = this.pageblockMt(buddy);
        if (mt !== bmt && (!mergeable(mt) || !mergeable(bmt))) break;
      }
      this.delFree(buddy);
      pfn = Math.min(pfn, buddy);
      order++;
    }
    let tail = toTailFlag;
    if (!tail && order < this.maxOrder - 1) {
      const higher = pfn & ~(1 << order);
      const e = this.freeBlocks.get(higher ^ (1 << (order + 1)));
      tail = e !== undefined && e[0] === order + 1;
    }
    this.addFree(pfn, order, mt, tail);
  }
}

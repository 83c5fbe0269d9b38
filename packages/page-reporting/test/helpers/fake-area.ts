/**
 * A small buddy allocator that implements ReportableFreeArea, so page reporting is tested behind
 * its interface without @mm/buddy. It merges like __free_one_page (with the pageblock migratetype
 * rule), splits like expand(), puts isolated blocks back at the tail (FPI_TO_TAIL), clears
 * Reported when a block leaves a list and refuses isolation below min + 2^order.
 */
import {
  MIGRATE_MOVABLE,
  MIGRATE_PCPTYPES,
  MIGRATE_TYPES,
  MmError,
  type Migratetype,
  type Order,
  type Pfn,
  type ReportableFreeArea,
  WMARK_HIGH,
  WMARK_LOW,
  WMARK_MIN,
} from "@mm/api";

export interface FakeZoneSpec {
  readonly start: Pfn;
  readonly end: Pfn;
  /** [min, low, high] in pages. */
  readonly wmarks: readonly [number, number, number];
}

const PAGEBLOCK_ORDER = 9;

export class FakeArea implements ReportableFreeArea {
  readonly nrZones: number;
  readonly maxOrder: Order;
  readonly nrMigratetypes = MIGRATE_TYPES;
  readonly nrPages: number;
  readonly zones: readonly FakeZoneSpec[];
  /** Order of a free block head, -1 otherwise. */
  readonly freeOrder: Int8Array;
  /** 1 while the block head is isolated (off the lists, not free). */
  readonly isolated: Int8Array;
  readonly reported: Uint8Array;
  readonly next: Int32Array;
  readonly prev: Int32Array;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly nrFreeArr: Int32Array;
  readonly freePages: Int32Array;
  readonly pbMt: Uint8Array;
  readonly listMtArr: Uint8Array;
  listener: ((order: Order) => void) | null = null;
  notifications = 0;

  constructor(zones: readonly FakeZoneSpec[], maxOrder: Order = 10) {
    this.zones = zones;
    this.nrZones = zones.length;
    this.maxOrder = maxOrder;
    this.nrPages = zones[zones.length - 1].end;
    const n = this.nrPages;
    this.freeOrder = new Int8Array(n).fill(-1);
    this.isolated = new Int8Array(n);
    this.reported = new Uint8Array(n);
    this.next = new Int32Array(n).fill(-1);
    this.prev = new Int32Array(n).fill(-1);
    const lists = zones.length * (maxOrder + 1) * MIGRATE_TYPES;
    this.head = new Int32Array(lists).fill(-1);
    this.tail = new Int32Array(lists).fill(-1);
    this.nrFreeArr = new Int32Array(zones.length * (maxOrder + 1));
    this.freePages = new Int32Array(zones.length);
    this.listMtArr = new Uint8Array(n);
    this.pbMt = new Uint8Array((n >> PAGEBLOCK_ORDER) + 1).fill(MIGRATE_MOVABLE);
  }

  zoneOf(pfn: Pfn): number {
    for (let z = 0; z < this.zones.length; z++) if (pfn >= this.zones[z].start && pfn < this.zones[z].end) return z;
    throw new MmError("PFN_OUT_OF_RANGE", `pfn ${pfn}`);
  }

  private li(zone: number, order: Order, mt: Migratetype): number {
    return (zone * (this.maxOrder + 1) + order) * MIGRATE_TYPES + mt;
  }

  private addToList(pfn: Pfn, order: Order, mt: Migratetype, toTail: boolean): void {
    const z = this.zoneOf(pfn);
    const l = this.li(z, order, mt);
    this.freeOrder[pfn] = order;
    if (this.head[l] < 0) {
      this.head[l] = this.tail[l] = pfn;
      this.next[pfn] = this.prev[pfn] = -1;
    } else if (toTail) {
      const t = this.tail[l];
      this.next[t] = pfn;
      this.prev[pfn] = t;
      this.next[pfn] = -1;
      this.tail[l] = pfn;
    } else {
      const h = this.head[l];
      this.prev[h] = pfn;
      this.next[pfn] = h;
      this.prev[pfn] = -1;
      this.head[l] = pfn;
    }
    this.nrFreeArr[z * (this.maxOrder + 1) + order]++;
  }

  /** del_page_from_free_list: unlink, clear the buddy mark and Reported. */
  private delFromList(pfn: Pfn): void {
    const order = this.freeOrder[pfn];
    const z = this.zoneOf(pfn);
    const l = this.li(z, order, this.listMt(pfn));
    const p = this.prev[pfn];
    const nx = this.next[pfn];
    if (p >= 0) this.next[p] = nx;
    else this.head[l] = nx;
    if (nx >= 0) this.prev[nx] = p;
    else this.tail[l] = p;
    this.next[pfn] = this.prev[pfn] = -1;
    this.freeOrder[pfn] = -1;
    this.reported[pfn] = 0;
    this.nrFreeArr[z * (this.maxOrder + 1) + order]--;
  }

  /** The migratetype of the list a free block head sits on. */
  private listMt(pfn: Pfn): Migratetype {
    return this.listMtArr[pfn];
  }

  pageblockMigratetype(pfn: Pfn): Migratetype {
    return this.pbMt[pfn >> PAGEBLOCK_ORDER];
  }

  setPageblockMigratetype(pfn: Pfn, mt: Migratetype): void {
    this.pbMt[pfn >> PAGEBLOCK_ORDER] = mt;
  }

  /** __free_one_page. Returns the final order. */
  private freeOne(pfn: Pfn, order: Order, mt: Migratetype, toTail: boolean, notify: boolean): Order {
    const z = this.zoneOf(pfn);
    const zone = this.zones[z];
    this.freePages[z] += 2 ** order;
    while (order < this.maxOrder) {
      const buddy = pfn ^ (1 << order);
      if (buddy < zone.start || buddy + 2 ** order > zone.end) break;
      if (this.freeOrder[buddy] !== order) break;
      if (order >= PAGEBLOCK_ORDER) {
        const bmt = this.pageblockMigratetype(buddy);
        if (mt !== bmt && (mt >= MIGRATE_PCPTYPES || bmt >= MIGRATE_PCPTYPES)) break;
      }
      this.delFromList(buddy);
      pfn &= buddy;
      order++;
    }
    this.listMtArr[pfn] = mt;
    this.addToList(pfn, order, mt, toTail);
    if (notify && this.listener !== null) {
      this.notifications++;
      this.listener(order);
    }
    return order;
  }

  /** Seed the area: every zone's pages freed as the largest aligned blocks. */
  fillFree(): void {
    for (const zone of this.zones) {
      let pfn = zone.start;
      while (pfn < zone.end) {
        let order = this.maxOrder;
        while (order > 0 && (pfn % 2 ** order !== 0 || pfn + 2 ** order > zone.end)) order--;
        this.freeOne(pfn, order, this.pageblockMigratetype(pfn), true, false);
        pfn += 2 ** order;
      }
    }
  }

  /** __free_pages of an allocated block (notifies page reporting). */
  free(pfn: Pfn, order: Order): void {
    this.freeOne(pfn, order, this.pageblockMigratetype(pfn), false, true);
  }

  /** __rmqueue_smallest over the block's preferred migratetype, then any type; min watermark. */
  alloc(order: Order, mt: Migratetype = MIGRATE_MOVABLE, zone = this.nrZones - 1): Pfn {
    const z = this.zones[zone];
    if (this.freePages[zone] - 2 ** order < z.wmarks[WMARK_MIN]) return -1;
    for (const m of [mt, ...[0, 1, 2, 3, 4].filter((x) => x !== mt)]) {
      for (let o = order; o <= this.maxOrder; o++) {
        const pfn = this.head[this.li(zone, o, m)];
        if (pfn < 0) continue;
        this.delFromList(pfn);
        this.freePages[zone] -= 2 ** o;
        let high = o;
        while (high > order) {
          high--;
          const half = pfn + 2 ** high;
          this.freePages[zone] += 2 ** high;
          this.listMtArr[half] = m;
          this.addToList(half, high, m, false);
        }
        return pfn;
      }
    }
    return -1;
  }

  // --- ReportableFreeArea ---
  zoneName(zone: number): string {
    return ["DMA", "DMA32", "Normal"][zone] ?? `zone${zone}`;
  }
  zoneManagedPages(zone: number): number {
    return this.zones[zone].end - this.zones[zone].start;
  }
  zoneFreePages(zone: number): number {
    return this.freePages[zone];
  }
  zoneWatermark(zone: number, kind: number): number {
    if (kind !== WMARK_MIN && kind !== WMARK_LOW && kind !== WMARK_HIGH) throw new MmError("EINVAL", `wmark ${kind}`);
    return this.zones[zone].wmarks[kind];
  }
  zoneWatermarkOk(zone: number, order: Order, mark: number): boolean {
    const free = this.freePages[zone] - (2 ** order - 1);
    if (free <= mark) return false;
    if (order === 0) return true;
    for (let o = order; o <= this.maxOrder; o++) if (this.nrFreeArr[zone * (this.maxOrder + 1) + o] > 0) return true;
    return false;
  }
  nrFree(zone: number, order: Order): number {
    return this.nrFreeArr[zone * (this.maxOrder + 1) + order];
  }
  freeListFirst(zone: number, order: Order, mt: Migratetype): Pfn {
    return this.head[this.li(zone, order, mt)];
  }
  freeListNext(pfn: Pfn): Pfn {
    return this.next[pfn];
  }
  rotateToFront(zone: number, order: Order, mt: Migratetype, pfn: Pfn): void {
    const l = this.li(zone, order, mt);
    if (this.freeOrder[pfn] !== order) throw new MmError("NOT_FREE_BLOCK", `rotate ${pfn}`);
    if (this.head[l] === pfn) return;
    // list_rotate_to_front: the part before pfn moves behind the old tail, cycle order kept.
    const oldHead = this.head[l];
    const oldTail = this.tail[l];
    const before = this.prev[pfn];
    this.next[oldTail] = oldHead;
    this.prev[oldHead] = oldTail;
    this.next[before] = -1;
    this.prev[pfn] = -1;
    this.head[l] = pfn;
    this.tail[l] = before;
  }
  isReported(pfn: Pfn): boolean {
    return this.reported[pfn] === 1;
  }
  setReported(pfn: Pfn): void {
    if (this.freeOrder[pfn] < 0) throw new MmError("NOT_FREE_BLOCK", `setReported ${pfn}`);
    this.reported[pfn] = 1;
  }
  buddyOrder(pfn: Pfn): Order {
    return this.freeOrder[pfn];
  }
  isolateFreePage(pfn: Pfn, order: Order): boolean {
    if (this.freeOrder[pfn] !== order) throw new MmError("NOT_FREE_BLOCK", `isolate ${pfn} order ${order}`);
    const z = this.zoneOf(pfn);
    // __isolate_free_page: obey the min watermark as if allocating.
    if (!this.zoneWatermarkOk(z, 0, this.zones[z].wmarks[WMARK_MIN] + 2 ** order)) return false;
    this.delFromList(pfn);
    this.freePages[z] -= 2 ** order;
    this.isolated[pfn] = 1;
    return true;
  }
  putbackIsolatedPage(pfn: Pfn, order: Order, mt: Migratetype): void {
    if (this.isolated[pfn] !== 1) throw new MmError("NOT_ISOLATED", `putback ${pfn}`);
    this.isolated[pfn] = 0;
    // FPI_SKIP_REPORT_NOTIFY | FPI_TO_TAIL
    this.freeOne(pfn, order, mt, true, false);
  }
  onFreeNotify(listener: ((order: Order) => void) | null): void {
    this.listener = listener;
  }

  /** Free blocks of the area as [pfn, order] pairs, list order. */
  freeBlocks(): [Pfn, Order][] {
    const out: [Pfn, Order][] = [];
    for (let z = 0; z < this.nrZones; z++)
      for (let o = 0; o <= this.maxOrder; o++)
        for (let mt = 0; mt < MIGRATE_TYPES; mt++)
          for (let p = this.freeListFirst(z, o, mt); p >= 0; p = this.next[p]) out.push([p, o]);
    return out;
  }

  /** The fake's own invariants: counts match lists, no unmerged free buddies (same type class), Reported only on free heads. */
  check(): void {
    const seen = new Uint8Array(this.nrPages);
    for (let z = 0; z < this.nrZones; z++) {
      let pages = 0;
      for (let o = 0; o <= this.maxOrder; o++) {
        let n = 0;
        for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
          let prev = -1;
          for (let p = this.freeListFirst(z, o, mt); p >= 0; p = this.next[p]) {
            if (this.prev[p] !== prev) throw new MmError("INVARIANT", `prev link of ${p}`);
            if (this.freeOrder[p] !== o) throw new MmError("INVARIANT", `order of ${p}`);
            for (let q = p; q < p + 2 ** o; q++) {
              if (seen[q] === 1) throw new MmError("INVARIANT", `page ${q} twice on the free lists`);
              seen[q] = 1;
            }
            prev = p;
            n++;
            pages += 2 ** o;
          }
          if (this.tail[this.li(z, o, mt)] !== prev) throw new MmError("INVARIANT", `tail of list ${z}/${o}/${mt}`);
        }
        if (n !== this.nrFree(z, o)) throw new MmError("INVARIANT", `nr_free ${z}/${o}`);
      }
      if (pages !== this.freePages[z]) throw new MmError("INVARIANT", `free pages of zone ${z}: ${this.freePages[z]} vs ${pages}`);
    }
    for (let p = 0; p < this.nrPages; p++) if (this.reported[p] === 1 && this.freeOrder[p] < 0) throw new MmError("INVARIANT", `Reported ${p} not free`);
  }
}

/**
 * The buddy allocator's invariants, checked from scratch over every list and every page.
 * Kernel counterpart: what CONFIG_DEBUG_VM's VM_BUG_ONs and check_free_page() assume.
 */
import { MAX_NR_ZONES, MIGRATE_CMA, MIGRATE_HIGHATOMIC, MIGRATE_ISOLATE, MIGRATE_PCPTYPES, MIGRATE_TYPES, MmError } from "@mm/api";
import { listHead, type NodeState, zoneIdxOf } from "./internal/node.js";
import { lowmemReserves, zoneWatermarks } from "./watermarks.js";
import { PB_ALLOC, PB_BUDDY, PB_HEAD, PB_ISOLATED, PB_LRU, PB_MOVABLE, PB_REPORTED, PB_RESERVED, PB_TAIL } from "./page-state.js";

function fail(msg: string, detail?: Record<string, number | string>): never {
  throw new MmError("INVARIANT", msg, detail);
}

/** Per-zone page totals found by checkInvariants. */
export interface PageCensus {
  free: number;
  allocated: number;
  isolated: number;
  reserved: number;
  /** On per-cpu page lists (0 without them): free to the user, allocated to the buddy lists. */
  pcp: number;
}

/**
 * Verify the machine from scratch; throws MmError("INVARIANT") naming the first violation:
 * - every free list is a well-formed cycle of free block heads of its zone and order;
 *   nr_free, NR_FREE_PAGES and NR_FREE_CMA_PAGES match the lists;
 * - PageBuddy (and PageReported) is set exactly on listed heads; Isolate/CMA lists hold only
 *   blocks of Isolate/CMA pageblocks;
 * - no free block has a free buddy of the same order where __free_one_page would have merged;
 * - blocks are aligned and never overlap, compound tails are marked, every page is in exactly
 *   one free, isolated or allocated block or is reserved;
 * - per-cpu lists (when the machine has them) hold unflagged block heads whose page->index and
 *   order match their list, and their counts match the lists;
 * - pages are conserved: free + allocated + isolated + pcp + reserved = present, managed =
 *   present - reserved, per zone.
 * @returns the per-zone census (index = zone).
 */
export function checkInvariants(m: NodeState): PageCensus[] {
  const { flags, order, refcount, next, prev, pageblockMt, nrPfns, maxOrder, pageblockOrder } = m;
  const seen = new Uint8Array(nrPfns);
  const census: PageCensus[] = [];
  for (let z = 0; z < MAX_NR_ZONES; z++) census.push({ free: 0, allocated: 0, isolated: 0, reserved: 0, pcp: 0 });

  // 1. The lists.
  for (let z = 0; z < MAX_NR_ZONES; z++) {
    const zone = m.zones[z];
    let freeAccounted = 0;
    let freeCma = 0;
    for (let o = 0; o <= maxOrder; o++) {
      let blocks = 0;
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        const s = listHead(m, z, o, mt);
        let p = next[s];
        let guard = 0;
        if (prev[next[s]] !== s) fail(`list head ${z}/${o}/${mt} has a broken first link`);
        while (p !== s) {
          if (++guard > nrPfns) fail(`free_list zone ${z} order ${o} mt ${mt} does not close`);
          if (p < 0 || p >= nrPfns) fail(`free_list zone ${z} order ${o} mt ${mt} links into another list`, { pfn: p });
          if (prev[next[p]] !== p) fail(`broken links at pfn ${p}`, { pfn: p });
          if ((flags[p] & ~PB_REPORTED) !== PB_BUDDY) fail(`listed pfn ${p} has flags 0x${flags[p].toString(16)}`, { pfn: p });
          if (order[p] !== o) fail(`pfn ${p} on order-${o} list has order ${order[p]}`, { pfn: p });
          if (zoneIdxOf(m, p) !== z || p < zone.startPfn || p >= zone.endPfn) fail(`pfn ${p} on a list of zone ${z}`, { pfn: p });
          if (seen[p] !== 0) fail(`pfn ${p} is on two lists`, { pfn: p });
          if ((p & ((1 << o) - 1)) !== 0) fail(`free block ${p} not aligned to order ${o}`, { pfn: p });
          const pbmt = pageblockMt[p >>> pageblockOrder];
          if ((mt === MIGRATE_ISOLATE) !== (pbmt === MIGRATE_ISOLATE))
            fail(`pfn ${p} on list mt ${mt} but its pageblock is mt ${pbmt}`, { pfn: p });
          if ((mt === MIGRATE_CMA) !== (pbmt === MIGRATE_CMA))
            fail(`pfn ${p} on list mt ${mt} but its pageblock is mt ${pbmt}`, { pfn: p });
          seen[p] = 1;
          blocks++;
          if (mt !== MIGRATE_ISOLATE) freeAccounted += 1 << o;
          if (mt === MIGRATE_CMA) freeCma += 1 << o;
          p = next[p];
        }
        const listed = next[s] !== s;
        if (listed !== (((m.freeMask[z * MIGRATE_TYPES + mt] >>> o) & 1) === 1))
          fail(`zone ${z} order ${o} mt ${mt}: freeMask says ${listed ? "empty" : "non-empty"}`);
      }
      if (blocks !== m.nrFreeArr[z * m.nrOrders + o]) fail(`zone ${z} order ${o}: nr_free ${m.nrFreeArr[z * m.nrOrders + o]} but ${blocks} listed`);
    }
    if (zone.freePages !== freeAccounted) fail(`zone ${zone.name}: NR_FREE_PAGES ${zone.freePages}, lists hold ${freeAccounted}`);
    if (zone.freeCmaPages !== freeCma) fail(`zone ${zone.name}: NR_FREE_CMA_PAGES ${zone.freeCmaPages}, lists hold ${freeCma}`);
  }

  // 1b. The per-cpu lists: their heads are marked in `seen` too.
  const onPcp = m.pcp === null ? null : m.pcp.pageMt;
  if (m.pcp !== null) {
    const perZone = m.pcp.census(seen);
    for (let z = 0; z < MAX_NR_ZONES; z++) census[z].pcp = perZone[z];
  }

  // 2. Every page, in address order: each belongs to exactly one block or is reserved.
  const ranges = m.ranges;
  let ri = 0;
  for (let p = 0; p < nrPfns; ) {
    while (ri < ranges.length && ranges[ri].endPfn <= p) ri++;
    const present = ri < ranges.length && ranges[ri].startPfn <= p;
    const f = flags[p];
    const z = zoneIdxOf(m, p);
    if (f & PB_RESERVED) {
      if (f !== PB_RESERVED) fail(`reserved pfn ${p} has flags 0x${f.toString(16)}`, { pfn: p });
      if (present) census[z].reserved++;
      p++;
      continue;
    }
    if (!present) fail(`hole pfn ${p} is not reserved`, { pfn: p });
    if (f === 0 && onPcp !== null && onPcp[p] !== 0xff) {
      // a pcp block: census() checked its head; its tails are plain free pages
      const n = 1 << order[p];
      for (let t = p + 1; t < p + n; t++) if (flags[t] !== 0 || refcount[t] !== 0) fail(`pfn ${t} inside the pcp block at ${p} has flags 0x${flags[t].toString(16)}`, { pfn: t, head: p });
      p += n;
      continue;
    }
    if ((f & (PB_BUDDY | PB_ISOLATED | PB_ALLOC)) === 0) fail(`pfn ${p} belongs to no block (flags 0x${f.toString(16)})`, { pfn: p });
    const o = order[p];
    if (o > maxOrder) fail(`pfn ${p} has order ${o}`, { pfn: p });
    const n = 1 << o;
    if ((p & (n - 1)) !== 0) fail(`block ${p} not aligned to its order ${o}`, { pfn: p });
    if (p + n > nrPfns) fail(`block ${p} runs past the end`, { pfn: p });
    let tailFlags = 0;
    if (f & PB_BUDDY) {
      if (seen[p] === 0) fail(`PageBuddy pfn ${p} is on no list`, { pfn: p });
      if (refcount[p] !== 0) fail(`free pfn ${p} has refcount ${refcount[p]}`, { pfn: p });
      census[z].free += n;
      checkBuddy(m, p, o);
    } else if (f & PB_ISOLATED) {
      if (f !== PB_ISOLATED) fail(`isolated pfn ${p} has flags 0x${f.toString(16)}`, { pfn: p });
      if (refcount[p] !== 0) fail(`isolated pfn ${p} has refcount ${refcount[p]}`, { pfn: p });
      census[z].isolated += n;
    } else {
      if (f & PB_TAIL) fail(`allocated head ${p} has flags 0x${f.toString(16)}`, { pfn: p });
      // PB_LRU (the PB_REPORTED bit) on an allocated page: only order 0 or compound heads go on an LRU list.
      if (f & PB_LRU && o > 0 && (f & PB_HEAD) === 0) fail(`non-compound order-${o} block ${p} is marked on the LRU`, { pfn: p });
      if (refcount[p] < 1) fail(`allocated pfn ${p} has refcount ${refcount[p]}`, { pfn: p });
      if (f & PB_HEAD) {
        if (o === 0) fail(`order-0 compound head ${p}`, { pfn: p });
        tailFlags = PB_TAIL | (f & (PB_MOVABLE | PB_LRU));
      }
      census[z].allocated += n;
    }
    for (let t = p + 1; t < p + n; t++) {
      if (flags[t] !== tailFlags) fail(`pfn ${t} inside the block at ${p} has flags 0x${flags[t].toString(16)}`, { pfn: t, head: p });
      if (refcount[t] !== 0) fail(`pfn ${t} inside the block at ${p} has refcount ${refcount[t]}`, { pfn: t, head: p });
      if (zoneIdxOf(m, t) !== z) fail(`block ${p} crosses a zone boundary`, { pfn: p });
    }
    p += n;
  }

  // 3. Conservation per zone.
  for (let z = 0; z < MAX_NR_ZONES; z++) {
    const c = census[z];
    const zone = m.zones[z];
    if (c.free + c.allocated + c.isolated + c.pcp + c.reserved !== zone.present)
      fail(`zone ${zone.name}: free ${c.free} + allocated ${c.allocated} + isolated ${c.isolated} + pcp ${c.pcp} + reserved ${c.reserved} != present ${zone.present}`);
    if (zone.managed !== zone.present - c.reserved) fail(`zone ${zone.name}: managed ${zone.managed} != present - reserved`);
  }
  for (let i = 0; i < pageblockMt.length; i++) if (pageblockMt[i] >= MIGRATE_TYPES) fail(`pageblock ${i} has mt ${pageblockMt[i]}`);

  // 4. The HighAtomic reserve, the watermarks and lowmem_reserve of every zone.
  checkReserves(m);
  return census;
}

/**
 * nr_reserved_highatomic against the HighAtomic pageblocks; the watermarks and lowmem_reserve
 * recomputed from the managed pages they were set up from, and compared field by field.
 */
function checkReserves(m: NodeState): void {
  const pbn = m.pageblockNrPages;
  const pbo = m.pageblockOrder;
  for (const zone of m.zones) {
    let highatomic = 0;
    for (let p = zone.startPfn & ~(pbn - 1); p < zone.endPfn; p += pbn) if (m.pageblockMt[p >>> pbo] === MIGRATE_HIGHATOMIC) highatomic++;
    const nr = zone.nrReservedHighatomic;
    // reserve_highatomic_pageblock adds and unreserve_highatomic_pageblock subtracts whole
    // pageblocks. 6.1 set_migratetype_isolate relabels a HighAtomic pageblock without touching the
    // counter (and undo_isolate_page_range restores the caller's type), so the counter may exceed
    // the HighAtomic pageblocks, never fall short of them. reserve_highatomic_pageblock only adds
    // while nr < managed / 100 + pageblock_nr_pages, which bounds it from above.
    if (nr % pbn !== 0 || nr < highatomic * pbn || nr >= Math.floor(zone.managed / 100) + 2 * pbn)
      fail(`zone ${zone.name}: nr_reserved_highatomic ${nr} for ${highatomic} HighAtomic pageblocks (managed ${zone.managed})`);
    if (zone.watermarkBoost < 0) fail(`zone ${zone.name}: negative watermark_boost`);
  }

  // __setup_per_zone_wmarks: every zone is set up at once, from one pages_min.
  let lowmem = 0;
  for (const z of m.zones) lowmem += Math.max(z.wmarkBasisManaged, 0);
  for (const z of m.zones) {
    const want =
      m.wmarkBasisPagesMin < 0
        ? [0, 0, 0, 0]
        : zoneWatermarks(m.wmarkBasisPagesMin, z.wmarkBasisManaged, lowmem, false, m.watermarkScaleFactor);
    const got = [z.wmarkMin, z.wmarkLow, z.wmarkHigh, z.wmarkPromo];
    for (let i = 0; i < 4; i++)
      if (got[i] !== want[i]) fail(`zone ${z.name}: watermarks [${got.join(", ")}], recomputed [${want.join(", ")}]`);
  }
  // setup_per_zone_lowmem_reserve, likewise from the managed pages of that moment.
  const basis = m.zones.map((z) => Math.max(z.lowmemBasisManaged, 0));
  const never = m.zones.every((z) => z.lowmemBasisManaged < 0);
  const res = lowmemReserves(basis, m.lowmemReserveRatio);
  for (const z of m.zones)
    for (let j = 0; j < MAX_NR_ZONES; j++) {
      const want = never ? 0 : res[z.idx][j];
      if (z.lowmemReserve[j] !== want) fail(`zone ${z.name}: lowmem_reserve[${j}] = ${z.lowmemReserve[j]}, recomputed ${want}`);
    }
}

/** No free buddy of the same order unless __free_one_page's pageblock rule kept them apart. */
function checkBuddy(m: NodeState, p: number, o: number): void {
  if (o >= m.maxOrder) return;
  const b = p ^ (1 << o);
  if ((m.flags[b] & PB_BUDDY) === 0 || m.order[b] !== o) return;
  if (o >= m.pageblockOrder) {
    const pbo = m.pageblockOrder;
    const a = m.pageblockMt[p >>> pbo];
    const c = m.pageblockMt[b >>> pbo];
    if (a !== c && (a >= MIGRATE_PCPTYPES || c >= MIGRATE_PCPTYPES)) return;
    // A pageblock relabelled without merging (relabelWithoutMerge), in the kernel too.
    if (m.pageblockWasHighatomic[p >>> pbo] !== 0 || m.pageblockWasHighatomic[b >>> pbo] !== 0) return;
  }
  fail(`free blocks ${Math.min(p, b)} and ${Math.max(p, b)} of order ${o} were not merged`, { pfn: p, buddy: b, order: o });
}

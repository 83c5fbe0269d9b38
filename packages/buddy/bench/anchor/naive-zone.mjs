// The plain-JS reference allocator of ../shared/perf-anchor/bench_naive.mjs (createZone, copied
// verbatim apart from the export) so that vitest can run it in the same process as @mm/buddy.
// The standalone bench (run.mjs) runs the original file itself.
const MAX_ORDER = 11; // orders 0..10
const PAGEBLOCK_ORDER = 9;
const MIGRATE_UNMOVABLE = 0;
const MIGRATE_MOVABLE = 1;
const MIGRATE_RECLAIMABLE = 2;
const MIGRATE_TYPES = 3;
const NIL = -1;
const PG_BUDDY = 1;
const FLAG_MT_SHIFT = 1; // flags bits 1..2: list migratetype while PG_BUDDY

// kernel 6.1 fallback order, flattened [mt * 2 + i]
const FALLBACKS = new Uint8Array([
  MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE, // for UNMOVABLE
  MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE, // for MOVABLE
  MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, // for RECLAIMABLE
]);

// ------------------------------------------------------------------- zone

export function createZone(nrPages) {
  const nrPageblocks = Math.ceil(nrPages / (1 << PAGEBLOCK_ORDER));
  const order = new Uint8Array(nrPages); // meaningful while PG_BUDDY
  const flags = new Uint8Array(nrPages);
  const next = new Int32Array(nrPages);
  const prev = new Int32Array(nrPages);
  const pageblockMt = new Uint8Array(nrPageblocks);
  const head = new Int32Array(MAX_ORDER * MIGRATE_TYPES); // [order * 3 + mt]
  const nrFree = new Int32Array(MAX_ORDER); // blocks per order (N <= 2^26)
  const stats = { splits: 0, merges: 0, fallbacks: 0 };

  function addToFreeList(pfn, o, mt) {
    const hi = o * MIGRATE_TYPES + mt;
    const h = head[hi];
    next[pfn] = h;
    prev[pfn] = NIL;
    if (h !== NIL) prev[h] = pfn;
    head[hi] = pfn;
    order[pfn] = o;
    flags[pfn] = PG_BUDDY | (mt << FLAG_MT_SHIFT);
    nrFree[o]++;
  }

  function delFromFreeList(pfn, o) {
    const mt = (flags[pfn] >> FLAG_MT_SHIFT) & 3;
    const n = next[pfn];
    const p = prev[pfn];
    if (p !== NIL) next[p] = n;
    else head[o * MIGRATE_TYPES + mt] = n;
    if (n !== NIL) prev[n] = p;
    flags[pfn] = 0; // __ClearPageBuddy; order left as is
    nrFree[o]--;
  }

  function expand(pfn, low, high, mt) {
    let size = 1 << high;
    while (high > low) {
      high--;
      size >>= 1;
      addToFreeList(pfn + size, high, mt);
      stats.splits++;
    }
  }

  function rmqueueSmallest(o0, mt) {
    for (let o = o0; o < MAX_ORDER; o++) {
      const pfn = head[o * MIGRATE_TYPES + mt];
      if (pfn === NIL) continue;
      delFromFreeList(pfn, o);
      expand(pfn, o0, o, mt);
      return pfn;
    }
    return NIL;
  }

  function rmqueueFallback(o, mt) {
    for (let i = 0; i < 2; i++) {
      const pfn = rmqueueSmallest(o, FALLBACKS[mt * 2 + i]);
      if (pfn !== NIL) {
        stats.fallbacks++;
        return pfn;
      }
    }
    return NIL;
  }

  function allocPages(o, mt) {
    const pfn = rmqueueSmallest(o, mt);
    return pfn !== NIL ? pfn : rmqueueFallback(o, mt);
  }

  function freeOnePage(pfn, o, mt) {
    while (o < MAX_ORDER - 1) {
      const buddy = pfn ^ (1 << o);
      if (buddy >= nrPages) break;
      if ((flags[buddy] & PG_BUDDY) === 0 || order[buddy] !== o) break;
      delFromFreeList(buddy, o);
      pfn &= buddy;
      o++;
      stats.merges++;
    }
    addToFreeList(pfn, o, mt);
  }

  function freePages(pfn, o) {
    freeOnePage(pfn, o, pageblockMt[pfn >> PAGEBLOCK_ORDER]);
  }

  // memmap_init + memblock_free_all, in the model's terms
  function boot() {
    order.fill(0);
    flags.fill(0);
    next.fill(NIL);
    prev.fill(NIL);
    pageblockMt.fill(MIGRATE_MOVABLE);
    head.fill(NIL);
    nrFree.fill(0);
    stats.splits = stats.merges = stats.fallbacks = 0;
    const maxBlock = 1 << (MAX_ORDER - 1);
    const whole = nrPages & ~(maxBlock - 1);
    for (let pfn = whole; pfn < nrPages; ) {
      let o = 0;
      while (o + 1 < MAX_ORDER - 1 && (pfn & ((1 << (o + 1)) - 1)) === 0 && pfn + (1 << (o + 1)) <= nrPages) o++;
      freeOnePage(pfn, o, pageblockMt[pfn >> PAGEBLOCK_ORDER]);
      pfn += 1 << o;
    }
    for (let pfn = whole - maxBlock; pfn >= 0; pfn -= maxBlock) {
      addToFreeList(pfn, MAX_ORDER - 1, pageblockMt[pfn >> PAGEBLOCK_ORDER]);
    }
  }

  return { nrPages, order, flags, next, prev, head, nrFree, stats, allocPages, freePages, boot };
}


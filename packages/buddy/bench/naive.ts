/**
 * Baseline for the benchmarks: the textbook buddy allocator, one JS Set of free block starts per
 * order and a Map of allocated orders. No migratetypes, zones or watermarks: the smallest thing that
 * allocates and merges like a buddy system.
 */
export class NaiveBuddy {
  private readonly free: Set<number>[] = [];
  private readonly allocated = new Map<number, number>();
  constructor(
    pages: number,
    private readonly maxOrder = 10,
  ) {
    for (let o = 0; o <= maxOrder; o++) this.free.push(new Set());
    for (let p = 0; p + (1 << maxOrder) <= pages; p += 1 << maxOrder) this.free[maxOrder].add(p);
  }
  alloc(order: number): number {
    for (let o = order; o <= this.maxOrder; o++) {
      const s = this.free[o];
      if (s.size === 0) continue;
      const pfn = s.values().next().value as number;
      s.delete(pfn);
      while (o > order) {
        o--;
        this.free[o].add(pfn + (1 << o));
      }
      this.allocated.set(pfn, order);
      return pfn;
    }
    return -1;
  }
  freePages(pfn: number): void {
    let order = this.allocated.get(pfn)!;
    this.allocated.delete(pfn);
    while (order < this.maxOrder) {
      const b = pfn ^ (1 << order);
      if (!this.free[order].delete(b)) break;
      pfn &= b;
      order++;
    }
    this.free[order].add(pfn);
  }
}

/**
 * A second, plainly written model of the 6.1 buddy rules, slow and obvious, for the differential
 * test: free lists as JS arrays (index 0 = list head), one zone, every pageblock Movable, Movable
 * requests only, no watermarks. Rules, from mm/page_alloc.c (6.1):
 * - boot (memblock_free_all -> __free_pages_memory): max-order chunks from pfn 0 up, each to the
 *   list tail (FPI_TO_TAIL);
 * - alloc (__rmqueue_smallest + expand): the head block of the first non-empty list from `order`
 *   up; the upper halves go to the heads of the lists below, largest first; the lower half is kept;
 * - free (__free_one_page): merge with the free buddy of the same order while order < MAX_ORDER - 1
 *   (here < maxOrder); then the tail of the list if buddy_merge_likely (order < MAX_ORDER - 2 and
 *   the buddy of the combined order + 1 block is a free block of order + 1), else the head.
 */
export class ReferenceBuddy {
  /** lists[order] = free block pfns, head first. */
  readonly lists: number[][] = [];
  /** Free block heads: pfn -> order. */
  private readonly freeOrder = new Map<number, number>();

  constructor(
    readonly nrPages: number,
    readonly maxOrder: number,
  ) {
    for (let o = 0; o <= maxOrder; o++) this.lists.push([]);
    for (let pfn = 0; pfn + (1 << maxOrder) <= nrPages; pfn += 1 << maxOrder) this.add(pfn, maxOrder, true);
  }

  private add(pfn: number, order: number, tail: boolean): void {
    if (tail) this.lists[order].push(pfn);
    else this.lists[order].unshift(pfn);
    this.freeOrder.set(pfn, order);
  }

  private remove(pfn: number, order: number): void {
    const list = this.lists[order];
    list.splice(list.indexOf(pfn), 1);
    this.freeOrder.delete(pfn);
  }

  alloc(order: number): number {
    for (let o = order; o <= this.maxOrder; o++) {
      if (this.lists[o].length === 0) continue;
      const pfn = this.lists[o][0];
      this.remove(pfn, o);
      for (let h = o - 1; h >= order; h--) this.add(pfn + (1 << h), h, false);
      return pfn;
    }
    return -1;
  }

  free(pfn: number, order: number): void {
    while (order < this.maxOrder) {
      const buddy = pfn ^ (1 << order);
      if (this.freeOrder.get(buddy) !== order) break;
      this.remove(buddy, order);
      pfn = Math.min(pfn, buddy);
      order++;
    }
    let tail = false;
    if (order < this.maxOrder - 1) {
      const higher = pfn & ~(1 << order);
      const higherBuddy = higher ^ (1 << (order + 1));
      tail = this.freeOrder.get(higherBuddy) === order + 1;
    }
    this.add(pfn, order, tail);
  }
}

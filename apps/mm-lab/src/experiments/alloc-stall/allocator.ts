/**
 * @mm/buddy as the allocator under the slow-path model. The model reaches the buddy only through
 * its no-reclaim attempt, and reads free pages and watermarks of the zone its allocations are
 * served from: the highest populated zone (DMA32 on a guest below 4 GiB). Lower zones are kept
 * out of the sums because lowmem_reserve keeps their pages from these allocations anyway; counting
 * them would let should_reclaim_retry hope forever.
 */
import type { Order, Pfn, WatermarkKind } from "@mm/api";
import type { BuddyMachine } from "@mm/buddy";
import type { StallModelAllocator } from "@mm/alloc-watchdog";

export function buddyStallAllocator(m: BuddyMachine): StallModelAllocator {
  let top = -1;
  for (const z of m.zones) if (z.managed > 0) top = z.idx;
  const zone = m.zones[top];
  return {
    allocPages: (order: Order, gfp: number): Pfn => m.allocPages(order, gfp),
    freePages: (pfn: Pfn, order: Order): void => m.freePages(pfn, order),
    nrFreePages: (): number => zone.freePages,
    watermark: (kind: WatermarkKind): number => m.zoneWatermark(top, kind),
    totalPages: (): number => zone.managed,
  };
}

/** A stand-alone PageSource for users without a simulated allocator. */
import { MmError, type Gfp, type Order, type PageSource, type Pfn } from "@mm/api";

/**
 * A page source that never fails: hands out consecutive fake pfns (aligned to the order) and
 * accepts them back. For npm users and tests that don't model physical memory.
 */
export function unlimitedPageSource(): PageSource & { readonly outstanding: number } {
  let next = 0;
  let outstanding = 0;
  return {
    allocPages(order: Order, _gfp: Gfp): Pfn {
      const pfn = next;
      next += 1 << order;
      outstanding++;
      return pfn;
    },
    freePages(_pfn: Pfn, _order: Order): void {
      if (outstanding === 0) throw new MmError("DOUBLE_FREE", "unlimitedPageSource: nothing to free");
      outstanding--;
    },
    get outstanding() {
      return outstanding;
    },
  };
}

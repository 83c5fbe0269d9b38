/**
 * Backing memory for page_ext tables (mm/page_ext.c alloc_page_ext): byte accounting alone, or real
 * pages from an allocator with alloc_pages_exact_nid() and the vzalloc_node() fallback.
 */
import {
  GFP_KERNEL,
  type Gfp,
  MAX_PAGE_ORDER,
  type Order,
  PAGE_SHIFT,
  PAGE_SIZE,
  type PageSource,
  type Pfn,
  __GFP_HIGHMEM,
  __GFP_NOWARN,
  __GFP_ZERO,
} from "@mm/api";
import type { PageExtMemory } from "./api.js";

/** alloc_page_ext()'s gfp for alloc_pages_exact_nid. */
export const PAGE_EXT_GFP: Gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;
/** vzalloc_node(): GFP_KERNEL | __GFP_ZERO for the area, __GFP_HIGHMEM for its pages (no effect on x86-64). */
export const VZALLOC_PAGE_GFP: Gfp = GFP_KERNEL | __GFP_ZERO | __GFP_HIGHMEM;

/** get_order(size): the smallest order whose block holds `bytes`. */
export function getOrder(bytes: number): Order {
  const pages = Math.ceil(bytes / PAGE_SIZE);
  return pages <= 1 ? 0 : 32 - Math.clz32(pages - 1);
}

/** A byte counter: tables cost bytes and nothing else. */
export interface ByteCounter extends PageExtMemory {
  /** Bytes handed out (and not rolled back). */
  readonly bytes: number;
}

/**
 * Accounting-only backing. `limitBytes` makes it fail like a machine that is out of memory.
 * @param limitBytes @defaultValue Infinity
 */
export function byteCounter(limitBytes = Infinity): ByteCounter {
  let bytes = 0;
  return {
    get bytes() {
      return bytes;
    },
    allocTable(n: number): boolean {
      if (bytes + n > limitBytes) return false;
      bytes += n;
      return true;
    },
    rollback(): void {
      bytes = 0;
    },
  };
}

/** An allocator that can also split an allocated block into order-0 pages (buddy's split_page). */
export interface ExactPageSource extends PageSource {
  splitPage(pfn: Pfn, order: Order): void;
}

/** Real pages from an allocator; knows which pages each table took. */
export interface PagesMemory extends PageExtMemory {
  /** First pfn and page count of every piece taken (one piece per table, or one per vmalloc page). */
  readonly pieces: readonly { readonly pfn: Pfn; readonly pages: number }[];
  /** Pages held right now. */
  readonly pages: number;
  /** Tables that fell back to vzalloc (alloc_pages_exact failed). */
  readonly vmallocTables: number;
}

/**
 * Tables from a page allocator, as the kernel does after the buddy allocator is up:
 * alloc_pages_exact_nid() takes a block of get_order(size), split_page()s it and frees the pages past
 * the size; if that fails (or the size needs more than `maxOrder`), vzalloc_node() takes order-0
 * pages one by one. The pages stay allocated (page_owner later counts them as early allocated pages).
 * @param maxOrder largest order the allocator serves. @defaultValue MAX_PAGE_ORDER (10)
 */
export function pagesMemory(source: ExactPageSource, maxOrder: Order = MAX_PAGE_ORDER): PagesMemory {
  const pieces: { pfn: Pfn; pages: number }[] = [];
  let held = 0;
  let vmallocTables = 0;
  return {
    pieces,
    get pages() {
      return held;
    },
    get vmallocTables() {
      return vmallocTables;
    },
    allocTable(bytes: number): boolean {
      const nr = Math.ceil(bytes / PAGE_SIZE);
      const order = getOrder(bytes);
      // Above MAX_PAGE_ORDER __alloc_pages fails at once (silently, __GFP_NOWARN): vzalloc it is.
      const pfn = order <= maxOrder ? source.allocPages(order, PAGE_EXT_GFP) : -1;
      if (pfn >= 0) {
        // make_alloc_exact(): split, then give back the tail past `nr` pages.
        if (nr < 1 << order) {
          source.splitPage(pfn, order);
          for (let p = pfn + nr; p < pfn + (1 << order); p++) source.freePages(p, 0);
        }
        pieces.push({ pfn, pages: nr });
        held += nr;
        return true;
      }
      // vzalloc_node(): page by page; all or nothing.
      const start = pieces.length;
      for (let i = 0; i < nr; i++) {
        const p = source.allocPages(0, VZALLOC_PAGE_GFP);
        if (p < 0) {
          for (let j = pieces.length - 1; j >= start; j--) source.freePages(pieces[j].pfn, 0);
          pieces.length = start;
          held -= i;
          return false;
        }
        pieces.push({ pfn: p, pages: 1 });
        held++;
      }
      vmallocTables++;
      return true;
    },
    rollback(): void {
      for (let j = pieces.length - 1; j >= 0; j--) {
        const { pfn, pages } = pieces[j];
        if (pages === 1) source.freePages(pfn, 0);
        else if (pages === 1 << getOrder(pages << PAGE_SHIFT)) source.freePages(pfn, getOrder(pages << PAGE_SHIFT));
        else for (let p = pfn; p < pfn + pages; p++) source.freePages(p, 0); // split earlier: order-0 pages
      }
      pieces.length = 0;
      held = 0;
      vmallocTables = 0;
    },
  };
}

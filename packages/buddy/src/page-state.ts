/**
 * Per-page state bits of the model (flags: Uint8Array indexed by pfn). The kernel's PageBuddy is
 * a page_type; the rest mirror page->flags bits or are the model's own bookkeeping.
 */
/** Head of a free block on a free list (PageBuddy, order in `order[]`). */
export const PB_BUDDY = 0x01;
/** Head of an allocated block (order in `order[]`, refcount in `refcount[]`). */
export const PB_ALLOC = 0x02;
/** Compound head (PG_head, __GFP_COMP). */
export const PB_HEAD = 0x04;
/** Compound tail (the kernel's compound_head bit in page->compound_head). */
export const PB_TAIL = 0x08;
/** PG_reserved: memblock-reserved memory and holes; never handed to the buddy allocator. */
export const PB_RESERVED = 0x10;
/** PageReported on a free block head (free page reporting). */
export const PB_REPORTED = 0x20;
/**
 * On an allocated page (head or compound tail) the same bit is PageLRU || __PageMovable: the page
 * sits on an LRU list (folio_add_lru once the per-cpu batch drained) or is a registered non-LRU
 * movable page (__SetPageMovable). The workload sets it with lruAdd(); an allocation starts
 * without it, as a page does in the kernel until lru_add_drain. The two meanings never meet: a
 * free head loses every flag when it leaves the lists and an allocated page when it is freed.
 * move_freepages() counts these pages as movable for steal_suitable_fallback().
 */
export const PB_LRU = 0x20;
/** Head of a free block taken off the lists by __isolate_free_page (not free, not allocated). */
export const PB_ISOLATED = 0x40;
/** The block is movable/LRU (allocated with __GFP_MOVABLE); set on every page of a compound. */
export const PB_MOVABLE = 0x80;


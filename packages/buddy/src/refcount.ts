/**
 * Page references and split_page. Kernel counterpart: include/linux/mm.h (get_page, put_page,
 * page_ref_count), mm/swap.c (__folio_put), mm/page_alloc.c (split_page) of 6.1.
 */
import { MmError } from "@mm/api";
import { freeThePage } from "./free.js";
import { type NodeState } from "./internal/node.js";
import { compoundHead, notAllocated } from "./page-lookup.js";
import { PB_ALLOC, PB_HEAD, PB_MOVABLE } from "./page-state.js";

/** page_ref_count() of the page (of its compound head for tails). */
export function pageCount(s: NodeState, pfn: number): number {
  return s.refcount[compoundHead(s, pfn)];
}

/** get_page(): one more reference on an allocated page (the head for compound tails). */
export function getPage(s: NodeState, pfn: number): void {
  const h = compoundHead(s, pfn);
  if ((s.flags[h] & PB_ALLOC) === 0 || s.refcount[h] <= 0) throw notAllocated(s, pfn, "get_page", true);
  if (s.refcount[h] >= 0x7fffffff) throw new MmError("REFCOUNT_OVERFLOW", `get_page: pfn ${pfn} refcount overflow`, { pfn });
  const c = ++s.refcount[h];
  const gets = s.getHooks;
  for (let i = 0; i < gets.length; i++) gets[i].get(h, c);
}

/**
 * put_page(): drop a reference; at zero the page (the whole compound page) is freed. Dropping
 * the last reference of a non-compound block of order > 0 this way would free only its first
 * page in the kernel (and leak the rest), so it is refused: use freePages(pfn, order).
 */
export function putPage(s: NodeState, pfn: number): void {
  const h = compoundHead(s, pfn);
  const f = s.flags[h];
  if ((f & PB_ALLOC) === 0 || s.refcount[h] <= 0) throw notAllocated(s, pfn, "put_page", true);
  const c = s.refcount[h] - 1;
  if (c === 0 && (f & PB_HEAD) === 0 && s.order[h] > 0)
    throw new MmError("EINVAL", `put_page would free only page ${h} of its non-compound order-${s.order[h]} block`, { pfn: h });
  s.refcount[h] = c;
  const puts = s.putHooks;
  for (let i = 0; i < puts.length; i++) puts[i].put(h, c);
  if (c === 0) freeThePage(s, h, s.order[h]);
}

/** split_page(): a non-compound block becomes 2^order order-0 pages, each with refcount 1. */
export function splitPage(s: NodeState, pfn: number, order: number): void {
  const nr = 1 << order;
  const fl = PB_ALLOC | (s.flags[pfn] & PB_MOVABLE);
  s.flags.fill(fl, pfn, pfn + nr);
  s.order.fill(0, pfn, pfn + nr);
  s.refcount.fill(1, pfn + 1, pfn + nr);
  const hooks = s.splitHooks;
  for (let i = 0; i < hooks.length; i++) hooks[i].split(pfn, order);
}

/**
 * Whether an allocated page is on an LRU list (or a registered non-LRU movable page), the state
 * move_freepages() reads as `PageLRU(page) || __PageMovable(page)`. A page is not on the LRU when
 * it is allocated: folio_add_lru() puts it in a per-cpu batch and lru_add_drain() moves it onto
 * the list later; balloon and zsmalloc pages become __PageMovable when their driver calls
 * __SetPageMovable(). The model has no batches, so the workload says when that point is reached.
 * Kernel counterpart: mm/swap.c (folio_add_lru, lru_add_drain, __page_cache_release),
 * mm/vmscan.c (folio_isolate_lru), mm/compaction.c (__SetPageMovable, __ClearPageMovable) of 6.1.
 */
import { type NodeState } from "./internal/node.js";
import { PB_HEAD, PB_LRU } from "./page-state.js";

/**
 * folio_add_lru + drain on the allocated head h (checked by the caller: order 0 or a compound
 * head). PageLRU is a PF_HEAD flag, so every tail of a compound page answers for its head.
 */
export function lruAdd(s: NodeState, h: number): void {
  const n = s.flags[h] & PB_HEAD ? 1 << s.order[h] : 1;
  for (let p = h; p < h + n; p++) s.flags[p] |= PB_LRU;
}

/** folio_isolate_lru / __page_cache_release: the page leaves its LRU list. */
export function lruDel(s: NodeState, h: number): void {
  const n = s.flags[h] & PB_HEAD ? 1 << s.order[h] : 1;
  for (let p = h; p < h + n; p++) s.flags[p] &= ~PB_LRU;
}

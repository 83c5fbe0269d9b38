/**
 * The free-list walk free page reporting needs (ReportableFreeArea): first/next block of a list,
 * list_rotate_to_front, PageReported. Kernel counterpart: mm/page_reporting.c's use of
 * free_area (page_reporting_cycle), mm/page_reporting.h.
 */
import { type NodeState } from "./internal/node.js";
import { listHead } from "./internal/node.js";

/** First block of free_area[order].free_list[mt], or -1. */
export function freeListFirst(s: NodeState, zone: number, order: number, mt: number): number {
  const h = listHead(s, zone, order, mt);
  const p = s.next[h];
  return p === h ? -1 : p;
}

/** The block after pfn on its list, or -1 at the list head. */
export function freeListNext(s: NodeState, pfn: number): number {
  const p = s.next[pfn];
  return p >= s.listBase ? -1 : p;
}

/** list_rotate_to_front(&page->lru, list): the list head moves to just before pfn. */
export function rotateToFront(s: NodeState, zone: number, order: number, mt: number, pfn: number): void {
  const h = listHead(s, zone, order, mt);
  const next = s.next;
  const prev = s.prev;
  // list_move_tail(list, &page->lru)
  next[prev[h]] = next[h];
  prev[next[h]] = prev[h];
  const last = prev[pfn];
  next[h] = pfn;
  prev[h] = last;
  next[last] = h;
  prev[pfn] = h;
}

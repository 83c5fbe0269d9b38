/**
 * The page-cache LRU: a ring of order-0 pfns, oldest first, with a dirty bit each;
 * isolate_lru_pages() takes up to SWAP_CLUSTER_MAX of the oldest into the task's isolation slots,
 * and reclaim frees them back to the allocator.
 */
import type { Pfn } from "@mm/api";
import type { StallState } from "./slowpath-state.js";

export function cachePush(s: StallState, pfn: Pfn, dirty: boolean): void {
  if (s.cacheLen === s.cachePfn.length) {
    const cap = s.cachePfn.length * 2;
    const p = new Int32Array(cap);
    const d = new Uint8Array(cap);
    for (let i = 0; i < s.cacheLen; i++) {
      const j = (s.cacheHead + i) & (s.cachePfn.length - 1);
      p[i] = s.cachePfn[j];
      d[i] = s.cacheDirtyBit[j];
    }
    s.cachePfn = p;
    s.cacheDirtyBit = d;
    s.cacheHead = 0;
  }
  const j = (s.cacheHead + s.cacheLen) & (s.cachePfn.length - 1);
  s.cachePfn[j] = pfn;
  s.cacheDirtyBit[j] = dirty ? 1 : 0;
  s.cacheLen++;
  if (dirty) s.cacheDirty++;
}

/** isolate_lru_pages: up to `batch` of the oldest page-cache pages. */
export function isolate(s: StallState, t: number): number {
  const n = Math.min(s.batch, s.cacheLen);
  const base = t * s.batch;
  const mask = s.cachePfn.length - 1;
  let dirty = 0;
  for (let i = 0; i < n; i++) {
    const j = s.cacheHead;
    s.isoPfn[base + i] = s.cachePfn[j];
    dirty += s.cacheDirtyBit[j];
    s.cacheHead = (j + 1) & mask;
  }
  s.cacheLen -= n;
  s.cacheDirty -= dirty;
  s.isoN[t] = n;
  s.isoDirty[t] = dirty;
  s.isolatedTotal += n;
  return n;
}

/** shrink_page_list's end: the isolated batch goes back to the allocator. */
export function freeIsolated(s: StallState, t: number): number {
  const n = s.isoN[t];
  const base = t * s.batch;
  for (let i = 0; i < n; i++) s.alloc.freePages(s.isoPfn[base + i], 0);
  s.isoN[t] = 0;
  s.isoDirty[t] = 0;
  s.isolatedTotal -= n;
  return n;
}

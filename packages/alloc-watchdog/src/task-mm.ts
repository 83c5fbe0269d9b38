/**
 * A task's anonymous memory: a FIFO of the blocks it allocated, in one pooled linked list for all
 * tasks (typed arrays, no per-block objects). The oldest blocks are freed beyond rssLimitPages;
 * exit_mmap and the OOM reaper free them all.
 */
import type { Order, Pfn } from "@mm/api";
import type { StallState } from "./slowpath-state.js";

export function rssPush(s: StallState, t: number, pfn: Pfn, order: Order): void {
  let b = s.blkFree;
  if (b >= 0) s.blkFree = s.blkNext[b];
  else {
    if (s.blkUsed === s.blkPfn.length) {
      const cap = s.blkPfn.length * 2;
      const p = new Int32Array(cap);
      p.set(s.blkPfn);
      const o = new Uint8Array(cap);
      o.set(s.blkOrder);
      const nx = new Int32Array(cap);
      nx.set(s.blkNext);
      s.blkPfn = p;
      s.blkOrder = o;
      s.blkNext = nx;
    }
    b = s.blkUsed++;
  }
  s.blkPfn[b] = pfn;
  s.blkOrder[b] = order;
  s.blkNext[b] = -1;
  if (s.rssTail[t] >= 0) s.blkNext[s.rssTail[t]] = b;
  else s.rssHead[t] = b;
  s.rssTail[t] = b;
  s.rssPages[t] += 1 << order;
}

export function rssFreeOldest(s: StallState, t: number): void {
  const b = s.rssHead[t];
  if (b < 0) return;
  s.rssHead[t] = s.blkNext[b];
  if (s.rssHead[t] < 0) s.rssTail[t] = -1;
  s.alloc.freePages(s.blkPfn[b], s.blkOrder[b]);
  s.rssPages[t] -= 1 << s.blkOrder[b];
  s.blkNext[b] = s.blkFree;
  s.blkFree = b;
}

export function rssFreeAll(s: StallState, t: number): void {
  while (s.rssHead[t] >= 0) rssFreeOldest(s, t);
}

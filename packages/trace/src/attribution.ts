/**
 * Per-stack attribution: each traced allocation's stack is saved once into a @mm/stackdepot
 * StackStore (deduplicated behind a 32-bit handle) and given a dense index; per index we count
 * allocations, frees and live pages, and per pfn (block heads) which index owns the block, so a
 * free is charged to the stack that allocated it. Fallbacks that fragment (`mm_page_alloc_extfrag`
 * with fragmenting=1) are charged to their own stack, with the pageblocks they touched.
 */
import { createStackStore, type StackStore } from "@mm/stackdepot";

export const NO_STACK = 0;

export interface StackRow {
  readonly index: number;
  readonly handle: number;
  readonly frames: readonly string[];
  readonly allocs: number;
  readonly frees: number;
  readonly livePages: number;
  readonly peakLivePages: number;
  readonly fragmentingFallbacks: number;
  readonly fragmentedPageblocks: number;
}

export class StackAttribution {
  readonly store: StackStore;
  /** Dense index per handle; index 0 is "no stack" (a trace without the stacktrace option). */
  private readonly indexOf = new Map<number, number>();
  private readonly handles: number[] = [0];
  allocs = new Float64Array(64);
  frees = new Float64Array(64);
  live = new Float64Array(64);
  peak = new Float64Array(64);
  fragmenting = new Float64Array(64);
  private readonly fragBlocks: Set<number>[] = [new Set()];
  /** Owner index per block head pfn. */
  owner: Uint32Array;

  constructor(nrPfns: number) {
    this.store = createStackStore({ maxFrames: 64 });
    this.owner = new Uint32Array(nrPfns);
  }

  get size(): number {
    return this.handles.length;
  }

  /** Dense index of a stack (saving it on first sight). */
  intern(frames: readonly string[]): number {
    if (frames.length === 0) return NO_STACK;
    const h = this.store.save(frames);
    let i = this.indexOf.get(h);
    if (i === undefined) {
      i = this.handles.length;
      this.indexOf.set(h, i);
      this.handles.push(h);
      this.fragBlocks.push(new Set());
      if (i >= this.allocs.length) this.grow();
    }
    return i;
  }

  private grow(): void {
    const g = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.allocs = g(this.allocs);
    this.frees = g(this.frees);
    this.live = g(this.live);
    this.peak = g(this.peak);
    this.fragmenting = g(this.fragmenting);
  }

  onAlloc(idx: number, head: number, pages: number): void {
    this.owner[head] = idx;
    this.allocs[idx]++;
    const l = (this.live[idx] += pages);
    if (l > this.peak[idx]) this.peak[idx] = l;
  }

  /** A free of `pages` pages of the block whose head is `head`. */
  onFree(head: number, pages: number): number {
    const idx = this.owner[head];
    this.frees[idx]++;
    this.live[idx] -= pages;
    return idx;
  }

  /** split_page / a partial free: the pieces keep the block's owner. */
  copyOwner(from: number, to: number): void {
    this.owner[to] = this.owner[from]!;
  }

  onFragmentingFallback(idx: number, pageblock: number): void {
    this.fragmenting[idx]++;
    this.fragBlocks[idx].add(pageblock);
  }

  frames(idx: number): string[] {
    if (idx === NO_STACK) return [];
    return this.store.get(this.handles[idx]) ?? [];
  }

  row(idx: number): StackRow {
    return {
      index: idx,
      handle: this.handles[idx],
      frames: this.frames(idx),
      allocs: this.allocs[idx],
      frees: this.frees[idx],
      livePages: this.live[idx],
      peakLivePages: this.peak[idx],
      fragmentingFallbacks: this.fragmenting[idx],
      fragmentedPageblocks: this.fragBlocks[idx].size,
    };
  }

  /** Stacks ordered by `key` descending, then by index (deterministic). */
  top(n: number, key: (r: StackRow) => number): StackRow[] {
    const rows: StackRow[] = [];
    for (let i = 0; i < this.handles.length; i++) rows.push(this.row(i));
    rows.sort((a, b) => key(b) - key(a) || a.index - b.index);
    return rows.slice(0, n);
  }
}

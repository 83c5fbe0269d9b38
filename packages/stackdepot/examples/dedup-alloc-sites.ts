/**
 * Deduplicating allocation-site stacks in a Node program with @mm/stackdepot.
 *
 * A tracked allocator records the stack of every allocation. Thousands of allocations come from
 * a handful of call sites, so the store keeps each distinct stack once and every allocation just
 * carries a 32-bit handle, as the kernel's page_owner does for pages.
 *
 * Run: pnpm tsx --conditions=@mm/source examples/dedup-alloc-sites.ts
 */
import { pathToFileURL } from "node:url";
import { createStackStore, type StackStore } from "@mm/stackdepot";

/** Bytes and count of live allocations per stack handle. */
export interface SiteReport {
  readonly allocations: number;
  readonly uniqueStacks: number;
  readonly sites: readonly { readonly handle: number; readonly count: number; readonly bytes: number; readonly frames: readonly string[] }[];
  readonly depotBytes: number;
  readonly lines: readonly string[];
}

/** A tiny allocation tracker: a handle per allocation, totals per handle. */
class TrackedHeap {
  readonly store: StackStore = createStackStore();
  readonly perSite = new Map<number, { count: number; bytes: number }>();
  allocations = 0;

  alloc(size: number): Buffer {
    const handle = this.store.captureStack(1); // skip alloc() itself: the caller is the site
    const site = this.perSite.get(handle);
    if (site === undefined) this.perSite.set(handle, { count: 1, bytes: size });
    else {
      site.count++;
      site.bytes += size;
    }
    this.allocations++;
    return Buffer.allocUnsafe(size);
  }
}

// Three "application" call sites.
function parseRequest(heap: TrackedHeap, i: number): Buffer {
  return heap.alloc(64 + (i % 7));
}
function renderPage(heap: TrackedHeap): Buffer {
  return heap.alloc(4096);
}
function cacheEntry(heap: TrackedHeap, i: number): Buffer {
  return i % 2 === 0 ? heap.alloc(256) : heap.alloc(512); // two call sites (columns differ)
}

/** Run a workload of `n` allocations and report the allocation sites, biggest first. */
export function runDemo(n = 3000): SiteReport {
  const heap = new TrackedHeap();
  const keep: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 3 === 0) keep.push(parseRequest(heap, i));
    else if (i % 3 === 1) keep.push(renderPage(heap));
    else keep.push(cacheEntry(heap, i));
  }
  const sites = [...heap.perSite]
    .map(([handle, s]) => ({ handle, ...s, frames: heap.store.get(handle) ?? [] }))
    .sort((a, b) => b.bytes - a.bytes);
  const stats = heap.store.stats();
  const lines = [`${heap.allocations} allocations from ${stats.stacks} unique stacks (${stats.frames} distinct frames)`];
  for (const s of sites) {
    lines.push(`${s.bytes} bytes in ${s.count} allocations, handle 0x${s.handle.toString(16)}:`);
    for (const f of s.frames.slice(0, 3)) lines.push(`  ${f}`);
  }
  return { allocations: heap.allocations, uniqueStacks: stats.stacks, sites, depotBytes: stats.depotBytes, lines };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of runDemo().lines) console.log(line);
}

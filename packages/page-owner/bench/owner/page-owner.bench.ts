// page_owner's own cost per allocation+free, against a baseline allocator measured in the same run.
// The allocator here is a minimal free-page stack (order 0, a few ns per call), so the ratios show
// page_owner's absolute overhead; the app bench (apps/mm-lab/bench/page-owner.bench.ts) gives the
// ratio against the real @mm/buddy. Real @mm/stackdepot; pools come from the same allocator, so a
// pool allocation re-enters page_owner as in the kernel.
import { type AllocHooks, GFP_KERNEL, type Gfp, type Order, type PageSource, type Pfn, ZONE_DMA32 } from "@mm/api";
import { createPageExt } from "@mm/page-ext";
import { createStackDepot } from "@mm/stackdepot";
import { bench, describe } from "vitest";
import {
  createPageOwner,
  depotStorage,
  inlineStorage,
  type OwnerMemoryView,
  type RecursionGuard,
  type ShadowTask,
  stackScanGuard,
  taskFlagGuard,
} from "../../src/index.js";

const PAGES = 1 << 15;
const N = 1024;

/** A task with a shadow stack kept outermost-first, read through frameAt (as @mm/sim's SimTask). */
class Task implements ShadowTask {
  flags = 0;
  private readonly frames = new Uint32Array(128);
  private d = 0;
  constructor(
    readonly pid: number,
    readonly comm: string,
  ) {}
  get tgid(): number {
    return this.pid;
  }
  get depth(): number {
    return this.d;
  }
  get stack(): Uint32Array {
    return this.frames.slice(0, this.d).reverse();
  }
  frameAt(i: number): number {
    return i >= 0 && i < this.d ? this.frames[this.d - 1 - i] : 0;
  }
  push(id: number): void {
    this.frames[this.d++] = id;
  }
  pop(): number {
    return this.frames[--this.d];
  }
}

/** Order-0 pages from a stack, order-2 pools from a bump pointer; hooks called like buddy does. */
class StackAllocator implements PageSource {
  private readonly free = new Int32Array(PAGES);
  private top = 0;
  private bump = PAGES / 2;
  hooks: AllocHooks | null = null;
  constructor() {
    for (let p = PAGES / 2 - 1; p >= 0; p--) this.free[this.top++] = p;
  }
  allocPages(order: Order, gfp: Gfp): Pfn {
    let pfn: number;
    if (order === 0) pfn = this.top > 0 ? this.free[--this.top] : -1;
    else if (this.bump + (1 << order) <= PAGES) {
      pfn = this.bump;
      this.bump += 1 << order;
    } else pfn = -1;
    if (pfn >= 0 && this.hooks !== null) this.hooks.postAlloc!(pfn, order, gfp);
    return pfn;
  }
  freePages(pfn: Pfn, order: Order): void {
    if (this.hooks !== null) this.hooks.freePrepare!(pfn, order);
    if (order === 0) this.free[this.top++] = pfn;
  }
}

const view: OwnerMemoryView = {
  startPfn: 0,
  endPfn: PAGES,
  zones: [{ node: 0, zone: ZONE_DMA32, name: "DMA32", startPfn: 0, endPfn: PAGES }],
  pfnValid: () => true,
  buddyOrder: () => -1,
  pageReserved: () => false,
  pageFlags: () => 0,
  pageZone: () => ZONE_DMA32,
  pageNode: () => 0,
  pageblockMigratetype: () => 0,
};

function rig(owner: null | { inline: boolean; guard: RecursionGuard; memo: boolean }): () => void {
  const texts: string[] = [""];
  const ids = new Map<string, number>();
  const symbols = {
    intern: (t: string) => ids.get(t) ?? (ids.set(t, texts.length), texts.push(t) - 1),
    symbolize: (id: number) => texts[id],
  };
  const tasks = Array.from({ length: 8 }, (_, i) => new Task(100 + i, `task${i}`));
  const alloc = Array.from({ length: 8 }, (_, i) => Array.from({ length: 15 }, (_, k) => symbols.intern(`a${i}_${k}+0x1/0x10`)));
  const free = Array.from({ length: 8 }, (_, i) => Array.from({ length: 8 }, (_, k) => symbols.intern(`f${i}_${k}+0x1/0x10`)));
  let cur = tasks[0];
  const m = new StackAllocator();
  if (owner !== null) {
    const pe = createPageExt({ ranges: [{ startPfn: 0, endPfn: PAGES }] });
    const depot = createStackDepot({ era: "v6.1", pageSource: m, memoryBytes: PAGES * 4096 });
    const po = createPageOwner({
      pageExt: pe,
      era: "6.1",
      storage: owner.inline ? inlineStorage() : depotStorage(depot),
      guard: owner.guard,
      traceMemo: owner.memo,
      tasks: { current: () => cur },
      clock: { now: () => 1 },
      symbols,
      memory: view,
    });
    m.hooks = po.hooks;
    pe.init();
  }
  const pfns = new Int32Array(N);
  const run = (): void => {
    for (let i = 0; i < N; i++) {
      const t = (cur = tasks[i & 7]);
      const tr = alloc[i & 7];
      for (let k = tr.length - 1; k >= 0; k--) t.push(tr[k]);
      pfns[i] = m.allocPages(0, GFP_KERNEL);
      for (let k = 0; k < tr.length; k++) t.pop();
    }
    for (let i = 0; i < N; i++) {
      const t = (cur = tasks[i & 7]);
      const tr = free[i & 7];
      for (let k = tr.length - 1; k >= 0; k--) t.push(tr[k]);
      m.freePages(pfns[i], 0);
      for (let k = 0; k < tr.length; k++) t.pop();
    }
  };
  run(); // fill the depot first: a running kernel mostly hits existing stacks
  return run;
}

describe(`page_owner hooks, alloc+free x${N} order 0 (6.1 record, 8 call sites)`, () => {
  const bare = rig(null);
  // Kernel-faithful rows first: every save hashes with jhash2 and walks a bucket, as the kernel.
  const flagDepot = rig({ inline: false, guard: taskFlagGuard(), memo: false });
  const scanDepot = rig({ inline: false, guard: stackScanGuard(), memo: false });
  const flagInline = rig({ inline: true, guard: taskFlagGuard(), memo: false });
  const scanInline = rig({ inline: true, guard: stackScanGuard(), memo: false });
  // The labelled model-only option: a trace -> handle memo in front of the depot.
  const flagDepotMemo = rig({ inline: false, guard: taskFlagGuard(), memo: true });
  bench("minimal allocator, no page_owner (baseline)", bare);
  bench("per-task flag guard + depot handle", flagDepot);
  bench("per-task flag guard + depot handle + trace memo (model-only option)", flagDepotMemo);
  bench("stack-scan guard + depot handle", scanDepot);
  bench("per-task flag guard + 8 inline frames", flagInline);
  bench("stack-scan guard + 8 inline frames", scanInline);
});

/**
 * Small stand-ins for @mm/sim, @mm/buddy and @mm/stackdepot, enough to drive page_owner in its own
 * package tests (the app tests wire the real packages). The machine calls AllocHooks like buddy,
 * pushing the kernel's allocator frames on the current task, and doubles as page_owner's memory view
 * and as the depot's page source, so depot pool allocations re-enter page_owner for real.
 */
import { type AllocHooks, type Gfp, MmError, type Order, type PageSource, type Pfn, ZONE_DMA32 } from "@mm/api";
import type { OwnerDepot, OwnerMemcg, OwnerMemoryView, OwnerZone, ShadowTask, ShadowTaskContext } from "../../src/index.js";

export class FakeTask implements ShadowTask {
  flags = 0;
  /** Outermost first. */
  private readonly frames: number[] = [];
  constructor(
    readonly pid: number,
    readonly tgid: number,
    readonly comm: string,
    /** Overflow guard, like a real kernel stack. */
    readonly capacity = 256,
  ) {}
  get stack(): Uint32Array {
    return Uint32Array.from(this.frames).reverse();
  }
  get depth(): number {
    return this.frames.length;
  }
  push(id: number): void {
    if (this.frames.length === this.capacity) throw new MmError("BAD_STATE", `stack overflow in ${this.comm}`);
    this.frames.push(id);
  }
  pop(): number {
    const id = this.frames.pop();
    if (id === undefined) throw new MmError("BAD_STATE", "stack underflow");
    return id;
  }
}

export class FakeTasks implements ShadowTaskContext {
  cur: FakeTask;
  constructor(cur: FakeTask) {
    this.cur = cur;
  }
  current(): FakeTask {
    return this.cur;
  }
}

/** The depot's own frame interner stands in for @mm/sim's symbol table (same SymbolTable contract). */
import { SymbolInterner as FakeSymbols } from "@mm/stackdepot";
export { FakeSymbols };

export class FakeClock {
  t = 0;
  now(): number {
    return this.t;
  }
}

export const ALLOC_FRAMES = ["get_page_from_freelist+0x41c/0xf00", "__alloc_pages+0x1d7/0x330"];
export const FREE_FRAMES = ["free_pcp_prepare+0x1f2/0x2a0", "free_unref_page+0x1d/0x130"];

/** A first-fit page allocator over [0, nrPages) in one DMA32 zone that calls AllocHooks. */
export class FakeMachine implements PageSource, OwnerMemoryView {
  readonly startPfn = 0;
  readonly endPfn: Pfn;
  readonly zones: OwnerZone[];
  /** 1 = allocated or reserved. */
  readonly used: Uint8Array;
  readonly blockOrder: Int8Array;
  readonly reserved: Uint8Array;
  readonly pflags: Uint32Array;
  readonly pbMt: Uint8Array;
  readonly memcgs = new Map<Pfn, OwnerMemcg>();
  hooks: AllocHooks[] = [];
  /** Fail every allocation of at least this order (pool allocation failure injection). */
  failFromOrder = 99;
  allocs = 0;
  private readonly allocIds: number[];
  private readonly freeIds: number[];

  constructor(
    readonly nrPages: number,
    private readonly tasks: FakeTasks,
    symbols: FakeSymbols,
  ) {
    this.endPfn = nrPages;
    this.zones = [{ node: 0, zone: ZONE_DMA32, name: "DMA32", startPfn: 0, endPfn: nrPages }];
    this.used = new Uint8Array(nrPages);
    this.blockOrder = new Int8Array(nrPages).fill(-1);
    this.reserved = new Uint8Array(nrPages);
    this.pflags = new Uint32Array(nrPages);
    this.pbMt = new Uint8Array(Math.ceil(nrPages / 512));
    this.allocIds = ALLOC_FRAMES.map((f) => symbols.intern(f));
    this.freeIds = FREE_FRAMES.map((f) => symbols.intern(f));
  }

  private withFrames<R>(ids: readonly number[], fn: () => R): R {
    const t = this.tasks.current();
    for (let i = ids.length - 1; i >= 0; i--) t.push(ids[i]);
    try {
      return fn();
    } finally {
      for (let i = 0; i < ids.length; i++) t.pop();
    }
  }

  /** Take a block without calling hooks (boot-time allocations before page_owner). */
  grab(order: Order): Pfn {
    const n = 1 << order;
    for (let p = 0; p + n <= this.nrPages; p += n) {
      let ok = true;
      for (let i = 0; i < n && ok; i++) if (this.used[p + i]) ok = false;
      if (!ok) continue;
      this.used.fill(1, p, p + n);
      this.blockOrder[p] = order;
      return p;
    }
    return -1;
  }

  allocPages(order: Order, gfp: Gfp): Pfn {
    if (order >= this.failFromOrder) return -1;
    const pfn = this.grab(order);
    if (pfn < 0) return -1;
    this.allocs++;
    this.withFrames(this.allocIds, () => {
      for (const h of this.hooks) h.postAlloc?.(pfn, order, gfp);
    });
    return pfn;
  }

  freePages(pfn: Pfn, order: Order): void {
    if (this.blockOrder[pfn] !== order) throw new MmError("WRONG_ORDER", `free ${pfn}/${order}, have ${this.blockOrder[pfn]}`);
    this.withFrames(this.freeIds, () => {
      for (const h of this.hooks) h.freePrepare?.(pfn, order);
    });
    this.used.fill(0, pfn, pfn + (1 << order));
    this.blockOrder[pfn] = -1;
  }

  splitPage(pfn: Pfn, order: Order): void {
    for (const h of this.hooks) h.split?.(pfn, order);
    for (let p = pfn; p < pfn + (1 << order); p++) this.blockOrder[p] = 0;
  }

  /** Allocate a target, let hooks copy, free the old block: the migration sequence. */
  migratePage(pfn: Pfn, reason: number, gfp: Gfp): Pfn {
    const order = this.blockOrder[pfn];
    const target = this.allocPages(order, gfp);
    if (target < 0) return -12;
    for (const h of this.hooks) h.migrate?.(pfn, target, order, reason);
    this.freePages(pfn, order);
    return target;
  }

  pfnValid(pfn: Pfn): boolean {
    return pfn >= 0 && pfn < this.nrPages;
  }
  buddyOrder(pfn: Pfn): Order {
    return this.used[pfn] === 0 ? 0 : -1;
  }
  pageReserved(pfn: Pfn): boolean {
    return this.reserved[pfn] === 1;
  }
  pageFlags(pfn: Pfn): number {
    return this.pflags[pfn];
  }
  pageZone(): number {
    return ZONE_DMA32;
  }
  pageNode(): number {
    return 0;
  }
  pageblockMigratetype(pfn: Pfn): number {
    return this.pbMt[pfn >> 9];
  }
  memcg(pfn: Pfn): OwnerMemcg | null {
    return this.memcgs.get(pfn) ?? null;
  }
}

/**
 * A deduplicating depot drawing 16 KiB pools (order 2) from a page source, keeping one spare pool,
 * failing when the source fails or the cap is reached. Re-entrant like lib/stackdepot.c: the pool is
 * allocated before the record is inserted, so a nested save can run in between.
 */
export class FakeDepot implements OwnerDepot {
  private readonly byKey = new Map<string, number>();
  private readonly frames: Uint32Array[] = [new Uint32Array(0)];
  pools = 0;
  spare = -1;
  private used = 0;
  readonly poolPfns: number[] = [];
  saves = 0;
  constructor(
    private readonly source: PageSource,
    /** Records per 16 KiB pool. */
    private readonly perPool = 4,
    public maxPools = 1024,
  ) {}
  save(entries: Uint32Array, n: number, gfp: Gfp): number {
    this.saves++;
    const key = Array.prototype.join.call(entries.subarray(0, n), ",");
    const hit = this.byKey.get(key);
    if (hit !== undefined) return hit;
    const copy = entries.slice(0, n);
    let prealloc = -1;
    const full = this.pools === 0 || this.used === this.perPool;
    if (full && this.spare < 0 && this.pools < this.maxPools) prealloc = this.source.allocPages(2, gfp);
    const again = this.byKey.get(key);
    if (again !== undefined) {
      if (prealloc >= 0) this.keepSpare(prealloc);
      return again;
    }
    if (this.pools === 0 || this.used === this.perPool) {
      let pool = this.spare;
      if (pool >= 0) this.spare = -1;
      else if (prealloc >= 0) {
        pool = prealloc;
        prealloc = -1;
      }
      if (pool < 0 || this.pools >= this.maxPools) {
        if (pool >= 0) this.keepSpare(pool);
        if (prealloc >= 0) this.keepSpare(prealloc);
        return 0;
      }
      this.pools++;
      this.poolPfns.push(pool);
      this.used = 0;
    }
    if (prealloc >= 0) this.keepSpare(prealloc);
    this.used++;
    const handle = (this.frames.length << 1) | 1;
    this.frames.push(copy);
    this.byKey.set(key, handle);
    return handle;
  }
  private keepSpare(pfn: number): void {
    if (this.spare < 0) this.spare = pfn;
    else this.source.freePages(pfn, 2);
  }
  fetch(handle: number, out: Uint32Array): number {
    const f = this.frames[handle >>> 1];
    if ((handle & 1) === 0 || f === undefined) return 0;
    out.set(f);
    return f.length;
  }
  get records(): number {
    return this.byKey.size;
  }
}

/**
 * page_owner: who allocated (and freed) each page, kept in page_ext, with stacks from the current
 * task's shadow stack. Kernel: mm/page_owner.c (__set_page_owner, __reset_page_owner,
 * __split_page_owner, __folio_copy_owner, set_page_owner_migrate_reason, init_page_owner,
 * init_pages_in_zone, inc/dec_stack_record_count).
 */
import {
  type AllocHooks,
  type Clock,
  GFP_KERNEL,
  GFP_NOWAIT,
  type Gfp,
  MIGRATE_REASON_NAMES,
  MAX_PAGE_ORDER,
  type MigrateReason,
  MmError,
  type Order,
  type Pfn,
  type SymbolTable,
  TASK_IN_PAGE_OWNER,
  __GFP_NOWARN,
} from "@mm/api";
import { PAGE_EXT_OWNER, PAGE_EXT_OWNER_ALLOCATED, type PageExt, type PageExtClient } from "@mm/page-ext";
import {
  DUMMY_STACK_DEPTH,
  PAGE_OWNER_STACK_DEPTH,
  type OwnerDepot,
  type OwnerEra,
  type OwnerMemoryView,
  type OwnerRecord,
  type PageOwnerOptions,
  type RecursionGuard,
  type ShadowTask,
  type ShadowTaskContext,
  type StackStorage,
} from "./api.js";
import { ERA_TRAITS, type EraTraits, OWN_FRAME_TEXT, ownerClientSize, storageDepth } from "./era.js";
import { GUARD_STACK_SCAN, GUARD_TASK_FLAG, guardKind, scanTwice, stackScanGuard, taskFlagGuard } from "./guards.js";
import { inlineStorage } from "./storage.js";
import { StackCounts } from "./stack-counts.js";
import { MEMO_KEY_SEED, memoMix, TraceMemo } from "./trace-memo.js";

/** PAGE_EXT_OWNER | PAGE_EXT_OWNER_ALLOCATED as a mask. */
const OWNER_BITS = (1 << PAGE_EXT_OWNER) | (1 << PAGE_EXT_OWNER_ALLOCATED);
/** ~PAGE_EXT_OWNER_ALLOCATED. */
const CLEAR_ALLOCATED = ~(1 << PAGE_EXT_OWNER_ALLOCATED);
/** ~(both bits): before ~5.4 a free cleared PAGE_EXT_OWNER itself. */
const CLEAR_OWNER = ~OWNER_BITS;
/** The gfp __reset_page_owner hands save_stack: free paths must not sleep. */
const FREE_STACK_GFP: Gfp = GFP_NOWAIT | __GFP_NOWARN;
// Module-local copies of what the hot path uses: under a module runner (vitest) every read of an
// imported binding is a getter call, which costs more than the work it guards.
const IN_PAGE_OWNER = TASK_IN_PAGE_OWNER;
const NOT_IN_PAGE_OWNER = ~TASK_IN_PAGE_OWNER;
const KEY_SEED = MEMO_KEY_SEED;
const mix = memoMix;
const scanRecursion = scanTwice;
const STACK_DEPTH = PAGE_OWNER_STACK_DEPTH;
/** guardKind() values, local for the same reason. */
const KIND_TASK_FLAG = GUARD_TASK_FLAG;
const KIND_STACK_SCAN = GUARD_STACK_SCAN;
/** Up to this many pages a record is written with plain stores rather than fill() calls. */
const SMALL_RUN = 16;

/** page_owner's page_ext fields (struct-of-arrays; the C layout is only accounted). */
const DEPOT_FIELDS = {
  order: { kind: "u8" },
  reason: { kind: "i8" },
  gfp: { kind: "u32" },
  handle: { kind: "u32" },
  freeHandle: { kind: "u32" },
  ts: { kind: "f64" },
  freeTs: { kind: "f64" },
  comm: { kind: "u32" },
  pid: { kind: "i32" },
  tgid: { kind: "i32" },
  freePid: { kind: "i32" },
  freeTgid: { kind: "i32" },
} as const;
const INLINE_FIELDS = {
  ...DEPOT_FIELDS,
  nrEntries: { kind: "u8" },
  trace: { kind: "u32", per: 8 },
} as const;
type OwnerFields = typeof INLINE_FIELDS;

/** Internal state the text printers read (same package, not exported from the package). */
export interface OwnerState {
  readonly traits: EraTraits;
  readonly memory: OwnerMemoryView;
  readonly symbols: SymbolTable;
  readonly pageExt: PageExt;
  readonly flags: Uint32Array;
  readonly order: Uint8Array;
  readonly reason: Int8Array;
  readonly gfp: Uint32Array;
  readonly handle: Uint32Array;
  readonly freeHandle: Uint32Array;
  readonly ts: Float64Array;
  readonly freeTs: Float64Array;
  readonly comm: Uint32Array;
  readonly pid: Int32Array;
  readonly tgid: Int32Array;
  readonly freePid: Int32Array;
  readonly freeTgid: Int32Array;
  readonly counts: StackCounts | null;
  commText(id: number): string;
  /** Allocation stack of a page into `out`; returns the frame count. */
  allocStack(pfn: Pfn, out: Uint32Array): number;
  /** Frames of a depot handle into `out`. */
  fetch(handle: number, out: Uint32Array): number;
}

/** Counters a run can report. */
export interface OwnerStats {
  /** Pages marked by init_pages_in_zone, per populated zone in zone order. */
  readonly earlyPages: readonly number[];
  /** save_stack calls that returned dummy_handle (recursion caught). */
  readonly dummy: number;
  /** save_stack calls that got 0 from the depot (failure_handle stored). */
  readonly failure: number;
  /** save_stack calls that reached the depot. */
  readonly saves: number;
}

/** What census() counts. */
export interface OwnerCensus {
  readonly owned: number;
  readonly allocated: number;
  /** Allocated pages with dummy_handle (page_owner's and the depot's own pages). */
  readonly dummy: number;
  /** Allocated pages with failure_handle. */
  readonly failure: number;
  /** Allocated pages with early_handle. */
  readonly early: number;
}

export class PageOwner {
  /** The AllocHooks to add to the allocator (no-ops until init, as the kernel's static key). */
  readonly hooks: AllocHooks;
  readonly era: OwnerEra;
  readonly traits: EraTraits;
  readonly storage: StackStorage;
  readonly guard: RecursionGuard;
  /** page_owner's page_ext client. */
  readonly client: PageExtClient<OwnerFields>;
  /** Bytes per page page_owner adds to page_ext (the era's C layout). */
  readonly clientSize: number;
  /** `page_owner_inited`: init ran (the static key is on). */
  inited = false;
  dummyHandle = 0;
  failureHandle = 0;
  earlyHandle = 0;
  /** count_threshold of page_owner_stacks (6.9+). */
  countThreshold = 0;

  private readonly enabled: boolean;
  private readonly depot: OwnerDepot | null;
  private readonly tasks: ShadowTaskContext;
  private readonly clock: Clock;
  private readonly symbols: SymbolTable;
  private readonly memory: OwnerMemoryView;
  private readonly pageExt: PageExt;
  private readonly log: (line: string) => void;
  private readonly onUnwind: (() => void) | null;
  private readonly depth: number;
  private readonly skip: number;
  /** guardKind(guard): the built-in guards run inline on the hot path (same effects, no calls). */
  private readonly guardKind: number;
  /** Scratch for init-time captures. */
  private readonly raw = new Uint32Array(PAGE_OWNER_STACK_DEPTH + 8);
  /**
   * save_stack's on-stack `entries[]`, one buffer per nesting level: the depot may re-enter
   * page_owner while the outer call's entries are still in use.
   */
  private readonly levels: Uint32Array<ArrayBuffer>[] = [];
  private level = 0;
  /** The buffer and frame count the last save_stack left (inline storage reads them). */
  private lastBuf: Uint32Array<ArrayBuffer> = this.raw;
  private rawN = 0;
  /** Frame ids of page_owner's own frames, interned once. */
  private readonly allocOuter: number;
  private readonly allocInner: number;
  private readonly freeOuter: number;
  private readonly freeInner: number;
  /** Interned comm strings (char comm[16] in the kernel). */
  private readonly comms: string[] = [""];
  private readonly commIds = new Map<string, number>();
  private lastComm = "";
  private lastCommId = 0;
  // Per-page arrays, bound in init (typed as empty until then).
  private flags = new Uint32Array(0);
  private order = new Uint8Array(0);
  private reason = new Int8Array(0);
  private gfp = new Uint32Array(0);
  private handle = new Uint32Array(0);
  private freeHandle = new Uint32Array(0);
  private ts = new Float64Array(0);
  private freeTs = new Float64Array(0);
  private comm = new Uint32Array(0);
  private pid = new Int32Array(0);
  private tgid = new Int32Array(0);
  private freePid = new Int32Array(0);
  private freeTgid = new Int32Array(0);
  private nrEntries = new Uint8Array(0);
  private trace = new Uint32Array(0);
  private readonly inline: boolean;
  /** trace -> handle memo in front of the depot, or null. */
  private readonly memo: TraceMemo | null;
  /** Per-stack base-page counts (6.9+), or null. */
  private counts: StackCounts | null = null;
  private stats = { earlyPages: [] as number[], dummy: 0, failure: 0, saves: 0 };

  constructor(options: PageOwnerOptions) {
    const era = options.era ?? "6.1";
    const traits = ERA_TRAITS[era];
    if (traits === undefined) throw new MmError("BAD_CONFIG", `unknown page_owner era ${String(era)}`);
    this.era = era;
    this.traits = traits;
    this.storage = options.storage ?? (era === "v4.6" ? inlineStorage() : requireDepotStorage());
    this.inline = this.storage.kind === "inline8";
    this.depot = this.storage.depot;
    if (!this.inline && this.depot === null) throw new MmError("BAD_CONFIG", "depot storage needs a depot");
    if (this.inline && traits.stackCounts)
      throw new MmError("BAD_CONFIG", `era ${era} counts stacks per depot handle; inline storage has none`);
    this.guard = options.guard ?? (era === "v4.6" || era === "v4.7" ? stackScanGuard() : taskFlagGuard());
    this.guardKind = guardKind(this.guard);
    this.enabled = options.enabled ?? true;
    this.tasks = options.tasks;
    this.clock = options.clock;
    this.symbols = options.symbols;
    this.memory = options.memory;
    this.pageExt = options.pageExt;
    this.log = options.log ?? (() => {});
    this.onUnwind = options.onUnwind ?? null;
    this.depth = storageDepth(this.storage);
    this.memo = !this.inline && (options.traceMemo ?? true) ? new TraceMemo() : null;
    this.skip = traits.skip;
    const sym = (name: string): number => this.symbols.intern(OWN_FRAME_TEXT[name]);
    this.allocOuter = sym(traits.allocFrames[0]);
    this.allocInner = sym(traits.allocFrames[1]);
    this.freeOuter = sym(traits.freeFrames[0]);
    this.freeInner = sym(traits.freeFrames[1]);
    this.clientSize = ownerClientSize(era, this.storage);
    const fields = (this.inline ? INLINE_FIELDS : DEPOT_FIELDS) as OwnerFields;
    this.client = this.pageExt.register({
      name: "page_owner",
      size: this.clientSize,
      needSharedFlags: true,
      fields,
      need: () => this.enabled,
      init: () => this.init(),
    });
    this.hooks = {
      postAlloc: (pfn, order, gfp) => this.setPageOwner(pfn, order, gfp),
      freePrepare: (pfn, order) => this.resetPageOwner(pfn, order),
      split: (pfn, order) => this.splitPageOwner(pfn, order),
      migrate: (oldPfn, newPfn, order, reason) => this.migratePageOwner(oldPfn, newPfn, order, reason),
    };
  }

  /** Counters for reports. */
  get counters(): OwnerStats {
    return { ...this.stats, earlyPages: [...this.stats.earlyPages] };
  }

  /** init_page_owner(): the page_ext init callback. */
  private init(): void {
    const d = this.client.data;
    this.flags = this.client.flags as Uint32Array<ArrayBuffer>;
    this.order = d.order;
    this.reason = d.reason;
    this.gfp = d.gfp;
    this.handle = d.handle;
    this.freeHandle = d.freeHandle;
    this.ts = d.ts;
    this.freeTs = d.freeTs;
    this.comm = d.comm;
    this.pid = d.pid;
    this.tgid = d.tgid;
    this.freePid = d.freePid;
    this.freeTgid = d.freeTgid;
    if (this.inline) {
      this.nrEntries = d.nrEntries;
      this.trace = d.trace;
    }
    if (!this.inline) {
      // register_dummy_stack / register_failure_stack / register_early_stack: distinct noinline
      // sites so the three traces differ. Saved with GFP_KERNEL; a depot pool taken here is an
      // untracked (early) page, since the static key is still off.
      this.dummyHandle = this.registerSpecial("register_dummy_stack", "init_page_owner_dummy");
      this.failureHandle = this.registerSpecial("register_failure_stack", "init_page_owner_failure");
      this.earlyHandle = this.registerSpecial("register_early_stack", "init_page_owner_early");
    }
    if (this.traits.stackCounts) {
      // dummy and failure start in stack_list with refcount 1 (count 0); new stacks go in front.
      this.counts = new StackCounts(this.log);
      this.counts.seed(this.failureHandle);
      this.counts.seed(this.dummyHandle);
    }
    this.inited = true;
    this.initEarlyAllocatedPages();
  }

  private registerSpecial(fn: string, caller: string): number {
    const task = this.tasks.current();
    task.push(this.symbols.intern(OWN_FRAME_TEXT[caller]));
    task.push(this.symbols.intern(OWN_FRAME_TEXT[fn]));
    try {
      // create_dummy_stack(): stack_trace_save(entries, 4, 0), then stack_depot_save(GFP_KERNEL).
      const n = this.copyStack(task, 0, DUMMY_STACK_DEPTH, this.raw);
      return (this.depot as OwnerDepot).save(this.raw, n, GFP_KERNEL);
    } finally {
      task.pop();
      task.pop();
    }
  }

  /** init_early_allocated_pages() -> init_pages_in_zone() for each populated zone. */
  private initEarlyAllocatedPages(): void {
    const mem = this.memory;
    for (const z of mem.zones) {
      let count = 0;
      let pfn = z.startPfn;
      const end = z.endPfn;
      while (pfn < end) {
        if (!mem.pfnValid(pfn)) {
          pfn = alignUp(pfn + 1, 1 << MAX_PAGE_ORDER);
          continue;
        }
        const blockEnd = Math.min(alignUp(pfn + 1, 512), end);
        for (; pfn < blockEnd; pfn++) {
          if (mem.pageZone(pfn) !== z.zone || mem.pageNode(pfn) !== z.node) continue;
          const bo = mem.buddyOrder(pfn);
          if (bo >= 0) {
            if (bo > 0 && bo <= MAX_PAGE_ORDER) pfn += (1 << bo) - 1;
            continue;
          }
          if (mem.pageReserved(pfn)) continue;
          if (!this.pageExt.hasPageExt(pfn)) continue;
          if ((this.flags[pfn] & (1 << PAGE_EXT_OWNER)) !== 0) continue; // overlapping zone
          this.markEarly(pfn);
          count++;
        }
      }
      this.stats.earlyPages.push(count);
      this.log(`Node ${z.node}, zone ${z.name.padStart(8)}: page owner found early allocated ${count} pages`);
    }
  }

  /** __set_page_owner_handle(page_ext, early_handle, 0, 0) for one page. */
  private markEarly(pfn: Pfn): void {
    const task = this.tasks.current();
    if (this.inline) {
      // v3.19-v4.6 captured the init path's own trace for early pages.
      const t = this.raw;
      task.push(this.symbols.intern(OWN_FRAME_TEXT.init_page_owner_early));
      task.push(this.symbols.intern(OWN_FRAME_TEXT.register_early_stack));
      const n = this.copyStack(task, 0, DUMMY_STACK_DEPTH, t);
      task.pop();
      task.pop();
      this.nrEntries[pfn] = n;
      this.trace.set(t.subarray(0, n), pfn * 8);
    }
    this.writeAlloc(pfn, pfn + 1, this.earlyHandle, 0, 0, task);
  }

  /** stack_trace_save over the shadow stack: frames [skip, skip + max) innermost first into out. */
  private copyStack(task: ShadowTask, skip: number, max: number, out: Uint32Array): number {
    const depth = task.depth;
    let n = depth - skip;
    if (n > max) n = max;
    if (n <= 0) return 0;
    if (task.frameAt !== undefined) {
      // No intermediate innermost-first copy of the whole stack.
      for (let i = 0; i < n; i++) out[i] = task.frameAt(skip + i);
    } else {
      const st = task.stack;
      for (let i = 0; i < n; i++) out[i] = st[skip + i];
    }
    return n;
  }

  /**
   * save_stack(gfp): the guard, the capture, the depot. Own frames are on the shadow stack for the
   * whole call, so a depot pool allocation made here sees them (that is what the 2016 scan finds).
   * Returns the handle to store; for inline storage the frames are left in lastBuf (count in rawN).
   */
  private saveStack(task: ShadowTask, outer: number, inner: number, gfp: Gfp): number {
    task.push(outer);
    task.push(inner);
    const kind = this.guardKind;
    if (kind === KIND_TASK_FLAG) {
      // taskFlagGuard's enter/leave, inline.
      if ((task.flags & IN_PAGE_OWNER) !== 0) {
        task.pop();
        task.pop();
        this.stats.dummy++;
        this.rawN = 0;
        return this.dummyHandle;
      }
      task.flags |= IN_PAGE_OWNER;
      try {
        return this.captureAndSave(task, outer, gfp);
      } finally {
        task.flags &= NOT_IN_PAGE_OWNER;
        task.pop();
        task.pop();
      }
    }
    if (kind === KIND_STACK_SCAN) {
      // stackScanGuard's enter/leave do nothing; its scan runs in captureAndSave.
      try {
        return this.captureAndSave(task, outer, gfp);
      } finally {
        task.pop();
        task.pop();
      }
    }
    const guard = this.guard;
    let entered = false;
    try {
      if (guard.enter(task)) {
        this.stats.dummy++;
        this.rawN = 0;
        return this.dummyHandle;
      }
      entered = true;
      return this.captureAndSave(task, outer, gfp);
    } finally {
      if (entered) guard.leave(task);
      task.pop();
      task.pop();
    }
  }

  private captureAndSave(task: ShadowTask, outer: number, gfp: Gfp): number {
    if (this.onUnwind !== null) this.onUnwind();
    const kind = this.guardKind;
    if (kind === KIND_TASK_FLAG ? false : kind === KIND_STACK_SCAN ? scanRecursion(task, outer) : this.guard.scan(task, outer)) {
      this.stats.dummy++;
      this.rawN = 0;
      return this.dummyHandle;
    }
    let buf = this.levels[this.level];
    if (buf === undefined) this.levels.push((buf = new Uint32Array(STACK_DEPTH)));
    // entries[0..n) = the shadow stack from `skip`, at most `depth` frames (stack_trace_save).
    const depth = task.depth;
    const skip = this.skip;
    let n = depth - skip;
    if (n > this.depth) n = this.depth;
    if (n < 0) n = 0;
    let key = KEY_SEED;
    if (task.frameAt !== undefined) {
      for (let i = 0; i < n; i++) key = mix(key, (buf[i] = task.frameAt(skip + i)));
    } else {
      const st = task.stack;
      for (let i = 0; i < n; i++) key = mix(key, (buf[i] = st[skip + i]));
    }
    key = (key ^ n) | 0;
    this.rawN = n;
    this.lastBuf = buf;
    if (this.inline) return 0;
    this.stats.saves++;
    const memo = this.memo;
    if (memo !== null) {
      const hit = memo.lookupKeyed(buf, n, key);
      if (hit !== 0) return hit;
    }
    // The depot may allocate and re-enter page_owner right here: nested calls use the next buffer.
    this.level++;
    let h: number;
    try {
      h = (this.depot as OwnerDepot).save(buf, n, gfp);
    } finally {
      this.level--;
    }
    // A nested call may have used the memo meanwhile: look the slot up again before inserting.
    if (memo !== null && h !== 0 && memo.lookupKeyed(buf, n, key) === 0) memo.insert(buf, n, h);
    if (h === 0) {
      this.stats.failure++;
      return this.failureHandle;
    }
    return h;
  }

  /** Write an allocation record over [pfn, end) (__set_page_owner_handle / __update_page_owner_handle). */
  private writeAlloc(pfn: Pfn, end: Pfn, handle: number, order: Order, gfp: Gfp, task: ShadowTask): void {
    const ts = this.clock.now();
    const commId = this.commId(task.comm);
    const pid = task.pid;
    const tgid = task.tgid;
    if (end - pfn <= SMALL_RUN) {
      // Orders 0-4, the common case: plain stores beat eight fill() calls.
      const handleA = this.handle;
      const orderA = this.order;
      const gfpA = this.gfp;
      const reasonA = this.reason;
      const pidA = this.pid;
      const tgidA = this.tgid;
      const tsA = this.ts;
      const commA = this.comm;
      const flags = this.flags;
      for (let p = pfn; p < end; p++) {
        handleA[p] = handle;
        orderA[p] = order;
        gfpA[p] = gfp;
        reasonA[p] = -1;
        pidA[p] = pid;
        tgidA[p] = tgid;
        tsA[p] = ts;
        commA[p] = commId;
        flags[p] |= OWNER_BITS;
      }
      return;
    }
    this.handle.fill(handle, pfn, end);
    this.order.fill(order, pfn, end);
    this.gfp.fill(gfp, pfn, end);
    this.reason.fill(-1, pfn, end);
    this.pid.fill(pid, pfn, end);
    this.tgid.fill(tgid, pfn, end);
    this.ts.fill(ts, pfn, end);
    this.comm.fill(commId, pfn, end);
    const flags = this.flags;
    for (let p = pfn; p < end; p++) flags[p] |= OWNER_BITS;
  }

  /** set_page_owner (post_alloc_hook). */
  private setPageOwner(pfn: Pfn, order: Order, gfp: Gfp): void {
    if (!this.inited || !this.pageExt.hasPageExt(pfn)) return;
    const task = this.tasks.current();
    const handle = this.saveStack(task, this.allocOuter, this.allocInner, gfp);
    const end = pfn + (1 << order);
    if (this.inline) {
      const n = this.rawN;
      const buf = this.lastBuf;
      const tr = this.trace;
      for (let p = pfn; p < end; p++) {
        const base = p * 8;
        for (let i = 0; i < n; i++) tr[base + i] = buf[i];
        this.nrEntries[p] = n;
      }
    }
    this.writeAlloc(pfn, end, handle, order, gfp, task);
    if (this.counts !== null) this.counts.inc(handle, 1 << order);
  }

  /** reset_page_owner (free_pages_prepare). */
  private resetPageOwner(pfn: Pfn, order: Order): void {
    if (!this.inited || !this.pageExt.hasPageExt(pfn)) return;
    const end = pfn + (1 << order);
    const flags = this.flags;
    if (!this.traits.recordsFree) {
      // Before ~5.4 the free only cleared PAGE_EXT_OWNER: no stack, no history.
      for (let p = pfn; p < end; p++) flags[p] &= CLEAR_OWNER;
      return;
    }
    const task = this.tasks.current();
    const oldHandle = this.handle[pfn];
    const freeTs = this.clock.now();
    const h = this.inline ? 0 : this.saveStack(task, this.freeOuter, this.freeInner, FREE_STACK_GFP);
    if (end - pfn <= SMALL_RUN) {
      // Orders 0-4: plain stores beat fill() calls.
      const freeHandle = this.freeHandle;
      const freeTsA = this.freeTs;
      for (let p = pfn; p < end; p++) {
        flags[p] &= CLEAR_ALLOCATED;
        freeHandle[p] = h;
        freeTsA[p] = freeTs;
      }
      if (this.traits.freePids) {
        const pid = task.pid;
        const tgid = task.tgid;
        const freePid = this.freePid;
        const freeTgid = this.freeTgid;
        for (let p = pfn; p < end; p++) {
          freePid[p] = pid;
          freeTgid[p] = tgid;
        }
      }
    } else {
      for (let p = pfn; p < end; p++) flags[p] &= CLEAR_ALLOCATED;
      this.freeHandle.fill(h, pfn, end);
      this.freeTs.fill(freeTs, pfn, end);
      if (this.traits.freePids) {
        this.freePid.fill(task.pid, pfn, end);
        this.freeTgid.fill(task.tgid, pfn, end);
      }
    }
    if (this.counts !== null && oldHandle !== this.earlyHandle) this.counts.dec(oldHandle, 1 << order);
  }

  /** split_page_owner: every piece becomes order 0 and keeps the original stack. */
  private splitPageOwner(pfn: Pfn, order: Order): void {
    if (!this.inited || !this.pageExt.hasPageExt(pfn)) return;
    this.order.fill(0, pfn, pfn + (1 << order));
  }

  /** folio_copy_owner + set_page_owner_migrate_reason, after a successful migration. */
  private migratePageOwner(oldPfn: Pfn, newPfn: Pfn, order: Order, reason: MigrateReason): void {
    if (!this.inited || !this.pageExt.hasPageExt(oldPfn) || !this.pageExt.hasPageExt(newPfn)) return;
    if (!this.traits.folioCopy) {
      // 6.1 __folio_copy_owner: the head record only; free_ts takes the old *ts* (a quirk of 6.0-6.10).
      this.copyOne(oldPfn, newPfn);
      this.freeTs[newPfn] = this.ts[oldPfn];
      this.flags[newPfn] |= OWNER_BITS;
    } else {
      // 6.9+: every sub-page; the new folio takes the original stack, the old one the stack that
      // allocated the destination, so both frees balance the counts.
      const n = 1 << this.order[oldPfn];
      const migrateHandle = this.handle[newPfn];
      for (let i = 0; i < n; i++) {
        this.copyOne(oldPfn, newPfn + i);
        this.freeTs[newPfn + i] = this.freeTs[oldPfn];
        this.freePid[newPfn + i] = this.freePid[oldPfn];
        this.freeTgid[newPfn + i] = this.freeTgid[oldPfn];
        this.flags[newPfn + i] |= OWNER_BITS;
      }
      this.handle.fill(migrateHandle, oldPfn, oldPfn + n);
    }
    void order;
    // set_page_owner_migrate_reason(newpage, reason): the head only.
    this.reason[newPfn] = reason;
  }

  /** Copy the allocation side of one record (order, gfp, reason, handle, pid, tgid, ts, comm). */
  private copyOne(from: Pfn, to: Pfn): void {
    this.order[to] = this.order[from];
    this.gfp[to] = this.gfp[from];
    this.reason[to] = this.reason[from];
    this.handle[to] = this.handle[from];
    this.pid[to] = this.pid[from];
    this.tgid[to] = this.tgid[from];
    this.ts[to] = this.ts[from];
    this.comm[to] = this.comm[from];
    if (this.inline) {
      this.nrEntries[to] = this.nrEntries[from];
      this.trace.copyWithin(to * 8, from * 8, from * 8 + 8);
    }
  }

  private commId(comm: string): number {
    if (comm === this.lastComm) return this.lastCommId;
    let id = this.commIds.get(comm);
    if (id === undefined) {
      id = this.comms.length;
      this.comms.push(comm);
      this.commIds.set(comm, id);
    }
    this.lastComm = comm;
    this.lastCommId = id;
    return id;
  }

  /** The page_owner fields of one page (for tests and reports). @throws MmError PFN_OUT_OF_RANGE without page_ext. */
  record(pfn: Pfn): OwnerRecord {
    this.checkPfn(pfn);
    const f = this.flags[pfn];
    const stack = new Uint32Array(PAGE_OWNER_STACK_DEPTH);
    const n = this.allocStack(pfn, stack);
    const free = new Uint32Array(PAGE_OWNER_STACK_DEPTH);
    const fn = this.fetch(this.freeHandle[pfn], free);
    return {
      pfn,
      owner: (f & (1 << PAGE_EXT_OWNER)) !== 0,
      allocated: (f & (1 << PAGE_EXT_OWNER_ALLOCATED)) !== 0,
      order: this.order[pfn],
      gfp: this.gfp[pfn],
      lastMigrateReason: this.reason[pfn],
      handle: this.handle[pfn],
      freeHandle: this.freeHandle[pfn],
      tsNsec: this.ts[pfn],
      freeTsNsec: this.freeTs[pfn],
      pid: this.pid[pfn],
      tgid: this.tgid[pfn],
      comm: this.comms[this.comm[pfn]],
      freePid: this.freePid[pfn],
      freeTgid: this.freeTgid[pfn],
      stack: [...stack.subarray(0, n)],
      freeStack: [...free.subarray(0, fn)],
    };
  }

  /** Allocation stack of a page (inline slots or depot) into out; the frame count. */
  allocStack(pfn: Pfn, out: Uint32Array): number {
    if (this.inline) {
      const n = this.nrEntries[pfn];
      for (let i = 0; i < n; i++) out[i] = this.trace[pfn * 8 + i];
      return n;
    }
    return this.fetch(this.handle[pfn], out);
  }

  /** stack_depot_fetch through the storage's depot (0 frames for handle 0 or inline storage). */
  fetch(handle: number, out: Uint32Array): number {
    if (handle === 0 || this.depot === null) return 0;
    return this.depot.fetch(handle, out);
  }

  /** State for the text printers (format.ts). @internal */
  state(): OwnerState {
    if (!this.inited) throw new MmError("BAD_STATE", "page_owner is not initialised (page_owner=off, or page_ext init has not run)");
    return {
      traits: this.traits,
      memory: this.memory,
      symbols: this.symbols,
      pageExt: this.pageExt,
      flags: this.flags,
      order: this.order,
      reason: this.reason,
      gfp: this.gfp,
      handle: this.handle,
      freeHandle: this.freeHandle,
      ts: this.ts,
      freeTs: this.freeTs,
      comm: this.comm,
      pid: this.pid,
      tgid: this.tgid,
      freePid: this.freePid,
      freeTgid: this.freeTgid,
      counts: this.counts,
      commText: (id) => this.comms[id],
      allocStack: (pfn, out) => this.allocStack(pfn, out),
      fetch: (h, out) => this.fetch(h, out),
    };
  }

  /**
   * Pages by state, counted over every pfn with page_ext: owned (PAGE_EXT_OWNER), allocated, and
   * allocated pages carrying each special handle.
   */
  census(): OwnerCensus {
    const out = { owned: 0, allocated: 0, dummy: 0, failure: 0, early: 0 };
    if (!this.inited) return out;
    const n = this.pageExt.nrPages;
    const flags = this.flags;
    const handle = this.handle;
    const { dummyHandle, failureHandle, earlyHandle } = this;
    for (let pfn = 0; pfn < n; pfn++) {
      const f = flags[pfn];
      if ((f & (1 << PAGE_EXT_OWNER)) === 0) continue;
      out.owned++;
      if ((f & (1 << PAGE_EXT_OWNER_ALLOCATED)) === 0) continue;
      out.allocated++;
      const h = handle[pfn];
      if (h === 0) continue;
      if (h === dummyHandle) out.dummy++;
      else if (h === failureHandle) out.failure++;
      else if (h === earlyHandle) out.early++;
    }
    return out;
  }

  /** nr_base_pages of a stack (6.9+), or undefined when it is not in stack_list. */
  stackCount(handle: number): number | undefined {
    return this.counts?.count(handle);
  }

  private checkPfn(pfn: Pfn): void {
    if (!this.inited) throw new MmError("BAD_STATE", "page_owner is not initialised");
    if (!Number.isInteger(pfn) || !this.pageExt.hasPageExt(pfn))
      throw new MmError("PFN_OUT_OF_RANGE", `pfn ${pfn} has no page_ext`, { pfn });
  }

  /**
   * Invariants: ALLOCATED implies OWNER; orders and migrate reasons in range; handles of owned pages
   * non-zero under depot storage (unless the depot failed at init); 6.9+ stack counts equal the
   * allocated, non-early base pages carrying each handle. @throws MmError INVARIANT
   */
  checkInvariants(): void {
    if (!this.inited) return;
    const fail = (msg: string): never => {
      throw new MmError("INVARIANT", `page_owner: ${msg}`);
    };
    const n = this.pageExt.nrPages;
    const expect = new Map<number, number>();
    for (let pfn = 0; pfn < n; pfn++) {
      if (!this.pageExt.hasPageExt(pfn)) continue;
      const f = this.flags[pfn];
      if ((f & OWNER_BITS) === 1 << PAGE_EXT_OWNER_ALLOCATED) fail(`pfn ${pfn} allocated but not owned`);
      if ((f & (1 << PAGE_EXT_OWNER)) === 0) continue;
      if (this.order[pfn] > MAX_PAGE_ORDER) fail(`pfn ${pfn} order ${this.order[pfn]}`);
      const r = this.reason[pfn];
      if (r < -1 || r >= MIGRATE_REASON_NAMES.length) fail(`pfn ${pfn} migrate reason ${r}`);
      if (!this.inline && this.handle[pfn] === 0 && this.earlyHandle !== 0 && this.dummyHandle !== 0 && this.failureHandle !== 0)
        fail(`pfn ${pfn} owned with handle 0`);
      if (this.inline && this.nrEntries[pfn] > 8) fail(`pfn ${pfn} has ${this.nrEntries[pfn]} inline frames`);
      if (this.counts !== null && (f & (1 << PAGE_EXT_OWNER_ALLOCATED)) !== 0) {
        const h = this.handle[pfn];
        if (h !== this.earlyHandle && h !== 0) expect.set(h, (expect.get(h) ?? 0) + 1);
      }
    }
    if (this.counts !== null) {
      for (const [h, c] of expect) if (this.counts.count(h) !== c) fail(`stack ${h} counts ${this.counts.count(h)}, pages say ${c}`);
      this.counts.forEach((h, c) => {
        if ((expect.get(h) ?? 0) !== c) fail(`stack ${h} counts ${c}, pages say ${expect.get(h) ?? 0}`);
      });
    }
  }
}

function requireDepotStorage(): never {
  throw new MmError("BAD_CONFIG", "page_owner needs `storage: depotStorage(depot)` (or era v4.6 for inline storage)");
}

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/**
 * Create page_owner and register its page_ext client. Call before `pageExt.init()`; add `hooks` to
 * the allocator (they do nothing until init, like the kernel's static key).
 */
export function createPageOwner(options: PageOwnerOptions): PageOwner {
  return new PageOwner(options);
}

/**
 * The stack depot engine: records carved from 16 KiB pools of Uint32Array words, laid out like
 * the kernel's `struct stack_record`, chained in a jhash2-indexed bucket table.
 * Kernel counterpart: lib/stackdepot.c (stack_depot_save_flags, depot_alloc_stack, find_stack,
 * depot_fetch_stack, stack_depot_put, depot_free_stack) in the era chosen by option.
 */
import { MmError, type Gfp, type PageSource, type SymbolTable } from "@mm/api";
import {
  DEPOT_CAP_WARNING,
  DEPOT_POOL_ORDER,
  DEPOT_POOL_SIZE,
  REFCOUNT_SATURATED,
  STACKDEPOT_MAX_FRAMES,
  STACK_DEPOT_FLAGS_MASK,
  STACK_DEPOT_FLAG_CAN_ALLOC,
  STACK_DEPOT_FLAG_GET,
  type DepotEra,
  type DepotHandle,
  type DepotStats,
  type HandleLayout,
  type HandleParts,
  type RcuModel,
  type StackDepotOptions,
} from "./api.js";
import {
  ERA_PROFILES,
  FETCH_WARN_POOL,
  FETCH_WARN_SLAB,
  gfpAllowsSpinning,
  sanitizePoolGfp,
  type EraProfile,
} from "./era.js";
import { decodeHandle, encodeUnchecked, layoutMaxPools } from "./handle.js";
import { STACK_HASH_SEED, hashFrames, hashFramesI32, jhash2 } from "./jhash.js";
import { unlimitedPageSource } from "./page-source.js";
import { immediateRcu } from "./rcu.js";
import { earlyTableEntries, lateTableEntries, tableEntriesLine } from "./table.js";

/** 32-bit words in one pool. */
const POOL_WORDS = DEPOT_POOL_SIZE >>> 2;
/** Records start on 16-byte units; a pool has 1024 of them. */
const POOL_UNITS = DEPOT_POOL_SIZE >>> 4;
/** Metadata words per pool: 32 words of record-start bits, 32 of evictable bits. */
const META_WORDS = 64;
/** Placeholder in `pools` for an index whose pool is not allocated (v4.6-style slab array). */
const EMPTY = new Uint32Array(0);
/** `new_pool` states besides a pfn: none cached, and STACK_DEPOT_POISON (cap reached). */
const NO_POOL = -1;
const POISON = -2;
// Module-local copies of what save()'s hit path reads: under a module runner (vitest) every read of
// an imported binding is a getter call.
const CAN_ALLOC = STACK_DEPOT_FLAG_CAN_ALLOC;
const FLAG_GET = STACK_DEPOT_FLAG_GET;
const FLAGS_MASK = STACK_DEPOT_FLAGS_MASK;
const HASH_SEED = STACK_HASH_SEED;
const hashI32 = hashFramesI32;
/** Upper bound of pools the model addresses (refs stay below 2^30). */
const MODEL_MAX_POOLS = 1 << 20;

// Word offsets inside a record. Both layouts keep the `next` link in word 0.
/** 2016 record: next(8) hash(4) size(4) handle(4) pad(4) entries[] — header 24 bytes. */
const OLD_HASH = 2;
const OLD_SIZE = 3;
const OLD_HANDLE = 4;
const OLD_ENTRIES = 6;
const OLD_HEADER_BYTES = 24;
/** 6.8 record: hash_list{next,prev}(16) hash size handle count(4 each) entries[] — header 32. */
const NEW_PREV = 2;
const NEW_HASH = 4;
const NEW_SIZE = 5;
const NEW_HANDLE = 6;
const NEW_COUNT = 7;
const NEW_ENTRIES = 8;
const NEW_HEADER_BYTES = 32;
/** The freelist `list_head` and `rcu_state` share the union with entries[] (6.8). */
const NEW_FREE_NEXT = 8;
const NEW_FREE_PREV = 10;
const NEW_RCU_LO = 12;
const NEW_RCU_HI = 13;

/** WARN_ONCE bits. */
const W_CAP = 1;
const W_REF_SATURATED = 2;
const W_REF_ADD_UAF = 4;
const W_REF_SUB_UAF = 8;

const align16 = (n: number): number => (n + 15) & ~15;
const hex8 = (h: number): string => (h >>> 0).toString(16).padStart(8, "0");
const isU32 = (x: number): boolean => Number.isInteger(x) && x >= 0 && x <= 0xffffffff;

/**
 * A stack depot. Create with {@link createStackDepot}.
 *
 * Re-entrancy: a save that needs a new pool calls `pageSource.allocPages` before it touches any
 * state; the source may call back into the depot (buddy -> page_owner -> depot), exactly as in
 * the kernel. The depot copies the frames first, so callers may reuse their buffer.
 */
export class StackDepot {
  /** The era modelled. */
  readonly era: DepotEra;
  /** Handle bitfields of the era. */
  readonly layout: HandleLayout;
  /** Number of hash buckets (a power of two). */
  readonly buckets: number;
  /** The pool cap (DEPOT_MAX_POOLS / stack_depot_max_pools). */
  readonly maxPools: number;
  /** Frames kept per record (CONFIG_STACKDEPOT_MAX_FRAMES for 6.8 records; pool-bounded before). */
  readonly maxFrames: number;
  /** STACK_DEPOT_FLAG_GET and put() exist (6.8 records). */
  readonly refcounting: boolean;
  /** Kernel size of an evictable (full) record; of a persistent record with n frames see recordBytes(). */
  readonly fullRecordBytes: number;

  private readonly profile: EraProfile;
  private readonly source: PageSource;
  private readonly rcu: RcuModel;
  private readonly log: ((line: string) => void) | null;
  private readonly irq: Set<number> | null;
  private readonly nolockdep: number;
  private readonly disabled: boolean;
  private readonly newRec: boolean;
  private readonly wHash: number;
  private readonly wSize: number;
  private readonly wHandle: number;
  private readonly wEntries: number;
  private readonly headerBytes: number;
  /** Bucket heads: record refs (pool * 1024 + unit + 1), 0 = empty. */
  private readonly heads: Uint32Array;
  private readonly mask: number;
  /** Mask of the index field, and of the handle without its extra bits (as int32). */
  private readonly idxMask: number;
  private readonly handleMask: number;
  private readonly fetchWarn: number;
  private readonly indexBits: number;
  /** 1 when the index field stores pool index + 1. */
  private readonly indexBias: number;

  /** stack_pools[]: one Uint32Array of 4096 words per pool. */
  private pools: Uint32Array[] = [];
  /** The pfn the page source gave for each pool. */
  private pfns: number[] = [];
  /** Per pool: record-start bitmap, evictable bitmap (not in the kernel; for validation and walks). */
  private meta = new Uint32Array(0);

  // 6.8 allocation state (v6.7, current)
  /** pools_num */
  private poolsNum = 0;
  /** pool_offset: starts "full" so the first save initialises pool 0. */
  private poolOffset = DEPOT_POOL_SIZE;
  /** new_pool: the cached spare pool's pfn, NO_POOL or POISON. */
  private newPool = NO_POOL;

  // 2016 allocation state (v4.6 .. v6.1)
  /** depot_index: the current slab. */
  private depotIndex = 0;
  /** depot_offset inside the current slab. */
  private depotOffset = 0;
  /** next_slab_inited: slab depot_index + 1 is installed (or the cap makes it moot). */
  private nextSlabInited = false;

  /** The save in progress's preallocated pool (only meaningful inside the locked section). */
  private pre = -1;
  /** free_stacks list (6.8): head and tail refs. */
  private freeHead = 0;
  private freeTail = 0;

  // counters[] of 6.8 (kept in every era)
  private refdAllocs = 0;
  private refdFrees = 0;
  private refdInUse = 0;
  private freelistSize = 0;
  private persistentCount = 0;
  private persistentBytes = 0;

  private sourceAllocs = 0;
  private sourceFrees = 0;
  private sourceFailures = 0;
  private warned = 0;
  /** Nesting depth of saves waiting on the page source, and their frame copies. */
  private depth = 0;
  private scratch: Uint32Array[] = [];

  constructor(options: StackDepotOptions = {}) {
    const era = options.era ?? "current";
    const profile = ERA_PROFILES[era] as EraProfile | undefined;
    if (profile === undefined) throw new MmError("BAD_CONFIG", `unknown stackdepot era ${String(era)}`);
    this.era = era;
    this.profile = profile;
    this.layout = profile.layout;
    this.newRec = profile.record === "6.8";
    this.refcounting = profile.refcounting;
    this.wHash = this.newRec ? NEW_HASH : OLD_HASH;
    this.wSize = this.newRec ? NEW_SIZE : OLD_SIZE;
    this.wHandle = this.newRec ? NEW_HANDLE : OLD_HANDLE;
    this.wEntries = this.newRec ? NEW_ENTRIES : OLD_ENTRIES;
    this.headerBytes = this.newRec ? NEW_HEADER_BYTES : OLD_HEADER_BYTES;
    this.idxMask = 2 ** profile.layout.indexBits - 1;
    const low = profile.layout.indexBits + profile.layout.offsetBits + profile.layout.validBits;
    this.handleMask = low >= 32 ? -1 : 2 ** low - 1;
    this.fetchWarn = profile.fetchWarn;
    this.indexBits = profile.layout.indexBits;
    this.indexBias = profile.layout.indexPlusOne ? 1 : 0;

    const limit = Math.min(layoutMaxPools(profile.layout), MODEL_MAX_POOLS);
    const maxPools = options.maxPools ?? profile.defaultMaxPools;
    if (!Number.isInteger(maxPools) || maxPools < 1 || maxPools > limit)
      throw new MmError("BAD_CONFIG", `maxPools ${maxPools} outside 1..${limit} for era ${era}`);
    this.maxPools = maxPools;

    const poolFrames = Math.floor((DEPOT_POOL_SIZE - this.headerBytes) / 8);
    if (this.newRec) {
      const mf = options.maxFrames ?? STACKDEPOT_MAX_FRAMES;
      if (!Number.isInteger(mf) || mf < 1 || mf > poolFrames)
        throw new MmError("BAD_CONFIG", `maxFrames ${mf} outside 1..${poolFrames}`);
      this.maxFrames = mf;
      this.fullRecordBytes = align16(NEW_HEADER_BYTES + 8 * mf);
    } else {
      if (options.maxFrames !== undefined && options.maxFrames !== poolFrames)
        throw new MmError("BAD_CONFIG", `era ${era} has no CONFIG_STACKDEPOT_MAX_FRAMES`);
      this.maxFrames = poolFrames;
      this.fullRecordBytes = align16(OLD_HEADER_BYTES + 8 * poolFrames);
    }

    this.source = options.pageSource ?? unlimitedPageSource();
    this.rcu = options.rcu ?? immediateRcu;
    this.log = options.log ?? null;
    this.nolockdep = (options.gfpNolockdep ?? 0) >>> 0;
    this.disabled = options.disabled ?? false;
    if (options.irqEntryFrames !== undefined && options.irqEntryFrames.length > 0) {
      for (const f of options.irqEntryFrames)
        if (!isU32(f)) throw new MmError("BAD_CONFIG", `irq entry frame ${f} is not a u32 id`);
      this.irq = profile.filterIrq ? new Set(options.irqEntryFrames) : null;
    } else {
      this.irq = null;
    }

    const buckets = this.sizeTable(options);
    this.buckets = this.disabled ? 0 : buckets;
    this.heads = new Uint32Array(this.disabled ? 1 : buckets);
    this.mask = this.disabled ? 0 : buckets - 1;
  }

  private sizeTable(options: StackDepotOptions): number {
    const p = this.profile;
    const late = (options.tableInit ?? "early") === "late";
    let n: number;
    if (options.buckets !== undefined) {
      n = options.buckets;
      if (!Number.isInteger(n) || n < 1 || n > 1 << 24 || (n & (n - 1)) !== 0)
        throw new MmError("BAD_CONFIG", `buckets ${n} is not a power of two in 1..2^24`);
    } else if (!p.scaledTable) {
      n = 1 << 20;
    } else {
      const mem = options.memoryBytes ?? 2 ** 32;
      const pages = options.kernelPages ?? Math.floor(mem / 4096);
      n = late ? lateTableEntries(pages) : earlyTableEntries(pages, p.bucketBytes);
    }
    if (this.log !== null && !(options.disabled ?? false) && p.scaledTable) {
      if (late) {
        if (p.tableInitLog) this.log(`stackdepot: allocating hash table of ${n} entries via kvcalloc`);
      } else {
        if (p.tableInitLog) this.log("stackdepot: allocating hash table via alloc_large_system_hash");
        this.log(tableEntriesLine(n, p.bucketBytes));
      }
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // save

  /**
   * `stack_depot_save_flags(entries, nr, gfp, flags)`: store a trace, return its handle (0 on
   * failure, for an empty trace, or when disabled). Identical traces return the same handle.
   * The hit path allocates nothing.
   * @param frames u32 frame ids, innermost first
   * @param count how many of `frames` make the trace
   * @param gfp the caller's allocation mask; sanitised before a pool allocation
   * @param flags STACK_DEPOT_FLAG_CAN_ALLOC (default, = stack_depot_save) | STACK_DEPOT_FLAG_GET
   */
  save(frames: Uint32Array, count: number, gfp: Gfp, flags: number = CAN_ALLOC): DepotHandle {
    if (!Number.isInteger(count) || count < 0 || count > frames.length)
      throw new MmError("EINVAL", `frame count ${count} outside 0..${frames.length}`, { count });
    if (!Number.isInteger(flags) || (flags & ~FLAGS_MASK) !== 0 || flags < 0)
      throw new MmError("EINVAL", `unknown stack depot flags ${flags}`, { flags });
    if ((flags & FLAG_GET) !== 0 && !this.refcounting)
      throw new MmError("EINVAL", `era ${this.era} has no STACK_DEPOT_FLAG_GET`);
    if (this.disabled) return 0;
    let n = count;
    if (this.irq !== null) n = this.filterIrqStacks(frames, n);
    if (n === 0) return 0;
    if (!this.newRec && n > this.maxFrames)
      throw new MmError("EINVAL", `a ${n}-frame record does not fit a ${DEPOT_POOL_SIZE}-byte pool`, { count: n });
    // Signed int32 hash: stays a V8 small integer (no boxing) on the hit path.
    const hash = hashI32(frames, n, HASH_SEED);
    const bucket = hash & this.mask;
    const found = this.findStack(bucket, frames, n, hash, flags);
    if (found !== 0) return this.recordWord(found, this.wHandle);
    return this.saveSlow(frames, n, hash, bucket, gfp, flags);
  }

  /** filter_irq_stacks(): keep frames up to and including the first IRQ entry frame. */
  private filterIrqStacks(frames: Uint32Array, n: number): number {
    const irq = this.irq as Set<number>;
    for (let i = 0; i < n; i++) if (irq.has(frames[i])) return i + 1;
    return n;
  }

  /** find_stack(): walk the bucket comparing hash, size, then the frames word by word. */
  private findStack(bucket: number, frames: Uint32Array, n: number, hash: number, flags: number): number {
    const pools = this.pools;
    const wHash = this.wHash;
    const wSize = this.wSize;
    const wEntries = this.wEntries;
    let ref = this.heads[bucket];
    while (ref !== 0) {
      const r = ref - 1;
      const pool = pools[r >>> 10];
      const base = (r & 1023) << 2;
      if ((pool[base + wHash] | 0) === hash && pool[base + wSize] === n) {
        let i = 0;
        let e = base + wEntries;
        while (i < n && pool[e] === frames[i]) {
          i++;
          e += 2;
        }
        if (i === n && ((flags & FLAG_GET) === 0 || this.refIncNotZero(pool, base))) return ref;
      }
      ref = pool[base];
    }
    return 0;
  }

  /** refcount_inc_not_zero() on a record's count; a saturated count stays saturated (and warns). */
  private refIncNotZero(pool: Uint32Array, base: number): boolean {
    const c = pool[base + NEW_COUNT] | 0;
    if (c === 0) return false;
    if (c < 0 || c === 0x7fffffff) {
      pool[base + NEW_COUNT] = REFCOUNT_SATURATED;
      this.warnOnce(W_REF_SATURATED, "refcount_t: saturated; leaking memory.");
      return true;
    }
    pool[base + NEW_COUNT] = c + 1;
    return true;
  }

  private saveSlow(frames: Uint32Array, n: number, hash: number, bucket: number, gfp: Gfp, flags: number): number {
    // Copy first: the page source may re-enter save() and the caller may reuse its buffer.
    const depth = this.depth;
    let buf = this.scratch[depth];
    if (buf === undefined || buf.length < n) {
      buf = new Uint32Array(Math.max(n, 64));
      this.scratch[depth] = buf;
    }
    for (let i = 0; i < n; i++) buf[i] = frames[i];

    // Allocate a pool before "taking the lock" if no spare is cached (we can't allocate under it).
    let canAlloc = (flags & STACK_DEPOT_FLAG_CAN_ALLOC) !== 0;
    if (this.profile.needsSpin && !gfpAllowsSpinning(gfp)) canAlloc = false;
    let prealloc = -1;
    if (canAlloc && (this.newRec ? this.newPool === NO_POOL : !this.nextSlabInited)) prealloc = this.allocPool(gfp);

    // Locked section: nothing below calls out, so `this.pre` is ours alone.
    this.pre = prealloc;
    // Look again: a nested save during allocPages may have inserted this very trace.
    let found = this.findStack(bucket, buf, n, hash, flags);
    if (found === 0) {
      const rec = this.newRec ? this.allocStackNew(buf, n, hash, flags) : this.allocStackOld(buf, n, hash);
      if (rec !== 0) {
        this.link(bucket, rec);
        found = rec;
      }
    } else if (!this.newRec && this.pre >= 0) {
      this.initStackSlab();
    }
    if (this.newRec && this.pre >= 0 && this.newPool === NO_POOL) {
      // depot_keep_new_pool(): keep the unused preallocation as the next spare.
      this.newPool = this.pre;
      this.pre = -1;
    }
    const left = this.pre;
    this.pre = -1;
    if (left >= 0) {
      // Nobody used this memory: give it back (after "unlocking").
      this.sourceFrees++;
      this.source.freePages(left, DEPOT_POOL_ORDER);
    }
    return found === 0 ? 0 : this.recordWord(found, this.wHandle);
  }

  /** alloc_pages(sanitised gfp, DEPOT_POOL_ORDER); -1 on failure. */
  private allocPool(gfp: Gfp): number {
    const mask = sanitizePoolGfp(gfp, this.era, this.nolockdep);
    this.depth++;
    let pfn: number;
    try {
      pfn = this.source.allocPages(DEPOT_POOL_ORDER, mask);
    } finally {
      this.depth--;
    }
    if (!Number.isInteger(pfn) || pfn < 0) {
      this.sourceFailures++;
      return -1;
    }
    this.sourceAllocs++;
    return pfn;
  }

  /** Bucket insertion at the head (2016: `new->next = *bucket`; 6.8: list_add_rcu). */
  private link(bucket: number, ref: number): void {
    const r = ref - 1;
    const pool = this.pools[r >>> 10];
    const base = (r & 1023) << 2;
    const head = this.heads[bucket];
    pool[base] = head;
    if (this.newRec) {
      pool[base + NEW_PREV] = 0;
      if (head !== 0) {
        const h = head - 1;
        this.pools[h >>> 10][((h & 1023) << 2) + NEW_PREV] = ref;
      }
    }
    this.heads[bucket] = ref;
  }

  private installPool(index: number, pfn: number): void {
    while (this.pools.length <= index) {
      this.pools.push(EMPTY);
      this.pfns.push(-1);
    }
    this.pools[index] = new Uint32Array(POOL_WORDS);
    this.pfns[index] = pfn;
    const need = (index + 1) * META_WORDS;
    if (this.meta.length < need) {
      const m = new Uint32Array(Math.max(need, this.meta.length * 2));
      m.set(this.meta);
      this.meta = m;
    }
  }

  private warnOnce(bit: number, text: string): void {
    if ((this.warned & bit) !== 0) return;
    this.warned |= bit;
    if (this.log !== null) this.log(text);
  }

  /** Write a fresh record's trace; returns its ref. */
  private writeRecord(poolIndex: number, unit: number, buf: Uint32Array, n: number, hash: number): number {
    const pool = this.pools[poolIndex];
    const base = unit << 2;
    pool[base + this.wHash] = hash;
    pool[base + this.wSize] = n;
    let e = base + this.wEntries;
    for (let i = 0; i < n; i++) {
      pool[e] = buf[i];
      pool[e + 1] = 0;
      e += 2;
    }
    return poolIndex * POOL_UNITS + unit + 1;
  }

  private markStart(poolIndex: number, unit: number, evictable: boolean): void {
    const w = poolIndex * META_WORDS + (unit >>> 5);
    const bit = 1 << (unit & 31);
    this.meta[w] |= bit;
    if (evictable) this.meta[w + 32] |= bit;
  }

  // --- 2016 records (v4.6 .. v6.1) ------------------------------------------------------------

  /** init_stack_slab(): install the preallocation as the current or the next slab. */
  private initStackSlab(): boolean {
    if (this.pre < 0) return false;
    if (this.nextSlabInited) return true;
    const cur = this.pools[this.depotIndex];
    if (cur === undefined || cur === EMPTY) {
      this.installPool(this.depotIndex, this.pre);
      this.pre = -1;
    } else {
      // The 6.3 form guards the index; v4.6 relied on the cap never being this small.
      if (this.depotIndex + 1 < this.maxPools) {
        this.installPool(this.depotIndex + 1, this.pre);
        this.pre = -1;
      }
      this.nextSlabInited = true;
    }
    return true;
  }

  /** depot_alloc_stack() of 2016-6.2: carve ALIGN(24 + 8n, 16) bytes from the current slab. */
  private allocStackOld(buf: Uint32Array, n: number, hash: number): number {
    const required = align16(OLD_HEADER_BYTES + 8 * n);
    if (this.depotOffset + required > DEPOT_POOL_SIZE) {
      if (this.depotIndex + 1 >= this.maxPools) {
        this.warnOnce(W_CAP, DEPOT_CAP_WARNING);
        return 0;
      }
      this.depotIndex++;
      this.depotOffset = 0;
      if (this.depotIndex + 1 < this.maxPools) this.nextSlabInited = false;
    }
    this.initStackSlab();
    const pool = this.pools[this.depotIndex];
    if (pool === undefined || pool === EMPTY) return 0;
    const unit = this.depotOffset >>> 4;
    const ref = this.writeRecord(this.depotIndex, unit, buf, n, hash);
    pool[(unit << 2) + OLD_HANDLE] = encodeUnchecked(this.layout, this.depotIndex, unit, 0);
    this.markStart(this.depotIndex, unit, false);
    this.depotOffset += required;
    this.persistentCount++;
    this.persistentBytes += required;
    return ref;
  }

  // --- 6.8 records (v6.7, current) ------------------------------------------------------------

  /** depot_alloc_stack() of 6.8+: freelist for evictable records, else carve from the pool. */
  private allocStackNew(buf: Uint32Array, count: number, hash: number, flags: number): number {
    // Limit number of saved frames to CONFIG_STACKDEPOT_MAX_FRAMES (the hash was taken before).
    const n = count > this.maxFrames ? this.maxFrames : count;
    const get = (flags & STACK_DEPOT_FLAG_GET) !== 0;
    const size = get ? this.fullRecordBytes : align16(NEW_HEADER_BYTES + 8 * n);
    let ref = get ? this.popFree() : 0;
    if (ref === 0) {
      ref = this.popFreePool(size);
      if (ref === 0) return 0;
      const r = ref - 1;
      this.markStart(r >>> 10, r & 1023, get);
    }
    const r = ref - 1;
    this.writeRecord(r >>> 10, r & 1023, buf, n, hash);
    const pool = this.pools[r >>> 10];
    const base = (r & 1023) << 2;
    if (get) {
      pool[base + NEW_COUNT] = 1;
      this.refdAllocs++;
      this.refdInUse++;
    } else {
      pool[base + NEW_COUNT] = REFCOUNT_SATURATED;
      this.persistentCount++;
      this.persistentBytes += size;
    }
    return ref;
  }

  /** depot_pop_free(): the oldest freed record, if its RCU grace period has ended. */
  private popFree(): number {
    const ref = this.freeHead;
    if (ref === 0) return 0;
    const r = ref - 1;
    const pool = this.pools[r >>> 10];
    const base = (r & 1023) << 2;
    const cookie = pool[base + NEW_RCU_LO] + pool[base + NEW_RCU_HI] * 2 ** 32;
    if (!this.rcu.pollState(cookie)) return 0;
    const next = pool[base + NEW_FREE_NEXT];
    this.freeHead = next;
    if (next === 0) this.freeTail = 0;
    else {
      const x = next - 1;
      this.pools[x >>> 10][((x & 1023) << 2) + NEW_FREE_PREV] = 0;
    }
    this.freelistSize--;
    return ref;
  }

  /** depot_pop_free_pool(): carve `size` bytes, switching to a new pool when needed. */
  private popFreePool(size: number): number {
    if (this.poolOffset + size > DEPOT_POOL_SIZE && !this.initPool()) return 0;
    if (this.poolsNum < 1) return 0;
    const index = this.poolsNum - 1;
    const pool = this.pools[index];
    const unit = this.poolOffset >>> 4;
    const base = unit << 2;
    // Pre-initialize the handle once; INIT_LIST_HEAD.
    pool[base + NEW_HANDLE] = encodeUnchecked(this.layout, index, unit, 0);
    pool[base] = 0;
    pool[base + NEW_PREV] = 0;
    this.poolOffset += size;
    return index * POOL_UNITS + unit + 1;
  }

  /** depot_init_pool(): make the cached spare (or this save's preallocation) the current pool. */
  private initPool(): boolean {
    if (this.poolsNum >= this.maxPools) {
      this.warnOnce(W_CAP, DEPOT_CAP_WARNING);
      return false;
    }
    if (this.newPool === NO_POOL && this.pre >= 0) {
      this.newPool = this.pre;
      this.pre = -1;
    }
    if (this.newPool < 0) return false;
    this.installPool(this.poolsNum, this.newPool);
    // Request another spare unless this was the last pool the cap allows.
    this.newPool = this.poolsNum + 1 < this.maxPools ? NO_POOL : POISON;
    this.poolsNum++;
    this.poolOffset = 0;
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // fetch / put / records

  private recordWord(ref: number, word: number): number {
    const r = ref - 1;
    return this.pools[r >>> 10][((r & 1023) << 2) + word];
  }

  private checkHandleArg(handle: number): number {
    if (!isU32(handle)) throw new MmError("EINVAL", `handle ${handle} is not a u32`, { handle });
    return handle >>> 0;
  }

  /**
   * depot_fetch_stack(): the record a handle names, or 0. Stricter than the kernel: the offset
   * must be a record start whose stored handle matches (the kernel would read garbage).
   */
  private lookup(h: number, warn: boolean): number {
    const idxField = h & this.idxMask;
    const unit = (h >>> this.indexBits) & (POOL_UNITS - 1);
    // pool_index_plus_1 - 1: a 0 field gives -1 (the kernel's u32 0xffffffff printed with %d).
    const poolIndex = idxField - this.indexBias;
    if (poolIndex >= this.fetchLimit() || poolIndex < 0) return this.lookupOutOfBounds(h, poolIndex, warn);
    if (poolIndex >= this.pools.length) return 0;
    const pool = this.pools[poolIndex];
    if ((this.meta[poolIndex * META_WORDS + (unit >>> 5)] & (1 << (unit & 31))) === 0) return 0;
    const base = unit << 2;
    // The record stores its handle without extra bits; compare as signed int32 on both sides.
    if ((pool[base + this.wHandle] | 0) !== (h & this.handleMask)) return 0;
    if (this.newRec && pool[base + NEW_COUNT] === 0) return 0;
    return poolIndex * POOL_UNITS + unit + 1;
  }

  /** Pool indexes at or beyond this are out of bounds for depot_fetch_stack's check. */
  private fetchLimit(): number {
    if (this.fetchWarn === FETCH_WARN_POOL) return this.poolsNum;
    if (this.fetchWarn === FETCH_WARN_SLAB) return this.depotIndex + 1;
    return this.pools.length;
  }

  /** The cold path of lookup(): the kernel's bounds WARN, then "nothing". */
  private lookupOutOfBounds(h: number, poolIndex: number, warn: boolean): number {
    if (!warn || this.log === null) return 0;
    if (this.fetchWarn === FETCH_WARN_POOL)
      this.log(`pool index ${poolIndex} out of bounds (${this.poolsNum}) for stack id ${hex8(h)}`);
    else if (this.fetchWarn === FETCH_WARN_SLAB)
      this.log(`slab index ${poolIndex} out of bounds (${this.depotIndex}) for stack id ${hex8(h)}`);
    return 0;
  }

  /** The "corrupt handle or use after stack_depot_put()" WARN of 6.8+ fetch. */
  private warnCorrupt(): void {
    if (this.newRec && this.log !== null) this.log("corrupt handle or use after stack_depot_put()");
  }

  /**
   * `stack_depot_fetch(handle, &entries)`: copy the frames into `out` at `outOffset` and return
   * their number; 0 for handle 0 or an unknown / freed handle. Allocation-free.
   * Throws EINVAL (writing nothing) if `out` is too small.
   */
  fetch(handle: DepotHandle, out: Uint32Array, outOffset = 0): number {
    const h = this.checkHandleArg(handle);
    if (h === 0 || this.disabled) return 0;
    const ref = this.lookup(h, true);
    if (ref === 0) {
      this.warnCorrupt();
      return 0;
    }
    const r = ref - 1;
    const pool = this.pools[r >>> 10];
    const base = (r & 1023) << 2;
    const n = pool[base + this.wSize];
    if (!Number.isInteger(outOffset) || outOffset < 0 || out.length - outOffset < n)
      throw new MmError("EINVAL", `output buffer too small for ${n} frames`, { frames: n });
    let e = base + this.wEntries;
    for (let i = 0; i < n; i++) {
      out[outOffset + i] = pool[e];
      e += 2;
    }
    return n;
  }

  /** The trace behind a handle as a new array (empty for an unknown handle). */
  fetchFrames(handle: DepotHandle): Uint32Array {
    const n = this.frameCount(handle);
    const out = new Uint32Array(n);
    if (n > 0) this.fetch(handle, out);
    return out;
  }

  /** Number of frames stored for a handle; 0 if unknown. Logs nothing. */
  frameCount(handle: DepotHandle): number {
    const h = this.checkHandleArg(handle);
    if (h === 0 || this.disabled) return 0;
    const ref = this.lookup(h, false);
    return ref === 0 ? 0 : this.recordWord(ref, this.wSize);
  }

  /** Is this a handle of a live record? (No warnings printed.) */
  isValid(handle: DepotHandle): boolean {
    const h = this.checkHandleArg(handle);
    return h !== 0 && !this.disabled && this.lookup(h, false) !== 0;
  }

  /**
   * `stack_depot_put(handle)` (6.8+): drop a reference taken with STACK_DEPOT_FLAG_GET; at zero
   * the record leaves its bucket and joins the freelist (reusable after an RCU grace period).
   * Handle 0 is ignored. Throws BAD_HANDLE for an unknown/freed handle, BAD_STATE for a persistent
   * record (the kernel warns "refcount_t: underflow; use-after-free."), EINVAL before 6.8.
   */
  put(handle: DepotHandle): void {
    if (!this.refcounting) throw new MmError("EINVAL", `era ${this.era} has no stack_depot_put`);
    const h = this.checkHandleArg(handle);
    if (h === 0 || this.disabled) return;
    const ref = this.lookup(h, true);
    if (ref === 0) throw new MmError("BAD_HANDLE", `stack_depot_put of unknown handle ${hex8(h)}`, { handle: h });
    const r = ref - 1;
    const pool = this.pools[r >>> 10];
    const base = (r & 1023) << 2;
    const c = pool[base + NEW_COUNT] | 0;
    if (c <= 0)
      throw new MmError("BAD_STATE", `refcount_t: underflow; use-after-free. (handle ${hex8(h)} count ${c})`, {
        handle: h,
      });
    pool[base + NEW_COUNT] = c - 1;
    if (c === 1) this.freeStack(ref);
  }

  /** depot_free_stack(): unlink from the bucket, stamp the RCU cookie, append to the freelist. */
  private freeStack(ref: number): void {
    const r = ref - 1;
    const pool = this.pools[r >>> 10];
    const base = (r & 1023) << 2;
    const next = pool[base];
    const prev = pool[base + NEW_PREV];
    if (prev === 0) this.heads[pool[base + NEW_HASH] & this.mask] = next;
    else {
      const p = prev - 1;
      this.pools[p >>> 10][(p & 1023) << 2] = next;
    }
    if (next !== 0) {
      const x = next - 1;
      this.pools[x >>> 10][((x & 1023) << 2) + NEW_PREV] = prev;
    }
    pool[base] = 0;
    pool[base + NEW_PREV] = 0;
    const cookie = this.rcu.getState();
    pool[base + NEW_RCU_LO] = cookie >>> 0;
    pool[base + NEW_RCU_HI] = Math.floor(cookie / 2 ** 32) >>> 0;
    pool[base + NEW_FREE_NEXT] = 0;
    pool[base + NEW_FREE_PREV] = this.freeTail;
    if (this.freeTail === 0) this.freeHead = ref;
    else {
      const t = this.freeTail - 1;
      this.pools[t >>> 10][((t & 1023) << 2) + NEW_FREE_NEXT] = ref;
    }
    this.freeTail = ref;
    this.freelistSize++;
    this.refdFrees++;
    this.refdInUse--;
  }

  // --- direct record access (__stack_depot_get_stack_record, for page_owner 6.9+) ------------

  /**
   * `__stack_depot_get_stack_record(handle)`: an opaque record reference (0 = none) for the
   * record* helpers below. Stays valid until the record is freed by put().
   */
  getStackRecord(handle: DepotHandle): number {
    const h = this.checkHandleArg(handle);
    if (h === 0 || this.disabled) return 0;
    return this.lookup(h, true);
  }

  private recBase(ref: number): number {
    if (!Number.isInteger(ref) || ref < 1) throw new MmError("BAD_HANDLE", `bad stack record ${ref}`);
    const r = ref - 1;
    const p = r >>> 10;
    const unit = r & 1023;
    if (p >= this.pools.length || this.pools[p] === EMPTY || (this.meta[p * META_WORDS + (unit >>> 5)] & (1 << (unit & 31))) === 0)
      throw new MmError("BAD_HANDLE", `bad stack record ${ref}`);
    return unit << 2;
  }

  private requireCount(): void {
    if (!this.newRec) throw new MmError("EINVAL", `era ${this.era} records have no refcount`);
  }

  /** The record's handle (without extra bits). */
  recordHandle(ref: number): DepotHandle {
    return this.pools[(ref - 1) >>> 10][this.recBase(ref) + this.wHandle];
  }

  /** stack->size: frames stored. */
  recordSize(ref: number): number {
    return this.pools[(ref - 1) >>> 10][this.recBase(ref) + this.wSize];
  }

  /** stack->count as a signed int (REFCOUNT_SATURATED for persistent records). */
  recordCount(ref: number): number {
    this.requireCount();
    return this.pools[(ref - 1) >>> 10][this.recBase(ref) + NEW_COUNT] | 0;
  }

  /** atomic_try_cmpxchg on stack->count: set to `value` if it equals `expected`. */
  recordTryCmpxchgCount(ref: number, expected: number, value: number): boolean {
    this.requireCount();
    const pool = this.pools[(ref - 1) >>> 10];
    const i = this.recBase(ref) + NEW_COUNT;
    if ((pool[i] | 0) !== (expected | 0)) return false;
    pool[i] = value | 0;
    return true;
  }

  /** refcount_add(n, &stack->count) with the kernel's saturation warnings. */
  recordRefcountAdd(ref: number, n: number): void {
    this.requireCount();
    const pool = this.pools[(ref - 1) >>> 10];
    const i = this.recBase(ref) + NEW_COUNT;
    const old = pool[i] | 0;
    const sum = old + n;
    if (old === 0) {
      pool[i] = REFCOUNT_SATURATED;
      this.warnOnce(W_REF_ADD_UAF, "refcount_t: addition on 0; use-after-free.");
    } else if (old < 0 || sum > 0x7fffffff) {
      pool[i] = REFCOUNT_SATURATED;
      this.warnOnce(W_REF_SATURATED, "refcount_t: saturated; leaking memory.");
    } else {
      pool[i] = sum;
    }
  }

  /** refcount_sub_and_test(n, &stack->count): true when it reached exactly 0. */
  recordRefcountSubAndTest(ref: number, n: number): boolean {
    this.requireCount();
    const pool = this.pools[(ref - 1) >>> 10];
    const i = this.recBase(ref) + NEW_COUNT;
    const old = pool[i] | 0;
    if (old === n) {
      pool[i] = 0;
      return true;
    }
    if (old < 0 || old - n < 0) {
      pool[i] = REFCOUNT_SATURATED;
      this.warnOnce(W_REF_SUB_UAF, "refcount_t: underflow; use-after-free.");
      return false;
    }
    pool[i] = old - n;
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // printing

  /**
   * `stack_depot_snprint(handle, buf, size, spaces)` without the size limit: one line per frame,
   * `1 + spaces` blanks then the symbol (`"%*c%pS\n"`). "" for an unknown handle.
   */
  snprint(handle: DepotHandle, symbols: SymbolTable, spaces = 0): string {
    const frames = this.fetchFrames(handle);
    const pad = " ".repeat(1 + spaces);
    let s = "";
    for (let i = 0; i < frames.length; i++) s += `${pad}${symbols.symbolize(frames[i])}\n`;
    return s;
  }

  /** `stack_depot_print(handle)`: the frames to the log, one printk line each. */
  print(handle: DepotHandle, symbols: SymbolTable): void {
    const frames = this.fetchFrames(handle);
    if (this.log === null) return;
    for (let i = 0; i < frames.length; i++) this.log(` ${symbols.symbolize(frames[i])}`);
  }

  // ---------------------------------------------------------------------------------------------
  // stats, memory, invariants

  /** Pools in use (pools_num; in the 2016 code, installed slabs up to depot_index). */
  private poolsInUse(): number {
    if (this.newRec) return this.poolsNum;
    const cur = this.pools[this.depotIndex];
    return cur === undefined || cur === EMPTY ? this.depotIndex : this.depotIndex + 1;
  }

  private spareHeld(): number {
    if (this.newRec) return this.newPool >= 0 ? 1 : 0;
    const next = this.pools[this.depotIndex + 1];
    return next === undefined || next === EMPTY ? 0 : 1;
  }

  /** Counters and memory. */
  stats(): DepotStats {
    const pools = this.poolsInUse();
    const spare = this.spareHeld();
    const tableBytes = this.buckets * this.profile.bucketBytes;
    let poolWords = 0;
    for (const p of this.pools) poolWords += p.length;
    let scratch = 0;
    for (const s of this.scratch) scratch += s.byteLength;
    return {
      pools,
      sparePools: spare,
      refcountedAllocations: this.refdAllocs,
      refcountedFrees: this.refdFrees,
      refcountedInUse: this.refdInUse,
      freelistSize: this.freelistSize,
      persistentCount: this.persistentCount,
      persistentBytes: this.persistentBytes,
      uniqueStacks: this.persistentCount + this.refdInUse,
      buckets: this.buckets,
      tableBytes,
      poolBytes: pools * DEPOT_POOL_SIZE,
      spareBytes: spare * DEPOT_POOL_SIZE,
      totalBytes: (pools + spare) * DEPOT_POOL_SIZE + tableBytes,
      jsBytes: this.heads.byteLength + poolWords * 4 + this.meta.byteLength + scratch,
      sourceAllocs: this.sourceAllocs,
      sourceFrees: this.sourceFrees,
      sourceFailures: this.sourceFailures,
    };
  }

  /** `/sys/kernel/debug/stackdepot/stats` (6.8+ names), byte-exact. */
  statsText(): string {
    return (
      `pools: ${this.poolsInUse()}\n` +
      `refcounted_allocations: ${this.refdAllocs}\n` +
      `refcounted_frees: ${this.refdFrees}\n` +
      `refcounted_in_use: ${this.refdInUse}\n` +
      `freelist_size: ${this.freelistSize}\n` +
      `persistent_count: ${this.persistentCount}\n` +
      `persistent_bytes: ${this.persistentBytes}\n`
    );
  }

  /** Kernel bytes of a record holding `n` frames saved with `flags`. */
  recordBytes(n: number, flags: number = STACK_DEPOT_FLAG_CAN_ALLOC): number {
    if (!this.newRec) return align16(OLD_HEADER_BYTES + 8 * n);
    if ((flags & STACK_DEPOT_FLAG_GET) !== 0) return this.fullRecordBytes;
    return align16(NEW_HEADER_BYTES + 8 * Math.min(n, this.maxFrames));
  }

  /** The pfns of the pools in use and of the spare (for tests and page_owner wiring). */
  poolPfns(): { readonly pools: readonly number[]; readonly spare: number } {
    const inUse = this.poolsInUse();
    let spare = -1;
    if (this.newRec) spare = this.newPool >= 0 ? this.newPool : -1;
    else if (this.spareHeld() === 1) spare = this.pfns[this.depotIndex + 1];
    const pools: number[] = [];
    for (let i = 0; i < inUse; i++) pools.push(this.pfns[i]);
    return { pools, spare };
  }

  /**
   * A digest of every bit of state (tables, pool words, metadata, counters). Equal digests mean
   * byte-identical state; tests use it to prove failed calls changed nothing.
   */
  stateDigest(): string {
    const parts: (string | number)[] = [
      this.poolsNum,
      this.poolOffset,
      this.newPool,
      this.depotIndex,
      this.depotOffset,
      this.nextSlabInited ? 1 : 0,
      this.freeHead,
      this.freeTail,
      this.refdAllocs,
      this.refdFrees,
      this.refdInUse,
      this.freelistSize,
      this.persistentCount,
      this.persistentBytes,
      this.sourceAllocs,
      this.sourceFrees,
      this.sourceFailures,
      this.warned,
      jhash2(this.heads, 0, this.heads.length, 1),
      jhash2(this.meta, 0, this.meta.length, 2),
      this.pfns.join(","),
    ];
    for (const p of this.pools) parts.push(p === EMPTY ? "-" : jhash2(p, 0, p.length, 3));
    return parts.join("|");
  }

  /**
   * Check every structural invariant; throws MmError("INVARIANT") on the first violation.
   * - every bucket chain record is a live record start whose hash maps to that bucket, with
   *   consistent back links (6.8), and every live record is in exactly one chain;
   * - records tile each pool contiguously with the kernel's sizes; stored handles decode to
   *   their own position; frames' upper words are 0; live records' hash matches their frames;
   * - refcounts: evictable live records count >= 1, freed ones 0;
   * - the freelist holds only freed evictable records, disjoint from the chains, with
   *   non-decreasing RCU cookies, and its length is freelist_size;
   * - counters agree with the records; pool accounting agrees with the page source calls.
   */
  checkInvariants(): void {
    const fail = (msg: string): never => {
      throw new MmError("INVARIANT", `stackdepot: ${msg}`);
    };
    const nPools = this.pools.length;
    const inUse = this.poolsInUse();
    const spare = this.spareHeld();
    if (inUse > this.maxPools) fail(`pools ${inUse} > cap ${this.maxPools}`);
    // 0 = not a record start, 1 = live record (unvisited), 2 = visited in a chain, 3 = on freelist
    const state = new Uint8Array(nPools * POOL_UNITS);
    let live = 0;
    let liveEvict = 0;
    let livePersist = 0;
    let persistBytes = 0;
    let freed = 0;
    let installed = 0;
    for (let p = 0; p < nPools; p++) {
      const pool = this.pools[p];
      if (pool === EMPTY) continue;
      installed++;
      if (pool.length !== POOL_WORDS) fail(`pool ${p} has ${pool.length} words`);
      const isSpare = !this.newRec && p === this.depotIndex + 1;
      if (p >= inUse && !isSpare) fail(`pool ${p} installed beyond the pools in use`);
      const current = this.newRec ? p === this.poolsNum - 1 : p === this.depotIndex;
      let end = 0;
      for (let unit = 0; unit < POOL_UNITS; unit++) {
        const w = this.meta[p * META_WORDS + (unit >>> 5)];
        if ((w & (1 << (unit & 31))) === 0) continue;
        if (isSpare) fail(`spare pool ${p} holds a record`);
        if (unit << 4 !== end) fail(`pool ${p}: record at ${unit << 4} does not follow the previous end ${end}`);
        const base = unit << 2;
        const evict = (this.meta[p * META_WORDS + 32 + (unit >>> 5)] & (1 << (unit & 31))) !== 0;
        const n = pool[base + this.wSize];
        if (n < 1 || n > this.maxFrames) fail(`record ${p}:${unit} has size ${n}`);
        const size = evict ? this.fullRecordBytes : align16(this.headerBytes + 8 * n);
        end = (unit << 4) + size;
        if (end > DEPOT_POOL_SIZE) fail(`record ${p}:${unit} overruns its pool`);
        if (pool[base + this.wHandle] !== encodeUnchecked(this.layout, p, unit, 0))
          fail(`record ${p}:${unit} stores handle ${hex8(pool[base + this.wHandle])}`);
        const freedRec = this.newRec && evict && pool[base + NEW_COUNT] === 0;
        if (freedRec) {
          freed++;
          state[p * POOL_UNITS + unit] = 3;
          continue;
        }
        state[p * POOL_UNITS + unit] = 1;
        live++;
        if (evict) {
          liveEvict++;
          if ((pool[base + NEW_COUNT] | 0) < 1) fail(`evictable record ${p}:${unit} has count ${pool[base + NEW_COUNT] | 0}`);
        } else {
          livePersist++;
          persistBytes += size;
        }
        const frames = new Uint32Array(n);
        for (let i = 0; i < n; i++) {
          if (pool[base + this.wEntries + 2 * i + 1] !== 0) fail(`record ${p}:${unit} frame ${i} upper word set`);
          frames[i] = pool[base + this.wEntries + 2 * i];
        }
        // Truncated (over-long) traces were hashed before truncation: their hash can't be rechecked.
        if (n < this.maxFrames && hashFrames(frames, n) !== pool[base + this.wHash])
          fail(`record ${p}:${unit} hash does not match its frames`);
      }
      if (current) {
        const off = this.newRec ? this.poolOffset : this.depotOffset;
        if (end !== off) fail(`current pool ${p} ends at ${end}, offset is ${off}`);
      }
    }
    // The 2016 code installs the spare in stack_slabs[depot_index + 1]; 6.8 keeps it in new_pool.
    const expectInstalled = this.newRec ? inUse : inUse + spare;
    if (installed !== expectInstalled) fail(`${installed} pools installed, ${inUse} in use + ${spare} spare`);
    // Chains.
    let visited = 0;
    for (let b = 0; b < this.heads.length; b++) {
      let ref = this.heads[b];
      let prev = 0;
      let steps = 0;
      while (ref !== 0) {
        if (++steps > live) fail(`bucket ${b} chain is longer than the live records (cycle?)`);
        const r = ref - 1;
        const p = r >>> 10;
        const unit = r & 1023;
        if (p >= nPools || state[p * POOL_UNITS + unit] !== 1)
          fail(`bucket ${b} links ref ${ref}, which is not an unvisited live record`);
        state[p * POOL_UNITS + unit] = 2;
        visited++;
        const pool = this.pools[p];
        const base = unit << 2;
        if ((pool[base + this.wHash] & this.mask) !== b) fail(`record ${p}:${unit} hashes to bucket ${pool[base + this.wHash] & this.mask}, chained in ${b}`);
        if (this.newRec && pool[base + NEW_PREV] !== prev) fail(`record ${p}:${unit} has a wrong prev link`);
        prev = ref;
        ref = pool[base];
      }
    }
    if (visited !== live) fail(`${live} live records but ${visited} reachable from buckets`);
    // Freelist.
    let fl = 0;
    let prevRef = 0;
    let prevCookie = -1;
    for (let ref = this.freeHead; ref !== 0; ) {
      if (++fl > freed) fail("freelist longer than the freed records (cycle?)");
      const r = ref - 1;
      const p = r >>> 10;
      const unit = r & 1023;
      if (p >= nPools || state[p * POOL_UNITS + unit] !== 3) fail(`freelist ref ${ref} is not a freed record`);
      state[p * POOL_UNITS + unit] = 4;
      const pool = this.pools[p];
      const base = unit << 2;
      if (pool[base + NEW_FREE_PREV] !== prevRef) fail(`freelist record ${p}:${unit} has a wrong prev link`);
      const cookie = pool[base + NEW_RCU_LO] + pool[base + NEW_RCU_HI] * 2 ** 32;
      if (cookie < prevCookie) fail("freelist RCU cookies decrease");
      prevCookie = cookie;
      prevRef = ref;
      ref = pool[base + NEW_FREE_NEXT];
    }
    if (prevRef !== this.freeTail) fail("freelist tail mismatch");
    if (fl !== freed) fail(`${freed} freed records but ${fl} on the freelist`);
    if (fl !== this.freelistSize) fail(`freelist_size ${this.freelistSize} but ${fl} on the list`);
    // Counters.
    if (this.refdInUse !== liveEvict) fail(`refcounted_in_use ${this.refdInUse} but ${liveEvict} live evictable records`);
    if (this.refdAllocs - this.refdFrees !== this.refdInUse) fail("refcounted allocations - frees != in use");
    if (this.persistentCount !== livePersist) fail(`persistent_count ${this.persistentCount} but ${livePersist} records`);
    if (this.persistentBytes !== persistBytes) fail(`persistent_bytes ${this.persistentBytes} but ${persistBytes} counted`);
    // Pool accounting against the page source.
    if (this.sourceAllocs - this.sourceFrees !== inUse + spare)
      fail(`page source: ${this.sourceAllocs} allocs - ${this.sourceFrees} frees != ${inUse} pools + ${spare} spare`);
    if (this.newRec) {
      if (this.newPool === POISON && this.poolsNum !== this.maxPools) fail("new_pool poisoned below the cap");
      if (this.poolsNum > 0 && this.pools.length !== this.poolsNum) fail("stack_pools[] length mismatch");
    }
    if (this.pre !== -1) fail("a preallocation leaked out of a save");
  }
}

/** Create a stack depot (see {@link StackDepotOptions}). */
export function createStackDepot(options: StackDepotOptions = {}): StackDepot {
  return new StackDepot(options);
}

/** Decode a handle with an era's layout (pool index already adjusted for pool_index_plus_1). */
export function decodeDepotHandle(era: DepotEra, handle: DepotHandle): HandleParts {
  return decodeHandle(ERA_PROFILES[era].layout, handle);
}

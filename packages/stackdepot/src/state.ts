/**
 * The statics of lib/stackdepot.c as one object: the bucket table, stack_pools[], the allocation
 * state of both record generations, the freelist, counters[] and the WARN_ONCE bits. Every room
 * of the depot is a set of free functions over this state; the StackDepot class only owns it.
 */
import { MmError, type PageSource } from "@mm/api";
import { DEPOT_POOL_SIZE, STACKDEPOT_MAX_FRAMES, type DepotEra, type HandleLayout, type RcuModel, type StackDepotOptions } from "./api.js";
import { ERA_PROFILES, type EraProfile } from "./era.js";
import { layoutMaxPools } from "./handle.js";
import { unlimitedPageSource } from "./page-source.js";
import { immediateRcu } from "./rcu.js";
import { earlyTableEntries, lateTableEntries, tableEntriesLine } from "./table.js";
import { RECORD_2016, RECORD_6_8 } from "./record-layout.js";

/** 32-bit words in one pool. */
export const POOL_WORDS = DEPOT_POOL_SIZE >>> 2;
/** Records start on 16-byte units; a pool has 1024 of them. */
export const POOL_UNITS = DEPOT_POOL_SIZE >>> 4;
/** Metadata words per pool: 32 words of record-start bits, 32 of evictable bits. */
export const META_WORDS = 64;
/** Placeholder in `pools` for an index whose pool is not allocated (v4.6-style slab array). */
export const EMPTY = new Uint32Array(0);
/** `new_pool` states besides a pfn: none cached, and STACK_DEPOT_POISON (cap reached). */
export const NO_POOL = -1;
export const POISON = -2;
/** Upper bound of pools the model addresses (refs stay below 2^30). */
const MODEL_MAX_POOLS = 1 << 20;
/**
 * The upper 32 bits of an x86-64 kernel text address. `entries[]` are `unsigned long`, so jhash2
 * hashes each frame as (low word, 0xffffffff); our frame ids stand in for the low word.
 */
export const KERNEL_TEXT_HIGH = 0xffffffff;

/** WARN_ONCE bits. */
export const W_CAP = 1;
export const W_REF_SATURATED = 2;
export const W_REF_ADD_UAF = 4;
export const W_REF_SUB_UAF = 8;
export const W_NO_SPARE = 16;

export const align16 = (n: number): number => (n + 15) & ~15;
export const hex8 = (h: number): string => (h >>> 0).toString(16).padStart(8, "0");
export const isU32 = (x: number): boolean => Number.isInteger(x) && x >= 0 && x <= 0xffffffff;

/** Mutable depot state. Rooms read and write it; nothing outside the package sees it. */
export class DepotState {
  readonly era: DepotEra;
  readonly profile: EraProfile;
  readonly layout: HandleLayout;
  readonly buckets: number;
  readonly maxPools: number;
  readonly maxFrames: number;
  readonly refcounting: boolean;
  readonly fullRecordBytes: number;
  readonly source: PageSource;
  readonly rcu: RcuModel;
  readonly log: ((line: string) => void) | null;
  readonly irq: Set<number> | null;
  readonly nolockdep: number;
  readonly disabled: boolean;
  /** 6.8 records (v6.7, current) rather than 2016 records. */
  readonly newRec: boolean;
  /** Word offsets of the generation's record fields. */
  readonly wHash: number;
  readonly wSize: number;
  readonly wHandle: number;
  readonly wEntries: number;
  readonly headerBytes: number;
  /** What every stored entry's upper word is (and what jhash2 hashes above each frame). */
  readonly high: number;
  /** Bucket heads: record refs (pool * 1024 + unit + 1), 0 = empty. */
  readonly heads: Uint32Array;
  readonly mask: number;
  /** Mask of the index field, and of the handle without its extra bits (as int32). */
  readonly idxMask: number;
  readonly handleMask: number;
  readonly fetchWarn: number;
  readonly indexBits: number;
  /** 1 when the index field stores pool index + 1. */
  readonly indexBias: number;

  /** stack_pools[]: one Uint32Array of 4096 words per pool. */
  pools: Uint32Array[] = [];
  /** The pfn the page source gave for each pool. */
  pfns: number[] = [];
  /** Per pool: record-start bitmap, evictable bitmap (not in the kernel; for validation and walks). */
  meta = new Uint32Array(0);

  // 6.8 allocation state (v6.7, current)
  /** pools_num */
  poolsNum = 0;
  /** pool_offset: starts "full" so the first save initialises pool 0. */
  poolOffset = DEPOT_POOL_SIZE;
  /** new_pool: the cached spare pool's pfn, NO_POOL or POISON. */
  newPool = NO_POOL;

  // 2016 allocation state (v4.6 .. v6.1)
  /** depot_index: the current slab. */
  depotIndex = 0;
  /** depot_offset inside the current slab. */
  depotOffset = 0;
  /** next_slab_inited: slab depot_index + 1 is installed (or the cap makes it moot). */
  nextSlabInited = false;

  /** The save in progress's preallocated pool (only meaningful inside the locked section). */
  pre = -1;
  /** free_stacks list (6.8): head and tail refs. */
  freeHead = 0;
  freeTail = 0;

  // counters[] of 6.8 (kept in every era)
  refdAllocs = 0;
  refdFrees = 0;
  refdInUse = 0;
  freelistSize = 0;
  persistentCount = 0;
  persistentBytes = 0;

  sourceAllocs = 0;
  sourceFrees = 0;
  sourceFailures = 0;
  warned = 0;
  /** Nesting depth of saves waiting on the page source, and their frame copies. */
  depth = 0;
  scratch: Uint32Array[] = [];

  constructor(options: StackDepotOptions) {
    const era = options.era ?? "current";
    const profile = ERA_PROFILES[era] as EraProfile | undefined;
    if (profile === undefined) throw new MmError("BAD_CONFIG", `unknown stackdepot era ${String(era)}`);
    this.era = era;
    this.profile = profile;
    this.layout = profile.layout;
    this.newRec = profile.record === "6.8";
    this.refcounting = profile.refcounting;
    const rec = this.newRec ? RECORD_6_8 : RECORD_2016;
    this.wHash = rec.hash;
    this.wSize = rec.size;
    this.wHandle = rec.handle;
    this.wEntries = rec.entries;
    this.headerBytes = rec.headerBytes;
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
    } else {
      if (options.maxFrames !== undefined && options.maxFrames !== poolFrames)
        throw new MmError("BAD_CONFIG", `era ${era} has no CONFIG_STACKDEPOT_MAX_FRAMES`);
      this.maxFrames = poolFrames;
    }
    this.fullRecordBytes = align16(this.headerBytes + 8 * this.maxFrames);

    const high = options.entryHighWord ?? KERNEL_TEXT_HIGH;
    if (!isU32(high)) throw new MmError("BAD_CONFIG", `entryHighWord ${high} is not a u32`);
    this.high = high;
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

    const buckets = sizeTable(profile, options, this.log);
    this.buckets = this.disabled ? 0 : buckets;
    this.heads = new Uint32Array(this.disabled ? 1 : buckets);
    this.mask = this.disabled ? 0 : buckets - 1;
  }
}

/**
 * The bucket count, and the init messages: stack_depot_early_init (alloc_large_system_hash
 * prints its own "hash table entries" line) or stack_depot_init's kvcalloc (late).
 */
function sizeTable(p: EraProfile, options: StackDepotOptions, log: ((line: string) => void) | null): number {
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
  if (log !== null && !(options.disabled ?? false) && p.scaledTable) {
    if (late) {
      if (p.lateInitLog !== null) log(p.lateInitLog.replace("%lu", String(n)));
    } else {
      if (p.earlyInitLog !== null) log(p.earlyInitLog);
      log(tableEntriesLine(n, p.bucketBytes));
    }
  }
  return n;
}

/** WARN_ONCE(1, text): print once per depot. */
export function warnOnce(s: DepotState, bit: number, text: string): void {
  if ((s.warned & bit) !== 0) return;
  s.warned |= bit;
  if (s.log !== null) s.log(text);
}

/** Install a zeroed pool at stack_pools[index] (grows the metadata bitmaps). */
export function installPool(s: DepotState, index: number, pfn: number): void {
  while (s.pools.length <= index) {
    s.pools.push(EMPTY);
    s.pfns.push(-1);
  }
  s.pools[index] = new Uint32Array(POOL_WORDS);
  s.pfns[index] = pfn;
  const need = (index + 1) * META_WORDS;
  if (s.meta.length < need) {
    const m = new Uint32Array(Math.max(need, s.meta.length * 2));
    m.set(s.meta);
    s.meta = m;
  }
}

/** Write a fresh record's trace (entries as (frame, high) pairs); returns its ref. */
export function writeRecord(s: DepotState, poolIndex: number, unit: number, buf: Uint32Array, n: number, hash: number): number {
  const pool = s.pools[poolIndex];
  const base = unit << 2;
  pool[base + s.wHash] = hash;
  pool[base + s.wSize] = n;
  const high = s.high;
  let e = base + s.wEntries;
  for (let i = 0; i < n; i++) {
    pool[e] = buf[i];
    pool[e + 1] = high;
    e += 2;
  }
  return poolIndex * POOL_UNITS + unit + 1;
}

/** Mark a record start (and whether it is evictable) in the pool's bitmaps. */
export function markStart(s: DepotState, poolIndex: number, unit: number, evictable: boolean): void {
  const w = poolIndex * META_WORDS + (unit >>> 5);
  const bit = 1 << (unit & 31);
  s.meta[w] |= bit;
  if (evictable) s.meta[w + 32] |= bit;
}

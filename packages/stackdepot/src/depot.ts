/**
 * The stack depot: `stack_depot_save_flags` (hash, bucket walk, the allocation outside the
 * "lock"), `stack_depot_fetch`, `stack_depot_put`, printing, and the public face of the rooms
 * it is built from: state.ts (the statics), record-layout.ts, record-2016.ts and record-6.8.ts
 * (the two generations' depot_alloc_stack), pools.ts (pools and the cap), freelist.ts (refcounts
 * and the freelist), stats.ts and invariants.ts (read-only views).
 * Kernel counterpart: lib/stackdepot.c in the era chosen by option.
 */
import { MmError, type Gfp, type SymbolTable } from "@mm/api";
import {
  STACK_DEPOT_FLAGS_MASK,
  STACK_DEPOT_FLAG_CAN_ALLOC,
  STACK_DEPOT_FLAG_GET,
  DEPOT_POOL_SIZE,
  type DepotEra,
  type DepotHandle,
  type DepotStats,
  type HandleLayout,
  type HandleParts,
  type StackDepotOptions,
} from "./api.js";
import { ERA_PROFILES, FETCH_WARN_POOL, FETCH_WARN_SLAB, gfpAllowsSpinning } from "./era.js";
import { depotFreeStack, refIncNotZero, refcountAdd, refcountSubAndTest } from "./freelist.js";
import { decodeHandle } from "./handle.js";
import { STACK_HASH_SEED, hashFramesI32 } from "./jhash.js";
import { checkDepotInvariants } from "./invariants.js";
import { allocPool, depotKeepNewPool, freePool, initStackSlab } from "./pools.js";
import { allocStack2016 } from "./record-2016.js";
import { allocStack68 } from "./record-6.8.js";
import { NEW_COUNT, NEW_PREV } from "./record-layout.js";
import { DepotState, EMPTY, META_WORDS, NO_POOL, POOL_UNITS, hex8, isU32 } from "./state.js";
import { depotStats, poolPfns, recordBytes, stateDigest, statsText } from "./stats.js";

// Module-local copies of what save()'s hit path reads: under a module runner (vitest) every read of
// an imported binding is a getter call.
const CAN_ALLOC = STACK_DEPOT_FLAG_CAN_ALLOC;
const FLAG_GET = STACK_DEPOT_FLAG_GET;
const FLAGS_MASK = STACK_DEPOT_FLAGS_MASK;
const HASH_SEED = STACK_HASH_SEED;
const hashI32 = hashFramesI32;
const incNotZero = refIncNotZero;
// ... and of what fetch()'s lookup reads.
const UNITS = POOL_UNITS;
const META = META_WORDS;
const COUNT = NEW_COUNT;
const WARN_POOL = FETCH_WARN_POOL;
const WARN_SLAB = FETCH_WARN_SLAB;
const u32 = isU32;

/** find_stack(): walk the bucket comparing hash, size, then the frames word by word; a ref or 0. */
function findStack(s: DepotState, bucket: number, frames: Uint32Array, n: number, hash: number, flags: number): number {
  const pools = s.pools;
  const wHash = s.wHash;
  const wSize = s.wSize;
  const wEntries = s.wEntries;
  let ref = s.heads[bucket];
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
      if (i === n && ((flags & FLAG_GET) === 0 || incNotZero(s, pool, base))) return ref;
    }
    ref = pool[base];
  }
  return 0;
}

/** Bucket insertion at the head (2016: `new->next = *bucket`; 6.8: list_add_rcu). */
function linkBucket(s: DepotState, bucket: number, ref: number): void {
  const r = ref - 1;
  const pool = s.pools[r >>> 10];
  const base = (r & 1023) << 2;
  const head = s.heads[bucket];
  pool[base] = head;
  if (s.newRec) {
    pool[base + NEW_PREV] = 0;
    if (head !== 0) {
      const h = head - 1;
      s.pools[h >>> 10][((h & 1023) << 2) + NEW_PREV] = ref;
    }
  }
  s.heads[bucket] = ref;
}

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

  private readonly s: DepotState;

  constructor(options: StackDepotOptions = {}) {
    const s = new DepotState(options);
    this.s = s;
    this.era = s.era;
    this.layout = s.layout;
    this.buckets = s.buckets;
    this.maxPools = s.maxPools;
    this.maxFrames = s.maxFrames;
    this.refcounting = s.refcounting;
    this.fullRecordBytes = s.fullRecordBytes;
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
    const s = this.s;
    if (!Number.isInteger(count) || count < 0 || count > frames.length)
      throw new MmError("EINVAL", `frame count ${count} outside 0..${frames.length}`, { count });
    if (!Number.isInteger(flags) || (flags & ~FLAGS_MASK) !== 0 || flags < 0)
      throw new MmError("EINVAL", `unknown stack depot flags ${flags}`, { flags });
    if ((flags & FLAG_GET) !== 0 && !s.refcounting)
      throw new MmError("EINVAL", `era ${s.era} has no STACK_DEPOT_FLAG_GET`);
    if (s.disabled) return 0;
    let n = count;
    if (s.irq !== null) n = filterIrqStacks(s.irq, frames, n);
    if (n === 0) return 0;
    if (!s.newRec && n > s.maxFrames)
      throw new MmError("EINVAL", `a ${n}-frame record does not fit a ${DEPOT_POOL_SIZE}-byte pool`, { count: n });
    // Signed int32 hash: stays a V8 small integer (no boxing) on the hit path.
    const hash = hashI32(frames, n, HASH_SEED, s.high | 0);
    const bucket = hash & s.mask;
    const found = findStack(s, bucket, frames, n, hash, flags);
    if (found !== 0) return this.recordWord(found, s.wHandle);
    return this.saveSlow(frames, n, hash, bucket, gfp, flags);
  }

  private saveSlow(frames: Uint32Array, n: number, hash: number, bucket: number, gfp: Gfp, flags: number): number {
    const s = this.s;
    // Copy first: the page source may re-enter save() and the caller may reuse its buffer.
    const depth = s.depth;
    let buf = s.scratch[depth];
    if (buf === undefined || buf.length < n) {
      buf = new Uint32Array(Math.max(n, 64));
      s.scratch[depth] = buf;
    }
    for (let i = 0; i < n; i++) buf[i] = frames[i];

    // Allocate a pool before "taking the lock" if no spare is cached (we can't allocate under it).
    let canAlloc = (flags & STACK_DEPOT_FLAG_CAN_ALLOC) !== 0;
    if (s.profile.needsSpin && !gfpAllowsSpinning(gfp)) canAlloc = false;
    let prealloc = -1;
    if (canAlloc && (s.newRec ? s.newPool === NO_POOL : !s.nextSlabInited)) prealloc = allocPool(s, gfp);

    // Locked section: nothing below calls out, so `s.pre` is ours alone.
    s.pre = prealloc;
    // Look again: a nested save during allocPages may have inserted this very trace.
    let found = findStack(s, bucket, buf, n, hash, flags);
    if (found === 0) {
      const rec = s.newRec ? allocStack68(s, buf, n, hash, flags) : allocStack2016(s, buf, n, hash);
      if (rec !== 0) {
        linkBucket(s, bucket, rec);
        found = rec;
      }
    } else if (!s.newRec && s.pre >= 0) {
      initStackSlab(s);
    }
    if (s.newRec) depotKeepNewPool(s);
    const left = s.pre;
    s.pre = -1;
    // Nobody used this memory: give it back (after "unlocking").
    if (left >= 0) freePool(s, left);
    return found === 0 ? 0 : this.recordWord(found, s.wHandle);
  }

  // ---------------------------------------------------------------------------------------------
  // fetch / put / records

  private recordWord(ref: number, word: number): number {
    const r = ref - 1;
    return this.s.pools[r >>> 10][((r & 1023) << 2) + word];
  }

  private checkHandleArg(handle: number): number {
    if (!u32(handle)) throw new MmError("EINVAL", `handle ${handle} is not a u32`, { handle });
    return handle >>> 0;
  }

  /**
   * depot_fetch_stack(): the record a handle names, or 0. Stricter than the kernel: the offset
   * must be a record start whose stored handle matches (the kernel would read garbage).
   */
  private lookup(h: number, warn: boolean): number {
    const s = this.s;
    const idxField = h & s.idxMask;
    const unit = (h >>> s.indexBits) & (UNITS - 1);
    // pool_index_plus_1 - 1: a 0 field gives -1 (the kernel's u32 0xffffffff printed with %d).
    const poolIndex = idxField - s.indexBias;
    const fw = s.fetchWarn;
    const limit = fw === WARN_POOL ? s.poolsNum : fw === WARN_SLAB ? s.depotIndex + 1 : s.pools.length;
    if (poolIndex >= limit || poolIndex < 0) return this.lookupOutOfBounds(h, poolIndex, warn);
    const pools = s.pools;
    if (poolIndex >= pools.length) return 0;
    const pool = pools[poolIndex];
    if ((s.meta[poolIndex * META + (unit >>> 5)] & (1 << (unit & 31))) === 0) return 0;
    const base = unit << 2;
    // The record stores its handle without extra bits; compare as signed int32 on both sides.
    if ((pool[base + s.wHandle] | 0) !== (h & s.handleMask)) return 0;
    if (s.newRec && pool[base + COUNT] === 0) return 0;
    return poolIndex * UNITS + unit + 1;
  }

  /** The cold path of lookup(): the kernel's bounds WARN, then "nothing". */
  private lookupOutOfBounds(h: number, poolIndex: number, warn: boolean): number {
    if (!warn || this.s.log === null) return 0;
    if (this.s.fetchWarn === FETCH_WARN_POOL)
      this.s.log(`pool index ${poolIndex} out of bounds (${this.s.poolsNum}) for stack id ${hex8(h)}`);
    else if (this.s.fetchWarn === FETCH_WARN_SLAB)
      this.s.log(`slab index ${poolIndex} out of bounds (${this.s.depotIndex}) for stack id ${hex8(h)}`);
    return 0;
  }

  /** The "corrupt handle or use after stack_depot_put()" WARN of 6.8+ fetch. */
  private warnCorrupt(): void {
    if (this.s.newRec && this.s.log !== null) this.s.log("corrupt handle or use after stack_depot_put()");
  }

  /**
   * `stack_depot_fetch(handle, &entries)`: copy the frames into `out` at `outOffset` and return
   * their number; 0 for handle 0 or an unknown / freed handle. Allocation-free.
   * Throws EINVAL (writing nothing) if `out` is too small.
   */
  fetch(handle: DepotHandle, out: Uint32Array, outOffset = 0): number {
    const h = this.checkHandleArg(handle);
    const s = this.s;
    if (h === 0 || s.disabled) return 0;
    const ref = this.lookup(h, true);
    if (ref === 0) {
      this.warnCorrupt();
      return 0;
    }
    const r = ref - 1;
    const pool = s.pools[r >>> 10];
    const base = (r & 1023) << 2;
    const n = pool[base + s.wSize];
    if (!Number.isInteger(outOffset) || outOffset < 0 || out.length - outOffset < n)
      throw new MmError("EINVAL", `output buffer too small for ${n} frames`, { frames: n });
    let e = base + s.wEntries;
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
    if (h === 0 || this.s.disabled) return 0;
    const ref = this.lookup(h, false);
    return ref === 0 ? 0 : this.recordWord(ref, this.s.wSize);
  }

  /** Is this a handle of a live record? (No warnings printed.) */
  isValid(handle: DepotHandle): boolean {
    const h = this.checkHandleArg(handle);
    return h !== 0 && !this.s.disabled && this.lookup(h, false) !== 0;
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
    if (h === 0 || this.s.disabled) return;
    const ref = this.lookup(h, true);
    if (ref === 0) throw new MmError("BAD_HANDLE", `stack_depot_put of unknown handle ${hex8(h)}`, { handle: h });
    const r = ref - 1;
    const pool = this.s.pools[r >>> 10];
    const base = (r & 1023) << 2;
    const c = pool[base + NEW_COUNT] | 0;
    if (c <= 0)
      throw new MmError("BAD_STATE", `refcount_t: underflow; use-after-free. (handle ${hex8(h)} count ${c})`, {
        handle: h,
      });
    pool[base + NEW_COUNT] = c - 1;
    if (c === 1) depotFreeStack(this.s, ref);
  }

  // --- direct record access (__stack_depot_get_stack_record, for page_owner 6.9+) ------------

  /**
   * `__stack_depot_get_stack_record(handle)`: an opaque record reference (0 = none) for the
   * record* helpers below. Stays valid until the record is freed by put().
   */
  getStackRecord(handle: DepotHandle): number {
    const h = this.checkHandleArg(handle);
    if (h === 0 || this.s.disabled) return 0;
    return this.lookup(h, true);
  }

  private recBase(ref: number): number {
    if (!Number.isInteger(ref) || ref < 1) throw new MmError("BAD_HANDLE", `bad stack record ${ref}`);
    const r = ref - 1;
    const p = r >>> 10;
    const unit = r & 1023;
    if (p >= this.s.pools.length || this.s.pools[p] === EMPTY || (this.s.meta[p * META_WORDS + (unit >>> 5)] & (1 << (unit & 31))) === 0)
      throw new MmError("BAD_HANDLE", `bad stack record ${ref}`);
    return unit << 2;
  }

  private requireCount(): void {
    if (!this.s.newRec) throw new MmError("EINVAL", `era ${this.era} records have no refcount`);
  }

  /** The record's handle (without extra bits). */
  recordHandle(ref: number): DepotHandle {
    return this.s.pools[(ref - 1) >>> 10][this.recBase(ref) + this.s.wHandle];
  }

  /** stack->size: frames stored. */
  recordSize(ref: number): number {
    return this.s.pools[(ref - 1) >>> 10][this.recBase(ref) + this.s.wSize];
  }

  /** stack->count as a signed int (REFCOUNT_SATURATED for persistent records). */
  recordCount(ref: number): number {
    this.requireCount();
    return this.s.pools[(ref - 1) >>> 10][this.recBase(ref) + NEW_COUNT] | 0;
  }

  /** atomic_try_cmpxchg on stack->count: set to `value` if it equals `expected`. */
  recordTryCmpxchgCount(ref: number, expected: number, value: number): boolean {
    this.requireCount();
    const pool = this.s.pools[(ref - 1) >>> 10];
    const i = this.recBase(ref) + NEW_COUNT;
    if ((pool[i] | 0) !== (expected | 0)) return false;
    pool[i] = value | 0;
    return true;
  }

  /** refcount_add(n, &stack->count) with the kernel's saturation warnings. */
  recordRefcountAdd(ref: number, n: number): void {
    this.requireCount();
    const pool = this.s.pools[(ref - 1) >>> 10];
    const i = this.recBase(ref) + NEW_COUNT;
    refcountAdd(this.s, pool, i, n);
  }

  /** refcount_sub_and_test(n, &stack->count): true when it reached exactly 0. */
  recordRefcountSubAndTest(ref: number, n: number): boolean {
    this.requireCount();
    const pool = this.s.pools[(ref - 1) >>> 10];
    const i = this.recBase(ref) + NEW_COUNT;
    return refcountSubAndTest(this.s, pool, i, n);
  }

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
    if (this.s.log === null) return;
    for (let i = 0; i < frames.length; i++) this.s.log(` ${symbols.symbolize(frames[i])}`);
  }

  // ---------------------------------------------------------------------------------------------
  // stats, memory, invariants

  /** Counters and memory. */
  stats(): DepotStats {
    return depotStats(this.s);
  }

  /** `/sys/kernel/debug/stackdepot/stats` (6.8+ names), byte-exact. */
  statsText(): string {
    return statsText(this.s);
  }

  /** Kernel bytes of a record holding `n` frames saved with `flags`. */
  recordBytes(n: number, flags: number = STACK_DEPOT_FLAG_CAN_ALLOC): number {
    return recordBytes(this.s, n, flags);
  }

  /** The pfns of the pools in use and of the spare (for tests and page_owner wiring). */
  poolPfns(): { readonly pools: readonly number[]; readonly spare: number } {
    return poolPfns(this.s);
  }

  /**
   * A digest of every bit of state (tables, pool words, metadata, counters). Equal digests mean
   * byte-identical state; tests use it to prove failed calls changed nothing.
   */
  stateDigest(): string {
    return stateDigest(this.s);
  }

  /** Check every structural invariant (see invariants.ts); throws MmError("INVARIANT"). */
  checkInvariants(): void {
    checkDepotInvariants(this.s);
  }
}

/** filter_irq_stacks(): keep frames up to and including the first IRQ entry frame. */
function filterIrqStacks(irq: Set<number>, frames: Uint32Array, n: number): number {
  for (let i = 0; i < n; i++) if (irq.has(frames[i])) return i + 1;
  return n;
}

/** Create a stack depot (see {@link StackDepotOptions}). */
export function createStackDepot(options: StackDepotOptions = {}): StackDepot {
  return new StackDepot(options);
}

/** Decode a handle with an era's layout (pool index already adjusted for pool_index_plus_1). */
export function decodeDepotHandle(era: DepotEra, handle: DepotHandle): HandleParts {
  return decodeHandle(ERA_PROFILES[era].layout, handle);
}

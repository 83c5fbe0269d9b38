/**
 * The public vocabulary of @mm/stackdepot: constants of lib/stackdepot.c and
 * include/linux/stackdepot.h, option and result types.
 */
import type { PageSource } from "@mm/api";

/** A 32-bit `depot_stack_handle_t`; 0 means "no stack" (failure, empty trace, disabled). */
export type DepotHandle = number;

/** STACK_DEPOT_FLAG_CAN_ALLOC: the save may allocate a new pool from the page source. */
export const STACK_DEPOT_FLAG_CAN_ALLOC = 0x1;
/** STACK_DEPOT_FLAG_GET (6.8+): take a reference; the record becomes evictable by `put`. */
export const STACK_DEPOT_FLAG_GET = 0x2;
/** STACK_DEPOT_FLAGS_MASK: any other bit is rejected. */
export const STACK_DEPOT_FLAGS_MASK = STACK_DEPOT_FLAG_CAN_ALLOC | STACK_DEPOT_FLAG_GET;

/** DEPOT_POOL_ORDER (STACK_ALLOC_ORDER in 2016): a pool is 2^2 = 4 pages. */
export const DEPOT_POOL_ORDER = 2;
/** DEPOT_POOL_SIZE: 16 KiB with 4 KiB pages. */
export const DEPOT_POOL_SIZE = 1 << (12 + DEPOT_POOL_ORDER);
/** DEPOT_STACK_ALIGN: records start on 2^4 = 16-byte boundaries. */
export const DEPOT_STACK_ALIGN = 4;
/** DEPOT_OFFSET_BITS = pool order + PAGE_SHIFT - align = 10. */
export const DEPOT_OFFSET_BITS = DEPOT_POOL_ORDER + 12 - DEPOT_STACK_ALIGN;
/** STACK_DEPOT_EXTRA_BITS: user payload bits at the top of the handle (6.1+). */
export const STACK_DEPOT_EXTRA_BITS = 5;
/** DEPOT_POOLS_CAP since v4.9 (128 MiB); 1024 (16 MiB) before. */
export const DEPOT_POOLS_CAP = 8192;
/** CONFIG_STACKDEPOT_MAX_FRAMES default (6.8+ records). */
export const STACKDEPOT_MAX_FRAMES = 64;
/** REFCOUNT_SATURATED (INT_MIN / 2): the count of a persistent (non-GET) record. */
export const REFCOUNT_SATURATED = -0x40000000;
/** The exact text of the WARN_ONCE when the pool cap is reached. */
export const DEPOT_CAP_WARNING = "Stack depot reached limit capacity";

/**
 * Kernel eras whose handle layout, record layout, cap and table sizing the model reproduces.
 * - `v4.6`: first stackdepot (KASAN). slabindex:22 offset:10; the first record's handle is 0.
 * - `v4.7`: Joonsoo Kim's fix: slabindex:21 offset:10 valid:1 (bit 31 always set). Cap 1024.
 * - `v4.9`: the v4.7 layout with the cap raised to 8192 pools (commit 02754e0a484a).
 * - `v6.1`: slabindex:16 offset:10 valid:1 extra:5; hash table scaled to memory.
 * - `v6.7`: the 6.7-6.8-rc rework: pool_index:17 offset:10 extra:5, valid bit dropped (the first
 *   record gets handle 0 again); 6.8 records, refcounting, freelist.
 * - `current`: pool_index_plus_1:17 offset:10 extra:5 (commit 3ee34eabac2a and the 6.9 rename);
 *   gfp_nested_mask() for pool allocations; no allocation when the gfp cannot spin.
 */
export type DepotEra = "v4.6" | "v4.7" | "v4.9" | "v6.1" | "v6.7" | "current";

/** The bitfields of `union handle_parts`, least significant first. */
export interface HandleLayout {
  /** Width of slabindex / pool_index / pool_index_plus_1. */
  readonly indexBits: number;
  /** Width of offset (always DEPOT_OFFSET_BITS = 10). */
  readonly offsetBits: number;
  /** 1 where the valid bit exists (v4.7 .. v6.1), else 0. */
  readonly validBits: number;
  /** STACK_DEPOT_EXTRA_BITS where present (v6.1+), else 0. */
  readonly extraBits: number;
  /** The index field stores pool index + 1 (current). */
  readonly indexPlusOne: boolean;
}

/** Decoded handle fields. */
export interface HandleParts {
  readonly poolIndex: number;
  /** Byte offset of the record inside its pool (offset field << 4). */
  readonly offset: number;
  readonly valid: number;
  readonly extra: number;
}

/**
 * When a freed evictable record may be reused (6.8+): the kernel tags it with an RCU cookie
 * (`get_state_synchronize_rcu`) and reuses it only once `poll_state_synchronize_rcu` says that
 * grace period ended.
 */
export interface RcuModel {
  /** get_state_synchronize_rcu(): a cookie for the next grace period's end. */
  getState(): number;
  /** poll_state_synchronize_rcu(cookie): has that grace period ended? */
  pollState(cookie: number): boolean;
}

/** Options of {@link createStackDepot}. Every field is optional. */
export interface StackDepotOptions {
  /**
   * Kernel era to model (handle layout, record layout, cap, table sizing, gfp sanitising).
   * @defaultValue "current"
   */
  readonly era?: DepotEra;
  /**
   * Where pools come from: `allocPages(2, gfp)` per pool. In apps this is the buddy allocator,
   * so a pool allocation re-enters page_owner exactly as in the kernel.
   * @defaultValue an unlimited source handing out fake pfns ({@link unlimitedPageSource})
   */
  readonly pageSource?: PageSource;
  /**
   * Pool cap (`DEPOT_POOLS_CAP` / `stack_depot_max_pools=`), 1 .. the era's index limit.
   * @defaultValue 1024 for v4.6/v4.7, 8192 from v4.9
   */
  readonly maxPools?: number;
  /**
   * Hash buckets, a power of two; overrides the era's sizing.
   * @defaultValue 2^20 for v4.x; else one per 16 KiB of `kernelPages`, clamped to 2^12..2^20
   */
  readonly buckets?: number;
  /**
   * nr_kernel_pages for `alloc_large_system_hash` sizing (e.g. 64221 on a 256 MiB guest).
   * @defaultValue `memoryBytes / 4096`
   */
  readonly kernelPages?: number;
  /**
   * Machine memory used when `kernelPages` is not given.
   * @defaultValue 4 GiB
   */
  readonly memoryBytes?: number;
  /**
   * `early`: alloc_large_system_hash (page_owner=on, boot); `late`: stack_depot_init's kvcalloc,
   * sized from `roundup_pow_of_two(pages) >> 2`. Only affects v6.1+ sizing and the log lines.
   * @defaultValue "early"
   */
  readonly tableInit?: "early" | "late";
  /**
   * CONFIG_STACKDEPOT_MAX_FRAMES for 6.8 records (v6.7, current); longer traces are truncated.
   * @defaultValue 64
   */
  readonly maxFrames?: number;
  /**
   * Frame ids that are IRQ entry functions: `filter_irq_stacks()` cuts a trace after the first
   * one (v6.1+ eras).
   * @defaultValue none
   */
  readonly irqEntryFrames?: readonly number[];
  /**
   * Grace periods for freelist reuse.
   * @defaultValue every grace period has already ended ({@link immediateRcu})
   */
  readonly rcu?: RcuModel;
  /**
   * printk sink for the depot's messages (WARN texts, hash table lines). One call per line,
   * without the trailing newline.
   * @defaultValue discard
   */
  readonly log?: (line: string) => void;
  /**
   * Value of `__GFP_NOLOCKDEP` (0 unless CONFIG_LOCKDEP); kept in pool allocation masks (v6.1,
   * which is 6.1.192 with the stable backport of 6fe60465e1d5, and v6.7+).
   * @defaultValue 0
   */
  readonly gfpNolockdep?: number;
  /**
   * The upper 32 bits stored (and hashed by jhash2) above each 32-bit frame id: `entries[]` are
   * `unsigned long`. An x86-64 kernel text address has 0xffffffff there, so with frame ids equal
   * to the addresses' low words the hashes and bucket indexes are a real kernel's.
   * @defaultValue 0xffffffff
   */
  readonly entryHighWord?: number;
  /**
   * `stack_depot_disable=on`: every save returns 0 and nothing is allocated.
   * @defaultValue false
   */
  readonly disabled?: boolean;
}

/** Counters and memory of a depot. `stats()` allocates this object on each call. */
export interface DepotStats {
  /** `pools`: pools in use (pools_num). */
  readonly pools: number;
  /** 1 if a preallocated spare pool is held, else 0. */
  readonly sparePools: number;
  readonly refcountedAllocations: number;
  readonly refcountedFrees: number;
  readonly refcountedInUse: number;
  readonly freelistSize: number;
  readonly persistentCount: number;
  readonly persistentBytes: number;
  /** Records reachable through the hash table (live stacks). */
  readonly uniqueStacks: number;
  readonly buckets: number;
  /** Kernel bytes of the bucket array: buckets x 8 (pointer) or x 16 (list_head, 6.8+). */
  readonly tableBytes: number;
  /** pools x 16 KiB. */
  readonly poolBytes: number;
  /** spare pool x 16 KiB. */
  readonly spareBytes: number;
  /** What the depot holds: (pools + spare) x 16 KiB + hash table. */
  readonly totalBytes: number;
  /** Bytes of typed arrays this JS instance holds (bucket heads, pool words, metadata). */
  readonly jsBytes: number;
  /** Page-source calls: 4-page blocks obtained and given back. */
  readonly sourceAllocs: number;
  readonly sourceFrees: number;
  readonly sourceFailures: number;
}

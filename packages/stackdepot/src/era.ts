/**
 * Per-era profiles of lib/stackdepot.c: handle bitfields, record layout, cap, hash table sizing,
 * pool gfp sanitising and fetch warnings. One table, so the engine never branches on era names.
 */
import {
  GFP_ATOMIC,
  GFP_ATOMIC_6_1,
  GFP_KERNEL,
  GFP_ZONEMASK,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIM,
  type Gfp,
} from "@mm/api";
import { DEPOT_OFFSET_BITS, STACK_DEPOT_EXTRA_BITS, type DepotEra, type HandleLayout } from "./api.js";

/** How the pool allocation mask is derived from the caller's gfp. */
export const GFP_SANITIZE_CLASSIC_6_1 = 0; // & ~ZONEMASK & (GFP_ATOMIC(0xa20) | GFP_KERNEL) | NOWARN
/** 6.1.y after the 2024 stable backport of 6fe60465e1d5 ("stackdepot: respect __GFP_NOLOCKDEP"). */
export const GFP_SANITIZE_CLASSIC_6_1_STABLE = 3; // ... (GFP_ATOMIC(0xa20) | GFP_KERNEL | NOLOCKDEP) ...
export const GFP_SANITIZE_CLASSIC = 1; // & ~ZONEMASK & (GFP_ATOMIC | GFP_KERNEL | NOLOCKDEP) | NOWARN
export const GFP_SANITIZE_NESTED = 2; // gfp_nested_mask()

/** Which bounds warning depot_fetch_stack prints on an out-of-range index. */
export const FETCH_WARN_NONE = 0;
export const FETCH_WARN_SLAB = 1; // "slab index %d out of bounds (%d) for stack id %08x" (vs depot_index)
export const FETCH_WARN_POOL = 2; // "pool index %d out of bounds (%d) for stack id %08x" (vs pools_num)

/** Everything era-dependent. */
export interface EraProfile {
  readonly era: DepotEra;
  readonly layout: HandleLayout;
  /** 2016 record (next, hash, size, handle; 24-byte header) or 6.8 record (list_head, count; 32). */
  readonly record: "2016" | "6.8";
  readonly defaultMaxPools: number;
  /** Fixed STACK_HASH_ORDER 20 table, or scaled to memory. */
  readonly scaledTable: boolean;
  /** Bytes of one bucket: a pointer (8) or a list_head (16). */
  readonly bucketBytes: number;
  /** STACK_DEPOT_FLAG_GET, put(), freelist, stats counters of 6.8. */
  readonly refcounting: boolean;
  /** filter_irq_stacks() inside the depot. */
  readonly filterIrq: boolean;
  readonly gfpSanitize: number;
  /** gfpflags_allow_spinning(): no pool allocation when no __GFP_RECLAIM bit is set. */
  readonly needsSpin: boolean;
  readonly fetchWarn: number;
  /** stack_depot_early_init's own pr_info (6.3+), printed before alloc_large_system_hash's line. */
  readonly earlyInitLog: string | null;
  /** stack_depot_init's pr_info for the late (kvcalloc) table, `%lu` = entries. */
  readonly lateInitLog: string | null;
}

const L = (indexBits: number, validBits: number, extraBits: number, indexPlusOne: boolean): HandleLayout => ({
  indexBits,
  offsetBits: DEPOT_OFFSET_BITS,
  validBits,
  extraBits,
  indexPlusOne,
});

/** The era table. Versions and attributions: see kernel-spec.md section 3 and the README. */
export const ERA_PROFILES: Readonly<Record<DepotEra, EraProfile>> = {
  "v4.6": {
    era: "v4.6",
    layout: L(32 - DEPOT_OFFSET_BITS, 0, 0, false),
    record: "2016",
    defaultMaxPools: 1024,
    scaledTable: false,
    bucketBytes: 8,
    refcounting: false,
    filterIrq: false,
    gfpSanitize: GFP_SANITIZE_CLASSIC_6_1,
    needsSpin: false,
    fetchWarn: FETCH_WARN_NONE,
    earlyInitLog: null,
    lateInitLog: null,
  },
  "v4.7": {
    era: "v4.7",
    layout: L(32 - DEPOT_OFFSET_BITS - 1, 1, 0, false),
    record: "2016",
    defaultMaxPools: 1024,
    scaledTable: false,
    bucketBytes: 8,
    refcounting: false,
    filterIrq: false,
    gfpSanitize: GFP_SANITIZE_CLASSIC_6_1,
    needsSpin: false,
    fetchWarn: FETCH_WARN_NONE,
    earlyInitLog: null,
    lateInitLog: null,
  },
  "v4.9": {
    era: "v4.9",
    layout: L(32 - DEPOT_OFFSET_BITS - 1, 1, 0, false),
    record: "2016",
    defaultMaxPools: 8192,
    scaledTable: false,
    bucketBytes: 8,
    refcounting: false,
    filterIrq: false,
    gfpSanitize: GFP_SANITIZE_CLASSIC_6_1,
    needsSpin: false,
    fetchWarn: FETCH_WARN_NONE,
    earlyInitLog: null,
    lateInitLog: null,
  },
  "v6.1": {
    era: "v6.1",
    layout: L(32 - DEPOT_OFFSET_BITS - 1 - STACK_DEPOT_EXTRA_BITS, 1, STACK_DEPOT_EXTRA_BITS, false),
    record: "2016",
    defaultMaxPools: 8192,
    scaledTable: true,
    bucketBytes: 8,
    refcounting: false,
    filterIrq: true,
    gfpSanitize: GFP_SANITIZE_CLASSIC_6_1_STABLE,
    needsSpin: false,
    fetchWarn: FETCH_WARN_SLAB,
    earlyInitLog: null,
    lateInitLog: "Stack Depot allocating hash table of %lu entries with kvcalloc",
  },
  "v6.7": {
    era: "v6.7",
    layout: L(32 - DEPOT_OFFSET_BITS - STACK_DEPOT_EXTRA_BITS, 0, STACK_DEPOT_EXTRA_BITS, false),
    record: "6.8",
    defaultMaxPools: 8192,
    scaledTable: true,
    bucketBytes: 16,
    refcounting: true,
    filterIrq: true,
    gfpSanitize: GFP_SANITIZE_CLASSIC,
    needsSpin: false,
    fetchWarn: FETCH_WARN_POOL,
    earlyInitLog: "stackdepot: allocating hash table via alloc_large_system_hash",
    lateInitLog: "stackdepot: allocating hash table of %lu entries via kvcalloc",
  },
  current: {
    era: "current",
    layout: L(32 - DEPOT_OFFSET_BITS - STACK_DEPOT_EXTRA_BITS, 0, STACK_DEPOT_EXTRA_BITS, true),
    record: "6.8",
    defaultMaxPools: 8192,
    scaledTable: true,
    bucketBytes: 16,
    refcounting: true,
    filterIrq: true,
    gfpSanitize: GFP_SANITIZE_NESTED,
    needsSpin: true,
    fetchWarn: FETCH_WARN_POOL,
    earlyInitLog: "stackdepot: allocating hash table via alloc_large_system_hash",
    lateInitLog: "stackdepot: allocating hash table of %lu entries via kvcalloc",
  },
};

/** All eras, oldest first. */
export const DEPOT_ERAS: readonly DepotEra[] = ["v4.6", "v4.7", "v4.9", "v6.1", "v6.7", "current"];

/**
 * The gfp mask the depot passes to the page source for a new pool, given the caller's gfp.
 * - up to 6.x: `gfp &= ~GFP_ZONEMASK; gfp &= (GFP_ATOMIC | GFP_KERNEL [| __GFP_NOLOCKDEP]);
 *   gfp |= __GFP_NOWARN` (GFP_ATOMIC still carried __GFP_ATOMIC, 0xa20, until 6.3); v4.x as
 *   released, without __GFP_NOLOCKDEP; v6.1 is 6.1.192, which has the 2024 stable backport;
 * - current: `gfp_nested_mask(gfp)` = `(gfp & (GFP_KERNEL | GFP_ATOMIC | __GFP_NOLOCKDEP)) |
 *   __GFP_NORETRY | __GFP_NOMEMALLOC | __GFP_NOWARN`.
 * @see lib/stackdepot.c stack_depot_save_flags / __stack_depot_save; include/linux/gfp.h
 */
export function sanitizePoolGfp(gfp: Gfp, era: DepotEra = "current", gfpNolockdep = 0): Gfp {
  const mode = ERA_PROFILES[era].gfpSanitize;
  let g = gfp >>> 0;
  if (mode === GFP_SANITIZE_NESTED) {
    g = (g & (GFP_KERNEL | GFP_ATOMIC | gfpNolockdep)) | __GFP_NORETRY | __GFP_NOMEMALLOC | __GFP_NOWARN;
  } else {
    g &= ~GFP_ZONEMASK;
    if (mode === GFP_SANITIZE_CLASSIC_6_1) g &= GFP_ATOMIC_6_1 | GFP_KERNEL;
    else if (mode === GFP_SANITIZE_CLASSIC_6_1_STABLE) g &= GFP_ATOMIC_6_1 | GFP_KERNEL | gfpNolockdep;
    else g &= GFP_ATOMIC | GFP_KERNEL | gfpNolockdep;
    g |= __GFP_NOWARN;
  }
  return g >>> 0;
}

/** gfpflags_allow_spinning(): false for alloc_pages_nolock()-style masks without reclaim bits. */
export function gfpAllowsSpinning(gfp: Gfp): boolean {
  return (gfp & __GFP_RECLAIM) !== 0;
}

/** Orders, zones, migratetypes, migrate reasons: the numbers and the names the kernel prints. */
import { type Gfp, GFP_MOVABLE_MASK, GFP_MOVABLE_SHIFT } from "./gfp.js";

/** Page frame number: an index into every per-page typed array. */
export type Pfn = number;
/** Block order: a block holds 2^order pages. */
export type Order = number;

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** Inclusive, as MAX_PAGE_ORDER since 6.8 (MAX_ORDER - 1 before 6.4). */
export const MAX_PAGE_ORDER = 10;
export const NR_PAGE_ORDERS = MAX_PAGE_ORDER + 1;
export const MAX_ORDER_NR_PAGES = 1 << MAX_PAGE_ORDER;
export const PAGE_ALLOC_COSTLY_ORDER = 3;
/** mm/internal.h MAX_RECLAIM_RETRIES: no-progress reclaim rounds should_reclaim_retry() allows. */
export const MAX_RECLAIM_RETRIES = 16;
/** x86-64 with hugetlb: HPAGE_PMD_ORDER. */
export const PAGEBLOCK_ORDER = 9;
export const PAGEBLOCK_NR_PAGES = 1 << PAGEBLOCK_ORDER;
/** SECTION_SIZE_BITS = 27 on x86-64: 128 MiB sections. */
export const SECTION_SIZE_BITS = 27;
export const PAGES_PER_SECTION = 1 << (SECTION_SIZE_BITS - PAGE_SHIFT);

// enum migratetype (v4.4+ order)
export const MIGRATE_UNMOVABLE = 0;
export const MIGRATE_MOVABLE = 1;
export const MIGRATE_RECLAIMABLE = 2;
export const MIGRATE_PCPTYPES = 3;
export const MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES;
export const MIGRATE_CMA = 4;
export const MIGRATE_ISOLATE = 5;
/** With CONFIG_CMA and CONFIG_MEMORY_ISOLATION. */
export const MIGRATE_TYPES = 6;
export type Migratetype = number;

/** migratetype_names[], indexed by migratetype value. */
export const MIGRATETYPE_NAMES: readonly string[] = [
  "Unmovable",
  "Movable",
  "Reclaimable",
  "HighAtomic",
  "CMA",
  "Isolate",
];

/**
 * The migratetypes a kernel prints, in enum order: CMA only with CONFIG_CMA, Isolate only with
 * CONFIG_MEMORY_ISOLATION (the 6.1 fixture has no CMA, so its pagetypeinfo has five rows).
 */
export function printedMigratetypes(config: { cma: boolean; isolation: boolean }): Migratetype[] {
  const out = [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_HIGHATOMIC];
  if (config.cma) out.push(MIGRATE_CMA);
  if (config.isolation) out.push(MIGRATE_ISOLATE);
  return out;
}

/** gfp_migratetype(): __GFP_MOVABLE -> Movable, __GFP_RECLAIMABLE -> Reclaimable, else Unmovable. */
export function gfpMigratetype(gfp: Gfp): Migratetype {
  return (gfp & GFP_MOVABLE_MASK) >>> GFP_MOVABLE_SHIFT;
}

// enum zone_type on x86-64
export const ZONE_DMA = 0;
export const ZONE_DMA32 = 1;
export const ZONE_NORMAL = 2;
export const ZONE_MOVABLE = 3;
export const ZONE_DEVICE = 4;
export const MAX_NR_ZONES = 5;
export const ZONE_NAMES: readonly string[] = ["DMA", "DMA32", "Normal", "Movable", "Device"];
/** x86-64 zone boundaries in pfns: DMA below 16 MiB, DMA32 below 4 GiB. */
export const ZONE_DMA_END_PFN = (16 << 20) >>> PAGE_SHIFT;
export const ZONE_DMA32_END_PFN = 0x100000; // 4 GiB / 4 KiB

// enum migrate_reason
export const MR_COMPACTION = 0;
export const MR_MEMORY_FAILURE = 1;
export const MR_MEMORY_HOTPLUG = 2;
export const MR_SYSCALL = 3;
export const MR_MEMPOLICY_MBIND = 4;
export const MR_NUMA_MISPLACED = 5;
export const MR_CONTIG_RANGE = 6;
export const MR_LONGTERM_PIN = 7;
export const MR_DEMOTION = 8;
export const MR_DAMON = 9;
export type MigrateReason = number;

/** migrate_reason_names[] (mm/debug.c), 5.13+ spelling. */
export const MIGRATE_REASON_NAMES: readonly string[] = [
  "compaction",
  "memory_failure",
  "memory_hotplug",
  "syscall_or_cpuset",
  "mempolicy_mbind",
  "numa_misplaced",
  "contig_range",
  "longterm_pin",
  "demotion",
  "damon",
];

// enum zone_watermarks
export const WMARK_MIN = 0;
export const WMARK_LOW = 1;
export const WMARK_HIGH = 2;
export const WMARK_PROMO = 3;
export type WatermarkKind = number;

// alloc_flags bits used across packages (mm/internal.h)
export const ALLOC_WMARK_MIN = WMARK_MIN;
export const ALLOC_WMARK_LOW = WMARK_LOW;
export const ALLOC_WMARK_HIGH = WMARK_HIGH;
export const ALLOC_NO_WATERMARKS = 0x04;
export const ALLOC_OOM = 0x08;
export const ALLOC_HARDER = 0x10;
export const ALLOC_HIGH = 0x20;
export const ALLOC_CPUSET = 0x40;
export const ALLOC_CMA = 0x80;
export const ALLOC_NOFRAGMENT = 0x100;

/**
 * The machine's public option, policy and statistics types, and the small constants callers pass
 * or compare with. No behaviour: every room may import this file.
 */
import type { Clock, Gfp, GfpEra, Order, TaskContext } from "@mm/api";
import type { PfnRange, ZoneLayout } from "./layout.js";
import type { RatelimitOptions } from "./ratelimit.js";

/** ALLOC_KSWAPD (mm/internal.h): the same bit as __GFP_KSWAPD_RECLAIM. */
export const ALLOC_KSWAPD = 0x800;
/** MAX_RECLAIM_RETRIES: no-progress reclaim rounds before the slow path gives up. */
export const MAX_RECLAIM_RETRIES = 16;

/** errno values the model returns (negated), as the kernel does. */
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EBUSY = 16;

/**
 * The slow path's reclaim step. The default does nothing (no reclaimable memory), so the slow
 * path only retries the free lists with lower watermarks before it fails.
 *
 * When to use: an app that models page cache or anon memory frees some of its own allocations
 * here and reports how many pages it freed.
 */
export interface ReclaimPolicy {
  /**
   * __alloc_pages_direct_reclaim -> try_to_free_pages. Free memory back to the machine.
   * @returns pages reclaimed (did_some_progress); 0 means no progress.
   */
  directReclaim(order: Order, gfp: Gfp, highestZoneIdx: number): number;
  /** zone_reclaimable_pages(): what should_reclaim_retry may still hope for. @defaultValue 0 */
  reclaimablePages?(zone: number): number;
  /** kswapd was woken (runs synchronously in this model); return pages reclaimed. */
  kswapd?(order: Order, highestZoneIdx: number): number;
  /** out_of_memory(): kill something; true if memory was (or will be) freed. @defaultValue none */
  outOfMemory?(order: Order, gfp: Gfp): boolean;
}

/** A do-nothing reclaim step: no progress, nothing reclaimable. */
export const noReclaim: ReclaimPolicy = { directReclaim: () => 0 };

/** The `cpuset=...,mems_allowed=...` tail warn_alloc adds with CONFIG_CPUSETS. */
export interface CpusetInfo {
  /** The task's cpuset cgroup name. @defaultValue "/" */
  readonly name: string;
  /** %*pbl of mems_allowed. @defaultValue "0" */
  readonly memsAllowed: string;
}

/** Options of createMachine(). */
export interface MachineOptions {
  /** Memory size: one usable range [0, bytes / 4 KiB). Either this or `ranges`. */
  readonly memoryBytes?: number;
  /** Usable pfn ranges (the e820 usable map); gaps are holes. */
  readonly ranges?: readonly PfnRange[];
  /** memblock reservations inside usable memory: these pages stay allocated (PG_reserved). */
  readonly reserved?: readonly PfnRange[];
  /**
   * Reserved at boot but freed after the first watermark setup (initrd, initmem: the
   * "Freeing ... memory" lines of dmesg, free_reserved_area). Must not overlap `reserved`.
   */
  readonly lateFree?: readonly PfnRange[];
  /** Convenience: this many of the highest usable, unreserved pfns are freed late (as initrd is). */
  readonly lateFreedPages?: number;
  /** How pfns map to zones. @defaultValue "x86-64" (DMA < 16 MiB, DMA32 < 4 GiB, Normal) */
  readonly zoneLayout?: ZoneLayout;
  /**
   * The movablecore= boot parameter in bytes: ZONE_MOVABLE takes at least this much from the top
   * of the highest zone (find_zone_movable_pfns_for_nodes). x86-64 layout only. @defaultValue 0 (no ZONE_MOVABLE)
   */
  readonly movablecore?: number;
  /** Largest order, inclusive (MAX_PAGE_ORDER). @defaultValue 10 */
  readonly maxOrder?: number;
  /**
   * THP is enabled once the machine is up (khugepaged runs, so set_recommended_min_free_kbytes
   * raised min_free_kbytes). @defaultValue false
   */
  readonly thp?: boolean;
  /**
   * THP enabled by the kernel config at boot (hugepage_init). The kernel turns it off on machines
   * with less than 512 MiB of totalram; if `thp` is true and it is off after boot, the model enables
   * it through sysfs after the late frees, as an admin or workload does. @defaultValue thp
   */
  readonly thpAtBoot?: boolean;
  /** vm.min_free_kbytes written after boot (user_min_free_kbytes). @defaultValue computed */
  readonly minFreeKbytes?: number;
  /** vm.watermark_scale_factor. @defaultValue 10 */
  readonly watermarkScaleFactor?: number;
  /** vm.watermark_boost_factor; 0 disables boosting. @defaultValue 15000 */
  readonly watermarkBoostFactor?: number;
  /** vm.lowmem_reserve_ratio per zone. @defaultValue [256, 256, 32, 0, 0] */
  readonly lowmemReserveRatio?: readonly number[];
  /** A CMA area: MIGRATE_CMA pageblocks. `startPfn` defaults to the top of the last range. */
  readonly cma?: { readonly startPfn?: number; readonly nrPages: number } | undefined;
  /** CONFIG_CMA / CONFIG_MEMORY_ISOLATION: which migratetypes /proc prints. @defaultValue { cma: !!cma, isolation: true } */
  readonly config?: { readonly cma: boolean; readonly isolation: boolean };
  /** Simulated time for warn_alloc's ratelimit. @defaultValue a clock frozen at 0 */
  readonly clock?: Clock;
  /** `current` (warn_alloc's comm, PF_MEMALLOC). @defaultValue comm "swapper/0" */
  readonly tasks?: TaskContext;
  /** printk sink for warn_alloc. @defaultValue discard */
  readonly log?: (line: string) => void;
  /** The slow path's reclaim step. @defaultValue noReclaim */
  readonly reclaim?: ReclaimPolicy;
  /** warn_alloc's ratelimit. @defaultValue { intervalNs: 10 s, burst: 1 } */
  readonly warnRatelimit?: RatelimitOptions;
  /** CONFIG_HZ, the ratelimit's jiffy granularity. @defaultValue 250 */
  readonly hz?: number;
  /** CONFIG_CPUSETS tail of warn_alloc; null for a kernel without cpusets. @defaultValue { name: "/", memsAllowed: "0" } */
  readonly cpuset?: CpusetInfo | null;
  /** Which `%pGg` table warn_alloc prints with. @defaultValue "6.1" */
  readonly gfpEra?: GfpEra;
  /** Retries of the slow path's `goto retry` before a __GFP_NOFAIL request gives up. @defaultValue 64 */
  readonly maxSlowpathRetries?: number;
  /**
   * A plain buddy allocator: all watermarks and lowmem reserves stay 0 (createBuddyArena uses
   * this). @defaultValue false
   */
  readonly noWatermarks?: boolean;
  /** Accepted for API symmetry; the allocator itself has no randomness (no page shuffling). */
  readonly seed?: number;
}

/** What other packages read about a zone (a live view). */
export interface ZoneView {
  readonly idx: number;
  readonly name: string;
  readonly startPfn: number;
  readonly endPfn: number;
  readonly spanned: number;
  readonly present: number;
  readonly managed: number;
  /** NR_FREE_PAGES: free pages on the lists, minus isolated pageblocks and isolated blocks. */
  readonly freePages: number;
  readonly freeCmaPages: number;
  readonly cmaPages: number;
  readonly nrReservedHighatomic: number;
  /** [min, low, high] without boost (zoneinfo's min/low/high). */
  readonly watermarks: readonly [number, number, number];
  readonly watermarkBoost: number;
  /** lowmem_reserve[] (zoneinfo's "protection"). */
  readonly lowmemReserve: readonly number[];
  readonly populated: boolean;
}

/** Options of migratePage(). */
export interface MigrateOptions {
  /** The references the caller accounts for (isolation + mappings). @defaultValue 1 */
  readonly expectedRefs?: number;
  /** gfp of the target allocation. @defaultValue GFP_USER | __GFP_MOVABLE | __GFP_RETRY_MAYFAIL (+ __GFP_COMP) */
  readonly gfp?: Gfp;
}

/** Counters for experiments (not kernel vmstat names). */
export interface BuddyStats {
  allocs: number;
  allocFailures: number;
  frees: number;
  slowpaths: number;
  fallbacks: number;
  pageblockSteals: number;
  warnAllocs: number;
  migrations: number;
  migrationFailures: number;
}

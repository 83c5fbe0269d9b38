/**
 * The buddy allocator of one NUMA node: zones, free_area[order][migratetype], pageblocks,
 * fallbacks, watermarks, refcounts, isolation, migration and CMA.
 * Kernel counterpart: mm/page_alloc.c (6.1-era, with the 6.4+ inclusive MAX_ORDER spelling),
 * mm/page_isolation.c, parts of mm/khugepaged.c and mm/migrate.c.
 */
import {
  __GFP_ATOMIC as __GFP_ATOMIC_,
  __GFP_COMP as __GFP_COMP_,
  __GFP_DIRECT_RECLAIM as __GFP_DIRECT_RECLAIM_,
  __GFP_DMA as __GFP_DMA_,
  __GFP_DMA32 as __GFP_DMA32_,
  __GFP_FS as __GFP_FS_,
  __GFP_HIGH as __GFP_HIGH_,
  __GFP_HIGHMEM as __GFP_HIGHMEM_,
  __GFP_KSWAPD_RECLAIM as __GFP_KSWAPD_RECLAIM_,
  __GFP_MEMALLOC as __GFP_MEMALLOC_,
  __GFP_MOVABLE as __GFP_MOVABLE_,
  __GFP_NOFAIL as __GFP_NOFAIL_,
  __GFP_NOMEMALLOC as __GFP_NOMEMALLOC_,
  __GFP_NORETRY as __GFP_NORETRY_,
  __GFP_NOWARN as __GFP_NOWARN_,
  __GFP_RETRY_MAYFAIL as __GFP_RETRY_MAYFAIL_,
  __GFP_THISNODE as __GFP_THISNODE_,
  ALLOC_CMA as ALLOC_CMA_,
  ALLOC_HARDER as ALLOC_HARDER_,
  ALLOC_HIGH as ALLOC_HIGH_,
  ALLOC_NO_WATERMARKS as ALLOC_NO_WATERMARKS_,
  ALLOC_NOFRAGMENT as ALLOC_NOFRAGMENT_,
  ALLOC_OOM as ALLOC_OOM_,
  ALLOC_WMARK_HIGH as ALLOC_WMARK_HIGH_,
  ALLOC_WMARK_LOW as ALLOC_WMARK_LOW_,
  ALLOC_WMARK_MIN as ALLOC_WMARK_MIN_,
  type AllocHooks,
  type Clock,
  formatGfp,
  type Gfp,
  GFP_MOVABLE_MASK as GFP_MOVABLE_MASK_,
  GFP_MOVABLE_SHIFT as GFP_MOVABLE_SHIFT_,
  type GfpEra,
  GFP_USER as GFP_USER_,
  MAX_NR_ZONES as MAX_NR_ZONES_,
  MIGRATE_REASON_NAMES as MIGRATE_REASON_NAMES_,
  MIGRATETYPE_NAMES as MIGRATETYPE_NAMES_,
  MR_CONTIG_RANGE as MR_CONTIG_RANGE_,
  printedMigratetypes,
  type MigrateReason,
  MAX_PAGE_ORDER as MAX_PAGE_ORDER_,
  MIGRATE_CMA as MIGRATE_CMA_,
  MIGRATE_HIGHATOMIC as MIGRATE_HIGHATOMIC_,
  MIGRATE_ISOLATE as MIGRATE_ISOLATE_,
  MIGRATE_MOVABLE as MIGRATE_MOVABLE_,
  MIGRATE_PCPTYPES as MIGRATE_PCPTYPES_,
  MIGRATE_RECLAIMABLE as MIGRATE_RECLAIMABLE_,
  MIGRATE_TYPES as MIGRATE_TYPES_,
  MIGRATE_UNMOVABLE as MIGRATE_UNMOVABLE_,
  type Migratetype,
  MmError,
  type MmErrorCode,
  type Order,
  PAGE_ALLOC_COSTLY_ORDER as PAGE_ALLOC_COSTLY_ORDER_,
  PAGE_SHIFT as PAGE_SHIFT_,
  PAGEBLOCK_ORDER as PAGEBLOCK_ORDER_,
  PAGES_PER_SECTION as PAGES_PER_SECTION_,
  type PageSource,
  type Pfn,
  PG_head as PG_head_,
  PG_lru as PG_lru_,
  PG_reserved as PG_reserved_,
  PG_reported_alias as PG_reported_alias_,
  type ReportableFreeArea,
  TASK_MEMALLOC as TASK_MEMALLOC_,
  type TaskContext,
  WMARK_HIGH as WMARK_HIGH_,
  WMARK_LOW as WMARK_LOW_,
  WMARK_MIN as WMARK_MIN_,
  WMARK_PROMO as WMARK_PROMO_,
  ZONE_DMA as ZONE_DMA_,
  ZONE_DMA32 as ZONE_DMA32_,
  ZONE_DMA32_END_PFN as ZONE_DMA32_END_PFN_,
  ZONE_DMA_END_PFN as ZONE_DMA_END_PFN_,
  ZONE_MOVABLE as ZONE_MOVABLE_,
  ZONE_NAMES as ZONE_NAMES_,
  ZONE_NORMAL as ZONE_NORMAL_,
} from "@mm/api";
import {
  bytesToPages,
  normalizeRanges,
  type PfnRange,
  rangesContain,
  subtractRanges,
  type ZoneLayout,
  zoneSpans,
} from "./layout.js";
import { checkInvariants, type PageCensus } from "./invariants.js";
import {
  PB_ALLOC as PB_ALLOC_,
  PB_BUDDY as PB_BUDDY_,
  PB_HEAD as PB_HEAD_,
  PB_ISOLATED as PB_ISOLATED_,
  PB_MOVABLE as PB_MOVABLE_,
  PB_REPORTED as PB_REPORTED_,
  PB_RESERVED as PB_RESERVED_,
  PB_TAIL as PB_TAIL_,
} from "./page-state.js";
import {
  type BuddyinfoRow,
  formatBuddyinfo,
  formatPagetypeinfo,
  PAGETYPEINFO_CAP,
  type Pagetypeinfo,
  type PagetypeinfoBlockRow,
  type PagetypeinfoFreeRow,
} from "./procfs.js";
import { RatelimitState, type RatelimitOptions, WARN_ALLOC_RATELIMIT } from "./ratelimit.js";
import {
  DEFAULT_LOWMEM_RESERVE_RATIO,
  intSqrt,
  lowmemReserves,
  minFreeKbytesFor,
  thpRecommendedMinFreeKbytes,
  zoneWatermarks,
} from "./watermarks.js";

// Module-local copies of imported constants: under Vite's module runner (tests, benches) an
// imported binding is a getter call, a local const is a plain load on the hot paths.
const __GFP_ATOMIC = __GFP_ATOMIC_;
const __GFP_COMP = __GFP_COMP_;
const __GFP_DIRECT_RECLAIM = __GFP_DIRECT_RECLAIM_;
const __GFP_DMA = __GFP_DMA_;
const __GFP_DMA32 = __GFP_DMA32_;
const __GFP_FS = __GFP_FS_;
const __GFP_HIGH = __GFP_HIGH_;
const __GFP_HIGHMEM = __GFP_HIGHMEM_;
const __GFP_KSWAPD_RECLAIM = __GFP_KSWAPD_RECLAIM_;
const __GFP_MEMALLOC = __GFP_MEMALLOC_;
const __GFP_MOVABLE = __GFP_MOVABLE_;
const __GFP_NOFAIL = __GFP_NOFAIL_;
const __GFP_NOMEMALLOC = __GFP_NOMEMALLOC_;
const __GFP_NORETRY = __GFP_NORETRY_;
const __GFP_NOWARN = __GFP_NOWARN_;
const __GFP_RETRY_MAYFAIL = __GFP_RETRY_MAYFAIL_;
const __GFP_THISNODE = __GFP_THISNODE_;
const ALLOC_CMA = ALLOC_CMA_;
const ALLOC_HARDER = ALLOC_HARDER_;
const ALLOC_HIGH = ALLOC_HIGH_;
const ALLOC_NO_WATERMARKS = ALLOC_NO_WATERMARKS_;
const ALLOC_NOFRAGMENT = ALLOC_NOFRAGMENT_;
const ALLOC_OOM = ALLOC_OOM_;
const ALLOC_WMARK_HIGH = ALLOC_WMARK_HIGH_;
const ALLOC_WMARK_LOW = ALLOC_WMARK_LOW_;
const ALLOC_WMARK_MIN = ALLOC_WMARK_MIN_;
const GFP_MOVABLE_MASK = GFP_MOVABLE_MASK_;
const GFP_MOVABLE_SHIFT = GFP_MOVABLE_SHIFT_;
const GFP_USER = GFP_USER_;
const MAX_NR_ZONES = MAX_NR_ZONES_;
const MIGRATE_REASON_NAMES = MIGRATE_REASON_NAMES_;
const MIGRATETYPE_NAMES = MIGRATETYPE_NAMES_;
const MR_CONTIG_RANGE = MR_CONTIG_RANGE_;
const MAX_PAGE_ORDER = MAX_PAGE_ORDER_;
const MIGRATE_CMA = MIGRATE_CMA_;
const MIGRATE_HIGHATOMIC = MIGRATE_HIGHATOMIC_;
const MIGRATE_ISOLATE = MIGRATE_ISOLATE_;
const MIGRATE_MOVABLE = MIGRATE_MOVABLE_;
const MIGRATE_PCPTYPES = MIGRATE_PCPTYPES_;
const MIGRATE_RECLAIMABLE = MIGRATE_RECLAIMABLE_;
const MIGRATE_TYPES = MIGRATE_TYPES_;
const MIGRATE_UNMOVABLE = MIGRATE_UNMOVABLE_;
const PAGE_ALLOC_COSTLY_ORDER = PAGE_ALLOC_COSTLY_ORDER_;
const PAGE_SHIFT = PAGE_SHIFT_;
const PAGEBLOCK_ORDER = PAGEBLOCK_ORDER_;
const PAGES_PER_SECTION = PAGES_PER_SECTION_;
const PG_head = PG_head_;
const PG_lru = PG_lru_;
const PG_reserved = PG_reserved_;
const PG_reported_alias = PG_reported_alias_;
const TASK_MEMALLOC = TASK_MEMALLOC_;
const WMARK_HIGH = WMARK_HIGH_;
const WMARK_LOW = WMARK_LOW_;
const WMARK_MIN = WMARK_MIN_;
const WMARK_PROMO = WMARK_PROMO_;
const ZONE_DMA = ZONE_DMA_;
const ZONE_DMA32 = ZONE_DMA32_;
const ZONE_DMA32_END_PFN = ZONE_DMA32_END_PFN_;
const ZONE_DMA_END_PFN = ZONE_DMA_END_PFN_;
const ZONE_MOVABLE = ZONE_MOVABLE_;
const ZONE_NAMES = ZONE_NAMES_;
const ZONE_NORMAL = ZONE_NORMAL_;
const PB_ALLOC = PB_ALLOC_;
const PB_BUDDY = PB_BUDDY_;
const PB_HEAD = PB_HEAD_;
const PB_ISOLATED = PB_ISOLATED_;
const PB_MOVABLE = PB_MOVABLE_;
const PB_REPORTED = PB_REPORTED_;
const PB_RESERVED = PB_RESERVED_;
const PB_TAIL = PB_TAIL_;

// __free_one_page's fpi_t flags.
const FPI_NONE = 0;
const FPI_SKIP_REPORT_NOTIFY = 0x2;
const FPI_TO_TAIL = 0x4;

/** ALLOC_KSWAPD (mm/internal.h): the same bit as __GFP_KSWAPD_RECLAIM. */
export const ALLOC_KSWAPD = 0x800;
/** ALLOC_WMARK_MASK: the watermark index in alloc_flags. */
const ALLOC_WMARK_MASK = ALLOC_NO_WATERMARKS - 1;
/** MAX_RECLAIM_RETRIES: no-progress reclaim rounds before the slow path gives up. */
export const MAX_RECLAIM_RETRIES = 16;

/** errno values the model returns (negated), as the kernel does. */
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EBUSY = 16;

/** fallbacks[] (6.1): the order in which other free lists are raided; the rest have none. */
const FALLBACKS: readonly (readonly number[])[] = [
  [MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE], // Unmovable
  [MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE], // Movable
  [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE], // Reclaimable
  [],
  [],
  [],
];

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

/** One zone's counters. Fields are public for the engine; read them through ZoneView. */
export class Zone implements ZoneView {
  readonly name: string;
  managed = 0;
  cmaPages = 0;
  freePages = 0;
  freeCmaPages = 0;
  nrReservedHighatomic = 0;
  nrIsolatePageblock = 0;
  /** _watermark[WMARK_MIN..WMARK_PROMO]. */
  wmarkMin = 0;
  wmarkLow = 0;
  wmarkHigh = 0;
  wmarkPromo = 0;
  watermarkBoost = 0;
  /** ZONE_BOOSTED_WATERMARK. */
  boostedFlag = false;
  readonly lowmemReserve: number[] = new Array<number>(MAX_NR_ZONES).fill(0);
  constructor(
    readonly idx: number,
    readonly startPfn: number,
    readonly endPfn: number,
    readonly present: number,
  ) {
    this.name = ZONE_NAMES[idx];
  }
  get spanned(): number {
    return this.endPfn - this.startPfn;
  }
  get populated(): boolean {
    return this.present !== 0;
  }
  get watermarks(): readonly [number, number, number] {
    return [this.wmarkMin, this.wmarkLow, this.wmarkHigh];
  }
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

/** Subscribers listed under method K implement it. */
type With<K extends keyof AllocHooks> = AllocHooks & Required<Pick<AllocHooks, K>>;

/**
 * A machine: one node of memory managed by the buddy allocator. Create it with createMachine().
 * Public methods validate their input and throw MmError leaving the state untouched; the
 * `...Unsafe`/private helpers trust theirs.
 */
export class BuddyMachine implements PageSource, ReportableFreeArea {
  // ---- geometry
  /** Largest order (inclusive). */
  readonly maxOrder: Order;
  readonly nrOrders: number;
  readonly pageblockOrder: number;
  readonly pageblockNrPages: number;
  /** First and one-past-last usable pfn of the node. */
  readonly startPfn: Pfn;
  readonly endPfn: Pfn;
  /** Length of the per-page arrays (endPfn rounded up to a max-order block). */
  readonly nrPfns: number;
  /** Usable ranges (present memory). */
  readonly ranges: readonly PfnRange[];
  readonly zoneLayout: ZoneLayout;
  readonly nrZones = MAX_NR_ZONES;
  readonly nrMigratetypes = MIGRATE_TYPES;
  readonly config: { readonly cma: boolean; readonly isolation: boolean };

  // ---- struct-of-arrays page state, indexed by pfn
  /** PB_* bits. */
  readonly flags: Uint8Array;
  /** page_ref_count of heads; 0 for free pages and tails. */
  readonly refcount: Int32Array;
  /** Order of a free, isolated or allocated block head. */
  readonly order: Uint8Array;
  /** Intrusive circular list links; indices >= nrPfns are the free-list heads (sentinels). */
  readonly next: Int32Array;
  readonly prev: Int32Array;
  /** Migratetype per pageblock. */
  readonly pageblockMt: Uint8Array;
  /** Pageblocks that were ever MIGRATE_HIGHATOMIC (unreserving them may leave unmerged buddies, as in the kernel). */
  readonly pageblockWasHighatomic: Uint8Array;
  /** Section has memory (pfn_valid / online). */
  readonly sectionOnline: Uint8Array;

  /** Zones by kernel index (DMA, DMA32, Normal, Movable, Device); unpopulated ones are empty. */
  readonly zones: readonly Zone[];
  private readonly zoneB0: number;
  private readonly zoneB1: number;
  private readonly listBase: number;
  /** Managed zones in zonelist order (highest index first). */
  private readonly zonelist: Zone[];

  // ---- policy knobs and boot state
  minFreeKbytes = 0;
  userMinFreeKbytes = -1;
  watermarkScaleFactor: number;
  watermarkBoostFactor: number;
  readonly lowmemReserveRatio: readonly number[];
  thpEnabled = false;
  khugepagedRunning = false;

  // ---- collaborators
  private readonly clock: Clock;
  private readonly tasks: TaskContext | undefined;
  private readonly log: (line: string) => void;
  private readonly reclaim: ReclaimPolicy;
  private readonly nopageRs: RatelimitState;
  private readonly cpuset: CpusetInfo | null;
  private readonly gfpEra: GfpEra;
  private readonly maxSlowpathRetries: number;

  // ---- hooks: one array per method, called in plain loops. Copy-on-write: (un)subscribing
  // replaces the array, so a loop that is walking the old one (a hook that unsubscribes itself
  // or another subscriber) still calls every subscriber it started with.
  private postAllocHooks: With<"postAlloc">[] = [];
  private freePrepareHooks: With<"freePrepare">[] = [];
  private splitHooks: With<"split">[] = [];
  private migrateHooks: With<"migrate">[] = [];
  private migrateFailHooks: With<"migrateFail">[] = [];
  private getHooks: With<"get">[] = [];
  private putHooks: With<"put">[] = [];
  private slowpathEnterHooks: With<"slowpathEnter">[] = [];
  private slowpathExitHooks: With<"slowpathExit">[] = [];
  private freeNotify: ((order: Order) => void) | null = null;

  /** find_suitable_fallback's *can_steal out-parameter. */
  private canSteal = false;
  /** move_freepages' *num_movable out-parameter. */
  private movableScratch = 0;

  readonly stats: BuddyStats = {
    allocs: 0,
    allocFailures: 0,
    frees: 0,
    slowpaths: 0,
    fallbacks: 0,
    pageblockSteals: 0,
    warnAllocs: 0,
    migrations: 0,
    migrationFailures: 0,
  };

  /** @internal use createMachine(). */
  constructor(opts: MachineOptions) {
    const maxOrder = opts.maxOrder ?? MAX_PAGE_ORDER;
    const layout = opts.zoneLayout ?? "x86-64";
    if (!Number.isInteger(maxOrder) || maxOrder < 0 || maxOrder > 30 || (layout === "x86-64" && maxOrder > 12))
      throw new MmError("BAD_CONFIG", `maxOrder ${maxOrder} out of range`);
    this.maxOrder = maxOrder;
    this.nrOrders = maxOrder + 1;
    this.pageblockOrder = Math.min(PAGEBLOCK_ORDER, maxOrder);
    this.pageblockNrPages = 1 << this.pageblockOrder;
    this.zoneLayout = layout;

    let ranges: PfnRange[];
    if (opts.ranges !== undefined) {
      if (opts.memoryBytes !== undefined) throw new MmError("BAD_CONFIG", "give memoryBytes or ranges, not both");
      ranges = normalizeRanges(opts.ranges, "ranges");
    } else if (opts.memoryBytes !== undefined) {
      const pages = bytesToPages(opts.memoryBytes);
      if (!(pages >= 1)) throw new MmError("BAD_CONFIG", `memoryBytes ${opts.memoryBytes} is less than a page`);
      ranges = [{ startPfn: 0, endPfn: pages }];
    } else {
      throw new MmError("BAD_CONFIG", "createMachine needs memoryBytes or ranges");
    }
    if (ranges.length === 0) throw new MmError("BAD_CONFIG", "no usable memory");
    this.ranges = ranges;
    this.startPfn = ranges[0].startPfn;
    this.endPfn = ranges[ranges.length - 1].endPfn;
    const block = 1 << maxOrder;
    this.nrPfns = Math.ceil(this.endPfn / block) * block;
    if (this.nrPfns > 0x7fff0000) throw new MmError("BAD_CONFIG", "too many pages for Int32 links");

    this.config = opts.config ?? { cma: opts.cma !== undefined, isolation: true };
    if (opts.cma !== undefined && !this.config.cma) throw new MmError("BAD_CONFIG", "a CMA area needs config.cma");

    // Per-page arrays. Fresh typed arrays are zeroed: flags 0 and refcount 0 is "free tail".
    const n = this.nrPfns;
    this.flags = new Uint8Array(n);
    this.refcount = new Int32Array(n);
    this.order = new Uint8Array(n);
    const nrLists = MAX_NR_ZONES * this.nrOrders * MIGRATE_TYPES;
    this.listBase = n;
    this.next = new Int32Array(n + nrLists);
    this.prev = new Int32Array(n + nrLists);
    for (let s = n; s < n + nrLists; s++) {
      this.next[s] = s;
      this.prev[s] = s;
    }
    this.pageblockMt = new Uint8Array(n >>> this.pageblockOrder);
    this.pageblockWasHighatomic = new Uint8Array(n >>> this.pageblockOrder);
    this.sectionOnline = new Uint8Array(Math.ceil(n / PAGES_PER_SECTION));

    const spans = zoneSpans(ranges, layout);
    this.zones = spans.map((s) => new Zone(s.idx, s.startPfn, s.endPfn, s.present));
    this.zoneB0 = layout === "x86-64" ? ZONE_DMA_END_PFN : 0;
    this.zoneB1 = layout === "x86-64" ? ZONE_DMA32_END_PFN : 0;

    this.watermarkScaleFactor = opts.watermarkScaleFactor ?? 10;
    this.watermarkBoostFactor = opts.watermarkBoostFactor ?? 15000;
    this.lowmemReserveRatio = opts.lowmemReserveRatio ?? DEFAULT_LOWMEM_RESERVE_RATIO;
    if (!(this.watermarkScaleFactor >= 1 && this.watermarkScaleFactor <= 3000))
      throw new MmError("BAD_CONFIG", "watermarkScaleFactor must be in 1..3000");

    this.clock = opts.clock ?? { now: () => 0 };
    this.tasks = opts.tasks;
    this.log = opts.log ?? (() => {});
    this.reclaim = opts.reclaim ?? noReclaim;
    this.nopageRs = new RatelimitState(opts.warnRatelimit ?? WARN_ALLOC_RATELIMIT, opts.hz ?? 250, "warn_alloc");
    this.cpuset = opts.cpuset === undefined ? { name: "/", memsAllowed: "0" } : opts.cpuset;
    this.gfpEra = opts.gfpEra ?? "6.1";
    this.maxSlowpathRetries = opts.maxSlowpathRetries ?? 64;

    this.boot(opts);
    this.zonelist = [];
    for (let z = MAX_NR_ZONES - 1; z >= 0; z--) if (this.zones[z].managed > 0) this.zonelist.push(this.zones[z]);
  }

  // =============================================================================================
  // Boot: memmap_init, memblock_free_all, init_per_zone_wmark_min, hugepage_init, late frees.
  // =============================================================================================

  private boot(opts: MachineOptions): void {
    const ranges = this.ranges;
    let reserved = normalizeRanges(opts.reserved ?? [], "reserved");
    let lateFree = normalizeRanges(opts.lateFree ?? [], "lateFree");
    if (!rangesContain(ranges, reserved)) throw new MmError("BAD_CONFIG", "reserved ranges must lie in usable memory");
    if (!rangesContain(ranges, lateFree)) throw new MmError("BAD_CONFIG", "lateFree ranges must lie in usable memory");
    if (totalPages(subtractRanges(lateFree, reserved)) !== totalPages(lateFree))
      throw new MmError("BAD_CONFIG", "lateFree must not overlap reserved");
    if (opts.lateFreedPages !== undefined && opts.lateFreedPages > 0) {
      // Like an initrd: the top of memory that is neither reserved nor already late-freed.
      let need = opts.lateFreedPages;
      const avail = subtractRanges(subtractRanges(ranges, reserved), lateFree);
      const extra: PfnRange[] = [];
      for (let i = avail.length - 1; i >= 0 && need > 0; i--) {
        const r = avail[i];
        const take = Math.min(need, r.endPfn - r.startPfn);
        extra.push({ startPfn: r.endPfn - take, endPfn: r.endPfn });
        need -= take;
      }
      if (need > 0) throw new MmError("BAD_CONFIG", "lateFreedPages exceeds free memory");
      lateFree = normalizeRanges([...lateFree, ...extra], "lateFree");
    }

    // CMA area: whole max-order blocks (CMA's alignment), inside one zone, no holes, no reservations.
    let cma: PfnRange[] = [];
    if (opts.cma !== undefined) {
      const align = Math.max(1 << this.maxOrder, this.pageblockNrPages);
      const nr = Math.ceil(opts.cma.nrPages / align) * align;
      let start: number;
      if (opts.cma.startPfn !== undefined) start = opts.cma.startPfn;
      else {
        const last = ranges[ranges.length - 1];
        start = Math.floor((last.endPfn - nr) / align) * align;
      }
      if (!(nr > 0) || start % align !== 0 || start < 0)
        throw new MmError("BAD_CONFIG", `CMA area must be ${align}-page aligned and non-empty`);
      cma = [{ startPfn: start, endPfn: start + nr }];
      if (!rangesContain(subtractRanges(subtractRanges(ranges, reserved), lateFree), cma))
        throw new MmError("BAD_CONFIG", "CMA area must lie in usable, unreserved memory");
      const z0 = this.zoneIdxOf(start);
      if (this.zoneIdxOf(start + nr - 1) !== z0) throw new MmError("BAD_CONFIG", "CMA area must lie in one zone");
    }
    // Reserved pages include the late-freed ones until they are freed.
    reserved = normalizeRanges([...reserved, ...lateFree], "reserved");

    // memmap_init: in the kernel every struct page starts reserved with refcount 1 and the free
    // ones are cleared as they are given to the buddy allocator. The arrays start zeroed (the
    // state of a free page), so only holes and reservations are written. Pageblocks whose first pfn
    // is memory become MIGRATE_MOVABLE (memmap_init_range); a pageblock starting in a hole stays 0 =
    // Unmovable, which is what the fixture's DMA zone shows.
    for (const r of [...subtractRanges([{ startPfn: 0, endPfn: this.nrPfns }], ranges), ...reserved]) {
      this.flags.fill(PB_RESERVED, r.startPfn, r.endPfn);
      this.refcount.fill(1, r.startPfn, r.endPfn);
    }
    const pbMask = this.pageblockNrPages - 1;
    for (const r of ranges) {
      for (let p = (r.startPfn + pbMask) & ~pbMask; p < r.endPfn; p += this.pageblockNrPages)
        this.pageblockMt[p >>> this.pageblockOrder] = MIGRATE_MOVABLE;
      for (let s = Math.floor(r.startPfn / PAGES_PER_SECTION); s * PAGES_PER_SECTION < r.endPfn; s++) this.sectionOnline[s] = 1;
    }

    // cma_init_reserved_areas (core_initcall): label the pageblocks and free them pageblock by pageblock.
    for (const r of cma) {
      for (let p = r.startPfn; p < r.endPfn; p += this.pageblockNrPages) {
        this.pageblockMt[p >>> this.pageblockOrder] = MIGRATE_CMA;
        this.zones[this.zoneIdxOf(p)].cmaPages += this.pageblockNrPages;
      }
    }

    // memblock_free_all -> __free_pages_memory: the free ranges in max-order chunks, to the tail.
    const free = subtractRanges(subtractRanges(ranges, reserved), cma);
    for (const r of free) this.freePagesMemory(r.startPfn, r.endPfn);
    for (const r of cma) {
      for (let p = r.startPfn; p < r.endPfn; p += this.pageblockNrPages) this.freeBootBlock(p, this.pageblockOrder, FPI_NONE);
    }

    if (opts.noWatermarks === true) {
      // No reserves at all: every zone's marks and lowmem_reserve stay 0, late frees still happen.
      for (const r of lateFree) this.freeReservedRangeUnsafe(r.startPfn, r.endPfn);
      return;
    }
    // init_per_zone_wmark_min (postcore_initcall).
    this.calculateMinFreeKbytes();
    this.setupPerZoneWmarks();
    this.setupPerZoneLowmemReserve();
    // khugepaged_min_free_kbytes_update(): no-op, khugepaged is not running yet.

    // hugepage_init (subsys_initcall): THP is turned off below 512 MiB of totalram.
    const thp = opts.thp ?? false;
    const thpAtBoot = opts.thpAtBoot ?? thp;
    if (thpAtBoot && this.totalramPages() >= 512 << (20 - PAGE_SHIFT)) {
      this.thpEnabled = true;
      this.startStopKhugepaged();
    }

    // free_initrd_mem / free_initmem: free_reserved_area, page by page.
    for (const r of lateFree) this.freeReservedRangeUnsafe(r.startPfn, r.endPfn);

    // The workload's `echo madvise > /sys/kernel/mm/transparent_hugepage/enabled`.
    if (thp !== this.thpEnabled) this.setTransparentHugepage(thp);

    // vm.min_free_kbytes written by the user (min_free_kbytes_sysctl_handler).
    if (opts.minFreeKbytes !== undefined) this.setMinFreeKbytes(opts.minFreeKbytes);
  }

  /** __free_pages_memory: naturally aligned chunks of up to max order. */
  private freePagesMemory(start: number, end: number): void {
    while (start < end) {
      let o = start === 0 ? this.maxOrder : Math.min(this.maxOrder, 31 - Math.clz32(start & -start));
      while (start + (1 << o) > end) o--;
      this.freeBootBlock(start, o, FPI_TO_TAIL);
      start += 1 << o;
    }
  }

  /** __free_pages_core: clear reserved, refcount 0, managed += n, __free_pages_ok(FPI_TO_TAIL). */
  private freeBootBlock(pfn: number, order: number, fpi: number): void {
    // The pages are already in the free state (zeroed arrays): only account them.
    this.zones[this.zoneIdxOf(pfn)].managed += 1 << order;
    this.freeOne(pfn, order, this.pageblockMt[pfn >>> this.pageblockOrder], fpi);
  }

  /**
   * free_reserved_area(start, end): give reserved pages to the buddy allocator one page at a
   * time (free_reserved_page: ClearPageReserved, refcount 1, __free_page), managed += 1 each.
   * The watermarks are not recomputed, as in the kernel.
   */
  freeReservedRange(startPfn: Pfn, endPfn: Pfn): void {
    this.checkPfn(startPfn);
    if (!Number.isInteger(endPfn) || endPfn <= startPfn || endPfn > this.endPfn)
      throw new MmError("PFN_OUT_OF_RANGE", `bad end pfn ${endPfn}`, { pfn: endPfn });
    for (let p = startPfn; p < endPfn; p++) {
      if ((this.flags[p] & PB_RESERVED) === 0 || !this.isPresent(p))
        throw new MmError(this.isPresent(p) ? "NOT_ALLOCATED" : "PFN_IN_HOLE", `pfn ${p} is not a reserved page`, { pfn: p });
    }
    this.freeReservedRangeUnsafe(startPfn, endPfn);
  }

  private freeReservedRangeUnsafe(start: number, end: number): void {
    for (let p = start; p < end; p++) {
      this.flags[p] = PB_ALLOC;
      this.order[p] = 0;
      this.refcount[p] = 1;
      this.zones[this.zoneIdxOf(p)].managed += 1;
      this.freePagesUnsafe(p, 0);
    }
  }

  /** totalram_pages(): managed pages of all zones. */
  totalramPages(): number {
    let s = 0;
    for (const z of this.zones) s += z.managed;
    return s;
  }

  // =============================================================================================
  // Watermarks.
  // =============================================================================================

  /** nr_free_buffer_pages(): sum over zones <= Normal of managed - high (when positive). */
  nrFreeBufferPages(): number {
    let sum = 0;
    for (let z = 0; z <= ZONE_NORMAL; z++) {
      const zone = this.zones[z];
      const high = zone.wmarkHigh + zone.watermarkBoost;
      if (zone.managed > high) sum += zone.managed - high;
    }
    return sum;
  }

  /** calculate_min_free_kbytes(): int_sqrt formula unless the user's value is larger. */
  private calculateMinFreeKbytes(): void {
    const pages = this.nrFreeBufferPages();
    // The kernel compares the unclamped int_sqrt value with the user's; minFreeKbytesFor clamps.
    if (intSqrt(pages * (1 << (PAGE_SHIFT - 10)) * 16) > this.userMinFreeKbytes) this.minFreeKbytes = minFreeKbytesFor(pages);
  }

  /** __setup_per_zone_wmarks(). */
  setupPerZoneWmarks(): void {
    const pagesMin = this.minFreeKbytes >>> (PAGE_SHIFT - 10);
    // 6.1 x86-64: no HighMem, so every zone (Movable included) is "lowmem" here.
    let lowmem = 0;
    for (const z of this.zones) lowmem += z.managed;
    for (const z of this.zones) {
      const w = zoneWatermarks(pagesMin, z.managed, lowmem, false, this.watermarkScaleFactor);
      z.wmarkMin = w[0];
      z.wmarkLow = w[1];
      z.wmarkHigh = w[2];
      z.wmarkPromo = w[3];
      z.watermarkBoost = 0;
    }
  }

  /** setup_per_zone_lowmem_reserve(). */
  setupPerZoneLowmemReserve(): void {
    const res = lowmemReserves(
      this.zones.map((z) => z.managed),
      this.lowmemReserveRatio,
    );
    for (const z of this.zones) for (let j = 0; j < MAX_NR_ZONES; j++) z.lowmemReserve[j] = res[z.idx][j];
  }

  /** vm.min_free_kbytes = kb (min_free_kbytes_sysctl_handler): user value, watermarks recomputed. */
  setMinFreeKbytes(kb: number): void {
    if (!Number.isInteger(kb) || kb < 0) throw new MmError("EINVAL", `min_free_kbytes ${kb}`);
    this.minFreeKbytes = kb;
    this.userMinFreeKbytes = kb;
    this.setupPerZoneWmarks();
  }

  /** vm.watermark_scale_factor = v (1..3000), watermarks recomputed. */
  setWatermarkScaleFactor(v: number): void {
    if (!Number.isInteger(v) || v < 1 || v > 3000) throw new MmError("EINVAL", `watermark_scale_factor ${v}`);
    this.watermarkScaleFactor = v;
    this.setupPerZoneWmarks();
  }

  /**
   * /sys/kernel/mm/transparent_hugepage/enabled: start_stop_khugepaged(), which always ends in
   * set_recommended_min_free_kbytes() (raising min_free_kbytes when THP is on, recalculating it
   * with the int_sqrt formula when THP is off).
   */
  setTransparentHugepage(enabled: boolean): void {
    this.thpEnabled = enabled;
    this.startStopKhugepaged();
  }

  private startStopKhugepaged(): void {
    this.khugepagedRunning = this.thpEnabled;
    this.setRecommendedMinFreeKbytes();
  }

  /** set_recommended_min_free_kbytes() of mm/khugepaged.c (6.1). */
  private setRecommendedMinFreeKbytes(): void {
    if (!this.thpEnabled) {
      this.calculateMinFreeKbytes();
    } else {
      let nrZones = 0;
      for (let z = 0; z <= ZONE_NORMAL; z++) if (this.zones[z].populated) nrZones++;
      const rec = thpRecommendedMinFreeKbytes(nrZones, this.pageblockNrPages, this.nrFreeBufferPages());
      if (rec > this.minFreeKbytes) this.minFreeKbytes = rec;
    }
    this.setupPerZoneWmarks();
  }

  /** wmark_pages(zone, i): the watermark plus the current boost. */
  zoneWatermark(zone: number, kind: number): number {
    const z = this.zones[zone];
    const b = z.watermarkBoost;
    switch (kind) {
      case WMARK_MIN:
        return z.wmarkMin + b;
      case WMARK_LOW:
        return z.wmarkLow + b;
      case WMARK_HIGH:
        return z.wmarkHigh + b;
      case WMARK_PROMO:
        return z.wmarkPromo + b;
      default:
        throw new MmError("EINVAL", `watermark kind ${kind}`);
    }
  }

  /** __zone_watermark_unusable_free(). */
  private unusableFree(z: Zone, order: number, allocFlags: number): number {
    let unusable = (1 << order) - 1;
    if ((allocFlags & (ALLOC_HARDER | ALLOC_OOM)) === 0) unusable += z.nrReservedHighatomic;
    if ((allocFlags & ALLOC_CMA) === 0) unusable += z.freeCmaPages;
    return unusable;
  }

  /** __zone_watermark_ok() (6.1). */
  private watermarkOk(z: Zone, order: number, mark: number, highestZoneIdx: number, allocFlags: number, freePages: number): boolean {
    let min = mark;
    const harder = (allocFlags & (ALLOC_HARDER | ALLOC_OOM)) !== 0;
    freePages -= this.unusableFree(z, order, allocFlags);
    if (allocFlags & ALLOC_HIGH) min -= Math.floor(min / 2);
    if (harder) {
      if (allocFlags & ALLOC_OOM) min -= Math.floor(min / 2);
      else min -= Math.floor(min / 4);
    }
    if (freePages <= min + z.lowmemReserve[highestZoneIdx]) return false;
    if (order === 0) return true;
    const base = this.listBase + z.idx * this.nrOrders * MIGRATE_TYPES;
    const nrFree = this.nrFreeArr;
    const next = this.next;
    for (let o = order; o <= this.maxOrder; o++) {
      if (nrFree[z.idx * this.nrOrders + o] === 0) continue;
      const s = base + o * MIGRATE_TYPES;
      for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) if (next[s + mt] !== s + mt) return true;
      if (allocFlags & ALLOC_CMA && next[s + MIGRATE_CMA] !== s + MIGRATE_CMA) return true;
      if (harder && next[s + MIGRATE_HIGHATOMIC] !== s + MIGRATE_HIGHATOMIC) return true;
    }
    return false;
  }

  /** zone_watermark_ok(z, order, mark, highest_zoneidx = zone, alloc_flags). */
  zoneWatermarkOk(zone: number, order: Order, mark: number, allocFlags: number): boolean {
    const z = this.zones[zone];
    return this.watermarkOk(z, order, mark, zone, allocFlags, z.freePages);
  }

  /** zone_watermark_fast() (6.1). */
  private watermarkFast(z: Zone, order: number, mark: number, highestZoneIdx: number, allocFlags: number, gfp: Gfp): boolean {
    const freePages = z.freePages;
    if (order === 0) {
      let usable = freePages;
      const reserved = this.unusableFree(z, 0, allocFlags);
      usable -= Math.min(usable, reserved);
      if (usable > mark + z.lowmemReserve[highestZoneIdx]) return true;
    }
    if (this.watermarkOk(z, order, mark, highestZoneIdx, allocFlags, freePages)) return true;
    // GFP_ATOMIC order-0 ignores the boost when checking the min watermark.
    if (order === 0 && gfp & __GFP_ATOMIC && z.watermarkBoost !== 0 && (allocFlags & ALLOC_WMARK_MASK) === WMARK_MIN)
      return this.watermarkOk(z, order, z.wmarkMin, highestZoneIdx, allocFlags, freePages);
    return false;
  }

  // =============================================================================================
  // Free lists (list_head by index). Sentinel of (zone, order, mt) = listBase + index.
  // =============================================================================================

  /** free_area[order].nr_free per zone, indexed zone * nrOrders + order. */
  readonly nrFreeArr = new Int32Array(MAX_NR_ZONES * (MAX_PAGE_ORDER + 21));

  /** Index of the list head of free_area[order].free_list[mt] in `next`/`prev`. */
  listHead(zone: number, order: number, mt: number): number {
    return this.listBase + (zone * this.nrOrders + order) * MIGRATE_TYPES + mt;
  }

  private zoneIdxOf(pfn: number): number {
    return pfn < this.zoneB0 ? ZONE_DMA : pfn < this.zoneB1 ? ZONE_DMA32 : ZONE_NORMAL;
  }

  /** add_to_free_list / add_to_free_list_tail + set_buddy_order. */
  private addToFreeList(pfn: number, zi: number, order: number, mt: number, tail: boolean): void {
    const next = this.next;
    const prev = this.prev;
    const s = this.listBase + (zi * this.nrOrders + order) * MIGRATE_TYPES + mt;
    if (tail) {
      const last = prev[s];
      next[pfn] = s;
      prev[pfn] = last;
      next[last] = pfn;
      prev[s] = pfn;
    } else {
      const first = next[s];
      next[pfn] = first;
      prev[pfn] = s;
      prev[first] = pfn;
      next[s] = pfn;
    }
    this.flags[pfn] = PB_BUDDY;
    this.order[pfn] = order;
    this.nrFreeArr[zi * this.nrOrders + order]++;
  }

  /** del_page_from_free_list: unlink, clear PageBuddy and PageReported, nr_free--. */
  private delFromFreeList(pfn: number, zi: number, order: number): void {
    const next = this.next;
    const prev = this.prev;
    const nx = next[pfn];
    const pv = prev[pfn];
    next[pv] = nx;
    prev[nx] = pv;
    this.flags[pfn] = 0;
    this.nrFreeArr[zi * this.nrOrders + order]--;
  }

  /** move_to_free_list: list_move_tail onto free_list[mt] (PageReported survives). */
  private moveToFreeList(pfn: number, zi: number, order: number, mt: number): void {
    const next = this.next;
    const prev = this.prev;
    const nx = next[pfn];
    const pv = prev[pfn];
    next[pv] = nx;
    prev[nx] = pv;
    const s = this.listBase + (zi * this.nrOrders + order) * MIGRATE_TYPES + mt;
    const last = prev[s];
    next[pfn] = s;
    prev[pfn] = last;
    next[last] = pfn;
    prev[s] = pfn;
  }

  /** __mod_zone_freepage_state(zone, nr, mt). */
  private modFreepageState(z: Zone, nr: number, mt: number): void {
    z.freePages += nr;
    if (mt === MIGRATE_CMA) z.freeCmaPages += nr;
  }

  /**
   * __free_one_page(): merge with free buddies of the same order (pageblock-type rule at and
   * above pageblock_order), then put the block at the head, or at the tail when FPI_TO_TAIL or
   * when the next-higher buddy is free (buddy_merge_likely), and notify page reporting.
   */
  private freeOne(pfn: number, order: number, mt: number, fpi: number): void {
    const zi = this.zoneIdxOf(pfn);
    if (mt !== MIGRATE_ISOLATE) this.modFreepageState(this.zones[zi], 1 << order, mt);
    const flags = this.flags;
    const ord = this.order;
    const pbo = this.pageblockOrder;
    const maxO = this.maxOrder;
    let buddy = 0;
    while (order < maxO) {
      buddy = pfn ^ (1 << order);
      // page_is_buddy: PageBuddy with the same order. Zone boundaries are max-order aligned, so a
      // buddy is always in the same zone.
      if ((flags[buddy] & PB_BUDDY) === 0 || ord[buddy] !== order) break;
      if (order >= pbo) {
        const bmt = this.pageblockMt[buddy >>> pbo];
        if (mt !== bmt && (mt >= MIGRATE_PCPTYPES || bmt >= MIGRATE_PCPTYPES)) break;
      }
      this.delFromFreeList(buddy, zi, order);
      pfn &= buddy;
      order++;
    }
    let toTail: boolean;
    if (fpi & FPI_TO_TAIL) toTail = true;
    else if (order >= maxO - 1) toTail = false;
    else {
      // buddy_merge_likely: is the buddy of the combined block free at order + 1?
      const higher = buddy & pfn;
      const hb = higher ^ (1 << (order + 1));
      toTail = (flags[hb] & PB_BUDDY) !== 0 && ord[hb] === order + 1;
    }
    this.addToFreeList(pfn, zi, order, mt, toTail);
    if ((fpi & FPI_SKIP_REPORT_NOTIFY) === 0 && this.freeNotify !== null) this.freeNotify(order);
  }

  /** expand(): hand the upper halves back to free_list[mt] at decreasing orders (list head). */
  private expand(zi: number, pfn: number, low: number, high: number, mt: number): void {
    let size = 1 << high;
    while (high > low) {
      high--;
      size >>>= 1;
      this.addToFreeList(pfn + size, zi, high, mt, false);
    }
  }

  /** __rmqueue_smallest(): first block of free_list[mt] at the smallest order that has one. */
  private rmqueueSmallest(zi: number, order: number, mt: number): number {
    const next = this.next;
    for (let o = order; o <= this.maxOrder; o++) {
      const s = this.listBase + (zi * this.nrOrders + o) * MIGRATE_TYPES + mt;
      const pfn = next[s];
      if (pfn === s) continue;
      this.delFromFreeList(pfn, zi, o);
      this.expand(zi, pfn, order, o, mt);
      return pfn;
    }
    return -1;
  }

  /** can_steal_fallback(). */
  private canStealFallback(order: number, startMt: number): boolean {
    if (order >= this.pageblockOrder) return true;
    return order >= this.pageblockOrder >>> 1 || startMt === MIGRATE_RECLAIMABLE || startMt === MIGRATE_UNMOVABLE;
  }

  /** find_suitable_fallback(area, order, mt, only_stealable = false, &can_steal). */
  private findSuitableFallback(zi: number, order: number, mt: number): number {
    if (this.nrFreeArr[zi * this.nrOrders + order] === 0) return -1;
    this.canSteal = false;
    const fb = FALLBACKS[mt];
    for (let i = 0; i < fb.length; i++) {
      const fmt = fb[i];
      const s = this.listBase + (zi * this.nrOrders + order) * MIGRATE_TYPES + fmt;
      if (this.next[s] === s) continue;
      if (this.canStealFallback(order, mt)) this.canSteal = true;
      return fmt;
    }
    return -1;
  }

  /** move_freepages_block(): move the free blocks of pfn's pageblock to free_list[mt]. */
  private moveFreepagesBlock(z: Zone, pfn: number, mt: number): number {
    let start = pfn & ~(this.pageblockNrPages - 1);
    const end = start + this.pageblockNrPages - 1;
    if (start < z.startPfn || start >= z.endPfn) start = pfn;
    if (end < z.startPfn || end >= z.endPfn) {
      this.movableScratch = 0;
      return 0;
    }
    return this.moveFreepages(z.idx, start, end, mt);
  }

  /** move_freepages(): counts PageLRU-like pages in *num_movable (movableScratch). */
  private moveFreepages(zi: number, start: number, end: number, mt: number): number {
    const flags = this.flags;
    let moved = 0;
    let movable = 0;
    for (let p = start; p <= end; ) {
      const f = flags[p];
      if ((f & PB_BUDDY) === 0) {
        if (f & PB_MOVABLE) movable++;
        p++;
        continue;
      }
      const o = this.order[p];
      this.moveToFreeList(p, zi, o, mt);
      p += 1 << o;
      moved += 1 << o;
    }
    this.movableScratch = movable;
    return moved;
  }

  /** boost_watermark(). */
  private boostWatermark(z: Zone): boolean {
    if (this.watermarkBoostFactor === 0) return false;
    if (this.pageblockNrPages * 4 > z.managed) return false;
    let maxBoost = Math.floor((z.wmarkHigh * this.watermarkBoostFactor) / 10000);
    if (maxBoost === 0) return false;
    maxBoost = Math.max(this.pageblockNrPages, maxBoost);
    z.watermarkBoost = Math.min(z.watermarkBoost + this.pageblockNrPages, maxBoost);
    return true;
  }

  /** set_pageblock_migratetype, remembering HighAtomic history for the invariant checker. */
  private setPageblockMt(pfn: number, mt: number): void {
    const i = pfn >>> this.pageblockOrder;
    this.pageblockMt[i] = mt;
    if (mt === MIGRATE_HIGHATOMIC) this.pageblockWasHighatomic[i] = 1;
  }

  /** steal_suitable_fallback() (6.1). */
  private stealSuitableFallback(z: Zone, pfn: number, allocFlags: number, startType: number, wholeBlock: boolean): void {
    const curOrder = this.order[pfn];
    const oldType = this.pageblockMt[pfn >>> this.pageblockOrder];
    single: {
      if (oldType === MIGRATE_HIGHATOMIC) break single;
      if (curOrder >= this.pageblockOrder) {
        // change_pageblock_range(): take ownership of every pageblock of the block.
        for (let i = 0; i < 1 << (curOrder - this.pageblockOrder); i++)
          this.setPageblockMt(pfn + i * this.pageblockNrPages, startType);
        this.stats.pageblockSteals += 1 << (curOrder - this.pageblockOrder);
        break single;
      }
      if (this.boostWatermark(z) && allocFlags & ALLOC_KSWAPD) z.boostedFlag = true;
      if (!wholeBlock) break single;
      const freePages = this.moveFreepagesBlock(z, pfn, startType);
      const movable = this.movableScratch;
      let alike: number;
      if (startType === MIGRATE_MOVABLE) alike = movable;
      else if (oldType === MIGRATE_MOVABLE) alike = this.pageblockNrPages - (freePages + movable);
      else alike = 0;
      if (freePages === 0) break single;
      if (freePages + alike >= this.pageblockNrPages >>> 1) {
        this.setPageblockMt(pfn, startType);
        this.stats.pageblockSteals++;
      }
      return;
    }
    this.moveToFreeList(pfn, z.idx, curOrder, startType);
  }

  /** __rmqueue_fallback() (6.1): largest block of a fallback type, or the smallest if it can't steal. */
  private rmqueueFallback(z: Zone, order: number, startMt: number, allocFlags: number): boolean {
    const zi = z.idx;
    const minOrder = allocFlags & ALLOC_NOFRAGMENT ? this.pageblockOrder : order;
    let cur = this.maxOrder;
    let fmt: number;
    for (; cur >= minOrder; cur--) {
      fmt = this.findSuitableFallback(zi, cur, startMt);
      if (fmt === -1) continue;
      if (!this.canSteal && startMt === MIGRATE_MOVABLE && cur > order) {
        // find_smallest
        for (cur = order; cur <= this.maxOrder; cur++) {
          fmt = this.findSuitableFallback(zi, cur, startMt);
          if (fmt !== -1) break;
        }
      }
      const s = this.listBase + (zi * this.nrOrders + cur) * MIGRATE_TYPES + fmt;
      const pfn = this.next[s];
      this.stats.fallbacks++;
      this.stealSuitableFallback(z, pfn, allocFlags, startMt, this.canSteal);
      return true;
    }
    return false;
  }

  /** rmqueue() -> rmqueue_buddy() (no per-cpu lists in this model). */
  private rmqueue(z: Zone, order: number, allocFlags: number, mt: number): number {
    let pfn = -1;
    let listMt = mt;
    if (order > 0 && allocFlags & ALLOC_HARDER) {
      pfn = this.rmqueueSmallest(z.idx, order, MIGRATE_HIGHATOMIC);
      listMt = MIGRATE_HIGHATOMIC;
    }
    if (pfn < 0) {
      pfn = this.rmqueueInnerTracked(z, order, mt, allocFlags);
      if (pfn < 0) return -1;
      listMt = this.lastListMt;
    }
    this.modFreepageState(z, -(1 << order), listMt);
    if (z.boostedFlag) {
      z.boostedFlag = false;
      this.wakeupKswapd(0, z.idx);
    }
    return pfn;
  }

  /** The list a block was taken from (get_pcppage_migratetype), for the freepage accounting. */
  private lastListMt = 0;

  private rmqueueInnerTracked(z: Zone, order: number, mt: number, allocFlags: number): number {
    // __rmqueue tries CMA when ALLOC_CMA and CMA dominates, else mt, then CMA, then fallbacks
    // (which move blocks onto mt's list). Track which list the block came from.
    const zi = z.idx;
    if (allocFlags & ALLOC_CMA && z.freeCmaPages > Math.floor(z.freePages / 2)) {
      const p = this.rmqueueSmallest(zi, order, MIGRATE_CMA);
      if (p >= 0) {
        this.lastListMt = MIGRATE_CMA;
        return p;
      }
    }
    for (;;) {
      let p = this.rmqueueSmallest(zi, order, mt);
      if (p >= 0) {
        this.lastListMt = mt;
        return p;
      }
      if (allocFlags & ALLOC_CMA) {
        p = this.rmqueueSmallest(zi, order, MIGRATE_CMA);
        if (p >= 0) {
          this.lastListMt = MIGRATE_CMA;
          return p;
        }
      }
      if (!this.rmqueueFallback(z, order, mt, allocFlags)) return -1;
    }
  }

  /** wakeup_kswapd(): kswapd runs synchronously here; when it finishes a boost is cleared. */
  private wakeupKswapd(order: number, highestZoneIdx: number): void {
    if (this.reclaim.kswapd !== undefined) this.reclaim.kswapd(order, highestZoneIdx);
    for (const z of this.zones) z.watermarkBoost = 0;
  }

  // =============================================================================================
  // Allocation: __alloc_pages, get_page_from_freelist, the slow path.
  // =============================================================================================

  /** gfp_zone(): the highest zone a gfp may use; throws EINVAL for the GFP_ZONE_BAD combinations. */
  gfpZone(gfp: Gfp): number {
    const z = gfp & (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32);
    if (z === 0) return ZONE_NORMAL;
    if (z === __GFP_DMA) return ZONE_DMA;
    if (z === __GFP_DMA32) return ZONE_DMA32;
    if (z === __GFP_HIGHMEM) return gfp & __GFP_MOVABLE ? ZONE_MOVABLE : ZONE_NORMAL;
    throw new MmError("EINVAL", `gfp 0x${gfp.toString(16)} has conflicting zone modifiers`, { gfp });
  }

  /**
   * alloc_pages(gfp, order) -> __alloc_pages(): the fast path against the low watermark, then
   * the slow path. Calls the postAlloc hooks once on success.
   * @returns the first pfn, or -1 when the allocation failed (warn_alloc may have printed).
   */
  allocPages(order: Order, gfp: Gfp): Pfn {
    if (!(order >= 0 && order <= this.maxOrder && (order | 0) === order))
      throw new MmError("BAD_ORDER", `order ${order} is not in 0..${this.maxOrder}`, { order });
    const highest = this.gfpZone(gfp);
    if ((gfp & GFP_MOVABLE_MASK) === GFP_MOVABLE_MASK)
      throw new MmError("EINVAL", "gfp has both __GFP_MOVABLE and __GFP_RECLAIMABLE", { gfp });
    const mt = (gfp & GFP_MOVABLE_MASK) >>> GFP_MOVABLE_SHIFT;
    let allocFlags = ALLOC_WMARK_LOW | (gfp & __GFP_KSWAPD_RECLAIM);
    if (this.config.cma && mt === MIGRATE_MOVABLE) allocFlags |= ALLOC_CMA;
    // alloc_flags_nofragment(): on a node with DMA32, Normal allocations avoid fragmenting.
    if (highest >= ZONE_NORMAL && this.zones[ZONE_NORMAL].managed > 0 && this.zoneLayout === "x86-64")
      allocFlags |= ALLOC_NOFRAGMENT;
    let pfn = this.getPageFromFreelist(order, gfp, allocFlags, highest, mt);
    if (pfn < 0) pfn = this.slowpath(order, gfp, highest, mt);
    if (pfn >= 0) this.stats.allocs++;
    else this.stats.allocFailures++;
    return pfn;
  }

  /** get_page_from_freelist(): walk the zonelist from the highest usable zone down. */
  private getPageFromFreelist(order: number, gfp: Gfp, allocFlags: number, highest: number, mt: number): number {
    const zl = this.zonelist;
    for (;;) {
      for (let i = 0; i < zl.length; i++) {
        const z = zl[i];
        if (z.idx > highest) continue;
        if ((allocFlags & ALLOC_NO_WATERMARKS) === 0) {
          const mark = this.zoneWatermark(z.idx, allocFlags & ALLOC_WMARK_MASK);
          if (!this.watermarkFast(z, order, mark, highest, allocFlags, gfp)) continue; // node_reclaim off
        }
        const pfn = this.rmqueue(z, order, allocFlags, mt);
        if (pfn >= 0) {
          this.prepNewPage(pfn, order, gfp);
          if (order !== 0 && allocFlags & ALLOC_HARDER) this.reserveHighatomicPageblock(pfn, z);
          return pfn;
        }
      }
      if ((allocFlags & ALLOC_NOFRAGMENT) === 0) return -1;
      allocFlags &= ~ALLOC_NOFRAGMENT;
    }
  }

  /** prep_new_page -> post_alloc_hook (refcount 1, set_page_owner) + prep_compound_page. */
  private prepNewPage(pfn: number, order: number, gfp: Gfp): void {
    const movable = (gfp & __GFP_MOVABLE) !== 0 ? PB_MOVABLE : 0;
    this.refcount[pfn] = 1;
    this.order[pfn] = order;
    if (gfp & __GFP_COMP && order > 0) {
      this.flags[pfn] = PB_ALLOC | PB_HEAD | movable;
      this.flags.fill(PB_TAIL | movable, pfn + 1, pfn + (1 << order));
    } else {
      this.flags[pfn] = PB_ALLOC | movable;
    }
    const hooks = this.postAllocHooks;
    for (let i = 0; i < hooks.length; i++) hooks[i].postAlloc(pfn, order, gfp);
  }

  /** reserve_highatomic_pageblock(). */
  private reserveHighatomicPageblock(pfn: number, z: Zone): void {
    const maxManaged = Math.floor(z.managed / 100) + this.pageblockNrPages;
    if (z.nrReservedHighatomic >= maxManaged) return;
    const mt = this.pageblockMt[pfn >>> this.pageblockOrder];
    if (mt < MIGRATE_PCPTYPES) {
      z.nrReservedHighatomic += this.pageblockNrPages;
      this.setPageblockMt(pfn, MIGRATE_HIGHATOMIC);
      this.moveFreepagesBlock(z, pfn, MIGRATE_HIGHATOMIC);
    }
  }

  /** unreserve_highatomic_pageblock(ac, force). */
  private unreserveHighatomicPageblock(highest: number, mt: number, force: boolean): boolean {
    for (const z of this.zonelist) {
      if (z.idx > highest) continue;
      if (!force && z.nrReservedHighatomic <= this.pageblockNrPages) continue;
      for (let o = 0; o <= this.maxOrder; o++) {
        const s = this.listHead(z.idx, o, MIGRATE_HIGHATOMIC);
        const pfn = this.next[s];
        if (pfn === s) continue;
        if (this.pageblockMt[pfn >>> this.pageblockOrder] === MIGRATE_HIGHATOMIC)
          z.nrReservedHighatomic -= Math.min(this.pageblockNrPages, z.nrReservedHighatomic);
        this.setPageblockMt(pfn, mt);
        if (this.moveFreepagesBlock(z, pfn, mt) !== 0) return true;
      }
    }
    return false;
  }

  /** gfp_to_alloc_flags() (6.1, with __GFP_ATOMIC -> ALLOC_HARDER). */
  private gfpToAllocFlags(gfp: Gfp, mt: number): number {
    let f = ALLOC_WMARK_MIN | (gfp & (__GFP_HIGH | __GFP_KSWAPD_RECLAIM));
    if (gfp & __GFP_ATOMIC && (gfp & __GFP_NOMEMALLOC) === 0) f |= ALLOC_HARDER;
    return this.allocFlagsCma(mt, f);
  }

  private allocFlagsCma(mt: number, f: number): number {
    return this.config.cma && mt === MIGRATE_MOVABLE ? f | ALLOC_CMA : f;
  }

  /** __gfp_pfmemalloc_flags(): access to reserves for __GFP_MEMALLOC and PF_MEMALLOC tasks. */
  private pfmemallocFlags(gfp: Gfp): number {
    if (gfp & __GFP_NOMEMALLOC) return 0;
    if (gfp & __GFP_MEMALLOC) return ALLOC_NO_WATERMARKS;
    if (this.tasks !== undefined && this.tasks.current().flags & TASK_MEMALLOC) return ALLOC_NO_WATERMARKS;
    return 0;
  }

  private wakeAllKswapds(order: number, highest: number): void {
    // One node: one kswapd for all zones.
    this.wakeupKswapd(order, highest);
  }

  /**
   * __alloc_pages_slowpath() (6.1) without compaction: min watermark, kswapd, reserves, direct
   * reclaim through the ReclaimPolicy, retries bounded like should_reclaim_retry, the OOM step
   * through the policy, __GFP_NOFAIL's reserve dip, and warn_alloc on failure.
   */
  private slowpath(order: number, gfp: Gfp, highest: number, mt: number): number {
    this.stats.slowpaths++;
    const enter = this.slowpathEnterHooks;
    for (let i = 0; i < enter.length; i++) enter[i].slowpathEnter(gfp, order);
    let pfn = -1;
    try {
      pfn = this.slowpathInner(order, gfp, highest, mt);
    } finally {
      // Balanced even when a __GFP_NOFAIL request gives up by throwing.
      const exit = this.slowpathExitHooks;
      for (let i = 0; i < exit.length; i++) exit[i].slowpathExit(gfp, order, pfn);
    }
    return pfn;
  }

  private slowpathInner(order: number, gfp: Gfp, highest: number, mt: number): number {
    const canDirectReclaim = (gfp & __GFP_DIRECT_RECLAIM) !== 0;
    const costly = order > PAGE_ALLOC_COSTLY_ORDER;
    let allocFlags = this.gfpToAllocFlags(gfp, mt);
    if (allocFlags & ALLOC_KSWAPD) this.wakeAllKswapds(order, highest);
    let pfn = this.getPageFromFreelist(order, gfp, allocFlags, highest, mt);
    if (pfn >= 0) return pfn;
    let noProgressLoops = 0;
    let retries = 0;
    for (;;) {
      // retry:
      if (allocFlags & ALLOC_KSWAPD) this.wakeAllKswapds(order, highest);
      const reserve = this.pfmemallocFlags(gfp);
      if (reserve !== 0) allocFlags = this.allocFlagsCma(mt, reserve);
      pfn = this.getPageFromFreelist(order, gfp, allocFlags, highest, mt);
      if (pfn >= 0) return pfn;
      const memallocTask = this.tasks !== undefined && (this.tasks.current().flags & TASK_MEMALLOC) !== 0;
      if (canDirectReclaim && !memallocTask) {
        // __alloc_pages_direct_reclaim
        const progress = this.reclaim.directReclaim(order, gfp, highest);
        if (progress > 0) {
          pfn = this.getPageFromFreelist(order, gfp, allocFlags, highest, mt);
          if (pfn < 0 && this.unreserveHighatomicPageblock(highest, mt, false))
            pfn = this.getPageFromFreelist(order, gfp, allocFlags, highest, mt);
          if (pfn >= 0) return pfn;
        }
        if ((gfp & __GFP_NORETRY) === 0 && !(costly && (gfp & __GFP_RETRY_MAYFAIL) === 0)) {
          const retry = this.shouldReclaimRetry(order, highest, mt, allocFlags, progress > 0, noProgressLoops);
          noProgressLoops = progress > 0 && !costly ? 0 : noProgressLoops + 1;
          if (retry) {
            if (++retries <= this.maxSlowpathRetries) continue;
          } else {
            // __alloc_pages_may_oom: one more try at the high watermark, then the OOM step.
            pfn = this.getPageFromFreelist(order, gfp & ~__GFP_DIRECT_RECLAIM, ALLOC_WMARK_HIGH, highest, mt);
            if (pfn >= 0) return pfn;
            const oom =
              !costly &&
              (gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE)) === 0 &&
              highest >= ZONE_NORMAL &&
              (gfp & __GFP_FS) !== 0 &&
              this.reclaim.outOfMemory !== undefined &&
              this.reclaim.outOfMemory(order, gfp);
            if (oom && ++retries <= this.maxSlowpathRetries) {
              noProgressLoops = 0;
              continue;
            }
          }
        }
      }
      // nopage:
      if (gfp & __GFP_NOFAIL) {
        // __alloc_pages_cpuset_fallback with ALLOC_HARDER, then `goto retry` (forever in the kernel).
        pfn = this.getPageFromFreelist(order, gfp, ALLOC_HARDER | ALLOC_WMARK_MIN, highest, mt);
        if (pfn >= 0) return pfn;
        if (++retries <= this.maxSlowpathRetries) continue;
        this.warnAlloc(gfp, order);
        throw new MmError(
          "NOMEM",
          `__GFP_NOFAIL order-${order} allocation still failing after ${this.maxSlowpathRetries} retries (the kernel would loop forever)`,
          { order, gfp },
        );
      }
      this.warnAlloc(gfp, order);
      return -1;
    }
  }

  /** should_reclaim_retry() (6.1) with the policy's reclaimable pages. */
  private shouldReclaimRetry(order: number, highest: number, mt: number, allocFlags: number, didProgress: boolean, noProgressLoops: number): boolean {
    const loops = didProgress && order <= PAGE_ALLOC_COSTLY_ORDER ? 0 : noProgressLoops + 1;
    if (loops > MAX_RECLAIM_RETRIES) return this.unreserveHighatomicPageblock(highest, mt, true);
    const policy = this.reclaim;
    for (const z of this.zonelist) {
      if (z.idx > highest) continue;
      const available = (policy.reclaimablePages !== undefined ? policy.reclaimablePages(z.idx) : 0) + z.freePages;
      if (this.watermarkOk(z, order, z.wmarkMin + z.watermarkBoost, highest, allocFlags, available)) return true;
    }
    return false;
  }

  /** has_managed_dma(). */
  private hasManagedDma(): boolean {
    return this.zones[ZONE_DMA].managed > 0;
  }

  /** warn_alloc(gfp, NULL, "page allocation failure: order:%u", order): first line only. */
  private warnAlloc(gfp: Gfp, order: number): void {
    if (gfp & __GFP_NOWARN) return;
    if (!this.nopageRs.check(this.clock.now(), this.log)) return;
    if (gfp & __GFP_DMA && !this.hasManagedDma()) return;
    const comm = this.tasks !== undefined ? this.tasks.current().comm : "swapper/0";
    const g = gfp >>> 0;
    const cs = this.cpuset === null ? "" : `,cpuset=${this.cpuset.name},mems_allowed=${this.cpuset.memsAllowed}`;
    this.stats.warnAllocs++;
    this.log(
      `${comm}: page allocation failure: order:${order}, mode:${g === 0 ? "0" : `0x${g.toString(16)}`}(${formatGfp(g, this.gfpEra)}), nodemask=(null)${cs}`,
    );
  }

  // =============================================================================================
  // Free, refcounts, split.
  // =============================================================================================

  private checkPfn(pfn: Pfn): void {
    if (!Number.isInteger(pfn) || pfn < 0 || pfn >= this.endPfn)
      throw new MmError("PFN_OUT_OF_RANGE", `pfn ${pfn} is outside [0, ${this.endPfn})`, { pfn });
    if (!this.isPresent(pfn)) throw new MmError("PFN_IN_HOLE", `pfn ${pfn} is in a memory hole`, { pfn });
  }

  private checkOrder(order: Order): void {
    if (!(Number.isInteger(order) && order >= 0 && order <= this.maxOrder))
      throw new MmError("BAD_ORDER", `order ${order} is not in 0..${this.maxOrder}`, { order });
  }

  /** Is pfn usable memory (not a hole)? Binary search over the ranges. */
  isPresent(pfn: Pfn): boolean {
    const r = this.ranges;
    let lo = 0;
    let hi = r.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (pfn < r[mid].startPfn) hi = mid - 1;
      else if (pfn >= r[mid].endPfn) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Head of the free (or isolated) block containing pfn, or -1. */
  freeBlockHead(pfn: Pfn): Pfn {
    for (let o = 0; o <= this.maxOrder; o++) {
      const h = pfn & ~((1 << o) - 1);
      const f = this.flags[h];
      if (f & (PB_BUDDY | PB_ISOLATED) && h + (1 << this.order[h]) > pfn) return h;
      if (f & (PB_ALLOC | PB_RESERVED) && h !== pfn) return -1;
    }
    return -1;
  }

  /** Head of the allocated block containing pfn (compound or not), or -1. */
  allocatedBlockHead(pfn: Pfn): Pfn {
    for (let o = 0; o <= this.maxOrder; o++) {
      const h = pfn & ~((1 << o) - 1);
      const f = this.flags[h];
      if (f & PB_ALLOC) return h + (1 << this.order[h]) > pfn ? h : -1;
      if (f & (PB_BUDDY | PB_ISOLATED | PB_RESERVED)) return -1;
    }
    return -1;
  }

  /** compound_head(): pfn itself unless it is a compound tail. */
  private compoundHead(pfn: number): number {
    if ((this.flags[pfn] & PB_TAIL) === 0) return pfn;
    for (let o = 1; o <= this.maxOrder; o++) {
      const h = pfn & ~((1 << o) - 1);
      if (this.flags[h] & PB_HEAD) return h;
    }
    return pfn; // unreachable while the invariants hold
  }

  private notAllocated(pfn: number, what: string, putOnFree: boolean): MmError {
    const fh = this.freeBlockHead(pfn);
    let code: MmErrorCode = "NOT_ALLOCATED";
    if (fh >= 0) code = putOnFree ? "PUT_ON_FREE_PAGE" : "DOUBLE_FREE";
    const why =
      fh >= 0
        ? `is free (in the ${this.flags[fh] & PB_ISOLATED ? "isolated" : "free"} order-${this.order[fh]} block at ${fh})`
        : this.flags[pfn] & PB_RESERVED
          ? "is reserved"
          : this.flags[pfn] & PB_TAIL
            ? `is a tail of the compound page at ${this.compoundHead(pfn)}`
            : "is not the head of an allocated block";
    return new MmError(code, `${what}: pfn ${pfn} ${why}`, { pfn });
  }

  /**
   * __free_pages(page, order): drop the caller's reference; free the block when it was the last.
   * With extra references on a non-compound block the tail parts are freed now and the first
   * page stays allocated (order 0) until its last put, as the kernel does.
   */
  freePages(pfn: Pfn, order: Order): void {
    this.checkPfn(pfn);
    this.checkOrder(order);
    const f = this.flags[pfn];
    if ((f & PB_ALLOC) === 0) throw this.notAllocated(pfn, "free", false);
    if (this.order[pfn] !== order)
      throw new MmError("WRONG_ORDER", `free of pfn ${pfn} with order ${order}, allocated with order ${this.order[pfn]}`, {
        pfn,
        order,
        allocated: this.order[pfn],
      });
    this.freePagesUnsafe(pfn, order);
  }

  private freePagesUnsafe(pfn: number, order: number): void {
    const head = (this.flags[pfn] & PB_HEAD) !== 0;
    const c = --this.refcount[pfn];
    const puts = this.putHooks;
    for (let i = 0; i < puts.length; i++) puts[i].put(pfn, c);
    if (c === 0) this.freeBlock(pfn, order);
    else if (!head && order > 0) {
      this.order[pfn] = 0;
      while (order-- > 0) this.freeBlock(pfn + (1 << order), order);
    }
  }

  /** free_the_page -> __free_pages_ok: free_pages_prepare (hooks), then __free_one_page. */
  private freeBlock(pfn: number, order: number): void {
    const frees = this.freePrepareHooks;
    for (let i = 0; i < frees.length; i++) frees[i].freePrepare(pfn, order);
    const f = this.flags[pfn];
    if (f & PB_HEAD || (order > 0 && f & PB_MOVABLE)) this.flags.fill(0, pfn + 1, pfn + (1 << order));
    this.flags[pfn] = 0;
    this.refcount[pfn] = 0;
    this.stats.frees++;
    this.freeOne(pfn, order, this.pageblockMt[pfn >>> this.pageblockOrder], FPI_NONE);
  }

  /** page_ref_count() of the page (of its compound head for tails). */
  pageCount(pfn: Pfn): number {
    this.checkPfn(pfn);
    return this.refcount[this.compoundHead(pfn)];
  }

  /** get_page(): one more reference on an allocated page (the head for compound tails). */
  getPage(pfn: Pfn): void {
    this.checkPfn(pfn);
    const h = this.compoundHead(pfn);
    if ((this.flags[h] & PB_ALLOC) === 0 || this.refcount[h] <= 0) throw this.notAllocated(pfn, "get_page", true);
    if (this.refcount[h] >= 0x7fffffff) throw new MmError("REFCOUNT_OVERFLOW", `get_page: pfn ${pfn} refcount overflow`, { pfn });
    const c = ++this.refcount[h];
    const gets = this.getHooks;
    for (let i = 0; i < gets.length; i++) gets[i].get(h, c);
  }

  /**
   * put_page(): drop a reference; at zero the page (the whole compound page) is freed. Dropping
   * the last reference of a non-compound block of order > 0 this way would free only its first
   * page in the kernel (and leak the rest), so it is refused: use freePages(pfn, order).
   */
  putPage(pfn: Pfn): void {
    this.checkPfn(pfn);
    const h = this.compoundHead(pfn);
    const f = this.flags[h];
    if ((f & PB_ALLOC) === 0 || this.refcount[h] <= 0) throw this.notAllocated(pfn, "put_page", true);
    const c = this.refcount[h] - 1;
    if (c === 0 && (f & PB_HEAD) === 0 && this.order[h] > 0)
      throw new MmError("EINVAL", `put_page would free only page ${h} of its non-compound order-${this.order[h]} block`, { pfn: h });
    this.refcount[h] = c;
    const puts = this.putHooks;
    for (let i = 0; i < puts.length; i++) puts[i].put(h, c);
    if (c === 0) this.freeBlock(h, this.order[h]);
  }

  /** split_page(): a non-compound block becomes 2^order order-0 pages, each with refcount 1. */
  splitPage(pfn: Pfn, order: Order): void {
    this.checkPfn(pfn);
    this.checkOrder(order);
    const f = this.flags[pfn];
    if ((f & PB_ALLOC) === 0) throw this.notAllocated(pfn, "split_page", false);
    if (f & PB_HEAD) throw new MmError("EINVAL", `split_page of compound page ${pfn}`, { pfn });
    if (this.order[pfn] !== order)
      throw new MmError("WRONG_ORDER", `split_page of pfn ${pfn} with order ${order}, allocated with ${this.order[pfn]}`, { pfn, order });
    this.splitPageUnsafe(pfn, order);
  }

  private splitPageUnsafe(pfn: number, order: number): void {
    const nr = 1 << order;
    const fl = PB_ALLOC | (this.flags[pfn] & PB_MOVABLE);
    this.flags.fill(fl, pfn, pfn + nr);
    this.order.fill(0, pfn, pfn + nr);
    this.refcount.fill(1, pfn + 1, pfn + nr);
    const hooks = this.splitHooks;
    for (let i = 0; i < hooks.length; i++) hooks[i].split(pfn, order);
  }

  // =============================================================================================
  // Migration.
  // =============================================================================================

  /**
   * Migrate an allocated block (migrate_pages of one folio): allocate a target of the same order,
   * copy (the migrate hooks, folio_copy_owner), move the references, free the old block.
   * Fails with -EAGAIN (migrateFail hooks) when the refcount differs from `expectedRefs`, as
   * folio_migrate_mapping's expected-count check does, and -ENOMEM when no target is found.
   * @returns the new pfn, or a negative errno.
   */
  migratePage(pfn: Pfn, reason: MigrateReason, opts?: MigrateOptions): Pfn {
    this.checkPfn(pfn);
    if (!(Number.isInteger(reason) && reason >= 0 && reason < MIGRATE_REASON_NAMES.length))
      throw new MmError("EINVAL", `migrate reason ${reason}`);
    const f = this.flags[pfn];
    if ((f & PB_ALLOC) === 0) throw this.notAllocated(pfn, "migrate", false);
    const expected = opts?.expectedRefs ?? 1;
    const order = this.order[pfn];
    const refs = this.refcount[pfn];
    if (refs !== expected) return this.migrateFailed(pfn, reason, -EAGAIN);
    const compound = (f & PB_HEAD) !== 0;
    const gfp = opts?.gfp ?? (GFP_USER | __GFP_MOVABLE | __GFP_RETRY_MAYFAIL | (compound ? __GFP_COMP : 0));
    const np = this.allocPages(order, gfp);
    if (np < 0) return this.migrateFailed(pfn, reason, -ENOMEM);
    // The target takes over the source's state: references and page kind.
    this.refcount[np] = refs;
    this.flags[np] = f;
    if (order > 0) {
      const tail = compound ? PB_TAIL | (f & PB_MOVABLE) : 0;
      this.flags.fill(tail, np + 1, np + (1 << order));
    }
    const mig = this.migrateHooks;
    for (let i = 0; i < mig.length; i++) mig[i].migrate(pfn, np, order, reason);
    this.stats.migrations++;
    this.freeBlock(pfn, order);
    return np;
  }

  private migrateFailed(pfn: number, reason: number, err: number): number {
    this.stats.migrationFailures++;
    const hooks = this.migrateFailHooks;
    for (let i = 0; i < hooks.length; i++) hooks[i].migrateFail(pfn, reason, err);
    return err;
  }

  // =============================================================================================
  // Pageblock isolation and alloc_contig_range (mm/page_isolation.c, mm/page_alloc.c).
  // =============================================================================================

  /**
   * has_unmovable_pages() for one pageblock: reserved pages and allocated pages that are not
   * movable block isolation; CMA pageblocks are only isolatable for a CMA request.
   */
  private hasUnmovablePages(pb: number, mt: number): number {
    const pbmt = this.pageblockMt[pb >>> this.pageblockOrder];
    if (pbmt === MIGRATE_CMA) return mt === MIGRATE_CMA ? -1 : pb;
    const end = pb + this.pageblockNrPages;
    const flags = this.flags;
    for (let p = pb; p < end; ) {
      const f = flags[p];
      if (f & PB_RESERVED) return p;
      if (f & (PB_BUDDY | PB_ISOLATED)) {
        p += 1 << this.order[p];
        continue;
      }
      if (f & PB_ALLOC && (f & PB_MOVABLE) === 0) return p;
      p++;
    }
    return -1;
  }

  /** set_migratetype_isolate(): 0, or -EBUSY (already isolated, or an unmovable page). */
  private setMigratetypeIsolate(pb: number, mt: number): number {
    if (this.pageblockMt[pb >>> this.pageblockOrder] === MIGRATE_ISOLATE) return -EBUSY;
    if (this.hasUnmovablePages(pb, mt) >= 0) return -EBUSY;
    const z = this.zones[this.zoneIdxOf(pb)];
    const old = this.pageblockMt[pb >>> this.pageblockOrder];
    this.setPageblockMt(pb, MIGRATE_ISOLATE);
    z.nrIsolatePageblock++;
    const nr = this.moveFreepagesBlock(z, pb, MIGRATE_ISOLATE);
    this.modFreepageState(z, -nr, old);
    return 0;
  }

  /**
   * unset_migratetype_isolate(): back to `mt`. A free block of at least pageblock order whose
   * buddy is not isolated is isolated and put back so that it can merge (the kernel's trick).
   */
  private unsetMigratetypeIsolate(pb: number, mt: number): void {
    if (this.pageblockMt[pb >>> this.pageblockOrder] !== MIGRATE_ISOLATE) return;
    const z = this.zones[this.zoneIdxOf(pb)];
    let isolatedOrder = -1;
    if (this.flags[pb] & PB_BUDDY) {
      const o = this.order[pb];
      if (o >= this.pageblockOrder && o < this.maxOrder) {
        const b = pb ^ (1 << o);
        if (this.flags[b] & PB_BUDDY && this.order[b] === o && this.pageblockMt[b >>> this.pageblockOrder] !== MIGRATE_ISOLATE) {
          if (this.isolateFreePageUnsafe(pb, o)) isolatedOrder = o;
        }
      }
    }
    if (isolatedOrder < 0) {
      const nr = this.moveFreepagesBlock(z, pb, mt);
      this.modFreepageState(z, nr, mt);
    }
    this.setPageblockMt(pb, mt);
    if (isolatedOrder >= 0) {
      this.flags[pb] = 0;
      this.freeOne(pb, isolatedOrder, mt, FPI_SKIP_REPORT_NOTIFY | FPI_TO_TAIL);
    }
    z.nrIsolatePageblock--;
  }

  /**
   * alloc_contig_range(start, end, migratetype): isolate the pageblocks around the range
   * (max-order aligned, as pfn_max_align_down/up did before 5.19), migrate its movable pages out
   * with MR_CONTIG_RANGE, check that everything is free, take the free pages as order-0 pages with
   * refcount 1 (post_alloc_hook + split_page, so the postAlloc and split hooks run), give back the
   * excess, undo the isolation.
   * @returns 0, or -EBUSY when a page could not be isolated or migrated (the isolation is undone;
   *   pages migrated before the failure stay where they went, as in the kernel).
   */
  allocContigRange(startPfn: Pfn, endPfn: Pfn, migratetype: Migratetype = MIGRATE_CMA): number {
    this.checkPfn(startPfn);
    if (!Number.isInteger(endPfn) || endPfn <= startPfn || endPfn > this.endPfn)
      throw new MmError("PFN_OUT_OF_RANGE", `bad end pfn ${endPfn}`, { pfn: endPfn });
    if (this.zoneIdxOf(endPfn - 1) !== this.zoneIdxOf(startPfn))
      throw new MmError("EINVAL", `[${startPfn}, ${endPfn}) spans two zones`);
    if (!(migratetype === MIGRATE_CMA || migratetype === MIGRATE_MOVABLE))
      throw new MmError("EINVAL", `alloc_contig_range migratetype ${migratetype}`);
    for (let p = startPfn; p < endPfn; p++)
      if (!this.isPresent(p)) throw new MmError("PFN_IN_HOLE", `pfn ${p} is in a memory hole`, { pfn: p });
    const block = 1 << this.maxOrder;
    const isoStart = startPfn & ~(block - 1);
    const isoEnd = Math.min(Math.ceil(endPfn / block) * block, this.nrPfns);
    const pbn = this.pageblockNrPages;

    // start_isolate_page_range
    for (let pb = isoStart; pb < isoEnd; pb += pbn) {
      if (this.setMigratetypeIsolate(pb, migratetype) !== 0) {
        for (let u = isoStart; u < pb; u += pbn) this.unsetMigratetypeIsolate(u, migratetype);
        return -EBUSY;
      }
    }
    let ret = 0;
    // __alloc_contig_migrate_range: move every in-use page of [start, end) elsewhere.
    for (let p = startPfn; p < endPfn; ) {
      const f = this.flags[p];
      if (f & (PB_BUDDY | PB_ISOLATED)) {
        p = (p & ~((1 << this.order[p]) - 1)) + (1 << this.order[p]);
        continue;
      }
      const h = this.allocatedBlockHead(p);
      if (h < 0) {
        p++;
        continue;
      }
      const next = h + (1 << this.order[h]);
      if ((this.flags[h] & PB_MOVABLE) === 0 || this.migratePage(h, MR_CONTIG_RANGE) < 0) {
        ret = -EBUSY;
        break;
      }
      p = next;
    }
    if (ret === 0) {
      // The free block holding startPfn may begin before it (outer_start).
      let outerStart = startPfn;
      const fh = this.freeBlockHead(startPfn);
      if (fh >= 0 && fh < startPfn) outerStart = fh;
      // test_pages_isolated: only free blocks from outerStart to end.
      for (let p = outerStart; p < endPfn; ) {
        if ((this.flags[p] & PB_BUDDY) === 0 || this.pageblockMt[p >>> this.pageblockOrder] !== MIGRATE_ISOLATE) {
          ret = -EBUSY;
          break;
        }
        p += 1 << this.order[p];
      }
      if (ret === 0) {
        // isolate_freepages_range + split_map_pages.
        let p = outerStart;
        while (p < endPfn) {
          const o = this.order[p];
          this.isolateFreePageUnsafe(p, o);
          this.prepNewPage(p, o, __GFP_MOVABLE);
          if (o > 0) this.splitPageUnsafe(p, o);
          p += 1 << o;
        }
        const outerEnd = p;
        // free_contig_range for the excess on both sides.
        for (let q = outerStart; q < startPfn; q++) this.freePagesUnsafe(q, 0);
        for (let q = endPfn; q < outerEnd; q++) this.freePagesUnsafe(q, 0);
      }
    }
    // undo_isolate_page_range
    for (let pb = isoStart; pb < isoEnd; pb += pbn) this.unsetMigratetypeIsolate(pb, migratetype);
    return ret;
  }

  /** free_contig_range(pfn, nr): __free_page on each page of a range from allocContigRange. */
  freeContigRange(pfn: Pfn, nrPages: number): void {
    this.checkPfn(pfn);
    if (!Number.isInteger(nrPages) || nrPages < 1 || pfn + nrPages > this.endPfn)
      throw new MmError("PFN_OUT_OF_RANGE", `bad page count ${nrPages}`, { pfn });
    for (let p = pfn; p < pfn + nrPages; p++) {
      if ((this.flags[p] & PB_ALLOC) === 0 || this.order[p] !== 0)
        throw p === pfn ? this.notAllocated(p, "free_contig_range", false) : new MmError("NOT_ALLOCATED", `free_contig_range: pfn ${p} is not an order-0 page`, { pfn: p });
    }
    for (let p = pfn; p < pfn + nrPages; p++) this.freePagesUnsafe(p, 0);
  }

  // =============================================================================================
  // /proc/buddyinfo and /proc/pagetypeinfo.
  // =============================================================================================

  /** The rows of /proc/buddyinfo (populated zones). */
  buddyinfoRows(): BuddyinfoRow[] {
    const rows: BuddyinfoRow[] = [];
    for (const z of this.zones) {
      if (!z.populated) continue;
      const counts: number[] = [];
      for (let o = 0; o <= this.maxOrder; o++) counts.push(this.nrFreeArr[z.idx * this.nrOrders + o]);
      rows.push({ node: 0, zone: z.name, counts });
    }
    return rows;
  }

  /** /proc/buddyinfo text. */
  buddyinfo(): string {
    return formatBuddyinfo(this.buddyinfoRows());
  }

  /** Length of free_area[order].free_list[mt], walked and capped as pagetypeinfo does. */
  freeListLength(zone: number, order: Order, mt: Migratetype, cap = Infinity): number {
    const s = this.listHead(zone, order, mt);
    let n = 0;
    for (let p = this.next[s]; p !== s; p = this.next[p]) if (++n >= cap) break;
    return n;
  }

  /**
   * The data of /proc/pagetypeinfo. `mixedCounts(zone)` (from page_owner) adds the "Number of
   * mixed blocks" table: counts indexed by migratetype value.
   */
  pagetypeinfoData(mixedCounts?: (zone: number) => ArrayLike<number>): Pagetypeinfo {
    const mts = printedMigratetypes(this.config);
    const free: PagetypeinfoFreeRow[] = [];
    const blocks: PagetypeinfoBlockRow[] = [];
    const mixed: PagetypeinfoBlockRow[] = [];
    for (const z of this.zones) {
      if (!z.populated) continue;
      for (const mt of mts) {
        const counts: number[] = [];
        const overflow: boolean[] = [];
        for (let o = 0; o <= this.maxOrder; o++) {
          const n = this.freeListLength(z.idx, o, mt, PAGETYPEINFO_CAP);
          counts.push(n);
          overflow.push(n >= PAGETYPEINFO_CAP);
        }
        free.push({ node: 0, zone: z.name, type: MIGRATETYPE_NAMES[mt], counts, overflow });
      }
      // pagetypeinfo_showblockcount_print: one sample per pageblock stride from zone_start_pfn.
      const count = new Array<number>(MIGRATE_TYPES).fill(0);
      for (let pfn = z.startPfn; pfn < z.endPfn; pfn += this.pageblockNrPages) {
        if (this.sectionOnline[Math.floor(pfn / PAGES_PER_SECTION)] === 0) continue;
        count[this.pageblockMt[pfn >>> this.pageblockOrder]]++;
      }
      blocks.push({ node: 0, zone: z.name, counts: mts.map((mt) => count[mt]) });
      if (mixedCounts !== undefined) {
        const c = mixedCounts(z.idx);
        mixed.push({ node: 0, zone: z.name, counts: mts.map((mt) => c[mt] ?? 0) });
      }
    }
    return {
      pageblockOrder: this.pageblockOrder,
      pagesPerBlock: this.pageblockNrPages,
      nrOrders: this.nrOrders,
      free,
      types: mts.map((mt) => MIGRATETYPE_NAMES[mt]),
      blocks,
      mixed: mixedCounts === undefined ? undefined : mixed,
    };
  }

  /** /proc/pagetypeinfo text (see pagetypeinfoData for `mixedCounts`). */
  pagetypeinfo(mixedCounts?: (zone: number) => ArrayLike<number>): string {
    return formatPagetypeinfo(this.pagetypeinfoData(mixedCounts));
  }

  /**
   * Verify every list, page and counter (see checkInvariants in invariants.ts).
   * @throws MmError INVARIANT naming the first violation.
   */
  checkInvariants(): PageCensus[] {
    return checkInvariants(this);
  }

  // =============================================================================================
  // Hooks.
  // =============================================================================================

  /** Subscribe to allocator events; returns the unsubscribe function. */
  addHooks(hooks: AllocHooks): () => void {
    // One array per method holds the subscribers that implement it; calls stay method calls.
    this.rebuildHooks(hooks, true);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.rebuildHooks(hooks, false);
    };
  }

  private rebuildHooks(hooks: AllocHooks, add: boolean): void {
    const next = <T>(arr: T[], has: boolean): T[] => {
      if (!has) return arr;
      if (add) return [...arr, hooks as T];
      // Remove one subscription only: the same object may be subscribed more than once.
      const i = arr.indexOf(hooks as T);
      return i < 0 ? arr : [...arr.slice(0, i), ...arr.slice(i + 1)];
    };
    this.postAllocHooks = next(this.postAllocHooks, hooks.postAlloc !== undefined);
    this.freePrepareHooks = next(this.freePrepareHooks, hooks.freePrepare !== undefined);
    this.splitHooks = next(this.splitHooks, hooks.split !== undefined);
    this.migrateHooks = next(this.migrateHooks, hooks.migrate !== undefined);
    this.migrateFailHooks = next(this.migrateFailHooks, hooks.migrateFail !== undefined);
    this.getHooks = next(this.getHooks, hooks.get !== undefined);
    this.putHooks = next(this.putHooks, hooks.put !== undefined);
    this.slowpathEnterHooks = next(this.slowpathEnterHooks, hooks.slowpathEnter !== undefined);
    this.slowpathExitHooks = next(this.slowpathExitHooks, hooks.slowpathExit !== undefined);
  }

  // =============================================================================================
  // ReportableFreeArea (free page reporting) and isolation of free blocks.
  // =============================================================================================

  zoneName(zone: number): string {
    return ZONE_NAMES[zone];
  }
  zoneManagedPages(zone: number): number {
    return this.zones[zone].managed;
  }
  zoneFreePages(zone: number): number {
    return this.zones[zone].freePages;
  }
  nrFree(zone: number, order: Order): number {
    return this.nrFreeArr[zone * this.nrOrders + order];
  }
  freeListFirst(zone: number, order: Order, mt: Migratetype): Pfn {
    const s = this.listHead(zone, order, mt);
    const p = this.next[s];
    return p === s ? -1 : p;
  }
  freeListNext(pfn: Pfn): Pfn {
    const p = this.next[pfn];
    return p >= this.listBase ? -1 : p;
  }
  /** list_rotate_to_front(&page->lru, list): the list head moves to just before pfn. */
  rotateToFront(zone: number, order: Order, mt: Migratetype, pfn: Pfn): void {
    this.checkPfn(pfn);
    if ((this.flags[pfn] & PB_BUDDY) === 0 || this.order[pfn] !== order || this.zoneIdxOf(pfn) !== zone)
      throw new MmError("NOT_FREE_BLOCK", `pfn ${pfn} is not on free_area[${order}] of zone ${zone}`, { pfn, order });
    const s = this.listHead(zone, order, mt);
    const next = this.next;
    const prev = this.prev;
    // list_move_tail(list, &page->lru)
    next[prev[s]] = next[s];
    prev[next[s]] = prev[s];
    const last = prev[pfn];
    next[s] = pfn;
    prev[s] = last;
    next[last] = s;
    prev[pfn] = s;
  }
  isReported(pfn: Pfn): boolean {
    return (this.flags[pfn] & PB_REPORTED) !== 0;
  }
  buddyOrder(pfn: Pfn): Order {
    return this.flags[pfn] & PB_BUDDY ? this.order[pfn] : -1;
  }
  /** __SetPageReported on a free block head. */
  setReported(pfn: Pfn): void {
    this.checkPfn(pfn);
    if ((this.flags[pfn] & PB_BUDDY) === 0) throw new MmError("NOT_FREE_BLOCK", `setReported: pfn ${pfn} is not a free block head`, { pfn });
    this.flags[pfn] |= PB_REPORTED;
  }
  pageblockMigratetype(pfn: Pfn): Migratetype {
    return this.pageblockMt[pfn >>> this.pageblockOrder];
  }
  onFreeNotify(listener: ((order: Order) => void) | null): void {
    this.freeNotify = listener;
  }

  /**
   * __isolate_free_page(): take a free block off its list unless that would breach the min
   * watermark (not checked inside isolated pageblocks); at order >= pageblock_order - 1 its
   * mergeable pageblocks become Movable.
   * @returns false when the watermark check refused.
   */
  isolateFreePage(pfn: Pfn, order: Order): boolean {
    this.checkPfn(pfn);
    this.checkOrder(order);
    if ((this.flags[pfn] & PB_BUDDY) === 0 || this.order[pfn] !== order)
      throw new MmError("NOT_FREE_BLOCK", `isolate: pfn ${pfn} is not a free order-${order} block`, { pfn, order });
    return this.isolateFreePageUnsafe(pfn, order);
  }

  private isolateFreePageUnsafe(pfn: number, order: number): boolean {
    const zi = this.zoneIdxOf(pfn);
    const z = this.zones[zi];
    const mt = this.pageblockMt[pfn >>> this.pageblockOrder];
    if (mt !== MIGRATE_ISOLATE) {
      const mark = z.wmarkMin + (1 << order);
      if (!this.watermarkOk(z, 0, mark, 0, ALLOC_CMA, z.freePages)) return false;
      this.modFreepageState(z, -(1 << order), mt);
    }
    this.delFromFreeList(pfn, zi, order);
    this.flags[pfn] = PB_ISOLATED;
    if (order >= this.pageblockOrder - 1) {
      const end = pfn + (1 << order) - 1;
      for (let p = pfn; p < end; p += this.pageblockNrPages) {
        const pmt = this.pageblockMt[p >>> this.pageblockOrder];
        if (pmt < MIGRATE_PCPTYPES) this.setPageblockMt(p, MIGRATE_MOVABLE);
      }
    }
    return true;
  }

  /**
   * Place an allocation at a chosen pfn: take the free block that contains [pfn, pfn + 2^order)
   * off its list, hand the other halves back (break_down_buddy_pages, as take_page_off_buddy()
   * does), then prep the block as allocPages would (refcount 1, compound when __GFP_COMP, the
   * postAlloc hooks). Trace replay and machine import use it to put a real kernel's choices into
   * the model; there is no watermark check, since the real kernel already made this allocation.
   * @throws MmError NOT_FREE_BLOCK when any page of the range is not free; state is unchanged.
   */
  allocPagesAt(pfn: Pfn, order: Order, gfp: Gfp): void {
    this.checkPfn(pfn);
    this.checkOrder(order);
    if ((pfn & ((1 << order) - 1)) !== 0)
      throw new MmError("EINVAL", `allocPagesAt: pfn ${pfn} is not aligned to order ${order}`, { pfn, order });
    const head = this.freeBlockHead(pfn);
    if (head < 0 || (this.flags[head] & PB_BUDDY) === 0 || this.order[head] < order)
      throw new MmError("NOT_FREE_BLOCK", `allocPagesAt: pfn ${pfn} order ${order} is not inside a free block`, { pfn, order });
    const zi = this.zoneIdxOf(head);
    const z = this.zones[zi];
    const mt = this.pageblockMt[head >>> this.pageblockOrder];
    let high = this.order[head];
    this.delFromFreeList(head, zi, high);
    // break_down_buddy_pages(): keep halving towards pfn; the half without it goes back.
    let base = head;
    while (high > order) {
      high--;
      const size = 1 << high;
      if (pfn >= base + size) {
        this.addToFreeList(base, zi, high, mt, false);
        base += size;
      } else {
        this.addToFreeList(base + size, zi, high, mt, false);
      }
    }
    this.modFreepageState(z, -(1 << order), mt);
    this.stats.allocs++;
    this.prepNewPage(pfn, order, gfp);
  }

  /**
   * set_pageblock_migratetype() followed by move_freepages_block(): the pageblock of pfn gets
   * migratetype mt and its free blocks move to free_list[mt]. For seeding a machine from a
   * real one's pageblock types (page_owner's "Block N type X"); isolation has its own API.
   */
  setPageblockMigratetype(pfn: Pfn, mt: Migratetype): void {
    this.checkPfn(pfn);
    if (!(Number.isInteger(mt) && mt >= 0 && mt < MIGRATE_TYPES) || mt === MIGRATE_ISOLATE)
      throw new MmError("EINVAL", `setPageblockMigratetype: migratetype ${mt}`, { pfn });
    const z = this.zones[this.zoneIdxOf(pfn)];
    const old = this.pageblockMt[pfn >>> this.pageblockOrder];
    if (old === MIGRATE_ISOLATE)
      throw new MmError("BUSY", `setPageblockMigratetype: pageblock of pfn ${pfn} is isolated`, { pfn });
    if (old === MIGRATE_HIGHATOMIC && mt !== MIGRATE_HIGHATOMIC) z.nrReservedHighatomic -= this.pageblockNrPages;
    if (mt === MIGRATE_HIGHATOMIC && old !== MIGRATE_HIGHATOMIC) z.nrReservedHighatomic += this.pageblockNrPages;
    // Free CMA accounting follows the list a free page sits on.
    const start = pfn & ~(this.pageblockNrPages - 1);
    if ((old === MIGRATE_CMA) !== (mt === MIGRATE_CMA)) {
      let free = 0;
      for (let p = start; p < start + this.pageblockNrPages && p < this.nrPfns; ) {
        if (this.flags[p] & PB_BUDDY) {
          free += 1 << this.order[p];
          p += 1 << this.order[p];
        } else p++;
      }
      z.freeCmaPages += mt === MIGRATE_CMA ? free : -free;
    }
    this.setPageblockMt(pfn, mt);
    this.moveFreepagesBlock(z, pfn, mt);
  }

  /** __putback_isolated_page(): back to the tail of free_list[mt], merging, no report notify. */
  putbackIsolatedPage(pfn: Pfn, order: Order, mt: Migratetype): void {
    this.checkPfn(pfn);
    this.checkOrder(order);
    if ((this.flags[pfn] & PB_ISOLATED) === 0 || this.order[pfn] !== order)
      throw new MmError("NOT_ISOLATED", `putback: pfn ${pfn} is not an isolated order-${order} block`, { pfn, order });
    if (!(Number.isInteger(mt) && mt >= 0 && mt < MIGRATE_TYPES)) throw new MmError("EINVAL", `migratetype ${mt}`);
    this.flags[pfn] = 0;
    this.freeOne(pfn, order, mt, FPI_SKIP_REPORT_NOTIFY | FPI_TO_TAIL);
  }

  // =============================================================================================
  // PageSource convenience.
  // =============================================================================================

  /** NR_FREE_PAGES summed over zones. */
  freePagesTotal(): number {
    let s = 0;
    for (const z of this.zones) s += z.freePages;
    return s;
  }

  /** Is pfn the head of a free block on a free list? */
  isFree(pfn: Pfn): boolean {
    return (this.flags[pfn] & PB_BUDDY) !== 0;
  }

  /** Is pfn the head of an allocated block? */
  isAllocated(pfn: Pfn): boolean {
    return (this.flags[pfn] & PB_ALLOC) !== 0;
  }

  /** Zone index of a pfn. */
  zoneOf(pfn: Pfn): number {
    return this.zoneIdxOf(pfn);
  }

  /** Populated zones, lowest first. */
  populatedZones(): Zone[] {
    return this.zones.filter((z) => z.populated);
  }

  /**
   * The page's kernel flag word for `%pGp` (low 32 bits): head, reserved, lru (movable), and
   * uptodate for a Reported free page (PG_reported aliases it).
   */
  pageFlags(pfn: Pfn): number {
    const f = this.flags[pfn];
    let out = 0;
    if (f & PB_HEAD) out |= 1 << PG_head;
    if (f & PB_RESERVED) out |= 1 << PG_reserved;
    if (f & PB_MOVABLE && f & (PB_ALLOC | PB_TAIL)) out |= 1 << PG_lru;
    if (f & PB_REPORTED) out |= 1 << PG_reported_alias;
    return out >>> 0;
  }

}

function totalPages(r: readonly PfnRange[]): number {
  let n = 0;
  for (const x of r) n += x.endPfn - x.startPfn;
  return n;
}

/**
 * Boot a machine: zones, memmap, memblock_free_all, watermarks, the THP adjustment, late frees.
 * @throws MmError BAD_CONFIG for an impossible layout.
 */
export function createMachine(opts: MachineOptions): BuddyMachine {
  return new BuddyMachine(opts);
}

/**
 * The state of one NUMA node (pglist_data with its zones and mem_map), and nothing that acts on
 * it: the per-page typed arrays indexed by pfn, the free-list heads, the zones' counters, the
 * geometry, the knobs and collaborators. Every room of the allocator is a set of free functions
 * over this struct. Kernel counterpart: include/linux/mmzone.h, include/linux/mm_types.h.
 */
import { type AllocHooks, type Clock, type GfpEra, MmError, type Order, type Pfn, type TaskContext } from "@mm/api";
import * as mmApi from "@mm/api";
import { type BuddyStats, type CpusetInfo, type MachineOptions, noReclaim, type ReclaimPolicy, type ZoneView } from "../api.js";
import { bytesToPages, findZoneMovablePfn, normalizeRanges, type PfnRange, type ZoneLayout, zoneSpans } from "../layout.js";
import { RatelimitState, WARN_ALLOC_RATELIMIT } from "../ratelimit.js";
import { takePageArrays } from "./page-arrays.js";
import { DEFAULT_LOWMEM_RESERVE_RATIO } from "../watermarks.js";

// Imported constants bound module-locally for the hot path (why: free-area.ts).
const { MAX_NR_ZONES, MAX_PAGE_ORDER, MIGRATE_TYPES, PAGEBLOCK_ORDER, PAGES_PER_SECTION, ZONE_DMA, ZONE_DMA32, ZONE_DMA32_END_PFN, ZONE_DMA_END_PFN, ZONE_MOVABLE, ZONE_NAMES, ZONE_NORMAL } = mmApi;

/** One zone's counters. Fields are public for the engine; read them through ZoneView. */
export class Zone implements ZoneView {
  declare readonly name: string;
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
  /**
   * managed pages when __setup_per_zone_wmarks / setup_per_zone_lowmem_reserve last ran (-1:
   * never). Late frees change managed without recomputing, as in the kernel; the invariant
   * checker recomputes both from these.
   */
  wmarkBasisManaged = -1;
  lowmemBasisManaged = -1;
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

/**
 * The per-cpu page lists (struct per_cpu_pages of every zone and CPU) as the allocator's rooms
 * call them; pcp.ts implements it. The rooms reach it through NodeState.pcp, so none of them
 * imports pcp.ts (which imports the free and rmqueue rooms it hands pages to).
 */
export interface PcpLists {
  /** Number of CPUs (each has its own lists per zone). */
  readonly cpus: number;
  /** The CPU the allocator runs on (this_cpu_ptr). */
  cpu: number;
  /** page->index of a page on a pcp list (get_pcppage_migratetype); 0xff for every other page. */
  readonly pageMt: Uint8Array;
  /** free_the_page's pcp branch (free_unref_page): false when !pcp_allowed_order(order). */
  freeUnrefPage(pfn: number, order: number): boolean;
  /** rmqueue's first step (rmqueue_pcplist): a pfn, or -1 to go on to rmqueue_buddy. */
  rmqueuePcplist(z: Zone, order: number, allocFlags: number, mt: number): number;
  /** drain_all_pages(zone), every zone for -1 (NULL). @returns pages given back to the buddy lists */
  drainAllPages(zone: number): number;
  /** zone_pcp_update(zone, 0) for every zone: what setup_per_zone_wmarks does after the marks. */
  updateHighAndBatch(): void;
  /** Pages on the zone's pcp lists, all CPUs. */
  zoneCount(zone: number): number;
  /**
   * The invariant checker's view: marks every listed block head in `seen`, checks the lists and
   * counts against each other and the page state, @returns pages on pcp lists per zone.
   * @throws MmError INVARIANT
   */
  census(seen: Uint8Array): number[];
}

/** Subscribers listed under method K implement it. */
export type With<K extends keyof AllocHooks> = AllocHooks & Required<Pick<AllocHooks, K>>;

/**
 * The node: geometry and per-page arrays are fixed at construction; everything else is mutated by
 * the rooms. Fields marked internal are not part of the package's API.
 */
export class NodeState {
  // Fields set once in the constructor are `declare`d: a plain declaration would make the emitted
  // class define each as undefined first, so V8 would lose the field's constness and type (the
  // typed arrays' maps) and re-check them on every page operation.
  // ---- geometry
  /** Largest order (inclusive). */
  declare readonly maxOrder: Order;
  declare readonly nrOrders: number;
  declare readonly pageblockOrder: number;
  declare readonly pageblockNrPages: number;
  /** First and one-past-last usable pfn of the node. */
  declare readonly startPfn: Pfn;
  declare readonly endPfn: Pfn;
  /** Length of the per-page arrays (endPfn rounded up to a max-order block). */
  declare readonly nrPfns: number;
  /** Usable ranges (present memory). */
  declare readonly ranges: readonly PfnRange[];
  declare readonly zoneLayout: ZoneLayout;
  readonly nrZones = MAX_NR_ZONES;
  readonly nrMigratetypes = MIGRATE_TYPES;
  declare readonly config: { readonly cma: boolean; readonly isolation: boolean };

  // ---- struct-of-arrays page state, indexed by pfn
  /** PB_* bits. */
  declare readonly flags: Uint8Array;
  /** page_ref_count of heads; 0 for free pages and tails. */
  declare readonly refcount: Int32Array;
  /** Order of a free, isolated or allocated block head. */
  declare readonly order: Uint8Array;
  /** Intrusive circular list links; indices >= nrPfns are the free-list heads (sentinels). */
  declare readonly next: Int32Array;
  declare readonly prev: Int32Array;
  /** Migratetype per pageblock. */
  declare readonly pageblockMt: Uint8Array;
  /**
   * Pageblocks relabelled while a free block covered them, without merging it (unreserve_highatomic_pageblock,
   * a refused isolate-and-putback, setPageblockMigratetype): that block may have an unmerged free
   * buddy, as in the kernel. Cleared when the block leaves the free lists. (Name kept for the API.)
   */
  declare readonly pageblockWasHighatomic: Uint8Array;
  /** Section has memory (pfn_valid / online). */
  declare readonly sectionOnline: Uint8Array;
  /** free_area[order].nr_free per zone, indexed zone * nrOrders + order. */
  declare readonly nrFreeArr: Int32Array;
  /**
   * @internal Bit o of [zone * MIGRATE_TYPES + mt] is set while free_area[o].free_list[mt] of the
   * zone is non-empty. The kernel walks the orders testing free_area_empty(); this answers the
   * same question for all orders at once, so __rmqueue_smallest, __zone_watermark_ok and
   * find_suitable_fallback pick the same list in O(1). maxOrder <= 30 keeps bit 31 clear, so the
   * readers shift with `>>` and `m & -m` stays int32 (with `>>>` V8 types the result uint32, `-m`
   * becomes a double negation and the order and pfn arithmetic after it runs on doubles: DoubleToI
   * calls in the optimized code).
   */
  declare readonly freeMask: Int32Array;

  /** Zones by kernel index (DMA, DMA32, Normal, Movable, Device); unpopulated ones are empty. */
  declare readonly zones: readonly Zone[];
  /** @internal pfn boundaries of DMA and DMA32 (0 for a single-zone layout). */
  declare readonly zoneB0: number;
  /** @internal */
  declare readonly zoneB1: number;
  /** @internal zone_movable_pfn: first pfn of ZONE_MOVABLE (above every pfn when it has none). */
  declare readonly zoneB2: number;
  /** @internal index of the first list head in `next`/`prev` (= nrPfns). */
  declare readonly listBase: number;
  /** @internal managed zones in zonelist order (highest index first); set by boot. */
  zonelist: Zone[] = [];

  // ---- policy knobs and boot state
  minFreeKbytes = 0;
  /** @internal pages_min of the last __setup_per_zone_wmarks (-1: never). */
  wmarkBasisPagesMin = -1;
  userMinFreeKbytes = -1;
  declare watermarkScaleFactor: number;
  declare watermarkBoostFactor: number;
  declare readonly lowmemReserveRatio: readonly number[];
  thpEnabled = false;
  khugepagedRunning = false;

  // ---- collaborators (internal)
  /** @internal */ declare readonly clock: Clock;
  /** @internal */ declare readonly tasks: TaskContext | undefined;
  /** @internal */ declare readonly log: (line: string) => void;
  /** @internal */ declare readonly reclaim: ReclaimPolicy;
  /** @internal */ declare readonly nopageRs: RatelimitState;
  /** @internal */ declare readonly cpuset: CpusetInfo | null;
  /** @internal */ declare readonly gfpEra: GfpEra;
  /** @internal */ declare readonly maxSlowpathRetries: number;

  // ---- hooks: one array per method, called in plain loops. Copy-on-write: (un)subscribing
  // replaces the array, so a loop that is walking the old one (a hook that unsubscribes itself
  // or another subscriber) still calls every subscriber it started with.
  /** @internal */ postAllocHooks: With<"postAlloc">[] = [];
  /** @internal */ freePrepareHooks: With<"freePrepare">[] = [];
  /** @internal */ splitHooks: With<"split">[] = [];
  /** @internal */ migrateHooks: With<"migrate">[] = [];
  /** @internal */ migrateFailHooks: With<"migrateFail">[] = [];
  /** @internal */ getHooks: With<"get">[] = [];
  /** @internal */ putHooks: With<"put">[] = [];
  /** @internal */ slowpathEnterHooks: With<"slowpathEnter">[] = [];
  /** @internal */ slowpathExitHooks: With<"slowpathExit">[] = [];
  /** @internal page reporting's free notification. */
  freeNotify: ((order: Order) => void) | null = null;
  /** @internal the per-cpu page lists, or null (MachineOptions.pcp off); set by boot. */
  pcp: PcpLists | null = null;

  // ---- out-parameters of kernel functions (no allocation per call)
  /** @internal find_suitable_fallback's *can_steal. */
  canSteal = false;
  /** @internal move_freepages' *num_movable. */
  movableScratch = 0;
  /** @internal the list a block was taken from (get_pcppage_migratetype), for freepage accounting. */
  lastListMt = 0;

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

  /** Geometry and zeroed arrays only; boot() (boot.ts) fills them. */
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

    // Per-page arrays, zeroed (fresh, or a disposed machine's refilled): flags 0 and refcount 0 is "free tail".
    const n = this.nrPfns;
    const nrLists = MAX_NR_ZONES * this.nrOrders * MIGRATE_TYPES;
    const pa = takePageArrays(n, n + nrLists);
    this.flags = pa.flags;
    this.refcount = pa.refcount;
    this.order = pa.order;
    this.listBase = n;
    this.next = pa.next;
    this.prev = pa.prev;
    for (let s = n; s < n + nrLists; s++) {
      this.next[s] = s;
      this.prev[s] = s;
    }
    this.pageblockMt = new Uint8Array(n >>> this.pageblockOrder);
    this.pageblockWasHighatomic = new Uint8Array(n >>> this.pageblockOrder);
    this.sectionOnline = new Uint8Array(Math.ceil(n / PAGES_PER_SECTION));
    this.nrFreeArr = new Int32Array(MAX_NR_ZONES * this.nrOrders);
    this.freeMask = new Int32Array(MAX_NR_ZONES * MIGRATE_TYPES);

    const movablecore = opts.movablecore ?? 0;
    if (!(Number.isSafeInteger(movablecore) && movablecore >= 0)) throw new MmError("BAD_CONFIG", `movablecore ${movablecore}`);
    if (movablecore > 0 && layout !== "x86-64") throw new MmError("BAD_CONFIG", "movablecore needs the x86-64 zone layout");
    const zmp = findZoneMovablePfn(ranges, layout, bytesToPages(movablecore), maxOrder);
    const spans = zoneSpans(ranges, layout, zmp);
    this.zones = spans.map((s) => new Zone(s.idx, s.startPfn, s.endPfn, s.present));
    this.zoneB0 = layout === "x86-64" ? ZONE_DMA_END_PFN : 0;
    this.zoneB1 = layout === "x86-64" ? ZONE_DMA32_END_PFN : 0;
    this.zoneB2 = zmp > 0 ? zmp : 0x7fffffff;

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
  }
}

/** page_zonenum(): zones are pfn intervals with fixed boundaries on x86-64, ZONE_MOVABLE on top. */
export function zoneIdxOf(s: NodeState, pfn: number): number {
  if (pfn >= s.zoneB2) return ZONE_MOVABLE;
  return pfn < s.zoneB0 ? ZONE_DMA : pfn < s.zoneB1 ? ZONE_DMA32 : ZONE_NORMAL;
}

/** Index of the list head of free_area[order].free_list[mt] in `next`/`prev`. */
export function listHead(s: NodeState, zone: number, order: number, mt: number): number {
  return s.listBase + (zone * s.nrOrders + order) * MIGRATE_TYPES + mt;
}

/** pfn_valid(): is pfn usable memory (not a hole)? Binary search over the ranges. */
export function isPresent(s: NodeState, pfn: number): boolean {
  const r = s.ranges;
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

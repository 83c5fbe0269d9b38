/**
 * @mm/buddy: the Linux buddy allocator as a fast, faithful model — zones, free_area[order][mt],
 * pageblocks, fallbacks, watermarks, refcounts, isolation, migration, CMA, /proc formats — and a
 * small generic buddy arena for any address space.
 */
export { BuddyMachine, createMachine } from "./machine.js";
export { Zone } from "./internal/node.js";
export {
  noReclaim,
  ALLOC_KSWAPD,
  MAX_RECLAIM_RETRIES,
  EAGAIN,
  ENOMEM,
  EBUSY,
  type MachineOptions,
  type MigrateOptions,
  type ReclaimPolicy,
  type CpusetInfo,
  type ZoneView,
  type BuddyStats,
} from "./api.js";
export {
  PB_BUDDY,
  PB_ALLOC,
  PB_HEAD,
  PB_TAIL,
  PB_RESERVED,
  PB_REPORTED,
  PB_ISOLATED,
  PB_MOVABLE,
  PB_LRU,
} from "./page-state.js";
export { checkInvariants, type PageCensus } from "./invariants.js";
export {
  formatBuddyinfo,
  parseBuddyinfo,
  formatPagetypeinfo,
  parsePagetypeinfo,
  PAGETYPEINFO_CAP,
  type BuddyinfoRow,
  type Pagetypeinfo,
  type PagetypeinfoFreeRow,
  type PagetypeinfoBlockRow,
} from "./procfs.js";
export {
  intSqrt,
  multFrac,
  minFreeKbytesFor,
  zoneWatermarks,
  lowmemReserves,
  thpRecommendedMinFreeKbytes,
  DEFAULT_LOWMEM_RESERVE_RATIO,
  type Watermarks,
} from "./watermarks.js";
export { RatelimitState, WARN_ALLOC_RATELIMIT, DEFAULT_RATELIMIT, type RatelimitOptions } from "./ratelimit.js";
export { type PfnRange, type ZoneLayout } from "./layout.js";
export { createBuddyArena, type BuddyArena, type BuddyArenaOptions } from "./arena.js";
export { contigPageInfo, unusableFreeIndex, fragmentationIndex, formatUnusableIndex, formatExtfragIndex, formatUnusableIndexRow, formatExtfragIndexRow, type ContigPageInfo } from "./extfrag.js";

/**
 * Pools and the cap: the page-source allocation of a 16 KiB pool, the 2016 `init_stack_slab`,
 * and the 6.8+ `depot_init_pool` / `depot_keep_new_pool` / `depot_pop_free_pool` with the
 * DEPOT_MAX_POOLS limit.
 * @see lib/stackdepot.c (v6.1: init_stack_slab, depot_alloc_stack; 6.8+: depot_init_pool,
 *   depot_keep_new_pool, depot_pop_free_pool)
 */
import type { Gfp } from "@mm/api";
import { DEPOT_CAP_WARNING, DEPOT_POOL_ORDER, DEPOT_POOL_SIZE } from "./api.js";
import { sanitizePoolGfp } from "./era.js";
import { encodeUnchecked } from "./handle.js";
import { NEW_HANDLE, NEW_PREV } from "./record-layout.js";
import { EMPTY, NO_POOL, POOL_UNITS, W_CAP, W_NO_SPARE, installPool, warnOnce, type DepotState } from "./state.js";

// Module-local copies: under a module runner (vitest) every read of an imported binding is a
// getter call, which costs more than the work on these paths.
const POOL_SIZE = DEPOT_POOL_SIZE;
const encode = encodeUnchecked;
const HANDLE = NEW_HANDLE;
const PREV = NEW_PREV;
const UNITS = POOL_UNITS;
const NONE = NO_POOL;

/**
 * What the model prints for `WARN_ON_ONCE(!new_pool)` in depot_init_pool: the kernel prints a
 * `WARNING: CPU: … at lib/stackdepot.c:<line> depot_init_pool+…` splat whose CPU, line and offset
 * the model cannot know, so the line names the file, the function and the condition.
 */
export const DEPOT_NO_SPARE_WARNING = "WARNING: lib/stackdepot.c: depot_init_pool: WARN_ON_ONCE(!new_pool)";

/** alloc_pages(sanitised gfp, DEPOT_POOL_ORDER) from the page source; -1 on failure. */
export function allocPool(s: DepotState, gfp: Gfp): number {
  const mask = sanitizePoolGfp(gfp, s.era, s.nolockdep);
  s.depth++;
  let pfn: number;
  try {
    pfn = s.source.allocPages(DEPOT_POOL_ORDER, mask);
  } finally {
    s.depth--;
  }
  if (!Number.isInteger(pfn) || pfn < 0) {
    s.sourceFailures++;
    return -1;
  }
  s.sourceAllocs++;
  return pfn;
}

/** Give an unused preallocation back (after "unlocking"). */
export function freePool(s: DepotState, pfn: number): void {
  s.sourceFrees++;
  s.source.freePages(pfn, DEPOT_POOL_ORDER);
}

// --- 2016 (v4.6 .. v6.1) ---------------------------------------------------------------------

/** init_stack_slab(): install the preallocation as the current or the next slab. */
export function initStackSlab(s: DepotState): boolean {
  if (s.pre < 0) return false;
  if (s.nextSlabInited) return true;
  const cur = s.pools[s.depotIndex];
  if (cur === undefined || cur === EMPTY) {
    installPool(s, s.depotIndex, s.pre);
    s.pre = -1;
  } else {
    // The 6.3 form guards the index; v4.6 relied on the cap never being this small.
    if (s.depotIndex + 1 < s.maxPools) {
      installPool(s, s.depotIndex + 1, s.pre);
      s.pre = -1;
    }
    s.nextSlabInited = true;
  }
  return true;
}

/**
 * The slab switch of the 2016 depot_alloc_stack(): move to the next slab when `required` bytes
 * do not fit, or WARN_ONCE at the cap. False when the cap stops the save.
 */
export function nextSlabIfFull(s: DepotState, required: number): boolean {
  if (s.depotOffset + required <= POOL_SIZE) return true;
  if (s.depotIndex + 1 >= s.maxPools) {
    warnOnce(s, W_CAP, DEPOT_CAP_WARNING);
    return false;
  }
  s.depotIndex++;
  s.depotOffset = 0;
  if (s.depotIndex + 1 < s.maxPools) s.nextSlabInited = false;
  return true;
}

// --- 6.8 records (v6.7, current) -------------------------------------------------------------

/**
 * depot_init_pool(): make the cached spare (or this save's preallocation) the current pool.
 *
 * Kernel bug reproduced (6.8+, since "stackdepot: use variable size records for non-evictable
 * entries", January 2024; 6.12.y has it): the test that should stop further preallocation,
 * `if (pools_num < DEPOT_MAX_POOLS) new_pool = NULL; else new_pool = STACK_DEPOT_POISON;`, runs
 * before `pools_num` is incremented, so it always holds and new_pool is reset to NULL even after
 * the last pool the cap allows. The next save that misses then preallocates one more 16 KiB pool
 * and depot_keep_new_pool() keeps it (it checks only `new_pool`), never to be used. If no such
 * save happens before the last pool fills, `WARN_ON_ONCE(!new_pool)` fires beside the cap warning.
 * Upstream fix: test `pools_num + 1 < DEPOT_MAX_POOLS` (or test after the increment).
 */
export function depotInitPool(s: DepotState): boolean {
  if (s.poolsNum >= s.maxPools) {
    // WARN_ON_ONCE(pools_num > DEPOT_MAX_POOLS) cannot fire: the check above caps pools_num.
    if (s.newPool === NONE) warnOnce(s, W_NO_SPARE, DEPOT_NO_SPARE_WARNING);
    warnOnce(s, W_CAP, DEPOT_CAP_WARNING);
    return false;
  }
  if (s.newPool === NONE && s.pre >= 0) {
    s.newPool = s.pre;
    s.pre = -1;
  }
  if (s.newPool < 0) return false;
  installPool(s, s.poolsNum, s.newPool);
  // As the kernel: compared before the increment, so this is always NO_POOL (see above).
  s.newPool = NONE;
  s.poolsNum++;
  s.poolOffset = 0;
  return true;
}

/** depot_keep_new_pool(): keep an unused preallocation as new_pool unless one is cached. */
export function depotKeepNewPool(s: DepotState): void {
  if (s.pre >= 0 && s.newPool === NONE) {
    s.newPool = s.pre;
    s.pre = -1;
  }
}

/** depot_pop_free_pool(): carve `size` bytes, switching to a new pool when needed; a ref or 0. */
export function depotPopFreePool(s: DepotState, size: number): number {
  if (s.poolOffset + size > POOL_SIZE && !depotInitPool(s)) return 0;
  if (s.poolsNum < 1) return 0;
  const index = s.poolsNum - 1;
  const pool = s.pools[index];
  const unit = s.poolOffset >>> 4;
  const base = unit << 2;
  // Pre-initialize the handle once; INIT_LIST_HEAD.
  pool[base + HANDLE] = encode(s.layout, index, unit, 0);
  pool[base] = 0;
  pool[base + PREV] = 0;
  s.poolOffset += size;
  return index * UNITS + unit + 1;
}

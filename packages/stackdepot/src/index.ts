/** @mm/stackdepot: deduplicated stack traces behind 32-bit handles, after lib/stackdepot.c. */
export {
  DEPOT_CAP_WARNING,
  DEPOT_OFFSET_BITS,
  DEPOT_POOLS_CAP,
  DEPOT_POOL_ORDER,
  DEPOT_POOL_SIZE,
  DEPOT_STACK_ALIGN,
  REFCOUNT_SATURATED,
  STACKDEPOT_MAX_FRAMES,
  STACK_DEPOT_EXTRA_BITS,
  STACK_DEPOT_FLAGS_MASK,
  STACK_DEPOT_FLAG_CAN_ALLOC,
  STACK_DEPOT_FLAG_GET,
  type DepotEra,
  type DepotHandle,
  type DepotStats,
  type HandleLayout,
  type HandleParts,
  type RcuModel,
  type StackDepotOptions,
} from "./api.js";
export { StackDepot, createStackDepot, decodeDepotHandle } from "./depot.js";
export { DEPOT_NO_SPARE_WARNING } from "./pools.js";
export { DEPOT_ERAS, ERA_PROFILES, gfpAllowsSpinning, sanitizePoolGfp, type EraProfile } from "./era.js";
export { decodeHandle, encodeHandle, getExtraBits, handleLayout, layoutMaxPools, setExtraBits } from "./handle.js";
export { JHASH_INITVAL, STACK_HASH_SEED, hashFrames, jhash2 } from "./jhash.js";
export { KERNEL_TEXT_HIGH } from "./state.js";
export { unlimitedPageSource } from "./page-source.js";
export { ManualRcu, immediateRcu } from "./rcu.js";
export {
  SymbolInterner,
  StackStore,
  createStackStore,
  parseStackFrames,
  type StackStoreOptions,
  type StackStoreStats,
} from "./store.js";
export {
  STACK_HASH_ORDER_FIXED,
  STACK_HASH_ORDER_MAX,
  STACK_HASH_ORDER_MIN,
  STACK_HASH_TABLE_SCALE,
  earlyTableEntries,
  lateTableEntries,
  tableEntriesLine,
} from "./table.js";
export { checkStackDepotInvariants } from "./invariants.js";

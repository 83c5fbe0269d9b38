/** page_owner's simulator side: records per page, recursion guards, storage policies, text outputs. */
export {
  DUMMY_STACK_DEPTH,
  PAGE_OWNER_INLINE_DEPTH,
  PAGE_OWNER_STACK_DEPTH,
  type OwnerDepot,
  type OwnerEra,
  type OwnerMemcg,
  type OwnerMemoryView,
  type OwnerRecord,
  type OwnerZone,
  type PageOwnerOptions,
  type RecursionGuard,
  type ShadowTask,
  type ShadowTaskContext,
  type StackStorage,
} from "./api.js";
export { ERA_TRAITS, ownerClientSize, ownerMembers, type EraTraits } from "./era.js";
export { RecursionGuards, stackScanGuard, taskFlagGuard } from "./guards.js";
export { depotStorage, inlineStorage } from "./storage.js";
export { createPageOwner, PageOwner, type OwnerCensus, type OwnerStats } from "./page-owner.js";
export {
  dumpPageOwner,
  mixedBlockCounts,
  pagetypeinfoMixedSection,
  readCountThreshold,
  readPageOwner,
  readPageOwnerFile,
  showHandles,
  showStacks,
  showStacksHandles,
  writeCountThreshold,
  type PageOwnerRead,
} from "./format.js";

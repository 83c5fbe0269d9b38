/**
 * @mm/sim: the simulated kernel environment around the memory manager — clock and timers,
 * tasks with shadow call stacks, kallsyms-like symbols, a seeded PRNG and workloads.
 */
export { EventQueue, createEventQueue, type EventFn } from "./event-queue.js";
export { DelayedWork, createDelayedWork, type DelayedWorkOptions } from "./delayed-work.js";
export {
  SimTask,
  Tasks,
  createTasks,
  truncateComm,
  TASK_COMM_LEN,
  PID_MAX_DEFAULT,
  RESERVED_PIDS,
  DEFAULT_STACK_CAPACITY,
  TASK_RUNNING,
  TASK_INTERRUPTIBLE,
  TASK_UNINTERRUPTIBLE,
  type SpawnOptions,
  type TasksOptions,
  type TaskSlot,
} from "./tasks.js";
export {
  Symbols,
  createSymbols,
  parseFrame,
  formatFrame,
  syntheticFrame,
  type ParsedFrame,
} from "./symbols.js";
export {
  Prng,
  createPrng,
  seedToKey,
  splitmix64,
  WeightedSampler,
  ZipfSampler,
  type Seed,
} from "./prng.js";
export { Sim, createSim, withFrames, checkSimInvariants, type SimOptions, type Frames } from "./sim.js";
export {
  Workload,
  createWorkload,
  sampleDist,
  validateDist,
  type Dist,
  type WorkloadSite,
  type WorkloadOptions,
  type RefStream,
  type Arrival,
  type ResolvedSite,
} from "./workload.js";
export {
  WorkloadDriver,
  createWorkloadDriver,
  recordWorkload,
  type WorkloadTarget,
  type DriverStats,
  type DriverOptions,
  type WorkloadEvent,
} from "./workload-driver.js";
export {
  bootPreset,
  pageCachePreset,
  type BootPresetOptions,
  type PageCachePresetOptions,
} from "./presets.js";

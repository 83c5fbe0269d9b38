/**
 * @mm/trace: a real kernel's page allocation trace (ftrace text with stack traces, `perf script`
 * with callchains, LLFree's binary format) streamed, replayed through @mm/buddy at the pfns the
 * kernel chose, attributed per stack through @mm/stackdepot, sampled for fragmentation over time,
 * and compared with what the model's own allocator would have chosen.
 */
export {
  EV_ALLOC,
  EV_FREE,
  EV_FREE_BATCHED,
  EV_PCPU_DRAIN,
  EV_ZONE_LOCKED,
  EV_EXTFRAG,
  EVENT_NAMES,
  eventKind,
  newTraceEvent,
  copyTraceEvent,
  type TraceEvent,
  type TraceFormat,
  type TraceStats,
} from "./event.js";
export { GfpParser } from "./gfp-parse.js";
export { FtraceTextParser } from "./ftrace-text.js";
export { PerfScriptParser } from "./perf-script.js";
export type { TraceSink, TextParserOptions } from "./text-parser.js";
export {
  readLlfreeTrace,
  writeLlfreeTrace,
  decodeLlfreeEntry,
  encodeLlfreeEntry,
  LLFREE_PAGE,
  LLFREE_ENTRIES_PER_PAGE,
  type LlfreeEntry,
  type LlfreeHeader,
} from "./llfree-binary.js";
export { readTrace, parseTraceText, detectTextFormat, type ReadTraceOptions } from "./source.js";
export { PreexistingScan, type TraceScan } from "./preexisting.js";
export { StackAttribution, NO_STACK, type StackRow } from "./attribution.js";
export { TraceReplay, gfpForMigratetype, MT_UNKNOWN, type ReplayCounters, type ReplayObserver, type ReplayOptions, type FreeEffect } from "./replay.js";
export { ModelChoice, type ModelChoiceCounters } from "./model-choice.js";
export { freeHugePercent, zoneCounts, type FreeAreaCounts } from "./fragmentation.js";
export { sampleFragmentation, mixedPageblocks, type FragmentationSample, type ZoneSample } from "./series.js";
export { systemRamRanges } from "./iomem.js";
export { replayTrace, type ReplayConfig, type ReplayResult, type StackSeriesRow } from "./pipeline.js";
export { compareBuddyinfo, type BuddyinfoZoneDiff } from "./compare.js";

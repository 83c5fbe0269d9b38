/**
 * One kmem page event as include/trace/events/kmem.h prints it, in a single mutable record that a
 * reader fills and hands to its callback (no object per event on the streaming path).
 */

/** The six kmem page events (trace/events/kmem.h). */
export const EV_ALLOC = 0; // mm_page_alloc: handed to the caller (from pcp or buddy)
export const EV_FREE = 1; // mm_page_free: freed by the caller (free_pages_prepare)
export const EV_FREE_BATCHED = 2; // mm_page_free_batched: free_unref_page_list (after its mm_page_free)
export const EV_PCPU_DRAIN = 3; // mm_page_pcpu_drain: a pcp page back to the buddy (free_pcppages_bulk)
export const EV_ZONE_LOCKED = 4; // mm_page_alloc_zone_locked: taken off free_area (__rmqueue_smallest)
export const EV_EXTFRAG = 5; // mm_page_alloc_extfrag: a fallback to another migratetype's block
export const NR_EVENT_KINDS = 6;

export const EVENT_NAMES: readonly string[] = [
  "mm_page_alloc",
  "mm_page_free",
  "mm_page_free_batched",
  "mm_page_pcpu_drain",
  "mm_page_alloc_zone_locked",
  "mm_page_alloc_extfrag",
];

/** Event name (with or without perf's `kmem:` prefix) to EV_*, or -1. */
export function eventKind(name: string): number {
  const n = name.startsWith("kmem:") ? name.slice(5) : name;
  return EVENT_NAMES.indexOf(n);
}

export type TraceFormat = "ftrace" | "perf" | "llfree";

export interface TraceEvent {
  kind: number;
  /** 1-based line of the event in a text trace; entry index for a binary one. */
  line: number;
  cpu: number;
  pid: number;
  comm: string;
  /** Trace clock in nanoseconds (ftrace/perf print microseconds). */
  tsNs: number;
  /** -1 for a failed allocation (the kernel prints pfn=0 with a NULL page). */
  pfn: number;
  order: number;
  /** -1 when the event does not carry it. */
  migratetype: number;
  /** -1 when unknown; names the parser could not map are counted, not guessed. */
  gfp: number;
  percpuRefill: boolean;
  // mm_page_alloc_extfrag
  allocOrder: number;
  fallbackOrder: number;
  allocMigratetype: number;
  fallbackMigratetype: number;
  fragmenting: boolean;
  changeOwnership: boolean;
  /** Kernel frames innermost first, tracing internals dropped; empty when the trace has none. */
  stack: string[];
}

export function newTraceEvent(): TraceEvent {
  return {
    kind: -1,
    line: 0,
    cpu: 0,
    pid: 0,
    comm: "",
    tsNs: 0,
    pfn: -1,
    order: 0,
    migratetype: -1,
    gfp: -1,
    percpuRefill: false,
    allocOrder: 0,
    fallbackOrder: 0,
    allocMigratetype: -1,
    fallbackMigratetype: -1,
    fragmenting: false,
    changeOwnership: false,
    stack: [],
  };
}

export function copyTraceEvent(e: TraceEvent): TraceEvent {
  return { ...e, stack: e.stack.slice() };
}

/** What a reader saw besides events: the header's counts, lost-event markers, lines skipped. */
export interface TraceStats {
  format: TraceFormat;
  /** `entries-in-buffer/entries-written` of an ftrace header (stack entries count too); -1 when absent. */
  entriesInBuffer: number;
  entriesWritten: number;
  /** CPUs the header names (`#P:n`), or the highest CPU seen + 1. */
  cpus: number;
  /** Sum of `[LOST n EVENTS]` markers (and entries-written - entries-in-buffer, the overwritten ones). */
  lostEvents: number;
  lostMarkers: number;
  /** Events of each EV_* kind. */
  events: number[];
  /** Lines that were neither an event of ours, a stack frame, a comment nor a marker. */
  otherLines: number;
  /** Events of other tracepoints (e.g. a trace that also has sched events). */
  otherEvents: number;
  /** gfp_flags names no table knew (the event's gfp is -1). */
  unknownGfpNames: number;
  failedAllocs: number;
  bytes: number;
}

export function newTraceStats(format: TraceFormat): TraceStats {
  return {
    format,
    entriesInBuffer: -1,
    entriesWritten: -1,
    cpus: 0,
    lostEvents: 0,
    lostMarkers: 0,
    events: new Array<number>(NR_EVENT_KINDS).fill(0),
    otherLines: 0,
    otherEvents: 0,
    unknownGfpNames: 0,
    failedAllocs: 0,
    bytes: 0,
  };
}

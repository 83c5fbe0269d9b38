/**
 * Public types and constants of @mm/pin-owner: selective tracing of page reference holders on
 * unref (Minchan Kim's "page pin owner" RFC v2, renamed trace-unref in David Hildenbrand's review),
 * the sinks its events go to, and the "trace every unref" alternative the review proposed.
 */
import type { AllocHooks, Clock, Gfp, MigrateReason, Pfn, SymbolTable, TaskContext } from "@mm/api";
import { PAGE_EXT_PIN_OWNER } from "@mm/page-ext";

/**
 * The page_ext flag bit. RFC v2 appended PAGE_EXT_PIN_OWNER after the 32-bit-only idle bits, so on
 * x86-64 it is bit 2 (@mm/page-ext's PAGE_EXT_PIN_OWNER); the review's name for it is TRACE_UNREF.
 */
export const PAGE_EXT_TRACE_UNREF = PAGE_EXT_PIN_OWNER;

// Event kinds (what a tracer hands to a sink). Numbers, not an enum (STYLE.md).
/** report_page_pinners: migration of the page failed (or a caller armed it); carries reason and err. */
export const EV_FAIL = 0;
/** page_pin_owner_put: a put of an armed page, after the decrement. */
export const EV_PUT = 1;
/** The review's addition: a reference taken on an armed page, after the increment. */
export const EV_GET = 2;
/** The armed page was freed and disarmed (Android page_pinner's PP_FREE; no ftrace event in the RFC). */
export const EV_FREE = 3;
/** page_ref:page_ref_mod_and_test: any put_page_testzero (the alternative policy). */
export const EV_REF_PUT = 4;
/** page_ref:page_ref_mod: any get_page (the alternative policy, optional). */
export const EV_REF_GET = 5;
export type EventKind = 0 | 1 | 2 | 3 | 4 | 5;
export const NR_EVENT_KINDS = 6;

/**
 * One event as a tracer fills it. Tracers own one scratch object and reuse it for every event, so
 * a sink must copy what it keeps during `emit` and never hold the object.
 */
export interface TraceEvent {
  kind: EventKind;
  pfn: Pfn;
  /** Low 32 bits of page->flags (PG_* bits). */
  flags: number;
  /** page_ref_count() read after the put's decrement / the get's increment. */
  count: number;
  /** page_mapcount(). */
  mapcount: number;
  /** page->mapping as an opaque id, 0 for NULL. */
  mapping: number;
  /** get_pageblock_migratetype(page). */
  mt: number;
  /** page_zonenum(page), printed by %pGp. */
  zone: number;
  /** Stackdepot handle of the stack that did it, 0 when none was captured. */
  handle: number;
  /** Frames in that stack (what an inline ftrace stack would cost). */
  nrFrames: number;
  pid: number;
  /** Simulated ns since boot. */
  ts: number;
  /** Index into the tracer's reason names (EV_FAIL), -1 otherwise. */
  reason: number;
  /** Negative errno of the failure (EV_FAIL), 0 otherwise. */
  err: number;
}

/** A fresh zeroed scratch event. */
export function newTraceEvent(): TraceEvent {
  return {
    kind: EV_FAIL,
    pfn: 0,
    flags: 0,
    count: 0,
    mapcount: 0,
    mapping: 0,
    mt: 0,
    zone: 0,
    handle: 0,
    nrFrames: 0,
    pid: 0,
    ts: 0,
    reason: -1,
    err: 0,
  };
}

/**
 * Resident events as struct-of-arrays, oldest first: what a user reads back from a sink after the
 * fact. `handle` is 0 where no stack survives (ftrace: the stack entry was overwritten or the
 * stacktrace option was off).
 */
export interface EventList {
  readonly length: number;
  readonly kind: Uint8Array;
  readonly pfn: Float64Array;
  readonly flags: Uint32Array;
  readonly count: Int32Array;
  readonly mapcount: Int32Array;
  readonly mapping: Uint32Array;
  readonly mt: Uint8Array;
  readonly zone: Uint8Array;
  readonly handle: Uint32Array;
  readonly pid: Int32Array;
  readonly ts: Float64Array;
  readonly reason: Int32Array;
  readonly err: Int32Array;
}

/** Counters every sink keeps. */
export interface SinkStats {
  /** Events handed to the sink (`emit` calls), whatever became of them. */
  readonly offered: number;
  /** Events the sink has no representation for (e.g. gets in page_pinner's ring). */
  readonly unsupported: number;
  /** Records/entries written (ftrace counts an event and its stack as two entries). */
  readonly written: number;
  /** Bytes written, including ring-buffer headers, time extends and page-end padding. */
  readonly bytesWritten: number;
  /** Entries lost: overwritten (overwrite mode) or dropped because the buffer was full. */
  readonly lost: number;
  /** Events among the lost entries (ftrace: not counting stack entries). */
  readonly lostEvents: number;
  /** Entries in the buffer now. */
  readonly resident: number;
  /** The buffer's fixed size in bytes (what it costs in memory). */
  readonly capacityBytes: number;
}

/** Text rendering needs: frame ids -> text, pid -> comm, the reason names. */
export interface RenderContext {
  readonly symbols: SymbolTable;
  /** stack_depot_fetch: the frames of a handle, innermost first. */
  fetchStack(handle: number): ArrayLike<number>;
  /** comm of a pid (ftrace's saved_cmdlines); "<...>" when unknown. */
  comm(pid: number): string;
  /** Reason names indexed by EV_FAIL's `reason`. */
  readonly reasonNames: readonly string[];
}

/**
 * Where events go (the A/B axis). Implementations: `ftraceRing` (a per-CPU ring of fixed bytes that
 * overwrites its oldest page and counts what it lost) and `pagePinnerRing` (Android's ring of 4096
 * records).
 */
export interface EventSink {
  readonly name: string;
  /** Bytes per page the sink's client adds to page_ext beyond the shared flags word. */
  readonly pageExtPayloadBytes: number;
  /**
   * The sink stores a stack per event (ftrace's options/stacktrace; page_pinner always), so the
   * tracer captures one; false saves the stack walk and the depot lookup.
   */
  readonly stacktrace: boolean;
  /** Record one event. `ev` is only valid during the call. */
  emit(ev: TraceEvent): void;
  stats(): SinkStats;
  /** The resident events, oldest first (allocates; for after-the-fact reading). */
  snapshot(): EventList;
  /** The buffer as its debugfs/tracefs file prints it. */
  render(ctx: RenderContext): string;
  /** Forget everything (tracefs `echo > trace`; page_pinner's buffer_size write). */
  reset(): void;
  /** Throws MmError INVARIANT when counters and storage disagree. */
  checkInvariants(): void;
}

/** What the tracer reads about a page when it emits (struct page fields). */
export interface PageStateReader {
  /** Low 32 bits of page->flags. */
  pageFlags(pfn: Pfn): number;
  /** page_ref_count(). */
  pageCount(pfn: Pfn): number;
  pageMapcount(pfn: Pfn): number;
  /** page->mapping as an opaque id, 0 for NULL. */
  pageMapping(pfn: Pfn): number;
  /** get_pageblock_migratetype(). */
  pageblockMigratetype(pfn: Pfn): number;
  /** page_zonenum(). */
  pageZone(pfn: Pfn): number;
}

/** stack_depot_save / stack_depot_fetch as far as this package needs them (@mm/stackdepot fits). */
export interface StackStore {
  /** Save frames[0..n) (innermost first) allocating with `gfp`; a non-zero handle, or 0 on failure. */
  save(frames: Uint32Array, n: number, gfp: Gfp): number;
  /** The frames of a handle, innermost first (empty for 0). */
  fetchFrames(handle: number): ArrayLike<number>;
}

/** Subscribe hooks to the allocator (e.g. buddy's addHooks); returns the unsubscribe function. */
export type HookSubscriber = (hooks: AllocHooks) => () => void;

/** Which pfns the flag word covers. */
export interface FlagsWord {
  /** page_ext->flags per pfn (shared with other page_ext clients; only our bit is touched). */
  readonly words: Uint32Array;
}

/** Options common to both tracing policies. */
export interface TracerCommonOptions {
  /** Where `current` comes from (pid and the shadow stack captured per event). */
  readonly tasks: TaskContext;
  readonly clock: Clock;
  readonly pages: PageStateReader;
  readonly depot: StackStore;
  readonly sink: EventSink;
  /**
   * Where failure events go when not to `sink`: their own tracefs instance
   * (`mkdir instances/fail`), so the put traffic in `sink` cannot overwrite them.
   * @defaultValue null (failures share `sink`, as with one top-level buffer)
   */
  readonly failSink?: EventSink | null;
}

/** How a reason filter acts. */
export type ReasonFilterMode =
  /** Only failures whose reason passes arm the page (what the user of the filter wants). */
  | "arm"
  /**
   * RFC v2 as posted: every failure sets the flag; the tracefs filter only hides the failure event,
   * so puts of pages that failed for other reasons are still traced.
   */
  | "event";

export interface TraceUnrefOptions extends TracerCommonOptions {
  /** The shared page_ext flags word (from @mm/page-ext's client). */
  readonly flags: FlagsWord;
  /**
   * Reason names whose failures are reported, like `echo contig_range > .../filter`.
   * @defaultValue null (every reason)
   */
  readonly reasons?: readonly string[] | null;
  /** @defaultValue "arm" */
  readonly reasonFilterMode?: ReasonFilterMode;
  /** The review's addition: also trace references taken on an armed page. @defaultValue false */
  readonly traceGets?: boolean;
  /**
   * Attach the hot hooks (get/put/free) only while some page is armed, as a static key flipped by
   * arm/disarm would; false keeps them attached (RFC v2: the key is on from boot). @defaultValue true
   */
  readonly dynamicKey?: boolean;
}

export interface TraceAllOptions extends TracerCommonOptions {
  /**
   * Only trace pages in [startPfn, endPfn), like a tracefs filter on pfn over the CMA area.
   * @defaultValue null (every page)
   */
  readonly pfnRange?: { readonly startPfn: Pfn; readonly endPfn: Pfn } | null;
  /** Also trace every get (page_ref_mod). @defaultValue false */
  readonly traceGets?: boolean;
}

/** Counters a tracer keeps. */
export interface TracerStats {
  /** put hook calls seen. */
  readonly puts: number;
  /** get hook calls seen. */
  readonly gets: number;
  /** Migration failures reported to the tracer (all reasons). */
  readonly failures: number;
  /** Events emitted to the sink. */
  readonly events: number;
  /** Stacks captured (each one a stack walk plus a depot lookup). */
  readonly stacks: number;
  /** Pages armed now. */
  readonly armed: number;
  /** Pages ever armed / disarmed. */
  readonly armings: number;
  readonly disarmings: number;
}

/** A migrate reason number, or a reason registered with `registerReason`. */
export type TraceReason = MigrateReason;

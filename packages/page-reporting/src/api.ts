/**
 * The public header of @mm/page-reporting: constants, states and the policy interfaces.
 * Kernel counterpart: include/linux/page_reporting.h and the statics of mm/page_reporting.c.
 */
import type { Order, ReportableFreeArea, Scheduler } from "@mm/api";
import type { Scatterlist } from "./scatterlist.js";

/** Scatterlist entries per report() call. Kernel: PAGE_REPORTING_CAPACITY ("should always be a power of 2"). */
export const PAGE_REPORTING_CAPACITY = 32;
/** Delay between a request and the worker run, so a queue of frees can build. Kernel: 2 * HZ. */
export const PAGE_REPORTING_DELAY_NS = 2_000_000_000;
/** page_reporting_order's "not set" value: use the driver's order, else pageblock_order. */
export const PAGE_REPORTING_ORDER_UNSPECIFIED = -1;

// prdev->state (atomic in the kernel): the three named states of the worker.
/** No pass pending or running. */
export const PAGE_REPORTING_IDLE = 0;
/** A pass is scheduled, or the running pass must reschedule itself when it ends. */
export const PAGE_REPORTING_REQUESTED = 1;
/** A pass is running. */
export const PAGE_REPORTING_ACTIVE = 2;
export type PageReportingState = typeof PAGE_REPORTING_IDLE | typeof PAGE_REPORTING_REQUESTED | typeof PAGE_REPORTING_ACTIVE;

/**
 * The reporting device. Kernel: `page_reporting_dev_info.report(prdev, sgl, nents)`
 * (virtio_balloon's virtballoon_free_page_report).
 *
 * The batch is `sgl` entries `start .. start + nents - 1`, linked by `sgNext`; the last one carries
 * the end marker. Entries are valid only during the call (the reporter re-initialises them on drain).
 *
 * @returns the simulated nanoseconds the call blocks the worker (>= 0: success; the host has
 *   discarded the pages by the time the worker resumes), or a negative errno for a failure that
 *   returns at once (the batch is put back unreported and the pass stops).
 */
export interface ReportDevice {
  report(sgl: Scatterlist, start: number, nents: number): number;
}

/**
 * How many scatterlist entries one order may use: axis 1 of the seed-004 A/B.
 *
 * When to use: `fixedCapacity` is the kernel; `freeLimitedCapacity` is Xunlei Pang's patch;
 * `freeLimitedPerOrderCapacity` answers Duyck's "the threshold goes stale"; `shiftCapacity` is
 * Duyck's one-line alternative. Gotcha: the engine asks once per order, at the order boundary (the
 * start of the zone for the first order, the end of the previous order otherwise), and keeps the
 * answer for the whole order.
 */
export interface CapacityRule {
  readonly name: string;
  /** page_reporting_process_zone() entry, after the watermark gate passed. */
  beginZone(area: ReportableFreeArea, zone: number, reportingOrder: Order): void;
  /** Entries for blocks of `order`, in 1 .. PAGE_REPORTING_CAPACITY. */
  capacity(area: ReportableFreeArea, zone: number, order: Order, reportingOrder: Order): number;
}

/** Counters a scatterlist mechanism keeps about its own bookkeeping cost. */
export interface ScatterlistMechanismStats {
  /** sg_init_table() calls made to change the list length (not counting drains). */
  reinits: number;
  /** Entries those calls touched. */
  reinitEntries: number;
}

/**
 * How a smaller capacity is applied to the one 32-entry scatterlist: axis 2 of the A/B.
 * The list always fills from the tail (`sgl[--offset]`): the filled part is `offset .. 31` and
 * there is room while `offset > base`.
 *
 * When to use: `reinitScatterlist` is Pang's patch (a shorter table at the tail, re-initialised
 * per order, flushed before it shrinks); `reserveScatterlist` is Duyck's reserve (the full table
 * stays, its head is simply not filled). With capacity 32 both are exactly the kernel.
 */
export interface ScatterlistMechanism {
  readonly name: string;
  /** A zone pass starts with an empty list of CAPACITY entries. */
  beginZone(sgl: Scatterlist): void;
  /**
   * An order starts with `capacity` entries allowed. `offset` is the current fill offset (the list
   * may still hold blocks of lower orders). Returns the base index.
   */
  enterOrder(sgl: Scatterlist, capacity: number, offset: number): number;
  /** Must a non-empty list be reported before entering an order of `nextCapacity`? */
  mustFlushBefore(nextCapacity: number): boolean;
  readonly stats: Readonly<ScatterlistMechanismStats>;
}

/** Options of createPageReporting(). The device and the area are behaviour; the rest are knobs. */
export interface PageReportingOptions {
  /** The allocator, seen through the kernel's page_reporting.c interface. */
  readonly area: ReportableFreeArea;
  /** Where batches go (prdev->report). */
  readonly device: ReportDevice;
  /** The simulated clock's delayed work (schedule_delayed_work). */
  readonly scheduler: Scheduler;
  /** Capacity per order. @defaultValue fixedCapacity() (the kernel) */
  readonly capacityRule?: CapacityRule;
  /** Scatterlist mechanism. @defaultValue reserveScatterlist() (identical to the kernel at capacity 32) */
  readonly mechanism?: ScatterlistMechanism;
  /**
   * The `page_reporting.page_reporting_order` module parameter, -1 = unset.
   * @defaultValue PAGE_REPORTING_ORDER_UNSPECIFIED
   */
  readonly pageReportingOrder?: number;
  /** prdev->order, the driver's preferred order (0 = none). @defaultValue 0 */
  readonly deviceOrder?: number;
  /** pageblock_order, the fallback reporting order. @defaultValue 9 */
  readonly pageblockOrder?: number;
  /** PAGE_REPORTING_DELAY in simulated ns. @defaultValue PAGE_REPORTING_DELAY_NS */
  readonly delayNs?: number;
  /**
   * printk sink: page_reporting_register() logs "Free page reporting enabled" the first time a
   * device registers (the static key stays on after unregister). @defaultValue discard
   */
  readonly log?: (line: string) => void;
  /**
   * Called after every drain with the pages of the batch and whether the report succeeded.
   * For experiments that measure progress exactly when it happens. @defaultValue none
   */
  readonly onDrain?: (pages: number, reported: boolean) => void;
}

/** What the reporter counted. All sizes are in pages (4 KiB). */
export interface PageReportingStats {
  /** Worker runs (page_reporting_process). */
  passes: number;
  /** Zone visits the watermark gate turned away. */
  zonesSkipped: number;
  /** prdev->report() calls. */
  reportCalls: number;
  /** report() calls that failed. */
  reportErrors: number;
  /** Of reportCalls: end-of-zone leftover reports. */
  leftoverReports: number;
  /** Of reportCalls: flushes before a shorter list (Pang's per-order leftover report). */
  flushReports: number;
  /** Blocks and pages handed to successful report() calls. */
  reportedBlocks: number;
  reportedPages: number;
  /** Blocks marked PageReported on drain (did not merge). */
  markedReported: number;
  /** Blocks reported but merged on put back, so not marked (reported again at the higher order). */
  mergedOnDrain: number;
  /** Largest batch, in pages. */
  maxBatchPages: number;
  /** Pages isolated right now, and the most ever isolated at once (the seed-004 OOM). */
  isolatedPages: number;
  peakIsolatedPages: number;
  /** __isolate_free_page refusals (min watermark). */
  isolateFailures: number;
  /** Lists left because the budget ran out (the pass then reschedules itself). */
  budgetExhausted: number;
  /** sg_init_table calls and entries touched, drains included. */
  sgInits: number;
  sgInitEntries: number;
}

/**
 * One zone pass: fill -> report -> drain over every free list of the reporting orders.
 * Kernel counterpart: mm/page_reporting.c page_reporting_process_zone(), page_reporting_cycle(),
 * page_reporting_drain() (6.1, with the seed-004 policies as the two pluggable axes).
 *
 * The pass is a generator: it yields the simulated nanoseconds each report() call blocks the
 * worker (the kernel drops the zone lock and sleeps there), so allocations and frees of the rest of
 * the simulation run in that window, against a zone whose reported blocks are isolated.
 */
import {
  ALLOC_CMA,
  MIGRATE_ISOLATE,
  type Migratetype,
  type Order,
  type ReportableFreeArea,
  WMARK_LOW,
} from "@mm/api";
import {
  PAGE_REPORTING_CAPACITY,
  PAGE_REPORTING_REQUESTED,
  type CapacityRule,
  type PageReportingStats,
  type ReportDevice,
  type ScatterlistMechanism,
} from "./api.js";
import { type Scatterlist, sgInitTable, sgNext, sgSetPage } from "./scatterlist.js";

/** The reporter's state that a pass reads and writes (prdev plus the pass's locals). */
export interface PassContext {
  readonly area: ReportableFreeArea;
  readonly device: ReportDevice;
  readonly rule: CapacityRule;
  readonly mechanism: ScatterlistMechanism;
  readonly sgl: Scatterlist;
  readonly counters: PageReportingStats;
  readonly onDrain: ((pages: number, reported: boolean) => void) | null;
  /** page_reporting_order. */
  readonly order: Order;
  /** prdev->state. */
  state: number;
  /** The fill offset: entries offset .. CAPACITY - 1 hold isolated blocks. */
  offset: number;
  /** First usable entry for the order being processed (room while offset > base). */
  base: number;
}

/** Account a report() call's outcome; returns the errno (0 on success). */
function accountReport(ctx: PassContext, start: number, nents: number, ret: number): number {
  const stats = ctx.counters;
  stats.reportCalls++;
  if (ret < 0) {
    stats.reportErrors++;
    return ret;
  }
  let pages = 0;
  for (let i = start; i < start + nents; i++) pages += 2 ** ctx.sgl.order[i];
  stats.reportedBlocks += nents;
  stats.reportedPages += pages;
  if (pages > stats.maxBatchPages) stats.maxBatchPages = pages;
  return 0;
}

/**
 * page_reporting_drain(): put every block of the batch back (it may merge), and mark it Reported
 * only if the report succeeded and it is still a free block of the same order; then re-initialise
 * the batch's entries.
 */
export function drain(ctx: PassContext, start: number, nents: number, reported: boolean): void {
  const { area, sgl } = ctx;
  const stats = ctx.counters;
  let pages = 0;
  // do { ... } while ((sg = sg_next(sg))): the end marker bounds the walk, not nents.
  for (let i = start; i >= 0; i = sgNext(sgl, i)) {
    const pfn = sgl.pfn[i];
    const order = sgl.order[i];
    const mt: Migratetype = area.pageblockMigratetype(pfn);
    area.putbackIsolatedPage(pfn, order, mt);
    pages += 2 ** order;
    if (!reported) continue;
    // "If page was not comingled with another page we can consider the result to be reported."
    if (area.buddyOrder?.(pfn) === order) {
      area.setReported(pfn);
      stats.markedReported++;
    } else {
      stats.mergedOnDrain++;
    }
  }
  stats.isolatedPages -= pages;
  sgInitTable(sgl, start, nents);
  stats.sgInits++;
  stats.sgInitEntries += nents;
  if (ctx.onDrain !== null) ctx.onDrain(pages, reported);
}

/**
 * Report entries offset .. CAPACITY - 1 and drain them. Yields while the device works.
 * Returns the report's errno (0 on success).
 */
function* reportAndDrain(ctx: PassContext): Generator<number, number, void> {
  const start = ctx.offset;
  const nents = PAGE_REPORTING_CAPACITY - start;
  const ret = ctx.device.report(ctx.sgl, start, nents);
  if (ret > 0) yield ret;
  const err = accountReport(ctx, start, nents, ret);
  // reset offset since the full list was reported
  ctx.offset = PAGE_REPORTING_CAPACITY;
  drain(ctx, start, nents, err === 0);
  return err;
}

/**
 * page_reporting_cycle(): walk free_area[order].free_list[mt], isolating unreported blocks into the
 * scatterlist from its tail; when it is full, rotate the list so the first unprocessed block is the
 * head, report, drain and restart from the head. The budget allows about a sixteenth of the
 * order's blocks per pass (plus one batch); when it runs out the worker is asked to run again.
 */
export function* reportingCycle(
  ctx: PassContext,
  zone: number,
  order: Order,
  mt: Migratetype,
  capacity: number,
): Generator<number, number, void> {
  const area = ctx.area;
  const stats = ctx.counters;
  // Early check: nothing to do on an empty list.
  if (area.freeListFirst(zone, order, mt) < 0) return 0;
  // DIV_ROUND_UP(area->nr_free, capacity * 16); signed (`long budget`).
  let budget = Math.ceil(area.nrFree(zone, order) / (capacity * 16));
  let err = 0;
  // `next` after the loop: the block to rotate to the head, -1 for "walked to the end".
  let stop = -1;
  let page = area.freeListFirst(zone, order, mt);
  while (page >= 0) {
    const next = area.freeListNext(page);
    // Skip blocks already reported.
    if (area.isReported(page)) {
      page = next;
      continue;
    }
    // Budget used up: ask for another pass and leave this list.
    if (budget < 0) {
      ctx.state = PAGE_REPORTING_REQUESTED;
      stats.budgetExhausted++;
      stop = page;
      break;
    }
    // Room in the scatterlist: pull the block off the free list.
    if (ctx.offset > ctx.base) {
      if (!area.isolateFreePage(page, order)) {
        stats.isolateFailures++;
        stop = page;
        break;
      }
      sgSetPage(ctx.sgl, --ctx.offset, page, order);
      const isolated = (stats.isolatedPages += 2 ** order);
      if (isolated > stats.peakIsolatedPages) stats.peakIsolatedPages = isolated;
      page = next;
      continue;
    }
    // Full: make the first unreported block the head before "dropping the lock".
    if (area.freeListFirst(zone, order, mt) !== page) area.rotateToFront(zone, order, mt, page);
    err = yield* reportAndDrain(ctx);
    budget--;
    // The old `next` is not valid after the lock was dropped: restart from the head.
    page = area.freeListFirst(zone, order, mt);
    if (err !== 0) break;
  }
  // Rotate any leftover blocks to the head of the free list.
  if (stop >= 0 && area.freeListFirst(zone, order, mt) !== stop) area.rotateToFront(zone, order, mt, stop);
  return err;
}

/**
 * page_reporting_process_zone(): the watermark gate (low + CAPACITY << order, with ALLOC_CMA),
 * then every order from the reporting order up and every migratetype but Isolate, then the
 * leftover report. The capacity of an order is fixed at its boundary; a mechanism that re-inits
 * the list gets it flushed first.
 */
export function* processZone(ctx: PassContext, zone: number): Generator<number, number, void> {
  const { area, rule, mechanism } = ctx;
  const stats = ctx.counters;
  // Pang moved sg_init_table() into the per-zone loop, ahead of the gate; the kernel needs none here.
  mechanism.beginZone(ctx.sgl);
  // Minimum watermark to guarantee progress: always the kernel's CAPACITY, also under the fixes.
  const watermark = area.zoneWatermark(zone, WMARK_LOW) + PAGE_REPORTING_CAPACITY * 2 ** ctx.order;
  if (!area.zoneWatermarkOk(zone, 0, watermark, ALLOC_CMA)) {
    stats.zonesSkipped++;
    return 0;
  }
  ctx.offset = PAGE_REPORTING_CAPACITY;
  rule.beginZone(area, zone, ctx.order);
  const maxOrder = area.maxOrder;
  const nrMt = area.nrMigratetypes;
  let capacity = rule.capacity(area, zone, ctx.order, ctx.order);
  let err = 0;
  for (let order = ctx.order; order <= maxOrder; order++) {
    ctx.base = mechanism.enterOrder(ctx.sgl, capacity, ctx.offset);
    for (let mt = 0; mt < nrMt; mt++) {
      // We do not pull pages from the isolate free list.
      if (mt === MIGRATE_ISOLATE) continue;
      err = yield* reportingCycle(ctx, zone, order, mt, capacity);
      if (err !== 0) return err;
    }
    if (order === maxOrder) break;
    capacity = rule.capacity(area, zone, order + 1, ctx.order);
    // Pang: "report the leftover pages for next orders with reduced capacity".
    if (ctx.offset < PAGE_REPORTING_CAPACITY && mechanism.mustFlushBefore(capacity)) {
      stats.flushReports++;
      err = yield* reportAndDrain(ctx);
      if (err !== 0) return err;
    }
  }
  // Report the leftover pages before going idle.
  if (ctx.offset < PAGE_REPORTING_CAPACITY) {
    stats.leftoverReports++;
    err = yield* reportAndDrain(ctx);
  }
  return err;
}

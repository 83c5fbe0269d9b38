/**
 * The reporter's invariant checker, run by tests after every step.
 * No kernel counterpart (the kernel relies on the zone lock); it states what the lock protects.
 */
import { MmError, type ReportableFreeArea } from "@mm/api";
import { PAGE_REPORTING_ACTIVE, PAGE_REPORTING_CAPACITY, PAGE_REPORTING_IDLE, PAGE_REPORTING_REQUESTED } from "./api.js";
import { passContextOf, type PageReporting } from "./reporter.js";

function fail(msg: string, detail?: Record<string, number>): never {
  throw new MmError("INVARIANT", msg, detail);
}

/**
 * Check the reporter against its area:
 * - the state is one of IDLE / REQUESTED / ACTIVE, and a running pass means not IDLE;
 * - scatterlist entries offset .. 31 hold blocks of at least the reporting order, entries before
 *   `offset` are empty, the end marker sits on entry 31 and nowhere else in the filled part;
 * - the isolated-pages counter equals the pages in the list, and no block is both listed and free;
 * - with no pass running, nothing is isolated;
 * - every Reported block on a free list is a free block head of that list's order (it did not
 *   merge), of at least the reporting order.
 * @throws MmError INVARIANT with what failed.
 */
export function checkPageReportingInvariants(reporter: PageReporting): void {
  const ctx = passContextOf(reporter);
  const { sgl, area } = ctx;
  const state = ctx.state;
  if (state !== PAGE_REPORTING_IDLE && state !== PAGE_REPORTING_REQUESTED && state !== PAGE_REPORTING_ACTIVE) {
    fail(`bad state ${state}`);
  }
  if (reporter.passRunning && state === PAGE_REPORTING_IDLE) fail("a pass is running in state IDLE");
  const offset = ctx.offset;
  if (!(offset >= 0 && offset <= PAGE_REPORTING_CAPACITY)) fail(`offset ${offset} out of range`);
  if (sgl.end[PAGE_REPORTING_CAPACITY - 1] !== 1) fail("the end marker left entry 31");
  let pages = 0;
  for (let i = 0; i < PAGE_REPORTING_CAPACITY; i++) {
    const pfn = sgl.pfn[i];
    if (i < offset) {
      if (pfn !== -1) fail(`entry ${i} below the offset ${offset} holds pfn ${pfn}`, { i, pfn });
      continue;
    }
    if (pfn < 0) fail(`entry ${i} in the filled part is empty`, { i });
    if (i < PAGE_REPORTING_CAPACITY - 1 && sgl.end[i] === 1) fail(`stray end marker on entry ${i}`, { i });
    if (sgl.order[i] < ctx.order) fail(`entry ${i} has order ${sgl.order[i]} below the reporting order`, { i });
    if (area.buddyOrder?.(pfn) !== -1) fail(`isolated block ${pfn} is also a free buddy block`, { pfn });
    pages += 2 ** sgl.order[i];
  }
  if (pages !== ctx.counters.isolatedPages) fail(`isolatedPages ${ctx.counters.isolatedPages} but the list holds ${pages}`);
  if (!reporter.passRunning && pages !== 0) fail(`${pages} pages isolated with no pass running`);
  checkReportedBlocks(area, ctx.order);
}

/** Every Reported block on the free lists is an unmerged free head of at least `minOrder`. */
export function checkReportedBlocks(area: ReportableFreeArea, minOrder: number): void {
  for (let zone = 0; zone < area.nrZones; zone++) {
    for (let order = 0; order <= area.maxOrder; order++) {
      for (let mt = 0; mt < area.nrMigratetypes; mt++) {
        for (let pfn = area.freeListFirst(zone, order, mt); pfn >= 0; pfn = area.freeListNext(pfn)) {
          if (!area.isReported(pfn)) continue;
          if (order < minOrder) fail(`Reported block ${pfn} of order ${order} below the reporting order`, { pfn, order });
          const bo = area.buddyOrder?.(pfn);
          if (bo !== undefined && bo !== order) fail(`Reported block ${pfn} on the order-${order} list has buddy order ${bo}`, { pfn, order });
        }
      }
    }
  }
}

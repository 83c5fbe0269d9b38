/**
 * Xunlei Pang's free-memory threshold (seed 004, [PATCH 4/4], never merged):
 * calculate_zone_order_threshold() and the capacity it implies per order.
 */
import { type Order, type ReportableFreeArea, WMARK_LOW } from "@mm/api";
import { PAGE_REPORTING_CAPACITY } from "../api.js";

/**
 * The first order, from the reporting order up, whose full batch (CAPACITY << order pages) would
 * take more than NR_FREE_PAGES - low watermark; maxOrder + 1 when none does (his loop ran to
 * MAX_ORDER, exclusive, in 2021 kernels).
 */
export function calculateZoneOrderThreshold(area: ReportableFreeArea, zone: number, reportingOrder: Order): Order {
  // `long` in C: may go negative, then the first order already breaks the loop.
  const pagesThreshold = area.zoneFreePages(zone) - area.zoneWatermark(zone, WMARK_LOW);
  let order = reportingOrder;
  for (; order <= area.maxOrder; order++) {
    if (PAGE_REPORTING_CAPACITY * 2 ** order > pagesThreshold) break;
  }
  return order;
}

/** capacity_curr: CAPACITY below the threshold, CAPACITY >> (order - threshold + 1) at or above it, at least 1. */
export function capacityFromThreshold(order: Order, threshold: Order): number {
  if (order < threshold) return PAGE_REPORTING_CAPACITY;
  const shift = order - threshold + 1;
  return shift >= 31 ? 1 : Math.max(1, PAGE_REPORTING_CAPACITY >> shift);
}

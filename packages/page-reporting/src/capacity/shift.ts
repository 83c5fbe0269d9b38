/**
 * Capacity rule "shift": Alexander Duyck's review of seed 004,
 * capacity = (PAGE_REPORTING_CAPACITY << PAGE_REPORTING_MIN_ORDER) >> order.
 */
import { PAGE_REPORTING_CAPACITY, type CapacityRule } from "../api.js";

/**
 * Every batch is capped at the bytes of 32 reporting-order blocks (64 MiB at order 9), whatever
 * the order and whatever free memory is. Gotcha: with a low reporting order the shift reaches 0
 * ("make sure the capacity is greater than zero"); this rule then uses 1.
 */
export function shiftCapacity(): CapacityRule {
  return {
    name: "shift",
    beginZone() {},
    capacity: (_area, _zone, order, reportingOrder) => {
      const shift = order - reportingOrder;
      if (shift <= 0) return PAGE_REPORTING_CAPACITY;
      return shift >= 31 ? 1 : Math.max(1, PAGE_REPORTING_CAPACITY >> shift);
    },
  };
}

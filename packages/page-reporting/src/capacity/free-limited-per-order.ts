/**
 * Capacity rule "free-limited, recomputed per order": Pang's formula evaluated afresh at every
 * order boundary, this project's answer to Duyck's "your order_threshold could become stale".
 */
import type { CapacityRule } from "../api.js";
import { calculateZoneOrderThreshold, capacityFromThreshold } from "./threshold.js";

/**
 * Same numbers as freeLimitedCapacity() at the start of a pass; later orders see the free memory
 * left after the earlier orders' reports and the user allocations that ran meanwhile.
 */
export function freeLimitedPerOrderCapacity(): CapacityRule {
  return {
    name: "free-limited-per-order",
    beginZone() {},
    capacity: (area, zone, order, reportingOrder) =>
      capacityFromThreshold(order, calculateZoneOrderThreshold(area, zone, reportingOrder)),
  };
}

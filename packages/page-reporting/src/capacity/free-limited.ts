/**
 * Capacity rule "free-limited, once per zone pass": Xunlei Pang's patch as posted (seed 004).
 * The threshold order is computed when the zone pass starts and kept for the whole pass.
 */
import type { CapacityRule } from "../api.js";
import { calculateZoneOrderThreshold, capacityFromThreshold } from "./threshold.js";

/**
 * Pang's rule: halve the capacity for every order at or above the first order whose full batch
 * would eat into the low watermark. Gotcha (Duyck's review): the threshold is computed once, from
 * free memory at the start of the zone pass, and goes stale while the pass runs.
 */
export function freeLimitedCapacity(): CapacityRule {
  // order_threshold of the zone pass in progress.
  let threshold = 0;
  return {
    name: "free-limited",
    beginZone(area, zone, reportingOrder) {
      threshold = calculateZoneOrderThreshold(area, zone, reportingOrder);
    },
    capacity: (_area, _zone, order) => capacityFromThreshold(order, threshold),
  };
}

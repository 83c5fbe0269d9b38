/**
 * Capacity rule "fixed": every order gets PAGE_REPORTING_CAPACITY entries.
 * Kernel counterpart: mainline mm/page_reporting.c (5.7 .. today).
 */
import { PAGE_REPORTING_CAPACITY, type CapacityRule } from "../api.js";

/**
 * The kernel's rule: 32 entries whatever the order, so one order-10 batch isolates 32 x 4 MiB =
 * 128 MiB (the seed-004 OOM on a 512 MiB guest).
 */
export function fixedCapacity(): CapacityRule {
  return {
    name: "fixed",
    beginZone() {},
    capacity: () => PAGE_REPORTING_CAPACITY,
  };
}

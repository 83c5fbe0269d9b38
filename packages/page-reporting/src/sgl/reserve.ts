/**
 * Scatterlist mechanism "reserve": Alexander Duyck's alternative in the review of seed 004.
 * The table keeps all CAPACITY entries and its end marker; `reserve = CAPACITY - capacity`
 * entries at its head are simply not filled.
 */
import { PAGE_REPORTING_CAPACITY, type ScatterlistMechanism, type ScatterlistMechanismStats } from "../api.js";

/**
 * Duyck: "update the check to *offset <= reserve and the call to report/drain so that they take
 * into account the reserve offset". No re-init and no flush when the capacity changes: blocks of a
 * lower order stay in the list, and when the reserve grows past the fill offset the next block
 * triggers a report of what is there (report(&sgl[offset], CAPACITY - offset)).
 * Gotcha: a batch may then hold more entries than the current order's capacity (of smaller
 * blocks); with the shift rule its bytes stay within 32 reporting-order blocks.
 */
export function reserveScatterlist(): ScatterlistMechanism {
  const stats: ScatterlistMechanismStats = { reinits: 0, reinitEntries: 0 };
  return {
    name: "reserve",
    stats,
    beginZone() {},
    enterOrder: (_sgl, capacity) => PAGE_REPORTING_CAPACITY - capacity,
    mustFlushBefore: () => false,
  };
}

/**
 * Scatterlist mechanism "re-init": Xunlei Pang's patch (seed 004). A reduced order uses only the
 * tail of the table (sgl + CAPACITY - capacity_curr), re-initialised with sg_init_table() when the
 * order starts; any leftover is reported first, because re-initialising would drop it.
 */
import { MmError } from "@mm/api";
import { PAGE_REPORTING_CAPACITY, type ScatterlistMechanism, type ScatterlistMechanismStats } from "../api.js";
import { sgInitTable } from "../scatterlist.js";

/**
 * Pang: `if (order >= order_threshold) { capacity_curr = ...; sgl_curr = sgl + CAPACITY -
 * capacity_curr; sg_init_table(sgl_curr, capacity_curr); }` and, at the end of an order,
 * "report the leftover pages for next orders with reduced capacity". A reduced order is re-inited
 * even when its capacity equals the previous one (his code does), and a return to a larger capacity
 * (possible only with the per-order rule) re-inits too, so the list never strands entries.
 * Gotcha: more report calls (a flush at every shrink) and sg_init_table work per order; the end
 * marker stays on entry 31 because the shorter table is taken from the tail.
 */
export function reinitScatterlist(): ScatterlistMechanism {
  // capacity_curr: length of the table in use, which ends at entry CAPACITY - 1.
  let current = PAGE_REPORTING_CAPACITY;
  const stats: ScatterlistMechanismStats = { reinits: 0, reinitEntries: 0 };
  return {
    name: "reinit",
    stats,
    beginZone(sgl) {
      // Pang: sg_init_table(sgl, PAGE_REPORTING_CAPACITY) for every zone, since the last zone shortened it.
      current = PAGE_REPORTING_CAPACITY;
      sgInitTable(sgl, 0, PAGE_REPORTING_CAPACITY);
      stats.reinits++;
      stats.reinitEntries += PAGE_REPORTING_CAPACITY;
    },
    enterOrder(sgl, capacity, offset) {
      if (capacity < PAGE_REPORTING_CAPACITY || capacity !== current) {
        // The engine flushed before this order (mustFlushBefore); re-initialising a non-empty list would leak pages.
        if (offset !== PAGE_REPORTING_CAPACITY) {
          throw new MmError("BAD_STATE", `re-init of the scatterlist with ${PAGE_REPORTING_CAPACITY - offset} entries in it`);
        }
        current = capacity;
        sgInitTable(sgl, PAGE_REPORTING_CAPACITY - capacity, capacity);
        stats.reinits++;
        stats.reinitEntries += capacity;
      }
      return PAGE_REPORTING_CAPACITY - current;
    },
    mustFlushBefore: (nextCapacity) => nextCapacity < PAGE_REPORTING_CAPACITY || nextCapacity !== current,
  };
}

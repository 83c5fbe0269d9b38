// One reporting pass over a 2 GiB zone of free order-10 blocks (512 blocks, budget-limited to two
// batches of 32 per pass, so a pass isolates, reports and drains 64 blocks), against a baseline in
// the same run that only walks the same free list. The device answers at once (0 ns).
import { bench, describe } from "vitest";
import {
  createPageReporting,
  type PageReporting,
  reserveScatterlist,
  reinitScatterlist,
  shiftCapacity,
  fixedCapacity,
  type CapacityRule,
  type ScatterlistMechanism,
} from "../src/index.js";
import { FakeArea } from "../test/helpers/fake-area.js";
import { ManualScheduler } from "../test/helpers/manual-scheduler.js";

interface Rig {
  area: FakeArea;
  sched: ManualScheduler;
  reporter: PageReporting;
}

function rig(rule: CapacityRule, mech: ScatterlistMechanism): Rig {
  const area = new FakeArea([{ start: 0, end: 524288, wmarks: [1448, 1810, 2172] }]);
  area.fillFree();
  const sched = new ManualScheduler();
    // a device that takes no time and keeps nothing: the pass runs to its end synchronously
  const reporter = createPageReporting({ area, device: { report: () => 0 }, scheduler: sched, capacityRule: rule, mechanism: mech });
  return { area, sched, reporter };
}

/** Clear every Reported mark so the next pass has work again (outside the measured part's logic). */
function unreport(area: FakeArea): void {
  area.reported.fill(0);
}

const base = rig(fixedCapacity(), reserveScatterlist());
const fixed = rig(fixedCapacity(), reserveScatterlist());
const shiftReinit = rig(shiftCapacity(), reinitScatterlist());

describe("page_reporting_process: one pass over 512 free order-10 blocks", () => {
  bench("baseline: walk the order-10 free list", () => {
    let n = 0;
    for (let p = base.area.freeListFirst(0, 10, 1); p >= 0; p = base.area.freeListNext(p)) n += base.area.isReported(p) ? 0 : 1;
    if (n !== 512) throw new Error(`walked ${n}`);
    unreport(base.area);
  });
  bench("pass: fixed capacity (2 x 32 blocks isolated, reported, drained)", () => {
    fixed.reporter.request();
    fixed.sched.step();
    unreport(fixed.area);
  });
  bench("pass: shift + re-init (order 10 gets 16 entries, 2 x 16 blocks)", () => {
    shiftReinit.reporter.request();
    shiftReinit.sched.step();
    unreport(shiftReinit.area);
  });
});

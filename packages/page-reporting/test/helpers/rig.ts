/** A fake area + manual scheduler + device + reporter, checked after every event. */
import { expect } from "vitest";
import {
  type CapacityRule,
  checkPageReportingInvariants,
  createPageReporting,
  createVirtioBalloon,
  type PageReporting,
  type PageReportingOptions,
  type ReportDevice,
  type Scatterlist,
  type ScatterlistMechanism,
  type VirtioBalloon,
} from "../../src/index.js";
import { FakeArea, type FakeZoneSpec } from "./fake-area.js";
import { ManualScheduler } from "./manual-scheduler.js";

/** A copy of one report() call as the device saw it. */
export interface Batch {
  at: number;
  start: number;
  pfns: number[];
  orders: number[];
}

export interface Rig {
  area: FakeArea;
  sched: ManualScheduler;
  balloon: VirtioBalloon;
  reporter: PageReporting;
  batches: Batch[];
  /** Pages the test holds allocated: pfn -> order. */
  held: Map<number, number>;
  check: () => void;
  alloc: (order: number) => number;
  free: (pfn: number) => void;
}

export interface RigOptions {
  zones?: FakeZoneSpec[];
  capacityRule?: CapacityRule;
  mechanism?: ScatterlistMechanism;
  pageReportingOrder?: number;
  /** Leave this many pages free after seeding (allocate the rest in order-10 / order-0 pieces). */
  freePages?: number;
  perMiBNs?: number;
  perRequestNs?: number;
  injectError?: (call: number) => number;
  /** Wrap the device (e.g. to act during the report window). */
  wrap?: (d: ReportDevice, rig: Rig) => ReportDevice;
}

export const ZONE_512M: FakeZoneSpec = { start: 0, end: 131072, wmarks: [724, 905, 1086] };

export function makeRig(o: RigOptions = {}): Rig {
  const area = new FakeArea(o.zones ?? [ZONE_512M]);
  area.fillFree();
  const held = new Map<number, number>();
  const last = area.nrZones - 1;
  if (o.freePages !== undefined) {
    while (area.zoneFreePages(last) - 1024 >= o.freePages) held.set(area.alloc(10, 1, last), 10);
    while (area.zoneFreePages(last) > o.freePages) held.set(area.alloc(0, 1, last), 0);
  }
  const sched = new ManualScheduler();
  const balloon = createVirtioBalloon({
    nrPages: area.nrPages,
    perMiBNs: o.perMiBNs ?? 1_000_000,
    perRequestNs: o.perRequestNs ?? 100_000,
    ...(o.injectError ? { injectError: o.injectError } : {}),
  });
  const batches: Batch[] = [];
  const rig = { area, sched, balloon, batches, held } as unknown as Rig;
  const recording: ReportDevice = {
    report(sgl: Scatterlist, start: number, nents: number): number {
      batches.push({
        at: sched.now(),
        start,
        pfns: Array.from(sgl.pfn.subarray(start, start + nents)),
        orders: Array.from(sgl.order.subarray(start, start + nents)),
      });
      return balloon.report(sgl, start, nents);
    },
  };
  const device = o.wrap ? o.wrap(recording, rig) : recording;
  const opts: PageReportingOptions = {
    area,
    device,
    scheduler: sched,
    ...(o.capacityRule ? { capacityRule: o.capacityRule } : {}),
    ...(o.mechanism ? { mechanism: o.mechanism } : {}),
    ...(o.pageReportingOrder !== undefined ? { pageReportingOrder: o.pageReportingOrder } : {}),
  };
  rig.reporter = createPageReporting(opts);
  rig.check = () => {
    area.check();
    checkPageReportingInvariants(rig.reporter);
    // conservation: free + isolated + held == every page
    let heldPages = 0;
    for (const ord of held.values()) heldPages += 2 ** ord;
    let free = 0;
    for (let z = 0; z < area.nrZones; z++) free += area.zoneFreePages(z);
    expect(free + rig.reporter.isolatedPages + heldPages).toBe(area.nrPages);
  };
  rig.alloc = (order: number) => {
    const pfn = area.alloc(order);
    if (pfn >= 0) {
      held.set(pfn, order);
      balloon.touch(pfn, order);
    }
    return pfn;
  };
  rig.free = (pfn: number) => {
    const order = held.get(pfn);
    if (order === undefined) throw new Error(`not held ${pfn}`);
    held.delete(pfn);
    area.free(pfn, order);
  };
  return rig;
}

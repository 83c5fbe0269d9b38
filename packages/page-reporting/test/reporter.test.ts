import { isMmError, type ReportableFreeArea } from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  PAGE_REPORTING_ACTIVE,
  PAGE_REPORTING_DELAY_NS,
  PAGE_REPORTING_IDLE,
  PAGE_REPORTING_REQUESTED,
  createPageReporting,
  createVirtioBalloon,
  resolveReportingOrder,
} from "../src/index.js";
import { FakeArea } from "./helpers/fake-area.js";
import { ManualScheduler } from "./helpers/manual-scheduler.js";
import { makeRig, ZONE_512M } from "./helpers/rig.js";

const S = 1_000_000_000;

describe("state machine (__page_reporting_request / page_reporting_process)", () => {
  it("registration requests an initial pass that runs 2 s later", () => {
    const rig = makeRig({ freePages: 0 + 40 * 1024 });
    expect(rig.reporter.state).toBe(PAGE_REPORTING_REQUESTED);
    expect(rig.sched.pending).toBe(1);
    expect(rig.sched.nextAt()).toBe(PAGE_REPORTING_DELAY_NS);
    rig.sched.step();
    expect(rig.sched.now()).toBe(2 * S);
    expect(rig.reporter.state).toBe(PAGE_REPORTING_ACTIVE); // waiting on the device
    expect(rig.reporter.passRunning).toBe(true);
    rig.sched.runAll(rig.check);
    expect(rig.reporter.state).toBe(PAGE_REPORTING_IDLE);
    expect(rig.reporter.passRunning).toBe(false);
  });

  // [from, event, to, newly scheduled]
  const table: [string, string, number, boolean][] = [
    ["IDLE", "free order 9", PAGE_REPORTING_REQUESTED, true],
    ["IDLE", "free order 8", PAGE_REPORTING_IDLE, false],
    ["REQUESTED", "free order 10", PAGE_REPORTING_REQUESTED, false],
    ["ACTIVE", "free order 9", PAGE_REPORTING_REQUESTED, false],
  ];
  for (const [from, event, to, scheduled] of table) {
    it(`${from} + ${event} -> ${to === 0 ? "IDLE" : to === 1 ? "REQUESTED" : "ACTIVE"}${scheduled ? ", work scheduled" : ""}`, () => {
      // 300 MiB free: a fixed-capacity pass isolates 128 MiB and leaves room for the test's allocations
      const rig = makeRig({ freePages: 300 * 256 });
      if (from === "IDLE") rig.sched.runAll();
      if (from === "ACTIVE") rig.sched.step();
      const before = rig.sched.pending;
      const expectState = from === "IDLE" ? PAGE_REPORTING_IDLE : from === "REQUESTED" ? PAGE_REPORTING_REQUESTED : PAGE_REPORTING_ACTIVE;
      expect(rig.reporter.state).toBe(expectState);
      const order = Number(event.split(" ").pop());
      const pfn = rig.alloc(order);
      expect(pfn).toBeGreaterThanOrEqual(0);
      // hold the buddy, so the free stays at `order` (a free notifies with the merged order)
      if (order < rig.area.maxOrder) expect(rig.alloc(order)).toBe(pfn ^ (1 << order));
      const notes = rig.area.notifications;
      rig.free(pfn);
      expect(rig.area.notifications).toBe(notes + 1);
      expect(rig.reporter.state).toBe(to);
      expect(rig.sched.pending - before).toBe(scheduled ? 1 : 0);
      rig.sched.runAll(rig.check);
      expect(rig.reporter.state).toBe(PAGE_REPORTING_IDLE);
    });
  }

  it("a request during a pass makes the pass reschedule itself 2 s after it ends", () => {
    const rig = makeRig({ freePages: 300 * 256 });
    rig.sched.step(); // pass starts, waits for its first report
    const pfn = rig.alloc(9);
    rig.free(pfn);
    expect(rig.reporter.state).toBe(PAGE_REPORTING_REQUESTED);
    while (rig.reporter.passRunning) rig.sched.step();
    const end = rig.sched.now();
    expect(rig.reporter.state).toBe(PAGE_REPORTING_REQUESTED);
    expect(rig.sched.nextAt()).toBe(end + 2 * S);
    const passes = rig.reporter.stats().passes;
    rig.sched.runAll(rig.check);
    expect(rig.reporter.stats().passes).toBe(passes + 1);
  });

  it("budget: about a sixteenth of a list per pass, so an idle 512 MiB guest is reported in passes 2 s apart", () => {
    // 256 MiB free as order-9 blocks only: 128 blocks on one list -> budget DIV_ROUND_UP(128, 512) = 1.
    const area = new FakeArea([{ start: 0, end: 131072, wmarks: [724, 905, 1086] }], 9);
    area.fillFree();
    const held: number[] = [];
    for (let i = 0; i < 128; i++) held.push(area.alloc(9));
    const sched = new ManualScheduler();
    const dev = createVirtioBalloon({ nrPages: area.nrPages });
    const r = createPageReporting({ area, device: dev, scheduler: sched });
    sched.runAll();
    const st = r.stats();
    // each pass: budget 1 -> two full batches, then the budget runs out on the 65th block
    expect(st.passes).toBe(2);
    expect(st.budgetExhausted).toBe(1);
    expect(st.reportCalls).toBe(4);
    expect(st.reportedBlocks).toBe(128);
    expect(dev.discardedPages).toBe(128 * 512);
    void held;
  });

  it("one device per area (-EBUSY); unregister frees the slot and cancels the pending start", () => {
    const area = new FakeArea([ZONE_512M]);
    area.fillFree();
    const sched = new ManualScheduler();
    const device = createVirtioBalloon({ nrPages: area.nrPages });
    const r = createPageReporting({ area, device, scheduler: sched });
    let err: unknown;
    try {
      createPageReporting({ area, device, scheduler: sched });
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "BUSY")).toBe(true);
    r.unregister();
    expect(sched.pending).toBe(0);
    expect(r.state).toBe(PAGE_REPORTING_IDLE);
    area.free(area.alloc(10), 10);
    expect(sched.pending).toBe(0); // no listener any more
    const r2 = createPageReporting({ area, device, scheduler: sched });
    expect(r2.state).toBe(PAGE_REPORTING_REQUESTED);
  });

  it('the first registration logs "Free page reporting enabled", later ones do not', () => {
    const area = new FakeArea([ZONE_512M]);
    area.fillFree();
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const device = createVirtioBalloon({ nrPages: area.nrPages });
    const sched = new ManualScheduler();
    createPageReporting({ area, device, scheduler: sched, log }).unregister();
    createPageReporting({ area, device, scheduler: sched, log });
    expect(lines).toEqual(["Free page reporting enabled"]);
  });

  it("an area that cannot tell merged blocks is BAD_CONFIG", () => {
    const area = new FakeArea([ZONE_512M]);
    const bare = new Proxy(area, {
      get: (t, k) => (k === "buddyOrder" ? undefined : (Reflect.get(t, k) as unknown)),
    }) as ReportableFreeArea;
    let err: unknown;
    try {
      createPageReporting({ area: bare, device: createVirtioBalloon({ nrPages: 8 }), scheduler: new ManualScheduler() });
    } catch (e) {
      err = e;
    }
    expect(isMmError(err, "BAD_CONFIG")).toBe(true);
    expect(area.listener).toBe(null);
  });
});

describe("page_reporting_order", () => {
  it("resolves like page_reporting_register: param, else driver order in (0, MAX_ORDER], else pageblock_order", () => {
    expect(resolveReportingOrder(-1, 0, 9, 10)).toBe(9);
    expect(resolveReportingOrder(-1, 5, 9, 10)).toBe(5);
    expect(resolveReportingOrder(-1, 11, 9, 10)).toBe(9);
    expect(resolveReportingOrder(3, 5, 9, 10)).toBe(3);
    expect(resolveReportingOrder(0, 5, 9, 10)).toBe(0);
  });
  it("out-of-range values are EINVAL and register nothing", () => {
    const area = new FakeArea([ZONE_512M]);
    for (const bad of [11, -2, 1.5]) {
      let err: unknown;
      try {
        createPageReporting({ area, device: createVirtioBalloon({ nrPages: 8 }), scheduler: new ManualScheduler(), pageReportingOrder: bad });
      } catch (e) {
        err = e;
      }
      expect(isMmError(err, "EINVAL")).toBe(true);
      expect(area.listener).toBe(null);
    }
  });
  it("a lower order reports smaller blocks and is triggered by their frees", () => {
    const rig = makeRig({ freePages: 100 * 256, pageReportingOrder: 5 });
    rig.sched.runAll(rig.check);
    const pfn = rig.alloc(5);
    rig.free(pfn);
    expect(rig.reporter.state).toBe(PAGE_REPORTING_REQUESTED);
    rig.sched.runAll(rig.check);
    expect(rig.batches.flatMap((b) => b.orders).every((o) => o >= 5)).toBe(true);
  });
});

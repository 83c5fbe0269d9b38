import { MR_COMPACTION, MR_CONTIG_RANGE, MR_MEMORY_FAILURE, TASK_IN_TRACE_UNREF } from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  createTraceUnref,
  EV_FAIL,
  EV_FREE,
  EV_GET,
  EV_PUT,
  type EventSink,
  ftraceRing,
  PAGE_EXT_TRACE_UNREF,
  type TraceUnrefOptions,
} from "../src/index.js";
import { FakeTask, renderCtx, world } from "./fakes.js";

const BIT = 1 << PAGE_EXT_TRACE_UNREF;

function setup(opts: Partial<TraceUnrefOptions> = {}, sink: EventSink = ftraceRing({ bufferSizeKb: 64 })) {
  const w = world(64);
  const t = createTraceUnref({
    tasks: w.tasks,
    clock: w.clock,
    pages: w.machine,
    depot: w.depot,
    sink,
    flags: { words: w.words },
    ...opts,
  });
  t.attach(w.machine.subscribe);
  const step = () => t.checkInvariants();
  return { w, t, sink, step };
}

describe("trace-unref lifecycle", () => {
  it("arms on migration failure, traces puts after the decrement, disarms on free", () => {
    const { w, t, sink, step } = setup();
    const m = w.machine;
    m.alloc(10);
    m.get(10); // a driver's extra reference: count 2
    m.get(10); // migration's isolation reference: count 3
    expect(t.isArmed(10)).toBe(false);
    expect(t.keyOn).toBe(false);
    m.alloc(20);
    m.put(20); // a put elsewhere while nothing is armed: the hooks are not even attached
    expect(t.stats().puts).toBe(0);
    step();
    w.clock.t = 1000;
    m.migrateFail(10, MR_CONTIG_RANGE, -11);
    expect(t.isArmed(10)).toBe(true);
    expect(w.words[10] & BIT).toBe(BIT);
    expect(t.keyOn).toBe(true);
    step();
    m.put(10); // putback_movable_pages: 2
    step();
    m.put(10); // the driver lets go: 1
    step();
    m.put(10); // the owner's last put: 0, then the free disarms
    step();
    expect(t.isArmed(10)).toBe(false);
    expect(t.keyOn).toBe(false);
    expect(m.putFns.length).toBe(0);
    const list = sink.snapshot();
    expect(Array.from(list.kind)).toEqual([EV_FAIL, EV_PUT, EV_PUT, EV_PUT]);
    expect(Array.from(list.count)).toEqual([3, 2, 1, 0]);
    expect(list.reason[0]).toBe(MR_CONTIG_RANGE);
    expect(list.err[0]).toBe(-11);
    expect(t.stats()).toMatchObject({ failures: 1, events: 5, armed: 0, armings: 1, disarmings: 1 });
    // The free event exists for sinks that record it (page_pinner); ftrace counts it unsupported.
    expect(sink.stats().unsupported).toBe(1);
  });

  it("leaves pages that are not armed alone, and never touches other page_ext bits", () => {
    const { w, t, sink, step } = setup();
    w.words.fill(0b11); // page_owner's OWNER and OWNER_ALLOCATED
    w.machine.alloc(3);
    w.machine.alloc(4);
    w.machine.migrateFail(3, MR_CONTIG_RANGE, -11);
    for (let i = 0; i < 5; i++) {
      w.machine.get(4);
      w.machine.put(4);
    }
    expect(sink.snapshot().length).toBe(1);
    expect(t.stats().puts).toBe(5);
    w.machine.put(3);
    expect(w.words[3]).toBe(0b11);
    expect(Array.from(w.words).every((x) => x === 0b11)).toBe(true);
    step();
  });

  it("keeps the hooks attached from boot without the dynamic key (RFC v2)", () => {
    const { w, t } = setup({ dynamicKey: false });
    expect(t.keyOn).toBe(true);
    w.machine.alloc(1);
    w.machine.put(1);
    expect(t.stats().puts).toBe(1);
    expect(w.machine.subscriptions).toBe(2); // cold (migrateFail, free) and hot (put)
  });

  it("records the stack of the put and the task, and prints it in the trace", () => {
    const { w, t, sink } = setup();
    const drv = new FakeTask(501, "mydrvd");
    w.machine.alloc(9);
    w.machine.get(9);
    w.machine.migrateFail(9, MR_CONTIG_RANGE, -11);
    w.tasks.run(drv, ["put_page+0x2c/0x60", "mydrv_unmap_buf+0x44/0x90 [mydrv]"]);
    w.clock.t = 5_000_000_000;
    w.machine.put(9);
    const list = sink.snapshot();
    expect(list.pid[1]).toBe(501);
    expect(Array.from(w.depot.fetchFrames(list.handle[1]), (f) => w.symbols.symbolize(f))).toEqual([
      "put_page+0x2c/0x60",
      "mydrv_unmap_buf+0x44/0x90 [mydrv]",
    ]);
    const text = sink.render(renderCtx(w, t));
    expect(text).toContain("          mydrvd-501     [000] .....     5.000000: page_pin_owner_put: pfn=0x9 flags=none count=1 mapcount=0 mapping=0000000000000000 mt=1\n");
    expect(text).toContain(" => put_page\n => mydrv_unmap_buf [mydrv]\n");
  });
});

describe("reason filtering", () => {
  it("arms only for the reasons in the filter (default mode)", () => {
    const { w, t, sink, step } = setup({ reasons: ["contig_range"] });
    w.machine.alloc(1);
    w.machine.alloc(2);
    w.machine.migrateFail(1, MR_COMPACTION, -11);
    expect(t.isArmed(1)).toBe(false);
    w.machine.migrateFail(2, MR_CONTIG_RANGE, -11);
    expect(t.isArmed(2)).toBe(true);
    w.machine.get(1);
    w.machine.put(1);
    expect(Array.from(sink.snapshot().pfn)).toEqual([2]);
    expect(t.stats().failures).toBe(2);
    step();
  });

  it("as RFC v2's event filter: every failure arms, only the event is filtered", () => {
    const { w, t, sink, step } = setup({ reasons: ["contig_range"], reasonFilterMode: "event" });
    w.machine.alloc(1);
    w.machine.get(1);
    w.machine.migrateFail(1, MR_COMPACTION, -11);
    expect(t.isArmed(1)).toBe(true);
    w.machine.put(1);
    const list = sink.snapshot();
    expect(Array.from(list.kind)).toEqual([EV_PUT]); // a put of a compaction failure leaks through
    step();
  });

  it("rejects unknown reason names", () => {
    expect(() => setup({ reasons: ["cma"] })).toThrow(/BAD_CONFIG/);
  });
});

describe("new-reference tracing (the review's addition)", () => {
  it("traces gets on armed pages only when asked", () => {
    for (const traceGets of [false, true]) {
      const { w, sink, step } = setup({ traceGets });
      w.machine.alloc(5);
      w.machine.get(5);
      w.machine.migrateFail(5, MR_CONTIG_RANGE, -11);
      w.machine.get(5); // a temporary reference after arming
      w.machine.put(5);
      w.machine.alloc(6);
      w.machine.get(6); // not armed: never traced
      step();
      const kinds = Array.from(sink.snapshot().kind);
      expect(kinds).toEqual(traceGets ? [EV_FAIL, EV_GET, EV_PUT] : [EV_FAIL, EV_PUT]);
      if (traceGets) expect(sink.snapshot().count[1]).toBe(3);
    }
  });
});

describe("arming by any caller", () => {
  it("arms with a migrate reason or a registered one, and validates input without changing state", () => {
    const { w, t, sink, step } = setup({ traceGets: true });
    w.machine.alloc(7);
    const should0 = t.registerReason("should_be_zero");
    expect(t.registerReason("should_be_zero")).toBe(should0);
    expect(t.reasonNames[should0]).toBe("should_be_zero");
    const before = () => JSON.stringify([Array.from(w.words), t.stats(), sink.stats()]);
    const snap = before();
    expect(() => t.arm(64, MR_MEMORY_FAILURE)).toThrow(/PFN_OUT_OF_RANGE/);
    expect(() => t.arm(-1, MR_MEMORY_FAILURE)).toThrow(/PFN_OUT_OF_RANGE/);
    expect(() => t.arm(8, MR_MEMORY_FAILURE)).toThrow(/NOT_ALLOCATED/);
    expect(() => t.arm(7, 99)).toThrow(/EINVAL/);
    expect(() => t.registerReason("two words")).toThrow(/EINVAL/);
    expect(before()).toBe(snap);
    t.arm(7, MR_MEMORY_FAILURE, -16);
    t.arm(7, should0); // already armed: a second report, still one armed page
    expect(t.armed).toBe(1);
    step();
    const list = sink.snapshot();
    expect(Array.from(list.reason)).toEqual([MR_MEMORY_FAILURE, should0]);
    expect(sink.render(renderCtx(w, t))).toContain("reason=should_be_zero err=0\n");
    t.disarm(7);
    expect(t.isArmed(7)).toBe(false);
    expect(t.keyOn).toBe(false);
    step();
  });

  it("disarms every armed page of a freed high-order block", () => {
    const { w, t, step } = setup();
    w.machine.alloc(16);
    w.machine.count[17] = 1; // a tail page armed on its own
    t.arm(16, MR_MEMORY_FAILURE);
    t.arm(17, MR_MEMORY_FAILURE);
    w.machine.count[17] = 0;
    w.machine.freePrepare(16, 2);
    w.machine.count[16] = 0;
    expect(t.armed).toBe(0);
    step();
  });
});

describe("recursion", () => {
  it("does not recurse when the depot's own allocation puts an armed page", () => {
    const { w, t, sink } = setup();
    w.machine.alloc(3);
    w.machine.get(3);
    w.machine.get(3);
    w.machine.migrateFail(3, MR_CONTIG_RANGE, -11);
    let inner = 0;
    w.depot.onSave = () => {
      if (inner++ === 0) w.machine.put(3); // re-enters put from inside save()
    };
    w.machine.put(3);
    expect(w.tasks.current().flags & TASK_IN_TRACE_UNREF).toBe(0);
    const list = sink.snapshot();
    // the inner put was traced without a stack, the outer one with it
    expect(Array.from(list.kind)).toEqual([EV_FAIL, EV_PUT, EV_PUT]);
    expect(list.handle[1]).toBe(0);
    expect(list.handle[2]).not.toBe(0);
    expect(t.stats().events).toBe(3);
  });
});

describe("page_pinner sink", () => {
  it("gets the free record the ftrace sink does not have", async () => {
    const { pagePinnerRing } = await import("../src/index.js");
    const { w, sink } = setup({}, pagePinnerRing());
    w.machine.alloc(2);
    w.machine.migrateFail(2, MR_CONTIG_RANGE, -11);
    w.machine.put(2);
    expect(Array.from(sink.snapshot().kind)).toEqual([EV_FAIL, EV_PUT, EV_FREE]);
  });
});

describe("page_ext accounting", () => {
  it("costs the shared flags word only: 8 bytes a page, nothing more if page_owner already has it", async () => {
    const { createPageExt } = await import("@mm/page-ext");
    const { registerTraceUnrefClient, flagsWordOf } = await import("../src/index.js");
    const ranges = [{ startPfn: 0, endPfn: 1 << 20 }]; // 4 GiB
    const alone = createPageExt({ ranges });
    const c = registerTraceUnrefClient(alone, { enabled: true });
    alone.init();
    expect(alone.entrySize).toBe(8);
    expect(alone.totalUsage).toBe(8388608); // "8 bytes per 4KB page, 0.2 % of RAM"
    expect(flagsWordOf(c).words.length).toBe(1 << 20);

    const withOwner = createPageExt({ ranges });
    withOwner.register({ name: "page_owner", size: 64, needSharedFlags: true, fields: {}, need: () => true });
    registerTraceUnrefClient(withOwner, { enabled: true });
    withOwner.init();
    const ownerOnly = createPageExt({ ranges });
    ownerOnly.register({ name: "page_owner", size: 64, needSharedFlags: true, fields: {}, need: () => true });
    ownerOnly.init();
    expect(withOwner.totalUsage - ownerOnly.totalUsage).toBe(0);

    const off = createPageExt({ ranges });
    const d = registerTraceUnrefClient(off, { enabled: false });
    off.init();
    expect(off.totalUsage).toBe(0);
    expect(() => flagsWordOf(d)).toThrow(/BAD_STATE/);

    const pinner = createPageExt({ ranges });
    registerTraceUnrefClient(pinner, { enabled: true, payloadBytes: 24 });
    pinner.init();
    expect(pinner.entrySize).toBe(32);
  });
});

describe("with @mm/stackdepot", () => {
  it("stores the put's stack as a real depot handle", async () => {
    const { createStackDepot } = await import("@mm/stackdepot");
    const depot = createStackDepot();
    const w = world(16);
    const sink = ftraceRing({ bufferSizeKb: 8 });
    const t = createTraceUnref({ tasks: w.tasks, clock: w.clock, pages: w.machine, depot, sink, flags: { words: w.words } });
    t.attach(w.machine.subscribe);
    w.machine.alloc(1);
    w.machine.get(1);
    w.machine.migrateFail(1, MR_CONTIG_RANGE, -11);
    w.tasks.run(new FakeTask(9, "mydrvd"), ["put_page+0x2c/0x60", "mydrv_unmap_buf+0x44/0x90 [mydrv]"]);
    w.machine.put(1);
    const h = sink.snapshot().handle[1];
    expect(h).not.toBe(0);
    expect(Array.from(depot.fetchFrames(h), (f) => w.symbols.symbolize(f))).toEqual(["put_page+0x2c/0x60", "mydrv_unmap_buf+0x44/0x90 [mydrv]"]);
  });
});

describe("hook subscription", () => {
  it("switches the key off inside the free hook without hiding the free from a later subscriber", () => {
    const { w, t } = setup();
    const seen: number[] = [];
    w.machine.subscribe({ freePrepare: (pfn) => seen.push(pfn), put: () => {} });
    w.machine.alloc(4);
    w.machine.migrateFail(4, MR_CONTIG_RANGE, -11);
    expect(t.keyOn).toBe(true);
    expect(w.machine.putFns.length).toBe(2);
    w.machine.put(4);
    expect(t.keyOn).toBe(false);
    expect(seen).toEqual([4]);
    expect(w.machine.putFns.length).toBe(1);
  });

  it("refuses to attach twice and detaches everything", () => {
    const w = world(8);
    const t = createTraceUnref({ tasks: w.tasks, clock: w.clock, pages: w.machine, depot: w.depot, sink: ftraceRing({ bufferSizeKb: 8 }), flags: { words: w.words } });
    const off = t.attach(w.machine.subscribe);
    expect(() => t.attach(w.machine.subscribe)).toThrow(/BAD_STATE/);
    w.machine.alloc(1);
    t.arm(1, MR_MEMORY_FAILURE);
    off();
    expect(w.machine.subscriptions).toBe(0);
    expect(t.keyOn).toBe(false);
  });
});

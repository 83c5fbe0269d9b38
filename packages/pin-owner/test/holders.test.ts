import { MR_COMPACTION, MR_CONTIG_RANGE } from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  createTraceAll,
  createTraceUnref,
  EV_FAIL,
  EV_REF_PUT,
  type EventSink,
  failedPfns,
  findHolders,
  formatHolderReport,
  ftraceRing,
} from "../src/index.js";
import { FakeTask, renderCtx, world } from "./fakes.js";

const DRIVER = ["put_page+0x2c/0x60", "mydrv_unmap_buf+0x44/0x90 [mydrv]", "mydrv_ioctl+0x80/0x100 [mydrv]"];
const PUTBACK = ["put_page+0x2c/0x60", "putback_movable_pages+0x11c/0x190", "__alloc_contig_migrate_range+0xd8/0x1c0"];
const READER = ["put_page+0x2c/0x60", "filemap_read+0x2b8/0x320", "vfs_read+0x9c/0x1a0"];
const READER_GET = ["folio_try_get_rcu+0x10/0x40", "filemap_get_read_batch+0x74/0x1e0", "filemap_read+0x110/0x320"];

/** A page held by a driver, a failed CMA migration, then traffic; returns the world and the tracer. */
function scenario(traceGets: boolean, sink: EventSink, noisePuts = 0, all = false) {
  const w = world(256);
  const base = { tasks: w.tasks, clock: w.clock, pages: w.machine, depot: w.depot, sink };
  const tracer = all ? createTraceAll({ ...base, traceGets, pfnRange: { startPfn: 128, endPfn: 256 } }) : createTraceUnref({ ...base, traceGets, flags: { words: w.words } });
  tracer.attach(w.machine.subscribe);
  const m = w.machine;
  const drv = new FakeTask(300, "mydrvd");
  const cma = new FakeTask(400, "camera.provider");
  const reader = new FakeTask(500, "cat");
  const P = 200;
  m.alloc(P); // page cache owns it
  w.tasks.run(drv, ["get_page+0x0/0x20", "mydrv_map_buf+0x30/0x80 [mydrv]"]);
  m.get(P); // the long-lived extra reference
  w.tasks.run(cma, ["isolate_migratepages_range+0x0/0x80"]);
  m.get(P); // isolation
  w.clock.t = 1_000_000;
  m.migrateFail(P, MR_CONTIG_RANGE, -11);
  m.migrateFail(150, MR_COMPACTION, -11); // another page fails for another reason (not allocated: ignored by the join)
  w.tasks.run(cma, PUTBACK);
  m.put(P);
  // a reader takes and drops a temporary reference
  w.tasks.run(reader, READER_GET);
  m.get(P);
  w.tasks.run(reader, READER);
  m.put(P);
  w.clock.t = 2_000_000;
  w.tasks.run(drv, DRIVER);
  m.put(P); // the culprit lets go
  // noise: puts of other pages in the CMA area
  for (let i = 0; i < noisePuts; i++) {
    const q = 128 + (i % 64);
    if (m.count[q] === 0) m.alloc(q);
    w.tasks.run(reader, READER_GET);
    m.get(q);
    w.tasks.run(reader, READER);
    m.put(q);
    w.clock.t += 1000;
  }
  return { w, tracer, P };
}

function names(w: ReturnType<typeof world>, handle: number): string[] {
  return Array.from(w.depot.fetchFrames(handle), (f) => w.symbols.symbolize(f));
}

describe("findHolders", () => {
  it("names the driver as a holder and tells the reader's temporary reference apart (gets traced)", () => {
    const sink = ftraceRing({ bufferSizeKb: 64 });
    const { w, tracer, P } = scenario(true, sink);
    const list = sink.snapshot();
    expect(failedPfns(list)).toEqual([P, 150]);
    expect(failedPfns(list, MR_CONTIG_RANGE)).toEqual([P]);
    const r = findHolders(list, P);
    expect(r.failures).toBe(1);
    expect(r.getsTraced).toBe(true);
    expect(r.held.map((h) => names(w, h.handle)[1])).toEqual(["putback_movable_pages+0x11c/0x190", "mydrv_unmap_buf+0x44/0x90 [mydrv]"]);
    expect(r.held.map((h) => h.count)).toEqual([2, 1]);
    expect(r.temporary.map((h) => h.pid)).toEqual([500]);
    expect(r.outstanding).toEqual([]);
    expect(r.freed).toBe(false);
    const text = formatHolderReport(r, list, renderCtx(w, tracer));
    expect(text).toContain("pfn 0xc8: migration failed 1x (reason=contig_range err=-11 count=3)\n");
    expect(text).toContain(" reference held at failure, put by mydrvd-300 at [0.002000] count=1\n   put_page+0x2c/0x60\n   mydrv_unmap_buf+0x44/0x90 [mydrv]\n");
    expect(text).toContain(" 1 temporary reference(s) taken and put after the failure\n");
  });

  it("without traced gets, every put after the failure is a candidate", () => {
    const sink = ftraceRing({ bufferSizeKb: 64 });
    const { P } = scenario(false, sink);
    const r = findHolders(sink.snapshot(), P);
    expect(r.getsTraced).toBe(false);
    expect(r.held.map((h) => h.pid)).toEqual([400, 500, 300]);
  });

  it("trace-all joins the failure pfn with the puts of every page", () => {
    const sink = ftraceRing({ bufferSizeKb: 64 });
    const { w, P, tracer } = scenario(false, sink, 0, true);
    const list = sink.snapshot();
    expect(Array.from(list.kind).filter((k) => k === EV_REF_PUT).length).toBe(3);
    expect(Array.from(list.kind).filter((k) => k === EV_FAIL).length).toBe(2);
    const r = findHolders(list, failedPfns(list, MR_CONTIG_RANGE)[0]);
    expect(r.held.some((h) => names(w, h.handle)[1] === "mydrv_unmap_buf+0x44/0x90 [mydrv]")).toBe(true);
    expect(r.pfn).toBe(P);
    expect(tracer.stats().puts).toBe(3);
  });

  it("says ambiguous when another task's get is open at the culprit's put, and pairs by count when it can", () => {
    const sink = ftraceRing({ bufferSizeKb: 64 });
    const w = world(256);
    const tracer = createTraceUnref({ tasks: w.tasks, clock: w.clock, pages: w.machine, depot: w.depot, sink, traceGets: true, flags: { words: w.words } });
    tracer.attach(w.machine.subscribe);
    const m = w.machine;
    const drv = new FakeTask(300, "mydrvd");
    const cma = new FakeTask(400, "camera.provider");
    const reader = new FakeTask(500, "cat");
    const other = new FakeTask(600, "kswapd0");
    const P = 200;
    m.alloc(P); // 1: the page cache
    w.tasks.run(drv, ["get_page+0x0/0x20"]);
    m.get(P); // 2: the driver
    w.tasks.run(cma, ["isolate_migratepages_range+0x0/0x80"]);
    m.get(P); // 3: isolation
    m.migrateFail(P, MR_CONTIG_RANGE, -11);
    w.tasks.run(cma, PUTBACK);
    m.put(P); // 2: nothing open -> held (the isolation reference)
    w.tasks.run(reader, READER_GET);
    m.get(P); // 3: the reader's get stays open
    w.tasks.run(drv, DRIVER);
    m.put(P); // 2: the driver's or the reader's? the buffer cannot say
    w.tasks.run(other, ["put_page+0x2c/0x60"]);
    m.put(P); // 1: still two candidates (the cache's reference, the reader's get)
    w.tasks.run(other, ["put_page+0x2c/0x60"]);
    m.put(P); // 0: count + 1 = 1 <= 1 open get -> it dropped the reader's get
    const r = findHolders(sink.snapshot(), P);
    expect(r.held.map((h) => h.count)).toEqual([2]);
    expect(r.ambiguous.map((h) => [h.pid, h.count])).toEqual([
      [300, 2],
      [600, 1],
    ]);
    expect(r.temporary.map((h) => [h.pid, h.count])).toEqual([[600, 0]]);
    expect(r.outstanding).toEqual([]);
    expect(r.freed).toBe(true);
    expect(formatHolderReport(r, sink.snapshot(), renderCtx(w, tracer))).toContain(" ambiguous put (a held reference or another task's get) by mydrvd-300 at");
  });
});

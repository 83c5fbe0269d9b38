import { MR_CONTIG_RANGE } from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  BUF_PAGE_SIZE,
  createTraceAll,
  EV_FAIL,
  EV_PUT,
  EV_REF_PUT,
  ftraceRing,
  newTraceEvent,
  percpuFtrace,
  PUT_EVENT_BYTES,
  rbEventLength,
} from "../src/index.js";
import { renderCtx, world } from "./fakes.js";

function put(pfn: number, ts: number, pid: number) {
  const ev = newTraceEvent();
  ev.kind = EV_PUT;
  ev.pfn = pfn;
  ev.ts = ts;
  ev.pid = pid;
  return ev;
}

describe("percpuFtrace", () => {
  it("gives every CPU its own ring of buffer_size_kb", () => {
    const b = percpuFtrace({ nrCpus: 8, bufferSizeKb: 8, stacktrace: false });
    expect(b.rings.length).toBe(8);
    for (const r of b.rings) expect(r.nrPages).toBe(Math.ceil((8 * 1024) / BUF_PAGE_SIZE));
    expect(b.stats().capacityBytes).toBe(8 * 3 * BUF_PAGE_SIZE);
    expect(() => percpuFtrace({ nrCpus: 0 })).toThrow(/BAD_CONFIG/);
  });

  it("overwrites per CPU: a busy CPU loses its oldest page, a quiet one keeps everything", () => {
    const b = percpuFtrace({ nrCpus: 2, bufferSizeKb: 8, stacktrace: false, cpuOf: (ev) => (ev.pid === 1 ? 0 : 1) });
    const len = rbEventLength(PUT_EVENT_BYTES); // 52
    const perPage = Math.floor(BUF_PAGE_SIZE / len); // 78
    b.emit(put(7, 0, 2)); // the quiet CPU's only event
    const n = 3 * perPage + 1; // fills 3 pages, the next event wraps onto the first
    for (let i = 0; i < n; i++) b.emit(put(1, 1 + i, 1));
    const [busy, quiet] = b.rings.map((r) => r.stats());
    expect(busy.lost).toBe(perPage);
    expect(busy.resident).toBe(n - perPage);
    expect(quiet).toMatchObject({ resident: 1, lost: 0 });
    expect(b.oldestTsPerCpu()).toEqual([1 + perPage, 0]);
    const list = b.snapshot();
    expect(list.length).toBe(n - perPage + 1);
    expect(list.ts[0]).toBe(0); // merged by time: CPU 1's event first
    for (let i = 1; i < list.length; i++) expect(list.ts[i]).toBeGreaterThanOrEqual(list.ts[i - 1]);
    expect(b.stats().lostEvents).toBe(perPage);
    b.checkInvariants();
  });

  it("a draining reader takes the resident events, and the ring then loses nothing it has drained", () => {
    const ring = ftraceRing({ bufferSizeKb: 4, stacktrace: false }); // 2 pages
    const len = rbEventLength(PUT_EVENT_BYTES);
    const perPage = Math.floor(BUF_PAGE_SIZE / len);
    for (let i = 0; i < perPage; i++) ring.emit(put(1, i, 1));
    const got = ring.consume();
    expect(got.length).toBe(perPage);
    expect(ring.stats().resident).toBe(0);
    expect(ring.oldestTs()).toBe(-1);
    for (let i = 0; i < 2 * perPage; i++) ring.emit(put(1, 1000 + i, 1));
    expect(ring.stats().lost).toBe(0); // two pages' worth after a drain fits in two pages
    ring.emit(put(1, 5000, 1));
    expect(ring.stats().lost).toBe(perPage);
    expect(ring.consumedEntries).toBe(perPage);
    ring.checkInvariants();
  });

  it("prints the CPUs merged by timestamp with #P and each CPU's number", () => {
    const w = world(64);
    const b = percpuFtrace({ nrCpus: 4, bufferSizeKb: 8, stacktrace: false });
    const t = createTraceAll({ tasks: w.tasks, clock: w.clock, pages: w.machine, depot: w.depot, sink: b });
    t.attach(w.machine.subscribe);
    w.machine.alloc(5);
    w.machine.get(5);
    w.clock.t = 1000;
    w.machine.put(5);
    const text = b.render(renderCtx(w, t));
    expect(text).toContain("# entries-in-buffer/entries-written: 1/1   #P:4\n");
    expect(text).toMatch(/\[00\d\] \.\.\.\.\. {5}0\.000001: page_ref_mod_and_test: pfn=0x5 /);
  });
});

describe("the failure event in its own instance, and the re-filter", () => {
  it("sends failures to their own sink and narrows page_ref to the failed pfn", () => {
    const w = world(64);
    const sink = ftraceRing({ bufferSizeKb: 4, stacktrace: false });
    const failSink = ftraceRing({ bufferSizeKb: 4, stacktrace: true });
    const t = createTraceAll({ tasks: w.tasks, clock: w.clock, pages: w.machine, depot: w.depot, sink, failSink });
    t.attach(w.machine.subscribe);
    for (const p of [1, 2, 3]) w.machine.alloc(p);
    w.machine.migrateFail(2, MR_CONTIG_RANGE, -11);
    expect(failSink.snapshot().kind[0]).toBe(EV_FAIL);
    expect(sink.stats().offered).toBe(0);
    expect(t.stats().stacks).toBe(1); // only the failure's instance has options/stacktrace
    t.refilter([2]);
    for (const p of [1, 2, 3]) {
      w.machine.get(p);
      w.machine.put(p);
    }
    const list = sink.snapshot();
    expect(Array.from(list.pfn)).toEqual([2]);
    expect(list.kind[0]).toBe(EV_REF_PUT);
    t.refilter(null);
    w.machine.get(3);
    w.machine.put(3);
    expect(sink.stats().offered).toBe(2);
    expect(() => t.refilter([-1])).toThrow(/EINVAL/);
    expect(t.refilteredPfns).toBeNull();
    t.checkInvariants();
  });
});

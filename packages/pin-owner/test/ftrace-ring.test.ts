import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BUF_PAGE_SIZE,
  EV_FAIL,
  EV_FREE,
  EV_PUT,
  EV_REF_PUT,
  type EventKind,
  EVENT_PAYLOAD_BYTES,
  ftraceRing,
  newTraceEvent,
  rbEventLength,
  stackEventPayload,
} from "../src/index.js";
import { FakeSymbols } from "./fakes.js";

function put(pfn: number, ts: number, nrFrames = 0, kind: EventKind = EV_PUT) {
  const ev = newTraceEvent();
  ev.kind = kind;
  ev.pfn = pfn;
  ev.ts = ts;
  ev.pid = 42;
  ev.nrFrames = nrFrames;
  ev.handle = nrFrames > 0 ? 1 : 0;
  return ev;
}

/**
 * Reference model written from the description, independent of the implementation: an array of
 * pages, each a list of [id, bytes]; entries that do not fit move to the next page, which loses
 * what it held.
 */
function referenceRing(nrPages: number, overwrite: boolean) {
  const pages: { id: number; bytes: number }[][] = Array.from({ length: nrPages }, () => []);
  const used = new Array<number>(nrPages).fill(0);
  let tail = 0;
  let lost = 0;
  let lostEvents = 0;
  let lastTs = 0;
  return {
    add(id: number, len: number, ts: number): boolean {
      let need = len + (pages[tail].length > 0 && ts - lastTs > (1 << 27) - 1 ? 8 : 0);
      if (used[tail] + need > BUF_PAGE_SIZE) {
        const next = (tail + 1) % nrPages;
        if (pages[next].length > 0) {
          if (!overwrite) {
            lost++;
            if (id % 2 === 0) lostEvents++;
            return false;
          }
          lost += pages[next].length;
          lostEvents += pages[next].filter((e) => e.id % 2 === 0).length;
        }
        pages[next] = [];
        used[next] = 0;
        tail = next;
        need = len;
      }
      pages[tail].push({ id, bytes: need });
      used[tail] += need;
      lastTs = ts;
      return true;
    },
    resident(): number[] {
      const out: number[] = [];
      for (let k = 1; k <= nrPages; k++) for (const e of pages[(tail + k) % nrPages]) out.push(e.id);
      return out;
    },
    get lost() {
      return lost;
    },
    get lostEvents() {
      return lostEvents;
    },
  };
}

describe("ftraceRing", () => {
  it("sizes like buffer_size_kb: DIV_ROUND_UP(kb * 1024, 4080) pages", () => {
    expect(ftraceRing().nrPages).toBe(354); // default 1408 KB
    expect(ftraceRing({ bufferSizeKb: 8 }).nrPages).toBe(3);
    expect(ftraceRing({ bufferSizeKb: 1 }).nrPages).toBe(2);
    expect(ftraceRing({ bufferSizeKb: 8 }).stats().capacityBytes).toBe(3 * 4080);
    expect(() => ftraceRing({ bufferSizeKb: 0 })).toThrow(/BAD_CONFIG/);
  });

  it("overwrites the oldest page and counts its entries as lost", () => {
    const ring = ftraceRing({ bufferSizeKb: 8, stacktrace: false }); // 3 pages of 78 put events
    for (let i = 0; i < 1000; i++) ring.emit(put(i, i * 1000));
    const perPage = Math.floor(4080 / 52);
    expect(perPage).toBe(78);
    const lastPage = Math.floor(999 / perPage);
    const resident = 2 * perPage + (1000 - lastPage * perPage);
    const s = ring.stats();
    expect(s.resident).toBe(resident);
    expect(s.lost).toBe(1000 - resident);
    expect(s.lostEvents).toBe(1000 - resident); // no stack entries here
    expect(s.written).toBe(1000);
    // 12 full pages, each padded to the end, plus the tail page's events.
    expect(s.bytesWritten).toBe(lastPage * 4080 + (1000 - lastPage * perPage) * 52);
    const list = ring.snapshot();
    expect(list.length).toBe(resident);
    expect(list.pfn[0]).toBe(1000 - resident);
    expect(list.pfn[resident - 1]).toBe(999);
    ring.checkInvariants();
  });

  it("drops new events instead when overwrite is off", () => {
    const ring = ftraceRing({ bufferSizeKb: 8, stacktrace: false, overwrite: false });
    for (let i = 0; i < 1000; i++) ring.emit(put(i, i));
    expect(ring.stats().resident).toBe(3 * 78);
    expect(ring.stats().lost).toBe(1000 - 3 * 78);
    expect(ring.snapshot().pfn[0]).toBe(0);
    ring.checkInvariants();
  });

  it("charges a time extend when events are more than 2^27 ns apart", () => {
    const ring = ftraceRing({ bufferSizeKb: 8, stacktrace: false });
    ring.emit(put(1, 0));
    ring.emit(put(2, 1 << 27)); // delta 2^27 > 2^27 - 1
    ring.emit(put(3, (1 << 27) + 5));
    expect(ring.stats().bytesWritten).toBe(52 + 60 + 52);
  });

  it("writes a stack entry after each event and pairs them back on reading", () => {
    const ring = ftraceRing({ bufferSizeKb: 8 });
    ring.emit(put(7, 10, 12));
    expect(ring.stats().written).toBe(2);
    expect(ring.stats().bytesWritten).toBe(52 + rbEventLength(stackEventPayload(12)));
    const list = ring.snapshot();
    expect(list.length).toBe(1);
    expect(list.handle[0]).toBe(1);
  });

  it("does not record the RFC's silent free, and counts it as unsupported", () => {
    const ring = ftraceRing({ bufferSizeKb: 8 });
    ring.emit(put(7, 10, 3, EV_FREE));
    expect(ring.stats()).toMatchObject({ offered: 1, unsupported: 1, written: 0, resident: 0 });
  });

  it("prints the tracefs trace file with context, event text and stack", () => {
    const symbols = new FakeSymbols();
    const ring = ftraceRing({ bufferSizeKb: 8, nrCpus: 8 });
    const frames = [symbols.intern("put_page+0x2c/0x60"), symbols.intern("mydrv_release+0x10/0x40 [mydrv]")];
    const ev = put(0x91430, 12_345_678_901, 2);
    ev.count = 1;
    ev.mt = 5;
    ev.pid = 1234;
    ring.emit(ev);
    const fail = put(0x91430, 12_345_670_000, 0, EV_FAIL);
    fail.reason = 6;
    fail.err = -11;
    fail.pid = 77;
    ring.emit(fail);
    const text = ring.render({
      symbols,
      fetchStack: (h) => (h === 1 ? frames : []),
      comm: (pid) => (pid === 1234 ? "kworker/u16:3" : "<...>"),
      reasonNames: ["compaction", "memory_failure", "memory_hotplug", "syscall_or_cpuset", "mempolicy_mbind", "numa_misplaced", "contig_range"],
    });
    expect(text).toBe(
      "# tracer: nop\n" +
        "#\n" +
        "# entries-in-buffer/entries-written: 4/4   #P:8\n" +
        "#\n" +
        "#                                _-----=> irqs-off/BH-disabled\n" +
        "#                               / _----=> need-resched\n" +
        "#                              | / _---=> hardirq/softirq\n" +
        "#                              || / _--=> preempt-depth\n" +
        "#                              ||| / _-=> migrate-disable\n" +
        "#                              |||| /     delay\n" +
        "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n" +
        "#              | |         |   |||||     |         |\n" +
        "   kworker/u16:3-1234    [000] .....    12.345678: page_pin_owner_put: pfn=0x91430 flags=none count=1 mapcount=0 mapping=0000000000000000 mt=5\n" +
        "   kworker/u16:3-1234    [000] .....    12.345678: <stack trace>\n" +
        " => put_page\n" +
        " => mydrv_release [mydrv]\n" +
        "           <...>-77      [000] .....    12.345670: report_page_pinners: pfn=0x91430 flags=none count=0 mapcount=0 mapping=0000000000000000 mt=0 reason=contig_range err=-11\n" +
        "           <...>-77      [000] .....    12.345670: <stack trace>\n",
    );
  });

  it("prints page_ref_mod_and_test with val and ret", () => {
    const symbols = new FakeSymbols();
    const ring = ftraceRing({ bufferSizeKb: 8, stacktrace: false });
    const ev = put(0x10, 1000, 0, EV_REF_PUT);
    ring.emit(ev);
    const line = ring.render({ symbols, fetchStack: () => [], comm: () => "cat", reasonNames: [] }).split("\n")[12];
    expect(line).toBe("             cat-42      [000] .....     0.000001: page_ref_mod_and_test: pfn=0x10 flags=none count=0 mapcount=0 mapping=0000000000000000 mt=0 val=-1 ret=1");
  });

  it("keeps the same entries and losses as a reference model (property)", () => {
    const kinds = [EV_FAIL, EV_PUT, EV_REF_PUT] as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 1 << 28 })), { maxLength: 400 }),
        (kb, overwrite, stacktrace, evs) => {
          const ring = ftraceRing({ bufferSizeKb: kb, overwrite, stacktrace });
          const ref = referenceRing(ring.nrPages, overwrite);
          let ts = 0;
          let id = 0;
          for (const [k, frames, dt] of evs) {
            ts += dt;
            const kind = kinds[k];
            const ev = put(id, ts, frames, kind);
            ring.emit(ev);
            if (ref.add(id * 2, rbEventLength(EVENT_PAYLOAD_BYTES[kind]), ts) && stacktrace) ref.add(id * 2 + 1, rbEventLength(stackEventPayload(frames)), ts);
            id++;
            ring.checkInvariants();
          }
          const resident = ref.resident();
          expect(ring.stats().resident).toBe(resident.length);
          expect(ring.stats().lost).toBe(ref.lost);
          expect(ring.stats().lostEvents).toBe(ref.lostEvents);
          // Events read back are those whose event entry survived, oldest first.
          const evIds = resident.filter((x) => x % 2 === 0).map((x) => x / 2);
          expect(Array.from(ring.snapshot().pfn)).toEqual(evIds);
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });
});

import { PG_lru, PG_uptodate } from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  CAPTURED_PINNER_BYTES,
  EV_FAIL,
  EV_FREE,
  EV_GET,
  EV_PUT,
  type EventKind,
  newTraceEvent,
  PAGE_PINNER_BUFFER_SIZE,
  PAGE_PINNER_EXT_BYTES,
  pagePinnerRing,
} from "../src/index.js";
import { FakeSymbols } from "./fakes.js";

function ev(kind: EventKind, pfn: number, tsNs: number, handle = 0) {
  const e = newTraceEvent();
  e.kind = kind;
  e.pfn = pfn;
  e.ts = tsNs;
  e.handle = handle;
  return e;
}

describe("pagePinnerRing", () => {
  it("holds 4096 records by default and accounts its bytes", () => {
    const ring = pagePinnerRing();
    expect(ring.size).toBe(PAGE_PINNER_BUFFER_SIZE);
    expect(PAGE_PINNER_BUFFER_SIZE).toBe(4096);
    expect(CAPTURED_PINNER_BYTES).toBe(56);
    expect(PAGE_PINNER_EXT_BYTES).toBe(24);
    expect(ring.stats().capacityBytes).toBe(4096 * 56);
    expect(ring.pageExtPayloadBytes).toBe(24);
    expect(() => pagePinnerRing({ size: 0 })).toThrow(/BAD_CONFIG/);
  });

  it("overwrites the oldest record one at a time and counts the loss", () => {
    const ring = pagePinnerRing({ size: 100 });
    ring.emit(ev(EV_FAIL, 1, 0));
    for (let i = 0; i < 250; i++) ring.emit(ev(EV_PUT, 1, i * 1000));
    const s = ring.stats();
    expect(s).toMatchObject({ offered: 251, written: 251, resident: 100, lost: 151, unsupported: 0 });
    expect(s.bytesWritten).toBe(251 * 56);
    const list = ring.snapshot();
    expect(list.ts[0]).toBe(150 * 1000);
    expect(list.ts[99]).toBe(249 * 1000);
    ring.checkInvariants();
  });

  it("has no record for gets", () => {
    const ring = pagePinnerRing();
    ring.emit(ev(EV_GET, 1, 0));
    expect(ring.stats()).toMatchObject({ offered: 1, unsupported: 1, written: 0 });
    ring.checkInvariants();
  });

  it("prints records newest first in page_pinner's text", () => {
    const symbols = new FakeSymbols();
    const frames = [symbols.intern("put_page+0x2c/0x60"), symbols.intern("mydrv_unmap_buf+0x44/0x90 [mydrv]")];
    const ring = pagePinnerRing();
    const fail = ev(EV_FAIL, 0x91430, 12_345_678_000, 1);
    fail.count = 3;
    fail.mt = 5;
    fail.zone = 2;
    fail.flags = (1 << PG_uptodate) | (1 << PG_lru);
    fail.mapping = 1;
    ring.emit(fail);
    const p = ev(EV_PUT, 0x91430, 12_347_178_999, 1);
    p.count = 1;
    p.zone = 2;
    p.flags = fail.flags;
    p.mapping = 1;
    ring.emit(p);
    const fr = ev(EV_FREE, 0x91430, 13_000_000_000, 0);
    ring.emit(fr);
    const text = ring.render({ symbols, fetchStack: (h) => (h === 1 ? frames : []), comm: () => "x", reasonNames: [] });
    expect(text).toBe(
      "Freed at [   13.000000]\n" +
        "PFN 0x91430 Block 1162 count 0 mapcount 0 mapping 0x0 Flags 0(node=0|zone=0)\n" +
        "\n" +
        "At least, pinned for 1500 us\n" +
        "PFN 0x91430 Block 1162 count 1 mapcount 0 mapping 0xffff888100000100 Flags 0x10000000000014(uptodate|lru|node=0|zone=2)\n" +
        " put_page+0x2c/0x60\n" +
        " mydrv_unmap_buf+0x44/0x90 [mydrv]\n" +
        "\n" +
        "Failure detected at [   12.345678]\n" +
        "PFN 0x91430 Block 1162 count 3 mapcount 0 mapping 0xffff888100000100 Flags 0x10000000000014(uptodate|lru|node=0|zone=2)\n" +
        " put_page+0x2c/0x60\n" +
        " mydrv_unmap_buf+0x44/0x90 [mydrv]\n" +
        "\n",
    );
  });

  it("measures 'pinned for' from the first failure of the page until it is freed", () => {
    const ring = pagePinnerRing();
    ring.emit(ev(EV_FAIL, 5, 1_000_000));
    ring.emit(ev(EV_FAIL, 5, 2_000_000)); // a retry does not restart the clock
    ring.emit(ev(EV_PUT, 5, 4_000_000));
    ring.emit(ev(EV_FREE, 5, 4_000_000));
    ring.emit(ev(EV_FAIL, 5, 10_000_000)); // reallocated and failed again
    ring.emit(ev(EV_PUT, 5, 10_500_000));
    const text = ring.render({ symbols: new FakeSymbols(), fetchStack: () => [], comm: () => "", reasonNames: [] });
    expect(text.match(/pinned for \d+ us/g)).toEqual(["pinned for 500 us", "pinned for 3000 us"]);
    ring.reset();
    expect(ring.stats().resident).toBe(0);
  });
});

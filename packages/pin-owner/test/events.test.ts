import { PG_head, PG_lru, PG_swapbacked, PG_uptodate } from "@mm/api";
import { describe, expect, it } from "vitest";
import {
  BUF_PAGE_SIZE,
  FAIL_EVENT_BYTES,
  formatHashedPointer,
  formatMappingSymbol,
  formatPageFields,
  formatReport,
  formatSecUsec,
  PUT_EVENT_BYTES,
  rbEventLength,
  REF_MOD_AND_TEST_EVENT_BYTES,
  REF_MOD_EVENT_BYTES,
  showPageFlags,
  STACK_EVENT_HEADER_BYTES,
  stackEventPayload,
} from "../src/index.js";

describe("tracepoint record layouts (x86-64)", () => {
  it("sizes the event structs as gcc does", () => {
    // trace_entry 8 + pfn 8 + flags 8 + count 4 + mapcount 4 + mapping 8 + mt 4 -> 44, padded to 48
    expect(PUT_EVENT_BYTES).toBe(48);
    // + reason pointer at 48, err at 56 -> 60, padded to 64
    expect(FAIL_EVENT_BYTES).toBe(64);
    expect(REF_MOD_EVENT_BYTES).toBe(48);
    expect(REF_MOD_AND_TEST_EVENT_BYTES).toBe(56);
    expect(STACK_EVENT_HEADER_BYTES).toBe(16);
    expect(BUF_PAGE_SIZE).toBe(4080);
  });

  it("adds the ring buffer header, and a length word above 112 bytes of payload", () => {
    expect(rbEventLength(PUT_EVENT_BYTES)).toBe(52);
    expect(rbEventLength(FAIL_EVENT_BYTES)).toBe(68);
    expect(rbEventLength(112)).toBe(116);
    expect(rbEventLength(113)).toBe(124); // 113 + 4 (array[0]) + 4 (header) = 121 -> aligned 124
    expect(rbEventLength(stackEventPayload(12))).toBe(116);
    expect(rbEventLength(stackEventPayload(13))).toBe(128);
    expect(rbEventLength(0)).toBe(8);
  });
});

describe("tracepoint text", () => {
  it("prints report_page_pinners as RFC v2's cover letter sample", () => {
    const flags = (1 << PG_uptodate) | (1 << PG_swapbacked);
    expect(formatReport(0x91430, flags, 2, 0, 0, 5, "contig_range", -11)).toBe(
      "pfn=0x91430 flags=uptodate|swapbacked count=2 mapcount=0 mapping=0000000000000000 mt=5 reason=contig_range err=-11",
    );
  });

  it("prints page_pin_owner_put's fields with show_page_flags order and 'none'", () => {
    expect(formatPageFields(0x1000, (1 << PG_head) | (1 << PG_lru) | (1 << PG_uptodate), 0, 1, 0, 4)).toBe(
      "pfn=0x1000 flags=uptodate|lru|head count=0 mapcount=1 mapping=0000000000000000 mt=4",
    );
    expect(showPageFlags(0)).toBe("none");
    expect(showPageFlags(1 << 30)).toBe("0x40000000");
  });

  it("hashes %p like a 64-bit kernel: NULL as zeros, else 8 zeros and 8 hex digits", () => {
    expect(formatHashedPointer(0)).toBe("0000000000000000");
    const a = formatHashedPointer(7);
    expect(a).toMatch(/^00000000[0-9a-f]{8}$/);
    expect(formatHashedPointer(7)).toBe(a);
    expect(formatHashedPointer(8)).not.toBe(a);
    expect(formatMappingSymbol(0)).toBe("0x0");
    expect(formatMappingSymbol(1)).toBe("0xffff888100000100");
  });

  it("prints ftrace timestamps as %5lu.%06lu of microseconds", () => {
    expect(formatSecUsec(0)).toBe("    0.000000");
    expect(formatSecUsec(12_345_678_999)).toBe("   12.345678");
    expect(formatSecUsec(123_456_000_000_000)).toBe("123456.000000");
  });
});
